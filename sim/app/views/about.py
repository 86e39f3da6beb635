"""About: what the model is, what it assumes, its limits, and how to cite it."""

from __future__ import annotations

import streamlit as st

from sim.app.runner import nhsim_version

__all__ = ["render"]

ABOUT = """
nhsim is a discrete-event simulation (written with SimPy) of urgent and intermediate
care for a defined population: urgent community response (UCR) and same-day home
visiting, a clinical hub that ambulance crews call before conveying, ambulances,
virtual wards, intermediate care, the emergency department and acute beds. It answers
one question: **how many ambulance conveyances and emergency admissions do community
services avoid, and how does that change with their capacity?**

A scenario file describes the population (its size and cohorts, such as frailty
levels), how often each cohort has each kind of urgent need, and the services that
meet it: their capacity (clinicians on duty by hour of the week, beds, vehicles), how
long their work takes, and where patients go next. nhsim follows every patient, hour
by hour, for a year or more, and counts what happens. Each run repeats the year many
times (replications) with different random arrivals and durations and reports each
result as a mean with a 95% confidence interval.

**Avoided** is always a difference between two runs: the unchanged scenario (the
counterfactual) minus the changed one, replication by replication on the same random
numbers, so that the difference is the effect of the change and not chance.
"""

ASSUMPTIONS = """
- **Demand** is a Poisson process shaped by hour of the day, day of the week and month,
  with no growth and no feedback: long waits do not create new calls.
- **Each urgent need is a new patient**: no re-contacts, repeat callers or readmissions
  after discharge.
- **Routes are fixed probabilities**: where a patient goes after a visit, a stay or an
  escalation does not depend on how long they waited or how busy the next service is
  (except the hub's capacity check and what a full bed pool does).
- **Rosters are followed exactly**: no sickness, leave or vacancies; overtime is
  unlimited; teams see patients first come, first served, with no travel geography.
- **Ambulances** are unlimited unless a fleet is given; the **ED** has no capacity and
  takes no time (no 4-hour performance); **acute beds** are one pool, with no elective
  patients.
- **Costs** are linear: a unit cost times a count.
- The shipped numbers are national figures and assumptions, each with its source in
  the file's comments. For a real place, use local data.
- **Confidence intervals** show the simulation's own random variation only. They say
  nothing about whether the assumptions are right: change the assumptions and see how
  much the answer moves.
"""


def render() -> None:
    version = nhsim_version()
    st.header("About")
    st.markdown(ABOUT)
    st.subheader("Assumptions and limits")
    st.markdown(ASSUMPTIONS)
    st.caption(
        "The model's documentation (docs/model.md in the repository) gives every "
        "assumption, its source, and the checks against queueing theory and published "
        "figures."
    )
    st.subheader("How to cite")
    st.markdown(
        f"nhsim {version}: a discrete-event simulation of urgent and intermediate community "
        "care. Give the version, and the scenario file, seed and replications of the run: "
        "with them anyone can repeat it (`nhsim compare` gives the same numbers)."
    )
    st.code(f"nhsim {version}", language=None)
    st.subheader("Version")
    st.write(f"nhsim {version}")

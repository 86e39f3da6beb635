"""The Explore view shows what nhsim compare prints about money, cohorts and warnings:
the economics (from ``economics()``), the avoided counts by cohort and the warnings
(from ``comparison_warnings()``) of the comparison it ran (that the comparison is
compare()'s is tested in test_app.py)."""

from __future__ import annotations

from typing import Any

from conftest import REPO_ROOT
from streamlit.testing.v1 import AppTest

from sim import load_scenario
from sim.app import SCRIPT
from sim.app.summary import fmt
from sim.cli.appraisal import pounds
from sim.runs.economics import economics
from sim.runs.warnings import comparison_warnings

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
N = 2


def by_label(widgets: Any, label: str) -> Any:
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, f"{len(found)} widgets labelled {label!r}"
    return found[0]


def test_explore_shows_the_economics_the_cohorts_and_the_warnings_of_compare() -> None:
    at = AppTest.from_file(str(SCRIPT), default_timeout=120)
    at.run()
    by_label(at.selectbox, "Scenario").set_value("configs/neighbourhood_50k.toml")
    at.run()
    by_label(at.number_input, "Replications").set_value(N)
    at.run()
    by_label(at.slider, "ucr: clinicians on duty").set_value(3)
    at.run()
    by_label(at.button, "Run").click()
    at.run()
    assert not at.exception, at.exception

    reference = at.session_state["explore_run"].comparison  # what the view ran
    assert reference.scenario.scenario.services["ucr"].staff == 3
    assert reference.counterfactual.scenario.name == load_scenario(NEIGHBOURHOOD).name
    econ = economics(reference)
    assert econ is not None
    cells = [str(v) for t in at.table for col in t.value.to_dict("list").values() for v in col]
    for _, text, est in econ.rows():
        assert text in cells
        assert pounds(est.mean) in cells, text
    shown = {m.label: m.value for m in at.metric}
    assert (
        shown["Net cost per admission avoided"]
        == f"£{pounds(econ.cost_per_admission_avoided.mean)}"
    )
    severe = fmt(reference.avoided("admissions.total.by_cohort.severe").mean)
    assert any(c.startswith(f"{severe} (") for c in cells)
    assert [w.value for w in at.warning] == [str(w) for w in comparison_warnings(reference)]

"""Unplanned hospital visits: who has made one.

A patient's unplanned hospital visit begins at a *front door*: an attendance at an
emergency department, or an emergency admission that did not come through one (a
step-up patient whom a full virtual ward sends straight to acute beds, say). An
admission from the ED is part of the attendance's visit and is not counted again. The
visits themselves are counted by the services (``<ed>.attendances`` and
``<acute>.direct_admissions``, by cohort) and summed into ``unplanned.hospital_visits``
through the registry's network totals.

One :class:`HospitalVisits` is shared by the services of a replication (like the
network's exit). It knows the front doors, and counts by cohort the patients whose
*first* unplanned visit falls in the measured period (``Patient.hospital`` marks them),
so that the share of each cohort's urgent need met at home can be worked out
(:mod:`sim.metrics`).
"""

from __future__ import annotations

from sim.engine.patient import Patient

__all__ = ["HospitalVisits"]


class HospitalVisits:
    """The front doors of the hospital, and per-cohort counts of patients who came through one."""

    __slots__ = ("front_doors", "patients", "present")

    def __init__(self, cohorts: int) -> None:
        self.front_doors: set[str] = set()
        """Names of the services where a visit begins (the EDs): an admission sent by
        one of them is part of that visit."""
        self.present = False
        """Whether any service of the scenario can count a visit (an ED or acute beds)."""
        self.patients = [0] * cohorts
        """Patients from a demand source whose first unplanned visit fell in the period
        (services that count visits hold this list: it is zeroed in place)."""

    def reset(self) -> None:
        """The measured period starts: zero the counts (in place)."""
        self.patients[:] = [0] * len(self.patients)

    def first(self, patient: Patient) -> None:
        """``patient`` begins an unplanned hospital visit: count them if it is their first."""
        if not patient.hospital:
            patient.hospital = True
            if patient.source >= 0:  # not a patient placed in a bed at the start
                self.patients[patient.cohort] += 1

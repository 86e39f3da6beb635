"""Unplanned hospital visits, counted once each, by cohort.

A patient's unplanned hospital visit begins at a *front door*: an attendance at an
emergency department, or an emergency admission that did not come through one (a
step-up patient whom a full virtual ward sends straight to acute beds, say). An
admission from the ED is part of the attendance's visit and is not counted again.

One :class:`HospitalVisits` is shared by the services of a replication (like the
network's exit): the ED records every attendance, acute beds every admission that did
not come from a front door. It also counts, by cohort, the patients whose first
unplanned visit this is (``Patient.hospital`` marks them), so that the share of each
cohort's urgent need met at home can be worked out (:mod:`sim.metrics`).
"""

from __future__ import annotations

from sim.engine.patient import Patient

__all__ = ["HospitalVisits"]


class HospitalVisits:
    """Per-cohort counts of unplanned hospital visits and of the patients who made one."""

    __slots__ = ("front_doors", "patients", "present", "visits")

    def __init__(self, cohorts: int) -> None:
        self.front_doors: set[str] = set()
        """Names of the services where a visit begins (the EDs): an admission sent by
        one of them is part of that visit."""
        self.present = False
        """Whether any service of the scenario can count a visit (an ED or acute beds)."""
        self.visits = [0] * cohorts
        self.patients = [0] * cohorts
        """Patients from a demand source whose first unplanned visit fell in the period."""

    def reset(self) -> None:
        """The measured period starts: zero the counts."""
        n = len(self.visits)
        self.visits = [0] * n
        self.patients = [0] * n

    def record(self, patient: Patient) -> None:
        """``patient`` begins an unplanned hospital visit now."""
        self.visits[patient.cohort] += 1
        if not patient.hospital:
            self.first(patient)

    def first(self, patient: Patient) -> None:
        """``patient``'s first unplanned hospital visit (``record`` has counted the visit)."""
        patient.hospital = True
        if patient.source >= 0:  # not a patient placed in a bed at the start
            self.patients[patient.cohort] += 1

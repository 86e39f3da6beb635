"""A patient: as small as possible, because there are hundreds of thousands a year."""

from __future__ import annotations

__all__ = ["Patient"]


class Patient:
    """One person with an urgent need.

    ``cohort`` indexes the population's cohorts; ``source`` the demand source;
    ``via`` names the service (or demand source) that last sent the patient on, which
    is how the ED knows the route of an attendance; ``hospital`` is set at the
    patient's first unplanned hospital visit (see :mod:`sim.engine.visits`).
    """

    __slots__ = ("cohort", "hospital", "id", "source", "via")

    def __init__(self, id: int, cohort: int, source: int, via: str) -> None:
        self.id = id
        self.cohort = cohort
        self.source = source
        self.via = via
        self.hospital = False

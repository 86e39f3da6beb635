"""A patient: as small as possible, because there are hundreds of thousands a year."""

from __future__ import annotations

__all__ = ["Patient"]


class Patient:
    """One person with an urgent need: an id, a cohort index and the demand source index."""

    __slots__ = ("id", "cohort", "source")

    def __init__(self, id: int, cohort: int, source: int) -> None:
        self.id = id
        self.cohort = cohort
        self.source = source

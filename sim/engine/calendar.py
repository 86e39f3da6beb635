"""The simulation clock and the calendar it maps to.

Time in the engine is in hours. The measured period starts on a Monday, 1 January,
00:00; the warm-up runs before it, so simulation hour ``h`` is calendar hour
``h - warmup_hours``. Weeks start on Monday; the year has 365 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DAYS_IN_MONTH", "HOURS_PER_WEEK", "HOURS_PER_YEAR", "Clock", "month_of_day"]

HOURS_PER_WEEK = 168
HOURS_PER_YEAR = 8760
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_MONTH_OF_DAY = np.repeat(np.arange(12), DAYS_IN_MONTH)


def month_of_day(day_of_year: np.ndarray) -> np.ndarray:
    """Month index (0 = January) of each day of a 365-day year (any integer, taken mod 365)."""
    return _MONTH_OF_DAY[np.mod(day_of_year, 365)]


@dataclass(frozen=True)
class Clock:
    """Warm-up and measured period, in whole hours."""

    warmup_hours: int
    measured_hours: int

    @classmethod
    def from_days(cls, warmup_days: float, days: float) -> Clock:
        return cls(round(warmup_days * 24), max(1, round(days * 24)))

    @property
    def horizon_hours(self) -> int:
        return self.warmup_hours + self.measured_hours

    @property
    def per_year(self) -> float:
        """Factor that turns a count over the measured period into a count per year."""
        return HOURS_PER_YEAR / self.measured_hours

    def calendar_hours(self) -> np.ndarray:
        """Calendar hour (0 = Monday 1 January 00:00) of each simulated hour."""
        return np.arange(self.horizon_hours) - self.warmup_hours

"""Rosters: how many clinicians are on duty in each hour of the week.

A team's roster is 168 whole numbers, Monday 00:00 first, built from ``staff`` with
``open_hours`` and ``open_days``, or given directly as ``roster``. The engine only
needs the moments when the number on duty changes (hundreds a year), so a roster
costs almost nothing at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.calendar import HOURS_PER_WEEK, Clock
from sim.engine.service import ServiceTally
from sim.scenario.model import Staffed, parse_days, parse_hours

__all__ = ["Roster", "StaffedTally", "roster_changes", "staffed_hours", "week_roster"]


@dataclass
class StaffedTally(ServiceTally):
    """What a rostered service (a community team, a clinical hub) reports."""

    busy_hours: float
    """Clinician-hours spent on visits or calls in the measured period (overtime included)."""
    overtime_hours: float
    """Clinician-hours of work beyond the number on duty (visits running past a shift's end)."""
    staffed_hours: float
    """Clinician-hours rostered in the measured period."""
    waiting_end: int
    """Patients waiting at the end of the run."""
    busy_end: int
    """Clinicians busy at the end of the run."""


class Roster:
    """A staffed service's roster over a run: who is on duty at the start, every change
    after, and the clinician-hours rostered in any stretch. Shared by the community
    teams and the clinical hub."""

    __slots__ = ("changes", "clock", "on_shift_at_start", "week")

    def __init__(self, spec: Staffed, clock: Clock) -> None:
        self.clock = clock
        self.week = week_roster(spec)
        self.on_shift_at_start, self.changes = roster_changes(self.week, clock)

    def staffed_hours(self, start: float, end: float) -> float:
        """Clinician-hours rostered between simulation times ``start`` and ``end``."""
        return staffed_hours(self.week, self.clock, start, end)

    def measured_staffed_hours(self, now: float) -> float:
        """Clinician-hours rostered in the measured period that ends at ``now``."""
        return staffed_hours(self.week, self.clock, now - self.clock.measured_hours, now)


def week_roster(team: Staffed) -> np.ndarray:
    """Clinicians on duty in each hour of the week (168 integers, Monday 00:00 first)."""
    if team.roster is not None:
        return np.asarray(team.roster, dtype=int)
    staff = team.staff or 0
    start, end = parse_hours(team.open_hours)
    length = (end - start) % 24 or 24
    week = np.zeros(HOURS_PER_WEEK, dtype=int)
    for day in parse_days(team.open_days):
        hours = (day * 24 + start + np.arange(length)) % HOURS_PER_WEEK
        week[hours] = staff
    return week


def roster_changes(week: np.ndarray, clock: Clock) -> tuple[int, list[tuple[float, int]]]:
    """Staff on duty at time 0, and every (time in hours, new staff) change over the horizon."""
    by_hour = week[np.mod(clock.calendar_hours(), HOURS_PER_WEEK)]
    changed = np.flatnonzero(np.diff(by_hour)) + 1
    return int(by_hour[0]), [(float(h), int(by_hour[h])) for h in changed]


def staffed_hours(week: np.ndarray, clock: Clock, start: float, end: float) -> float:
    """Clinician-hours rostered between simulation times ``start`` and ``end`` (whole hours)."""
    cal = clock.calendar_hours()[int(start) : int(end)]
    return float(week[np.mod(cal, HOURS_PER_WEEK)].sum())

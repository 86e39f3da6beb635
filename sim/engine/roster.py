"""Rosters: how many clinicians are on duty in each hour of the week.

A team's roster is 168 whole numbers, Monday 00:00 first, built from ``staff`` with
``open_hours`` and ``open_days``, or given directly as ``roster``. The engine only
needs the moments when the number on duty changes (hundreds a year), so a roster
costs almost nothing at run time.
"""

from __future__ import annotations

import numpy as np

from sim.engine.calendar import HOURS_PER_WEEK, Clock
from sim.scenario.model import CommunityResponse, parse_days, parse_hours

__all__ = ["roster_changes", "staffed_hours", "week_roster"]


def week_roster(team: CommunityResponse) -> np.ndarray:
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

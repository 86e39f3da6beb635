"""Rosters: who is on duty when, checked against the engine's event log.

Every change in the number on duty is a shift change: the shift on duty ends, its
clinicians finish the visits they are on (overtime) and go, and the next shift's
clinicians start, all free. A visit belongs to the shift on duty when it starts and is
overtime from that shift's end. For each roster the event log of one replication
(fixed seed) is replayed here, independently of the engine's accounting, to check that

- no visit starts in an hour when the roster has nobody on duty,
- no more of a shift's visits are in progress when one starts than its clinicians,
- the team is work-conserving: whenever someone waits, every clinician of the shift
  on duty is busy (however many of the last shift are still finishing),
- patients are visited first come, first served,
- busy, overtime and staffed hours in the tally equal the integrals computed here
  from the visit start/end times and the roster.

The warm-up is 30 hours, so simulation time and calendar time differ by a
non-whole number of days: simulation hour ``t`` is calendar hour ``t - 30``.
"""

from __future__ import annotations

import bisect
import itertools
import math

import numpy as np
import pytest

from sim.engine import run_replication
from sim.engine.calendar import Clock
from sim.engine.roster import roster_changes, staffed_hours, week_roster
from sim.scenario import scenario_from_dict

WARMUP_HOURS = 30
DAYS = 56


def _weekday(*spans: tuple[int, int, int]) -> list[int]:
    day = [0] * 24
    for start, end, staff in spans:
        for h in range(start, end):
            day[h] = staff
    return day


EXPLICIT_ROSTER = _weekday((7, 9, 1), (9, 17, 3), (17, 22, 2)) * 5 + _weekday((10, 18, 1)) * 2

CASES = {
    "open 08-20": dict(
        team={"staff": 2, "open_hours": "08-20"}, lam=0.6, visit={"dist": "exponential", "mean": 60}
    ),
    "mon-fri 08-20": dict(
        team={"staff": 2, "open_hours": "08-20", "open_days": "mon-fri"},
        lam=0.3,
        visit={"dist": "exponential", "mean": 60},
    ),
    "explicit roster": dict(
        team={"roster": EXPLICIT_ROSTER}, lam=0.5, visit={"dist": "lognormal", "mean": 60, "sd": 30}
    ),
    "long visits 08-20": dict(
        team={"staff": 2, "open_hours": "08-20"}, lam=0.25, visit={"dist": "fixed", "mean": 180}
    ),
    "long visits explicit roster": dict(
        team={"roster": EXPLICIT_ROSTER}, lam=0.25, visit={"dist": "fixed", "mean": 180}
    ),
}


def team_scenario(
    team: dict, lam: float, visit: dict, days: float = DAYS, warmup_hours: int = WARMUP_HOURS
):
    return scenario_from_dict(
        {
            "run": {"days": days, "warmup_days": warmup_hours / 24},
            "population": {"size": 1000},
            "demand": {"referrals": {"to": "ucr", "rate_per_1000": lam * 8760}},
            "services": {"ucr": {"kind": "community_response", "visit_minutes": visit, **team}},
        }
    )


def staff_at(week: np.ndarray, clock: Clock, t: float) -> int:
    """Clinicians rostered at simulation time ``t`` (the hour starting at floor(t))."""
    return int(week[(math.floor(t) - clock.warmup_hours) % 168])


def shift_end(changes: list[float], t: float) -> float:
    """The end of the shift on duty at simulation time ``t``: the first change after it
    (a visit that starts at a change belongs to the shift starting then)."""
    k = bisect.bisect_right(changes, t + 1e-9)
    return changes[k] if k < len(changes) else math.inf


class Replay:
    """The log of one team replayed: at every moment, the visits of the shift on duty in
    progress (``busy``) and the patients waiting."""

    def __init__(self, events, week: np.ndarray, clock: Clock) -> None:
        self.events = events
        self.week = week
        self.clock = clock
        self.changes = [t for t, _ in roster_changes(week, clock)[1]]

    def moments(self):
        """Yield ("start", t, busy, waiting, patient) just after each visit start, and
        ("moment", t, busy, waiting, None) once everything at time ``t`` has happened,
        for every event time and every whole hour, in time order."""
        ticks = {float(h) for h in range(self.clock.horizon_hours + 1)}
        running: dict[int, float] = {}  # patient visited: the end of their clinician's shift
        waiting = 0
        i, n = 0, len(self.events)
        for t in sorted(ticks | {e[0] for e in self.events}):
            while i < n and self.events[i][0] == t:
                _, pid, _, event, _ = self.events[i]
                if event == "referred":
                    waiting += 1
                elif event == "visit_start":
                    waiting -= 1
                    running[pid] = shift_end(self.changes, t)
                    yield ("start", t, self._on_duty(running, t), waiting, pid)
                elif event == "visit_end":
                    del running[pid]
                elif event == "escalated":
                    waiting -= 1
                i += 1
            yield ("moment", t, self._on_duty(running, t), waiting, None)

    @staticmethod
    def _on_duty(running: dict[int, float], t: float) -> int:
        return sum(1 for end in running.values() if end > t + 1e-9)


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def case(request):
    spec = CASES[request.param]
    scen = team_scenario(spec["team"], spec["lam"], spec["visit"])
    events: list = []
    tally = run_replication(scen, seed=31, log=lambda *e: events.append(e[:5]))
    ucr = [e for e in events if e[2] == "ucr"]
    return request.param, scen, tally, ucr, week_roster(scen.services["ucr"])


def test_clock_is_as_configured(case) -> None:
    _, _, tally, _, _ = case
    assert tally.clock == Clock(WARMUP_HOURS, DAYS * 24)


def test_no_visit_starts_off_shift(case) -> None:
    _, _, tally, events, week = case
    starts = [e[0] for e in events if e[3] == "visit_start"]
    assert len(starts) > 100
    off = [t for t in starts if staff_at(week, tally.clock, t) == 0]
    assert off == []


def test_visits_of_a_shift_never_exceed_its_clinicians(case) -> None:
    _, _, tally, events, week = case
    for kind, t, busy, _, pid in Replay(events, week, tally.clock).moments():
        if kind == "start":
            assert busy <= staff_at(week, tally.clock, t), (t, pid, busy)


def test_nobody_waits_while_a_clinician_on_shift_is_free(case) -> None:
    _, _, tally, events, week = case
    checked = 0
    for kind, t, busy, waiting, _ in Replay(events, week, tally.clock).moments():
        assert waiting >= 0 and busy >= 0
        if kind == "moment" and waiting > 0:
            checked += 1
            assert busy >= staff_at(week, tally.clock, t), (t, busy, waiting)
    assert checked > 0


def test_visits_are_first_come_first_served(case) -> None:
    _, _, _, events, _ = case
    referred = [e[1] for e in events if e[3] == "referred"]
    started = [e[1] for e in events if e[3] == "visit_start"]
    assert started == referred[: len(started)]


def _integrals(events, week: np.ndarray, clock: Clock) -> tuple[float, float]:
    """Busy and overtime clinician-hours over the measured window, from the log: a visit
    is overtime from the end of the shift it started in."""
    changes = [
        (e[0], +1 if e[3] == "visit_start" else -1)
        for e in events
        if e[3] in ("visit_start", "visit_end")
    ]
    times = np.array([c[0] for c in changes])
    level = np.cumsum([c[1] for c in changes])
    w0, h = clock.warmup_hours, clock.horizon_hours
    points = np.unique(
        np.concatenate([times[(times > w0) & (times < h)], np.arange(w0, h + 1, dtype=float)])
    )
    busy_area = 0.0
    for a, b in itertools.pairwise(points):
        k = np.searchsorted(times, a, side="right")
        busy = int(level[k - 1]) if k > 0 else 0
        busy_area += busy * (b - a)
    shift_changes = [t for t, _ in roster_changes(week, clock)[1]]
    started = {e[1]: e[0] for e in events if e[3] == "visit_start"}
    ended = {e[1]: e[0] for e in events if e[3] == "visit_end"}
    over_area = 0.0
    for pid, start in started.items():
        lo = max(shift_end(shift_changes, start), w0)
        over_area += max(min(ended.get(pid, h), h) - lo, 0.0)
    return busy_area, over_area


def test_busy_and_overtime_hours_match_the_log(case) -> None:
    name, _, tally, events, week = case
    busy, overtime = _integrals(events, week, tally.clock)
    t = tally.services["ucr"]
    assert t.busy_hours == pytest.approx(busy, rel=1e-6)
    assert t.overtime_hours == pytest.approx(overtime, rel=1e-6, abs=1e-9)
    if name.startswith("long visits"):
        assert overtime > 0
        # and some visit really ends after its shift did
        ends = [e[0] for e in events if e[3] == "visit_end"]
        assert any(staff_at(week, tally.clock, t) == 0 and t != math.floor(t) for t in ends)


def test_staffed_hours_are_the_rostered_hours(case) -> None:
    _, _, tally, _, week = case
    expected = float(sum(week[h % 168] for h in range(DAYS * 24)))
    assert tally.services["ucr"].staffed_hours == expected


def test_weekend_closure_leaves_weekends_empty() -> None:
    spec = CASES["mon-fri 08-20"]
    scen = team_scenario(spec["team"], spec["lam"], spec["visit"])
    events: list = []
    tally = run_replication(scen, seed=5, log=lambda *e: events.append(e[:5]))
    starts = np.array([e[0] for e in events if e[3] == "visit_start"])
    day = ((np.floor(starts).astype(int) - tally.clock.warmup_hours) // 24) % 7
    assert set(day.tolist()) == {0, 1, 2, 3, 4}
    # Monday 08:00: the weekend's referrals are waiting, so both clinicians start at once
    # (or as many as there are patients waiting).
    referred = np.array([e[0] for e in events if e[3] == "referred"])
    monday_8 = [WARMUP_HOURS + 168 * k + 8 for k in range(DAYS // 7)]
    queues = []
    for t in monday_8:
        waiting = int(np.sum(referred < t) - np.sum(starts < t))
        queues.append(waiting)
        assert int(np.sum(starts == t)) == min(2, waiting)
    assert max(queues) >= 2  # the check above was exercised with a real weekend queue


def test_without_a_roster_the_team_is_on_all_week() -> None:
    scen = team_scenario(
        {"staff": 4}, 2.0, {"dist": "exponential", "mean": 60}, days=56, warmup_hours=0
    )
    assert np.array_equal(week_roster(scen.services["ucr"]), np.full(168, 4))
    events: list = []
    run_replication(scen, seed=8, log=lambda *e: events.append(e[:5]))
    starts = np.array([e[0] for e in events if e[3] == "visit_start"])
    hours = np.unique(np.floor(starts).astype(int) % 168)
    assert hours.size == 168


# -- week_roster, roster_changes, staffed_hours --------------------------------------------


def _team(**keys):
    """The validated spec of a team with the given staffing keys."""
    return team_scenario(keys, 1.0, {"dist": "fixed", "mean": 60}).services["ucr"]


def _hours(*ranges: range) -> set[int]:
    return {h % 168 for r in ranges for h in r}


@pytest.mark.parametrize(
    "keys,on",
    [
        (
            {"staff": 3, "open_hours": "08-20"},
            _hours(*(range(24 * d + 8, 24 * d + 20) for d in range(7))),
        ),
        (
            {"staff": 3, "open_hours": "08-20", "open_days": "mon-fri"},
            _hours(*(range(24 * d + 8, 24 * d + 20) for d in range(5))),
        ),
        ({"staff": 3}, set(range(168))),
        ({"staff": 3, "open_hours": "00-24", "open_days": "sat,sun"}, set(range(120, 168))),
        # Overnight: 20:00 to 08:00 the next morning, every night.
        (
            {"staff": 3, "open_hours": "20-08"},
            _hours(*(range(24 * d + 20, 24 * d + 32) for d in range(7))),
        ),
        # Monday night only: Monday 20:00 to Tuesday 08:00.
        ({"staff": 3, "open_hours": "20-08", "open_days": "mon"}, set(range(20, 32))),
        # Sunday night wraps into Monday morning of the same (every) week.
        (
            {"staff": 3, "open_hours": "20-08", "open_days": "sun"},
            set(range(164, 168)) | set(range(8)),
        ),
        (
            {"staff": 3, "open_hours": "22-06", "open_days": "fri-mon"},
            _hours(*(range(24 * d + 22, 24 * d + 30) for d in (4, 5, 6, 0))),
        ),
    ],
    ids=[
        "08-20",
        "mon-fri",
        "24/7",
        "weekend",
        "20-08 nightly",
        "20-08 mon",
        "20-08 sun",
        "22-06 fri-mon",
    ],
)
def test_week_roster(keys: dict, on: set[int]) -> None:
    week = week_roster(_team(**keys))
    assert week.shape == (168,)
    expected = np.array([3 if h in on else 0 for h in range(168)])
    assert np.array_equal(week, expected), np.flatnonzero(week != expected)


def test_explicit_roster_is_used_as_given() -> None:
    week = week_roster(_team(roster=EXPLICIT_ROSTER))
    assert week.tolist() == EXPLICIT_ROSTER


def test_staff_zero_gives_an_empty_roster() -> None:
    assert week_roster(_team(staff=0, open_hours="08-20")).sum() == 0


@pytest.mark.parametrize("warmup", [0, 30, 200])
def test_roster_changes_and_staffed_hours(warmup: int) -> None:
    week = np.array(EXPLICIT_ROSTER)
    clock = Clock(warmup, 3 * 168 + 5)
    staff0, changes = roster_changes(week, clock)
    by_hour = [int(week[(h - warmup) % 168]) for h in range(clock.horizon_hours)]
    assert staff0 == by_hour[0]
    expected = [
        (float(h), by_hour[h])
        for h in range(1, clock.horizon_hours)
        if by_hour[h] != by_hour[h - 1]
    ]
    assert changes == expected
    assert staffed_hours(week, clock, warmup, clock.horizon_hours) == float(sum(by_hour[warmup:]))
    assert staffed_hours(week, clock, 0, clock.horizon_hours) == float(sum(by_hour))


def _day_starts(events, hour: int, days: range) -> list[int]:
    """Visits started at ``hour``:00 exactly on each of ``days`` (simulation days)."""
    starts = [e[0] for e in events if e[3] == "visit_start"]
    return [sum(1 for t in starts if t == 24.0 * d + hour) for d in days]


# Day shift of 3 clinicians 08-20, night shift of 1; 5-hour visits and a queue all the
# time. The day shift starts visits at 08, 13 and 18, still running at 20:00: the night
# clinician starts on the queue at 20:00 at once, and the day clinicians finish at
# 23:00 (3 hours of overtime each). The night clinician's visits start at 20, 01 and
# 06; the last runs to 11:00: the day shift starts on the queue at 08:00, all three,
# and the night clinician works 3 hours over. (The first day, a warm-up, lines the
# visits up on the shifts.)
DAY_NIGHT_ROSTER = ([1] * 8 + [3] * 12 + [1] * 4) * 7


def test_the_next_shift_starts_while_the_last_finishes() -> None:
    days = 7
    scen = team_scenario(
        {"roster": DAY_NIGHT_ROSTER}, 5.0, {"dist": "fixed", "mean": 300}, days, warmup_hours=24
    )
    events: list = []
    tally = run_replication(scen, seed=1, log=lambda *e: events.append(e[:5]))
    measured = range(1, days + 1)
    assert _day_starts(events, 20, measured) == [1] * days
    assert _day_starts(events, 8, measured) == [3] * days
    assert _day_starts(events, 18, measured) == [3] * days
    assert _day_starts(events, 6, measured) == [1] * days
    # overtime each day: the three day clinicians 20-23 and the night one 08-11
    overtime = (3 * 3.0 + 3.0) * days
    assert tally.services["ucr"].overtime_hours == pytest.approx(overtime, abs=1e-9)


# A visit that ends at the very instant a shift ends does not hand its clinician the
# next patient: the shift change comes first, and the next shift's clinicians take the
# queue. Here: 1 clinician 08-17, 2 for 17-18, none from 18:00; 3-hour visits started
# at 08, 11 and 14 end at 17:00 exactly, when two fresh clinicians start (not three),
# and no visit starts from 18:00 to 08:00.
HANDOVER_ROSTER = ([0] * 8 + [1] * 9 + [2] + [0] * 6) * 7


def test_a_visit_ending_at_a_shift_change_hands_nobody_on() -> None:
    days = 7
    scen = team_scenario(
        {"roster": HANDOVER_ROSTER}, 5.0, {"dist": "fixed", "mean": 180}, days, warmup_hours=0
    )
    events: list = []
    tally = run_replication(scen, seed=1, log=lambda *e: events.append(e[:5]))
    week = week_roster(scen.services["ucr"])
    off = [e for e in events if e[3] == "visit_start" and staff_at(week, tally.clock, e[0]) == 0]
    assert off == []
    assert _day_starts(events, 17, range(days)) == [2] * days
    # the two 17:00 visits run to 20:00: 2 hours of overtime each, every day
    assert tally.services["ucr"].overtime_hours == pytest.approx(2 * 2.0 * days, abs=1e-9)

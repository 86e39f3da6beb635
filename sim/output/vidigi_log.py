"""From nhsim's event log to vidigi's: the rows and the layout an animation is drawn from.

nhsim's event log (``docs/reference/event-log.md``) has one row per movement:
``(time_hours, patient, service, event, detail)``. vidigi
(https://github.com/Bergam0t/vidigi) animates a log in which each entity, at any
moment, is in exactly one *stage*: queuing (``event_type = "queue"``) or using a
numbered resource (``"resource_use"`` ... ``"resource_use_end"``), between one
``arrival`` and one ``depart`` (``"arrival_departure"``). This module turns the one
into the other, for a window of one replication, and lays the stages out:

- :func:`record_window` runs a replication and keeps its rows up to the window's end
  (the run stops there: what happens later cannot change what came before);
- :func:`to_vidigi` replays the rows from time 0 (so that beds, clinicians and queues
  hold the right patients when the window opens) and writes vidigi's rows for the
  window; the mapping, event by event, is in ``docs/reference/event-log.md``
  ("Animation (vidigi)");
- :func:`layout` places each stage on the canvas and :func:`capacities` gives the
  number of resources drawn at each (both from :mod:`sim.output.vidigi_layout`).

Resource numbers are not in nhsim's log (the engine counts busy clinicians and beds,
it does not name them): the adapter gives each patient the lowest number free when
they start, so a number never exceeds the clinicians on shift (or the beds) at that
moment. Acute beds are filled in the engine's order, first come first served, so the
adapter can tell when a patient who waited in the ED for a bed got one, which the log
does not record.

The module needs nothing beyond the standard library and the engine; vidigi, plotly
and pandas are needed only by :mod:`sim.output.animation`.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sim.engine.calendar import Clock
from sim.engine.core import run_replication
from sim.output.vidigi_layout import ARRIVAL, DEPART, Stage, capacities, layout, stages
from sim.scenario.model import HOME, Scenario

__all__ = [
    "ARRIVAL",
    "DEPART",
    "STATUSES",
    "LogRow",
    "Stage",
    "VidigiRow",
    "capacities",
    "layout",
    "record_window",
    "stages",
    "to_vidigi",
    "window",
]


NORMAL = "Waiting or in care"
ESCALATED = "Escalated: not reached in time"
TURNED_AWAY = "Sent on: service full"
DELAYED = "Delayed discharge"
STATUSES = (NORMAL, ESCALATED, TURNED_AWAY, DELAYED)
"""A patient's ``status`` (the colour of their icon), in order of precedence: a delayed
discharge shows while it lasts; escalated and sent-on stay with the patient."""

WINDOW_START = "window_start"
WINDOW_END = "window_end"
"""``source_event`` of the rows that cut a patient at the edges of the window."""


class LogRow(NamedTuple):
    """One row of nhsim's event log."""

    time_hours: float
    patient: int
    service: str
    event: str
    detail: str


@dataclass(frozen=True)
class VidigiRow:
    """One row of vidigi's event log, with the nhsim row it comes from.

    ``time`` is in **minutes** from the start of the simulation (the warm-up's start),
    like the nhsim row's ``time_hours`` × 60, except that an ED attendance is held on
    screen for ``hold_minutes`` (see :func:`to_vidigi`). The ``source_*`` fields name
    the nhsim row that caused it, which is another patient's when a bed freed by one
    patient is taken by a patient waiting in the ED for it."""

    entity_id: int
    event_type: str
    event: str
    time: float
    pathway: str
    status: str
    resource_id: int | None
    source_time_hours: float
    source_patient: int
    source_service: str
    source_event: str
    run_number: int = 0


def window(scenario: Scenario, days: float) -> tuple[float, float]:
    """Start and end (simulation hours) of ``days`` days from the end of the warm-up,
    cut at the end of the run."""
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not days > 0:
        raise ValueError(f"days must be a number > 0, got {days!r}")
    if not math.isfinite(days):
        raise ValueError(f"days must be finite, got {days!r}")
    clock = Clock.from_days(scenario.run.warmup_days, scenario.run.days)
    start = float(clock.warmup_hours)
    return start, min(start + float(days) * 24.0, float(clock.horizon_hours))


class _WindowEnd(Exception):
    """Raised by the recorder to stop the run at the end of the window."""


def record_window(scenario: Scenario, seed: int, end_hours: float) -> list[LogRow]:
    """The event log of one replication from time 0 to ``end_hours``.

    The run stops at the first movement after ``end_hours``: no later event can change
    an earlier one, so the rows are those of the whole replication up to that time."""
    rows: list[LogRow] = []
    append = rows.append

    def log(
        time: float, patient: int, service: str, event: str, detail: str, *more: object
    ) -> None:
        # (a log may pass more fields after these five, such as the cohort: not needed here)
        if time > end_hours:
            raise _WindowEnd
        append(LogRow(time, patient, service, event, detail))

    try:
        run_replication(scenario, seed, log=log)
    except _WindowEnd:
        pass
    return rows


@dataclass
class _Patient:
    pathway: str
    stage: str | None = None
    resource: int | None = None
    flag: str = NORMAL
    delayed: bool = False
    shown_from: float = 0.0  # hours: rows before this are drawn at this time (ED hold)

    @property
    def status(self) -> str:
        return DELAYED if self.delayed else self.flag


class _Ids:
    """Resource numbers 1, 2, ...: each start takes the lowest number free."""

    def __init__(self) -> None:
        self._free: list[int] = []
        self._next = 1

    def take(self) -> int:
        if self._free:
            return heapq.heappop(self._free)
        self._next += 1
        return self._next - 1

    def give(self, rid: int) -> None:
        heapq.heappush(self._free, rid)


@dataclass
class _Replay:
    """Replays nhsim's rows in order, moving patients between stages, and writes the
    vidigi rows of those moves that fall in the window."""

    scenario: Scenario
    start: float
    end: float
    hold: float
    run_number: int
    initial: int
    kinds: dict[str, str] = field(default_factory=dict)
    resource_stages: set[str] = field(default_factory=set)
    ids: dict[str, _Ids] = field(default_factory=dict)
    boarding: dict[str, deque[int]] = field(default_factory=dict)
    free_beds: dict[str, int] = field(default_factory=dict)
    patients: dict[int, _Patient] = field(default_factory=dict)
    out: list[VidigiRow] = field(default_factory=list)
    opened: bool = False
    row: LogRow | None = None

    def __post_init__(self) -> None:
        self.kinds = {name: spec.kind for name, spec in self.scenario.services.items()}
        for s in stages(self.scenario):
            if s.event_type == "resource_use":
                self.resource_stages.add(s.event)
                self.ids[s.event] = _Ids()
        for name, spec in self.scenario.services.items():
            beds = getattr(spec, "beds", None)
            if spec.kind == "acute" and beds is not None:  # patients board in the ED
                self.boarding[name] = deque()
                self.free_beds[name] = beds

    # -- writing ---------------------------------------------------------------
    def _emit(
        self, pid: int, event_type: str, event: str, now: float, resource_id: int | None = None
    ) -> None:
        if not self.opened:
            return
        p = self.patients[pid]
        t = min(max(now, p.shown_from), self.end)
        assert self.row is not None
        self.out.append(
            VidigiRow(
                pid,
                event_type,
                event,
                t * 60.0,
                p.pathway,
                p.status,
                resource_id,
                self.row.time_hours,
                self.row.patient,
                self.row.service,
                self.row.event,
                self.run_number,
            )
        )

    def _stage_row(self, pid: int, now: float) -> None:
        p = self.patients[pid]
        if p.stage is None:
            return
        if p.stage in self.resource_stages:
            self._emit(pid, "resource_use", p.stage, now, p.resource)
        else:
            self._emit(pid, "queue", p.stage, now)

    def open_window(self) -> None:
        """The window opens: everyone in the model arrives at its start, where they are."""
        self.opened = True
        self.row = LogRow(self.start, 0, "", WINDOW_START, "")
        for pid, p in self.patients.items():
            if p.stage is None:
                continue
            self.row = LogRow(self.start, pid, "", WINDOW_START, "")
            self._emit(pid, "arrival_departure", ARRIVAL, self.start)
            self._stage_row(pid, self.start)

    def close_window(self) -> None:
        """The window closes: everyone still in the model departs at its end."""
        if not self.opened:
            self.open_window()
        for pid, p in self.patients.items():
            if p.stage is not None:
                self.row = LogRow(self.end, pid, "", WINDOW_END, "")
                self._emit(pid, "arrival_departure", DEPART, self.end)

    # -- moves -----------------------------------------------------------------
    def _patient(self, pid: int, now: float, service: str) -> _Patient:
        p = self.patients.get(pid)
        if p is None:
            pathway = "initial" if pid <= self.initial else service
            p = self.patients[pid] = _Patient(pathway)
            self._emit(pid, "arrival_departure", ARRIVAL, now)
        return p

    def _release(self, pid: int, now: float) -> None:
        """The patient leaves the resource they hold (a resource_use_end row)."""
        p = self.patients[pid]
        if p.stage in self.resource_stages and p.resource is not None:
            self._emit(pid, "resource_use_end", p.stage, now, p.resource)
            self.ids[p.stage].give(p.resource)
        p.resource = None
        p.stage = None

    def _move(self, pid: int, stage: str, now: float) -> None:
        """The patient leaves where they are and enters ``stage``."""
        self._release(pid, now)
        p = self.patients[pid]
        p.stage = stage
        if stage in self.resource_stages:
            p.resource = self.ids[stage].take()
        self._stage_row(pid, now)

    def _depart(self, pid: int, now: float) -> None:
        self._release(pid, now)
        self._emit(pid, "arrival_departure", DEPART, now)
        del self.patients[pid]

    def _restate(self, pid: int, now: float) -> None:
        """The patient's status changed where they are: their stage row again."""
        self._stage_row(pid, now)

    def _acute_bed_frees(self, acute: str, now: float) -> None:
        """A bed of ``acute`` frees: the first patient waiting in the ED for one takes it."""
        if acute not in self.free_beds:
            return
        self.free_beds[acute] += 1
        queue = self.boarding[acute]
        if queue:
            self.free_beds[acute] -= 1
            self._move(queue.popleft(), f"{acute}.bed", now)

    def _leave_acute(self, pid: int, acute: str, now: float) -> None:
        self.patients[pid].delayed = False
        self._release(pid, now)
        self._acute_bed_frees(acute, now)

    # -- replay ----------------------------------------------------------------
    def play(self, rows: Sequence[LogRow]) -> list[VidigiRow]:
        for i, row in enumerate(rows):
            if not self.opened and row.time_hours >= self.start:
                self.open_window()
            self.row = row
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            self._apply(row, nxt)
        self.close_window()
        return self.out

    def _apply(self, row: LogRow, nxt: LogRow | None) -> None:
        now, pid, svc, event, detail = row
        kind = self.kinds.get(svc)
        p = self._patient(pid, now, svc)
        home = detail == HOME
        if kind == "community_response":
            if event == "referred":
                self._move(pid, f"{svc}.wait", now)
            elif event == "visit_start":
                self._move(pid, f"{svc}.visit", now)
            elif event in ("visit_end", "escalated"):
                if event == "escalated":
                    p.flag = ESCALATED
                self._release(pid, now)
                if home:
                    self._depart(pid, now)
        elif kind == "hub":
            if event == "hub_call":
                self._move(pid, f"{svc}.wait", now)
            elif event == "hub_answered":
                self._move(pid, f"{svc}.call", now)
            elif event in ("diverted", "not_diverted"):
                if detail.startswith("no_capacity"):
                    p.flag = TURNED_AWAY if p.flag == NORMAL else p.flag
                self._release(pid, now)
                if home:
                    self._depart(pid, now)
        elif kind == "ambulance":
            if event == "call":
                self._move(pid, f"{svc}.scene", now)
            elif event == "treated_on_scene":
                self._depart(pid, now)
            elif event == "conveyed":
                self._move(pid, f"{svc}.convey", now)
        elif kind == "ed":
            self._move(pid, f"{svc}.attend", now)
            p.shown_from = now + self.hold
            if home:
                self._depart(pid, now + self.hold)
        elif kind == "acute":
            self._acute(row, nxt, p)
        elif kind in ("virtual_ward", "intermediate_care"):
            self._pool(row, p)
        elif kind == "outcome":
            self._depart(pid, now)

    def _acute(self, row: LogRow, nxt: LogRow | None, p: _Patient) -> None:
        now, pid, svc, event, detail = row
        finite = svc in self.free_beds
        if event == "admitted":
            placed = now == 0.0 and pid <= self.initial  # initial_occupancy: in a bed
            if not finite:
                self._move(pid, f"{svc}.bed", now)
            elif placed or (self.free_beds[svc] > 0 and not self.boarding[svc]):
                self.free_beds[svc] -= 1
                self._move(pid, f"{svc}.bed", now)
            else:
                self._move(pid, f"{svc}.boarding", now)
                self.boarding[svc].append(pid)
        elif event == "arranging_discharge":
            p.delayed = True
            self._restate(pid, now)
        elif event == "ready_for_discharge":
            waits = nxt is not None and nxt.patient == pid and nxt.event == "waiting_in_acute"
            if waits:
                return  # stays in the bed: the step-down service's row says so
            self._leave_acute(pid, svc, now)
            if detail == HOME:
                self._depart(pid, now)

    def _pool(self, row: LogRow, p: _Patient) -> None:
        now, pid, svc, event, detail = row
        if event == "waiting_in_acute":
            p.delayed = True
            self._restate(pid, now)
        elif event == "admitted":
            held = p.stage.rsplit(".", 1)[0] if p.stage is not None else ""
            if self.kinds.get(held) == "acute":  # a step-down that waited in the acute bed
                self._leave_acute(pid, held, now)
            self._move(pid, f"{svc}.bed", now)
        elif event == "discharged":
            self._release(pid, now)
            if detail == HOME:
                self._depart(pid, now)
        elif event == "blocked":
            p.flag = TURNED_AWAY if p.flag == NORMAL else p.flag
            if detail == HOME:
                self._depart(pid, now)


def to_vidigi(
    rows: Sequence[LogRow],
    scenario: Scenario,
    start_hours: float,
    end_hours: float,
    hold_minutes: float = 20.0,
    run_number: int = 0,
) -> list[VidigiRow]:
    """vidigi's rows for the window ``[start_hours, end_hours]`` of a replication's log.

    ``rows`` must start at time 0 (see :func:`record_window`): the state at the window's
    start (who is waiting, who holds which bed) is worked out from them. A patient
    present when the window opens arrives at its start; one still present when it
    closes departs at its end.

    An ED attendance takes no time in the model; so that it can be seen, each is held on
    screen at the ED for ``hold_minutes`` (one frame is enough), and the patient's next
    rows are drawn no earlier than the end of the hold."""
    initial = sum(getattr(spec, "initial_occupancy", 0) or 0 for spec in scenario.services.values())
    replay = _Replay(scenario, start_hours, end_hours, hold_minutes / 60.0, run_number, initial)
    return replay.play(rows)

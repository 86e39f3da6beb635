"""A first-come-first-served queue served by rostered clinicians, on SimPy callbacks.

The machinery of the clinical hub, whose every call must end in an event (the
clinician's decision). Community response teams, whose visits mostly end at home,
work each start out at arrival instead (:mod:`sim.engine.schedule`). Patients are
not SimPy processes: an arrival costs no event of its own here, a call costs one
(its end). Because everyone in a queue has the same patience, deadlines
fall in queue order, so one watchdog timeout per queue, re-armed for the head,
lets each patient go at the exact moment. Every change in the number on duty is a
shift change (as in :mod:`sim.engine.schedule`): the clinicians on duty end their
shift, those on a call or visit finish it (overtime) and then go off duty, and the
next shift's clinicians, all free, take patients from the queue at once. Roster
changes cost one event each (hundreds a year).

A queue entry is a tuple ``(deadline, arrived, patient, duration, *payload)``; a call
or visit in progress carries the shift it started in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

from sim.engine.calendar import Clock
from sim.engine.level import Level
from sim.engine.patient import Patient
from sim.engine.roster import Roster
from sim.engine.service import Service
from sim.scenario.model import Staffed

__all__ = ["StaffedQueue"]

_EPS = 1e-9
INF = float("inf")


class StaffedQueue(Service):
    """Queue, roster, patience and busy-time accounting; subclasses say what happens."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: Staffed,
        clock: Clock,
        patience_hours: float,
        log: Callable[..., None] | None,
    ) -> None:
        self.env = env
        self.name = name
        self.clock = clock
        self._log = log
        self.patience = patience_hours
        self.roster = Roster(spec, clock)
        self.on_shift, self._changes = self.roster.on_shift_at_start, self.roster.changes
        self._busy = Level()
        self._overtime = Level()
        self._next_change = 0
        """Roster changes applied so far: the number of the shift on duty."""
        self.busy = 0
        """Clinicians of the shift on duty on a call or visit."""
        self.finishing = 0
        """Clinicians whose shift has ended, finishing a call or visit (overtime)."""
        self.queue: deque[tuple[Any, ...]] = deque()
        self._watch_armed = False
        self._route: Callable[[str], Callable[[Patient], None]] | None = None
        self._end_cb = self._end  # bound once: the callback of every visit or call
        self.reset(0.0)

    target = INF
    """Waits up to this many hours count in ``within_target``."""
    start_event = "started"
    """The event-log name of the start of work."""

    # -- subclass hooks ------------------------------------------------------

    def finished(self, entry: tuple[Any, ...], now: float) -> None:
        """Work on ``entry`` ended."""

    def gave_up(self, entry: tuple[Any, ...], now: float) -> None:
        """``entry`` waited longer than the patience."""

    # -- measurement -----------------------------------------------------------
    def reset(self, now: float) -> None:
        """Start measuring: zero the counters (called at the end of the warm-up)."""
        self.arrivals = 0
        self.started_count = 0
        self.within_target = 0
        self.wait_sum = 0.0
        self.reneged = 0
        self._busy.reset(now)
        self._overtime.reset(now)
        self.in_system_start = self.holding

    def _advance(self, now: float) -> None:
        """Bring the busy and overtime clinician-hours up to ``now``."""
        self._busy.advance(now)
        self._overtime.advance(now)

    def _levels(self) -> None:
        """Busy or finishing have changed: the levels to measure from here."""
        self._busy.level = self.busy + self.finishing
        self._overtime.level = self.finishing

    def base_tally(self, now: float) -> dict[str, Any]:
        """The fields of :class:`~sim.engine.roster.StaffedTally`, for a subclass's tally."""
        self._advance(now)
        return {
            "busy_hours": self._busy.area,
            "overtime_hours": self._overtime.area,
            "staffed_hours": self.roster.measured_staffed_hours(now),
            "in_system_start": self.in_system_start,
            "in_system_end": self.holding,
            "waiting_end": len(self.queue),
            "busy_end": self.busy + self.finishing,
        }

    @property
    def holding(self) -> int:
        """Patients with this service now (waiting or being seen)."""
        return len(self.queue) + self.busy + self.finishing

    def can_take_now(self) -> bool:
        """Open, with a clinician of the shift on duty free and no one waiting."""
        return self.busy < self.on_shift and not self.queue

    # -- flow --------------------------------------------------------------------
    def start(self) -> None:
        """Schedule the roster's change points."""
        if self._changes:
            self.env.timeout(self._changes[0][0], 0).callbacks.append(self._roster_change)

    def enqueue(self, entry: tuple[Any, ...], now: float) -> None:
        """A patient arrives: start now if someone is free, otherwise wait."""
        self.arrivals += 1
        if self.busy < self.on_shift and not self.queue:
            self._start(entry, now)
        else:
            self.queue.append(entry)
            if not self._watch_armed and self.patience != INF:
                self._arm(entry[0] - now)

    def _start(self, entry: tuple[Any, ...], now: float) -> None:
        self._advance(now)
        self.busy += 1
        self._levels()
        wait = now - entry[1]
        self.started_count += 1
        self.wait_sum += wait
        if wait <= self.target:
            self.within_target += 1
        if self._log is not None:
            patient = entry[2]
            self._log(now, patient.id, self.name, self.start_event, f"{wait:.6f}", patient.cohort)
        Timeout(self.env, entry[3], (entry, self._next_change)).callbacks.append(self._end_cb)

    def _end(self, ev: Any) -> None:
        now = self.env.now
        entry, shift = ev.value
        # a shift change at this same instant applies first: it ends this clinician's
        # shift, so they hand no patient on (the next shift's clinicians take them)
        if (
            self._next_change < len(self._changes)
            and self._changes[self._next_change][0] <= now + _EPS
        ):
            self._apply_roster(now)
        self._advance(now)
        if shift == self._next_change:
            self.busy -= 1
        else:
            self.finishing -= 1
        self._levels()
        self.finished(entry, now)
        if self.queue and self.busy < self.on_shift:
            self._dispatch(now)

    def _dispatch(self, now: float) -> None:
        queue = self.queue
        while queue and self.busy < self.on_shift:
            self._start(queue.popleft(), now)

    def _arm(self, delay: float) -> None:
        self._watch_armed = True
        self.env.timeout(max(delay, 0.0)).callbacks.append(self._watch)

    def _watch(self, ev: Any) -> None:
        self._watch_armed = False
        now = self.env.now
        queue = self.queue
        while queue and queue[0][0] <= now + _EPS:
            self.reneged += 1
            self.gave_up(queue.popleft(), now)
        if queue:
            self._arm(queue[0][0] - now)

    def _apply_roster(self, now: float) -> None:
        """Apply every roster change due by ``now`` (idempotent): the shift on duty ends
        (its busy clinicians finish in overtime) and the next starts, all free."""
        changes = self._changes
        while self._next_change < len(changes) and changes[self._next_change][0] <= now + _EPS:
            self._advance(now)
            self.finishing += self.busy
            self.busy = 0
            self.on_shift = changes[self._next_change][1]
            self._levels()
            self._next_change += 1

    def _roster_change(self, ev: Any) -> None:
        now = self.env.now
        index = ev.value or 0
        self._apply_roster(now)
        if index + 1 < len(self._changes):
            nxt = self.env.timeout(self._changes[index + 1][0] - now, index + 1)
            nxt.callbacks.append(self._roster_change)
        if self.queue and self.busy < self.on_shift:
            self._dispatch(now)

"""A community response team (UCR, same-day home visiting) on SimPy callbacks.

Patients are not SimPy processes. A referral costs one event (its arrival, owned by
the demand stream); a visit costs one event (its end). Waiting patients sit in a
first-come-first-served deque. Because every patient has the same patience, their
deadlines fall in queue order, so a single watchdog timeout per team, re-armed for
the head of the queue, escalates each patient at the exact moment. Staff on shift
minus staff busy may go negative at a shift change: visits in progress finish
(recorded as overtime) and none start until someone is free.

Each referral draws its visit length, its after-visit route and its escalation route
when it arrives, from the team's own named streams, so the n-th referral gets the
same draws whatever the team's capacity (common random numbers).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

from sim.calendar import Clock
from sim.engine.patient import Patient
from sim.roster import roster_changes, staffed_hours, week_roster
from sim.scenario.model import CommunityResponse
from sim.streams import Streams

__all__ = ["CommunityResponseTeam"]

_EPS = 1e-9


class CommunityResponseTeam:
    """One team: queue, roster, visits, escalation and onward routes."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: CommunityResponse,
        streams: Streams,
        clock: Clock,
        log: Callable[..., None] | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.clock = clock
        self._log = log
        self.target = spec.target_hours
        self.patience = spec.patience_hours if spec.patience_hours is not None else float("inf")
        self._visit = streams.sampler(f"{name}.visit", spec.visit_minutes.sample, 1.0 / 60.0)
        self.after_names = list(spec.after_visit)
        self._after = streams.choice(f"{name}.after_visit", list(spec.after_visit.values()))
        esc = spec.escalation or {}
        self.escalation_names = list(esc)
        self._escalate_to = streams.choice(f"{name}.escalation", list(esc.values())) if esc else None
        self._after_targets: list[Callable[[Patient], None]] = []
        self._esc_targets: list[Callable[[Patient], None]] = []

        self.week = week_roster(spec)
        self.on_shift, self._changes = roster_changes(self.week, clock)
        self.busy = 0
        self.queue: deque[tuple[float, float, Patient, float, int, int]] = deque()
        self._watch_armed = False
        self._reset_counters(0.0)

    # -- wiring -------------------------------------------------------------
    def wire(self, resolve: Callable[[str], Callable[[Patient], None]]) -> None:
        """Connect the team's routes to the services they name."""
        self._after_targets = [resolve(n) for n in self.after_names]
        self._esc_targets = [resolve(n) for n in self.escalation_names]

    def start(self) -> None:
        """Schedule the roster's change points."""
        if self._changes:
            self._next_change = 0
            ev = self.env.timeout(self._changes[0][0])
            ev.callbacks.append(self._roster_change)

    # -- measurement ----------------------------------------------------------
    def _reset_counters(self, now: float) -> None:
        self.t_mark = now
        self.referrals = 0
        self.seen = 0
        self.within_target = 0
        self.wait_sum = 0.0
        self.escalated = [0] * len(self.escalation_names)
        self.outcomes = [0] * len(self.after_names)
        self.busy_area = 0.0
        self.overtime_area = 0.0
        self.in_system_start = len(self.queue) + self.busy

    def reset(self, now: float) -> None:
        """Start measuring: called once at the end of the warm-up."""
        self._reset_counters(now)

    def _advance(self, now: float) -> None:
        dt = now - self.t_mark
        if dt > 0.0:
            busy = self.busy
            self.busy_area += busy * dt
            if busy > self.on_shift:
                self.overtime_area += (busy - self.on_shift) * dt
            self.t_mark = now

    def finish(self, now: float) -> dict[str, Any]:
        """Close the accumulators at the end of the run and report raw tallies."""
        self._advance(now)
        start = now - self.clock.measured_hours
        return {
            "referrals": self.referrals,
            "seen": self.seen,
            "within_target": self.within_target,
            "wait_sum": self.wait_sum,
            "escalated": dict(zip(self.escalation_names, self.escalated)),
            "outcomes": dict(zip(self.after_names, self.outcomes)),
            "busy_hours": self.busy_area,
            "overtime_hours": self.overtime_area,
            "staffed_hours": staffed_hours(self.week, self.clock, start, now),
            "in_system_start": self.in_system_start,
            "waiting_end": len(self.queue),
            "visiting_end": self.busy,
        }

    # -- patient flow ----------------------------------------------------------
    def refer(self, patient: Patient) -> None:
        """A referral arrives: visit now if someone is free, otherwise queue."""
        now = self.env.now
        self.referrals += 1
        entry = (
            now + self.patience,
            now,
            patient,
            self._visit(),
            self._after(),
            self._escalate_to() if self._escalate_to is not None else -1,
        )
        if self._log is not None:
            self._log(now, patient.id, self.name, "referred", "")
        if self.busy < self.on_shift and not self.queue:
            self._start(entry, now)
        else:
            self.queue.append(entry)
            if not self._watch_armed and self.patience != float("inf"):
                self._arm(entry[0] - now)

    def _start(self, entry: tuple[float, float, Patient, float, int, int], now: float) -> None:
        self._advance(now)
        self.busy += 1
        wait = now - entry[1]
        self.seen += 1
        self.wait_sum += wait
        if wait <= self.target:
            self.within_target += 1
        if self._log is not None:
            self._log(now, entry[2].id, self.name, "visit_start", f"{wait:.6f}")
        ev = self.env.timeout(entry[3], entry)
        ev.callbacks.append(self._end)

    def _end(self, ev: simpy.Event) -> None:
        entry = ev.value
        now = self.env.now
        self._advance(now)
        self.busy -= 1
        dest = entry[4]
        self.outcomes[dest] += 1
        if self._log is not None:
            self._log(now, entry[2].id, self.name, "visit_end", self.after_names[dest])
        self._after_targets[dest](entry[2])
        if self.queue and self.busy < self.on_shift:
            self._dispatch(now)

    def _dispatch(self, now: float) -> None:
        queue = self.queue
        while queue and self.busy < self.on_shift:
            self._start(queue.popleft(), now)

    # -- patience ----------------------------------------------------------------
    def _arm(self, delay: float) -> None:
        self._watch_armed = True
        ev = self.env.timeout(max(delay, 0.0))
        ev.callbacks.append(self._watch)

    def _watch(self, ev: simpy.Event) -> None:
        self._watch_armed = False
        now = self.env.now
        queue = self.queue
        while queue and queue[0][0] <= now + _EPS:
            entry = queue.popleft()
            dest = entry[5]
            self.escalated[dest] += 1
            if self._log is not None:
                self._log(now, entry[2].id, self.name, "escalated", self.escalation_names[dest])
            self._esc_targets[dest](entry[2])
        if queue:
            self._arm(queue[0][0] - now)

    # -- roster ------------------------------------------------------------------
    def _roster_change(self, ev: simpy.Event) -> None:
        now = self.env.now
        self._advance(now)
        self.on_shift = self._changes[self._next_change][1]
        self._next_change += 1
        if self._next_change < len(self._changes):
            nxt = self.env.timeout(self._changes[self._next_change][0] - now)
            nxt.callbacks.append(self._roster_change)
        if self.queue and self.busy < self.on_shift:
            self._dispatch(now)

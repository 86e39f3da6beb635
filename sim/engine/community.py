"""A community response team (UCR, same-day home visiting).

Referrals queue first come, first served for the next free clinician on shift; a
visit in progress at the end of a clinician's shift finishes (overtime) while the next
shift's clinicians start on the queue, and none starts off shift; a referral not
reached within ``patience_hours`` escalates. Because the queue
is first come, first served, each referral's start is worked out when it arrives
(:class:`~sim.engine.schedule.FcfsSchedule`), so a visit costs a SimPy event only
when something must happen at its end: the patient goes on to another service, or
the event log records it. A visit that ends at home costs no event, and its counts
are booked for the moment it ends. An escalation is an event at the deadline.

With the event log on, every visit's end is an event, and a visit that starts when an
earlier one ends (or at a shift change) writes its ``visit_start`` row from that
event, just after it, so the log reads in the order things happened.

Each referral draws its visit length, its after-visit route and its escalation route
when it arrives, from the team's own named streams, so the n-th referral gets the
same draws whatever the team's capacity (common random numbers).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy
from simpy.events import Timeout

from sim.engine.calendar import Clock
from sim.engine.outcome import Exit
from sim.engine.patient import Patient
from sim.engine.roster import Roster, StaffedTally
from sim.engine.schedule import AT_END, AT_SHIFT, NEVER, RENEGE, FcfsSchedule
from sim.engine.service import BuildContext, Entry, Network, NewPatient, Service
from sim.engine.streams import Streams
from sim.scenario.model import CommunityResponse

__all__ = ["CommunityResponseTeam", "TeamTally"]

INF = float("inf")


@dataclass
class TeamTally(StaffedTally):
    """What a community response team reports."""

    referrals: int
    seen: int
    """Visits started in the measured period."""
    within_target: int
    """Visits started within the response target."""
    wait_sum: float
    """Hours from referral to visit, summed over the visits started."""
    escalated: dict[str, int]
    """Patients not reached in time, by escalation route."""
    outcomes: dict[str, int]
    """Visits ended, by after-visit route."""
    visit_hours_mean: float = float("nan")
    """The mean of the scenario's visit length (for the offered load)."""


class CommunityResponseTeam(Service):
    """One team: visits, the response target, escalation and onward routes."""

    kind = "community_response"

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
        self.patience = spec.patience_hours if spec.patience_hours is not None else INF
        self.target = spec.target_hours
        self.roster = Roster(spec, clock)
        self._changes = self.roster.changes
        self.schedule = FcfsSchedule(self.roster.on_shift_at_start, self._changes)
        self._assign = self.schedule.assign
        # the measured window: counts booked ahead of time go in only if they fall in it
        self._w0 = float(clock.warmup_hours)
        self._w1 = float(clock.horizon_hours)
        self._visit = streams.sampler(f"{name}.visit", spec.visit_minutes.sample, 1.0 / 60.0)
        self._visit_hours_mean = spec.visit_minutes.mean / 60.0
        self.after_names = list(spec.after_visit)
        self._after = streams.choice(f"{name}.after_visit", list(spec.after_visit.values()))
        esc = spec.escalation or {}
        self.escalation_names = list(esc)
        # no escalation route (no patience): -1, drawing nothing
        self._escalate_to = (
            streams.choice(f"{name}.escalation", list(esc.values()))
            if esc
            else itertools.repeat(-1).__next__
        )
        self._after_targets: list[Callable[[Patient], None]] = []
        self._esc_targets: list[Callable[[Patient], None]] = []
        self._exit: Exit | None = None
        self._quiet_end: list[bool] = []
        self._end_cb = self._visit_end
        self._end_events: dict[float, simpy.Event] = {}  # with the log: visit ends to come
        self._shift_events: dict[float, simpy.Event] = {}
        # booked when a visit is scheduled, for the moment it happens (never reset)
        self.started_count = 0
        self.within_target = 0
        self.wait_sum = 0.0
        self.busy_area = 0.0
        self.overtime_area = 0.0
        self.ended_home = [0] * len(self.after_names)
        self.reset(0.0)

    @classmethod
    def build(cls, name: str, spec: CommunityResponse, context: BuildContext) -> Service:
        return cls(context.env, name, spec, context.streams, context.clock, context.log)

    def entry(self) -> Entry:
        return self.refer

    def first_contact(self) -> NewPatient:
        return self.referral

    def wire(self, network: Network) -> None:
        """Connect the team's routes to the services they name."""
        resolve = network.entry_point
        self._after_targets = [resolve(n, self.kind) for n in self.after_names]
        self._esc_targets = [resolve(n, self.kind) for n in self.escalation_names]
        # a visit that ends at home needs no event (unless the log records it)
        self._quiet_end = [isinstance(t, Exit) and self._log is None for t in self._after_targets]
        exits = [t for t in self._after_targets if isinstance(t, Exit)]
        self._exit = exits[0] if exits else None

    # -- measurement -----------------------------------------------------------
    def reset(self, now: float) -> None:
        """Start measuring (the end of the warm-up): zero the counts made as things happen."""
        self.arrivals = 0
        self.outcomes = [0] * len(self.after_names)
        self.escalated = [0] * len(self.escalation_names)
        self.in_system_start = self.holding

    @property
    def holding(self) -> int:
        """Patients with this team now (waiting or being seen)."""
        now = self.env.now
        return self.schedule.busy(now) + self.schedule.waiting(now)

    def can_take_now(self) -> bool:
        """Open, with a clinician of the shift on duty free and no one waiting."""
        return self.schedule.free_now(self.env.now)

    def finish(self, now: float) -> TeamTally:
        """Typed tallies of the measured period."""
        busy = self.schedule.busy(now)
        waiting = self.schedule.waiting(now)
        outcomes = [a + b for a, b in zip(self.outcomes, self.ended_home)]
        return TeamTally(
            in_system_start=self.in_system_start,
            in_system_end=busy + waiting,
            busy_hours=self.busy_area,
            overtime_hours=self.overtime_area,
            staffed_hours=self.roster.measured_staffed_hours(now),
            waiting_end=waiting,
            busy_end=busy,
            referrals=self.arrivals,
            seen=self.started_count,
            within_target=self.within_target,
            wait_sum=self.wait_sum,
            escalated=dict(zip(self.escalation_names, self.escalated)),
            outcomes=dict(zip(self.after_names, outcomes)),
            visit_hours_mean=self._visit_hours_mean,
        )

    # -- the roster ----------------------------------------------------------------
    def start(self) -> None:
        """Schedule the roster's change points: one at a time, each scheduling the next;
        with the log, all of them now, so a visit start can hang on any of them."""
        if self._log is not None:
            for index, (at, _) in enumerate(self._changes):
                ev = self.env.timeout(at, index)
                ev.callbacks.append(self._roster_change)
                self._shift_events[at] = ev
        elif self._changes:
            self.env.timeout(self._changes[0][0], 0).callbacks.append(self._roster_change)

    def _roster_change(self, ev: Any) -> None:
        """A shift change: book the overtime of visits running past the end of their
        clinician's shift, from now to the next change."""
        now = self.env.now
        index = ev.value
        nxt = self._changes[index + 1][0] if index + 1 < len(self._changes) else self._w1
        lo, hi = max(now, self._w0), min(nxt, self._w1)
        self.overtime_area += self.schedule.overtime(now, lo, hi)
        if self._log is not None:
            self._shift_events.pop(now, None)
        elif index + 1 < len(self._changes):
            self.env.timeout(nxt - now, index + 1).callbacks.append(self._roster_change)

    # -- flow --------------------------------------------------------------------
    def refer(self, patient: Patient) -> None:
        """A referral arrives from another service: see :meth:`referral`."""
        self.referral(patient.id, patient.cohort, patient.source, patient.via, patient)

    def referral(
        self, pid: int, cohort: int, source: int, via: str, patient: Patient | None = None
    ) -> None:
        """A referral arrives: its start is worked out now (see the module's docstring).

        A demand source refers a new patient by its particulars; the :class:`Patient`
        is made only if the patient goes on somewhere (most visits end at home)."""
        now = self.env.now
        visit, dest, esc = self._visit(), self._after(), self._escalate_to()
        self.arrivals += 1
        log = self._log
        if log is not None:
            log(now, pid, self.name, "referred", "", cohort)
        start = self._assign(now, visit, now + self.patience)
        if not now <= start < NEVER:  # RENEGE or NEVER
            if start == RENEGE:
                if patient is None:
                    patient = Patient(pid, cohort, source, via)
                Timeout(self.env, self.patience, (patient, esc)).callbacks.append(self._escalate)
            return
        w0, w1 = self._w0, self._w1
        end = start + visit
        if w0 <= start and end < w1:  # the whole visit in the measured period (most)
            self.busy_area += end - start  # (not visit: the same rounding as at the edges)
            self.started_count += 1
            if start == now:  # seen at once
                self.within_target += 1
            else:
                wait = start - now
                self.wait_sum += wait
                if wait <= self.target:
                    self.within_target += 1
        else:
            self._book_at_the_edges(now, start, end)
        if self._quiet_end[dest]:
            if end < w1:
                self._exit.total += 1  # type: ignore[union-attr]
                if end >= w0:
                    self.ended_home[dest] += 1
            return
        if patient is None:
            patient = Patient(pid, cohort, source, via)
        ending = Timeout(self.env, end - now, (patient, dest, end))
        ending.callbacks.append(self._end_cb)
        if log is not None:
            self._log_start(patient, now, start, self.schedule.cause)
            self._end_events[end] = ending

    def _book_at_the_edges(self, now: float, start: float, end: float) -> None:
        """A visit across the start or the end of the measured period: its part inside."""
        w0, w1 = self._w0, self._w1
        if w0 <= start < w1:
            wait = start - now
            self.started_count += 1
            self.wait_sum += wait
            if wait <= self.target:
                self.within_target += 1
        lo = max(w0, start)
        hi = min(w1, end)
        if hi > lo:
            self.busy_area += hi - lo

    def _log_start(self, patient: Patient, arrived: float, start: float, cause: int) -> None:
        """Write the ``visit_start`` row now, or from the event the start coincides with."""
        row = _StartRow(self, patient, start - arrived)
        if start > arrived:
            at = (
                self._end_events
                if cause == AT_END
                else self._shift_events
                if cause == AT_SHIFT
                else {}
            )
            event = at.get(start)
            if event is not None and event.callbacks is not None:
                event.callbacks.append(row)
                return
            if (
                event is None
            ):  # pragma: no cover - a start is an arrival, a visit end or a shift change
                raise AssertionError(f"{self.name}: no event at {start!r} for a visit start")
        row(None)

    def _visit_end(self, ev: Any) -> None:
        patient, dest, end = ev.value
        if self._log is not None:
            self._end_events.pop(end, None)
        self.outcomes[dest] += 1
        if self._log is not None:
            self._log(
                self.env.now,
                patient.id,
                self.name,
                "visit_end",
                self.after_names[dest],
                patient.cohort,
            )
        patient.via = self.name
        self._after_targets[dest](patient)

    def _escalate(self, ev: Any) -> None:
        patient, dest = ev.value
        self.escalated[dest] += 1
        if self._log is not None:
            self._log(
                self.env.now,
                patient.id,
                self.name,
                "escalated",
                self.escalation_names[dest],
                patient.cohort,
            )
        patient.via = self.name
        self._esc_targets[dest](patient)


class _StartRow:
    """The ``visit_start`` row of one patient, written when called (an event callback)."""

    __slots__ = ("patient", "team", "wait")

    def __init__(self, team: CommunityResponseTeam, patient: Patient, wait: float) -> None:
        self.team, self.patient, self.wait = team, patient, wait

    def __call__(self, ev: simpy.Event | None) -> None:
        team = self.team
        patient = self.patient
        team._log(  # type: ignore[misc]
            team.env.now, patient.id, team.name, "visit_start", f"{self.wait:.6f}", patient.cohort
        )

"""A reference community response team, event by event, for the tests.

The same team as :class:`sim.engine.community.CommunityResponseTeam` built the
straightforward way, on the event-driven queue the clinical hub uses
(:mod:`sim.engine.staffed`): a visit's end is an event that hands the clinician to
the next patient in the queue, unless their shift has ended, and a shift change is an
event that starts the next shift's clinicians on the queue while the last shift's
finish their visits. The engine's team works each start out at arrival
instead; ``tests/test_schedule.py`` checks that the two agree patient by patient.
Same streams and draws, so the same seed gives the same patients.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import simpy

from sim.engine.calendar import Clock
from sim.engine.community import TeamTally
from sim.engine.patient import Patient
from sim.engine.service import BuildContext, Entry, Network, NewPatient, Service
from sim.engine.staffed import INF, StaffedQueue
from sim.engine.streams import Streams
from sim.scenario.model import CommunityResponse

__all__ = ["CommunityResponseTeam"]


class CommunityResponseTeam(StaffedQueue):
    """One team: visits, the response target, escalation and onward routes."""

    kind = "community_response"
    start_event = "visit_start"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: CommunityResponse,
        streams: Streams,
        clock: Clock,
        log: Callable[..., None] | None = None,
    ) -> None:
        patience = spec.patience_hours if spec.patience_hours is not None else INF
        super().__init__(env, name, spec, clock, patience, log)
        self.target = spec.target_hours
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
        self.outcomes = [0] * len(self.after_names)
        self.escalated = [0] * len(self.escalation_names)

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

    def reset(self, now: float) -> None:
        super().reset(now)
        self.outcomes = [0] * len(getattr(self, "after_names", ()))
        self.escalated = [0] * len(getattr(self, "escalation_names", ()))

    def finish(self, now: float) -> TeamTally:
        """Typed tallies of the measured period."""
        return TeamTally(
            **self.base_tally(now),
            referrals=self.arrivals,
            seen=self.started_count,
            within_target=self.within_target,
            wait_sum=self.wait_sum,
            escalated=dict(zip(self.escalation_names, self.escalated)),
            outcomes=dict(zip(self.after_names, self.outcomes)),
            visit_hours_mean=self._visit_hours_mean,
        )

    # -- flow --------------------------------------------------------------------
    def referral(
        self, pid: int, cohort: int, source: int, via: str, patient: Patient | None = None
    ) -> None:
        """A new patient from a demand source, by their particulars."""
        self.refer(patient if patient is not None else Patient(pid, cohort, source, via))

    def refer(self, patient: Patient) -> None:
        """A referral arrives: visit now if someone is free, otherwise queue."""
        now = self.env.now
        entry = (
            now + self.patience,
            now,
            patient,
            self._visit(),
            self._after(),
            self._escalate_to(),
        )
        if self._log is not None:
            self._log(now, patient.id, self.name, "referred", "", patient.cohort)
        if self.busy < self.on_shift and not self.queue:  # the common case of enqueue(), inline
            self.arrivals += 1
            self._start(entry, now)
        else:
            self.enqueue(entry, now)

    def finished(self, entry: tuple[Any, ...], now: float) -> None:
        dest = entry[4]
        self.outcomes[dest] += 1
        patient = entry[2]
        if self._log is not None:
            self._log(
                now, patient.id, self.name, "visit_end", self.after_names[dest], patient.cohort
            )
        patient.via = self.name
        self._after_targets[dest](patient)

    def gave_up(self, entry: tuple[Any, ...], now: float) -> None:
        dest = entry[5]
        self.escalated[dest] += 1
        patient = entry[2]
        if self._log is not None:
            self._log(
                now, patient.id, self.name, "escalated", self.escalation_names[dest], patient.cohort
            )
        patient.via = self.name
        self._esc_targets[dest](patient)

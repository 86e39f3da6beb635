"""Run one replication of a scenario on SimPy's event loop.

The engine turns a validated scenario into services wired by their routes, feeds
them the demand streams, discards the warm-up and returns raw tallies (counts and
time-weighted sums). It computes no statistics: :mod:`sim.metrics` turns tallies
into the named metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


import simpy

from sim.calendar import Clock
from sim.demand import arrival_times, cohort_mix, hourly_rates
from sim.engine.community import CommunityResponseTeam
from sim.engine.outcome import Home, OutcomeCounter
from sim.engine.patient import Patient
from sim.scenario.model import HOME, CommunityResponse, Outcome, Scenario
from sim.streams import Streams

__all__ = ["Tally", "run_replication", "EventLog"]

EventLog = Callable[[float, int, str, str, str], None]
"""Receives (time in hours, patient id, service, event, detail) for every movement."""


@dataclass
class Tally:
    """What one replication emitted: raw counts and sums per service and per source."""

    clock: Clock
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    arrivals: dict[str, int] = field(default_factory=dict)
    patients: int = 0


class _DemandStream:
    """Feeds one source's pre-generated arrivals to its first service, one event each."""

    __slots__ = ("env", "times", "cohorts", "target", "index", "engine", "_i", "name", "measured")

    def __init__(self, env, name, index, times, cohorts, target, engine) -> None:  # type: ignore[no-untyped-def]
        self.env = env
        self.name = name
        self.index = index
        self.times = times
        self.cohorts = cohorts
        self.target = target
        self.engine = engine
        self._i = 0
        self.measured = 0

    def start(self) -> None:
        if self.times:
            self.env.timeout(self.times[0]).callbacks.append(self._arrive)

    def _arrive(self, ev: simpy.Event) -> None:
        i = self._i
        self._i = i + 1
        self.measured += 1
        self.target(Patient(self.engine.next_id(), self.cohorts[i], self.index))
        if i + 1 < len(self.times):
            self.env.timeout(self.times[i + 1] - self.env.now).callbacks.append(self._arrive)


class _Engine:
    def __init__(self, scenario: Scenario, streams: Streams, log: EventLog | None) -> None:
        self.env = simpy.Environment()
        self.clock = Clock.from_days(scenario.run.warmup_days, scenario.run.days)
        self._ids = 0
        self.services: dict[str, Any] = {}
        for name, spec in scenario.services.items():
            if isinstance(spec, CommunityResponse):
                self.services[name] = CommunityResponseTeam(self.env, name, spec, streams, self.clock, log)
            elif isinstance(spec, Outcome):
                self.services[name] = OutcomeCounter(self.env, name, log)
            else:  # pragma: no cover - the schema admits no other kind
                raise TypeError(f"unknown service kind {type(spec).__name__}")
        for svc in self.services.values():
            svc.wire(self.entry_point)
        self.sources: list[_DemandStream] = []
        for index, (name, src) in enumerate(scenario.demand.items()):
            rates = hourly_rates(src, scenario.population, self.clock)
            times = arrival_times(rates, streams.generator(f"demand.{name}.arrivals"))
            _, mix, _ = cohort_mix(src, scenario.population)
            cohorts = streams.generator(f"demand.{name}.cohort").choice(len(mix), size=len(times), p=mix)
            self.sources.append(
                _DemandStream(
                    self.env, name, index, times.tolist(), cohorts.tolist(), self.entry_point(src.to), self
                )
            )

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def entry_point(self, name: str) -> Callable[[Patient], None]:
        """The callable that admits a patient to the named service (or sends them home)."""
        if name == HOME:
            return Home
        svc = self.services[name]
        return svc.refer if isinstance(svc, CommunityResponseTeam) else svc.accept

    def _reset(self, ev: simpy.Event | None = None) -> None:
        now = self.env.now
        for svc in self.services.values():
            svc.reset(now)
        for src in self.sources:
            src.measured = 0

    def run(self) -> Tally:
        for svc in self.services.values():
            svc.start()
        for src in self.sources:
            src.start()
        if self.clock.warmup_hours > 0:
            self.env.timeout(self.clock.warmup_hours).callbacks.append(self._reset)
        else:
            self._reset()
        horizon = self.clock.horizon_hours
        self.env.run(until=horizon)
        tally = Tally(self.clock, patients=self._ids)
        for name, svc in self.services.items():
            tally.services[name] = svc.finish(float(horizon))
        for src in self.sources:
            tally.arrivals[src.name] = src.measured
        return tally


def run_replication(scenario: Scenario, seed: int, log: EventLog | None = None) -> Tally:
    """Simulate one replication with the given seed and return its raw tallies."""
    return _Engine(scenario, Streams(seed), log).run()



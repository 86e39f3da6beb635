"""Run one replication of a scenario on SimPy's event loop.

The engine turns a validated scenario into services wired by their routes, feeds
them the demand streams, discards the warm-up and returns raw tallies (counts and
time-weighted sums). It computes no statistics: :mod:`sim.metrics` turns tallies
into the named metrics.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy
from simpy.events import Timeout

from sim.engine.ambulance import AmbulanceService
from sim.engine.beds import BedPoolService
from sim.engine.calendar import Clock
from sim.engine.community import CommunityResponseTeam
from sim.engine.demand import arrival_times, cohort_mix, hourly_rates
from sim.engine.hospital import AcuteService, EmergencyDepartmentService
from sim.engine.hub import Hub
from sim.engine.outcome import Exit, OutcomeCounter
from sim.engine.patient import Patient
from sim.engine.streams import Streams
from sim.scenario.model import (
    HOME,
    AcuteBeds,
    Ambulance,
    ClinicalHub,
    CommunityResponse,
    EmergencyDepartment,
    IntermediateCare,
    Outcome,
    Scenario,
    VirtualWard,
)

__all__ = ["EventLog", "Tally", "run_replication"]

EventLog = Callable[[float, int, str, str, str], None]
"""Receives (time in hours, patient id, service, event, detail) for every movement."""


@dataclass
class Tally:
    """What one replication emitted: raw counts and sums per service and per source."""

    clock: Clock
    kinds: dict[str, str] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    arrivals: dict[str, int] = field(default_factory=dict)
    patients: int = 0
    exited: int = 0
    in_system_end: int = 0
    costs: dict[str, float] = field(default_factory=dict)
    occupancy_trace: dict[str, list[int]] = field(default_factory=dict)
    """With ``trace``: beds in use in each bed pool at each midnight of the measured period."""


class _DemandStream:
    """Feeds one source's pre-generated arrivals to its first service, one event each."""

    __slots__ = (
        "_i",
        "_i0",
        "_ids",
        "_n",
        "_next",
        "_team",
        "cohorts",
        "env",
        "index",
        "name",
        "target",
        "times",
    )

    def __init__(self, env, name, index, times, cohorts, target, ids, service=None) -> None:  # type: ignore[no-untyped-def]
        self.env = env
        self.name = name
        self.index = index
        self.times = times
        self.cohorts = cohorts
        self.target = target
        # a community team takes a new patient's particulars, and makes the Patient only
        # if the patient goes on somewhere after the visit
        self._team = service.referral if isinstance(service, CommunityResponseTeam) else None
        self._ids = ids
        self._i = 0
        self._n = len(times)
        self._i0 = 0
        self._next = self._arrive  # bound once: the callback of every arrival

    @property
    def measured(self) -> int:
        """Arrivals since the end of the warm-up."""
        return self._i - self._i0

    def reset(self) -> None:
        self._i0 = self._i

    def start(self) -> None:
        if self.times:
            Timeout(self.env, self.times[0]).callbacks.append(self._arrive)

    def _arrive(self, ev: simpy.Event) -> None:
        i = self._i
        self._i = j = i + 1
        team = self._team
        if team is not None:
            team(next(self._ids), self.cohorts[i], self.index, self.name)
        else:
            self.target(Patient(next(self._ids), self.cohorts[i], self.index, self.name))
        if j < self._n:
            env = self.env
            Timeout(env, self.times[j] - env.now).callbacks.append(self._next)


def _residual_stays(
    draw: Callable[[np.random.Generator, int], np.ndarray], n: int, rng: np.random.Generator
) -> np.ndarray:
    """Remaining stays of ``n`` patients found in a bed at a random moment (steady state):
    stays picked in proportion to their length, times a uniform fraction."""
    if n == 0:
        return np.empty(0)
    pool = np.maximum(draw(rng, max(2000, 50 * n)), 0.0)
    total = pool.sum()
    if total <= 0:
        return np.zeros(n)
    picked = rng.choice(pool, size=n, p=pool / total)
    return picked * rng.random(n)


def _acute_stays(
    spec: AcuteBeds, cohorts: list[str], shares: np.ndarray, rng: np.random.Generator, n: int
) -> np.ndarray:
    """Lengths of stay (days) of ``n`` admissions, drawn from ``rng`` alone (so that a
    starting occupancy does not shift the acute service's own streams)."""
    from sim.engine.hospital import per_cohort

    p_short = np.array(per_cohort(spec.short_stay_probability, cohorts))[
        rng.choice(len(shares), size=n, p=shares)
    ]
    short = rng.random(n) < p_short
    return np.where(short, spec.short_stay_days.sample(rng, n), spec.los_days.sample(rng, n))


class _Engine:
    def __init__(
        self, scenario: Scenario, streams: Streams, log: EventLog | None, trace: bool = False
    ) -> None:
        self.env = env = simpy.Environment()
        self.trace: dict[str, list[int]] | None = {} if trace else None
        self.scenario = scenario
        self.streams = streams
        self.clock = clock = Clock.from_days(scenario.run.warmup_days, scenario.run.days)
        self.cohorts = list(scenario.population.cohorts)
        self._ids = itertools.count(1)
        self.exit = Exit()
        self.services: dict[str, Any] = {}
        for name, spec in scenario.services.items():
            if isinstance(spec, CommunityResponse):
                svc: Any = CommunityResponseTeam(env, name, spec, streams, clock, log)
            elif isinstance(spec, ClinicalHub):
                svc = Hub(env, name, spec, streams, clock, log)
            elif isinstance(spec, Ambulance):
                svc = AmbulanceService(env, name, spec, streams, clock, self.cohorts, log)
            elif isinstance(spec, (VirtualWard, IntermediateCare)):
                svc = BedPoolService(env, name, spec, streams, clock, log)
            elif isinstance(spec, EmergencyDepartment):
                svc = EmergencyDepartmentService(
                    env, name, spec, streams, self.cohorts, log, list(scenario.demand)
                )
            elif isinstance(spec, AcuteBeds):
                svc = AcuteService(
                    env, name, spec, streams, clock, self.cohorts, log, list(scenario.demand)
                )
            elif isinstance(spec, Outcome):
                svc = OutcomeCounter(env, name, self.exit, log)
            else:  # pragma: no cover - the schema admits no other kind
                raise TypeError(f"unknown service kind {type(spec).__name__}")
            self.services[name] = svc
        for _name, svc in self.services.items():
            if isinstance(svc, Hub):
                svc.wire(self.entry_point, self.capacity_check)
            elif isinstance(svc, AmbulanceService):
                svc.wire(
                    self.entry_point, self.services.get(svc.hub_name) if svc.hub_name else None
                )
            elif isinstance(svc, AcuteService):
                svc.wire(lambda dest, hospital=svc: self.discharge_point(dest, hospital))
            elif not isinstance(svc, OutcomeCounter):
                svc.wire(self.entry_point)
        self._expect_ed_routes(scenario)
        self.sources: list[_DemandStream] = []
        for index, (name, src) in enumerate(scenario.demand.items()):
            rates = hourly_rates(src, scenario.population, clock)
            times = arrival_times(rates, streams.generator(f"demand.{name}.arrivals"))
            _, mix, _ = cohort_mix(src, scenario.population)
            cohorts = streams.generator(f"demand.{name}.cohort").choice(
                len(mix), size=len(times), p=mix
            )
            self.sources.append(
                _DemandStream(
                    env,
                    name,
                    index,
                    times.tolist(),
                    cohorts.tolist(),
                    self.entry_point(src.to, "demand"),
                    self._ids,
                    self.services.get(src.to),
                )
            )

    def _expect_ed_routes(self, scenario: Scenario) -> None:
        """Tell each ED every route that can reach it, so absent routes report 0."""
        from sim.scenario.checks import links_of, routes_of

        senders: dict[str, set[str]] = {}
        for path, split, _ in routes_of(scenario):
            for target in split:
                senders.setdefault(target, set()).add(path[1])
        for path, target, _ in links_of(scenario):
            senders.setdefault(target, set()).add(path[1])
        for name, src in scenario.demand.items():
            senders.setdefault(src.to, set()).add(name)
        # a full pool sends patients on with the route they came by
        for name, spec in scenario.services.items():
            if getattr(spec, "when_full", None) in self.services:
                senders.setdefault(spec.when_full, set()).update(senders.get(name, ()))
        for name, svc in self.services.items():
            if isinstance(svc, EmergencyDepartmentService):
                svc.expect_routes(sorted(senders.get(name, ())))

    def next_id(self) -> int:
        return next(self._ids)

    # -- wiring --------------------------------------------------------------------
    def entry_point(self, name: str, sender: str) -> Callable[[Patient], None]:
        """How a patient sent by a service of kind ``sender`` enters service ``name``."""
        if name == HOME:
            return self.exit
        svc = self.services[name]
        if isinstance(svc, CommunityResponseTeam):
            return svc.refer
        if isinstance(svc, AmbulanceService):
            return svc.call
        if isinstance(svc, BedPoolService):
            return svc.step_up
        if isinstance(svc, EmergencyDepartmentService):
            return svc.attend
        if isinstance(svc, AcuteService):
            return svc.admit
        if isinstance(svc, OutcomeCounter):
            return svc.accept
        raise TypeError(f"{name!r} ({type(svc).__name__}) cannot be routed to")  # pragma: no cover

    def discharge_point(self, name: str, hospital: AcuteService) -> Callable[[Patient], bool]:
        """Where an acute discharge goes; True if the patient left the bed at once."""
        svc = self.services.get(name)
        if isinstance(svc, BedPoolService):
            return lambda p: svc.step_down(p, hospital)
        target = self.entry_point(name, "acute")

        def leave(patient: Patient) -> bool:
            target(patient)
            return True

        return leave

    def capacity_check(self, name: str) -> Callable[[], bool]:
        """Whether service ``name`` can take a patient from the hub right now."""
        svc = self.services.get(name)
        if svc is None or not hasattr(svc, "can_take_now"):
            return lambda: True
        return svc.can_take_now

    # -- running -------------------------------------------------------------------
    def _initial_state(self) -> None:
        """Patients already in bed pools and acute beds at the start (``initial_occupancy``)."""
        shares = np.array(list(self.scenario.population.cohorts.values()))
        for name, spec in self.scenario.services.items():
            n = getattr(spec, "initial_occupancy", 0)
            if not n:
                continue
            rng = self.streams.generator(f"{name}.initial")
            svc = self.services[name]
            if isinstance(svc, AcuteService):

                def draw(g: np.random.Generator, k: int, spec: Any = spec) -> np.ndarray:
                    return _acute_stays(spec, self.cohorts, shares, g, k)

                remaining = _residual_stays(draw, n, rng) * 24.0
            else:
                remaining = _residual_stays(spec.los_days.sample, n, rng) * 24.0
            cohorts = rng.choice(len(shares), size=n, p=shares)
            probs = np.asarray(svc.route_probabilities, dtype=float)
            dests = rng.choice(len(probs), size=n, p=probs / probs.sum())
            for k in range(n):
                svc.place(
                    Patient(self.next_id(), int(cohorts[k]), -1, "initial"),
                    float(remaining[k]),
                    int(dests[k]),
                )

    def _reset(self, ev: simpy.Event | None = None) -> None:
        now = self.env.now
        for svc in self.services.values():
            svc.reset(now)
        for src in self.sources:
            src.reset()

    def _snapshot(self, ev: simpy.Event | None = None) -> None:
        assert self.trace is not None
        for name, svc in self.services.items():
            if isinstance(svc, (BedPoolService, AcuteService)):
                self.trace.setdefault(name, []).append(svc.occupied)
        if self.env.now + 24 <= self.clock.horizon_hours:
            self.env.timeout(24).callbacks.append(self._snapshot)

    def run(self) -> Tally:
        self._initial_state()
        # the measured period starts before anything else that happens at that moment
        if self.clock.warmup_hours > 0:
            self.env.timeout(self.clock.warmup_hours).callbacks.append(self._reset)
        else:
            self._reset()
        if self.trace is not None:
            self.env.timeout(self.clock.warmup_hours).callbacks.append(self._snapshot)
        for svc in self.services.values():
            svc.start()
        for src in self.sources:
            src.start()
        horizon = self.clock.horizon_hours
        self.env.run(until=horizon)
        tally = Tally(self.clock, patients=next(self._ids) - 1, exited=self.exit.total)
        for name, svc in self.services.items():
            tally.kinds[name] = svc.kind
            tally.services[name] = svc.finish(float(horizon))
            tally.in_system_end += svc.holding
        for src in self.sources:
            tally.arrivals[src.name] = src.measured
        if self.scenario.costs is not None:
            tally.costs = self.scenario.costs.model_dump(exclude_none=True)
        if self.trace is not None:
            tally.occupancy_trace = self.trace
        return tally


def run_replication(
    scenario: Scenario, seed: int, log: EventLog | None = None, trace: bool = False
) -> Tally:
    """Simulate one replication with the given seed and return its raw tallies.

    ``log`` receives every patient movement; ``trace`` records bed occupancy daily.
    Neither changes any random draw or result."""
    return _Engine(scenario, Streams(seed), log, trace).run()

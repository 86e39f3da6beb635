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

import numpy as np
import simpy
from simpy.events import Timeout

from sim import registry
from sim.engine.calendar import Clock
from sim.engine.demand import arrival_times, cohort_mix, hourly_rates
from sim.engine.outcome import Exit
from sim.engine.patient import Patient
from sim.engine.service import (
    BuildContext,
    DemandFilter,
    Entry,
    EventLog,
    NewPatient,
    Service,
    ServiceTally,
)
from sim.engine.streams import Streams
from sim.engine.visits import HospitalVisits
from sim.scenario.appraisal import HOURS_PER_WTE, PRODUCTIVE_SHARE
from sim.scenario.model import HOME, Scenario

__all__ = ["EventLog", "Tally", "run_replication"]


@dataclass
class Tally:
    """What one replication emitted: typed tallies per service, raw counts per source."""

    clock: Clock
    kinds: dict[str, str] = field(default_factory=dict)
    services: dict[str, ServiceTally] = field(default_factory=dict)
    arrivals: dict[str, int] = field(default_factory=dict)
    cohorts: list[str] = field(default_factory=list)
    """The population's cohorts, in order: the ``*_by_cohort`` lists are indexed by them."""
    arrivals_by_cohort: list[int] = field(default_factory=list)
    """Arrivals from every demand source in the measured period, by cohort."""
    hospital_patients: list[int] | None = None
    """Patients from demand sources whose first unplanned hospital visit fell in the
    measured period, by cohort (None: the scenario has no ED or acute beds)."""
    patients: int = 0
    exited: int = 0
    in_system_end: int = 0
    costs: dict[str, float] = field(default_factory=dict)
    """Activity unit costs given: cost item → pounds."""
    capacity_prices: dict[str, dict[str, float]] = field(default_factory=dict)
    """Capacity prices given, by service: ``[costs.capacity.<svc>]``."""
    wte_hours: float = HOURS_PER_WTE * PRODUCTIVE_SHARE
    """Rostered hours of one whole-time equivalent a year (for ``<svc>.wte``)."""
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
        # a service may take a new patient's particulars (a community team makes the
        # Patient only if the patient goes on somewhere after the visit)
        self._team: NewPatient | None = service.first_contact() if service is not None else None
        self._ids = ids
        self._i = 0
        self._n = len(times)
        self._i0 = 0
        self._next = self._arrive  # bound once: the callback of every arrival

    @property
    def measured(self) -> int:
        """Arrivals since the end of the warm-up."""
        return self._i - self._i0

    def measured_by_cohort(self, n: int) -> list[int]:
        """Arrivals since the end of the warm-up, by cohort index (``n`` cohorts; counted
        at the end, from the cohorts drawn before the run)."""
        drawn = np.asarray(self.cohorts[self._i0 : self._i], dtype=np.intp)
        return np.bincount(drawn, minlength=n).tolist()  # type: ignore[no-any-return]

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


class _FilteredDemandStream(_DemandStream):
    """A demand stream whose arrivals services may prevent (a proactive caseload team).

    Each arrival is offered to the filters, in the order of the services, before it
    becomes a patient: a prevented arrival makes no patient, takes no id and is not
    counted in the source's arrivals. Only sources with a filter use this class, so the
    others keep the plain stream's hot path."""

    __slots__ = ("_filters", "_p0", "_prevented")

    def __init__(self, *args, filters, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._filters: list[DemandFilter] = filters
        self._prevented: list[int] = []
        """Indices of the prevented arrivals, in order."""
        self._p0 = 0

    @property
    def measured(self) -> int:
        """Arrivals since the end of the warm-up that were not prevented."""
        return self._i - self._i0 - (len(self._prevented) - self._p0)

    def measured_by_cohort(self, n: int) -> list[int]:
        """Arrivals since the end of the warm-up that were not prevented, by cohort."""
        drawn = super().measured_by_cohort(n)
        cohorts = self.cohorts
        for i in self._prevented[self._p0 :]:
            drawn[cohorts[i]] -= 1
        return drawn

    def reset(self) -> None:
        super().reset()
        self._p0 = len(self._prevented)

    def _arrive(self, ev: simpy.Event) -> None:
        i = self._i
        self._i = j = i + 1
        cohort = self.cohorts[i]
        for prevent in self._filters:
            if prevent(cohort):
                self._prevented.append(i)
                break
        else:
            team = self._team
            if team is not None:
                team(next(self._ids), cohort, self.index, self.name)
            else:
                self.target(Patient(next(self._ids), cohort, self.index, self.name))
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
        self.visits = HospitalVisits(len(self.cohorts))
        self.services: dict[str, Service] = {}
        context = BuildContext(
            env=env,
            streams=streams,
            clock=clock,
            cohorts=self.cohorts,
            sources=list(scenario.demand),
            exit=self.exit,
            log=log,
            senders=_senders(scenario),
            visits=self.visits,
            scenario=scenario,
        )
        for name, spec in scenario.services.items():
            self.services[name] = registry.get(spec.kind).engine(name, spec, context)
        for svc in self.services.values():
            svc.wire(self)
        self.sources: list[_DemandStream] = []
        for index, (name, src) in enumerate(scenario.demand.items()):
            rates = hourly_rates(src, scenario.population, clock)
            times = arrival_times(rates, streams.generator(f"demand.{name}.arrivals"))
            _, mix, _ = cohort_mix(src, scenario.population)
            cohorts = streams.generator(f"demand.{name}.cohort").choice(
                len(mix), size=len(times), p=mix
            )
            args = (
                env,
                name,
                index,
                times.tolist(),
                cohorts.tolist(),
                self.entry_point(src.to, "demand"),
                self._ids,
                self.services.get(src.to),
            )
            filters = [
                f for svc in self.services.values() if (f := svc.demand_filter(name)) is not None
            ]
            self.sources.append(
                _FilteredDemandStream(*args, filters=filters) if filters else _DemandStream(*args)
            )

    def next_id(self) -> int:
        return next(self._ids)

    # -- wiring --------------------------------------------------------------------
    def entry_point(self, name: str, sender: str) -> Entry:
        """How a patient sent by a service of kind ``sender`` enters service ``name``."""
        if name == HOME:
            return self.exit
        svc = self.services[name]
        entry = svc.entry()
        if entry is None:  # pragma: no cover - the scenario checks allow no such route
            raise TypeError(f"{name!r} ({svc.kind}) cannot be routed to")
        return entry

    def discharge_point(self, name: str, hospital: Service) -> Callable[[Patient], bool]:
        """Where an acute discharge goes; True if the patient left the bed at once."""
        svc = self.services.get(name)
        step_down = svc.step_down_entry(hospital) if svc is not None else None
        if step_down is not None:
            return step_down
        target = self.entry_point(name, "acute")

        def leave(patient: Patient) -> bool:
            target(patient)
            return True

        return leave

    def capacity_check(self, name: str) -> Callable[[], bool]:
        """Whether service ``name`` can take a patient from the hub right now."""
        svc = self.services.get(name)
        if svc is None:
            return lambda: True
        return svc.can_take_now

    def service(self, name: str) -> Service | None:
        return self.services.get(name)

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

            def draw(g: np.random.Generator, k: int, svc: Service = svc) -> np.ndarray:
                return svc.initial_stays(g, k, shares)

            remaining = _residual_stays(draw, n, rng) * 24.0
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
        self.visits.reset()

    def _snapshot(self, ev: simpy.Event | None = None) -> None:
        assert self.trace is not None
        for name, svc in self.services.items():
            level = svc.occupied_now()
            if level is not None:
                self.trace.setdefault(name, []).append(level)
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
            tally.services[name] = end = svc.finish(float(horizon))
            tally.in_system_end += end.in_system_end
        tally.cohorts = list(self.cohorts)
        tally.arrivals_by_cohort = [0] * len(self.cohorts)
        for src in self.sources:
            tally.arrivals[src.name] = src.measured
            for cohort, n in enumerate(src.measured_by_cohort(len(self.cohorts))):
                tally.arrivals_by_cohort[cohort] += n
        if self.visits.present:
            tally.hospital_patients = list(self.visits.patients)
        costs = self.scenario.costs
        if costs is not None:
            tally.costs = costs.activity()
            tally.capacity_prices = {n: c.prices() for n, c in costs.capacity.items()}
            tally.wte_hours = costs.wte_hours
        if self.trace is not None:
            tally.occupancy_trace = self.trace
        return tally


def _senders(scenario: Scenario) -> dict[str, list[str]]:
    """Every route that can reach each service (so an ED reports absent routes as 0)."""
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
        for target in spec.forwards():
            if target in scenario.services:
                senders.setdefault(target, set()).update(senders.get(name, ()))
    return {name: sorted(routes) for name, routes in senders.items()}


def run_replication(
    scenario: Scenario, seed: int, log: EventLog | None = None, trace: bool = False
) -> Tally:
    """Simulate one replication with the given seed and return its raw tallies.

    ``log`` receives every patient movement; ``trace`` records bed occupancy daily.
    Neither changes any random draw or result."""
    return _Engine(scenario, Streams(seed), log, trace).run()

"""Virtual wards and intermediate care: a pool of beds or caseload slots.

A pool whose patients never queue is a counter plus one event per stay (its end).
Step-up patients (from the community, the hub) take a free slot or go by
``when_full``. Step-down patients (from acute beds) take a free slot or wait in
their acute bed, first come first served, until one frees (a delayed discharge,
counted by the acute service).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine.calendar import Clock
from sim.engine.level import Level
from sim.engine.patient import Patient
from sim.engine.service import BuildContext, Entry, Network, Service, ServiceTally
from sim.engine.streams import Streams
from sim.scenario.model import IntermediateCare, VirtualWard

__all__ = ["BedPoolService", "BedPoolTally"]

INF = float("inf")


@dataclass
class BedPoolTally(ServiceTally):
    """What a virtual ward or intermediate care service reports."""

    step_ups: int
    step_downs: int
    admissions: int
    blocked: int
    """Step-up patients who found it full (sent by ``when_full``)."""
    waited: int
    """Step-down patients who found it full (waited in their acute bed)."""
    los_sum_hours: float
    """Lengths of stay of the admissions, summed."""
    bed_hours: float
    """Bed-hours (or slot-hours) in use in the measured period."""
    at_end: dict[str, int]
    """Stays ended, by route at the end of the stay."""
    beds: int | None
    """Beds or slots (None: unlimited)."""
    waiting_end: int
    """Step-down patients still waiting at the end of the run."""
    mean_los_hours: float
    """The mean of the scenario's length of stay (for the offered load)."""


class BedPoolService(Service):
    """A pool of beds or caseload slots: step-up and step-down, one event per stay."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: VirtualWard | IntermediateCare,
        streams: Streams,
        clock: Clock,
        log: Callable[..., None] | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.kind = spec.kind
        self.clock = clock
        self._log = log
        self.capacity = spec.beds
        self.beds = spec.beds if spec.beds is not None else INF
        self.spec = spec
        self._los = streams.sampler(f"{name}.los", spec.los_days.sample, 24.0)
        self.end_names = list(spec.at_end)
        self._at_end = streams.choice(f"{name}.at_end", list(spec.at_end.values()))
        self._end_targets: list[Callable[[Patient], None]] = []
        self._when_full: Callable[[Patient], None] | None = None
        self._occupancy = Level()
        self.waiting: deque[tuple[float, Patient, Any]] = deque()
        self.reset(0.0)

    @classmethod
    def build(
        cls, name: str, spec: VirtualWard | IntermediateCare, context: BuildContext
    ) -> Service:
        return cls(context.env, name, spec, context.streams, context.clock, context.log)

    def wire(self, network: Network) -> None:
        resolve = network.entry_point
        self._end_targets = [resolve(n, self.kind) for n in self.end_names]
        if self.spec.when_full is not None:
            self._when_full = resolve(self.spec.when_full, self.kind)

    def entry(self) -> Entry:
        return self.step_up

    def step_down_entry(self, hospital: Any) -> Callable[[Patient], bool]:
        return lambda patient: self.step_down(patient, hospital)

    @property
    def occupied(self) -> int:
        """Beds or slots in use now."""
        return self._occupancy.level

    def occupied_now(self) -> int:
        return self._occupancy.level

    def initial_stays(self, rng: Any, n: int, shares: Any) -> Any:
        return self.spec.los_days.sample(rng, n)

    def reset(self, now: float) -> None:
        self._occupancy.reset(now)
        self.step_ups = 0
        self.step_downs = 0
        self.admissions = 0
        self.blocked = 0
        self.waited = 0
        self.los_sum = 0.0
        self.ended = [0] * len(getattr(self, "end_names", ()))
        self.in_system_start = self.occupied

    @property
    def holding(self) -> int:
        """Patients in the pool (step-down patients still waiting are counted by their acute bed)."""
        return self.occupied

    def can_take_now(self) -> bool:
        return self.occupied < self.beds

    def finish(self, now: float) -> BedPoolTally:
        self._occupancy.advance(now)
        return BedPoolTally(
            in_system_start=self.in_system_start,
            in_system_end=self.occupied,
            step_ups=self.step_ups,
            step_downs=self.step_downs,
            admissions=self.admissions,
            blocked=self.blocked,
            waited=self.waited,
            los_sum_hours=self.los_sum,
            bed_hours=self._occupancy.area,
            at_end=dict(zip(self.end_names, self.ended)),
            beds=self.capacity,
            waiting_end=len(self.waiting),
            mean_los_hours=self.spec.los_days.mean * 24.0,
        )

    # -- flow --------------------------------------------------------------------
    def step_up(self, patient: Patient) -> None:
        """From the community or the hub: a slot now, or ``when_full``."""
        now = self.env.now
        self.step_ups += 1
        if self.occupied < self.beds:
            self._occupy(patient, now, self._los())
        else:
            self.blocked += 1
            if self._log is not None:
                self._log(
                    now, patient.id, self.name, "blocked", self.spec.when_full or "", patient.cohort
                )
            self._when_full(patient)  # type: ignore[misc]  # keeps ``via``: the ED sees who sent it

    def step_down(self, patient: Patient, hospital: Any) -> bool:
        """From an acute bed: True if the patient moved now, False if they wait in the bed."""
        now = self.env.now
        self.step_downs += 1
        if self.occupied < self.beds and not self.waiting:
            self._occupy(patient, now, self._los())
            return True
        self.waited += 1
        if self._log is not None:
            self._log(now, patient.id, self.name, "waiting_in_acute", hospital.name, patient.cohort)
        self.waiting.append((now, patient, hospital))
        hospital.start_delay()
        return False

    def place(self, patient: Patient, remaining_hours: float, dest: int) -> None:
        """Put a patient already in the pool at the start of the run into a slot; ``dest``
        (where they go at the end) is drawn by the caller from its own stream."""
        self._occupy(patient, self.env.now, remaining_hours, count=False, dest=dest)

    @property
    def route_probabilities(self) -> list[float]:
        return list(self.spec.at_end.values())

    def _occupy(
        self, patient: Patient, now: float, los: float, count: bool = True, dest: int = -1
    ) -> None:
        self._occupancy.change(now, 1)
        if count:
            self.admissions += 1
            self.los_sum += los
        if self._log is not None:
            self._log(now, patient.id, self.name, "admitted", f"{los / 24.0:.6f}", patient.cohort)
        if dest < 0:
            dest = self._at_end()
        self.env.timeout(los, (patient, dest)).callbacks.append(self._discharge)

    def _discharge(self, ev: Any) -> None:
        patient, dest = ev.value
        now = self.env.now
        self._occupancy.change(now, -1)
        self.ended[dest] += 1
        if self._log is not None:
            self._log(
                now, patient.id, self.name, "discharged", self.end_names[dest], patient.cohort
            )
        patient.via = self.name
        self._end_targets[dest](patient)
        if self.waiting and self.occupied < self.beds:
            _, waiting, hospital = self.waiting.popleft()
            hospital.end_delay(waiting)
            self._occupy(waiting, now, self._los())

"""999 calls: response, assessment on scene, then treated, call before convey, or conveyed.

With unlimited vehicles a call costs one event (the end of the assessment) and one
more if the patient is conveyed with a travel time. With a finite ``fleet``, calls
wait first come, first served for a free vehicle, which stays busy until the
patient is treated, diverted by the hub, or handed over at the ED.
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
from sim.scenario.model import Ambulance
from sim.scenario.services import ON_SCENE_OUTCOMES

__all__ = ["AmbulanceService", "AmbulanceTally"]

TREATED, CALL_BEFORE_CONVEY, CONVEY = range(3)
INF = float("inf")


@dataclass
class AmbulanceTally(ServiceTally):
    """What an ambulance service reports."""

    calls: int
    treated: int
    """Treated on scene."""
    call_before_convey: int
    """Crews who phoned the hub."""
    hub_closed: int
    """Crews who would have phoned but the hub had no one on shift (conveyed)."""
    conveyances: int
    diverted: int
    """Not conveyed after a call to the hub."""
    responded: int
    response_sum: float
    """Hours from call to arrival on scene, summed."""
    vehicle_hours: float
    """Vehicle-hours busy in the measured period (with a fleet)."""
    fleet: float
    """Vehicles (inf: unlimited)."""
    calls_by_cohort: list[int]
    """``calls`` by cohort index."""
    conveyances_by_cohort: list[int]
    """``conveyances`` by cohort index."""


class AmbulanceService(Service):
    """999 calls: response, assessment on scene, then treated, call before convey or conveyed."""

    kind = "ambulance"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: Ambulance,
        streams: Streams,
        clock: Clock,
        cohorts: list[str],
        log: Callable[..., None] | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.clock = clock
        self._log = log
        self._response = streams.sampler(
            f"{name}.response", spec.response_minutes.sample, 1.0 / 60.0
        )
        self._on_scene_time = streams.sampler(
            f"{name}.on_scene_time", spec.on_scene_minutes.sample, 1.0 / 60.0
        )
        self._convey_time = streams.sampler(
            f"{name}.convey_time", spec.convey_minutes.sample, 1.0 / 60.0
        )
        self._cohorts = len(cohorts)
        self._outcome = []
        for cohort in cohorts:
            split = spec.on_scene_by_cohort.get(cohort, spec.on_scene)
            probs = [split.get(k, 0.0) for k in ON_SCENE_OUTCOMES]
            self._outcome.append(streams.choice(f"{name}.on_scene.{cohort}", probs))
        self.fleet = spec.fleet if spec.fleet is not None else INF
        self._vehicles = Level()
        self.queue: deque[tuple[float, Patient]] = deque()
        self.with_crew = 0
        self.hub_name = spec.hub
        self.convey_name = spec.convey_to
        self._hub: Any = None
        self._ed: Callable[[Patient], None] | None = None
        self._home: Callable[[Patient], None] | None = None
        self.reset(0.0)

    @classmethod
    def build(cls, name: str, spec: Ambulance, context: BuildContext) -> Service:
        return cls(
            context.env, name, spec, context.streams, context.clock, context.cohorts, context.log
        )

    def wire(self, network: Network) -> None:
        self._ed = network.entry_point(self.convey_name, self.kind)
        self._home = network.entry_point("home", self.kind)
        self._hub = network.service(self.hub_name) if self.hub_name else None

    def entry(self) -> Entry:
        return self.call

    @property
    def vehicles_busy(self) -> int:
        return self._vehicles.level

    def reset(self, now: float) -> None:
        self._vehicles.reset(now)
        self.calls = 0
        self.treated = 0
        self.consulted = 0
        self.hub_closed = 0
        self.conveyances = 0
        self.diverted_count = 0
        self.responded = 0
        self.response_sum = 0.0
        self.calls_by_cohort = [0] * self._cohorts
        self.conveyances_by_cohort = [0] * self._cohorts
        self.in_system_start = self.holding

    @property
    def holding(self) -> int:
        return self.with_crew + len(self.queue)

    def finish(self, now: float) -> AmbulanceTally:
        self._vehicles.advance(now)
        return AmbulanceTally(
            in_system_start=self.in_system_start,
            in_system_end=self.holding,
            calls=self.calls,
            treated=self.treated,
            call_before_convey=self.consulted,
            hub_closed=self.hub_closed,
            conveyances=self.conveyances,
            diverted=self.diverted_count,
            responded=self.responded,
            response_sum=self.response_sum,
            vehicle_hours=self._vehicles.area,
            fleet=self.fleet,
            calls_by_cohort=list(self.calls_by_cohort),
            conveyances_by_cohort=list(self.conveyances_by_cohort),
        )

    # -- flow --------------------------------------------------------------------
    def call(self, patient: Patient) -> None:
        """A 999 call about ``patient``."""
        now = self.env.now
        self.calls += 1
        self.calls_by_cohort[patient.cohort] += 1
        if self._log is not None:
            self._log(now, patient.id, self.name, "call", "", patient.cohort)
        if self._vehicles.level < self.fleet:
            self._dispatch(now, patient, now)
        else:
            self.queue.append((now, patient))

    def _dispatch(self, called: float, patient: Patient, now: float) -> None:
        if self.fleet != INF:
            self._vehicles.change(now, 1)
        self.with_crew += 1
        response = self._response()
        self.responded += 1
        self.response_sum += now - called + response
        self.env.timeout(response + self._on_scene_time(), patient).callbacks.append(self._assessed)

    def _assessed(self, ev: Any) -> None:
        patient: Patient = ev.value
        now = self.env.now
        outcome = self._outcome[patient.cohort]()
        if outcome == TREATED:
            self.treated += 1
            if self._log is not None:
                self._log(now, patient.id, self.name, "treated_on_scene", "", patient.cohort)
            self.with_crew -= 1
            self._release(now)
            patient.via = self.name
            self._home(patient)  # type: ignore[misc]
        elif outcome == CALL_BEFORE_CONVEY and not self._hub.is_open():
            self.hub_closed += 1
            self._convey(patient, now)
        elif outcome == CALL_BEFORE_CONVEY:
            self.consulted += 1
            self.with_crew -= 1
            self._hub.consult(patient, self)
        else:
            self._convey(patient, now)

    def diverted(self, patient: Patient) -> None:
        """The hub found an alternative: the crew leaves the patient in its care."""
        self.diverted_count += 1
        self._release(self.env.now)

    def convey(self, patient: Patient) -> None:
        """The hub could not help: the crew conveys after all."""
        self.with_crew += 1
        self._convey(patient, self.env.now)

    def _convey(self, patient: Patient, now: float) -> None:
        self.conveyances += 1
        self.conveyances_by_cohort[patient.cohort] += 1
        if self._log is not None:
            self._log(now, patient.id, self.name, "conveyed", self.convey_name, patient.cohort)
        travel = self._convey_time()
        if travel > 0.0:
            self.env.timeout(travel, patient).callbacks.append(self._handover)
        else:
            self._hand_over(patient, now)

    def _handover(self, ev: Any) -> None:
        self._hand_over(ev.value, self.env.now)

    def _hand_over(self, patient: Patient, now: float) -> None:
        self.with_crew -= 1
        self._release(now)
        patient.via = self.name
        self._ed(patient)  # type: ignore[misc]

    def _release(self, now: float) -> None:
        if self.fleet == INF:
            return
        self._vehicles.change(now, -1)
        if self.queue:
            called, patient = self.queue.popleft()
            self._dispatch(called, patient, now)

"""Call before convey: a clinical hub that ambulance crews phone from the scene.

A crew's call queues for the next free hub clinician on shift. If no one answers
within the crew's maximum wait, the crew conveys. An answered call lasts
``call_minutes``; the clinician accepts an alternative with ``accept_probability``
and picks a destination; if that destination cannot take the patient now (no free
bed, no free clinician), the crew conveys after all.

A demand source may call the hub as well (care home staff asking for clinical advice
instead of calling 999): such a call is answered and decided by the same rules, on the
hub's own streams for these calls (``<hub>.demand.*``, so that crews' calls draw as
before), and a call not diverted (not answered in time, declined, no capacity, or no
clinician on shift) goes on to the hub's ``not_answered_to`` service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import simpy

from sim.engine.calendar import Clock
from sim.engine.patient import Patient
from sim.engine.roster import StaffedTally
from sim.engine.service import BuildContext, Entry, Network, Service
from sim.engine.staffed import StaffedQueue
from sim.engine.streams import Streams
from sim.scenario.model import ClinicalHub

__all__ = ["Crew", "Hub", "HubTally"]


class Crew(Protocol):
    """The caller: told whether the patient was diverted or must be conveyed."""

    def diverted(self, patient: Patient) -> None: ...

    def convey(self, patient: Patient) -> None: ...


@dataclass
class HubTally(StaffedTally):
    """What a clinical hub reports."""

    calls: int
    answered: int
    """Calls answered within the crew's maximum wait."""
    wait_sum: float
    """Hours crews waited for an answer, summed over the answered calls."""
    gave_up: int
    """Calls not answered in time (the crew conveyed)."""
    declined: int
    no_capacity: int
    """Accepted, but the chosen destination could not take the patient then."""
    diverted: dict[str, int]
    """Patients not conveyed, by destination."""
    call_hours_mean: float = float("nan")
    """The mean of the scenario's call length (for the offered load)."""
    takes_demand: bool = False
    """Whether a demand source calls the hub (it has ``not_answered_to``)."""
    demand_calls: int = 0
    """Calls from demand sources (those while no clinician was on shift included)."""
    demand_diverted: int = 0
    """Calls from demand sources diverted (included in ``diverted``)."""
    demand_sent_on: int = 0
    """Calls from demand sources sent on to ``not_answered_to``."""
    demand_closed: int = 0
    """Calls from demand sources while no clinician was on shift (sent on at once)."""


class Hub(StaffedQueue):
    kind = "hub"
    start_event = "hub_answered"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: ClinicalHub,
        streams: Streams,
        clock: Clock,
        log: Callable[..., None] | None = None,
    ) -> None:
        super().__init__(env, name, spec, clock, spec.max_wait_minutes / 60.0, log)
        self._call = streams.sampler(f"{name}.call", spec.call_minutes.sample, 1.0 / 60.0)
        self._call_hours_mean = spec.call_minutes.mean / 60.0
        self._accept = streams.choice(
            f"{name}.accept", [spec.accept_probability, 1.0 - spec.accept_probability]
        )
        self.dest_names = list(spec.destinations)
        self._dest = streams.choice(f"{name}.destination", list(spec.destinations.values()))
        self._targets: list[Callable[[Patient], None]] = []
        self._can_take: list[Callable[[], bool]] = []
        self.fallback_name = spec.not_answered_to
        self._fallback: Callable[[Patient], None] | None = None
        self._caller = _Caller(self)
        if self.fallback_name is not None:
            self._demand_call = streams.sampler(
                f"{name}.demand.call", spec.call_minutes.sample, 1.0 / 60.0
            )
            self._demand_accept = streams.choice(
                f"{name}.demand.accept", [spec.accept_probability, 1.0 - spec.accept_probability]
            )
            self._demand_dest = streams.choice(
                f"{name}.demand.destination", list(spec.destinations.values())
            )
        self.reset(0.0)

    @classmethod
    def build(cls, name: str, spec: ClinicalHub, context: BuildContext) -> Service:
        return cls(context.env, name, spec, context.streams, context.clock, context.log)

    def wire(self, network: Network) -> None:
        self._targets = [network.entry_point(n, self.kind) for n in self.dest_names]
        self._can_take = [network.capacity_check(n) for n in self.dest_names]
        if self.fallback_name is not None:
            self._fallback = network.entry_point(self.fallback_name, self.kind)

    def entry(self) -> Entry | None:
        """Calls from a demand source (only a hub with ``not_answered_to`` takes them)."""
        return self.advise if self.fallback_name is not None else None

    def reset(self, now: float) -> None:
        super().reset(now)
        self.diverted = [0] * len(getattr(self, "dest_names", ()))
        self.declined = 0
        self.no_capacity = 0
        self.demand_calls = 0
        self.demand_diverted = 0
        self.demand_sent_on = 0
        self.demand_closed = 0

    def finish(self, now: float) -> HubTally:
        return HubTally(
            **self.base_tally(now),
            calls=self.arrivals,
            answered=self.started_count,
            wait_sum=self.wait_sum,
            gave_up=self.reneged,
            declined=self.declined,
            no_capacity=self.no_capacity,
            diverted=dict(zip(self.dest_names, self.diverted)),
            call_hours_mean=self._call_hours_mean,
            takes_demand=self.fallback_name is not None,
            demand_calls=self.demand_calls,
            demand_diverted=self.demand_diverted,
            demand_sent_on=self.demand_sent_on,
            demand_closed=self.demand_closed,
        )

    def is_open(self) -> bool:
        """A clinician is on shift (crews do not phone a closed hub)."""
        return self.on_shift > 0

    def consult(self, patient: Patient, crew: Crew) -> None:
        """A crew on scene phones the hub about ``patient``."""
        now = self.env.now
        entry = (
            now + self.patience,
            now,
            patient,
            self._call(),
            self._accept(),
            self._dest(),
            crew,
        )
        if self._log is not None:
            self._log(now, patient.id, self.name, "hub_call", "", patient.cohort)
        self.enqueue(entry, now)

    def advise(self, patient: Patient) -> None:
        """A call from a demand source (a care home, say): answered and decided like a
        crew's call; one not diverted goes on to ``not_answered_to``."""
        now = self.env.now
        self.demand_calls += 1
        if self._log is not None:
            self._log(now, patient.id, self.name, "hub_call", "demand", patient.cohort)
        if not self.is_open():
            self.demand_closed += 1
            self._convey(patient, self._caller, now, "closed")
            return
        entry = (
            now + self.patience,
            now,
            patient,
            self._demand_call(),
            self._demand_accept(),
            self._demand_dest(),
            self._caller,
        )
        self.enqueue(entry, now)

    def send_on(self, patient: Patient) -> None:
        """A demand source's call not diverted: the patient goes to ``not_answered_to``."""
        assert self._fallback is not None  # only a hub with not_answered_to takes calls
        self.demand_sent_on += 1
        patient.via = self.name
        self._fallback(patient)

    def finished(self, entry: tuple[Any, ...], now: float) -> None:
        patient, crew = entry[2], entry[6]
        if entry[4] != 0:
            self.declined += 1
            self._convey(patient, crew, now, "declined")
            return
        dest = entry[5]
        if not self._can_take[dest]():
            self.no_capacity += 1
            self._convey(patient, crew, now, f"no_capacity:{self.dest_names[dest]}")
            return
        self.diverted[dest] += 1
        if crew is self._caller:
            self.demand_diverted += 1
        if self._log is not None:
            self._log(now, patient.id, self.name, "diverted", self.dest_names[dest], patient.cohort)
        crew.diverted(patient)
        patient.via = self.name
        self._targets[dest](patient)

    def gave_up(self, entry: tuple[Any, ...], now: float) -> None:
        self._convey(entry[2], entry[6], now, "no_answer")

    def _convey(self, patient: Patient, crew: Crew, now: float, why: str) -> None:
        if self._log is not None:
            self._log(now, patient.id, self.name, "not_diverted", why, patient.cohort)
        crew.convey(patient)


class _Caller:
    """The caller of a demand source's call: a call not diverted is sent on by the hub."""

    __slots__ = ("_hub",)

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def diverted(self, patient: Patient) -> None:
        """Nothing to release: the hub sends the patient to the destination itself."""

    def convey(self, patient: Patient) -> None:
        self._hub.send_on(patient)

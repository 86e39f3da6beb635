"""The emergency department and acute beds.

The ED decides who is admitted (by cohort and by the route the patient came by)
and costs no event. Acute beds hold each admission for its length of stay (one
event); short stays are drawn with their own probability. A patient ready to leave
on a pathway with a discharge delay stays in the bed while the discharge is arranged
(one more event); then a patient stepping down to a full service stays in the bed
until that service takes them. Both are delayed discharge days. With finite beds,
admitted patients wait in the ED (board).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.engine.calendar import Clock
from sim.engine.level import Level, advance_all
from sim.engine.patient import Patient
from sim.engine.service import BuildContext, Entry, Network, Service, ServiceTally
from sim.engine.streams import Streams
from sim.engine.visits import HospitalVisits
from sim.scenario.model import AcuteBeds, EmergencyDepartment

__all__ = [
    "AcuteService",
    "AcuteTally",
    "EDTally",
    "EmergencyDepartmentService",
    "acute_stays",
    "per_cohort",
]

INF = float("inf")


def per_cohort(value: float | dict[str, float], cohorts: list[str]) -> list[float]:
    """A probability given once or per cohort, as one value per cohort index."""
    return [value[c] for c in cohorts] if isinstance(value, dict) else [float(value)] * len(cohorts)


def _uniforms(rng: Any, n: int) -> Any:
    return rng.random(n)


@dataclass
class EDTally(ServiceTally):
    """What an emergency department reports."""

    attendances: int
    attendances_by_route: dict[str, int]
    """Attendances by the route they came by (every route that can reach it, 0 if none came)."""
    admitted: int
    attendances_by_cohort: list[int]
    """``attendances`` by cohort index."""


@dataclass
class AcuteTally(ServiceTally):
    """What acute beds report."""

    admissions: int
    short_stays: int
    los_sum_hours: float
    bed_hours: float
    """Bed-hours in use in the measured period (delayed discharges included)."""
    delayed_hours: float
    """Bed-hours of patients ready to leave: arranging the discharge, or waiting for a
    full step-down service."""
    arranging_hours: float
    """The part of ``delayed_hours`` spent arranging the discharge."""
    boarded: int
    """Admissions who waited in the ED for a bed."""
    boarding_hours: float
    discharged: dict[str, int]
    """Discharges, by pathway."""
    beds: int | None
    direct_admissions: int
    """Admissions that did not come through an ED (an unplanned hospital visit of their own)."""
    direct_by_cohort: list[int]
    admissions_by_cohort: list[int]
    short_stays_by_cohort: list[int]
    bed_hours_by_cohort: list[float]
    """``bed_hours`` by the cohort of the patient in the bed."""


def acute_stays(
    spec: AcuteBeds, cohorts: list[str], shares: np.ndarray, rng: np.random.Generator, n: int
) -> np.ndarray:
    """Lengths of stay (days) of ``n`` admissions, drawn from ``rng`` alone (so that a
    starting occupancy does not shift the acute service's own streams)."""
    p_short = np.array(per_cohort(spec.short_stay_probability, cohorts))[
        rng.choice(len(shares), size=n, p=shares)
    ]
    short = rng.random(n) < p_short
    return np.where(short, spec.short_stay_days.sample(rng, n), spec.los_days.sample(rng, n))


class EmergencyDepartmentService(Service):
    """The emergency department: attendances by route, and the decision to admit."""

    kind = "ed"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: EmergencyDepartment,
        streams: Streams,
        cohorts: list[str],
        log: Callable[..., None] | None = None,
        sources: list[str] | None = None,
        visits: HospitalVisits | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self._log = log
        self._cohorts = len(cohorts)
        self._visits = visits if visits is not None else HospitalVisits(len(cohorts))
        self._visits.front_doors.add(name)
        self._visits.present = True
        self._first_visits = self._visits.patients  # zeroed in place at the warm-up's end
        self._u = streams.sampler(f"{name}.admit", _uniforms)
        self._default = per_cohort(spec.admission_probability, cohorts)
        self._by_route = {r: per_cohort(p, cohorts) for r, p in spec.admission_by_route.items()}
        by_source = {r: per_cohort(p, cohorts) for r, p in spec.admission_by_source.items()}
        self._by_source = [by_source.get(name) for name in (sources or [])]
        self.admit_name = spec.admit_to
        self.by_route: dict[str, int] = {}
        self._admit: Callable[[Patient], None] | None = None
        self._home: Callable[[Patient], None] | None = None
        self.reset(0.0)

    @classmethod
    def build(cls, name: str, spec: EmergencyDepartment, context: BuildContext) -> Service:
        ed = cls(
            context.env,
            name,
            spec,
            context.streams,
            context.cohorts,
            context.log,
            context.sources,
            context.visits,
        )
        ed.expect_routes(sorted(context.senders.get(name, ())))
        return ed

    def wire(self, network: Network) -> None:
        self._admit = network.entry_point(self.admit_name, self.kind)
        self._home = network.entry_point("home", self.kind)

    def entry(self) -> Entry:
        return self.attend

    def expect_routes(self, routes: list[str]) -> None:
        """Routes that can send patients here: reported as 0 when none came."""
        self._routes = list(routes)
        self.by_route = dict.fromkeys(self._routes, 0) | self.by_route

    def reset(self, now: float) -> None:
        self.attendances = 0
        self.by_route = dict.fromkeys(getattr(self, "_routes", ()), 0)
        self.admitted = 0
        self.by_cohort = [0] * self._cohorts

    def finish(self, now: float) -> EDTally:
        return EDTally(
            in_system_start=0,
            in_system_end=0,
            attendances=self.attendances,
            attendances_by_route=dict(self.by_route),
            admitted=self.admitted,
            attendances_by_cohort=list(self.by_cohort),
        )

    def attend(self, patient: Patient) -> None:
        """An ED attendance: admitted or sent home."""
        self.attendances += 1
        cohort = patient.cohort
        self.by_cohort[cohort] += 1
        if not patient.hospital:  # a first unplanned hospital visit (HospitalVisits.first, inline)
            patient.hospital = True
            if patient.source >= 0:
                self._first_visits[cohort] += 1
        via = patient.via
        self.by_route[via] = self.by_route.get(via, 0) + 1
        probs = self._by_route.get(via, self._default)
        if 0 <= patient.source < len(self._by_source):
            probs = self._by_source[patient.source] or probs
        admitted = self._u() < probs[patient.cohort]
        if self._log is not None:
            self._log(
                self.env.now,
                patient.id,
                self.name,
                "attended",
                "admitted" if admitted else "home",
                patient.cohort,
            )
        patient.via = self.name
        if admitted:
            self.admitted += 1
            self._admit(patient)  # type: ignore[misc]
        else:
            self._home(patient)  # type: ignore[misc]


class AcuteService(Service):
    """Acute beds: short stays, discharge pathways, delayed discharges and ED boarding."""

    kind = "acute"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: AcuteBeds,
        streams: Streams,
        clock: Clock,
        cohorts: list[str],
        log: Callable[..., None] | None = None,
        sources: list[str] | None = None,
        visits: HospitalVisits | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.clock = clock
        self._log = log
        self._visits = visits if visits is not None else HospitalVisits(len(cohorts))
        self._visits.present = True
        self.capacity = spec.beds
        self.beds = spec.beds if spec.beds is not None else INF
        self._u = streams.sampler(f"{name}.short_stay", _uniforms)
        self._short_los = streams.sampler(
            f"{name}.short_stay_los", spec.short_stay_days.sample, 24.0
        )
        self._los = streams.sampler(f"{name}.los", spec.los_days.sample, 24.0)
        self._short_p = per_cohort(spec.short_stay_probability, cohorts)
        by_source = {r: per_cohort(p, cohorts) for r, p in spec.short_stay_by_source.items()}
        self._short_by_source = [by_source.get(name) for name in (sources or [])]
        self.short_max = spec.short_stay_max_days * 24.0
        self.dest_names = list(spec.discharge)
        self._discharge = streams.choice(f"{name}.discharge", list(spec.discharge.values()))
        self._spec_discharge = list(spec.discharge.values())
        self._arranging = [
            streams.sampler(
                f"{name}.discharge_delay.{dest}", spec.discharge_delay_days[dest].sample, 24.0
            )
            if dest in spec.discharge_delay_days
            else None
            for dest in self.dest_names
        ]
        self._targets: list[Callable[[Patient], bool]] = []
        self.spec = spec
        self.cohorts = cohorts
        self._occupancy = Level()
        self._delayed = Level()
        self._arranging_level = Level()
        self._levels = (self._occupancy, self._delayed, self._arranging_level)
        # bed-hours by cohort: each stay adds (its end - its start) within the measured
        # period, booked as -start when the bed is taken and +end when it frees
        self._in_bed = [0] * len(cohorts)
        self._cohort_area = [0.0] * len(cohorts)
        self.boarding: deque[tuple[float, Patient, float, int]] = deque()
        self.reset(0.0)

    @classmethod
    def build(cls, name: str, spec: AcuteBeds, context: BuildContext) -> Service:
        return cls(
            context.env,
            name,
            spec,
            context.streams,
            context.clock,
            context.cohorts,
            context.log,
            context.sources,
            context.visits,
        )

    def wire(self, network: Network) -> None:
        """Each pathway's target: a callable that returns True if the patient left now."""
        self._targets = [network.discharge_point(n, self) for n in self.dest_names]

    def entry(self) -> Entry:
        return self.admit

    @property
    def occupied(self) -> int:
        """Beds in use now."""
        return self._occupancy.level

    def occupied_now(self) -> int:
        return self._occupancy.level

    def initial_stays(self, rng: np.random.Generator, n: int, shares: np.ndarray) -> np.ndarray:
        return acute_stays(self.spec, self.cohorts, shares, rng, n)

    def reset(self, now: float) -> None:
        for level in self._levels:
            level.reset(now)
        self._cohort_area = [-n * now for n in self._in_bed]
        self.admissions = 0
        self.short_stays = 0
        self.direct = 0
        self.direct_by_cohort = [0] * len(self._in_bed)
        self.admissions_by_cohort = [0] * len(self._in_bed)
        self.short_stays_by_cohort = [0] * len(self._in_bed)
        self.los_sum = 0.0
        self.boarded = 0
        self.boarding_sum = 0.0
        self.discharged = [0] * len(getattr(self, "dest_names", ()))
        self.in_system_start = self.holding

    @property
    def holding(self) -> int:
        return self.occupied + len(self.boarding)

    def _advance(self, now: float) -> None:
        advance_all(self._levels, now)

    def finish(self, now: float) -> AcuteTally:
        self._advance(now)
        return AcuteTally(
            in_system_start=self.in_system_start,
            in_system_end=self.holding,
            admissions=self.admissions,
            short_stays=self.short_stays,
            los_sum_hours=self.los_sum,
            bed_hours=self._occupancy.area,
            delayed_hours=self._delayed.area,
            arranging_hours=self._arranging_level.area,
            boarded=self.boarded,
            boarding_hours=self.boarding_sum,
            discharged=dict(zip(self.dest_names, self.discharged)),
            beds=self.capacity,
            direct_admissions=self.direct,
            direct_by_cohort=list(self.direct_by_cohort),
            admissions_by_cohort=list(self.admissions_by_cohort),
            short_stays_by_cohort=list(self.short_stays_by_cohort),
            bed_hours_by_cohort=[a + n * now for a, n in zip(self._cohort_area, self._in_bed)],
        )

    # -- flow --------------------------------------------------------------------
    def draw_stay(self, patient: Patient) -> float:
        """A length of stay in hours: a short stay or an ordinary one."""
        p = self._short_p
        if 0 <= patient.source < len(self._short_by_source):
            p = self._short_by_source[patient.source] or p
        return self._short_los() if self._u() < p[patient.cohort] else self._los()

    def admit(self, patient: Patient) -> None:
        """An emergency admission: a bed now, or board in the ED until one frees. An
        admission that did not come through an ED is an unplanned hospital visit of its own."""
        now = self.env.now
        los = self.draw_stay(patient)
        cohort = patient.cohort
        self.admissions += 1
        self.admissions_by_cohort[cohort] += 1
        if patient.via not in self._visits.front_doors:  # a visit of its own, not through an ED
            self.direct += 1
            self.direct_by_cohort[cohort] += 1
            self._visits.first(patient)
        self.los_sum += los
        if los < self.short_max:
            self.short_stays += 1
            self.short_stays_by_cohort[cohort] += 1
        entry = (now, patient, los, self._discharge())
        if self._log is not None:
            self._log(now, patient.id, self.name, "admitted", f"{los / 24.0:.6f}", cohort)
        if self.occupied < self.beds and not self.boarding:
            self._occupy(entry, now)
        else:
            self.boarding.append(entry)

    def place(self, patient: Patient, remaining_hours: float, dest: int) -> None:
        """Put a patient already in hospital at the start of the run into a bed; ``dest``
        (their discharge pathway) is drawn by the caller from its own stream."""
        if self._log is not None:
            self._log(
                self.env.now,
                patient.id,
                self.name,
                "admitted",
                f"{remaining_hours / 24.0:.6f}",
                patient.cohort,
            )
        self._occupy((self.env.now, patient, remaining_hours, dest), self.env.now)

    @property
    def route_probabilities(self) -> list[float]:
        return list(self._spec_discharge)

    def _occupy(self, entry: tuple[float, Patient, float, int], now: float) -> None:
        self._advance(now)
        self._occupancy.level += 1
        cohort = entry[1].cohort
        self._in_bed[cohort] += 1
        self._cohort_area[cohort] -= now
        if now > entry[0]:
            self.boarded += 1
            self.boarding_sum += now - entry[0]
        self.env.timeout(entry[2], entry).callbacks.append(self._ready)

    def _ready(self, ev: Any) -> None:
        entry = ev.value
        now = self.env.now
        dest = entry[3]
        arranging = self._arranging[dest]
        if arranging is not None:
            delay = arranging()
            if delay > 0.0:
                if self._log is not None:
                    patient = entry[1]
                    self._log(
                        now,
                        patient.id,
                        self.name,
                        "arranging_discharge",
                        self.dest_names[dest],
                        patient.cohort,
                    )
                self._advance(now)
                self._delayed.level += 1
                self._arranging_level.level += 1
                self.env.timeout(delay, entry).callbacks.append(self._arranged)
                return
        self._leave(entry[1], dest, now)

    def _arranged(self, ev: Any) -> None:
        """The discharge is arranged: the patient leaves, or waits for a full step-down service."""
        now = self.env.now
        self._advance(now)
        self._delayed.level -= 1
        self._arranging_level.level -= 1
        entry = ev.value
        self._leave(entry[1], entry[3], now)

    def _leave(self, patient: Patient, dest: int, now: float) -> None:
        """The patient leaves for pathway ``dest`` (or waits in the bed while it is full)."""
        self.discharged[dest] += 1
        if self._log is not None:
            self._log(
                now,
                patient.id,
                self.name,
                "ready_for_discharge",
                self.dest_names[dest],
                patient.cohort,
            )
        patient.via = self.name
        if self._targets[dest](patient):
            self._release(now, patient)

    def start_delay(self) -> None:
        """A patient ready to leave waits in the bed for a step-down service."""
        self._advance(self.env.now)
        self._delayed.level += 1

    def end_delay(self, patient: Patient) -> None:
        """The step-down service took the waiting ``patient``: the bed frees."""
        now = self.env.now
        self._advance(now)
        self._delayed.level -= 1
        self._release(now, patient)

    def _release(self, now: float, patient: Patient) -> None:
        self._advance(now)
        self._occupancy.level -= 1
        cohort = patient.cohort
        self._in_bed[cohort] -= 1
        self._cohort_area[cohort] += now
        if self.boarding and self.occupied < self.beds:
            self._occupy(self.boarding.popleft(), now)

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
from typing import Any

import simpy

from sim.engine.calendar import Clock
from sim.engine.patient import Patient
from sim.engine.streams import Streams
from sim.scenario.model import AcuteBeds, EmergencyDepartment

__all__ = ["AcuteService", "EmergencyDepartmentService", "per_cohort"]

INF = float("inf")


def per_cohort(value: float | dict[str, float], cohorts: list[str]) -> list[float]:
    """A probability given once or per cohort, as one value per cohort index."""
    return [value[c] for c in cohorts] if isinstance(value, dict) else [float(value)] * len(cohorts)


def _uniforms(rng: Any, n: int) -> Any:
    return rng.random(n)


class EmergencyDepartmentService:
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
    ) -> None:
        self.env = env
        self.name = name
        self._log = log
        self._u = streams.sampler(f"{name}.admit", _uniforms)
        self._default = per_cohort(spec.admission_probability, cohorts)
        self._by_route = {r: per_cohort(p, cohorts) for r, p in spec.admission_by_route.items()}
        by_source = {r: per_cohort(p, cohorts) for r, p in spec.admission_by_source.items()}
        self._by_source = [by_source.get(name) for name in (sources or [])]
        self.admit_name = spec.admit_to
        self._admit: Callable[[Patient], None] | None = None
        self._home: Callable[[Patient], None] | None = None
        self.reset(0.0)

    def wire(self, resolve: Callable[[str, str], Callable[[Patient], None]]) -> None:
        self._admit = resolve(self.admit_name, self.kind)
        self._home = resolve("home", self.kind)

    def start(self) -> None:
        """Nothing to schedule."""

    def expect_routes(self, routes: list[str]) -> None:
        """Routes that can send patients here: reported as 0 when none came."""
        self._routes = list(routes)
        self.by_route = dict.fromkeys(self._routes, 0) | self.by_route

    def reset(self, now: float) -> None:
        self.attendances = 0
        self.by_route: dict[str, int] = dict.fromkeys(getattr(self, "_routes", ()), 0)
        self.admitted = 0

    holding = 0

    def finish(self, now: float) -> dict[str, Any]:
        return {
            "attendances": self.attendances,
            "attendances_by_route": dict(self.by_route),
            "admitted": self.admitted,
            "in_system_end": 0,
        }

    def attend(self, patient: Patient) -> None:
        """An ED attendance: admitted or sent home."""
        self.attendances += 1
        via = patient.via
        self.by_route[via] = self.by_route.get(via, 0) + 1
        probs = self._by_route.get(via, self._default)
        if 0 <= patient.source < len(self._by_source):
            probs = self._by_source[patient.source] or probs
        admitted = self._u() < probs[patient.cohort]
        if self._log is not None:
            self._log(
                self.env.now, patient.id, self.name, "attended", "admitted" if admitted else "home"
            )
        patient.via = self.name
        if admitted:
            self.admitted += 1
            self._admit(patient)  # type: ignore[misc]
        else:
            self._home(patient)  # type: ignore[misc]


class AcuteService:
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
    ) -> None:
        self.env = env
        self.name = name
        self.clock = clock
        self._log = log
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
        self.occupied = 0
        self.delayed = 0
        self.arranging = 0
        self.boarding: deque[tuple[float, Patient, float, int]] = deque()
        self.reset(0.0)

    def wire(self, resolve_discharge: Callable[[str], Callable[[Patient], bool]]) -> None:
        """``resolve_discharge(name)`` gives a callable that returns True if the patient left now."""
        self._targets = [resolve_discharge(n) for n in self.dest_names]

    def start(self) -> None:
        """Nothing to schedule."""

    def reset(self, now: float) -> None:
        self.t_mark = now
        self.admissions = 0
        self.short_stays = 0
        self.los_sum = 0.0
        self.boarded = 0
        self.boarding_sum = 0.0
        self.discharged = [0] * len(getattr(self, "dest_names", ()))
        self.bed_area = 0.0
        self.delayed_area = 0.0
        self.arranging_area = 0.0
        self.in_system_start = self.holding

    @property
    def holding(self) -> int:
        return self.occupied + len(self.boarding)

    def _advance(self, now: float) -> None:
        dt = now - self.t_mark
        if dt > 0.0:
            self.bed_area += self.occupied * dt
            self.delayed_area += self.delayed * dt
            self.arranging_area += self.arranging * dt
            self.t_mark = now

    def finish(self, now: float) -> dict[str, Any]:
        self._advance(now)
        return {
            "admissions": self.admissions,
            "short_stays": self.short_stays,
            "los_sum_hours": self.los_sum,
            "bed_hours": self.bed_area,
            "delayed_hours": self.delayed_area,
            "arranging_hours": self.arranging_area,
            "boarded": self.boarded,
            "boarding_hours": self.boarding_sum,
            "discharged": dict(zip(self.dest_names, self.discharged)),
            "beds": self.capacity,
            "in_system_start": self.in_system_start,
            "in_system_end": self.holding,
        }

    # -- flow --------------------------------------------------------------------
    def draw_stay(self, patient: Patient) -> float:
        """A length of stay in hours: a short stay or an ordinary one."""
        p = self._short_p
        if 0 <= patient.source < len(self._short_by_source):
            p = self._short_by_source[patient.source] or p
        return self._short_los() if self._u() < p[patient.cohort] else self._los()

    def admit(self, patient: Patient) -> None:
        """An emergency admission: a bed now, or board in the ED until one frees."""
        now = self.env.now
        los = self.draw_stay(patient)
        self.admissions += 1
        self.los_sum += los
        if los < self.short_max:
            self.short_stays += 1
        entry = (now, patient, los, self._discharge())
        if self._log is not None:
            self._log(now, patient.id, self.name, "admitted", f"{los / 24.0:.6f}")
        if self.occupied < self.beds and not self.boarding:
            self._occupy(entry, now)
        else:
            self.boarding.append(entry)

    def place(self, patient: Patient, remaining_hours: float, dest: int) -> None:
        """Put a patient already in hospital at the start of the run into a bed; ``dest``
        (their discharge pathway) is drawn by the caller from its own stream."""
        if self._log is not None:
            self._log(
                self.env.now, patient.id, self.name, "admitted", f"{remaining_hours / 24.0:.6f}"
            )
        self._occupy((self.env.now, patient, remaining_hours, dest), self.env.now)

    @property
    def route_probabilities(self) -> list[float]:
        return list(self._spec_discharge)

    def _occupy(self, entry: tuple[float, Patient, float, int], now: float) -> None:
        self._advance(now)
        self.occupied += 1
        if now > entry[0]:
            self.boarded += 1
            self.boarding_sum += now - entry[0]
        self.env.timeout(entry[2], entry).callbacks.append(self._ready)

    def _ready(self, ev: simpy.Event) -> None:
        entry = ev.value
        now = self.env.now
        dest = entry[3]
        arranging = self._arranging[dest]
        if arranging is not None:
            delay = arranging()
            if delay > 0.0:
                if self._log is not None:
                    self._log(
                        now, entry[1].id, self.name, "arranging_discharge", self.dest_names[dest]
                    )
                self._advance(now)
                self.delayed += 1
                self.arranging += 1
                self.env.timeout(delay, entry).callbacks.append(self._arranged)
                return
        self._leave(entry[1], dest, now)

    def _arranged(self, ev: simpy.Event) -> None:
        """The discharge is arranged: the patient leaves, or waits for a full step-down service."""
        now = self.env.now
        self._advance(now)
        self.delayed -= 1
        self.arranging -= 1
        entry = ev.value
        self._leave(entry[1], entry[3], now)

    def _leave(self, patient: Patient, dest: int, now: float) -> None:
        """The patient leaves for pathway ``dest`` (or waits in the bed while it is full)."""
        self.discharged[dest] += 1
        if self._log is not None:
            self._log(now, patient.id, self.name, "ready_for_discharge", self.dest_names[dest])
        patient.via = self.name
        if self._targets[dest](patient):
            self._release(now)

    def start_delay(self) -> None:
        """A patient ready to leave waits in the bed for a step-down service."""
        self._advance(self.env.now)
        self.delayed += 1

    def end_delay(self) -> None:
        """The step-down service took the waiting patient: the bed frees."""
        now = self.env.now
        self._advance(now)
        self.delayed -= 1
        self._release(now)

    def _release(self, now: float) -> None:
        self._advance(now)
        self.occupied -= 1
        if self.boarding and self.occupied < self.beds:
            self._occupy(self.boarding.popleft(), now)

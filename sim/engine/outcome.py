"""Ways out of the modelled network: home, and counted outcomes with no capacity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine.patient import Patient
from sim.engine.service import BuildContext, Entry, Service, ServiceTally

__all__ = ["Exit", "OutcomeCounter", "OutcomeTally"]


class Exit:
    """Home: the patient leaves the network. Counts every exit over the whole run
    (never reset), so that patients can be accounted for from start to end."""

    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, patient: Patient) -> None:
        self.total += 1


@dataclass
class OutcomeTally(ServiceTally):
    arrivals: int
    """Patients who reached this outcome in the measured period."""


class OutcomeCounter(Service):
    """A named outcome (a care home, a service not modelled in detail): counts arrivals."""

    kind = "outcome"

    def __init__(
        self, env: simpy.Environment, name: str, exit: Exit, log: Callable[..., None] | None = None
    ) -> None:
        self.env = env
        self.name = name
        self._exit = exit
        self._log = log
        self.arrivals = 0

    @classmethod
    def build(cls, name: str, spec: Any, context: BuildContext) -> OutcomeCounter:
        return cls(context.env, name, context.exit, context.log)

    def entry(self) -> Entry:
        return self.accept

    def reset(self, now: float) -> None:
        self.arrivals = 0

    def accept(self, patient: Patient) -> None:
        self.arrivals += 1
        self._exit.total += 1
        if self._log is not None:
            self._log(self.env.now, patient.id, self.name, "arrived", "", patient.cohort)

    def finish(self, now: float) -> OutcomeTally:
        return OutcomeTally(in_system_start=0, in_system_end=0, arrivals=self.arrivals)

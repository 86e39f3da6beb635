"""A counted way out of the modelled network, with no capacity (e.g. a 999 call or an
ED attendance while those services are not modelled in detail)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from sim.engine.patient import Patient

__all__ = ["OutcomeCounter", "Home"]


class OutcomeCounter:
    """Counts the patients who arrive here."""

    def __init__(self, env: simpy.Environment, name: str, log: Callable[..., None] | None = None) -> None:
        self.env = env
        self.name = name
        self._log = log
        self.arrivals = 0

    def wire(self, resolve: Callable[[str], Callable[[Patient], None]]) -> None:
        """Nothing leaves an outcome."""

    def start(self) -> None:
        """Nothing to schedule."""

    def reset(self, now: float) -> None:
        self.arrivals = 0

    def accept(self, patient: Patient) -> None:
        self.arrivals += 1
        if self._log is not None:
            self._log(self.env.now, patient.id, self.name, "arrived", "")

    def finish(self, now: float) -> dict[str, Any]:
        return {"arrivals": self.arrivals}


def Home(patient: Patient) -> None:
    """The built-in way out: the patient stays at home. Counted by the route that sent them."""

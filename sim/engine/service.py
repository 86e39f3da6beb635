"""The service protocol: what every kind of service does in the engine.

A service is built from its scenario entry and a shared :class:`BuildContext`
(``Kind.engine(name, spec, context)``, see :mod:`sim.registry`), wired once to the
services it routes to through a :class:`Network`, and then only reacts to patients and
to its own timeouts. Its life in a replication:

1. ``build`` — draws nothing yet; takes its named random streams from the context.
2. ``wire(network)`` — resolves each route it names to the entry of the service there
   (``network.entry_point(name, sender)``), once, so the hot path is a list lookup.
3. ``start()`` — schedules what it needs at time 0 (roster changes).
4. ``reset(now)`` — the warm-up has ended: zero the counts of the measured period.
5. patients arrive through ``entry()`` (from routes and demand), ``first_contact()``
   (a demand source's new patient, by particulars: optional fast path),
   ``step_down_entry(hospital)`` (a discharge from an acute bed: optional); a service
   may also prevent arrivals before they become patients (``demand_filter()``).
6. ``finish(now)`` — returns the typed tally of the measured period (a
   :class:`ServiceTally` subclass), which :mod:`sim.metrics` turns into metrics.

``holding`` is the number of patients with the service at any moment (for the
conservation of patients: every patient who enters leaves through exactly one outcome).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import simpy

from sim.engine.calendar import Clock
from sim.engine.patient import Patient
from sim.engine.streams import Streams

if TYPE_CHECKING:
    from sim.engine.outcome import Exit
    from sim.engine.visits import HospitalVisits

__all__ = [
    "BuildContext",
    "DemandFilter",
    "Entry",
    "EventLog",
    "Network",
    "NewPatient",
    "Service",
    "ServiceTally",
]

EventLog = Callable[[float, int, str, str, str, int], None]
"""Receives (time in hours, patient id, service, event, detail, cohort index) for every
movement; the cohort indexes the population's cohorts (``BuildContext.cohorts``)."""

Entry = Callable[[Patient], None]
"""How a patient enters a service."""

NewPatient = Callable[[int, int, int, str], None]
"""A new patient from a demand source, by particulars: (id, cohort, source index, source)."""

DemandFilter = Callable[[int], bool]
"""Consulted for each arrival of one demand source, by cohort index: True if the arrival
is prevented (the need does not arise, so no patient is made)."""


@dataclass(frozen=True)
class BuildContext:
    """What every service may use when it is built: shared by all services of a replication."""

    env: simpy.Environment
    streams: Streams
    clock: Clock
    cohorts: list[str]
    """The population's cohorts, in order (a patient's ``cohort`` indexes this)."""
    sources: list[str]
    """The demand sources, in order (a patient's ``source`` indexes this)."""
    exit: Exit
    """Home: where patients leave the network."""
    log: EventLog | None
    senders: dict[str, list[str]]
    """For each service, every route (service or demand source) that can send patients to it."""
    visits: HospitalVisits
    """Unplanned hospital visits, counted once each (the ED and acute beds record them)."""
    scenario: Any = None
    """The whole scenario, for a service that acts on the population rather than on the
    patients sent to it (a proactive caseload team reads the cohorts' sizes and rates)."""


class Network(Protocol):
    """What a service is wired through: the other services, by name."""

    def entry_point(self, name: str, sender: str) -> Entry:
        """How a patient sent by a service of kind ``sender`` enters service ``name``
        (``home`` is the network's exit)."""
        ...

    def discharge_point(self, name: str, hospital: Any) -> Callable[[Patient], bool]:
        """Where a discharge from ``hospital``'s beds goes: True if the patient left the bed now."""
        ...

    def capacity_check(self, name: str) -> Callable[[], bool]:
        """Whether service ``name`` can take a patient right now."""
        ...

    def service(self, name: str) -> Service | None:
        """The service called ``name`` (None for ``home`` or an unknown name)."""
        ...


@dataclass
class ServiceTally:
    """What every service reports at the end of a replication."""

    in_system_start: int
    """Patients with the service at the end of the warm-up."""
    in_system_end: int
    """Patients with the service at the end of the run."""


class Service:
    """The base of every engine service: the protocol, with defaults for what most lack."""

    kind: str = ""
    """The kind of scenario entry the service was built from."""
    name: str

    @classmethod
    def build(cls, name: str, spec: Any, context: BuildContext) -> Service:
        """Make the service for scenario entry ``spec`` (the registry's ``engine``)."""
        raise NotImplementedError

    def wire(self, network: Network) -> None:
        """Resolve the services this one sends patients to."""

    def entry(self) -> Entry | None:
        """How patients sent by a route enter (None: routes cannot send patients here)."""
        return None

    def first_contact(self) -> NewPatient | None:
        """A faster way in for a demand source's new patient, by particulars (optional)."""
        return None

    def step_down_entry(self, hospital: Any) -> Callable[[Patient], bool] | None:
        """How a patient discharged from ``hospital``'s beds enters: True if they moved now,
        False if they wait in the bed (None: as through :meth:`entry`)."""
        return None

    def can_take_now(self) -> bool:
        """Whether a patient could be taken at once (asked by a hub before it diverts)."""
        return True

    def demand_filter(self, source: str) -> DemandFilter | None:
        """What prevents arrivals of demand source ``source`` before they become patients
        (a proactive caseload team); None if this service prevents none of them. The
        engine consults filters only for the sources that have one."""
        return None

    def start(self) -> None:
        """Schedule what is needed from time 0."""

    def reset(self, now: float) -> None:
        """The measured period starts: zero the counts."""

    def finish(self, now: float) -> ServiceTally:
        """The typed tally of the measured period."""
        raise NotImplementedError

    @property
    def holding(self) -> int:
        """Patients with this service now."""
        return 0

    def occupied_now(self) -> int | None:
        """Beds or slots in use now, for the daily occupancy trace (None: not a bed pool)."""
        return None

    # -- patients already there at the start (``initial_occupancy``) ----------------
    def initial_stays(self, rng: np.random.Generator, n: int, shares: np.ndarray) -> np.ndarray:
        """``n`` lengths of stay (days) for patients found in the service at the start
        (``shares``: the population's cohort shares), drawn from ``rng`` alone."""
        raise NotImplementedError(f"{self.kind} services have no initial occupancy")

    @property
    def route_probabilities(self) -> list[float]:
        """The shares of the route patients take when they leave (for starting patients)."""
        return []

    def place(self, patient: Patient, remaining_hours: float, dest: int) -> None:
        """Put a patient already there at the start into a bed, leaving by route ``dest``."""
        raise NotImplementedError(f"{self.kind} services have no initial occupancy")

"""The registry of service kinds: each ``kind`` of a scenario file, with everything that makes it work.

A kind ties together, in one registration:

- its **scenario model** (a pydantic model in :mod:`sim.scenario`, whose methods give
  its routing rules and its own checks: see :class:`sim.scenario.services.ServiceSpec`),
- its **engine class** (in :mod:`sim.engine`, implementing
  :class:`sim.engine.service.Service`), built as ``engine(name, spec, context)``,
- its **metrics function** ``metrics(name, tally, period, out)``, which turns the
  engine's typed tally into named metrics (see :mod:`sim.metrics`),
- which **cost items** it counts (``cost.activity.<item>``: unit cost × one of its
  metrics) and which of its metrics add up into network **totals** (``admissions.total``),
- what **capacity** it holds and how a planner prices it (``[costs.capacity.<svc>]``:
  ``per_staffed_hour`` × ``<svc>.staffed_hours``, say), for ``cost.capacity.<svc>``.

This module imports nothing from the rest of nhsim, so every layer can read it: the
scenario layer reads the models, the engine the engine classes, the metrics the
metrics functions. The built-in kinds are registered in :mod:`sim.kinds`; a new kind
registers itself the same way (``docs/architecture.md`` shows a kind written in a test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Kind", "get", "kinds", "register", "unregister", "version"]


@dataclass(frozen=True)
class Kind:
    """One kind of service: its scenario model, engine class and metrics function."""

    name: str
    """The ``kind = "..."`` of a scenario file."""
    model: type[Any]
    """The scenario model: a :class:`sim.scenario.services.ServiceSpec` subclass whose
    ``kind`` is ``Literal[name]``."""
    engine: Callable[..., Any]
    """Builds the service: ``engine(name, spec, context) -> Service``."""
    metrics: Callable[..., None]
    """``metrics(name, tally, period, out)``: adds the service's named metrics to ``out``."""
    cost_items: dict[str, str] = field(default_factory=dict)
    """Cost item (a key of ``[costs]``) → the metric suffix it multiplies, e.g.
    ``{"community_visit": "seen"}``: the item costs unit × ``<svc>.seen``, summed over services."""
    totals: dict[str, str] = field(default_factory=dict)
    """Network total → the metric suffix summed into it over the services of this kind,
    e.g. ``{"admissions.total": "admissions"}`` (and ``<total>.by_cohort.<cohort>`` from
    ``<svc>.<suffix>.by_cohort.<cohort>`` where the services report them)."""
    capacity: dict[str, str] = field(default_factory=dict)
    """Capacity price (a key of ``[costs.capacity.<svc>]``) → the metric suffix of what the
    service holds that it multiplies, e.g. ``{"per_bed_day": "bed_days_available"}``.
    Every kind may also have a ``fixed_per_year``; a kind with none of these has only that."""


_KINDS: dict[str, Kind] = {}
_version = 0


def register(kind: Kind, replace: bool = False) -> Kind:
    """Add a kind. Registering a name twice is an error unless ``replace``."""
    global _version
    if kind.name in _KINDS and not replace and _KINDS[kind.name] != kind:
        raise ValueError(f"service kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    _version += 1
    return kind


def unregister(name: str) -> None:
    """Remove a kind (for tests that register a kind of their own)."""
    global _version
    _KINDS.pop(name, None)
    _version += 1


def get(name: str) -> Kind:
    """The kind registered as ``name`` (KeyError if none)."""
    return _KINDS[name]


def kinds() -> list[Kind]:
    """Every registered kind, in registration order."""
    return list(_KINDS.values())


def version() -> int:
    """Changes whenever a kind is registered or removed (for caches built from the registry)."""
    return _version

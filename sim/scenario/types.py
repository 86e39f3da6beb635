"""Building blocks of scenario models: frozen tables, probabilities, splits, hours and days.

Every number a scenario file gives is checked for what the engine can do with it:
``nan`` and ``inf`` (which TOML allows) are refused everywhere, and the counts, rates
and lengths that size what the engine allocates carry an upper limit (the ``MAX_*``
constants here), so a mistyped exponent is a plain message instead of a run that
exhausts the machine's memory or never ends.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "DAYS",
    "EXACT_TOLERANCE",
    "HOME",
    "MAX_ARRIVALS",
    "MAX_CAPACITY",
    "MAX_DAYS",
    "MAX_POPULATION",
    "MAX_RATE_PER_1000",
    "MAX_REPLICATIONS",
    "MAX_UNIT_COST",
    "MAX_WEIGHT",
    "MIN_WEIGHT",
    "SPLIT_TOLERANCE",
    "ByCohort",
    "Capacity",
    "Frozen",
    "Probability",
    "Split",
    "Weight",
    "parse_days",
    "parse_hours",
]

HOME = "home"
"""The built-in way out: the patient stays at home (or is managed otherwise)."""

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPLIT_TOLERANCE = 1e-6
"""How far from 1 the shares of a split may sum (rounded shares such as thirds)."""
EXACT_TOLERANCE = 1e-12
"""How far from 1 a split may sum as written; beyond, its shares are rescaled to sum to 1."""

# -- limits that protect the machine -----------------------------------------------------

MAX_DAYS = 36_500
"""The longest ``run.days`` and ``run.warmup_days`` (100 years): the engine keeps the
demand rate of every simulated hour in memory."""
MAX_POPULATION = 100_000_000
"""The largest ``population.size`` (100 million: more than England)."""
MAX_REPLICATIONS = 100_000
"""The most ``run.replications``: every replication's metrics are kept in memory, and a
seed is made for each before the first one runs."""
MAX_CAPACITY = 100_000
"""The most clinicians on duty (``staff`` and each hour of a ``roster``), ``beds``,
vehicles (``fleet``) and patients already in (``initial_occupancy``) of one service."""
MAX_RATE_PER_1000 = 1_000_000.0
"""The highest ``rate_per_1000`` (a thousand episodes a person a year)."""
MAX_ARRIVALS = 50_000_000
"""The most arrivals one replication may expect (over the warm-up and the measured
period, all demand sources together): the engine draws every arrival time of a
replication at once, before the first patient arrives."""
MAX_UNIT_COST = 1e9
"""The highest unit cost, in pounds (a billion)."""
MAX_WEIGHT = 1e9
"""The largest relative weight of a profile (``hour_of_day`` …) or an empirical distribution."""
MIN_WEIGHT = 1e-9
"""The smallest the largest weight of a profile may be: profiles are multiplied together
and normalised, and a profile of smaller weights only underflows to 0."""


class Frozen(BaseModel):
    """A table of a scenario file: unknown keys are errors, ``nan`` and ``inf`` are not
    numbers, and it cannot be changed once built."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, strict=True, allow_inf_nan=False
    )


def _sums_to_one(split: dict[str, float]) -> dict[str, float]:
    """A split whose shares sum to 1 within SPLIT_TOLERANCE; one that is off by more
    than float rounding (EXACT_TOLERANCE) is rescaled to sum to 1, as numpy's samplers
    need the shares they are given to sum to 1 within about 1e-8."""
    if not split:
        raise ValueError("must name at least one destination")
    total = sum(split.values())
    if abs(total - 1.0) > SPLIT_TOLERANCE:
        parts = ", ".join(f"{k}={v:g}" for k, v in split.items())
        raise ValueError(f"must sum to 1, got {total:.6g} ({parts})")
    if abs(total - 1.0) > EXACT_TOLERANCE:
        return {k: v / total for k, v in split.items()}
    return split


REST = "rest"


def _is_number(value: Any) -> bool:
    """A number that sums like one: not ``nan`` (which fails both comparisons), ``inf``
    or an integer too large for a float."""
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool) and -1e300 < value < 1e300
    )


def _fill_rest(split: Any) -> Any:
    """One destination may be given as ``"rest"``: 1 minus the others (handy with --set)."""
    if not isinstance(split, dict):
        return split
    rest = [k for k, v in split.items() if v == REST]
    if not rest:
        return split
    if len(rest) > 1:
        raise ValueError(f"only one destination may be 'rest', got {', '.join(rest)}")
    others = [v for k, v in split.items() if k != rest[0]]
    if not all(_is_number(v) for v in others):
        return split  # the type and bound errors are reported key by key
    remainder = 1.0 - sum(others)
    if remainder < -SPLIT_TOLERANCE:
        raise ValueError(
            f"the shares other than {rest[0]!r} already sum to {sum(others):.6g}, more than 1"
        )
    return {k: (max(remainder, 0.0) if k == rest[0] else v) for k, v in split.items()}


Probability = Annotated[float, Field(ge=0, le=1)]
Split = Annotated[dict[str, Probability], AfterValidator(_sums_to_one), BeforeValidator(_fill_rest)]
"""Where patients go: destination → probability, summing to 1 (one may be "rest")."""

ByCohort = Probability | dict[str, Probability]
"""A probability, or one per cohort of the population."""

Capacity = Annotated[int, Field(ge=0, le=MAX_CAPACITY)]
"""A number of clinicians, beds, vehicles or patients of one service."""


Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]
"""A relative weight of a profile (0: none at that time); the largest of a profile is at
least MIN_WEIGHT (checked in :mod:`sim.scenario.checks`)."""

_HOURS = re.compile(r"^\s*(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?\s*$")


def parse_hours(text: str) -> tuple[int, int]:
    """``"08-20"`` → (8, 20); ``"20-08"`` is an overnight shift; ``"00-24"`` is all day."""
    m = _HOURS.match(text)
    if not m:
        raise ValueError(f"must look like '08-20' (start-end, whole hours), got {text!r}")
    start, end = int(m.group(1)), int(m.group(2))
    if not (0 <= start <= 23 and 1 <= end <= 24) or start == end:
        raise ValueError(f"must be two different whole hours from 00 to 24, got {text!r}")
    return start, end


def parse_days(text: str) -> tuple[int, ...]:
    """``"mon-fri"`` → (0..4); ``"sat,sun"`` → (5, 6); ``"mon-sun"`` is every day."""
    out: list[int] = []
    for part in text.lower().replace(" ", "").split(","):
        if "-" in part:
            a, _, b = part.partition("-")
            if a not in DAYS or b not in DAYS:
                raise ValueError(f"must be days like 'mon-fri' or 'sat,sun', got {text!r}")
            i, j = DAYS.index(a), DAYS.index(b)
            out.extend(range(i, j + 1) if i <= j else [*range(i, 7), *range(j + 1)])
        elif part in DAYS:
            out.append(DAYS.index(part))
        else:
            raise ValueError(f"must be days like 'mon-fri' or 'sat,sun', got {text!r}")
    return tuple(sorted(set(out)))

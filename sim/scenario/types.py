"""Building blocks of scenario models: frozen tables, probabilities, splits, hours and days."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "DAYS",
    "HOME",
    "SPLIT_TOLERANCE",
    "ByCohort",
    "Frozen",
    "Probability",
    "Split",
    "parse_days",
    "parse_hours",
]

HOME = "home"
"""The built-in way out: the patient stays at home (or is managed otherwise)."""

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPLIT_TOLERANCE = 1e-6


class Frozen(BaseModel):
    """A table of a scenario file: unknown keys are errors, and it cannot be changed once built."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


def _sums_to_one(split: dict[str, float]) -> dict[str, float]:
    if not split:
        raise ValueError("must name at least one destination")
    total = sum(split.values())
    if abs(total - 1.0) > SPLIT_TOLERANCE:
        parts = ", ".join(f"{k}={v:g}" for k, v in split.items())
        raise ValueError(f"must sum to 1, got {total:.6g} ({parts})")
    return split


REST = "rest"


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
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in others):
        return split  # the type errors are reported key by key
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

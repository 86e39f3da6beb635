"""Building blocks of scenario models: frozen tables, probabilities, splits, hours and days."""

from __future__ import annotations

import re
from typing import Annotated, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "Frozen", "Probability", "Split", "ByCohort", "HOME", "DAYS", "SPLIT_TOLERANCE",
    "parse_hours", "parse_days",
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


Probability = Annotated[float, Field(ge=0, le=1)]
Split = Annotated[dict[str, Probability], AfterValidator(_sums_to_one)]
"""Where patients go: destination → probability, summing to 1."""

ByCohort = Union[Probability, dict[str, Probability]]
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
            out.extend(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
        elif part in DAYS:
            out.append(DAYS.index(part))
        else:
            raise ValueError(f"must be days like 'mon-fri' or 'sat,sun', got {text!r}")
    return tuple(sorted(set(out)))

"""The scenario as frozen, validated objects: what a scenario file may say.

Every table forbids unknown keys; every number carries its bound; durations carry
their unit in the key name (``visit_minutes``, ``target_hours``). The engine reads
only these objects, never raw dictionaries. Cross-references (a route naming a
service that exists, cohorts that match the population) are checked afterwards in
:mod:`sim.scenario.checks`, where the key path of each problem is known.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from sim.distributions import Distribution

__all__ = [
    "Scenario",
    "RunSettings",
    "Population",
    "DemandSource",
    "CommunityResponse",
    "Outcome",
    "Service",
    "Split",
    "HOME",
    "DAYS",
    "parse_hours",
    "parse_days",
]

HOME = "home"
"""The built-in way out: the patient stays at home (or is managed otherwise)."""

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPLIT_TOLERANCE = 1e-6


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


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


class RunSettings(Frozen):
    """How long to simulate and how many times."""

    days: float = Field(365.0, gt=0, description="length of the measured period, in days")
    warmup_days: float = Field(
        30.0, ge=0, description="days simulated first and discarded, so queues reach steady state"
    )
    replications: int = Field(10, ge=1, description="default number of replications")
    seed: int = Field(2024, ge=0, description="default seed of a run")


class Population(Frozen):
    """The people the services are for."""

    size: int = Field(ge=0, description="number of people")
    cohorts: Split = Field(
        default_factory=lambda: {"all": 1.0},
        description="share of the population in each cohort (e.g. frailty levels), summing to 1",
    )


class DemandSource(Frozen):
    """A source of urgent need: a non-homogeneous Poisson stream of patients.

    The hourly rate is ``rate_per_1000`` (per 1,000 people in the cohort a year) × the
    cohort's size, shaped by the profiles. Profiles are relative weights, normalised to
    a mean of 1 over the week (and over the year, weighted by days in each month), so
    that the stated yearly rate holds. A weight of zero means no arrivals in that hour.
    """

    to: str = Field(description="the service (or outcome) these patients go to first")
    rate_per_1000: Union[Annotated[float, Field(ge=0)], dict[str, Annotated[float, Field(ge=0)]]] = Field(
        description="patients per 1,000 people a year: one number, or one per cohort"
    )
    hour_of_day: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, min_length=24, max_length=24, description="24 relative weights, hour 0 = midnight"
    )
    day_of_week: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, min_length=7, max_length=7, description="7 relative weights, Monday first"
    )
    hour_of_week: list[Annotated[float, Field(ge=0)]] | None = Field(
        None,
        min_length=168,
        max_length=168,
        description="168 relative weights from Monday 00:00 (instead of hour_of_day/day_of_week)",
    )
    month_of_year: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, min_length=12, max_length=12, description="12 relative weights, January first (winter pressure)"
    )


class CommunityResponse(Frozen):
    """A team that visits patients at home: urgent community response, same-day home visiting.

    Referrals queue first come, first served and are visited by the next free
    clinician on shift. A visit in progress at the end of a shift finishes (overtime);
    no visit starts off shift. A patient not reached within ``patience_hours``
    escalates through ``escalation``; after a visit the patient goes by ``after_visit``.
    """

    kind: Literal["community_response"]
    staff: int | None = Field(
        None, ge=0, description="clinicians on duty in open hours (or give a roster instead)"
    )
    open_hours: str = Field("00-24", description="daily hours of service, e.g. '08-20'")
    open_days: str = Field("mon-sun", description="days of service, e.g. 'mon-fri' or 'sat,sun'")
    roster: list[Annotated[int, Field(ge=0)]] | None = Field(
        None,
        min_length=168,
        max_length=168,
        description="clinicians on duty in each hour of the week from Monday 00:00 (instead of staff)",
    )
    visit_minutes: Distribution = Field(description="visit length, travel included, in minutes")
    target_hours: float = Field(2.0, gt=0, description="response standard, hours from referral to visit")
    patience_hours: float | None = Field(
        None, gt=0, description="longest wait before the patient escalates (none: waits indefinitely)"
    )
    escalation: Split | None = Field(
        None, description="where a patient not reached in time goes (needed with patience_hours)"
    )
    after_visit: Split = Field(
        default_factory=lambda: {HOME: 1.0}, description="where patients go after the visit"
    )

    @field_validator("open_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        parse_hours(v)
        return v

    @field_validator("open_days")
    @classmethod
    def _days(cls, v: str) -> str:
        parse_days(v)
        return v


class Outcome(Frozen):
    """A way out of the modelled network that is counted but has no capacity (e.g. an
    ED attendance or a 999 call, while those services are not modelled in detail)."""

    kind: Literal["outcome"]
    description: str = Field("", description="what this outcome means")


Service = Annotated[Union[CommunityResponse, Outcome], Field(discriminator="kind")]
"""Any service, chosen by its ``kind``."""


class Scenario(Frozen):
    """A whole scenario: population, demand and the services that meet it."""

    name: str = Field("scenario", description="short name, used in result directory names")
    description: str = Field("", description="what this scenario represents")
    run: RunSettings = Field(default_factory=RunSettings, description="run length and replications")
    population: Population = Field(description="the people served")
    demand: dict[str, DemandSource] = Field(description="sources of urgent need, by name")
    services: dict[str, Service] = Field(description="services and outcomes, by name")

    @property
    def horizon_days(self) -> float:
        """Warm-up plus measured period."""
        return self.run.warmup_days + self.run.days

    def service_names(self) -> list[str]:
        return list(self.services)

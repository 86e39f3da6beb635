"""The scenario as frozen, validated objects: what a scenario file may say.

Every table forbids unknown keys; every number carries its bound; durations carry
their unit in the key name (``visit_minutes``, ``target_hours``). The engine reads
only these objects, never raw dictionaries. Cross-references (a route naming a
service that exists, cohorts that match the population) are checked afterwards in
:mod:`sim.scenario.checks`, where the key path of each problem is known.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, SerializeAsAny, create_model

from sim import registry
from sim.scenario.appraisal import HOURS_PER_WTE, PRODUCTIVE_SHARE, CapacityCost, WarningSettings
from sim.scenario.services import (
    AcuteBeds,
    Ambulance,
    BedPool,
    ClinicalHub,
    CommunityResponse,
    EmergencyDepartment,
    IntermediateCare,
    Outcome,
    ServiceSpec,
    Staffed,
    VirtualWard,
)
from sim.scenario.types import (
    DAYS,
    HOME,
    MAX_DAYS,
    MAX_POPULATION,
    MAX_RATE_PER_1000,
    MAX_REPLICATIONS,
    MAX_UNIT_COST,
    ByCohort,
    Frozen,
    Probability,
    Split,
    Weight,
    parse_days,
    parse_hours,
)

__all__ = [
    "DAYS",
    "HOME",
    "AcuteBeds",
    "Ambulance",
    "BedPool",
    "ByCohort",
    "ClinicalHub",
    "CommunityResponse",
    "Costs",
    "DemandSource",
    "EmergencyDepartment",
    "Frozen",
    "IntermediateCare",
    "Outcome",
    "Population",
    "Probability",
    "RunSettings",
    "Scenario",
    "ServiceSpec",
    "Split",
    "Staffed",
    "VirtualWard",
    "parse_days",
    "parse_hours",
    "scenario_model",
    "validate_scenario",
]


class RunSettings(Frozen):
    """How long to simulate and how many times."""

    days: float = Field(
        365.0, gt=0, le=MAX_DAYS, description="length of the measured period, in days"
    )
    warmup_days: float = Field(
        30.0,
        ge=0,
        le=MAX_DAYS,
        description="days simulated first and discarded, so queues reach steady state",
    )
    replications: int = Field(
        10, ge=1, le=MAX_REPLICATIONS, description="default number of replications"
    )
    seed: int = Field(2024, ge=0, description="default seed of a run")


class Population(Frozen):
    """The people the services are for."""

    size: int = Field(ge=0, le=MAX_POPULATION, description="number of people")
    cohorts: Split = Field(
        default_factory=lambda: {"all": 1.0},
        description="share of the population in each cohort (e.g. frailty levels), summing to 1",
    )


Rate = Annotated[float, Field(ge=0, le=MAX_RATE_PER_1000)]
"""Patients per 1,000 people a year."""


class DemandSource(Frozen):
    """A source of urgent need: a non-homogeneous Poisson stream of patients.

    The hourly rate is ``rate_per_1000`` (per 1,000 people in the cohort a year) × the
    cohort's size, shaped by the profiles. Profiles are relative weights, normalised to
    a mean of 1 over the week (and over the year, weighted by days in each month), so
    that the stated yearly rate holds. A weight of zero means no arrivals in that hour.
    """

    to: str = Field(description="the service (or outcome) these patients go to first")
    rate_per_1000: Rate | dict[str, Rate] = Field(
        description="patients per 1,000 people a year: one number, or one per cohort"
    )
    hour_of_day: list[Weight] | None = Field(
        None, min_length=24, max_length=24, description="24 relative weights, hour 0 = midnight"
    )
    day_of_week: list[Weight] | None = Field(
        None, min_length=7, max_length=7, description="7 relative weights, Monday first"
    )
    hour_of_week: list[Weight] | None = Field(
        None,
        min_length=168,
        max_length=168,
        description="168 relative weights from Monday 00:00 (instead of hour_of_day/day_of_week)",
    )
    month_of_year: list[Weight] | None = Field(
        None,
        min_length=12,
        max_length=12,
        description="12 relative weights, January first (winter pressure)",
    )


class Costs(Frozen):
    """Unit costs, in pounds. Each activity cost given (per conveyance, per admission...)
    adds ``cost.activity.<item>`` (per year) to the metrics; each service priced in
    ``[costs.capacity.<svc>]`` adds ``cost.capacity.<svc>``, what its capacity costs a
    year whether used or not; ``cost.total`` is the two together."""

    conveyance: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per ambulance conveyance to ED"
    )
    ambulance_call: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per 999 call attended"
    )
    ed_attendance: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per ED attendance"
    )
    admission: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per emergency admission"
    )
    acute_bed_day: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per acute bed day (delayed days included)"
    )
    community_visit: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per visit by a community response team"
    )
    hub_call: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per call answered by a clinical hub"
    )
    virtual_ward_day: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per virtual ward bed day"
    )
    intermediate_care_day: float | None = Field(
        None, ge=0, le=MAX_UNIT_COST, description="per intermediate care bed or slot day"
    )
    review: float | None = Field(
        None,
        ge=0,
        le=MAX_UNIT_COST,
        description="per month a person spends on a proactive caseload (a month's reviews "
        "and care coordination)",
    )
    hours_per_wte: float = Field(
        HOURS_PER_WTE,
        gt=0,
        le=8784,
        description="contracted hours of one whole-time equivalent a year (37.5 × 52.14)",
    )
    productive_share: float = Field(
        PRODUCTIVE_SHARE,
        gt=0,
        le=1,
        description="share of contracted hours a whole-time clinician is on a roster, after "
        "leave, sickness and training (WTE = rostered hours ÷ hours_per_wte ÷ productive_share)",
    )
    capacity: dict[str, CapacityCost] = Field(
        default_factory=dict,
        description="what each service's capacity costs a year, by service name "
        "(per_staffed_hour or per_wte_year, per_bed_day, per_vehicle_hour, fixed_per_year)",
    )

    def activity(self) -> dict[str, float]:
        """The activity unit costs given: cost item → pounds."""
        skip = {"hours_per_wte", "productive_share", "capacity"}
        return {k: v for k, v in self.model_dump(exclude=skip).items() if v is not None}

    @property
    def wte_hours(self) -> float:
        """Rostered hours of one whole-time equivalent a year."""
        return self.hours_per_wte * self.productive_share


SERVICES_DESCRIPTION = "services and outcomes, by name"


class Scenario(Frozen):
    """A whole scenario: population, demand and the services that meet it."""

    extends: str | None = Field(
        None,
        description="another scenario file this one builds on (relative to this file); its keys are overridden here",
    )
    name: str = Field(
        "scenario",
        description="short name, used in result directory names (default: the file's name)",
    )
    description: str = Field("", description="what this scenario represents")
    run: RunSettings = Field(
        default_factory=lambda: RunSettings.model_validate({}),
        description="run length and replications",
    )
    population: Population = Field(description="the people served")
    demand: dict[str, DemandSource] = Field(description="sources of urgent need, by name")
    services: dict[str, SerializeAsAny[ServiceSpec]] = Field(description=SERVICES_DESCRIPTION)
    costs: Costs | None = Field(None, description="unit costs (optional)")
    warnings: WarningSettings = Field(
        default_factory=lambda: WarningSettings.model_validate({}),
        description="when results get a warning (optional: every threshold has a default)",
    )

    @property
    def horizon_days(self) -> float:
        """Warm-up plus measured period."""
        return self.run.warmup_days + self.run.days


_MODELS: dict[int, type[Scenario]] = {}


def scenario_model() -> type[Scenario]:
    """The model scenario files are validated with: :class:`Scenario`, its ``services``
    a union of every registered kind's model, chosen by ``kind``.

    Built from the registry (and rebuilt when a kind is registered), so that a new kind
    is validated like the others without a change here."""
    version = registry.version()
    model = _MODELS.get(version)
    if model is None:
        members = tuple(kind.model for kind in registry.kinds())
        union: Any = Annotated[Union[members], Field(discriminator="kind")]  # noqa: UP007
        model = create_model(
            "Scenario",
            __base__=Scenario,
            __doc__=Scenario.__doc__,
            __module__=__name__,
            services=(dict[str, union], Field(description=SERVICES_DESCRIPTION)),
        )
        _MODELS.clear()
        _MODELS[version] = model
    return model


def validate_scenario(data: dict[str, Any]) -> Scenario:
    """Validate raw scenario data into a frozen :class:`Scenario` (pydantic errors as raised)."""
    checked = scenario_model().model_validate(data)
    fields = {name: getattr(checked, name) for name in Scenario.model_fields}
    return Scenario.model_construct(_fields_set=set(checked.model_fields_set), **fields)

"""A proactive caseload team: neighbourhood multidisciplinary case management.

NHS England's neighbourhood health guidelines ask for multidisciplinary teams that
manage the care of a risk-stratified cohort, each person with a care coordinator
(Somerset's complex care team; Team Up Derbyshire's anticipatory care). Such a team
sees no urgent patient: it holds people on a **caseload**, reviews them, and lowers
their urgent need. In a scenario file it is described as data:

- **who is eligible**: the share of each cohort that risk stratification finds
  (``eligible = { moderate = 0.5, severe = 1.0 }``);
- **capacity**: the people on the caseload at once (``caseload``), or clinicians on a
  roster with the review time each person takes a month (``staff`` and
  ``review_minutes``: caseload = clinician-hours a month ÷ review hours a person);
- **turnover**: how long a person stays on it (``stay_days``) and who is taken on when
  a place frees (``priority``);
- **effect**: a rate ratio on each demand source's arrivals for people on the
  caseload (``rate_ratio = { calls_999 = 0.86 }``, or one number for every source),
  reached ``ramp_days`` after enrolment.

The team takes no patients: no route may send anyone to it. The engine
(:mod:`sim.engine.proactive`) removes arrivals of people on the caseload from the demand
streams; see ``docs/guides/proactive_care.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from sim.scenario.distributions import Distribution
from sim.scenario.services import Staffed
from sim.scenario.types import MAX_DAYS, MAX_POPULATION, Probability

if TYPE_CHECKING:
    from sim.scenario.checks import Checker

__all__ = ["MAX_REVIEW_MINUTES", "PRIORITIES", "ProactiveCare", "RateRatio"]

RateRatio = Annotated[float, Field(gt=0, le=1)]
"""A rate ratio: arrivals of a person on the caseload ÷ their arrivals without it, in (0, 1]."""

PRIORITIES = ("highest_risk", "proportional")

MAX_REVIEW_MINUTES = 60 * 24 * 31
"""The longest review time a person a month (every minute of a month)."""


class ProactiveCare(Staffed):
    """A proactive caseload team (neighbourhood multidisciplinary team, complex care team):
    people found by risk stratification are taken onto a caseload, stay ``stay_days``,
    and while on it each demand source brings ``rate_ratio`` of their usual arrivals
    (reached ``ramp_days`` after they are taken on). Capacity is ``caseload`` people, or
    ``staff`` on a roster at ``review_minutes`` a person a month. It takes no patients."""

    kind: Literal["proactive_care"]
    eligible: dict[str, Probability] = Field(
        description="share of each cohort found by risk stratification and eligible, by "
        "cohort (cohorts not named: none)"
    )
    caseload: int | None = Field(
        None,
        ge=0,
        le=MAX_POPULATION,
        description="people on the caseload at once (or give staff with review_minutes)",
    )
    open_hours: str = Field("08-18", description="daily hours of work, e.g. '08-18'")
    open_days: str = Field("mon-fri", description="days of work, e.g. 'mon-fri'")
    review_minutes: float | None = Field(
        None,
        gt=0,
        le=MAX_REVIEW_MINUTES,
        description="clinician time a person on the caseload takes a month (reviews, "
        "travel, coordination, meetings), in minutes: sizes the caseload from the roster",
    )
    stay_days: Distribution = Field(description="time a person stays on the caseload, in days")
    priority: Literal["highest_risk", "proportional"] = Field(
        "highest_risk",
        description="who is taken on when a place frees: from the cohort with the highest "
        "urgent need a person first (highest_risk), or at random among the eligible "
        "people not on it (proportional)",
    )
    rate_ratio: RateRatio | dict[str, RateRatio] = Field(
        default_factory=dict,
        description="for a person on the caseload, their arrivals from a demand source ÷ "
        "their arrivals without it, in (0, 1]: one number for every source, or one per "
        "demand source (sources not named: 1)",
    )
    ramp_days: float = Field(
        0.0,
        ge=0,
        le=MAX_DAYS,
        description="days from being taken on to the full effect (the ratio moves from 1 "
        "to rate_ratio in a straight line)",
    )

    takes_patients: ClassVar[bool] = False
    on_patient_paths: ClassVar[bool] = False
    replaced_whole: ClassVar[frozenset[str]] = frozenset({"eligible", "rate_ratio"})

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        checker.cohorts(path + ("eligible",), self.eligible, complete=False)
        if isinstance(self.rate_ratio, dict):
            checker.by_source(path + ("rate_ratio",), self.rate_ratio)
        if self.stay_days.mean <= 0:
            checker.add(
                path + ("stay_days",),
                "must have a mean above 0 days (a stay of no time frees its place at once)",
            )
        rostered = self.staff is not None or self.roster is not None
        if self.staff is not None and self.roster is not None:
            checker.add(path + ("roster",), "give staff or roster, not both")
        if self.caseload is None and not rostered:
            checker.add(
                path + ("caseload",),
                "is required (people on the caseload at once), unless staff (or a roster) "
                "and review_minutes are given",
            )
        elif self.caseload is None and self.review_minutes is None:
            checker.add(
                path + ("review_minutes",),
                "is required to size the caseload from the roster (or give caseload)",
            )

    def ratio_of(self, source: str) -> float:
        """The rate ratio for arrivals from demand source ``source`` (1: no effect)."""
        if isinstance(self.rate_ratio, dict):
            return self.rate_ratio.get(source, 1.0)
        return self.rate_ratio

    def unlimited(self) -> str | None:
        if self.staff is None and self.roster is None:
            return "has no roster (a caseload without staff)"
        return None

"""Built-in verification: the simulator against queueing theory.

Each check builds a one-team scenario whose theory is known (Poisson referrals,
exponential visits, staff on duty around the clock, no escalation), runs it, and
asks whether the theoretical value lies inside the simulation's confidence interval
(99% by default). ``nhsim verify`` prints the table and fails if any check fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.engine.calendar import HOURS_PER_YEAR
from sim.runs.replications import run
from sim.runs.theory import mmc_mean_wait, mmc_wait_within
from sim.scenario import scenario_from_dict
from sim.scenario.model import Scenario

__all__ = ["CHECKS", "Check", "CheckResult", "mmc_scenario", "run_checks"]


def mmc_scenario(
    lam_per_hour: float,
    visit_minutes: float,
    staff: int,
    days: float = 365,
    warmup_days: float = 10,
    extra: dict[str, Any] | None = None,
) -> Scenario:
    """A UCR-only scenario that is an M/M/c queue: Poisson at ``lam_per_hour``, exponential visits."""
    data: dict[str, Any] = {
        "name": f"mmc-{staff}",
        "run": {"days": days, "warmup_days": warmup_days},
        "population": {"size": 1000},
        "demand": {"referrals": {"to": "ucr", "rate_per_1000": lam_per_hour * HOURS_PER_YEAR}},
        "services": {
            "ucr": {
                "kind": "community_response",
                "staff": staff,
                "visit_minutes": {"dist": "exponential", "mean": visit_minutes},
                "target_hours": 2.0,
            }
        },
    }
    for key, value in (extra or {}).items():
        data["services"]["ucr"][key] = value
    return scenario_from_dict(data, "<verify>")


@dataclass(frozen=True)
class Check:
    """One comparison of a simulated metric with its theoretical value."""

    name: str
    metric: str
    theory: Callable[[], float]
    scenario: Callable[[], Scenario]


@dataclass(frozen=True)
class CheckResult:
    name: str
    metric: str
    theory: float
    mean: float
    ci_low: float
    ci_high: float
    n: int

    @property
    def passed(self) -> bool:
        return self.ci_low <= self.theory <= self.ci_high


def _mmc_checks(label: str, lam: float, visit_minutes: float, c: int) -> list[Check]:
    mu = 60.0 / visit_minutes

    def scen() -> Scenario:
        return mmc_scenario(lam, visit_minutes, c)

    return [
        Check(
            f"{label}: mean wait (Erlang C)",
            "ucr.mean_wait_hours",
            lambda: mmc_mean_wait(lam, mu, c),
            scen,
        ),
        Check(
            f"{label}: P(wait <= 2 h) (Erlang C)",
            "ucr.seen_within_target",
            lambda: mmc_wait_within(lam, mu, c, 2.0),
            scen,
        ),
        Check(f"{label}: utilisation = λ/(cμ)", "ucr.utilisation", lambda: lam / (c * mu), scen),
    ]


CHECKS: list[Check] = [
    *_mmc_checks("M/M/1, ρ = 0.6", 0.6, 60.0, 1),
    *_mmc_checks("M/M/5, ρ = 0.9", 4.5, 60.0, 5),
]


def run_checks(
    checks: list[Check] | None = None,
    replications: int = 20,
    seed: int = 2024,
    confidence: float = 0.99,
    workers: int | None = None,
) -> list[CheckResult]:
    """Run each distinct scenario once and compare every check's metric with its theory."""
    checks = CHECKS if checks is None else checks
    out: list[CheckResult] = []
    cache: dict[int, Any] = {}
    for check in checks:
        key = id(check.scenario)
        if key not in cache:
            cache[key] = run(check.scenario(), replications, seed, workers=workers)
        iv = cache[key].interval(check.metric, confidence)
        out.append(
            CheckResult(
                check.name, check.metric, check.theory(), iv.mean, iv.ci_low, iv.ci_high, iv.n
            )
        )
    return out

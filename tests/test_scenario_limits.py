"""Numbers the engine cannot use are refused when the scenario is read, each with the
file, the key path and what is wrong: ``nan`` and ``inf`` anywhere, counts, rates and
lengths above their limits, distribution parameters outside what numpy's samplers take,
a demand that expects more arrivals in a replication than the engine holds, and a
service that sends patients to itself. Every case here once passed ``nhsim validate``
and then hung ``nhsim run``, crashed it or gave garbage.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, SMALL_SCENARIO

from sim.engine.calendar import Clock
from sim.engine.demand import hourly_rates, month_profile, week_profile
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.checks import expected_arrivals
from sim.scenario.errors import describe_number
from sim.scenario.loader import read_scenario_data, scenario_from_dict
from sim.scenario.types import MAX_ARRIVALS

BASE = SMALL_SCENARIO
"""30 days (2 of warm-up) for 20,000 people: young 0.8 at 2, frail 0.2 at 40 per 1,000."""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding base.toml, made the working directory so file names print short."""
    (tmp_path / "base.toml").write_text(BASE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems(here: Path, body: str) -> list[str]:
    """The problems of a file that extends base.toml with ``body``."""
    (here / "bad.toml").write_text(f'extends = "base.toml"\n{body}', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario("bad.toml")
    return [str(p) for p in info.value.problems]


UCR = "[services.ucr]\n"
CASES = {
    # hung the simulator (the community team's booking at arrival never ended)
    "empirical_with_nan": (
        UCR + 'visit_minutes = { dist = "empirical", values = [30, nan] }\n',
        "bad.toml: services.ucr.visit_minutes.values[1]: must be a finite number, got nan",
    ),
    "gamma_sd_inf": (
        UCR + 'visit_minutes = { dist = "gamma", mean = 90, sd = inf }\n',
        "bad.toml: services.ucr.visit_minutes.sd: must be a finite number, got inf",
    ),
    "triangular_high_inf": (
        UCR + 'visit_minutes = { dist = "triangular", low = 10, mode = 60, high = inf }\n',
        "bad.toml: services.ucr.visit_minutes.high: must be a finite number, got inf",
    ),
    # ran to the end with garbage (nobody seen, infinite totals)
    "fixed_mean_inf": (
        UCR + 'visit_minutes = { dist = "fixed", mean = inf }\n',
        "bad.toml: services.ucr.visit_minutes.mean: must be a finite number, got inf",
    ),
    "lognormal_mean_inf": (
        UCR + 'visit_minutes = { dist = "lognormal", mean = inf, sd = 40 }\n',
        "bad.toml: services.ucr.visit_minutes.mean: must be a finite number, got inf",
    ),
    "cost_inf": (
        "[costs]\nadmission = inf\n",
        "bad.toml: costs.admission: must be a finite number, got inf",
    ),
    "cost_above_limit": (
        "[costs]\nadmission = 1e30\n",
        "bad.toml: costs.admission: must be <= 1e+09, got 1e+30",
    ),
    # crashed every worker (overflow, memory, numpy's own checks)
    "days_inf": ("[run]\ndays = inf\n", "bad.toml: run.days: must be a finite number, got inf"),
    "days_1e308": ("[run]\ndays = 1e308\n", "bad.toml: run.days: must be <= 36500, got 1e+308"),
    "warmup_above_limit": (
        "[run]\nwarmup_days = 1e6\n",
        "bad.toml: run.warmup_days: must be <= 36500, got 1e+06",
    ),
    "replications_above_limit": (
        "[run]\nreplications = 1000000000\n",
        "bad.toml: run.replications: must be <= 100000, got 1000000000",
    ),
    "population_1e15": (
        "[population]\nsize = 1000000000000000\n",
        "bad.toml: population.size: must be <= 100000000, got 1000000000000000",
    ),
    "rate_inf": (
        "[demand.referrals]\nrate_per_1000 = inf\n",
        "bad.toml: demand.referrals.rate_per_1000: must be a finite number, got inf",
    ),
    "rate_above_limit": (
        "[demand.referrals]\nrate_per_1000 = { young = 2, frail = 1e7 }\n",
        "bad.toml: demand.referrals.rate_per_1000.frail: must be <= 1e+06, got 1e+07",
    ),
    "staff_10_30": (
        UCR + f"staff = {10**30}\n",
        f"bad.toml: services.ucr.staff: must be <= 100000, got {10**30}",
    ),
    "roster_value_above_limit": (
        UCR + "roster = [" + ", ".join(["2"] * 167 + ["1000000"]) + "]\nstaff = 2\n",
        "bad.toml: services.ucr.roster[167]: must be <= 100000, got 1000000",
    ),
    "lognormal_sd_1e308": (
        UCR + 'visit_minutes = { dist = "lognormal", mean = 90, sd = 1e308 }\n',
        "bad.toml: services.ucr.visit_minutes.sd: must be <= 1e+07, got 1e+308",
    ),
    "uniform_high_inf": (
        UCR + 'visit_minutes = { dist = "uniform", low = 0, high = inf }\n',
        "bad.toml: services.ucr.visit_minutes.high: must be a finite number, got inf",
    ),
    "hour_of_day_nan": (
        "[demand.referrals]\nhour_of_day = [nan" + ", 1" * 23 + "]\n",
        "bad.toml: demand.referrals.hour_of_day[0]: must be a finite number, got nan",
    ),
    "empirical_weight_nan": (
        UCR + 'visit_minutes = { dist = "empirical", values = [30, 60], weights = [1, nan] }\n',
        "bad.toml: services.ucr.visit_minutes.weights[1]: must be a finite number, got nan",
    ),
    "share_nan": (
        "[services.ucr]\nafter_visit = { home = nan, ed = 0.3 }\n",
        "bad.toml: services.ucr.after_visit.home: must be a finite number, got nan",
    ),
    "cohort_share_inf": (
        "[population]\ncohorts = { young = inf, frail = 0.2 }\n",
        "bad.toml: population.cohorts.young: must be a finite number, got inf",
    ),
    "patience_inf": (
        UCR + "patience_hours = inf\n",
        "bad.toml: services.ucr.patience_hours: must be a finite number, got inf",
    ),
    # the samplers' own limits
    "mean_above_limit": (
        UCR + 'visit_minutes = { dist = "exponential", mean = 1e8 }\n',
        "bad.toml: services.ucr.visit_minutes.mean: must be <= 1e+07, got 1e+08",
    ),
    "gamma_shape_underflows": (
        UCR + 'visit_minutes = { dist = "gamma", mean = 1e-300, sd = 1 }\n',
        "bad.toml: services.ucr.visit_minutes: needs sd/mean from 1e-9 to 1e9, "
        "got mean=1e-300, sd=1 (sd/mean = 1e300)",
    ),
    "lognormal_sigma_overflows": (
        UCR + 'visit_minutes = { dist = "lognormal", mean = 1e-200, sd = 1e3 }\n',
        "bad.toml: services.ucr.visit_minutes: needs sd/mean from 1e-9 to 1e9, "
        "got mean=1e-200, sd=1e3 (sd/mean = 1e203)",
    ),
    "profile_weights_underflow": (
        "[demand.referrals]\nhour_of_day = [1e-300" + ", 0" * 23 + "]\n",
        "bad.toml: demand.referrals.hour_of_day: its largest weight must be at least 1e-9 "
        "(profiles are multiplied and normalised), got 1e-300",
    ),
    "empirical_weight_above_limit": (
        UCR + 'visit_minutes = { dist = "empirical", values = [30, 60], weights = [1e300, 1] }\n',
        "bad.toml: services.ucr.visit_minutes.weights[0]: must be <= 1e+09, got 1e+300",
    ),
    # routes that make no sense
    "escalates_to_itself": (
        UCR + "escalation = { ambulance = 0.5, ucr = 0.5 }\n",
        "bad.toml: services.ucr.escalation.ucr: a service cannot send patients to itself",
    ),
    "sends_on_to_itself": (
        UCR + "after_visit = { home = 0.7, ucr = 0.3 }\n",
        "bad.toml: services.ucr.after_visit.ucr: a service cannot send patients to itself",
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(CASES.values()), ids=list(CASES))
def test_refused_with_file_key_and_reason(here: Path, body: str, expected: str) -> None:
    assert problems(here, body) == [expected]


def test_the_base_is_valid(here: Path) -> None:
    """The control: base.toml itself is accepted."""
    assert load_scenario("base.toml").services["ucr"].staff == 2


def test_set_refuses_inf_and_names_itself(here: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("base.toml", ["run.days=inf", "services.ucr.target_hours=nan"])
    assert [str(p) for p in info.value.problems] == [
        "--set: run.days: must be a finite number, got inf",
        "--set: services.ucr.target_hours: must be a finite number, got nan",
    ]


def test_a_resolved_json_scenario_with_nan_is_refused(here: Path) -> None:
    """A scenario.json (as results directories hold) is read by Python's json, which takes
    NaN and Infinity: they are refused like TOML's nan and inf."""
    data, _ = read_scenario_data("base.toml")
    data["services"]["ucr"]["target_hours"] = math.nan
    (here / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario("bad.json")
    assert [str(p) for p in info.value.problems] == [
        "bad.json: services.ucr.target_hours: must be a finite number, got nan"
    ]


def test_a_bed_pool_full_cannot_send_patients_to_itself() -> None:
    data, prov = read_scenario_data(REPO_ROOT / "configs" / "teaching.toml")
    data["services"]["virtual_ward"]["when_full"] = "virtual_ward"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, "teaching.toml", prov)
    assert [str(p) for p in info.value.problems] == [
        f"{prov[('services', 'virtual_ward', 'when_full')]}: services.virtual_ward.when_full: "
        "a service cannot send patients to itself"
    ]


# -- the expected number of arrivals ------------------------------------------------


def test_arrivals_above_the_limit_are_refused_with_the_estimate(here: Path) -> None:
    """100 million people at 9.6 a thousand a year, for 36,502 days: 9.6e7 arrivals."""
    body = "[population]\nsize = 100000000\n[run]\ndays = 36500\n"
    expected = 1e8 * (0.8 * 2 + 0.2 * 40) / 1000 * 36_502 / 365
    assert expected > MAX_ARRIVALS
    assert problems(here, body) == [
        f"bad.toml: demand: expects {describe_number(expected)} arrivals a replication over "
        "36,502 days; the limit is 5e7 (lower the rates, the population or run.days)"
    ]
    assert describe_number(expected) == "9.6e7"


def test_arrivals_just_under_the_limit_are_accepted(here: Path) -> None:
    """At the limit itself the scenario is read (it is not run here: it would take hours)."""
    per_person_day = (0.8 * 2 + 0.2 * 40) / 1000 / 365
    days = math.floor(MAX_ARRIVALS / (1e8 * per_person_day)) - 2  # warm-up: 2 days
    (here / "big.toml").write_text(
        f'extends = "base.toml"\n[population]\nsize = 100000000\n[run]\ndays = {days}\n',
        encoding="utf-8",
    )
    scenario = load_scenario("big.toml")
    assert 0.999 * MAX_ARRIVALS < expected_arrivals(scenario) <= MAX_ARRIVALS


def _engine_arrivals(scenario: Scenario, warmup_days: float, days: float) -> float:
    """The expected arrivals the engine draws from: its integrated hourly rates."""
    clock = Clock.from_days(warmup_days, days)
    return sum(
        float(hourly_rates(src, scenario.population, clock).sum())
        for src in scenario.demand.values()
    )


@pytest.mark.parametrize("config", sorted((REPO_ROOT / "configs").glob("*.toml")), ids=str)
def test_estimate_agrees_with_the_engines_rates(config: Path) -> None:
    """Over the shipped run (a year and more) the estimate is within 1% of the engine's
    integrated rate (profiles over a part of a week or year are all it leaves out); over
    any run it is within the peak of the profiles either way."""
    scenario = load_scenario(config)
    run = scenario.run
    exact = _engine_arrivals(scenario, run.warmup_days, run.days)
    assert expected_arrivals(scenario) == pytest.approx(exact, rel=0.01)

    peak = max(
        float(week_profile(src).max() * month_profile(src).max())
        for src in scenario.demand.values()
    )
    for warmup, days in [(0, 0.5), (1, 2), (60, 3), (0, 10)]:
        short = scenario.model_copy(
            update={"run": run.model_copy(update={"warmup_days": warmup, "days": days})}
        )
        exact = _engine_arrivals(scenario, warmup, days)
        assert exact / peak <= expected_arrivals(short) <= exact * peak * (1 + 1e-9)


def test_split_off_by_rounding_is_rescaled_for_the_samplers() -> None:
    """Shares accepted as summing to 1 (within 1e-6) reach the engine summing to 1 within
    float rounding, as numpy's samplers need: cohort shares off by 6e-7 once crashed a
    run with starting patients ("probabilities do not sum to 1")."""
    data, prov = read_scenario_data(REPO_ROOT / "configs" / "neighbourhood_50k.toml")
    cohorts = data["population"]["cohorts"]
    first = sorted(cohorts)[0]
    cohorts[first] += 6e-7
    scenario = scenario_from_dict(data, "x.toml", prov)
    shares = np.array(list(scenario.population.cohorts.values()))
    assert abs(shares.sum() - 1.0) < 1e-12
    np.random.default_rng(1).choice(len(shares), size=10, p=shares)  # numpy takes them
    written = read_scenario_data(REPO_ROOT / "configs" / "neighbourhood_50k.toml")[0]
    shipped = scenario_from_dict(written, "y.toml")
    assert shipped.population.cohorts == written["population"]["cohorts"], "untouched if exact"

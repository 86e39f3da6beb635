"""The Team Up Derbyshire reproduction (docs/guides/team_up.md) against the published figures.

One run of ``nhsim reproduce experiments/team_up.toml`` (the experiment's 20 paired
replications and seed): each published figure must be within 10% of the model's mean,
and the two avoided figures inside the model's 95% interval. The published numbers are
pinned here too, so a failing comparison cannot be mended by editing the target.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tomllib

import pytest
from conftest import REPO_ROOT

pytestmark = pytest.mark.slow

EXPERIMENT = REPO_ROOT / "experiments" / "team_up.toml"

# NHS England case study, "Derbyshire integrated neighbourhood team reduces ambulance
# call-outs and hospital stays": people aged 65+, twelve months against the twelve before.
PUBLISHED = {
    "home_visiting.seen": 24_259,  # home visits
    "avoided.ambulance.calls": 2_367,  # fewer category 3 ambulance call-outs
    "avoided.admissions.short_stay": 1_467,  # fewer short stays (0-1 day)
}


def test_the_experiment_sets_the_model_against_the_published_figures_unchanged() -> None:
    experiment = tomllib.loads(EXPERIMENT.read_text(encoding="utf-8"))
    assert experiment["published"] == PUBLISHED
    assert all(isinstance(v, int) for v in experiment["published"].values())
    # and calibrates to the same two avoided figures
    assert experiment["calibration"]["targets"] == {
        k: v for k, v in PUBLISHED.items() if k.startswith("avoided.")
    }


@pytest.fixture(scope="module")
def published_csv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    out = tmp_path_factory.mktemp("team_up") / "reproduce"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "reproduce",
            str(EXPERIMENT),
            "--out",
            str(out),
            "-q",
            "--no-plots",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "20 paired replications, seed 2021" in proc.stdout
    with open(out / "published.csv", newline="") as f:
        return {row["figure"]: row for row in csv.DictReader(f)}


def test_published_csv_holds_each_published_figure(
    published_csv: dict[str, dict[str, str]],
) -> None:
    assert set(published_csv) == set(PUBLISHED)
    for figure, value in PUBLISHED.items():
        assert float(published_csv[figure]["published"]) == value


@pytest.mark.parametrize("figure", list(PUBLISHED))
def test_model_mean_within_ten_per_cent_of_the_published_figure(
    published_csv: dict[str, dict[str, str]], figure: str
) -> None:
    mean = float(published_csv[figure]["model_mean"])
    assert abs(mean - PUBLISHED[figure]) <= 0.10 * mean, (
        f"{figure}: model {mean:,.0f}, published {PUBLISHED[figure]:,}"
    )


@pytest.mark.parametrize("figure", ["avoided.ambulance.calls", "avoided.admissions.short_stay"])
def test_published_avoided_figure_inside_the_model_95_per_cent_interval(
    published_csv: dict[str, dict[str, str]], figure: str
) -> None:
    row = published_csv[figure]
    low, high = float(row["ci_low"]), float(row["ci_high"])
    assert low < float(row["model_mean"]) < high
    assert low <= PUBLISHED[figure] <= high, (
        f"{figure}: published {PUBLISHED[figure]:,} outside [{low:,.0f}, {high:,.0f}]"
    )
    assert row["published_in_ci"] == "True"

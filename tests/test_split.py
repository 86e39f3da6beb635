"""A package split into its parts (``nhsim compare ... --split``, ``sim.runs.split``).

- the parts are the keys where the two resolved scenarios differ (a distribution or a
  split is one part; names and run settings are not parts), or each ``--set``;
- each part is paired with the counterfactual: what it avoids alone is exactly what a
  comparison of the counterfactual with that one change gives on the same seeds;
- the sum of the parts is the paired sum; "all together" is the whole comparison;
- a part that cannot be made alone is named with the reason, and the rest still run.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from sim.cli.main import main
from sim.runs.compare import compare
from sim.runs.split import package_changes, split, with_change
from sim.scenario import load_scenario

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
INVEST = REPO_ROOT / "configs" / "neighbourhood_50k_invest.toml"
TEACHING = REPO_ROOT / "configs" / "teaching.toml"
SHORT = ["run.days=90", "run.warmup_days=5"]


def test_the_parts_of_the_shipped_investment() -> None:
    changes = package_changes(load_scenario(NEIGHBOURHOOD), load_scenario(INVEST))
    assert [(c.key, c.before, c.after) for c in changes] == [
        ("services.ucr.staff", 1, 3),
        ("services.virtual_ward.beds", 10, 20),
    ]
    assert changes[0].describe() == "services.ucr.staff: 1 -> 3"


def test_a_distribution_or_a_split_is_one_part_and_run_settings_are_none() -> None:
    cf = load_scenario(TEACHING, SHORT)
    sc = load_scenario(
        TEACHING,
        [
            "run.days=60",
            "name='other'",
            "services.ucr.visit_minutes={ dist = 'fixed', mean = 60 }",
            "services.ucr.after_visit={ home = 0.5, virtual_ward = 0.1, ed = 0.4 }",
        ],
    )
    keys = [c.key for c in package_changes(cf, sc)]
    assert keys == ["services.ucr.visit_minutes", "services.ucr.after_visit"]


@pytest.fixture(scope="module")
def package() -> tuple:
    cf = load_scenario(TEACHING, SHORT)
    sc = load_scenario(TEACHING, [*SHORT, "services.ucr.staff=2", "services.virtual_ward.beds=4"])
    return cf, sc, split(cf, sc, 3, 17)


def test_each_part_is_paired_with_the_counterfactual(package: tuple) -> None:
    cf, sc, result = package
    assert [p.change.key for p in result.parts] == [
        "services.ucr.staff",
        "services.virtual_ward.beds",
    ]
    for part in result.parts:
        alone = compare(cf, with_change(cf, part.change), 3, 17)
        for m in ("ambulance.conveyances", "admissions.total", "acute.bed_days"):
            assert part.comparison is not None
            assert part.comparison.avoided(m) == alone.avoided(m)
    whole = compare(cf, sc, 3, 17)
    assert result.whole.avoided("admissions.total") == whole.avoided("admissions.total")


def test_sum_of_the_parts_is_the_paired_sum(package: tuple) -> None:
    _, _, result = package
    m = "admissions.total"
    total = result.sum_of_parts(m)
    assert total.mean == pytest.approx(sum(p.comparison.avoided(m).mean for p in result.parts))
    assert total.n == 3 and total.ci_low <= total.mean <= total.ci_high


def test_compare_split_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    sets = ["--set", "services.ucr.staff=2", "--set", "services.virtual_ward.beds=4"]
    sets += [x for s in SHORT for x in ("--set", s)]
    code = main(["compare", str(TEACHING), *sets, "-n", "2", "--split", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "What each part avoids alone" in printed
    assert "1. services.ucr.staff: 1 -> 2" in printed and "all together" in printed
    rows = list(csv.DictReader(io.StringIO((out / "split.csv").read_text())))
    assert {r["part"] for r in rows} == {"1", "2", "sum of the parts", "all together"}
    # run settings given with --set are applied to every part, not split out as a part
    assert not any("run.days" in r["change"] for r in rows)


def test_a_part_that_cannot_be_made_alone_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    scenario = tmp_path / "with_home.toml"
    scenario.write_text(
        f'extends = "{TEACHING.as_posix()}"\n'
        'name = "with_care_home"\n'
        "[run]\ndays = 90\nwarmup_days = 5\n"
        "[services.care_home]\n"
        'kind = "outcome"\n'
        "[services.ucr]\n"
        "after_visit = { home = 0.55, virtual_ward = 0.05, care_home = 0.1, ed = 0.3 }\n",
        encoding="utf-8",
    )
    cf = tmp_path / "cf.toml"
    cf.write_text(
        f'extends = "{TEACHING.as_posix()}"\nname = "cf"\n[run]\ndays = 90\nwarmup_days = 5\n',
        encoding="utf-8",
    )
    code = main(
        ["compare", str(cf), str(scenario), "-n", "2", "--split", "--out", str(tmp_path / "o")]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "cannot be made alone (services.ucr.after_visit.care_home" in printed

"""Scenario files for a new place: new cohorts in an ``extends`` file, and files given to
the wrong command.

- a file that extends another and names new cohorts replaces every per-cohort table
  of the base: giving the new tables is enough (no stale cohort survives), and a table
  it does not give again is one clear problem naming it;
- a file whose cohorts keep the base's names merges as before;
- a scenario file given to ``nhsim sweep``/``search``, or an experiment file given to
  ``nhsim run``/``validate``/``compare``, says what the file is and which command takes
  it (exit code 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT

from sim.cli.main import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.loader import display_path

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"

NEW_COHORTS = f"""\
extends = "{NEIGHBOURHOOD.as_posix()}"
name = "two_cohorts"

[population]
cohorts = {{ younger = 0.7, older = 0.3 }}

[demand.calls_999]
rate_per_1000 = {{ younger = 100, older = 320 }}
[demand.urgent_referrals]
rate_per_1000 = {{ younger = 3, older = 80 }}
[demand.home_visit_requests]
rate_per_1000 = {{ younger = 0, older = 300 }}
[demand.walk_in]
rate_per_1000 = {{ younger = 200, older = 150 }}

[services.ambulance.on_scene_by_cohort]
older = {{ treated = 0.32, call_before_convey = 0.12, convey = 0.56 }}

[services.ed]
admission_probability = {{ younger = 0.22, older = 0.45 }}
[services.ed.admission_by_route]
ambulance = {{ younger = 0.38, older = 0.62 }}

[services.acute]
short_stay_probability = {{ younger = 0.5, older = 0.3 }}
"""


def test_new_cohorts_replace_every_per_cohort_table(tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    path.write_text(NEW_COHORTS, encoding="utf-8")
    scenario = load_scenario(path)
    assert list(scenario.population.cohorts) == ["younger", "older"]
    ambulance = scenario.services["ambulance"]
    assert list(ambulance.on_scene_by_cohort) == ["older"]  # the base's fit, mild... are gone
    assert scenario.services["ed"].admission_by_route["ambulance"] == {
        "younger": 0.38,
        "older": 0.62,
    }
    assert scenario.services["ed"].admission_by_route["ucr"] == 0.65  # not by cohort: kept
    assert scenario.services["acute"].beds == 92  # everything else merges as before


def test_a_per_cohort_table_not_given_again_is_named(tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    path.write_text(
        NEW_COHORTS.replace(
            "[services.acute]\nshort_stay_probability = { younger = 0.5, older = 0.3 }\n", ""
        ),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    problems = err.value.problems
    assert [p.path for p in problems] == ["services.acute.short_stay_probability"]
    assert problems[0].message == (
        f"{display_path(NEIGHBOURHOOD)} gives it by cohort (under_65, fit, mild, moderate, "
        "severe), and this file replaces the cohorts: give it again for younger, older"
    )


def test_cohorts_that_keep_the_base_names_merge_as_before(tmp_path: Path) -> None:
    path = tmp_path / "shares.toml"
    path.write_text(
        f'extends = "{NEIGHBOURHOOD.as_posix()}"\n'
        "[population]\n"
        "cohorts = { under_65 = 0.78, fit = 0.11, mild = 0.075, moderate = 0.028, severe = 0.007 }\n",
        encoding="utf-8",
    )
    scenario, base = load_scenario(path), load_scenario(NEIGHBOURHOOD)
    assert scenario.population.cohorts["fit"] == 0.11
    assert scenario.services["ambulance"].on_scene_by_cohort == (
        base.services["ambulance"].on_scene_by_cohort
    )


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["sweep", "configs/teaching.toml"], "is a scenario file"),
        (["search", "configs/neighbourhood_50k.toml"], "is a scenario file"),
        (["run", "experiments/ucr_vw_grid.toml"], "run it with `nhsim sweep"),
        (["validate", "experiments/ucr_least_staff.toml"], "run it with `nhsim search"),
        (["compare", "configs/teaching.toml", "experiments/team_up.toml"], "`nhsim reproduce"),
    ],
)
def test_a_file_given_to_the_wrong_command_is_named(
    argv: list[str], says: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err  # one message, not a list of unknown keys
    assert err[0].startswith(f"{argv[-1]}: is a") and says in err[0]

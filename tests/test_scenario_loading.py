"""Loading valid scenarios: ``extends`` merging, ``--set`` overrides and their types,
where each value came from (so errors name the right file), the frozen result, the
``validate`` and ``schema`` commands, and every shipped scenario in ``configs/``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from sim.scenario import Problem, Scenario, ScenarioError, load_scenario, parse_override
from sim.scenario.distributions import DIST_NAMES, Distribution, Exponential, Fixed, Lognormal
from sim.scenario.model import validate_scenario

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((REPO_ROOT / "configs").rglob("*.toml"))

from conftest import SMALL_SCENARIO

BASE = SMALL_SCENARIO


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding base.toml, made the working directory so file names print short."""
    (tmp_path / "base.toml").write_text(BASE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path | str, overrides: list[str] | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    assert all(isinstance(p, Problem) for p in info.value.problems)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return [str(p) for p in info.value.problems]


# --- extends ------------------------------------------------------------------------


def test_base_loads_as_written(here: Path) -> None:
    s = load_scenario("base.toml")
    assert isinstance(s, Scenario)
    assert s.name == "base"  # no name given: the file's stem
    assert s.run.days == 30 and s.run.seed == 7
    assert s.population.cohorts == {"young": 0.8, "frail": 0.2}
    ucr = s.services["ucr"]
    assert ucr.staff == 2
    assert ucr.visit_minutes == Lognormal(dist="lognormal", mean=90, sd=40)
    assert list(s.services) == ["ucr", "ambulance", "ed"]


def test_child_overrides_one_key_and_keeps_the_rest(here: Path) -> None:
    write(here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nstaff = 5\n')
    base, s = load_scenario("base.toml"), load_scenario("child.toml")
    assert s.services["ucr"].staff == 5
    assert s.name == "child"
    # everything else is the base's
    assert s.services["ucr"].model_dump(exclude={"staff"}) == base.services["ucr"].model_dump(
        exclude={"staff"}
    )
    assert s.model_dump(exclude={"name", "services"}) == base.model_dump(
        exclude={"name", "services"}
    )
    assert s.services["ambulance"] == base.services["ambulance"]
    assert s.services["ed"] == base.services["ed"]


def test_child_adds_a_service_and_a_route_to_it(here: Path) -> None:
    write(
        here / "child.toml",
        'extends = "base.toml"\n'
        "[services.ucr]\nafter_visit = { home = 0.6, ed = 0.3, gp = 0.1 }\n"
        '[services.gp]\nkind = "outcome"\n',
    )
    s = load_scenario("child.toml")
    assert list(s.services) == ["ucr", "ambulance", "ed", "gp"]
    assert s.services["ucr"].after_visit == {"home": 0.6, "ed": 0.3, "gp": 0.1}


def test_distribution_in_child_replaces_the_whole_table(here: Path) -> None:
    write(
        here / "child.toml",
        'extends = "base.toml"\n[services.ucr]\nvisit_minutes = { dist = "exponential", mean = 60 }\n',
    )
    # merged key by key, the base's sd would be left over: an unknown key for an exponential
    assert load_scenario("child.toml").services["ucr"].visit_minutes == Exponential(
        dist="exponential", mean=60
    )


def test_distribution_in_child_takes_nothing_from_the_base(here: Path) -> None:
    write(
        here / "child.toml",
        'extends = "base.toml"\n[services.ucr]\nvisit_minutes = { dist = "gamma", mean = 60 }\n',
    )
    # a gamma needs an sd; the base's lognormal sd must not fill it in
    assert problems_of("child.toml") == [
        "child.toml: services.ucr.visit_minutes.sd: is required for a gamma distribution"
    ]


def test_route_split_in_child_replaces_the_whole_split(here: Path) -> None:
    write(
        here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nafter_visit = { home = 1.0 }\n'
    )
    # merged key by key, ed = 0.3 would survive and the split would sum to 1.3
    assert load_scenario("child.toml").services["ucr"].after_visit == {"home": 1.0}


@pytest.mark.parametrize(
    ("table", "text", "expected"),
    [
        (
            "population.cohorts",
            "[population]\ncohorts = { all = 1.0 }\n"
            "[demand.referrals]\nrate_per_1000 = { all = 10 }\n",
            {"all": 1.0},
        ),
        ("escalation", "[services.ucr]\nescalation = { ambulance = 1.0 }\n", {"ambulance": 1.0}),
    ],
    ids=["cohorts", "escalation"],
)
def test_other_splits_in_child_replace_the_whole_split(
    here: Path, table: str, text: str, expected: dict
) -> None:
    write(here / "child.toml", f'extends = "base.toml"\n{text}')
    s = load_scenario("child.toml")
    got = s.population.cohorts if table == "population.cohorts" else s.services["ucr"].escalation
    assert got == expected
    if table == "population.cohorts":
        assert s.demand["referrals"].rate_per_1000 == {"all": 10}


def test_extends_chain_of_three_in_other_directories(
    here: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``extends`` is relative to the file that says it, not to the working directory."""
    write(
        here / "area/middle.toml",
        'extends = "../base.toml"\n[services.ucr]\nstaff = 4\nopen_hours = "07-22"\n',
    )
    write(here / "area/options/top.toml", 'extends = "../middle.toml"\n[services.ucr]\nstaff = 6\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_scenario(here / "area/options/top.toml")
    assert s.services["ucr"].staff == 6  # from top
    assert s.services["ucr"].open_hours == "07-22"  # from middle
    assert s.services["ucr"].visit_minutes.mean == 90  # from base
    assert s.name == "top"


def test_name_is_inherited_when_the_base_gives_one(here: Path) -> None:
    write(here / "named.toml", 'extends = "base.toml"\nname = "named-area"\n')
    write(here / "child.toml", 'extends = "named.toml"\n')
    assert load_scenario("child.toml").name == "named-area"


def test_loading_twice_gives_equal_scenarios(here: Path) -> None:
    """Merging must not leak from one load into the next (no shared mutable state)."""
    write(here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nstaff = 5\n')
    first = load_scenario("child.toml", ["services.ucr.visit_minutes.sd=10"])
    assert load_scenario("base.toml").services["ucr"].visit_minutes.sd == 40
    assert load_scenario("child.toml", ["services.ucr.visit_minutes.sd=10"]) == first


# --- --set --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keys", "value"),
    [
        ("services.ucr.staff=8", ["services", "ucr", "staff"], 8),
        ("run.days=10.5", ["run", "days"], 10.5),
        ("run.days=1e2", ["run", "days"], 100.0),
        ("flag=true", ["flag"], True),
        ("flag=false", ["flag"], False),
        ('name="north east"', ["name"], "north east"),
        ("name=north east", ["name"], "north east"),
        ("services.ucr.open_hours=08-18", ["services", "ucr", "open_hours"], "08-18"),
        ("description=a=b", ["description"], "a=b"),
        ("weights=[1, 2.5, 3]", ["weights"], [1, 2.5, 3]),
        ('v={ dist = "fixed", mean = 30 }', ["v"], {"dist": "fixed", "mean": 30}),
        (" services . ucr . staff = 3 ", ["services", "ucr", "staff"], 3),
        ("name=", ["name"], ""),
    ],
    ids=[
        "int",
        "float",
        "float_exponent",
        "bool_true",
        "bool_false",
        "quoted_string",
        "bare_string",
        "bare_string_like_a_number",
        "equals_in_value",
        "list",
        "inline_table",
        "spaces",
        "empty_value",
    ],
)
def test_parse_override_types(text: str, keys: list[str], value: object) -> None:
    got_keys, got = parse_override(text)
    assert got_keys == keys
    assert got == value
    assert type(got) is type(value)


@pytest.mark.parametrize(
    "text", ["services.ucr.staff", "=3", "services..staff=3", ".staff=3", "staff.=3"]
)
def test_parse_override_rejects_malformed(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_override(text)
    assert [str(p) for p in info.value.problems] == [
        f"--set: {text!r} must look like key.path=value"
    ]


def test_set_applies_typed_values(here: Path) -> None:
    s = load_scenario(
        "base.toml",
        [
            "services.ucr.staff=3",
            "run.days=10.5",
            "name=north east",
            'services.ucr.open_hours="07-19"',
            "demand.referrals.hour_of_day=[0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]",
            'services.ucr.visit_minutes={ dist = "fixed", mean = 30 }',
        ],
    )
    assert s.services["ucr"].staff == 3
    assert s.run.days == 10.5
    assert s.name == "north east"
    assert s.services["ucr"].open_hours == "07-19"
    assert s.demand["referrals"].hour_of_day == [0.0] * 7 + [1.0] * 12 + [0.0] * 5
    # an inline table replaces the base's whole table (a stale sd would be an unknown key)
    assert s.services["ucr"].visit_minutes == Fixed(dist="fixed", mean=30)


def test_set_a_bool_is_a_bool_not_text(here: Path) -> None:
    assert problems_of("base.toml", ["description=true"]) == [
        "--set: description: must be text in quotes, got true"
    ]


def test_set_one_key_inside_a_table(here: Path) -> None:
    s = load_scenario(
        "base.toml",
        [
            "services.ucr.visit_minutes.sd=10",
            "population.cohorts.young=0.7",
            "population.cohorts.frail=0.3",
        ],
    )
    assert s.services["ucr"].visit_minutes == Lognormal(dist="lognormal", mean=90, sd=10)
    assert s.population.cohorts == {"young": 0.7, "frail": 0.3}


def test_set_adds_a_new_table(here: Path) -> None:
    s = load_scenario(
        "base.toml",
        ['services.gp.kind="outcome"', "services.ucr.after_visit={ home = 0.5, gp = 0.5 }"],
    )
    assert "gp" in s.services
    assert s.services["ucr"].after_visit == {"home": 0.5, "gp": 0.5}


def test_set_overrides_the_whole_chain_and_the_last_wins(here: Path) -> None:
    write(here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nstaff = 5\n')
    assert load_scenario("child.toml", ["services.ucr.staff=7"]).services["ucr"].staff == 7
    assert (
        load_scenario("child.toml", ["services.ucr.staff=-1", "services.ucr.staff=9"])
        .services["ucr"]
        .staff
        == 9
    )


# --- provenance: each problem names where the value came from -------------------------


def test_error_in_a_value_from_the_base_names_the_base(here: Path) -> None:
    write(here / "base.toml", BASE.replace("seed = 7", "seed = -7"))
    write(here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nstaff = 5\n')
    assert problems_of("child.toml") == ["base.toml: run.seed: must be >= 0, got -7"]


def test_error_in_a_base_in_another_directory_names_it_by_its_path(here: Path) -> None:
    write(here / "shared/base.toml", BASE.replace("staff = 2", "staff = -2"))
    write(here / "area/child.toml", 'extends = "../shared/base.toml"\n[run]\nseed = 3\n')
    assert problems_of("area/child.toml") == [
        "shared/base.toml: services.ucr.staff: must be >= 0, got -2"
    ]


def test_child_fixing_the_base_value_is_accepted(here: Path) -> None:
    write(here / "base.toml", BASE.replace("staff = 2", "staff = -2"))
    write(here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nstaff = 5\n')
    assert load_scenario("child.toml").services["ucr"].staff == 5


def test_errors_from_base_and_child_name_each_file(here: Path) -> None:
    write(here / "base.toml", BASE.replace("seed = 7", "seed = -7"))
    write(here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nstaff = -5\n')
    assert problems_of("child.toml") == [
        "base.toml: run.seed: must be >= 0, got -7",
        "child.toml: services.ucr.staff: must be >= 0, got -5",
    ]


def test_error_in_a_split_the_child_replaced_names_the_child(here: Path) -> None:
    write(
        here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nafter_visit = { home = 0.5 }\n'
    )
    assert problems_of("child.toml") == [
        "child.toml: services.ucr.after_visit: must sum to 1, got 0.5 (home=0.5)"
    ]


def test_error_in_an_override_names_set(here: Path) -> None:
    write(here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nstaff = 5\n')
    assert problems_of("child.toml", ["services.ucr.staff=-1"]) == [
        "--set: services.ucr.staff: must be >= 0, got -1"
    ]


def test_unknown_destination_in_the_child_names_the_child(here: Path) -> None:
    """A cross-reference check (not pydantic) also names the file the value came from."""
    write(
        here / "child.toml",
        'extends = "base.toml"\n[services.ucr]\nafter_visit = { home = 0.5, edd = 0.5 }\n',
    )
    [line] = problems_of("child.toml")
    assert line.startswith("child.toml: services.ucr.after_visit.edd: unknown ")
    assert line.endswith("'edd'; did you mean 'ed'?")


# --- the resolved scenario -------------------------------------------------------------


def test_resolved_scenario_is_frozen(here: Path) -> None:
    s = load_scenario("base.toml")
    with pytest.raises(ValidationError, match="frozen"):
        s.name = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        s.run.days = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        s.services["ucr"].staff = 9  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="frozen"):
        s.services["ucr"].visit_minutes.sd = 1  # type: ignore[union-attr]
    assert s.name == "base" and s.services["ucr"].staff == 2


def test_dist_names_match_the_distribution_models() -> None:
    """The names offered in 'unknown distribution' messages are exactly the ones accepted."""
    import typing

    union = typing.get_args(Distribution)[0]
    tags = [typing.get_args(m.model_fields["dist"].annotation)[0] for m in typing.get_args(union)]
    assert sorted(tags) == sorted(DIST_NAMES)


# --- the validate and schema commands ----------------------------------------------------


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_validate_prints_the_resolved_scenario_as_json(here: Path) -> None:
    write(here / "child.toml", 'extends = "base.toml"\n[services.ucr]\nstaff = 5\n')
    proc = run_cli(here, "validate", "child.toml", "--set", "run.days=50")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["child.toml: valid"]
    data = json.loads(proc.stdout)
    assert data["name"] == "child"
    assert data["run"]["days"] == 50
    assert data["services"]["ucr"]["staff"] == 5
    assert data["services"]["ucr"]["visit_minutes"] == {"dist": "lognormal", "mean": 90, "sd": 40}
    assert data["services"]["ucr"]["after_visit"] == {"home": 0.7, "ed": 0.3}
    # the JSON is the whole resolved scenario: it loads back to the same thing
    assert validate_scenario(data) == load_scenario("child.toml", ["run.days=50"])
    assert not (here / "results").exists()


def test_schema_prints_json_schema() -> None:
    proc = run_cli(REPO_ROOT, "schema")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["type"] == "object"
    assert {"population", "demand", "services", "run"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"population", "demand", "services"}


# --- every shipped scenario loads ----------------------------------------------------------


def test_configs_exist() -> None:
    assert CONFIGS, "no scenarios found in configs/"


@pytest.mark.parametrize(
    "path", CONFIGS, ids=[str(p.relative_to(REPO_ROOT / "configs")) for p in CONFIGS]
)
def test_shipped_scenario_loads(path: Path) -> None:
    s = load_scenario(path)
    assert isinstance(s, Scenario)
    assert s.services and s.demand

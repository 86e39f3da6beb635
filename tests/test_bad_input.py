"""Bad input, end to end: every mistake in a scenario file or on the command line gives
one plain line per problem on stderr (``file: key.path: message``), exit code 2, no
traceback, and no results directory.

Each case is run as a user would run it: ``python -m sim run <file> --out <dir>`` in a
subprocess, from the directory holding the scenario files, so the file names printed
are predictable. Each case starts from the small valid scenario ``BASE`` and changes one
thing, mostly through ``extends`` or by editing one line.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# A small valid scenario in the shape of configs/teaching.toml.
from conftest import SMALL_SCENARIO

from sim.scenario.distributions import DIST_NAMES

BASE = 'name = "base"\n' + SMALL_SCENARIO


def edited(old: str, new: str) -> str:
    """BASE with one line changed (``old`` must occur exactly once)."""
    assert BASE.count(old) == 1, f"{old!r} is not a single line of BASE"
    return BASE.replace(old, new)


def child(body: str) -> str:
    """A file that extends base.toml and adds ``body``."""
    return f'extends = "base.toml"\n{body}'


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]  # file name (relative to the run directory) -> content
    expected: list[str]  # the exact lines on stderr
    scenario: str = "bad.toml"
    args: list[str] = field(default_factory=list)


CASES = [
    # --- the kinds every scenario loader must handle ---------------------------------
    Case(
        "misspelt_key",
        {"bad.toml": child("[services.ucr]\nstaf = 3\n")},
        ["bad.toml: services.ucr.staf: unknown key; did you mean 'staff'?"],
    ),
    Case(
        "misspelt_top_level_table",
        {"bad.toml": child("[servces.ucr]\nstaff = 3\n")},
        ["bad.toml: servces: unknown key; did you mean 'services'?"],
    ),
    Case(
        "wrong_type_text_for_number",
        {"bad.toml": edited("days = 30", 'days = "a month"')},
        ["bad.toml: run.days: must be a number, got 'a month'"],
    ),
    Case(
        "wrong_type_fraction_for_count",
        {"bad.toml": edited("staff = 2", "staff = 1.5")},
        ["bad.toml: services.ucr.staff: must be a whole number, got 1.5"],
    ),
    Case(
        "wrong_type_text_for_table",
        {"bad.toml": edited("escalation = { ambulance = 0.5, ed = 0.5 }", 'escalation = "ed"')},
        ["bad.toml: services.ucr.escalation: must be a table, got 'ed'"],
    ),
    Case(
        "wrong_type_number_for_text",
        {"bad.toml": child("name = 3\n")},
        ["bad.toml: name: must be text in quotes, got 3"],
    ),
    Case(
        "negative_count",
        {"bad.toml": child("[services.ucr]\nstaff = -2\n")},
        ["bad.toml: services.ucr.staff: must be >= 0, got -2"],
    ),
    Case(
        "negative_population",
        {"bad.toml": edited("size = 20000", "size = -1")},
        ["bad.toml: population.size: must be >= 0, got -1"],
    ),
    Case(
        "zero_replications",
        {"bad.toml": child("[run]\nreplications = 0\n")},
        ["bad.toml: run.replications: must be >= 1, got 0"],
    ),
    Case(
        "probability_above_one",
        {"bad.toml": child("[services.ucr]\nafter_visit = { home = 1.5, ed = -0.5 }\n")},
        [
            "bad.toml: services.ucr.after_visit.home: must be <= 1, got 1.5",
            "bad.toml: services.ucr.after_visit.ed: must be >= 0, got -0.5",
        ],
    ),
    Case(
        "split_not_summing_to_one",
        {"bad.toml": child("[services.ucr]\nafter_visit = { home = 0.5, ed = 0.3 }\n")},
        ["bad.toml: services.ucr.after_visit: must sum to 1, got 0.8 (home=0.5, ed=0.3)"],
    ),
    Case(
        "cohorts_not_summing_to_one",
        {
            "bad.toml": edited(
                "cohorts = { young = 0.8, frail = 0.2 }", "cohorts = { young = 0.8, frail = 0.3 }"
            )
        },
        ["bad.toml: population.cohorts: must sum to 1, got 1.1 (young=0.8, frail=0.3)"],
    ),
    Case(
        "unknown_distribution",
        {"bad.toml": child('[services.ucr]\nvisit_minutes = { dist = "weibull", mean = 90 }\n')},
        [
            "bad.toml: services.ucr.visit_minutes.dist: unknown distribution 'weibull'; "
            f"choose one of: {', '.join(DIST_NAMES)}"
        ],
    ),
    Case(
        "lognormal_without_sd",
        {"bad.toml": child('[services.ucr]\nvisit_minutes = { dist = "lognormal", mean = 90 }\n')},
        ["bad.toml: services.ucr.visit_minutes.sd: is required for a lognormal distribution"],
    ),
    Case(
        "distribution_without_dist",
        {"bad.toml": child("[services.ucr]\nvisit_minutes = 90\n")},
        [
            "bad.toml: services.ucr.visit_minutes: must be a distribution table with a dist key, "
            'e.g. { dist = "exponential", mean = 60 }; got 90'
        ],
    ),
    Case(
        "misspelt_key_in_distribution",
        {
            "bad.toml": child(
                '[services.ucr]\nvisit_minutes = { dist = "lognormal", mean = 90, sdd = 40 }\n'
            )
        },
        [
            "bad.toml: services.ucr.visit_minutes.sd: is required for a lognormal distribution",
            "bad.toml: services.ucr.visit_minutes.sdd: unknown key; did you mean 'sd'?",
        ],
    ),
    Case(
        "empirical_without_values",
        {
            "bad.toml": child(
                '[services.ucr]\nvisit_minutes = { dist = "empirical", values = [] }\n'
            )
        },
        ["bad.toml: services.ucr.visit_minutes.values: must have at least 1 value, got 0"],
    ),
    Case(
        "profile_of_wrong_length",
        {"bad.toml": child("[demand.referrals]\nhour_of_day = [1, 2, 3]\n")},
        ["bad.toml: demand.referrals.hour_of_day: must have 24 values, got 3"],
    ),
    Case(
        "bad_open_hours",
        {"bad.toml": edited('open_hours = "08-20"', 'open_hours = "8am to 8pm"')},
        [
            "bad.toml: services.ucr.open_hours: must look like '08-20' (start-end, whole hours), got '8am to 8pm'"
        ],
    ),
    Case(
        "toml_syntax_error",
        {"bad.toml": child("[services.ucr\nstaff = 3\n")},
        [
            "bad.toml: not valid TOML: Expected ']' at the end of a table declaration (at line 2, column 14)"
        ],
    ),
    Case(
        "toml_duplicate_key",
        {"bad.toml": edited("staff = 2", "staff = 2\nstaff = 3")},
        [
            "bad.toml: not valid TOML: Cannot overwrite a value "
            f"(at line {BASE.splitlines().index('staff = 2') + 2}, column 10)"
        ],
    ),
    Case(
        "missing_extends_file",
        {"scenarios/bad.toml": 'extends = "bsae.toml"\n'},
        ["scenarios/bad.toml: extends: no such file 'bsae.toml' (looked for scenarios/bsae.toml)"],
        scenario="scenarios/bad.toml",
    ),
    Case(
        "extends_cycle",
        {"bad.toml": 'extends = "other.toml"\n', "other.toml": 'extends = "bad.toml"\n'},
        ["other.toml: extends: forms a cycle: bad.toml -> other.toml -> bad.toml"],
    ),
    Case(
        "extends_itself",
        {"bad.toml": 'extends = "bad.toml"\n'},
        ["bad.toml: extends: forms a cycle: bad.toml -> bad.toml"],
    ),
    Case(
        "extends_not_text",
        {"bad.toml": "extends = 3\n"},
        ["bad.toml: extends: must be a file name in quotes, got 3"],
    ),
    Case(
        "extends_a_directory",
        {"bad.toml": 'extends = "sub"\n', "sub/x.toml": BASE},
        ["bad.toml: extends: 'sub' is a directory, not a scenario file"],
    ),
    Case(
        "error_in_the_extended_file",
        {
            "bad.toml": child("[services.ucr]\nstaff = 3\n"),
            "base.toml": edited("seed = 7", "seed = -7"),
        },
        ["base.toml: run.seed: must be >= 0, got -7"],
    ),
    Case(
        "empty_file",
        {"bad.toml": ""},
        ["bad.toml: the file is empty: a scenario needs at least population, demand and services"],
    ),
    Case(
        "only_comments",
        {"bad.toml": "# a scenario, one day\n"},
        ["bad.toml: the file is empty: a scenario needs at least population, demand and services"],
    ),
    Case(
        "required_tables_missing",
        {"bad.toml": 'name = "bad"\n'},
        [
            "bad.toml: population: is required",
            "bad.toml: demand: is required",
            "bad.toml: services: is required",
        ],
    ),
    Case(
        "not_utf8",
        {"bad.toml": b'name = "caf\xe9"\n'},
        ["bad.toml: cannot read the file: not UTF-8 text (byte 12)"],
    ),
    Case(
        "nonexistent_scenario_file",
        {},
        ["missing.toml: no such file"],
        scenario="missing.toml",
    ),
    Case(
        "scenario_is_a_directory",
        {"sub/x.toml": BASE},
        ["sub: is a directory, not a scenario file"],
        scenario="sub",
    ),
    # --- references between parts of the scenario -----------------------------------
    Case(
        "unknown_destination_in_route",
        {"bad.toml": child("[services.ucr]\nescalation = { ambulence = 0.5, ed = 0.5 }\n")},
        [
            "bad.toml: services.ucr.escalation.ambulence: unknown service 'ambulence'; did you mean 'ambulance'?"
        ],
    ),
    Case(
        "unknown_destination_without_a_close_name",
        {"bad.toml": child("[services.ucr]\nafter_visit = { home = 0.7, hospital = 0.3 }\n")},
        [
            "bad.toml: services.ucr.after_visit.hospital: unknown service 'hospital'; known: home, ucr, ambulance, ed"
        ],
    ),
    Case(
        "unknown_service_for_demand",
        {"bad.toml": edited('to = "ucr"', 'to = "urc"')},
        ["bad.toml: demand.referrals.to: unknown service 'urc'; did you mean 'ucr'?"],
    ),
    Case(
        "unknown_cohort",
        {"bad.toml": child("[demand.referrals]\nrate_per_1000 = { young = 2, fraill = 40 }\n")},
        [
            "bad.toml: demand.referrals.rate_per_1000.fraill: unknown cohort 'fraill'; did you mean 'frail'?",
            "bad.toml: demand.referrals.rate_per_1000: has no value for cohort 'frail'",
        ],
    ),
    # --- several problems at once: every one is reported ------------------------------
    Case(
        "three_problems_in_one_file",
        {"bad.toml": child("[run]\nseed = -1\n[services.ucr]\nstaff = -2\ntarget_hours = 0\n")},
        [
            "bad.toml: run.seed: must be >= 0, got -1",
            "bad.toml: services.ucr.staff: must be >= 0, got -2",
            "bad.toml: services.ucr.target_hours: must be > 0, got 0",
        ],
    ),
    # --- --set overrides ---------------------------------------------------------------
    Case(
        "set_without_equals",
        {},
        ["--set: 'services.ucr.staff' must look like key.path=value"],
        scenario="base.toml",
        args=["--set", "services.ucr.staff"],
    ),
    Case(
        "set_with_empty_key_part",
        {},
        ["--set: 'services..staff=3' must look like key.path=value"],
        scenario="base.toml",
        args=["--set", "services..staff=3"],
    ),
    Case(
        "set_negative_count",
        {},
        ["--set: services.ucr.staff: must be >= 0, got -2"],
        scenario="base.toml",
        args=["--set", "services.ucr.staff=-2"],
    ),
    Case(
        "set_misspelt_key",
        {},
        ["--set: services.ucr.staf: unknown key; did you mean 'staff'?"],
        scenario="base.toml",
        args=["--set", "services.ucr.staf=3"],
    ),
    Case(
        "set_misspelt_top_level_table",
        {},
        ["--set: servces: unknown key; did you mean 'services'?"],
        scenario="base.toml",
        args=["--set", "servces.ucr.staff=3"],
    ),
    Case(
        "set_new_service_without_kind",
        {},
        ["--set: services.newteam: needs a 'kind' key"],
        scenario="base.toml",
        args=["--set", "services.newteam.staff=3"],
    ),
    Case(
        "set_unquoted_text_for_number",
        {},
        ["--set: services.ucr.staff: must be a whole number, got 'two'"],
        scenario="base.toml",
        args=["--set", "services.ucr.staff=two"],
    ),
    Case(
        "set_inside_a_number",
        {},
        [
            "--set: services.ucr.staff: is not a table, so 'services.ucr.staff.day=3' cannot set a key inside it"
        ],
        scenario="base.toml",
        args=["--set", "services.ucr.staff.day=3"],
    ),
    Case(
        "set_one_share_of_a_split",
        {},
        ["--set: population.cohorts: must sum to 1, got 1.1 (young=0.9, frail=0.2)"],
        scenario="base.toml",
        args=["--set", "population.cohorts.young=0.9"],
    ),
    Case(
        "set_dist_leaving_a_stale_key",
        {},
        ["--set: services.ucr.visit_minutes.sd: unknown key; valid keys here: mean"],
        scenario="base.toml",
        args=["--set", 'services.ucr.visit_minutes.dist="fixed"'],
    ),
]


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    everything: dict[str, str | bytes] = {"base.toml": BASE, **files}
    for name, content in everything.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def assert_rejected(proc: subprocess.CompletedProcess[str], expected: list[str], out: Path) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    assert proc.stderr.splitlines() == expected
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert not out.exists(), "a results directory was written for a bad scenario"


def test_base_scenario_is_valid(tmp_path: Path) -> None:
    """The control: without the one change each case makes, the scenario is accepted."""
    write_files(tmp_path, {})
    proc = run_cli(tmp_path, "validate", "base.toml")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["base.toml: valid"]


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_plainly(case: Case, tmp_path: Path) -> None:
    write_files(tmp_path, case.files)
    out = tmp_path / "out"
    proc = run_cli(tmp_path, "run", case.scenario, "--out", str(out), "--quiet", *case.args)
    assert_rejected(proc, case.expected, out)


def test_validate_reports_the_same_lines(tmp_path: Path) -> None:
    """``validate`` reports a bad file exactly as ``run`` does, and prints no JSON."""
    write_files(tmp_path, {"bad.toml": child("[services.ucr]\nstaf = 3\nstaff = -1\n")})
    proc = run_cli(tmp_path, "validate", "bad.toml")
    assert_rejected(
        proc,
        [
            "bad.toml: services.ucr.staff: must be >= 0, got -1",
            "bad.toml: services.ucr.staf: unknown key; did you mean 'staff'?",
        ],
        tmp_path / "out",
    )


def test_unknown_service_kind_lists_the_kinds(tmp_path: Path) -> None:
    """The list of kinds grows with the model, so only its form and two members are fixed here."""
    write_files(
        tmp_path,
        {"bad.toml": edited('kind = "outcome"\ndescription = "a 999 call"', 'kind = "outcom"')},
    )
    out = tmp_path / "out"
    proc = run_cli(tmp_path, "run", "bad.toml", "--out", str(out))
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    prefix = "bad.toml: services.ambulance.kind: unknown kind 'outcom'; choose one of: "
    assert line.startswith(prefix), line
    kinds = line.removeprefix(prefix).split(", ")
    assert {"community_response", "outcome"} <= set(kinds)
    assert all(k.isidentifier() for k in kinds), "kinds are listed bare, without quotes"
    assert not out.exists()


def test_bad_command_line_option_writes_nothing(tmp_path: Path) -> None:
    write_files(tmp_path, {})
    out = tmp_path / "out"
    proc = run_cli(tmp_path, "run", "base.toml", "--out", str(out), "--replications", "0")
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 2
    assert (
        proc.stderr.splitlines()[-1]
        == "nhsim run: error: argument --replications/-n: must be >= 1, got 0"
    )
    assert not out.exists()

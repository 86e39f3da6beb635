"""A fuzz test of the front door: nothing a scenario file says gets past loading unless
the engine can run it.

Hypothesis draws scenario files by mutating the shipped ones (``configs/*.toml``, their
``extends`` resolved): a value made negative, zero, huge, ``inf``, ``nan``, of the wrong
type, text or a list; a key deleted, misspelt or added; a split that no longer sums to
1; a route to an unknown service or to the service itself. Each file is written as TOML
(with TOML's own ``inf`` and ``nan``) and loaded as a user's would be. It must either be
refused with a :class:`ScenarioError` whose every problem names the file and a key path,
or be accepted and run a short replication to the end, within a time limit (so a
simulator that loops for ever fails the test instead of hanging it). A fixed sample of
files that must be refused goes through the command line too: exit code 2, one line per
problem naming the file and a key path, no traceback and nothing written.

The examples are derandomised, so the test is the same on every run; set
``NHSIM_FUZZ_EXAMPLES`` to draw more of them.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, toml_dumps
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim import ScenarioError, load_scenario
from sim.engine import run_replication
from sim.engine.streams import replication_seeds
from sim.metrics import compute_metrics
from sim.scenario.loader import read_scenario_data
from sim.scenario.model import Scenario

CONFIGS = sorted((REPO_ROOT / "configs").glob("*.toml"))

EXAMPLES = int(os.environ.get("NHSIM_FUZZ_EXAMPLES", "300"))
PROFILE = settings(
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("nhsim-front-door", PROFILE)

SECONDS_PER_EXAMPLE = 30
"""A short replication of any shipped scenario takes well under a second: one that
takes this long is looping."""

SHORT_RUN = {"days": 2, "warmup_days": 1}
"""Every drawn file runs this short, unless a mutation changes these keys itself."""

WEIRD_VALUES: list[Any] = [
    -1,
    -0.5,
    0,
    0.0,
    1,
    5e-324,
    1e-9,
    1e7,
    1e30,
    -1e30,
    10**30,
    math.inf,
    -math.inf,
    math.nan,
    "text",
    "",
    "rest",
    True,
    [1, 2],
    [],
    {},
    {"colour": 1},
    {"dist": "fixed", "mean": 1},
]
"""What a value may be replaced with: out of range, not a number, of the wrong type."""

EXTREME_NUMBERS: list[Any] = [
    -1,
    -1e30,
    0,
    5e-324,
    1e7,
    1e30,
    1e308,
    10**30,
    math.inf,
    -math.inf,
    math.nan,
]
"""What a number may be replaced with: the values the engine once could not use."""

INF, NAN = math.inf, math.nan

KEPT = {("run",), ("run", "days"), ("run", "warmup_days")}
"""Keys never deleted: without them a run lasts the default year, not a short run."""

Path_ = tuple[str | int, ...]


# -- scenario data ---------------------------------------------------------------------


def _base(config: Path) -> dict[str, Any]:
    data, _ = read_scenario_data(config)
    data.setdefault("run", {}).update(SHORT_RUN)
    return data


BASES = {config.name: _base(config) for config in CONFIGS}


def _nodes(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every key (and list element) below ``node``, with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key), value
            yield from _nodes(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*path, i), value
            yield from _nodes(value, (*path, i))


def _parent(data: dict[str, Any], path: Path_) -> Any:
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_split(value: Any) -> bool:
    """A table of shares (a route, cohorts, rates by cohort): name → number."""
    return isinstance(value, dict) and bool(value) and all(map(_is_number, value.values()))


def _service_of(path: Path_) -> str | None:
    return str(path[1]) if len(path) > 2 and path[0] == "services" else None


# -- mutations ------------------------------------------------------------------------


def _walk(data: dict[str, Any], draw: st.DataObject, tables_only: bool = False) -> Path_:
    """A key path drawn by walking down from the top, a child at a time, so that each
    table's keys are as likely as each other however long its lists (a roster has 168
    values). The walk stops at a value that holds no more, or at random at a table."""
    node: Any = data
    path: Path_ = ()
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if tables_only:
            keys = [k for k in keys if isinstance(node[k], dict)]
        if not keys:
            return path
        key = draw.draw(st.sampled_from(keys))
        path, node = (*path, key), node[key]
        if not isinstance(node, (dict, list)) or not node:
            return path
        if draw.draw(st.integers(0, 3)) == 0:
            return path


def _set_value(data: dict[str, Any], draw: st.DataObject) -> str:
    path = _walk(data, draw)
    value = draw.draw(st.sampled_from(WEIRD_VALUES))
    _parent(data, path)[path[-1]] = copy.deepcopy(value)
    return f"set {path} = {value!r}"


def _set_number(data: dict[str, Any], draw: st.DataObject) -> str:
    """A number (anywhere: a count, a rate, a distribution's parameter, a profile's weight,
    a share) made extreme. Each key is as likely as another: a list of 168 numbers is
    one key, then one of its values."""
    keys: dict[Path_, list[Path_]] = {}
    for path, value in _nodes(data):
        if _is_number(value):
            pattern = tuple("*" if isinstance(k, int) else k for k in path)
            keys.setdefault(pattern, []).append(path)
    if not keys:
        return "no number left"
    pattern = draw.draw(st.sampled_from(sorted(keys, key=str)))
    path = draw.draw(st.sampled_from(keys[pattern]))
    value = draw.draw(st.sampled_from(EXTREME_NUMBERS))
    _parent(data, path)[path[-1]] = value
    return f"set {path} = {value!r}"


def _delete(data: dict[str, Any], draw: st.DataObject) -> str:
    path = _walk(data, draw)
    if path in KEPT:
        return f"keep {path}"
    del _parent(data, path)[path[-1]]
    return f"delete {path}"


def _misspell(data: dict[str, Any], draw: st.DataObject) -> str:
    path = _walk(data, draw)
    while path and not isinstance(path[-1], str):
        path = path[:-1]  # a list element has no name: misspell the list's key
    parent, key = _parent(data, path), str(path[-1])
    i = draw.draw(st.integers(0, len(key) - 1))
    wrong = draw.draw(st.sampled_from([key[:i] + key[i + 1 :], key[:i] + key[i] + key[i:]]))
    if wrong in parent or not wrong:
        wrong = key + "s"
    parent[wrong] = parent.pop(key)
    return f"misspell {path} as {wrong!r}"


def _add_key(data: dict[str, Any], draw: st.DataObject) -> str:
    path = _walk(data, draw, tables_only=True)
    table = _parent(data, path)[path[-1]] if path else data
    key = draw.draw(st.sampled_from(["colour", "staff", "mean", "dist", "kind", "to"]))
    if key in table:
        key = "colour"
    table[key] = draw.draw(st.sampled_from([1, 0.5, "ed", "home", {"home": 1.0}]))
    return f"add {path} {key!r}"


def _unbalance(data: dict[str, Any], draw: st.DataObject) -> str:
    splits = [(p, v) for p, v in _nodes(data) if _is_split(v)]
    path, split = draw.draw(st.sampled_from(splits))
    key = draw.draw(st.sampled_from(sorted(split)))
    split[key] = split[key] * draw.draw(st.sampled_from([0.5, 2, 1.0001, -1]))
    return f"unbalance {path}.{key}"


def _reroute(data: dict[str, Any], draw: st.DataObject) -> str:
    """A share (or a single target) moved to the service itself or to one that does not exist."""
    splits = [(p, v) for p, v in _nodes(data) if _is_split(v) and _service_of(p)]
    targets = [
        p
        for p, v in _nodes(data)
        if isinstance(v, str) and (_service_of(p) or p[0] == "demand") and p[-1] != "kind"
    ]
    options = [("split", p) for p, _ in splits] + [("link", p) for p in targets]
    how, path = draw.draw(st.sampled_from(options))
    services = data.get("services")
    names = sorted(services) if isinstance(services, dict) and services else ["nowhere"]
    own = _service_of(path) or draw.draw(st.sampled_from(names))
    target = draw.draw(st.sampled_from([own, "nowhere", "hom"]))
    if how == "link":
        _parent(data, path)[path[-1]] = target
        return f"link {path} -> {target!r}"
    split = _parent(data, path)[path[-1]]
    first = sorted(split)[0]
    moved = split[first] / 2
    split[first] -= moved
    split[target] = split.get(target, 0) + moved
    return f"route {path} -> {target!r}"


MUTATIONS = [_set_number] * 4 + [_set_value, _delete, _misspell, _add_key, _unbalance, _reroute]
"""Numbers most often: most of what once got past the front door was a number."""


# -- writing and running ------------------------------------------------------------


_NON_FINITE = ("-inf", "inf", "nan")


def _sentinel(value: Any) -> Any:
    """``inf`` and ``nan`` replaced by marker text the TOML writer can write."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"@@{'nan' if math.isnan(value) else ('inf' if value > 0 else '-inf')}@@"
    if isinstance(value, dict):
        return {k: _sentinel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sentinel(v) for v in value]
    return value


def dumps(data: dict[str, Any]) -> str:
    """``data`` as TOML, with TOML's ``inf``, ``-inf`` and ``nan`` literals where needed."""
    text = toml_dumps(_sentinel(data))
    for word in _NON_FINITE:
        text = text.replace(f'"@@{word}@@"', word)
    return text


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (instead of waiting for ever) if the block takes longer than ``seconds``."""

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s: the simulator is looping")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_refused_plainly(err: ScenarioError, file: Path, data: dict[str, Any]) -> None:
    """Every problem names ``file`` and a key path, in nhsim's words, not pydantic's."""
    assert err.problems, "a ScenarioError with no problem"
    for problem in err.problems:
        assert Path(problem.source).resolve() == file.resolve(), str(problem)
        assert problem.path, f"no key path: {problem}"
        root = problem.path.split(".")[0].split("[")[0]
        assert root in data or root in Scenario.model_fields, str(problem)
        assert problem.message and "Input should" not in problem.message, str(problem)


def _numbers(obj: Any) -> Iterator[tuple[str, float]]:
    """Every number an engine tally holds (its counts and sums), with where it is."""
    if isinstance(obj, bool):
        return
    if isinstance(obj, (int, float)):
        yield "", float(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            for where, x in _numbers(getattr(obj, f.name)):
                yield f".{f.name}{where}", x
    elif isinstance(obj, dict):
        for key, value in obj.items():
            for where, x in _numbers(value):
                yield f"[{key!r}]{where}", x
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            for where, x in _numbers(value):
                yield f"[{i}]{where}", x


UNLIMITED = {"fleet", "beds"}
"""Tally fields that hold a capacity, ``inf`` when the scenario leaves it unlimited."""


def _sound(where: str, x: float) -> bool:
    return math.isfinite(x) or (x == math.inf and where.rsplit(".", 1)[-1] in UNLIMITED)


def run_short(scenario: Scenario) -> dict[str, float]:
    """One replication of ``scenario``, with the first seed its own run would use; its
    tallies must hold only finite numbers (a ``nan`` stay or an infinite visit is
    garbage, however plausible the metrics made of it look), and its metrics no
    infinite one (``nan`` is a metric's word for a ratio with nothing to divide by)."""
    [seed] = replication_seeds(scenario.run.seed, 1)
    tally = run_replication(scenario, seed)
    garbage = [f"tally{where} = {x}" for where, x in _numbers(tally) if not _sound(where, x)]
    assert not garbage, f"accepted, but the replication tallied {garbage[:5]}"
    metrics = compute_metrics(tally)
    infinite = [name for name, value in metrics.items() if math.isinf(value)]
    assert not infinite, f"accepted, but gives infinite results: {infinite}"
    return metrics


def check_file(file: Path, data: dict[str, Any]) -> str:
    """Load ``file`` (holding ``data``) and run it if accepted: "accepted" or "refused"."""
    file.write_text(dumps(data), encoding="utf-8")
    with time_limit(SECONDS_PER_EXAMPLE):
        try:
            scenario = load_scenario(file)
        except ScenarioError as err:
            assert_refused_plainly(err, file, data)
            return "refused"
        run_short(scenario)
    return "accepted"


# -- the tests ----------------------------------------------------------------------


def test_dumps_writes_non_finite_numbers_as_toml_literals() -> None:
    """The writer the fuzz test relies on: inf and nan read back as what was written."""
    import tomllib

    data = {"a": math.inf, "b": [-math.inf, 1.5], "c": {"d": math.nan, "e": "inf"}}
    back = tomllib.loads(dumps(data))
    assert back["a"] == math.inf and back["b"] == [-math.inf, 1.5]
    assert math.isnan(back["c"]["d"]) and back["c"]["e"] == "inf"


def test_every_shipped_scenario_runs_short(tmp_path: Path) -> None:
    """The control: unmutated, every base the fuzz test starts from is accepted and runs."""
    assert len(BASES) >= 5
    for name, data in BASES.items():
        assert check_file(tmp_path / name, data) == "accepted", name


@PROFILE
@given(
    config=st.sampled_from(sorted(BASES)),
    mutations=st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=2),
    draw=st.data(),
)
def test_front_door_refuses_or_runs(
    config: str, mutations: list[Any], draw: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = copy.deepcopy(BASES[config])
    done = [mutate(data, draw) for mutate in mutations]
    draw.draw(st.just(done), label="mutations")
    file = tmp_path_factory.mktemp("fuzz") / f"mutated_{Path(config).stem}.toml"
    event(check_file(file, data))  # how many were accepted: --hypothesis-show-statistics


def _number_keys() -> list[tuple[str, Path_]]:
    """Each key that holds a number in some shipped scenario, once (in the first scenario
    that has it; of a list, its first value): (scenario, key path)."""
    out: dict[Path_, tuple[str, Path_]] = {}
    for config, data in BASES.items():
        for path, value in _nodes(data):
            pattern = tuple("*" if isinstance(k, int) else k for k in path)
            if _is_number(value) and pattern not in out:
                out[pattern] = (config, path)
    return list(out.values())


def _dotted(path: Path_) -> str:
    """A key path as problems write it: ``demand.calls.hour_of_day[3]``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def test_no_number_key_takes_nan_or_inf(tmp_path: Path) -> None:
    """Every key of the shipped scenarios that holds a number, set to ``nan``, ``inf`` or
    ``-inf``, is refused at that key; set to 1e308 or 10**30, it is refused or runs."""
    keys = _number_keys()
    assert len(keys) > 100
    for config, path in keys:
        for value in (math.nan, math.inf, -math.inf, 1e308, 10**30):
            data = copy.deepcopy(BASES[config])
            _parent(data, path)[path[-1]] = value
            file = tmp_path / f"{Path(config).stem}.toml"
            file.write_text(dumps(data), encoding="utf-8")
            with time_limit(SECONDS_PER_EXAMPLE):
                try:
                    scenario = load_scenario(file)
                except ScenarioError as err:
                    assert_refused_plainly(err, file, data)
                    where = [p.path for p in err.problems]
                    if isinstance(value, float) and not math.isfinite(value):
                        assert _dotted(path) in where, (config, path, value, str(err))
                    continue
                assert isinstance(value, int) or math.isfinite(value), (config, path, value)
                run_short(scenario)


# -- the command line, for a fixed sample ----------------------------------------------


def _with(config: str, path: str, value: Any, **more: Any) -> dict[str, Any]:
    """A shipped scenario with ``path`` (and each key path of ``more``) set."""
    data = copy.deepcopy(BASES[config])
    for key_path, new in {path: value, **more}.items():
        keys = key_path.split(".")
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = new
    return data


def _routed(config: str, service: str, key: str, to: str) -> dict[str, Any]:
    data = copy.deepcopy(BASES[config])
    split = data["services"][service][key]
    first = sorted(split)[0]
    split[first] /= 2
    split[to] = split.get(to, 0) + split[first]
    return data


def _dist(**table: Any) -> dict[str, Any]:
    return table


TEACHING = "teaching.toml"
UCR_VISIT = "services.ucr.visit_minutes"
CLI_SAMPLE = [
    ("run", "empirical_nan", _with(TEACHING, UCR_VISIT, _dist(dist="empirical", values=[30, NAN]))),
    ("run", "gamma_sd_inf", _with(TEACHING, UCR_VISIT, _dist(dist="gamma", mean=90, sd=INF))),
    (
        "run",
        "triangular_high_inf",
        _with(TEACHING, UCR_VISIT, _dist(dist="triangular", low=10, mode=60, high=INF)),
    ),
    ("run", "fixed_mean_inf", _with(TEACHING, UCR_VISIT, _dist(dist="fixed", mean=INF))),
    (
        "run",
        "virtual_ward_sd_inf",
        _with(TEACHING, "services.virtual_ward.los_days", _dist(dist="lognormal", mean=6, sd=INF)),
    ),
    ("run", "cost_inf", _with("neighbourhood_50k.toml", "costs.admission", INF)),
    ("run", "days_1e308", _with(TEACHING, "run.days", 1e308)),
    ("run", "population_1e15", _with("place_250k.toml", "population.size", 10**15)),
    ("run", "rate_inf", _with(TEACHING, "demand.urgent_referrals.rate_per_1000", INF)),
    ("run", "staff_10_30", _with("system_1m.toml", "services.ucr.staff", 10**30)),
    (
        "run",
        "lognormal_sd_1e308",
        _with(TEACHING, UCR_VISIT, _dist(dist="lognormal", mean=90, sd=1e308)),
    ),
    (
        "run",
        "arrivals_above_limit",
        _with("system_1m.toml", "population.size", 10**8, **{"run.days": 3650}),
    ),
    (
        "validate",
        "uniform_high_inf",
        _with(TEACHING, "services.acute.short_stay_days", _dist(dist="uniform", low=0, high=INF)),
    ),
    (
        "validate",
        "hour_of_day_nan",
        _with(TEACHING, "demand.urgent_referrals.hour_of_day", [NAN] + [1.0] * 23),
    ),
    ("validate", "escalates_to_itself", _routed(TEACHING, "ucr", "escalation", "ucr")),
]
"""Files that must be refused: the inputs that once hung the simulator, crashed it or
gave garbage, and a route to the service itself."""


@pytest.mark.parametrize(
    ("command", "data"), [(c, d) for c, _, d in CLI_SAMPLE], ids=[i for _, i, _ in CLI_SAMPLE]
)
def test_command_line_refuses_plainly(command: str, data: dict[str, Any], tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", "bad.toml", "--out", str(out), "-n", "1", "--quiet"]
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *(args if command == "run" else ["validate", "bad.toml"])],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines, "refused without a message"
    for line in lines:
        source, path, message = (line.split(": ", 2) + ["", ""])[:3]
        assert source == "bad.toml", line
        assert path and " " not in path and message, f"no key path: {line}"
    assert not out.exists(), "a results directory was written for a bad scenario"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]

"""Calibration: fit unknown parameters so that the model matches observed figures.

Targets are absolute (``ambulance.calls = 78000``: the scenario's mean), avoided
(``avoided.ambulance.calls = 2367``: counterfactual minus scenario, paired) or a share
avoided (``reduction.unplanned.hospital_visits = 0.14``: (counterfactual − scenario) ÷
counterfactual, paired). Free parameters are scenario keys with a range
(``services.x.escalation.ambulance`` in 0..0.5); the same values are set in the scenario
and in the counterfactual.

Every evaluation runs the same replication seeds (common random numbers), so the
objective is a smooth, deterministic function of the parameters at the scale that
matters, and :func:`scipy.optimize.least_squares` (trust region, finite differences
with a step of a few per cent of each range) converges in a handful of iterations.
Residuals are relative to the targets, so figures of different size weigh alike.

How uncertain is each fitted value? The replications give the covariance ``S`` of
the model's estimates of the targets; the Jacobian ``J`` at the fit says how they
move with the parameters. By the delta method the fitted values have covariance
``(JᵀJ)⁻¹ Jᵀ S J (JᵀJ)⁻¹`` (in target units). This is the simulation's own noise:
the observed figures' uncertainty, if known, adds to it (``--target-sd``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.runs.backends import Backend
from sim.runs.compare import PAIRED_PREFIXES, compare, paired_values, split_figure
from sim.runs.replications import run
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import ScenarioSource, load_scenario

__all__ = [
    "Calibration",
    "CalibrationResult",
    "FreeParameter",
    "Target",
    "calibrate",
    "parse_free",
    "parse_target",
]


@dataclass(frozen=True)
class Target:
    metric: str
    value: float
    sd: float | None = None
    """Uncertainty of the observed figure, if known (adds to the fitted values' uncertainty)."""

    @property
    def avoided(self) -> bool:
        """Whether the target is paired with a counterfactual (``avoided.`` or ``reduction.``)."""
        return self.metric.startswith(PAIRED_PREFIXES)

    @property
    def base_metric(self) -> str:
        return split_figure(self.metric)[1]


@dataclass(frozen=True)
class FreeParameter:
    key: str
    low: float
    high: float
    integer: bool = False


def parse_target(text: str) -> Target:
    """``metric=value`` (absolute) or ``avoided.metric=value``; ``value±sd`` also accepted."""
    metric, sep, raw = text.partition("=")
    metric = metric.strip()
    if not sep or not metric:
        raise ScenarioError([Problem("--target", "", f"{text!r} must look like metric=value")])
    sd = None
    for mark in ("±", "+-"):
        if mark in raw:
            raw, _, sd_text = raw.partition(mark)
            try:
                sd = float(sd_text)
            except ValueError:
                raise ScenarioError(
                    [Problem("--target", metric, f"the sd {sd_text!r} is not a number")]
                ) from None
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioError(
            [Problem("--target", metric, f"the value {raw.strip()!r} is not a number")]
        ) from None
    if not math.isfinite(value) or (sd is not None and not (math.isfinite(sd) and sd >= 0)):
        raise ScenarioError(
            [
                Problem(
                    "--target",
                    metric,
                    f"needs a finite value (and sd >= 0), got {raw.strip()!r}"
                    + (f"±{sd:g}" if sd is not None else ""),
                )
            ]
        )
    return Target(metric, value, sd)


def parse_free(text: str) -> FreeParameter:
    """``key.path=low:high`` (``:int`` at the end for whole numbers)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    parts = raw.split(":")
    if (
        not sep
        or not key
        or len(parts) not in (2, 3)
        or (len(parts) == 3 and parts[2].strip() != "int")
    ):
        raise ScenarioError(
            [Problem("--free", "", f"{text!r} must look like key.path=low:high (or low:high:int)")]
        )
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise ScenarioError(
            [Problem("--free", key, f"low and high must be numbers, got {raw!r}")]
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ScenarioError(
            [Problem("--free", key, f"low and high must be finite numbers, got {raw!r}")]
        )
    if not low < high:
        raise ScenarioError([Problem("--free", key, f"needs low < high, got {low:g}:{high:g}")])
    integer = len(parts) == 3 and parts[2] == "int"
    return FreeParameter(key, low, high, integer)


@dataclass
class Calibration:
    """What to fit: a scenario (and optionally its counterfactual), targets, free parameters."""

    scenario: Path
    targets: list[Target]
    free: list[FreeParameter]
    counterfactual: Path | None = None
    overrides: list[str] = field(default_factory=list)
    replications: int = 10
    seed: int = 2024
    tolerance: float = 0.02
    """A fit is reported as converged when every target is met within this relative error
    or within its 95% interval."""


@dataclass
class CalibrationResult:
    calibration: Calibration
    values: dict[str, float]
    stderr: dict[str, float]
    fit: list[tuple[Target, float, float, float]]  # target, model mean, ci low, ci high
    converged: bool
    message: str
    evaluations: int
    history: list[tuple[dict[str, float], list[float]]] = field(default_factory=list)

    def interval(self, key: str) -> tuple[float, float]:
        v, se = self.values[key], self.stderr[key]
        return v - 1.96 * se, v + 1.96 * se


def _values(free: list[FreeParameter], x: np.ndarray) -> dict[str, float | int]:
    """The free parameters' values at ``x``: kept in range, whole numbers rounded."""
    out: dict[str, float | int] = {}
    for p, v in zip(free, x):
        v = float(np.clip(v, p.low, p.high))
        out[p.key] = round(v) if p.integer else round(v, 10)
    return out


def _settings(free: list[FreeParameter], x: np.ndarray) -> list[str]:
    """The same values as ``--set`` text (for messages and the calibrated file)."""
    return [f"{k}={v!r}" for k, v in _values(free, x).items()]


def _free_problem(p: FreeParameter, setting: str, problem: Problem) -> str:
    """Why a free parameter cannot be set, worded for the --free option."""
    if problem.message.startswith("unknown"):
        return f"not a key of the scenario: {problem.message}"
    where = f"{problem.path}: " if problem.path and problem.path != p.key else ""
    hint = ""
    if "whole number" in problem.message and not p.integer:
        hint = "; add :int for whole numbers (key.path=low:high:int)"
    elif "must sum to 1" in problem.message:
        hint = '; give another share of the split as "rest" (--set <split>.<destination>=rest)'
    return f"the scenario is not valid with {setting}: {where}{problem.message}{hint}"


def _validate(cal: Calibration) -> None:
    problems = []
    if not cal.targets:
        problems.append(Problem("--target", "", "give at least one target"))
    if not cal.free:
        problems.append(Problem("--free", "", "give at least one free parameter"))
    paired = sorted({split_figure(t.metric)[0] for t in cal.targets if t.avoided})
    if paired and cal.counterfactual is None:
        kinds = " and ".join(f"{prefix}*" for prefix in paired)
        problems.append(
            Problem("--target", "", f"{kinds} targets need a --counterfactual scenario")
        )
    for kind, names in (
        ("--target", [t.metric for t in cal.targets]),
        ("--free", [p.key for p in cal.free]),
    ):
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(Problem(kind, name, "given more than once"))
    if problems:
        raise ScenarioError(problems)
    source = ScenarioSource(cal.scenario, cal.overrides)
    base = source.scenario()
    for p in cal.free:  # the key must exist, and the scenario be valid across its range
        for v in (p.low, (p.low + p.high) / 2, p.high):
            setting = _settings([p], np.array([v]))[0]
            try:
                source.scenario(_values([p], np.array([v])))
            except ScenarioError as err:
                problems.append(
                    Problem("--free", p.key, _free_problem(p, setting, err.problems[0]))
                )
                break
    if problems:
        raise ScenarioError(problems)
    # check metric names on one short replication
    from sim.runs.replications import simulate

    metrics = simulate(base, 0)
    for t in cal.targets:
        if t.base_metric not in metrics:
            from sim.scenario.errors import closest

            hint = closest(t.base_metric, list(metrics))
            tail = f"; did you mean '{hint}'?" if hint else ""
            problems.append(Problem("--target", t.metric, f"unknown metric{tail}"))
    if problems:
        raise ScenarioError(problems)


def calibrate(
    cal: Calibration,
    backend: Backend | None = None,
    progress: Callable[[str], None] | None = None,
    max_evaluations: int = 40,
) -> CalibrationResult:
    """Fit the free parameters to the targets. Raises ScenarioError on bad input."""
    from scipy.optimize import least_squares

    _validate(cal)
    backend = backend or Backend()
    # each file read once; every evaluation sets the free values on a copy of its data
    source = ScenarioSource(cal.scenario, cal.overrides)
    cf_source = (
        ScenarioSource(cal.counterfactual, cal.overrides)
        if cal.counterfactual is not None
        else None
    )
    history: list[tuple[dict[str, float], list[float]]] = []
    cache: dict[tuple[float, ...], tuple[np.ndarray, np.ndarray]] = {}

    def outputs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per replication, the model's value of each target (R × T)."""
        key = tuple(round(float(v), 10) for v in x)
        if key in cache:
            return cache[key]
        values = _values(cal.free, x)
        scenario = source.scenario(values)
        if cf_source is not None and any(t.avoided for t in cal.targets):
            cf = cf_source.scenario(values)
            comp = compare(cf, scenario, cal.replications, cal.seed, backend=backend)
            sc_res, cf_res = comp.scenario, comp.counterfactual
        else:
            sc_res, cf_res = run(scenario, cal.replications, cal.seed, backend=backend), None
        cols = [paired_values(t.metric, sc_res, cf_res) for t in cal.targets]
        y = np.column_stack(cols)
        cache[key] = (y.mean(axis=0), y)
        history.append(
            ({p.key: float(v) for p, v in zip(cal.free, x)}, [float(v) for v in y.mean(axis=0)])
        )
        if progress:
            progress(", ".join(f"{p.key}={v:.4g}" for p, v in zip(cal.free, x)))
        return cache[key]

    scale = np.array([abs(t.value) if t.value != 0 else 1.0 for t in cal.targets])
    target = np.array([t.value for t in cal.targets])

    def residuals(x: np.ndarray) -> np.ndarray:
        return (outputs(x)[0] - target) / scale

    lows = np.array([p.low for p in cal.free])
    highs = np.array([p.high for p in cal.free])
    x0 = (lows + highs) / 2
    step = 0.03  # finite-difference step, relative to each parameter's range
    width = highs - lows
    try:
        fit = least_squares(
            residuals,
            x0,
            bounds=(lows, highs),
            x_scale=width,
            diff_step=step * width / np.maximum(np.abs(x0), 1e-12),
            max_nfev=max_evaluations,
            xtol=1e-4,
            ftol=1e-6,
        )
        x = fit.x
        message = fit.message
    except Exception as exc:
        x = x0
        message = f"the optimiser stopped: {exc}"

    _mean, y = outputs(x)
    n = y.shape[0]
    # Jacobian in target units, by central differences on common random numbers
    jac = np.zeros((len(cal.targets), len(cal.free)))
    for j, p in enumerate(cal.free):
        h = step * (p.high - p.low)
        lo_x, hi_x = x.copy(), x.copy()
        lo_x[j] = max(p.low, x[j] - h)
        hi_x[j] = min(p.high, x[j] + h)
        jac[:, j] = (outputs(hi_x)[0] - outputs(lo_x)[0]) / (hi_x[j] - lo_x[j])
    cov_y = np.cov(y, rowvar=False, ddof=1).reshape(len(cal.targets), len(cal.targets)) / n
    for i, t in enumerate(cal.targets):
        if t.sd is not None:
            cov_y[i, i] += t.sd**2
    stderr = {}
    try:
        jtj_inv = np.linalg.pinv(jac.T @ jac)
        cov_x = jtj_inv @ jac.T @ cov_y @ jac @ jtj_inv
        for j, p in enumerate(cal.free):
            stderr[p.key] = float(math.sqrt(max(cov_x[j, j], 0.0)))
    except np.linalg.LinAlgError:
        stderr = {p.key: math.nan for p in cal.free}
    for j, p in enumerate(cal.free):
        if not np.isfinite(stderr[p.key]) or abs(jac[:, j]).max() == 0:
            stderr[p.key] = math.nan

    from sim.runs.stats import t_interval

    fit_rows = []
    converged = True
    for i, t in enumerate(cal.targets):
        iv = t_interval(y[:, i])
        fit_rows.append((t, iv.mean, iv.ci_low, iv.ci_high))
        close = abs(iv.mean - t.value) <= cal.tolerance * abs(t.value) or iv.contains(t.value)
        converged = converged and close
    # the optimiser keeps strictly inside the bounds: within 1% of the range is at the edge
    at_bound = [
        p.key
        for p, v in zip(cal.free, x)
        if v <= p.low + 0.01 * (p.high - p.low) or v >= p.high - 0.01 * (p.high - p.low)
    ]
    if not converged:
        message = (
            "did not converge: the model cannot meet every target within the ranges given"
            + (f" (at the edge of its range: {', '.join(at_bound)})" if at_bound else "")
            + f"; {message}"
        )
    values = {p.key: (round(v) if p.integer else float(v)) for p, v in zip(cal.free, x)}
    return CalibrationResult(
        cal, values, stderr, fit_rows, converged, message, len(history), history
    )


def calibrated_toml(result: CalibrationResult, out_file: Path) -> str:
    """A scenario file that ``extends`` the original and sets the fitted values."""
    import os

    cal = result.calibration
    rel = os.path.relpath(cal.scenario.resolve(), out_file.parent.resolve())
    lines = [
        "# Calibrated by nhsim calibrate. Fitted to:",
        *[
            f"#   {t.metric} = {t.value:g}  (model {m:.6g}, 95% CI {lo:.6g} to {hi:.6g})"
            for t, m, lo, hi in result.fit
        ],
        f"# with {cal.replications} replications, seed {cal.seed}"
        + (f", counterfactual {cal.counterfactual}" if cal.counterfactual else "")
        + ".",
        f'extends = "{rel}"',
        "",
    ]
    tables: dict[str, list[str]] = {}
    from sim.scenario.loader import replaced_whole

    replaced = replaced_whole()

    resolved = load_scenario(
        cal.scenario,
        [
            *cal.overrides,
            *_settings(cal.free, np.array([float(v) for v in result.values.values()])),
        ],
    ).model_dump(mode="json", by_alias=True)
    written: set[str] = set()

    def put(key: str, text: str) -> None:
        parts = key.split(".")
        # a split or distribution is replaced whole by an extending file: write all of it
        for k in range(len(parts) - 1, 0, -1):
            if parts[k - 1] in replaced or parts[k - 1] in ("visit_minutes", "los_days"):
                whole = ".".join(parts[:k])
                if whole not in written:
                    written.add(whole)
                    node: Any = resolved
                    for part in parts[:k]:
                        node = node[part]
                    inline = ", ".join(f"{a} = {b!r}" for a, b in node.items())
                    table, _, leaf = whole.rpartition(".")
                    tables.setdefault(table, []).append(f"{leaf} = {{ {inline} }}{text}")
                return
        table, _, leaf = key.rpartition(".")
        node = resolved
        for part in parts:
            node = node[part]
        tables.setdefault(table, []).append(f"{leaf} = {node!r}{text}")

    for key in result.values:
        lo, hi = result.interval(key)
        put(
            key,
            f"  # fitted; 95% interval {lo:.4g} to {hi:.4g}" if math.isfinite(lo) else "  # fitted",
        )
    for o in cal.overrides:
        put(o.partition("=")[0], "  # set when calibrating")
    for table, entries in tables.items():
        if table:
            lines.append(f"[{table}]")
        lines.extend(entries)
        lines.append("")
    return "\n".join(lines)

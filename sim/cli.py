"""The ``nhsim`` command line (also ``python -m sim``).

Parses arguments, calls the layers below and prints. Bad input never gives a
traceback: scenario problems are printed one a line, naming file and key path, and
the command exits with code 2 having written nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sim.backends import BackendError
from sim.experiment import Interrupted, RunFailed
from sim.scenario.errors import ScenarioError

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_CHECK_FAILED = 1
EXIT_INTERRUPTED = 130


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _add_scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
        help="override a scenario key, e.g. --set services.ucr.staff=4 (repeatable)",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--replications", "-n", type=_positive_int, help="replications (default: the scenario's run.replications)")
    p.add_argument("--seed", type=_seed, help="seed of the run (default: the scenario's run.seed)")
    p.add_argument("--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)")
    p.add_argument("--out", type=Path, help="output directory (default: results/<scenario>-<timestamp>/)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    _add_backend_options(p)
    _add_scenario_options(p)


def _add_backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="where replications run: a local process pool (default) or Dask")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (default with --backend dask: a local cluster)")
    p.add_argument("--no-plots", action="store_true", help="do not draw figures")


def _backend(args: argparse.Namespace) -> Any:
    from sim.backends import Backend

    return Backend(args.backend, args.workers, args.scheduler)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nhsim",
        description="Simulate urgent community care: conveyances and admissions avoided, and how they depend on capacity.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run a scenario's replications and write a results directory")
    p.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_run_options(p)
    p.add_argument(
        "--event-log", action="store_true",
        help="also write every patient movement to events/replication-NNNN.csv in the output directory",
    )

    p = sub.add_parser(
        "compare",
        help="run a counterfactual and a scenario on common random numbers; print what the scenario avoids",
    )
    p.add_argument("counterfactual", type=Path, help="the counterfactual scenario (e.g. current capacity)")
    p.add_argument("scenario", type=Path, nargs="?",
                   help="the scenario (default: the counterfactual with the --set changes)")
    _add_run_options(p)

    p = sub.add_parser("sweep", help="run an experiment's design of capacities (experiments/*.toml)")
    p.add_argument("experiment", type=Path, help="experiment file (TOML)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted sweep, keeping completed points")
    p.add_argument("--out", type=Path, help="output directory (default: results/<experiment>/)")
    p.add_argument("--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    _add_backend_options(p)

    p = sub.add_parser("search", help="find the least capacities meeting a standard (an experiment's [search])")
    p.add_argument("experiment", type=Path, help="experiment file (TOML) with a [search] table")
    p.add_argument("--out", type=Path, help="output directory (default: results/<experiment>/)")
    p.add_argument("--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    _add_backend_options(p)

    p = sub.add_parser(
        "calibrate",
        help="fit unknown parameters so that the model matches observed figures",
        description="Fit free parameters to targets, on common random numbers. Give a scenario with "
        "--target and --free, or an experiment file with a [calibration] table.",
    )
    p.add_argument("scenario", type=Path, help="scenario file, or an experiment file with [calibration]")
    p.add_argument("--target", action="append", default=[], metavar="METRIC=VALUE",
                   help="an observed figure: metric=value, or avoided.metric=value (needs --counterfactual); "
                   "value±sd if its uncertainty is known (repeatable)")
    p.add_argument("--free", action="append", default=[], metavar="KEY.PATH=LOW:HIGH",
                   help="a parameter to fit within [low, high]; add :int for whole numbers (repeatable)")
    p.add_argument("--counterfactual", type=Path, help="counterfactual scenario for avoided.* targets")
    p.add_argument("--replications", "-n", type=_positive_int, help="replications an evaluation (default 10)")
    p.add_argument("--seed", type=_seed, help="seed (default: the scenario's run.seed)")
    p.add_argument("--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)")
    p.add_argument("--out", type=Path, help="output directory (default: results/<scenario>-calibrated/)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    _add_backend_options(p)
    _add_scenario_options(p)

    p = sub.add_parser("reproduce", help="set a model against published figures (an experiment's [published])")
    p.add_argument("experiment", type=Path, help="experiment file with scenario, counterfactual and [published]")
    p.add_argument("--replications", "-n", type=_positive_int, help="replications (default: the experiment's)")
    p.add_argument("--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)")
    p.add_argument("--out", type=Path, help="output directory (default: results/<experiment>/)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _add_backend_options(p)

    p = sub.add_parser("validate", help="check a scenario file and print the resolved scenario")
    p.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_scenario_options(p)

    sub.add_parser("schema", help="print the JSON schema of scenario files")

    p = sub.add_parser("verify", help="check the simulator against queueing theory and print a table")
    p.add_argument("--replications", "-n", type=_positive_int, default=20, help="replications per check (default 20)")
    p.add_argument("--seed", type=_seed, default=2024, help="seed (default 2024)")
    p.add_argument("--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)")
    return parser


def _print_problems(err: ScenarioError) -> int:
    for problem in err.problems:
        print(str(problem), file=sys.stderr)
    return EXIT_BAD_INPUT


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def _occupied(out: Path) -> bool:
    """True (after saying so) if ``out`` already holds files: results are never overwritten."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"{out}: already exists and is not empty; choose another --out or remove it", file=sys.stderr)
        return True
    return False


def _progress(total: int, quiet: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="rep", desc="replications", disable=quiet or None, file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from sim.experiment import run
    from sim.results import default_out_dir, write_run
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    n = args.replications or scenario.run.replications
    started = datetime.now(timezone.utc)
    command = ["nhsim", *sys.argv[1:]]
    out = args.out or default_out_dir(scenario)
    if _occupied(out):
        return EXIT_BAD_INPUT
    bar = _progress(n, args.quiet)
    try:
        results = run(
            scenario, n, args.seed, progress=bar.update, backend=_backend(args),
            event_log_dir=out / "events" if args.event_log else None,
        )
    except Interrupted as stop:
        bar.close()
        if stop.results is not None and stop.results.n:
            write_run(out, stop.results, command, started, interrupted=True, replications_requested=n)
            print(f"Interrupted: {stop.results.n} of {n} replications kept in {out}/", file=sys.stderr)
        else:
            print("Interrupted before any replication completed; nothing written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    write_run(out, results, command, started, interrupted=False, replications_requested=n,
              backend=args.backend)
    if not args.no_plots:
        from sim.figures import run_figures

        run_figures(results, out)
    if not args.quiet:
        from sim.metrics import is_headline

        summary = results.summary()
        rows = [
            [m, _fmt(iv.mean), _fmt(iv.ci_low), _fmt(iv.ci_high)]
            for m, iv in summary.items() if is_headline(m)
        ]
        print(f"{scenario.name}: {results.n} replication{'s' * (results.n != 1)}, seed {results.seed}, "
              f"{scenario.run.days:g} days after {scenario.run.warmup_days:g} days' warm-up (counts per year)")
        print(_table(rows, ["metric", "mean", "95% CI low", "95% CI high"]))
        print(f"(headline metrics; all {len(summary)} are in summary.csv)")
    print(f"Results written to {out}/")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import AVOIDED_METRICS, compare
    from sim.figures import comparison_figures
    from sim.results import default_out_dir, write_comparison
    from sim.scenario import load_scenario

    if args.scenario is None:
        if not args.overrides:
            print("compare: give a SCENARIO, or --set changes to compare the counterfactual against",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        counterfactual = load_scenario(args.counterfactual)
        scenario = load_scenario(args.counterfactual, args.overrides)
        scenario = scenario.model_copy(update={"name": f"{scenario.name}-variant"})
    else:
        counterfactual = load_scenario(args.counterfactual)
        scenario = load_scenario(args.scenario, args.overrides)
    n = args.replications or scenario.run.replications
    seed = args.seed if args.seed is not None else scenario.run.seed
    started = datetime.now(timezone.utc)
    out = args.out or default_out_dir(scenario, suffix=f"vs-{counterfactual.name}")
    if _occupied(out):
        return EXIT_BAD_INPUT
    bar = _progress(2 * n, args.quiet)
    try:
        comparison = compare(counterfactual, scenario, n, seed, progress=bar.update, backend=_backend(args))
    except Interrupted:
        bar.close()
        print("Interrupted before the comparison completed; nothing written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    write_comparison(out, comparison, ["nhsim", *sys.argv[1:]], started, backend=args.backend)
    if not args.no_plots:
        comparison_figures(comparison, out)
    if not args.quiet:
        from sim.metrics import is_headline

        print(f"{scenario.name} against {counterfactual.name}: {n} paired replications, seed {seed} "
              "(a year; avoided = counterfactual - scenario)")
        rows = []
        for m in AVOIDED_METRICS:
            iv = comparison.avoided(m)
            if not math.isnan(iv.mean):
                rows.append([m, _fmt(iv.mean), _fmt(iv.ci_low), _fmt(iv.ci_high)])
        print(_table(rows, ["avoided a year", "mean", "95% CI low", "95% CI high"]))
        print()
        rows = [
            [r.metric, _fmt(r.counterfactual_mean), _fmt(r.scenario_mean), _fmt(r.difference.mean),
             f"[{_fmt(r.difference.ci_low)}, {_fmt(r.difference.ci_high)}]"]
            for r in comparison.rows() if is_headline(r.metric) and r.metric not in AVOIDED_METRICS
        ]
        print(_table(rows, ["metric", "counterfactual", "scenario", "difference", "95% CI"]))
        print("(all metrics in comparison.csv)")
    print(f"Results written to {out}/")
    return 0


def _experiment_manifest(out: Path, exp: Any, started: datetime, args: argparse.Namespace, **extra: Any) -> None:
    from sim.results import _git_commit, _version, write_atomic

    info = {
        "nhsim_version": _version("nhsim"), "git_commit": _git_commit(), "command": ["nhsim", *sys.argv[1:]],
        "experiment": exp.name, "seed": exp.seed, "replications": exp.replications,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "backend": args.backend,
        "versions": {k: _version(k) for k in ("simpy", "numpy", "scipy", "pydantic")},
        **extra,
    }
    import platform

    info["versions"]["python"] = platform.python_version()
    write_atomic(out / "manifest.json", json.dumps(info, indent=2) + "\n")


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.figures import sweep_figures
    from sim.results import write_atomic
    from sim.study import load_experiment
    from sim.sweep import SweepError, run_sweep, sweep_csv, sweep_replications_csv

    exp = load_experiment(args.experiment)
    out = args.out or Path("results") / exp.name
    started = datetime.now(timezone.utc)
    bar = _progress(0, args.quiet)

    def on_total(n: int) -> None:
        bar.total = n
        bar.refresh()

    try:
        result = run_sweep(exp, out, _backend(args), args.resume, bar.update, on_total)
    except SweepError as err:
        bar.close()
        print(f"nhsim: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Interrupted:
        bar.close()
        done = len(list((out / "points").glob("point-*.json"))) if (out / "points").exists() else 0
        print(f"Interrupted: {done} completed point(s) kept in {out}/points/; "
              f"continue with: nhsim sweep {args.experiment} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    write_atomic(out / "sweep.csv", sweep_csv(result))
    write_atomic(out / "replications.csv", sweep_replications_csv(result))
    if result.failures:
        write_atomic(out / "failures.json", json.dumps({str(k): v for k, v in result.failures.items()}, indent=2))
    _experiment_manifest(out, exp, started, args, points=len(result.points),
                         points_completed=len(result.replications), points_run_now=sorted(result.ran_now),
                         failed_points=sorted(result.failures))
    if not args.no_plots:
        sweep_figures(result, out)
    if not args.quiet:
        keys = list(exp.vary)
        from sim.stats import t_interval

        rows = []
        for i in sorted(result.replications):
            for m in exp.report:
                vals = result.values(i, m)
                if not vals:
                    continue
                iv = t_interval(vals)
                rows.append([str(i), *(f"{result.points[i].get(k, 'base')}" for k in keys), m,
                             _fmt(iv.mean), f"[{_fmt(iv.ci_low)}, {_fmt(iv.ci_high)}]", str(iv.n)])
        print(_table(rows, ["point", *keys, "metric", "mean", "95% CI", "n"]))
    for i, err in sorted(result.failures.items()):
        print(f"point {i} {result.points[i]} failed: {err}", file=sys.stderr)
    print(f"Results written to {out}/ (sweep.csv, replications.csv, plots/)")
    return EXIT_CHECK_FAILED if result.failures else 0


def cmd_search(args: argparse.Namespace) -> int:
    from sim.figures import search_figures
    from sim.results import write_atomic
    from sim.search import frontier_csv, run_search, search_csv
    from sim.study import load_experiment

    exp = load_experiment(args.experiment)
    if exp.search is None:
        print(f"{args.experiment}: search: the experiment has no [search] table", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = args.out or Path("results") / exp.name
    if _occupied(out):
        return EXIT_BAD_INPUT
    started = datetime.now(timezone.utc)
    bar = _progress(0, args.quiet)
    bar.total = None
    try:
        result = run_search(exp, _backend(args), bar.update)
    except Interrupted:
        bar.close()
        print("Interrupted before the search completed; nothing written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    write_atomic(out / "search.csv", search_csv(result))
    write_atomic(out / "frontier.csv", frontier_csv(result))
    _experiment_manifest(out, exp, started, args, evaluations=len(result.evaluations),
                         frontier=result.frontier)
    if not args.no_plots:
        search_figures(result, out)
    keys = list(exp.search.capacities)
    standards = " and ".join(c.describe() for c in exp.search.constraints)
    conf = f"{exp.search.confidence:.0%}"
    if not result.frontier:
        print(f"No capacities tried meet {standards} with {conf} confidence; try a wider range.")
    elif len(keys) == 1:
        print(f"Least {keys[0]} meeting {standards} with {conf} confidence: {result.frontier[0][keys[0]]}")
    else:
        print(f"Least combinations meeting {standards} with {conf} confidence:")
        print(_table([[str(f[keys[0]]), str(f[keys[1]])] for f in result.frontier], keys))
    if not args.quiet:
        rows = []
        for e in sorted(result.evaluations, key=lambda e: tuple(e.capacities[k] for k in keys)):
            for c in exp.search.constraints:
                mean, low, high = e.bounds[c.metric]
                bound = low if c.at_least is not None else high
                rows.append([*(str(e.capacities[k]) for k in keys), c.metric, _fmt(mean), _fmt(bound),
                             "yes" if c.holds(low, high) else "no"])
        print(_table(rows, [*keys, "metric", "mean", f"{conf} bound", "meets"]))
    print(f"Results written to {out}/ (search.csv, frontier.csv, plots/)")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    import tomllib

    from sim.calibrate import Calibration, FreeParameter, Target, calibrate, calibrated_toml, parse_free, parse_target
    from sim.results import _csv, write_atomic
    from sim.scenario import load_scenario
    from sim.study import load_experiment

    path = args.scenario
    is_experiment = False
    try:
        is_experiment = "calibration" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        pass  # load_scenario reports it
    if is_experiment:
        exp = load_experiment(path)
        assert exp.calibration is not None
        if args.target or args.free or args.counterfactual:
            print(f"{path}: an experiment's [calibration] table gives the targets, free parameters and "
                  "counterfactual: drop --target, --free and --counterfactual (or give a scenario file)",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        cal = Calibration(
            exp.scenario_path(),
            [Target(m, v) for m, v in exp.calibration.targets.items()],
            [FreeParameter(k, r.low, r.high, r.integer) for k, r in exp.calibration.free.items()],
            exp.counterfactual_path(), [*exp.set, *args.overrides], args.replications or exp.replications,
            args.seed if args.seed is not None else exp.seed, exp.calibration.tolerance,
        )
        name = exp.name
    else:
        scenario = load_scenario(path, args.overrides)
        cal = Calibration(
            path, [parse_target(t) for t in args.target], [parse_free(f) for f in args.free],
            args.counterfactual, list(args.overrides), args.replications or 10,
            args.seed if args.seed is not None else scenario.run.seed,
        )
        name = scenario.name
    out = args.out or Path("results") / f"{name}-calibrated"
    if _occupied(out):
        return EXIT_BAD_INPUT
    say = None if args.quiet else (lambda text: print(f"  trying {text}", file=sys.stderr))
    if not args.quiet:
        print(f"Calibrating {len(cal.free)} parameter(s) to {len(cal.targets)} target(s), "
              f"{cal.replications} replications an evaluation...", file=sys.stderr)
    result = calibrate(cal, _backend(args), say)
    out_file = out / "calibrated.toml"
    write_atomic(out_file, calibrated_toml(result, out_file))
    rows: list[list[Any]] = [["parameter", "fitted", "stderr", "ci_low", "ci_high", "low", "high"]]
    for p in cal.free:
        lo, hi = result.interval(p.key)
        rows.append([p.key, result.values[p.key], result.stderr[p.key], lo, hi, p.low, p.high])
    write_atomic(out / "parameters.csv", _csv(rows))
    fit = [["target", "observed", "model_mean", "ci_low", "ci_high"]] + [
        [t.metric, t.value, m, lo, hi] for t, m, lo, hi in result.fit]
    write_atomic(out / "fit.csv", _csv(fit))
    hist = [[p.key for p in cal.free] + [t.metric for t in cal.targets]] + [
        [*(h[0][p.key] for p in cal.free), *h[1]] for h in result.history]
    write_atomic(out / "evaluations.csv", _csv(hist))
    print(_table([[p.key, f"{result.values[p.key]:.4g}",
                   f"[{result.interval(p.key)[0]:.4g}, {result.interval(p.key)[1]:.4g}]",
                   f"{p.low:g} to {p.high:g}"] for p in cal.free],
                 ["parameter", "fitted", "95% interval", "range"]))
    print()
    print(_table([[t.metric, _fmt(t.value), _fmt(m), f"[{_fmt(lo)}, {_fmt(hi)}]"] for t, m, lo, hi in result.fit],
                 ["target", "observed", "model", "95% CI"]))
    print(f"{result.evaluations} evaluations; " + ("converged." if result.converged else result.message))
    for p in cal.free:
        if not math.isfinite(result.stderr[p.key]):
            print(f"Note: the targets do not move {p.key} near its fitted value, so they do not pin it down "
                  "(no interval): add a target it moves, or fix it with --set.")
    print(f"Calibrated scenario written to {out_file} (extends {cal.scenario})")
    return 0 if result.converged else EXIT_CHECK_FAILED


def cmd_reproduce(args: argparse.Namespace) -> int:
    from sim import plots
    from sim.compare import compare
    from sim.figures import comparison_figures
    from sim.results import _csv, write_atomic, write_comparison
    from sim.study import load_experiment

    exp = load_experiment(args.experiment)
    if not exp.published or not exp.counterfactual:
        print(f"{args.experiment}: reproduce needs a counterfactual and a [published] table", file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.scenario import load_scenario

    scenario = exp.base_scenario()
    cf = load_scenario(exp.counterfactual_path(), exp.set)  # type: ignore[arg-type]
    out = args.out or Path("results") / exp.name
    if _occupied(out):
        return EXIT_BAD_INPUT
    n = args.replications or exp.replications
    started = datetime.now(timezone.utc)
    bar = _progress(2 * n, args.quiet)
    comparison = compare(cf, scenario, n, exp.seed, progress=bar.update, backend=_backend(args))
    bar.close()
    write_comparison(out, comparison, ["nhsim", *sys.argv[1:]], started, backend=args.backend)
    rows: list[list[Any]] = [["figure", "published", "model_mean", "ci_low", "ci_high", "relative_error",
                              "published_in_ci"]]
    table, plot_rows = [], []
    for figure, value in exp.published.items():
        if figure.startswith("avoided."):
            iv = comparison.avoided(figure[len("avoided."):])
        else:
            iv = comparison.scenario.interval(figure)
        rel = (iv.mean - value) / value if value else math.nan
        inside = iv.ci_low <= value <= iv.ci_high
        rows.append([figure, value, iv.mean, iv.ci_low, iv.ci_high, rel, inside])
        table.append([figure, _fmt(value), _fmt(iv.mean), f"[{_fmt(iv.ci_low)}, {_fmt(iv.ci_high)}]",
                      f"{rel:+.1%}", "yes" if inside else "no"])
        plot_rows.append((figure.replace("avoided.", "avoided: "), value, iv.mean, iv.ci_low, iv.ci_high))
    write_atomic(out / "published.csv", _csv(rows))
    if not args.no_plots and plots.available():
        plots.plot_published(plot_rows, f"{exp.name}: published against model (a year)", out / "plots" / "published")
        comparison_figures(comparison, out)
    print(f"{exp.name}: {scenario.name} against {cf.name}, {n} paired replications, seed {exp.seed}")
    print(_table(table, ["figure", "published", "model", "model 95% CI", "difference", "published in CI"]))
    print(f"Results written to {out}/ (published.csv, comparison.csv, plots/)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.results import scenario_json
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    sys.stdout.write(scenario_json(scenario))
    print(f"{args.scenario}: valid", file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.scenario.model import Scenario

    print(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from sim.verify import run_checks

    print(f"Verifying against queueing theory: {args.replications} replications a check, "
          "99% confidence intervals...", file=sys.stderr)
    results = run_checks(replications=args.replications, seed=args.seed, workers=args.workers)
    rows = [
        [r.name, f"{r.theory:.4f}", f"{r.mean:.4f}", f"[{r.ci_low:.4f}, {r.ci_high:.4f}]", "pass" if r.passed else "FAIL"]
        for r in results
    ]
    print(_table(rows, ["check", "theory", "simulated", "99% CI", "result"]))
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed} of {len(results)} checks passed")
    return EXIT_CHECK_FAILED if failed else 0


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "sweep": cmd_sweep, "search": cmd_search,
            "calibrate": cmd_calibrate, "reproduce": cmd_reproduce, "validate": cmd_validate, "schema": cmd_schema, "verify": cmd_verify}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version

        print(f"nhsim {version('nhsim')}")
        return 0
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as err:
        return _print_problems(err)
    except BackendError as err:
        print(f"nhsim: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunFailed as err:
        print(f"nhsim: {err}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``nhsim`` command line (also ``python -m sim``).

Parses arguments, calls the layers below and prints. Bad input never gives a
traceback: scenario problems are printed one a line, naming file and key path, and
the command exits with code 2 having written nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import json
import math
import sys
from datetime import datetime, timezone
from pathlib import Path


from sim.runs.backends import BackendError
from sim.runs.tasks import Interrupted, RunFailed
from sim.scenario.errors import ScenarioError
from sim.cli.format import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_INTERRUPTED, _backend, _fmt, _occupied, _print_problems, _progress, _table

__all__ = ["main"]



def _whole_number(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``least``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_seed = _whole_number(0)


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


def cmd_run(args: argparse.Namespace) -> int:
    from sim.runs.replications import run
    from sim.output.results import default_out_dir, write_run
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
            event_log_dir=(out / "events").resolve() if args.event_log else None,
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
        from sim.output.figures import run_figures

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
    from sim.runs.compare import AVOIDED_METRICS, compare
    from sim.output.figures import comparison_figures
    from sim.output.results import default_out_dir, write_comparison
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
        if rows:
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


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.output.results import scenario_json
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
    from sim.runs.verify import run_checks

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


from sim.cli.studies import cmd_calibrate, cmd_reproduce, cmd_search, cmd_sweep  # noqa: E402

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
    if getattr(args, "scheduler", None) and getattr(args, "backend", "local") != "dask":
        print("nhsim: --scheduler needs --backend dask", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as err:
        return _print_problems(err)
    except Interrupted:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
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

"""The scenario commands: run, compare, validate, schema, verify.

Each takes parsed arguments, calls the layers below and prints; it returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

from sim.cli.format import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_SCHEDULER_LOST,
    backend_of,
    claim_out,
    fmt_value,
    progress_bar,
    replications_of,
    table_text,
)
from sim.runs.tasks import Interrupted, SchedulerLost

__all__ = ["cmd_compare", "cmd_run", "cmd_schema", "cmd_validate", "cmd_verify"]


def cmd_run(args: argparse.Namespace) -> int:
    from sim.output.results import default_out_dir, write_run
    from sim.runs.replications import run
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    n = replications_of(args.replications, scenario.run.replications, str(args.scenario))
    started = datetime.now(UTC)
    command = ["nhsim", *sys.argv[1:]]
    out = args.out or default_out_dir(scenario)
    with claim_out(out):
        bar = progress_bar(n, args.quiet)
        try:
            results = run(
                scenario,
                n,
                args.seed,
                progress=bar.update,
                backend=backend_of(args),
                event_log_dir=(out / "events").resolve() if args.event_log else None,
            )
        except Interrupted as stop:
            bar.close()
            return _keep_interrupted(stop, out, command, started, n, args.backend)
        bar.close()
        from sim.cli.appraisal import print_warnings
        from sim.output.appraisal import warnings_manifest, write_appraisal
        from sim.runs.warnings import results_warnings

        cautions = results_warnings(results)
        write_run(
            out,
            results,
            command,
            started,
            interrupted=False,
            replications_requested=n,
            backend=args.backend,
            warnings=warnings_manifest(cautions),
        )
        write_appraisal(out, cautions)
        if not args.no_plots:
            from sim.output.figures import run_figures

            run_figures(results, out)
        if not args.quiet:
            from sim.metrics import is_headline

            summary = results.summary()
            rows = [
                [m, fmt_value(iv.mean), fmt_value(iv.ci_low), fmt_value(iv.ci_high)]
                for m, iv in summary.items()
                if is_headline(m)
            ]
            print(
                f"{scenario.name}: {results.n} replication{'s' * (results.n != 1)}, seed {results.seed}, "
                f"{scenario.run.days:g} days after {scenario.run.warmup_days:g} days' warm-up (counts per year)"
            )
            print(table_text(rows, ["metric", "mean", "95% CI low", "95% CI high"]))
            print(f"(headline metrics; all {len(summary)} are in summary.csv)")
        print_warnings(cautions, args.quiet)
        print(f"Results written to {out}/")
    return 0


def _keep_interrupted(
    stop: Interrupted, out: Path, command: list[str], started: datetime, n: int, backend: str
) -> int:
    """Write the replications that completed before Ctrl-C (or a lost Dask scheduler),
    marked interrupted, and say how many."""
    from sim.output.results import write_run

    for tmp in (out / "events").glob(".replication-*.tmp"):  # of replications cut short
        tmp.unlink(missing_ok=True)
    lost = isinstance(stop, SchedulerLost)
    why = f"nhsim: {stop}; " if lost else "Interrupted: "
    if stop.results is not None and stop.results.n:
        extra = {"stopped_by": str(stop)} if lost else {}
        write_run(
            out,
            stop.results,
            command,
            started,
            interrupted=True,
            replications_requested=n,
            backend=backend,
            **extra,
        )
        print(f"{why}{stop.results.n} of {n} replications kept in {out}/", file=sys.stderr)
    elif lost:
        print(f"{why}no replication had completed: nothing written.", file=sys.stderr)
    else:
        print("Interrupted before any replication completed; nothing written.", file=sys.stderr)
    return EXIT_SCHEDULER_LOST if lost else EXIT_INTERRUPTED


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.output.figures import comparison_figures
    from sim.output.results import default_out_dir, write_comparison
    from sim.runs.compare import AVOIDED_METRICS, compare
    from sim.scenario import load_scenario

    if args.scenario is None:
        if not args.overrides:
            print(
                "compare: give a SCENARIO, or --set changes to compare the counterfactual against",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        counterfactual = load_scenario(args.counterfactual)
        scenario = load_scenario(args.counterfactual, args.overrides)
        scenario = scenario.model_copy(update={"name": f"{scenario.name}-variant"})
    else:
        counterfactual = load_scenario(args.counterfactual)
        scenario = load_scenario(args.scenario, args.overrides)
    n = replications_of(
        args.replications, scenario.run.replications, str(args.scenario or args.counterfactual)
    )
    seed = args.seed if args.seed is not None else scenario.run.seed
    started = datetime.now(UTC)
    out = args.out or default_out_dir(scenario, suffix=f"vs-{counterfactual.name}")
    parts = None
    if args.split:
        from sim.cli.split import split_parts

        parts = split_parts(args, counterfactual, scenario)  # a bad part is refused before work
    with claim_out(out):
        bar = progress_bar((2 + len(parts or [])) * n, args.quiet)
        try:
            comparison = compare(
                counterfactual, scenario, n, seed, progress=bar.update, backend=backend_of(args)
            )
            if parts is not None:
                from sim.runs.split import split

                package = split(
                    counterfactual,
                    scenario,
                    n,
                    seed,
                    parts,
                    backend_of(args),
                    bar.update,
                    comparison,
                )
        except Interrupted as stop:
            bar.close()
            if isinstance(stop, SchedulerLost):
                print(
                    f"nhsim: {stop}; the comparison did not complete: nothing written.",
                    file=sys.stderr,
                )
                return EXIT_SCHEDULER_LOST
            print("Interrupted before the comparison completed; nothing written.", file=sys.stderr)
            return EXIT_INTERRUPTED
        bar.close()
        from sim.cli.appraisal import print_economics, print_warnings
        from sim.output.appraisal import warnings_manifest, write_appraisal
        from sim.runs.economics import economics
        from sim.runs.warnings import comparison_warnings

        econ, cautions = economics(comparison), comparison_warnings(comparison)
        write_comparison(
            out,
            comparison,
            ["nhsim", *sys.argv[1:]],
            started,
            backend=args.backend,
            warnings=warnings_manifest(cautions),
        )
        write_appraisal(out, cautions, econ)
        if parts is not None:
            from sim.cli.split import write_split

            write_split(out, package)
        if not args.no_plots:
            comparison_figures(comparison, out)
    if not args.quiet:
        from sim.metrics import is_headline

        print(
            f"{scenario.name} against {counterfactual.name}: {n} paired replications, seed {seed} "
            "(a year; avoided = counterfactual - scenario)"
        )
        rows = []
        for m in AVOIDED_METRICS:
            iv = comparison.avoided(m)
            if not math.isnan(iv.mean):
                rows.append([m, fmt_value(iv.mean), fmt_value(iv.ci_low), fmt_value(iv.ci_high)])
        if rows:
            print(table_text(rows, ["avoided a year", "mean", "95% CI low", "95% CI high"]))
            print()
        print_economics(econ)
        rows = [
            [
                r.metric,
                fmt_value(r.counterfactual_mean),
                fmt_value(r.scenario_mean),
                fmt_value(r.difference.mean),
                f"[{fmt_value(r.difference.ci_low)}, {fmt_value(r.difference.ci_high)}]",
            ]
            for r in comparison.rows()
            if is_headline(r.metric) and r.metric not in AVOIDED_METRICS
        ]
        print(table_text(rows, ["metric", "counterfactual", "scenario", "difference", "95% CI"]))
        print("(all metrics in comparison.csv)")
        if parts is not None:
            from sim.cli.split import print_split

            print_split(package)
    print_warnings(cautions, args.quiet)
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
    from sim.scenario.model import scenario_model

    print(json.dumps(scenario_model().model_json_schema(by_alias=True), indent=2))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from sim.runs.verify import run_checks

    print(
        f"Verifying against queueing theory: {args.replications} replications a check, "
        "99% confidence intervals...",
        file=sys.stderr,
    )
    results = run_checks(replications=args.replications, seed=args.seed, workers=args.workers)
    rows = [
        [
            r.name,
            f"{r.theory:.4f}",
            f"{r.mean:.4f}",
            f"[{r.ci_low:.4f}, {r.ci_high:.4f}]",
            "pass" if r.passed else "FAIL",
        ]
        for r in results
    ]
    print(table_text(rows, ["check", "theory", "simulated", "99% CI", "result"]))
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed} of {len(results)} checks passed")
    return EXIT_CHECK_FAILED if failed else 0

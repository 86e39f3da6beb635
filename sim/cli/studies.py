"""Commands that run experiment files: sweep, search, calibrate, reproduce."""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.cli.format import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_SCHEDULER_LOST,
    backend_of,
    claim_out,
    fmt_value,
    progress_bar,
    report_stopped,
    table_text,
)
from sim.runs.tasks import Interrupted, SchedulerLost


def _experiment_manifest(
    out: Path, exp: Any, started: datetime, args: argparse.Namespace, **extra: Any
) -> None:
    from sim.output.results import write_experiment_manifest

    command = ["nhsim", *sys.argv[1:]]
    write_experiment_manifest(out, exp, command, started, backend=args.backend, **extra)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.output.results import write_atomic
    from sim.runs.experiment_file import load_experiment
    from sim.runs.sweep import (
        SweepError,
        check_design,
        run_sweep,
        sweep_csv,
        sweep_replications_csv,
    )

    exp = load_experiment(args.experiment)
    out = args.out or Path("results") / exp.name
    check_design(exp)  # a bad point is refused before the folder is made
    started = datetime.now(UTC)
    with claim_out(out, require_empty=False):  # run_sweep checks the folder is this sweep's
        bar = progress_bar(0, args.quiet)

        def on_total(n: int) -> None:
            bar.total = n
            bar.refresh()

        try:
            result = run_sweep(exp, out, backend_of(args), args.resume, bar.update, on_total)
        except SweepError as err:
            bar.close()
            print(f"nhsim: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except Interrupted as stop:
            bar.close()
            return _sweep_stopped(stop, args, out)
        bar.close()
        write_atomic(out / "sweep.csv", sweep_csv(result))
        write_atomic(out / "replications.csv", sweep_replications_csv(result))
        if result.failures:
            write_atomic(
                out / "failures.json",
                json.dumps({str(k): v for k, v in result.failures.items()}, indent=2),
            )
        from sim.cli.appraisal import print_warnings
        from sim.output.appraisal import warnings_manifest, write_appraisal
        from sim.runs.warnings import sweep_warnings

        cautions = sweep_warnings(result)
        write_appraisal(out, cautions)
        _experiment_manifest(
            out,
            exp,
            started,
            args,
            points=len(result.points),
            points_completed=len(result.replications),
            points_run_now=sorted(result.ran_now),
            failed_points=sorted(result.failures),
            warnings=warnings_manifest(cautions),
        )
        if not args.no_plots:
            from sim.output.figures import sweep_figures

            sweep_figures(result, out)
    _print_sweep(result, args)
    print_warnings(cautions, args.quiet)
    print(f"Results written to {out}/ (sweep.csv, replications.csv, plots/)")
    return EXIT_CHECK_FAILED if result.failures else 0


def _sweep_stopped(stop: Interrupted, args: argparse.Namespace, out: Path) -> int:
    """Ctrl-C or a lost scheduler: what is kept, and the command that continues the sweep."""
    return report_stopped(stop, args, out, "sweep", "points", "point(s)")


def _value(v: Any) -> str:
    """A varied value as the table shows it (a sampled float to 4 significant figures)."""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _signed(x: float) -> str:
    text = fmt_value(x)
    return text if text.startswith("-") or text in ("-", "0.000") else f"+{text}"


def _difference_cells(iv: Any) -> list[str]:
    """A paired difference as two table cells: "+12.3" and "[4.10, 20.5]"."""
    if iv is None or math.isnan(iv.mean):
        return ["-", ""]
    if math.isnan(iv.ci_low):
        return [_signed(iv.mean), ""]
    return [_signed(iv.mean), f"[{_signed(iv.ci_low)}, {_signed(iv.ci_high)}]"]


def _print_sweep(result: Any, args: argparse.Namespace) -> None:
    exp = result.experiment
    if not args.quiet:
        keys = list(exp.vary)
        from sim.runs.differences import sweep_difference
        from sim.runs.stats import t_interval
        from sim.runs.sweep import base_point

        base = base_point(result) if exp.compare_to_base else None
        rows = []
        for i in sorted(result.replications):
            for m in exp.report:
                vals = result.values(i, m)
                if not vals:
                    continue
                iv = t_interval(vals)
                row = [
                    str(i),
                    *(_value(result.points[i].get(k, "base")) for k in keys),
                    m,
                    fmt_value(iv.mean),
                    f"[{fmt_value(iv.ci_low)}, {fmt_value(iv.ci_high)}]",
                ]
                if base is not None:
                    row += (
                        ["base", ""]
                        if i == base
                        else _difference_cells(sweep_difference(result, i, m, base))
                    )
                rows.append([*row, str(iv.n)])
        header = ["point", *keys, "metric", "mean", "95% CI"]
        if base is not None:
            header += ["vs base", "95% CI"]
        print(table_text(rows, [*header, "n"]))
        if base is not None:
            print(
                f"(vs base: each point's paired difference from point {base}, the base scenario, "
                "replication by replication)"
            )
    produced = {m for reps in result.replications.values() for r in reps for m in r}
    for m in exp.report:
        if produced and m not in produced:
            from sim.scenario.errors import closest

            hint = closest(m, sorted(produced))
            print(
                f"note: report metric {m!r} is not produced by this scenario"
                + (f"; did you mean {hint!r}?" if hint else ""),
                file=sys.stderr,
            )
    for i, err in sorted(result.failures.items()):
        print(f"point {i} {result.points[i]} failed: {err}", file=sys.stderr)


def cmd_search(args: argparse.Namespace) -> int:
    from sim.output.figures import search_figures
    from sim.output.results import write_atomic
    from sim.runs.experiment_file import load_experiment
    from sim.runs.search import frontier_csv, run_search, search_csv

    exp = load_experiment(args.experiment)
    if exp.search is None:
        print(f"{args.experiment}: search: the experiment has no [search] table", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = args.out or Path("results") / exp.name
    started = datetime.now(UTC)
    with claim_out(out):
        bar = progress_bar(0, args.quiet)
        bar.total = None
        try:
            result = run_search(exp, backend_of(args), bar.update)
        except Interrupted as stop:
            bar.close()
            if isinstance(stop, SchedulerLost):
                print(
                    f"nhsim: {stop}; the search did not complete: nothing written.", file=sys.stderr
                )
                return EXIT_SCHEDULER_LOST
            print("Interrupted before the search completed; nothing written.", file=sys.stderr)
            return EXIT_INTERRUPTED
        bar.close()
        write_atomic(out / "search.csv", search_csv(result))
        write_atomic(out / "frontier.csv", frontier_csv(result))
        from sim.cli.appraisal import print_warnings
        from sim.output.appraisal import warnings_manifest, write_appraisal
        from sim.runs.warnings import search_warnings

        cautions = search_warnings(result)
        write_appraisal(out, cautions)
        _experiment_manifest(
            out,
            exp,
            started,
            args,
            evaluations=len(result.evaluations),
            frontier=result.frontier,
            warnings=warnings_manifest(cautions),
        )
        if not args.no_plots:
            search_figures(result, out)
    keys = list(exp.search.capacities)
    standards = " and ".join(c.describe() for c in exp.search.constraints)
    conf = f"{exp.search.confidence:.0%}"
    if not result.frontier:
        print(f"No capacities tried meet {standards} with {conf} confidence; try a wider range.")
    elif len(keys) == 1:
        print(
            f"Least {keys[0]} meeting {standards} with {conf} confidence: {result.frontier[0][keys[0]]}"
        )
    else:
        print(f"Least combinations meeting {standards} with {conf} confidence:")
        print(table_text([[str(f[keys[0]]), str(f[keys[1]])] for f in result.frontier], keys))
    if not args.quiet:
        from sim.runs.differences import search_difference, search_reference

        ref = search_reference(result)
        rows = []
        for e in sorted(result.evaluations, key=lambda e: tuple(e.capacities[k] for k in keys)):
            for c in exp.search.constraints:
                mean, low, high = e.bounds[c.metric]
                bound = low if c.at_least is not None else high
                diff = (
                    ["reference", ""]
                    if e is ref or ref is None
                    else _difference_cells(search_difference(e, ref, c.metric))
                )
                rows.append(
                    [
                        *(str(e.capacities[k]) for k in keys),
                        c.metric,
                        fmt_value(mean),
                        fmt_value(bound),
                        *diff,
                        "yes" if c.holds(low, high) else "no",
                    ]
                )
        print(
            table_text(
                rows, [*keys, "metric", "mean", f"{conf} bound", "vs reference", "95% CI", "meets"]
            )
        )
        if ref is not None:
            where = ", ".join(f"{k} = {ref.capacities[k]}" for k in keys)
            print(
                f"(vs reference: paired difference from {where}, "
                f"{'the base scenario' if _is_base(exp, ref) else 'the first tried'})"
            )
    print_warnings(cautions, args.quiet)
    print(f"Results written to {out}/ (search.csv, frontier.csv, plots/)")
    return 0


def _is_base(exp: Any, evaluation: Any) -> bool:
    from sim.runs.experiment_file import base_value

    base = exp.base_scenario()
    return all(base_value(base, k) == v for k, v in evaluation.capacities.items())


def cmd_calibrate(args: argparse.Namespace) -> int:
    import tomllib

    from sim.output.results import write_calibration
    from sim.runs.calibrate import (
        Calibration,
        FreeParameter,
        Target,
        calibrate,
        parse_free,
        parse_target,
    )
    from sim.runs.experiment_file import load_experiment
    from sim.scenario import load_scenario

    path = args.scenario
    is_experiment = False
    try:
        is_experiment = "calibration" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass  # load_scenario reports it
    if is_experiment:
        exp = load_experiment(path)
        assert exp.calibration is not None
        if args.target or args.free or args.counterfactual:
            print(
                f"{path}: an experiment's [calibration] table gives the targets, free parameters and "
                "counterfactual: drop --target, --free and --counterfactual (or give a scenario file)",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        cal = Calibration(
            exp.scenario_path(),
            [Target(m, v) for m, v in exp.calibration.targets.items()],
            [FreeParameter(k, r.low, r.high, r.integer) for k, r in exp.calibration.free.items()],
            exp.counterfactual_path(),
            [*exp.set, *args.overrides],
            args.replications or exp.replications,
            args.seed if args.seed is not None else exp.seed,
            exp.calibration.tolerance,
        )
        name = exp.name
    else:
        scenario = load_scenario(path, args.overrides)
        cal = Calibration(
            path,
            [parse_target(t) for t in args.target],
            [parse_free(f) for f in args.free],
            args.counterfactual,
            list(args.overrides),
            args.replications or 10,
            args.seed if args.seed is not None else scenario.run.seed,
        )
        name = scenario.name
    out = args.out or Path("results") / f"{name}-calibrated"
    say = None if args.quiet else (lambda text: print(f"  trying {text}", file=sys.stderr))
    with claim_out(out):
        if not args.quiet:
            print(
                f"Calibrating {len(cal.free)} parameter(s) to {len(cal.targets)} target(s), "
                f"{cal.replications} replications an evaluation...",
                file=sys.stderr,
            )
        result = calibrate(cal, backend_of(args), say)
        out_file = write_calibration(out, result)
    print(
        table_text(
            [
                [
                    p.key,
                    f"{result.values[p.key]:.4g}",
                    f"[{result.interval(p.key)[0]:.4g}, {result.interval(p.key)[1]:.4g}]",
                    f"{p.low:g} to {p.high:g}",
                ]
                for p in cal.free
            ],
            ["parameter", "fitted", "95% interval", "range"],
        )
    )
    print()
    print(
        table_text(
            [
                [t.metric, fmt_value(t.value), fmt_value(m), f"[{fmt_value(lo)}, {fmt_value(hi)}]"]
                for t, m, lo, hi in result.fit
            ],
            ["target", "observed", "model", "95% CI"],
        )
    )
    print(
        f"{result.evaluations} evaluations; "
        + ("converged." if result.converged else result.message)
    )
    for p in cal.free:
        if not math.isfinite(result.stderr[p.key]):
            print(
                f"Note: the targets do not move {p.key} near its fitted value, so they do not pin it down "
                "(no interval): add a target it moves, or fix it with --set."
            )
    print(f"Calibrated scenario written to {out_file} (extends {cal.scenario})")
    return 0 if result.converged else EXIT_CHECK_FAILED


def cmd_reproduce(args: argparse.Namespace) -> int:
    from sim.output import plots
    from sim.output.figures import comparison_figures
    from sim.output.results import published_csv, write_atomic, write_comparison
    from sim.runs.experiment_file import load_experiment
    from sim.runs.reproduce import reproduce

    exp = load_experiment(args.experiment)
    if not exp.published or not exp.counterfactual:
        print(
            f"{args.experiment}: reproduce needs a counterfactual and a [published] table",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    out = args.out or Path("results") / exp.name
    n = args.replications or exp.replications
    started = datetime.now(UTC)
    with claim_out(out):
        bar = progress_bar(2 * n, args.quiet)
        done = reproduce(exp, n, backend_of(args), bar.update)
        bar.close()
        comparison = done.comparison
        write_comparison(out, comparison, ["nhsim", *sys.argv[1:]], started, backend=args.backend)
        write_atomic(out / "published.csv", published_csv(done.figures))
        scenario = comparison.scenario.scenario
        if not args.no_plots and plots.available():
            plots.plot_published(
                [(f.figure, f.published, f.model_mean, f.ci_low, f.ci_high) for f in done.figures],
                f"{exp.name}: published against model (a year)",
                out / "plots" / "published",
                scenario,
            )
            comparison_figures(comparison, out)
    table = [
        [
            f.figure,
            fmt_value(f.published),
            fmt_value(f.model_mean),
            f"[{fmt_value(f.ci_low)}, {fmt_value(f.ci_high)}]",
            f"{f.relative_error:+.1%}",
            "yes" if f.inside else "no",
        ]
        for f in done.figures
    ]
    cf = comparison.counterfactual.scenario
    print(
        f"{exp.name}: {scenario.name} against {cf.name}, {n} paired replications, seed {exp.seed}"
    )
    print(
        table_text(
            table, ["figure", "published", "model", "model 95% CI", "difference", "published in CI"]
        )
    )
    print(f"Results written to {out}/ (published.csv, comparison.csv, plots/)")
    return 0

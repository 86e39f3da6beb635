"""``nhsim uncertainty EXPERIMENT``: parameter uncertainty, what the answer rests on, and
the chance that a decision is right."""

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
    backend_of,
    claim_out,
    fmt_value,
    progress_bar,
    report_stopped,
    table_text,
)
from sim.runs.tasks import Interrupted

__all__ = ["cmd_uncertainty", "print_analysis"]

TOP_INPUTS = 5
"""Inputs printed for each reported metric (all of them are in indices.csv)."""


def cmd_uncertainty(args: argparse.Namespace) -> int:
    from sim.cli.studies import _experiment_manifest
    from sim.output.uncertainty_files import write_tables
    from sim.runs.experiment_file import load_experiment
    from sim.runs.uncertainty import UncertaintyError, plan, run_uncertainty
    from sim.runs.uncertainty_analysis import analyse

    exp = load_experiment(args.experiment)
    the_plan = plan(exp)  # every set's scenarios load before the folder is made
    out = args.out or Path("results") / exp.name
    started = datetime.now(UTC)
    with claim_out(out, require_empty=False):  # run_uncertainty checks the folder is this one's
        bar = progress_bar(0, args.quiet)

        def on_total(n: int) -> None:
            bar.total = n
            bar.refresh()

        try:
            result = run_uncertainty(
                the_plan, out, backend_of(args), args.resume, bar.update, on_total
            )
        except UncertaintyError as err:
            bar.close()
            print(f"nhsim: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except Interrupted as stop:
            bar.close()
            return _stopped(stop, args, out)
        bar.close()
        analysis = analyse(result, args.willingness_to_pay)
        write_tables(analysis, out)
        if result.failures:
            from sim.output.results import write_atomic

            write_atomic(
                out / "failures.json",
                json.dumps({str(k): v for k, v in sorted(result.failures.items())}, indent=2),
            )
        _experiment_manifest(
            out,
            exp,
            started,
            args,
            method=exp.sampling.method,
            parameter_sets=len(the_plan.sets),
            sets_completed=len(result.data) - (1 if -1 in result.data else 0),
            sets_run_now=sorted(i for i in result.ran_now if i >= 0),
            failed_sets=sorted(result.failures),
            willingness_to_pay=analysis.willingness_to_pay,
        )
        if not args.no_plots:
            from sim.output.uncertainty_figures import uncertainty_figures

            uncertainty_figures(analysis, out)
    if not args.quiet:
        print_analysis(analysis)
    for i, why in sorted(result.failures.items()):
        print(f"parameter set {i} failed: {why}", file=sys.stderr)
    print(
        f"Results written to {out}/ (uncertainty.csv, indices.csv, decision.csv, evppi.csv, "
        "sets.csv, plots/)"
    )
    return EXIT_CHECK_FAILED if result.failures else 0


def _stopped(stop: Interrupted, args: argparse.Namespace, out: Path) -> int:
    """Ctrl-C or a lost scheduler: what is kept, and the command that continues."""
    return report_stopped(stop, args, out, "uncertainty", "sets", "parameter set(s)")


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.0f}%"


def _interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "-"
    return f"[{fmt_value(low)}, {fmt_value(high)}]"


def _share(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.2f}"


def _pounds(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


def print_analysis(analysis: Any) -> None:
    """The tables of an analysis: intervals, ranked inputs, decisions, EVPPI."""
    result = analysis.result
    exp = result.experiment
    scen = result.plan.scenarios
    sc = scen[(-1, "scenario")].name
    n_sets = len(result.plan.sets)
    what = (
        f"{exp.sampling.sets} base rows x ({len(result.plan.inputs)} inputs + 2) = "
        if (exp.sampling.method == "saltelli")
        else ""
    )
    head = f"{sc} against {scen[(-1, 'counterfactual')].name}" if exp.counterfactual else sc
    print(
        f"{head}: {what}{n_sets} parameter sets ({exp.sampling.method}) of "
        f"{len(result.plan.inputs)} uncertain inputs, {exp.replications} "
        f"{'paired ' if exp.counterfactual else ''}replications each, seed {exp.seed} "
        + ("(a year; avoided = counterfactual - scenario)" if exp.counterfactual else "(a year)")
    )
    rows = []
    for m in analysis.metrics:
        sp, b = m.spread, m.base
        rows.append(
            [
                m.metric,
                fmt_value(sp.mean),
                _interval(sp.low, sp.high),
                _pct(sp.parameter_share),
                fmt_value(b.mean) if b else "-",
                _interval(b.ci_low, b.ci_high) if b else "-",
            ]
        )
    base_n = exp.sampling.base_replications
    print(
        table_text(
            rows,
            [
                "metric",
                "mean",
                "95% uncertainty",
                "parameters",
                "base values",
                f"95% CI ({base_n} reps)",
            ],
        )
    )
    print(
        f"(95% uncertainty: 2.5% to 97.5% of the {len(analysis.sets)} parameter sets' means; "
        "parameters: their share of the spread, the rest being the replications' randomness; "
        "base values and 95% CI: the stochastic-only interval of nhsim compare at the "
        "scenario files' own values)"
    )
    _print_indices(analysis)
    _print_decisions(analysis)
    _print_value(analysis)


def _print_indices(analysis: Any) -> None:
    exp = analysis.result.experiment
    shown = [m for m in exp.report if m in analysis.indices]
    if not shown:
        return
    print()
    print("What the answer rests on (Sobol indices: each input's share of the parameter variance)")
    for metric in shown:
        ind = analysis.indices[metric]
        if all(math.isnan(i.total) for i in ind.indices):
            print(f"{metric}: no indices ({ind.note or 'no parameter variance'})")
            continue
        ranked = sorted(
            ind.indices,
            key=lambda i: (-(i.total if not math.isnan(i.total) else -1), i.input),
        )[:TOP_INPUTS]
        rows = [
            [
                i.input,
                _share(i.first),
                f"[{_share(i.first_low)}, {_share(i.first_high)}]",
                _share(i.total),
                f"[{_share(i.total_low)}, {_share(i.total_high)}]",
            ]
            for i in ranked
        ]
        print(table_text(rows, [metric, "first order", "95% CI", "total", "95% CI"]))
    first = next(iter(analysis.indices.values()))
    how = (
        "model-free, from the Saltelli design"
        if first.method == "saltelli"
        else f"from a metamodel of the set means: {first.note}"
    )
    print(
        f"(the {TOP_INPUTS} inputs with the largest total index for each reported metric, "
        f"{how}; every metric and input in indices.csv)"
    )


def _question(p: Any, wtp: float) -> str:
    if p.question == "avoids at least":
        return f"avoids at least {p.threshold:,g} {p.metric} a year"
    if p.question == "cost-saving":
        return "cost-saving (cost.total lower)"
    if p.question == "net benefit > 0":
        return f"net benefit > 0 at {_pounds(wtp)} an admission avoided"
    return f"{p.side} {p.question}"


def _print_decisions(analysis: Any) -> None:
    if not analysis.probabilities:
        return
    rows = [
        [
            _question(p, analysis.willingness_to_pay),
            _pct(p.probability),
            f"[{_pct(p.low)}, {_pct(p.high)}]",
        ]
        for p in analysis.probabilities
    ]
    print()
    print("The chance that a decision is right (share of parameter sets)")
    print(table_text(rows, ["question", "chance", "95% CI"]))


def _print_value(analysis: Any) -> None:
    v = analysis.value
    if v is None:
        return
    rows = [["all inputs (EVPI)", _pounds(v.evpi)]]
    ranked = sorted(
        v.evppi.items(), key=lambda kv: (-(kv[1] if not math.isnan(kv[1]) else -1), kv[0])
    )
    rows += [[k, _pounds(x)] for k, x in ranked]
    print()
    print(
        f"Value of perfect information (£ a year, at {_pounds(v.willingness_to_pay)} an "
        f"admission avoided; mean net benefit {_pounds(v.net_benefit.mean)} a year)"
    )
    print(table_text(rows, ["input", "EVPPI"]))

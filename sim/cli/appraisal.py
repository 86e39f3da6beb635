"""Printing the economics of a comparison and the warnings after a command's tables."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

from sim.cli.format import table_text
from sim.runs.economics import COST_SAVING, COSTS_MORE, Economics, Estimate
from sim.runs.warnings import ResultWarning

__all__ = ["economics_lines", "pounds", "print_economics", "print_warnings"]


def pounds(x: float) -> str:
    """Whole pounds with thousands separators (``-`` for a missing figure)."""
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "unbounded"
    text = f"{abs(x):,.0f}"
    return f"-{text}" if x < 0 and text != "0" else text


def _row(text: str, est: Estimate) -> list[str]:
    if not est.bounded:
        return [text, pounds(est.mean), "unbounded", "unbounded"]
    return [text, pounds(est.mean), pounds(est.ci_low), pounds(est.ci_high)]


def economics_lines(econ: Economics) -> list[str]:
    """The economics table and the verdict, as printed under the avoided table."""
    conf = f"{econ.confidence:.0%}"
    table = table_text(
        [_row(text, est) for _, text, est in econ.rows()],
        ["pounds a year", "mean", f"{conf} CI low", f"{conf} CI high"],
    )
    why = {
        COST_SAVING: f"the net cost's {conf} interval lies wholly below 0",
        COSTS_MORE: f"the net cost's {conf} interval lies wholly above 0",
    }.get(econ.verdict, f"the net cost's {conf} interval includes 0")
    lines = [table, f"verdict: {econ.verdict} ({why})"]
    if any(not est.bounded for _, _, est in econ.rows()):
        lines.append(
            "(unbounded: what is avoided cannot be told from 0, so no cost per thing avoided "
            "can be bounded; Fieller's interval)"
        )
    if econ.priced:
        lines.append(f"(capacity priced for {', '.join(econ.priced)}; economics.csv has these)")
    else:
        lines.append("(no capacity priced in [costs.capacity]: the investment costs nothing here)")
    return lines


def print_economics(econ: Economics | None) -> None:
    if econ is None:
        return
    print("\n".join(economics_lines(econ)))
    print()


def print_warnings(warnings: Sequence[ResultWarning], quiet: bool = False) -> None:
    """The warnings, one a line, after the tables (to standard error when ``quiet``)."""
    if not warnings:
        return
    stream = sys.stderr if quiet else sys.stdout
    print(
        f"{len(warnings)} warning{'s' * (len(warnings) != 1)} (also in warnings.json):", file=stream
    )
    for w in warnings:
        print(f"  warning: {w}", file=stream)

"""Numbers and names as a board paper writes them.

Thousands separators, a true minus sign, never "−0", the same number of decimals for a
mean and its interval, fractions as percentages, costs in pounds, and metric names in
words (``ambulance.conveyances`` → "Ambulance conveyances").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape

from sim.output.report_data import Row

__all__ = [
    "MINUS",
    "decimals_for",
    "headline_cells",
    "interval",
    "is_fraction",
    "is_money",
    "label",
    "number",
    "pretty",
    "summary_cells",
    "value",
]

MINUS = "\u2212"
DASH = "–"

_ACRONYMS = {"ucr", "ed", "ic", "vw", "gp", "sdec", "wte"}
_FRACTIONS = (
    ".seen_within_target",
    ".occupancy",
    ".utilisation",
    "_fraction",
    ".answered_share",
)
_LABELS = {
    "ambulance.conveyances": "Ambulance conveyances to ED",
    "admissions.total": "Emergency admissions",
    "admissions.short_stay": "Short-stay admissions (0–1 day)",
    "acute.bed_days": "Acute bed days",
    "acute.delayed_discharge_days": "Delayed discharge bed days",
    "ed.attendances": "ED attendances",
    "cost.total": "Total cost",
    "unplanned.hospital_visits": "Unplanned hospital visits",
}
_WORDS = {
    "seen_within_target": "seen within target",
    "mean_wait_hours": "mean wait (hours)",
    "mean_occupancy": "mean beds in use",
    "mean_los_days": "mean length of stay (days)",
    "mean_response_minutes": "mean response (minutes)",
    "mean_boarding_hours": "mean wait for a bed (hours)",
    "bed_days": "bed days",
    "delayed_discharge_days": "delayed discharge days",
    "treated_on_scene": "treated on scene",
    "answered_in_time": "calls answered in time",
    "short_stay": "short stays",
}


def pretty(name: str) -> str:
    """A scenario name or service as a board would write it: ``ic_beds`` → "IC beds"."""
    words = [w.upper() if w.lower() in _ACRONYMS else w for w in name.replace("-", " ").split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _words(name: str) -> str:
    """``ed_attendance`` → "ED attendance": words in lower case but acronyms."""
    return " ".join(w.upper() if w in _ACRONYMS else w.lower() for w in name.split("_"))


def label(metric: str) -> str:
    """A metric in words: ``ucr.seen_within_target`` → "UCR: seen within target"."""
    if metric in _LABELS:
        return _LABELS[metric]
    parts = metric.split(".")
    if parts[0] == "cost":
        return "Cost: " + ", ".join(_words(p) for p in parts[1:])
    head, rest = parts[0], parts[1:]
    words = [_WORDS.get(p, p.replace("_", " ")) for p in rest]
    return f"{pretty(head)}: {', '.join(words)}" if words else pretty(head)


def is_fraction(metric: str) -> bool:
    """A share between 0 and 1 (shown as a percentage)."""
    return metric.endswith(_FRACTIONS) or ".covered_share." in metric


def is_money(metric: str) -> bool:
    return metric.startswith("cost.")


def decimals_for(metric: str, values: Iterable[float]) -> int:
    """Decimals for a metric's figures, the same for a mean and its interval: whole
    numbers from 10 up (counts a year, bed days, pounds), more for small values."""
    if is_money(metric):
        return 0
    finite = [abs(v) for v in values if math.isfinite(v)]
    top = max(finite, default=0.0)
    if is_fraction(metric):
        return 1  # of a percentage
    if top >= 10 or top == 0:
        return 0
    if top >= 1:
        return 1
    return 2


def number(x: float, decimals: int = 0, sign: bool = False) -> str:
    """``x`` with thousands separators and a true minus sign; "0", never "−0"; "–" for
    a missing value. ``sign`` puts "+" before a positive number."""
    if x is None or not math.isfinite(x):
        return DASH
    text = f"{x:,.{decimals}f}"
    if text.lstrip("-").strip("0,.") == "":  # rounds to zero: no sign
        return text.lstrip("-")
    if text.startswith("-"):
        return MINUS + text[1:]
    return f"+{text}" if sign else text


def value(
    metric: str, x: float, decimals: int, sign: bool = False, difference: bool = False
) -> str:
    """A figure of ``metric`` with its unit: a percentage (a ``difference`` of shares in
    percentage points, "pts"), pounds or a plain number."""
    if is_fraction(metric):
        text = number(100.0 * x, decimals, sign) if math.isfinite(x) else DASH
        return text if text == DASH else f"{text} pts" if difference else f"{text}%"
    text = number(x, decimals, sign)
    if is_money(metric) and text != DASH:
        if text.startswith((MINUS, "+")):
            return f"{text[0]}£{text[1:]}"
        return f"£{text}"
    return text


def interval(metric: str, lo: float, hi: float, decimals: int, difference: bool = False) -> str:
    """ "lo to hi" in the metric's unit ("11.6 to 18.4%"); "–" if either end is missing."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return DASH
    a, b = value(metric, lo, decimals), value(metric, hi, decimals, difference=difference)
    return f"{a.removesuffix('%')} to {b}" if a.endswith("%") else f"{a} to {b}"


def headline_cells(row: Row) -> tuple[str, str, str, str, str]:
    """A comparison's headline row as the report prints it (HTML-escaped): the measure,
    the counterfactual's and the scenario's means, what is avoided and its interval."""
    avoided, lo, hi = row.avoided()
    d = decimals_for(row.metric, (row.counterfactual_mean, row.scenario_mean, avoided, lo, hi))
    return (
        escape(label(row.metric)),
        value(row.metric, row.counterfactual_mean, d),
        value(row.metric, row.scenario_mean, d),
        value(row.metric, avoided, d),
        interval(row.metric, lo, hi, d),
    )


def summary_cells(row: Row) -> tuple[str, str, str]:
    """A run's headline row as the report prints it: the measure, mean and interval."""
    d = decimals_for(row.metric, (row.mean, row.ci_low, row.ci_high))
    return (
        escape(label(row.metric)),
        value(row.metric, row.mean, d),
        interval(row.metric, row.ci_low, row.ci_high, d),
    )

"""The numbers a Run shows, picked from a comparison and worded for the page.

No Streamlit here: each function takes a :class:`~sim.runs.compare.Comparison` and
returns plain rows, so that what the page says can be tested against the comparison
itself. "Avoided" is counterfactual minus scenario, as everywhere in nhsim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.runs.compare import Comparison
from sim.runs.stats import Interval

__all__ = [
    "AVOIDED",
    "STANDARD",
    "AvoidedRow",
    "CostRow",
    "PerformanceRow",
    "avoided_rows",
    "cost_per_admission_avoided",
    "cost_rows",
    "fmt",
    "interval_text",
    "performance_rows",
    "saturation_notes",
]

AVOIDED = (
    ("Conveyances avoided", "ambulance.conveyances"),
    ("Admissions avoided", "admissions.total"),
    ("Short stays avoided", "admissions.short_stay"),
    ("Bed days avoided", "acute.bed_days"),
)
UNPLANNED = ("Unplanned hospital visits avoided", "unplanned.hospital_visits")
ED_ATTENDANCES = ("ED attendances avoided", "ed.attendances")
STANDARD = 0.70
"""The national UCR standard: at least 70% of patients reached within 2 hours."""
SATURATED = 0.95


def fmt(x: float) -> str:
    """A number as the page shows it (about 3 significant figures, thousands with commas)."""
    if x is None or math.isnan(x):
        return "–"
    ax = abs(x)
    if ax < 0.0005:
        return "0"
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def interval_text(iv: Interval, percent: bool = False) -> str:
    """``95% CI 12.3 to 45.6`` (or in percentage points)."""
    if math.isnan(iv.ci_low):
        return "no interval (one replication, or no variation)"
    if percent:
        return f"95% CI {100 * iv.ci_low:.1f} to {100 * iv.ci_high:.1f} points"
    return f"95% CI {fmt(iv.ci_low)} to {fmt(iv.ci_high)}"


@dataclass(frozen=True)
class AvoidedRow:
    label: str
    metric: str
    avoided: Interval
    counterfactual: float
    scenario: float


def _present(comparison: Comparison, metric: str) -> bool:
    names = set(comparison.counterfactual.metric_names()) | set(comparison.scenario.metric_names())
    return metric in names


def avoided_rows(comparison: Comparison) -> list[AvoidedRow]:
    """What the change avoids a year, for the headline counts the scenarios produce.

    Unplanned hospital visits where the metric exists; otherwise ED attendances."""
    wanted = list(AVOIDED)
    wanted.append(UNPLANNED if _present(comparison, UNPLANNED[1]) else ED_ATTENDANCES)
    rows = []
    for label, metric in wanted:
        if not _present(comparison, metric):
            continue
        cf = comparison.counterfactual.interval(metric).mean
        sc = comparison.scenario.interval(metric).mean
        rows.append(AvoidedRow(label, metric, comparison.avoided(metric), cf, sc))
    return rows


@dataclass(frozen=True)
class PerformanceRow:
    service: str
    metric: str
    target_hours: float
    counterfactual: Interval
    scenario: Interval
    difference: Interval

    @property
    def standard(self) -> float | None:
        """70% for a 2-hour response target; none for other targets."""
        return STANDARD if math.isclose(self.target_hours, 2.0) else None

    def verdict(self) -> str:
        """Whether the changed scenario meets the standard, with 95% confidence."""
        if self.standard is None:
            return ""
        iv = self.scenario
        if math.isnan(iv.mean):
            return "no patients reached the end of their wait"
        if iv.ci_low >= self.standard:
            return "meets the 70% standard (the whole 95% interval is above it)"
        if iv.ci_high < self.standard:
            return "misses the 70% standard (the whole 95% interval is below it)"
        return "too close to the 70% standard to tell with these replications"


def performance_rows(comparison: Comparison) -> list[PerformanceRow]:
    """Each community team's share reached within its target, both sides."""
    rows = []
    scenario = comparison.scenario.scenario
    for name, spec in scenario.services.items():
        if spec.kind != "community_response":
            continue
        metric = f"{name}.seen_within_target"
        if not _present(comparison, metric):
            continue
        rows.append(
            PerformanceRow(
                name,
                metric,
                float(spec.target_hours),  # type: ignore[attr-defined]
                comparison.counterfactual.interval(metric),
                comparison.scenario.interval(metric),
                comparison.difference(metric),
            )
        )
    return rows


@dataclass(frozen=True)
class CostRow:
    label: str
    metric: str
    avoided: Interval


def cost_rows(comparison: Comparison) -> list[CostRow]:
    """Costs avoided a year (``cost.*`` metrics), the total first."""
    names = [
        m
        for m in dict.fromkeys(
            comparison.counterfactual.metric_names() + comparison.scenario.metric_names()
        )
        if m.startswith("cost.")
    ]
    names.sort(key=lambda m: (m != "cost.total", m))
    rows = []
    for m in names:
        what = (
            "all costs"
            if m == "cost.total"
            else m.split(".", 1)[1].replace(".", ": ").replace("_", " ")
        )
        rows.append(CostRow(what, m, comparison.avoided(m)))
    return rows


def cost_per_admission_avoided(comparison: Comparison) -> float | None:
    """Change in total cost a year per admission avoided (negative: a saving).

    None without costs or admissions, or when the admissions avoided are not clearly
    above zero (their 95% interval includes 0), where the ratio means nothing."""
    if not (_present(comparison, "cost.total") and _present(comparison, "admissions.total")):
        return None
    admissions = comparison.avoided("admissions.total")
    if not admissions.ci_low > 0:
        return None
    extra_cost = comparison.difference("cost.total").mean
    return extra_cost / admissions.mean


def saturation_notes(comparison: Comparison) -> list[str]:
    """Services at or above 95% occupancy or utilisation, on either side."""
    notes = []
    for side, results in (
        ("the unchanged scenario", comparison.counterfactual),
        ("the changed scenario", comparison.scenario),
    ):
        for m in results.metric_names():
            parts = m.split(".")
            if len(parts) != 2 or parts[1] not in ("occupancy", "utilisation"):
                continue
            mean = results.interval(m).mean
            if not math.isnan(mean) and mean >= SATURATED:
                what = "occupied" if parts[1] == "occupancy" else "busy"
                notes.append(
                    f"{parts[0]} is {100 * mean:.0f}% {what} on average in {side}: it is "
                    "nearly always full, so queues, waits and patients turned away grow "
                    "quickly, and small changes in demand move the results a lot."
                )
    return notes

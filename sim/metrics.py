"""Named metrics from what the engine emitted.

Counts, bed days and costs are per year of the measured period (after warm-up)
unless the name says otherwise; fractions, hours, minutes and means are as named.
Every metric is defined in ``docs/reference/metrics.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim import registry
from sim.engine.ambulance import AmbulanceTally
from sim.engine.beds import BedPoolTally
from sim.engine.community import TeamTally
from sim.engine.core import Tally
from sim.engine.hospital import AcuteTally, EDTally
from sim.engine.hub import HubTally
from sim.engine.outcome import OutcomeTally

__all__ = ["Period", "compute_metrics", "is_headline"]

_HEADLINE = {
    "calls",
    "conveyances",
    "treated_on_scene",
    "answered_in_time",
    "diverted",
    "referrals",
    "seen",
    "seen_within_target",
    "mean_wait_hours",
    "escalated",
    "utilisation",
    "admissions",
    "blocked",
    "occupancy",
    "attendances",
    "bed_days",
    "delayed_discharge_days",
    "short_stay",
    "total",
}


def is_headline(metric: str) -> bool:
    """The metrics the command line prints by default (the rest are in summary.csv)."""
    parts = metric.split(".")
    return len(parts) == 2 and parts[1] in _HEADLINE


Out = dict[str, float]


@dataclass(frozen=True)
class Period:
    """The measured period: counts are scaled by ``per_year``; levels divide by ``hours``."""

    per_year: float
    hours: float


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def community_metrics(name: str, t: TeamTally, period: Period, out: Out) -> None:
    """A community response team's metrics."""
    per_year = period.per_year
    escalated = sum(t.escalated.values())
    out[f"{name}.referrals"] = t.referrals * per_year
    out[f"{name}.seen"] = t.seen * per_year
    out[f"{name}.seen_within_target"] = _ratio(t.within_target, t.seen + escalated)
    out[f"{name}.mean_wait_hours"] = _ratio(t.wait_sum, t.seen)
    out[f"{name}.escalated"] = escalated * per_year
    for dest, n in t.escalated.items():
        out[f"{name}.escalated.{dest}"] = n * per_year
    for dest, n in t.outcomes.items():
        out[f"{name}.after_visit.{dest}"] = n * per_year
    out[f"{name}.utilisation"] = _ratio(t.busy_hours - t.overtime_hours, t.staffed_hours)
    out[f"{name}.overtime_hours"] = t.overtime_hours * per_year


def hub_metrics(name: str, t: HubTally, period: Period, out: Out) -> None:
    """A clinical hub's metrics."""
    per_year = period.per_year
    out[f"{name}.calls"] = t.calls * per_year
    out[f"{name}.answered_in_time"] = t.answered * per_year
    out[f"{name}.mean_wait_minutes"] = _ratio(t.wait_sum * 60.0, t.answered)
    out[f"{name}.diverted"] = sum(t.diverted.values()) * per_year
    for dest, n in t.diverted.items():
        out[f"{name}.diverted.{dest}"] = n * per_year
    out[f"{name}.not_answered"] = t.gave_up * per_year
    out[f"{name}.declined"] = t.declined * per_year
    out[f"{name}.no_capacity"] = t.no_capacity * per_year
    out[f"{name}.utilisation"] = _ratio(t.busy_hours - t.overtime_hours, t.staffed_hours)


def ambulance_metrics(name: str, t: AmbulanceTally, period: Period, out: Out) -> None:
    """An ambulance service's metrics."""
    per_year, hours = period.per_year, period.hours
    out[f"{name}.calls"] = t.calls * per_year
    out[f"{name}.conveyances"] = t.conveyances * per_year
    out[f"{name}.treated_on_scene"] = t.treated * per_year
    out[f"{name}.call_before_convey"] = t.call_before_convey * per_year
    out[f"{name}.hub_closed"] = t.hub_closed * per_year
    out[f"{name}.not_conveyed_after_call"] = t.diverted * per_year
    out[f"{name}.conveyed_fraction"] = _ratio(t.conveyances, t.treated + t.diverted + t.conveyances)
    out[f"{name}.mean_response_minutes"] = _ratio(t.response_sum * 60.0, t.responded)
    if t.fleet != math.inf:
        out[f"{name}.utilisation"] = _ratio(t.vehicle_hours, t.fleet * hours)


def bed_pool_metrics(name: str, t: BedPoolTally, period: Period, out: Out) -> None:
    """A virtual ward's or intermediate care service's metrics."""
    per_year, hours = period.per_year, period.hours
    mean_occupancy = t.bed_hours / hours
    out[f"{name}.admissions"] = t.admissions * per_year
    out[f"{name}.step_up"] = t.step_ups * per_year
    out[f"{name}.step_down"] = t.step_downs * per_year
    out[f"{name}.blocked"] = t.blocked * per_year
    out[f"{name}.step_down_waited"] = t.waited * per_year
    out[f"{name}.mean_occupancy"] = mean_occupancy
    if t.beds is not None:
        out[f"{name}.occupancy"] = _ratio(mean_occupancy, t.beds)
    out[f"{name}.bed_days"] = t.bed_hours / 24.0 * per_year
    out[f"{name}.mean_los_days"] = _ratio(t.los_sum_hours / 24.0, t.admissions)
    for dest, n in t.at_end.items():
        out[f"{name}.at_end.{dest}"] = n * per_year


def ed_metrics(name: str, t: EDTally, period: Period, out: Out) -> None:
    """An emergency department's metrics."""
    per_year = period.per_year
    out[f"{name}.attendances"] = t.attendances * per_year
    for route, n in sorted(t.attendances_by_route.items()):
        out[f"{name}.attendances.{route}"] = n * per_year
    out[f"{name}.admitted"] = t.admitted * per_year


def acute_metrics(name: str, t: AcuteTally, period: Period, out: Out) -> None:
    """Acute beds' metrics."""
    per_year, hours = period.per_year, period.hours
    mean_occupancy = t.bed_hours / hours
    out[f"{name}.admissions"] = t.admissions * per_year
    out[f"{name}.short_stays"] = t.short_stays * per_year
    out[f"{name}.bed_days"] = t.bed_hours / 24.0 * per_year
    out[f"{name}.delayed_discharge_days"] = t.delayed_hours / 24.0 * per_year
    out[f"{name}.arranging_days"] = t.arranging_hours / 24.0 * per_year
    out[f"{name}.step_down_wait_days"] = (t.delayed_hours - t.arranging_hours) / 24.0 * per_year
    out[f"{name}.mean_occupancy"] = mean_occupancy
    if t.beds is not None:
        out[f"{name}.occupancy"] = _ratio(mean_occupancy, t.beds)
    out[f"{name}.delayed_fraction"] = _ratio(t.delayed_hours, t.bed_hours)
    out[f"{name}.mean_los_days"] = _ratio(t.los_sum_hours / 24.0, t.admissions)
    out[f"{name}.boarded"] = t.boarded * per_year
    out[f"{name}.mean_boarding_hours"] = _ratio(t.boarding_hours, t.boarded) if t.boarded else 0.0
    for dest, n in t.discharged.items():
        out[f"{name}.discharged.{dest}"] = n * per_year


def outcome_metrics(name: str, t: OutcomeTally, period: Period, out: Out) -> None:
    """A counted outcome's metrics."""
    per_year = period.per_year
    out[f"{name}.arrivals"] = t.arrivals * per_year


def _sum(out: Out, tally: Tally, kind: str, metric: str) -> float:
    return sum(out.get(f"{n}.{metric}", 0.0) for n, k in tally.kinds.items() if k == kind)


def _cost_base(out: Out, tally: Tally, item: str) -> float:
    """What cost item ``item`` is charged on: the sum, over the kinds that count it, of
    the metric each names (e.g. ``community_visit`` on every team's ``seen``)."""
    return sum(
        _sum(out, tally, kind.name, kind.cost_items[item])
        for kind in registry.kinds()
        if item in kind.cost_items
    )


def compute_metrics(tally: Tally) -> dict[str, float]:
    """The named metrics of one replication (each kind's own, then network totals, then costs)."""
    period = Period(tally.clock.per_year, float(tally.clock.measured_hours))
    out: Out = {}
    for name, counts in tally.arrivals.items():
        out[f"demand.{name}.arrivals"] = counts * period.per_year
    for name, t in tally.services.items():
        registry.get(tally.kinds[name]).metrics(name, t, period, out)
    present = set(tally.kinds.values())
    for kind in registry.kinds():
        if kind.name in present:
            for total, suffix in kind.totals.items():
                out[total] = _sum(out, tally, kind.name, suffix)
    if tally.costs:
        total_cost = 0.0
        for item, unit in tally.costs.items():
            value = unit * _cost_base(out, tally, item)
            out[f"cost.{item}"] = value
            total_cost += value
        out["cost.total"] = total_cost
    return out

"""Named metrics from what the engine emitted.

Counts, bed days and costs are per year of the measured period (after warm-up)
unless the name says otherwise; fractions, hours, minutes and means are as named.
Every metric is defined in ``docs/reference/metrics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sim.engine.core import Tally

__all__ = ["compute_metrics", "is_headline"]

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


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def _community(name: str, t: dict[str, Any], per_year: float, out: Out) -> None:
    escalated = sum(t["escalated"].values())
    out[f"{name}.referrals"] = t["referrals"] * per_year
    out[f"{name}.seen"] = t["seen"] * per_year
    out[f"{name}.seen_within_target"] = _ratio(t["within_target"], t["seen"] + escalated)
    out[f"{name}.mean_wait_hours"] = _ratio(t["wait_sum"], t["seen"])
    out[f"{name}.escalated"] = escalated * per_year
    for dest, n in t["escalated"].items():
        out[f"{name}.escalated.{dest}"] = n * per_year
    for dest, n in t["outcomes"].items():
        out[f"{name}.after_visit.{dest}"] = n * per_year
    out[f"{name}.utilisation"] = _ratio(t["busy_hours"] - t["overtime_hours"], t["staffed_hours"])
    out[f"{name}.overtime_hours"] = t["overtime_hours"] * per_year


def _hub(name: str, t: dict[str, Any], per_year: float, out: Out) -> None:
    out[f"{name}.calls"] = t["calls"] * per_year
    out[f"{name}.answered_in_time"] = t["answered"] * per_year
    out[f"{name}.mean_wait_minutes"] = _ratio(t["wait_sum"] * 60.0, t["answered"])
    out[f"{name}.diverted"] = sum(t["diverted"].values()) * per_year
    for dest, n in t["diverted"].items():
        out[f"{name}.diverted.{dest}"] = n * per_year
    out[f"{name}.not_answered"] = t["gave_up"] * per_year
    out[f"{name}.declined"] = t["declined"] * per_year
    out[f"{name}.no_capacity"] = t["no_capacity"] * per_year
    out[f"{name}.utilisation"] = _ratio(t["busy_hours"] - t["overtime_hours"], t["staffed_hours"])


def _ambulance(name: str, t: dict[str, Any], per_year: float, out: Out, hours: float) -> None:
    out[f"{name}.calls"] = t["calls"] * per_year
    out[f"{name}.conveyances"] = t["conveyances"] * per_year
    out[f"{name}.treated_on_scene"] = t["treated"] * per_year
    out[f"{name}.call_before_convey"] = t["call_before_convey"] * per_year
    out[f"{name}.hub_closed"] = t["hub_closed"] * per_year
    out[f"{name}.not_conveyed_after_call"] = t["diverted"] * per_year
    out[f"{name}.conveyed_fraction"] = _ratio(
        t["conveyances"], t["treated"] + t["diverted"] + t["conveyances"]
    )
    out[f"{name}.mean_response_minutes"] = _ratio(t["response_sum"] * 60.0, t["responded"])
    if t["fleet"] != math.inf:
        out[f"{name}.utilisation"] = _ratio(t["vehicle_hours"], t["fleet"] * hours)


def _bed_pool(name: str, t: dict[str, Any], per_year: float, out: Out, hours: float) -> None:
    mean_occupancy = t["bed_hours"] / hours
    out[f"{name}.admissions"] = t["admissions"] * per_year
    out[f"{name}.step_up"] = t["step_ups"] * per_year
    out[f"{name}.step_down"] = t["step_downs"] * per_year
    out[f"{name}.blocked"] = t["blocked"] * per_year
    out[f"{name}.step_down_waited"] = t["waited"] * per_year
    out[f"{name}.mean_occupancy"] = mean_occupancy
    if t["beds"] is not None:
        out[f"{name}.occupancy"] = _ratio(mean_occupancy, t["beds"])
    out[f"{name}.bed_days"] = t["bed_hours"] / 24.0 * per_year
    out[f"{name}.mean_los_days"] = _ratio(t["los_sum_hours"] / 24.0, t["admissions"])
    for dest, n in t["at_end"].items():
        out[f"{name}.at_end.{dest}"] = n * per_year


def _ed(name: str, t: dict[str, Any], per_year: float, out: Out) -> None:
    out[f"{name}.attendances"] = t["attendances"] * per_year
    for route, n in sorted(t["attendances_by_route"].items()):
        out[f"{name}.attendances.{route}"] = n * per_year
    out[f"{name}.admitted"] = t["admitted"] * per_year


def _acute(name: str, t: dict[str, Any], per_year: float, out: Out, hours: float) -> None:
    mean_occupancy = t["bed_hours"] / hours
    out[f"{name}.admissions"] = t["admissions"] * per_year
    out[f"{name}.short_stays"] = t["short_stays"] * per_year
    out[f"{name}.bed_days"] = t["bed_hours"] / 24.0 * per_year
    out[f"{name}.delayed_discharge_days"] = t["delayed_hours"] / 24.0 * per_year
    out[f"{name}.arranging_days"] = t["arranging_hours"] / 24.0 * per_year
    out[f"{name}.step_down_wait_days"] = (
        (t["delayed_hours"] - t["arranging_hours"]) / 24.0 * per_year
    )
    out[f"{name}.mean_occupancy"] = mean_occupancy
    if t["beds"] is not None:
        out[f"{name}.occupancy"] = _ratio(mean_occupancy, t["beds"])
    out[f"{name}.delayed_fraction"] = _ratio(t["delayed_hours"], t["bed_hours"])
    out[f"{name}.mean_los_days"] = _ratio(t["los_sum_hours"] / 24.0, t["admissions"])
    out[f"{name}.boarded"] = t["boarded"] * per_year
    out[f"{name}.mean_boarding_hours"] = (
        _ratio(t["boarding_hours"], t["boarded"]) if t["boarded"] else 0.0
    )
    for dest, n in t["discharged"].items():
        out[f"{name}.discharged.{dest}"] = n * per_year


def _outcome(name: str, t: dict[str, Any], per_year: float, out: Out) -> None:
    out[f"{name}.arrivals"] = t["arrivals"] * per_year


def _sum(out: Out, tally: Tally, kind: str, metric: str) -> float:
    return sum(out.get(f"{n}.{metric}", 0.0) for n, k in tally.kinds.items() if k == kind)


_COST_ITEMS: dict[str, Callable[[Out, Tally], float]] = {
    "conveyance": lambda o, t: _sum(o, t, "ambulance", "conveyances"),
    "ambulance_call": lambda o, t: _sum(o, t, "ambulance", "calls"),
    "ed_attendance": lambda o, t: _sum(o, t, "ed", "attendances"),
    "admission": lambda o, t: o.get("admissions.total", 0.0),
    "acute_bed_day": lambda o, t: o.get("acute.bed_days", 0.0),
    "community_visit": lambda o, t: _sum(o, t, "community_response", "seen"),
    "hub_call": lambda o, t: _sum(o, t, "hub", "answered_in_time"),
    "virtual_ward_day": lambda o, t: _sum(o, t, "virtual_ward", "bed_days"),
    "intermediate_care_day": lambda o, t: _sum(o, t, "intermediate_care", "bed_days"),
}


def compute_metrics(tally: Tally) -> dict[str, float]:
    """The named metrics of one replication."""
    per_year = tally.clock.per_year
    hours = float(tally.clock.measured_hours)
    out: Out = {}
    for name, counts in tally.arrivals.items():
        out[f"demand.{name}.arrivals"] = counts * per_year
    for name, t in tally.services.items():
        kind = tally.kinds.get(name, "community_response" if "referrals" in t else "outcome")
        if kind == "community_response":
            _community(name, t, per_year, out)
        elif kind == "hub":
            _hub(name, t, per_year, out)
        elif kind == "ambulance":
            _ambulance(name, t, per_year, out, hours)
        elif kind in ("virtual_ward", "intermediate_care"):
            _bed_pool(name, t, per_year, out, hours)
        elif kind == "ed":
            _ed(name, t, per_year, out)
        elif kind == "acute":
            _acute(name, t, per_year, out, hours)
        else:
            _outcome(name, t, per_year, out)
    if "acute" in tally.kinds.values():
        out["admissions.total"] = _sum(out, tally, "acute", "admissions")
        out["admissions.short_stay"] = _sum(out, tally, "acute", "short_stays")
        out["acute.bed_days"] = _sum(out, tally, "acute", "bed_days")
        out["acute.delayed_discharge_days"] = _sum(out, tally, "acute", "delayed_discharge_days")
        out["acute.step_down_wait_days"] = _sum(out, tally, "acute", "step_down_wait_days")
    if tally.costs:
        total = 0.0
        for item, unit in tally.costs.items():
            value = unit * _COST_ITEMS[item](out, tally)
            out[f"cost.{item}"] = value
            total += value
        out["cost.total"] = total
    return out

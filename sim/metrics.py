"""Named metrics from what the engine emitted.

Counts, bed days and costs are per year of the measured period (after warm-up)
unless the name says otherwise; fractions, hours, minutes and means are as named.
Headline counts are also given by cohort (``<metric>.by_cohort.<cohort>``). Every
metric is defined in ``docs/reference/metrics.md``.
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
from sim.engine.proactive import HOURS_PER_MONTH, CaseloadTally
from sim.scenario.appraisal import HOURS_PER_WTE, PRODUCTIVE_SHARE

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
    "wte",
    "hospital_visits",
    "share",
    "activity",
    "capacity",
    "prevented",
    "on_caseload",
    "enrolled",
}


def is_headline(metric: str) -> bool:
    """The metrics the command line prints by default (the rest are in summary.csv)."""
    parts = metric.split(".")
    return len(parts) == 2 and parts[1] in _HEADLINE


Out = dict[str, float]


@dataclass(frozen=True)
class Period:
    """The measured period: counts are scaled by ``per_year``; levels divide by ``hours``.
    With it, what the metrics need to name and convert: the population's ``cohorts`` (for
    ``.by_cohort.<cohort>``) and the rostered hours of one whole-time equivalent a year."""

    per_year: float
    hours: float
    cohorts: tuple[str, ...] = ()
    wte_hours: float = HOURS_PER_WTE * PRODUCTIVE_SHARE


def _by_cohort(
    out: Out, metric: str, counts: list[int] | list[float], scale: float, period: Period
) -> None:
    """``<metric>.by_cohort.<cohort>``: ``counts`` (one per cohort index) × ``scale``."""
    for cohort, n in zip(period.cohorts, counts):
        out[f"{metric}.by_cohort.{cohort}"] = n * scale


def _staffed(
    name: str, staffed_hours: float, arrivals: int, work_hours: float, period: Period, out: Out
) -> None:
    """What a rostered service holds: clinician-hours on duty a year, as whole-time
    equivalents, and the offered load (arrivals × mean work ÷ hours on duty)."""
    staffed = staffed_hours * period.per_year
    out[f"{name}.staffed_hours"] = staffed
    out[f"{name}.wte"] = staffed / period.wte_hours
    out[f"{name}.offered_load"] = _ratio(arrivals * work_hours, staffed_hours)


def _beds_held(name: str, beds: int | None, work_hours: float, period: Period, out: Out) -> None:
    """What a pool of finite beds holds: bed days available a year, and the offered load
    (bed-hours of care sought ÷ bed-hours available)."""
    if beds is None:
        return
    out[f"{name}.bed_days_available"] = beds * period.hours / 24.0 * period.per_year
    out[f"{name}.offered_load"] = _ratio(work_hours, beds * period.hours)


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
    _staffed(name, t.staffed_hours, t.referrals, t.visit_hours_mean, period, out)


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
    _staffed(name, t.staffed_hours, t.calls, t.call_hours_mean, period, out)
    if t.takes_demand:
        out[f"{name}.demand_calls"] = t.demand_calls * per_year
        out[f"{name}.demand_diverted"] = t.demand_diverted * per_year
        out[f"{name}.demand_sent_on"] = t.demand_sent_on * per_year
        out[f"{name}.demand_closed"] = t.demand_closed * per_year


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
        out[f"{name}.vehicle_hours_available"] = t.fleet * hours * per_year
    _by_cohort(out, f"{name}.calls", t.calls_by_cohort, per_year, period)
    _by_cohort(out, f"{name}.conveyances", t.conveyances_by_cohort, per_year, period)


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
    _beds_held(name, t.beds, (t.step_ups + t.step_downs) * t.mean_los_hours, period, out)


def ed_metrics(name: str, t: EDTally, period: Period, out: Out) -> None:
    """An emergency department's metrics."""
    per_year = period.per_year
    out[f"{name}.attendances"] = t.attendances * per_year
    for route, n in sorted(t.attendances_by_route.items()):
        out[f"{name}.attendances.{route}"] = n * per_year
    out[f"{name}.admitted"] = t.admitted * per_year
    _by_cohort(out, f"{name}.attendances", t.attendances_by_cohort, per_year, period)


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
    out[f"{name}.direct_admissions"] = t.direct_admissions * per_year
    _by_cohort(out, f"{name}.direct_admissions", t.direct_by_cohort, per_year, period)
    _by_cohort(out, f"{name}.admissions", t.admissions_by_cohort, per_year, period)
    _by_cohort(out, f"{name}.short_stays", t.short_stays_by_cohort, per_year, period)
    _by_cohort(out, f"{name}.bed_days", t.bed_hours_by_cohort, per_year / 24.0, period)
    _beds_held(name, t.beds, t.los_sum_hours + t.arranging_hours, period, out)


def outcome_metrics(name: str, t: OutcomeTally, period: Period, out: Out) -> None:
    """A counted outcome's metrics."""
    per_year = period.per_year
    out[f"{name}.arrivals"] = t.arrivals * per_year


def caseload_metrics(name: str, t: CaseloadTally, period: Period, out: Out) -> None:
    """A proactive caseload team's metrics: what it holds, whom it covers, what it prevents."""
    per_year, hours = period.per_year, period.hours
    on_hours = sum(t.person_hours)
    out[f"{name}.places"] = float(t.places)
    out[f"{name}.on_caseload"] = on_hours / hours
    out[f"{name}.occupancy"] = _ratio(on_hours, t.places * hours)
    for cohort, area, eligible in zip(period.cohorts, t.person_hours, t.eligible):
        if eligible > 0:
            out[f"{name}.covered_share.{cohort}"] = area / hours / eligible
    out[f"{name}.enrolled"] = t.enrolled * per_year
    out[f"{name}.prevented"] = sum(t.prevented.values()) * per_year
    for source, n in t.prevented.items():
        out[f"{name}.prevented.{source}"] = n * per_year
    _by_cohort(out, f"{name}.prevented", t.prevented_by_cohort, per_year, period)
    reviews = on_hours / HOURS_PER_MONTH
    out[f"{name}.reviews"] = reviews * per_year
    if not math.isnan(t.review_hours):
        out[f"{name}.review_hours"] = reviews * t.review_hours * per_year
    if t.staffed_hours is not None:
        out[f"{name}.utilisation"] = _ratio(reviews * t.review_hours, t.staffed_hours)
        staffed = t.staffed_hours * per_year
        out[f"{name}.staffed_hours"] = staffed
        out[f"{name}.wte"] = staffed / period.wte_hours


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


def _totals(out: Out, tally: Tally, period: Period) -> Out:
    """Network totals: each kind's ``totals``, summed over its services (and by cohort,
    from ``<svc>.<suffix>.by_cohort.<cohort>`` where the services report them)."""
    totals: Out = {}
    present = set(tally.kinds.values())
    for kind in registry.kinds():
        if kind.name not in present:
            continue
        names = [n for n, k in tally.kinds.items() if k == kind.name]
        for total, suffix in kind.totals.items():
            totals[total] = totals.get(total, 0.0) + _sum(out, tally, kind.name, suffix)
            for cohort in period.cohorts:
                part = f"{suffix}.by_cohort.{cohort}"
                found = [out[f"{n}.{part}"] for n in names if f"{n}.{part}" in out]
                if found:
                    key = f"{total}.by_cohort.{cohort}"
                    totals[key] = totals.get(key, 0.0) + sum(found)
    return totals


def _home_share(out: Out, tally: Tally, period: Period) -> None:
    """The share of urgent need met without an unplanned hospital visit: 1 − patients
    from demand sources whose first visit fell in the period ÷ arrivals from demand
    sources, overall and by cohort (see :mod:`sim.engine.visits`)."""
    if tally.hospital_patients is None:
        return
    patients, arrivals = tally.hospital_patients, tally.arrivals_by_cohort
    out["home.share"] = 1.0 - _ratio(sum(patients), sum(arrivals))
    shares = [1.0 - _ratio(p, a) for p, a in zip(patients, arrivals)]
    _by_cohort(out, "home.share", shares, 1.0, period)


def _costs(out: Out, tally: Tally) -> None:
    """``cost.activity.<item>`` (unit × the quantity the item is charged on),
    ``cost.capacity.<svc>`` (what each priced service holds × its prices, plus any fixed
    cost), their subtotals ``cost.activity`` and ``cost.capacity``, and ``cost.total``."""
    if not tally.costs and not tally.capacity_prices:
        return
    activity = capacity = 0.0
    if tally.costs:
        for item, unit in tally.costs.items():
            value = unit * _cost_base(out, tally, item)
            out[f"cost.activity.{item}"] = value
            activity += value
        out["cost.activity"] = activity
    if tally.capacity_prices:
        for name, prices in tally.capacity_prices.items():
            measures = registry.get(tally.kinds[name]).capacity
            value = 0.0
            for key, unit in prices.items():
                # the scenario checks allow only the prices a service's kind holds
                value += unit if key == "fixed_per_year" else unit * out[f"{name}.{measures[key]}"]
            out[f"cost.capacity.{name}"] = value
            capacity += value
        out["cost.capacity"] = capacity
    out["cost.total"] = activity + capacity


def compute_metrics(tally: Tally) -> dict[str, float]:
    """The named metrics of one replication (each kind's own, then network totals, the
    share of need met at home, then costs)."""
    period = Period(
        tally.clock.per_year,
        float(tally.clock.measured_hours),
        tuple(tally.cohorts),
        tally.wte_hours,
    )
    out: Out = {}
    for name, counts in tally.arrivals.items():
        out[f"demand.{name}.arrivals"] = counts * period.per_year
    _by_cohort(out, "demand.arrivals", tally.arrivals_by_cohort, period.per_year, period)
    for name, t in tally.services.items():
        registry.get(tally.kinds[name]).metrics(name, t, period, out)
    out.update(_totals(out, tally, period))
    _home_share(out, tally, period)
    _costs(out, tally)
    return out

"""Plain-language names of metrics and scenario keys, and numbers written for a board paper.

One table, :data:`METRIC_LABELS`, maps every metric name pattern of
``docs/reference/metrics.md`` to the label a figure or table shows and its unit, e.g.
``ambulance.conveyances`` → "Ambulance conveyances (a year)" and
``<team>.seen_within_target`` → "UCR: seen within 2 hours". The same table is the
"Labels on figures and tables" section of that page (:func:`markdown_table` writes it;
a test holds the two together), so a label a planner reads in a figure can always be
looked up there. Figures never show the internal names.

A pattern's ``<team>``, ``<pool>``... stand for the name a scenario gives a service of
that kind (as in the metrics reference); ``<dest>``, ``<route>`` and ``<source>`` for a
destination, a route or a demand source. Names are shown as words ("virtual_ward" →
"Virtual ward", "ucr" → "UCR").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = [
    "KEY_LABELS",
    "METRIC_LABELS",
    "Label",
    "has_label",
    "interval_text",
    "key_label",
    "label",
    "markdown_table",
    "number",
    "pretty_name",
    "unit_of",
]

# --------------------------------------------------------------------------- the table

COUNT_UNITS = frozenset({"patients", "calls", "visits", "attendances", "admissions"})
"""Units of counts of people or events: drawn together (one panel, one axis)."""

UNITS = COUNT_UNITS | {
    "bed days",
    "£",
    "share",
    "hours",
    "minutes",
    "days",
    "beds",
    "clinician-hours",
    "vehicle-hours",
    "WTE",
}


@dataclass(frozen=True)
class Label:
    """One row of the table: a metric name pattern, its plain label and its unit.

    ``text`` is the label without the period; ``per_year`` adds "(a year)" to it."""

    pattern: str
    text: str
    unit: str
    per_year: bool = False

    def shown(self) -> str:
        """The label as the reference shows it, with the pattern's placeholders."""
        return _placeholders(self.text) + (" (a year)" if self.per_year else "")


def _placeholders(text: str) -> str:
    """A label template as the reference shows it: ``{team}`` → `` `<team>` ``."""
    return re.sub(r"\{(\w+)\}", r"`<\1>`", text)


def _rows(rows: Iterable[tuple[str, str, str, bool]]) -> tuple[Label, ...]:
    return tuple(Label(*r) for r in rows)


Y, N = True, False

METRIC_LABELS: tuple[Label, ...] = _rows(
    [
        # whole-system totals (exact names first: they win over a service's pattern)
        ("admissions.total", "Emergency admissions", "admissions", Y),
        ("admissions.short_stay", "Short-stay admissions, under 2 days", "admissions", Y),
        ("acute.bed_days", "Acute bed days", "bed days", Y),
        ("acute.delayed_discharge_days", "Delayed discharge bed days", "bed days", Y),
        ("acute.step_down_wait_days", "Bed days waiting for step-down care", "bed days", Y),
        ("unplanned.hospital_visits", "Unplanned hospital visits", "attendances", Y),
        ("home.share", "Share of urgent need met at home", "share", N),
        ("demand.arrivals", "New patients, all sources", "patients", Y),
        # costs
        ("cost.conveyance", "Cost of conveyances", "£", Y),
        ("cost.ambulance_call", "Cost of 999 calls", "£", Y),
        ("cost.ed_attendance", "Cost of ED attendances", "£", Y),
        ("cost.admission", "Cost of admissions", "£", Y),
        ("cost.acute_bed_day", "Cost of acute bed days", "£", Y),
        ("cost.community_visit", "Cost of community visits", "£", Y),
        ("cost.hub_call", "Cost of hub calls", "£", Y),
        ("cost.virtual_ward_day", "Cost of virtual ward days", "£", Y),
        ("cost.intermediate_care_day", "Cost of intermediate care days", "£", Y),
        ("cost.activity.<item>", "Cost of {item}", "£", Y),
        ("cost.activity", "Activity costs", "£", Y),
        ("cost.capacity.<svc>", "Cost of {svc} capacity", "£", Y),
        ("cost.capacity", "Capacity costs", "£", Y),
        ("cost.total", "Total cost", "£", Y),
        # demand
        ("demand.<source>.arrivals", "{source}: new patients", "patients", Y),
        # community response teams
        ("<team>.referrals", "{team}: referrals", "patients", Y),
        ("<team>.seen", "{team}: patients visited", "visits", Y),
        ("<team>.seen_within_target", "{team}: seen within {target_hours} hours", "share", N),
        ("<team>.mean_wait_hours", "{team}: mean wait for a visit", "hours", N),
        ("<team>.escalated", "{team}: escalated, not reached in time", "patients", Y),
        ("<team>.escalated.<dest>", "{team}: escalated to {dest}", "patients", Y),
        ("<team>.after_visit.<dest>", "{team}: to {dest} after the visit", "patients", Y),
        ("<team>.utilisation", "{team}: share of clinician time visiting", "share", N),
        ("<team>.overtime_hours", "{team}: overtime", "clinician-hours", Y),
        ("<team>.staffed_hours", "{team}: clinician-hours on duty", "clinician-hours", Y),
        ("<team>.wte", "{team}: whole-time equivalents", "WTE", N),
        ("<team>.offered_load", "{team}: offered load", "share", N),
        # clinical hubs
        ("<hub>.calls", "{hub}: calls from crews", "calls", Y),
        ("<hub>.answered_in_time", "{hub}: calls answered", "calls", Y),
        ("<hub>.mean_wait_minutes", "{hub}: mean wait for an answer", "minutes", N),
        ("<hub>.diverted", "{hub}: patients not conveyed", "patients", Y),
        ("<hub>.diverted.<dest>", "{hub}: diverted to {dest}", "patients", Y),
        ("<hub>.not_answered", "{hub}: calls not answered in time", "calls", Y),
        ("<hub>.declined", "{hub}: calls where conveyance went ahead", "calls", Y),
        ("<hub>.no_capacity", "{hub}: calls with no service free", "calls", Y),
        ("<hub>.utilisation", "{hub}: share of clinician time on calls", "share", N),
        ("<hub>.staffed_hours", "{hub}: clinician-hours on duty", "clinician-hours", Y),
        ("<hub>.wte", "{hub}: whole-time equivalents", "WTE", N),
        ("<hub>.offered_load", "{hub}: offered load", "share", N),
        ("<hub>.demand_calls", "{hub}: calls from demand sources", "calls", Y),
        ("<hub>.demand_diverted", "{hub}: callers advised or sent to a service", "patients", Y),
        ("<hub>.demand_sent_on", "{hub}: calls passed on, not resolved", "patients", Y),
        ("<hub>.demand_closed", "{hub}: calls while no clinician was on shift", "calls", Y),
        # ambulance services
        ("<amb>.calls", "{amb}: 999 calls", "calls", Y),
        ("<amb>.conveyances", "{amb} conveyances", "patients", Y),
        ("<amb>.treated_on_scene", "{amb}: treated on scene", "patients", Y),
        ("<amb>.call_before_convey", "{amb}: calls to the hub before conveying", "calls", Y),
        ("<amb>.hub_closed", "{amb}: conveyed while the hub was closed", "patients", Y),
        ("<amb>.not_conveyed_after_call", "{amb}: not conveyed after a hub call", "patients", Y),
        ("<amb>.conveyed_fraction", "{amb}: share of patients conveyed", "share", N),
        ("<amb>.mean_response_minutes", "{amb}: mean response time", "minutes", N),
        ("<amb>.utilisation", "{amb}: share of vehicle time busy", "share", N),
        ("<amb>.vehicle_hours_available", "{amb}: vehicle-hours available", "vehicle-hours", Y),
        # virtual wards and intermediate care
        ("<pool>.admissions", "{pool}: admissions", "admissions", Y),
        ("<pool>.step_up", "{pool}: step-up referrals", "patients", Y),
        ("<pool>.step_down", "{pool}: step-down referrals", "patients", Y),
        ("<pool>.blocked", "{pool}: step-ups turned away, full", "patients", Y),
        ("<pool>.step_down_waited", "{pool}: step-downs that waited", "patients", Y),
        ("<pool>.mean_occupancy", "{pool}: mean beds in use", "beds", N),
        ("<pool>.occupancy", "{pool}: occupancy", "share", N),
        ("<pool>.bed_days", "{pool}: bed days", "bed days", Y),
        ("<pool>.mean_los_days", "{pool}: mean length of stay", "days", N),
        ("<pool>.at_end.<dest>", "{pool}: to {dest} at the end of the stay", "patients", Y),
        ("<pool>.bed_days_available", "{pool}: bed days available", "bed days", Y),
        ("<pool>.offered_load", "{pool}: offered load", "share", N),
        # emergency departments
        ("<ed>.attendances", "{ed} attendances", "attendances", Y),
        ("<ed>.attendances.<route>", "{ed} attendances by route: {route}", "attendances", Y),
        ("<ed>.admitted", "{ed}: attendances admitted", "patients", Y),
        # acute beds
        ("<acute>.admissions", "{acute}: emergency admissions", "admissions", Y),
        ("<acute>.short_stays", "{acute}: short-stay admissions, under 2 days", "admissions", Y),
        ("<acute>.bed_days", "{acute} bed days", "bed days", Y),
        ("<acute>.delayed_discharge_days", "{acute}: delayed discharge bed days", "bed days", Y),
        ("<acute>.arranging_days", "{acute}: bed days arranging discharge", "bed days", Y),
        ("<acute>.step_down_wait_days", "{acute}: bed days waiting for step-down", "bed days", Y),
        ("<acute>.mean_occupancy", "{acute}: mean beds in use", "beds", N),
        ("<acute>.occupancy", "{acute}: bed occupancy", "share", N),
        ("<acute>.delayed_fraction", "{acute}: share of bed days delayed", "share", N),
        ("<acute>.mean_los_days", "{acute}: mean length of stay", "days", N),
        ("<acute>.boarded", "{acute}: patients who waited in the ED for a bed", "patients", Y),
        ("<acute>.mean_boarding_hours", "{acute}: mean wait in the ED for a bed", "hours", N),
        ("<acute>.discharged.<dest>", "{acute}: discharged to {dest}", "patients", Y),
        ("<acute>.direct_admissions", "{acute}: admissions not through the ED", "admissions", Y),
        ("<acute>.bed_days_available", "{acute}: bed days available", "bed days", Y),
        ("<acute>.offered_load", "{acute}: offered load", "share", N),
        # outcomes
        ("<outcome>.arrivals", "{outcome}: patients", "patients", Y),
        # proactive caseload teams
        ("<caseload>.places", "{caseload}: places on the caseload", "patients", N),
        ("<caseload>.on_caseload", "{caseload}: people on the caseload", "patients", N),
        ("<caseload>.occupancy", "{caseload}: share of places filled", "share", N),
        (
            "<caseload>.covered_share.<cohort>",
            "{caseload}: share of eligible {cohort} covered",
            "share",
            N,
        ),
        ("<caseload>.enrolled", "{caseload}: people taken on", "patients", Y),
        ("<caseload>.prevented", "{caseload}: urgent episodes prevented", "patients", Y),
        ("<caseload>.prevented.<source>", "{caseload}: {source} prevented", "patients", Y),
        ("<caseload>.reviews", "{caseload}: monthly reviews", "visits", Y),
        ("<caseload>.review_hours", "{caseload}: clinician-hours of reviews", "clinician-hours", Y),
        ("<caseload>.utilisation", "{caseload}: share of clinician time on reviews", "share", N),
        ("<caseload>.staffed_hours", "{caseload}: clinician-hours on duty", "clinician-hours", Y),
        ("<caseload>.wte", "{caseload}: whole-time equivalents", "WTE", N),
    ]
)
"""Every metric name pattern, its plain label and its unit (``docs/reference/metrics.md``)."""

BY_COHORT = re.compile(r"^(?P<metric>.+)\.by_cohort\.(?P<cohort>[^.]+)$")
"""``<metric>.by_cohort.<cohort>`` is labelled "<metric's label>, <cohort> cohort"."""

AVOIDED_PREFIX = "avoided."
"""``avoided.<metric>`` (a sweep with a counterfactual) is labelled "<metric's label> avoided"."""

REDUCTION_PREFIX = "reduction."
"""``reduction.<metric>`` (against a counterfactual) is labelled "<metric's label>: share avoided"."""

KEY_LABELS: tuple[tuple[str, str], ...] = (
    ("population.size", "Population"),
    ("services.<svc>.staff", "{svc} clinicians on duty"),
    ("services.<svc>.beds", "{svc} beds"),
    ("services.<svc>.fleet", "{svc} vehicles"),
    ("services.<svc>.caseload", "{svc}: people on the caseload"),
    ("services.<svc>.rate_ratio", "{svc}: rate ratio of urgent need"),
    ("services.<svc>.review_minutes", "{svc}: review minutes a person a month"),
    ("services.<svc>.accept_probability", "{svc}: share of calls accepted"),
    ("services.<svc>.patience_hours", "{svc}: hours before a patient escalates"),
    ("services.<svc>.target_hours", "{svc}: response standard (hours)"),
    ("services.<svc>.max_wait_minutes", "{svc}: longest a crew waits (minutes)"),
    ("services.<svc>.escalation.<dest>", "{svc}: share escalated to {dest}"),
    ("services.<svc>.after_visit.<dest>", "{svc}: share to {dest} after the visit"),
    ("services.<svc>.destinations.<dest>", "{svc}: share diverted to {dest}"),
    ("services.<svc>.at_end.<dest>", "{svc}: share to {dest} at the end of the stay"),
    ("services.<svc>.discharge.<dest>", "{svc}: share discharged to {dest}"),
    ("services.<svc>.admission_probability", "{svc}: admission probability"),
    ("services.<svc>.admission_probability.<cohort>", "{svc}: admission probability, {cohort}"),
    ("services.<svc>.short_stay_probability", "{svc}: short-stay share"),
    ("services.<svc>.short_stay_probability.<cohort>", "{svc}: short-stay share, {cohort}"),
    ("services.<svc>.short_stay_by_source.<source>", "{svc}: short-stay share, {source}"),
)
"""Scenario keys as the axes of sweep and search figures show them."""

PLACEHOLDER_KINDS: dict[str, tuple[str, ...]] = {
    "team": ("community_response",),
    "hub": ("hub",),
    "amb": ("ambulance",),
    "pool": ("virtual_ward", "intermediate_care"),
    "ed": ("ed",),
    "acute": ("acute",),
    "outcome": ("outcome",),
    "caseload": ("proactive_care",),
}
"""The kinds of service each placeholder of a pattern stands for."""

COST_ITEMS = {
    "conveyance": "conveyances",
    "ambulance_call": "999 calls",
    "ed_attendance": "ED attendances",
    "admission": "admissions",
    "acute_bed_day": "acute bed days",
    "community_visit": "community visits",
    "hub_call": "hub calls",
    "virtual_ward_day": "virtual ward days",
    "intermediate_care_day": "intermediate care days",
    "review": "caseload reviews",
}
"""How a cost item (``cost.activity.<item>``) reads in a label."""

_ACRONYMS = {"ucr", "ed", "ae", "ic", "vw", "gp", "sdec", "nhs", "hv", "icb", "pcn", "ooh", "cct"}


def pretty_name(name: str, capital: bool = True) -> str:
    """A scenario's name as words: ``virtual_ward`` → "Virtual ward", ``ucr`` → "UCR"."""
    words = [w.upper() if w.lower() in _ACRONYMS else w for w in re.split(r"[_\s]+", name) if w]
    if not words:
        return name
    text = " ".join(words)
    if capital and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


# --------------------------------------------------------------------------- matching


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], Label, tuple[str, ...]], ...]:
    out = []
    for row in METRIC_LABELS:
        names = re.findall(r"<(\w+)>", row.pattern)
        regex = re.escape(row.pattern)
        for name in names:
            regex = regex.replace(re.escape(f"<{name}>"), f"(?P<{name}>[^.]+)")
        out.append((re.compile(f"^{regex}$"), row, tuple(names)))
    return tuple(out)


def _service_kind(scenario: Any, name: str) -> str | None:
    services = getattr(scenario, "services", None) or {}
    spec = services.get(name) if isinstance(services, dict) else None
    return getattr(spec, "kind", None)


def _guess_kind(name: str) -> str | None:
    """Without a scenario, the kind a service's own name suggests (the shipped names)."""
    for kind in ("ambulance", "hub", "ed", "acute"):
        if name == kind:
            return kind
    return None


def _match(metric: str, scenario: Any = None) -> tuple[Label, dict[str, str]] | None:
    found: list[tuple[Label, dict[str, str]]] = []
    for regex, row, names in _compiled():
        m = regex.match(metric)
        if m is None:
            continue
        if not names:
            return row, {}
        found.append((row, m.groupdict()))
    if not found:
        return None
    first = metric.split(".", 1)[0]
    kind = _service_kind(scenario, first) if scenario is not None else None
    kind = kind or _guess_kind(first)
    for row, groups in found:
        service = next((p for p in groups if p in PLACEHOLDER_KINDS), None)
        if service is None or (kind is not None and kind in PLACEHOLDER_KINDS[service]):
            return row, groups
    if kind is not None and scenario is not None and _service_kind(scenario, first):
        return None  # a kind with no labels of its own: the fallback
    return found[0]


def _fill(row: Label, groups: dict[str, str], scenario: Any, per_year: bool) -> str:
    values: dict[str, str] = {}
    for key, value in groups.items():
        values[key] = pretty_name(value, capital=row.text.startswith("{" + key + "}"))
        if key == "item" and value in COST_ITEMS:
            values[key] = COST_ITEMS[value]
    spec = None
    service = next((groups[p] for p in groups if p in PLACEHOLDER_KINDS), None)
    if service is not None and scenario is not None:
        spec = (getattr(scenario, "services", None) or {}).get(service)
    target = getattr(spec, "target_hours", None)
    values["target_hours"] = f"{target:g}" if isinstance(target, int | float) else "the target"
    text = row.text.format(**values)
    if values["target_hours"] == "the target":
        text = text.replace("within the target hours", "within the target time")
    return text + (" (a year)" if per_year and row.per_year else "")


def label(metric: str, scenario: Any = None, per_year: bool = True) -> str:
    """The plain label of a metric: ``acute.bed_days`` → "Acute bed days (a year)".

    ``scenario`` (a :class:`~sim.scenario.model.Scenario`) tells which kind each service
    is and gives a team's ``target_hours``; without it the name decides. A metric the
    table does not know is shown as words. ``per_year=False`` leaves out "(a year)"."""
    if metric.startswith(AVOIDED_PREFIX):
        inner = metric[len(AVOIDED_PREFIX) :]
        found = _match(inner, scenario)
        yearly = per_year and (found is None or found[0].per_year)
        return label(inner, scenario, per_year=False) + " avoided" + (" (a year)" if yearly else "")
    if metric.startswith(REDUCTION_PREFIX):
        return label(metric[len(REDUCTION_PREFIX) :], scenario, per_year=False) + ": share avoided"
    by_cohort = BY_COHORT.match(metric)
    if by_cohort:
        inner = by_cohort["metric"]
        found = _match(inner, scenario)
        yearly = per_year and (found is None or found[0].per_year)
        cohort = pretty_name(by_cohort["cohort"], capital=False)
        return f"{label(inner, scenario, per_year=False)}, {cohort} cohort" + (
            " (a year)" if yearly else ""
        )
    found = _match(metric, scenario)
    if found is None:
        head, _, rest = metric.partition(".")
        return (
            f"{pretty_name(head)}: {rest.replace('.', ' ').replace('_', ' ')}" if rest else metric
        )
    return _fill(found[0], found[1], scenario, per_year)


def has_label(metric: str, scenario: Any = None) -> bool:
    """Whether the table (or a rule: ``avoided.``, ``.by_cohort.``) labels ``metric``,
    rather than the fallback that writes its name as words."""
    if metric.startswith((AVOIDED_PREFIX, REDUCTION_PREFIX)):
        return has_label(metric.split(".", 1)[1], scenario)
    by_cohort = BY_COHORT.match(metric)
    if by_cohort:
        return has_label(by_cohort["metric"], scenario)
    return _match(metric, scenario) is not None


def unit_of(metric: str, scenario: Any = None) -> str:
    """The unit of a metric from the table ("patients", "bed days", "£", "share"...);
    "" for a metric it does not know."""
    if metric.startswith(REDUCTION_PREFIX):
        return "share"
    if metric.startswith(AVOIDED_PREFIX):
        return unit_of(metric[len(AVOIDED_PREFIX) :], scenario)
    by_cohort = BY_COHORT.match(metric)
    if by_cohort:
        return unit_of(by_cohort["metric"], scenario)
    found = _match(metric, scenario)
    return found[0].unit if found else ""


def key_label(key: str, scenario: Any = None) -> str:
    """A scenario key as an axis shows it: ``services.ucr.staff`` → "UCR clinicians on duty"."""
    parts = key.split(".")
    for pattern, text in KEY_LABELS:
        want = pattern.split(".")
        if len(want) != len(parts):
            continue
        groups = {}
        for w, p in zip(want, parts):
            if w.startswith("<"):
                groups[w[1:-1]] = p
            elif w != p:
                break
        else:
            shown = text.format(
                **{k: pretty_name(v, text.startswith("{" + k + "}")) for k, v in groups.items()}
            )
            return shown.replace("beds beds", "beds")  # a service named "ic_beds"
    if len(parts) >= 3 and parts[0] == "services":
        return f"{pretty_name(parts[1])}: {' '.join(parts[2:]).replace('_', ' ')}"
    return key.replace("_", " ")


# --------------------------------------------------------------------------- numbers


MINUS = "\u2212"


def number(value: float, unit: str = "", signed: bool = False, minus: str = MINUS) -> str:
    """A number as a board paper writes it: thousands separators, shares as percentages
    (a difference of shares in percentage points), pounds with £, and never "-0".

    ``signed`` writes "+" before a positive number (a difference); ``minus`` is the sign
    of a negative one (a typographic minus by default; "-" for a console)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return ("" if value > 0 else minus) + "∞"
    v = float(value)
    if unit == "share":
        scaled = 100.0 * v
        body = f"{abs(scaled):,.1f}" if abs(scaled) < 10 else f"{abs(scaled):,.0f}"
        body += " pts" if signed else "%"
    elif unit == "£":
        a = abs(v)
        if a >= 1e7:
            body = f"£{a / 1e6:,.1f}m"
        else:  # three significant figures from £10,000: the intervals are wider than that
            body = f"£{float(f'{a:.3g}') if a >= 1e4 else a:,.0f}"
    else:
        a = abs(v)
        whole = unit in COUNT_UNITS or unit in ("bed days", "clinician-hours")
        if a.is_integer() or a >= 100 or (whole and a >= 10):
            body = f"{a:,.0f}"
        elif a >= 10 or whole:  # a count below 10 a year: one decimal is enough
            body = f"{a:,.1f}"
        else:
            body = f"{a:.2g}" if a < 1 else f"{a:.1f}"
            if "e" in body:
                body = f"{a:.1g}" if a >= 1e-3 else "0"
    if re.fullmatch(r"£?0(\.0+)?(m|%| pts)?", body):  # rounds to zero: no sign
        return body
    sign = minus if v < 0 else ("+" if signed else "")
    return sign + body


def interval_text(
    low: float, high: float, unit: str = "", signed: bool = False, minus: str = MINUS
) -> str:
    """An interval as "(low to high)"; ``signed`` for a difference ("(+8.8 to +9.8 pts)")."""
    a, b = number(low, unit, signed, minus), number(high, unit, signed, minus)
    if a.endswith(" pts"):
        a = a[: -len(" pts")]
    return f"({a} to {b})"


# --------------------------------------------------------------------------- the reference

SECTION_START = "<!-- labels: generated from sim/output/labels.py; do not edit by hand -->"
SECTION_END = "<!-- end of labels -->"


def markdown_table() -> str:
    """The "Labels on figures and tables" section of ``docs/reference/metrics.md``."""
    lines = [
        SECTION_START,
        "",
        "| Metric | Label on figures and tables | Unit |",
        "|---|---|---|",
    ]
    for row in METRIC_LABELS:
        unit = "share, shown as a percentage" if row.unit == "share" else row.unit
        lines.append(f"| `{row.pattern}` | {row.shown()} | {unit} |")
    lines.append(
        '| `avoided.<metric>` | the label of `<metric>`, then "avoided" ("Emergency admissions '
        'avoided (a year)") | the unit of `<metric>` |'
    )
    lines.append(
        "| `<metric>.by_cohort.<cohort>` | the label of `<metric>`, then the cohort "
        '("Emergency admissions, severe cohort (a year)") | the unit of `<metric>` |'
    )
    lines += [
        "",
        "Scenario keys on the axes of sweep and search figures:",
        "",
        "| Key | Label |",
        "|---|---|",
    ]
    for key, text in KEY_LABELS:
        lines.append(f"| `{key}` | {_placeholders(text)} |")
    lines += ["", SECTION_END]
    return "\n".join(lines) + "\n"


def replace_section(text: str) -> str:
    """``text`` (the metrics reference) with its labels section rewritten from the table."""
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start < 0 or end < 0:
        raise ValueError("the metrics reference has no labels section markers")
    return text[:start] + markdown_table() + text[end + len(SECTION_END) + 1 :]


if __name__ == "__main__":  # python -m sim.output.labels docs/reference/metrics.md
    import sys
    from pathlib import Path

    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(replace_section(path.read_text(encoding="utf-8")), encoding="utf-8")

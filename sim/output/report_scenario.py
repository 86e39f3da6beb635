"""A resolved scenario in a few rows: population, demand a year, each service's capacity;
and what differs between two scenarios (the change a comparison is about)."""

from __future__ import annotations

from html import escape
from typing import Any

from sim.output.report_format import number, pretty

__all__ = ["differences", "scenario_rows", "show"]


def _yearly(population: dict[str, Any], source: dict[str, Any]) -> float:
    size = float(population.get("size", 0))
    cohorts = population.get("cohorts") or {"all": 1.0}
    rate = source.get("rate_per_1000", 0)
    return sum(
        size * share * (rate.get(c, 0) if isinstance(rate, dict) else rate) / 1000.0
        for c, share in cohorts.items()
    )


def _staff(spec: dict[str, Any]) -> str:
    if spec.get("roster"):
        return f"roster, up to {max(spec['roster'])} on duty"
    staff = spec.get("staff") or 0
    who = "clinician" if staff == 1 else "clinicians"
    return f"{staff} {who}, {spec.get('open_hours', '00-24')}, {spec.get('open_days', 'mon-sun')}"


def _capacity(spec: dict[str, Any]) -> str:
    """A service's capacity in a few words."""
    kind = spec.get("kind", "")
    if kind in ("community_response", "hub") or "staff" in spec or "roster" in spec:
        text = _staff(spec)
        if kind == "community_response" and "target_hours" in spec:
            text += f"; target {number(spec['target_hours'], 0 if float(spec['target_hours']).is_integer() else 1)} h"
        return text
    if kind == "ambulance":
        fleet = spec.get("fleet")
        return "vehicles not limited" if fleet is None else f"{number(fleet)} vehicles"
    if "beds" in spec:
        beds = spec.get("beds")
        what = "slots" if kind == "virtual_ward" or spec.get("setting") == "home" else "beds"
        return f"{what} not limited" if beds is None else f"{number(beds)} {what}"
    if kind == "ed":
        return "not limited (attendances take no time)"
    if kind == "outcome":
        return escape(spec.get("description", "")) or "counted way out"
    return "–"


def scenario_rows(scenario: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, value) rows describing a resolved scenario."""
    pop = scenario.get("population", {})
    cohorts = pop.get("cohorts") or {}
    rows = [
        ("Population", number(pop.get("size", 0))),
        (
            "Cohorts",
            ", ".join(f"{escape(c)} {number(100 * s, 1)}%" for c, s in cohorts.items()),
        ),
    ]
    for name, src in scenario.get("demand", {}).items():
        to = pretty(str(src.get("to", "")))
        rows.append(
            (
                f"Demand: {escape(pretty(name))}",
                f"{number(_yearly(pop, src))} a year, to {escape(to)}",
            )
        )
    for name, spec in scenario.get("services", {}).items():
        rows.append(
            (f"{escape(pretty(name))} ({escape(str(spec.get('kind', '')))})", _capacity(spec))
        )
    run = scenario.get("run", {})
    rows.append(
        (
            "Run",
            f"{number(run.get('days', 0))} days measured after {number(run.get('warmup_days', 0))} "
            "days' warm-up",
        )
    )
    return rows


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for k, v in data.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: data}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Keys whose values differ between two resolved scenarios (names and text aside)."""
    fa, fb = _flatten(a), _flatten(b)
    skip = {"name", "description", "extends"}
    out = []
    for key in sorted(set(fa) | set(fb)):
        if key.split(".")[0] in skip or key.endswith(".description"):
            continue
        if fa.get(key) != fb.get(key):
            out.append((key, fa.get(key, "–"), fb.get(key, "–")))
    return out


def show(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (list, tuple)) and len(v) > 8:
        return escape(f"[{len(v)} values]")
    return escape(str(v))

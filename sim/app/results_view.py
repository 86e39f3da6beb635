"""The results of a Run on the Explore view, and its downloads."""

from __future__ import annotations

import math
from collections import OrderedDict

import streamlit as st

from sim.app import downloads
from sim.app.charts import occupancy_figure
from sim.app.flows import hospital_services, route_links, sankey_figure
from sim.app.runner import TRACED_REPLICATIONS, nhsim_version
from sim.app.state import ExploreRun
from sim.app.summary import (
    avoided_rows,
    cost_rows,
    fmt,
    interval_text,
    performance_rows,
)
from sim.app.work import SMOOTHING_DAYS
from sim.cli.appraisal import pounds
from sim.runs.economics import economics
from sim.runs.warnings import comparison_warnings

__all__ = ["show"]

_FIGURES: OrderedDict[str, dict[str, bytes]] = OrderedDict()


def _figures(run: ExploreRun) -> dict[str, bytes]:
    """PNG figures of a run, drawn once (when first asked for)."""
    key = run.outcome.key
    if key not in _FIGURES:
        _FIGURES[key] = downloads.figure_pngs(run.comparison)
        while len(_FIGURES) > 8:
            _FIGURES.popitem(last=False)
    return _FIGURES[key]


def _avoided(run: ExploreRun) -> None:
    comparison = run.comparison
    st.subheader("What the change avoids a year")
    note = " (from the cache: this exact run was done before)" if run.cached else ""
    st.caption(
        f"{comparison.scenario.scenario.name} against {comparison.counterfactual.scenario.name}: "
        f"{run.replications} paired replications, seed {run.seed}. Avoided = unchanged − "
        f"changed, a year; a negative number is an increase.{note}"
    )
    if not run.overrides:
        st.info(
            "Nothing was changed, so the file ran against itself and nothing is avoided. Move "
            "a slider and press Run again."
        )
    rows = avoided_rows(comparison)
    if not rows:
        st.info(
            "This scenario has no ambulance, ED or acute beds, so there are no conveyances or "
            "admissions to avoid. The tables below show what changed."
        )
        return
    cols = st.columns(len(rows))
    for col, row in zip(cols, rows):
        with col:
            st.metric(
                row.label,
                fmt(row.avoided.mean),
                help=f"{row.metric}: {fmt(row.counterfactual)} a year unchanged, "
                f"{fmt(row.scenario)} with the change.",
            )
            st.caption(interval_text(row.avoided))


def _performance(run: ExploreRun) -> None:
    rows = performance_rows(run.comparison)
    if not rows:
        return
    st.subheader("Response within target")
    cols = st.columns(min(len(rows), 4))
    for i, row in enumerate(rows):
        with cols[i % len(cols)]:
            sc, diff = row.scenario, row.difference
            value = "–" if math.isnan(sc.mean) else f"{100 * sc.mean:.1f}%"
            delta = None if math.isnan(diff.mean) else f"{100 * diff.mean:+.1f} points"
            st.metric(
                f"{row.service}: reached within {row.target_hours:g} hours",
                value,
                delta,
                help=f"{row.metric}, with the change; unchanged "
                f"{'–' if math.isnan(row.counterfactual.mean) else f'{100 * row.counterfactual.mean:.1f}%'}.",
            )
            st.caption(f"change {interval_text(diff, percent=True)}")
            if row.standard is not None:
                st.caption(row.verdict())


def _charts(run: ExploreRun) -> None:
    comparison = run.comparison
    scenario = comparison.scenario.scenario
    fig = occupancy_figure(run.outcome.bands, scenario)
    if fig is not None:
        n = min(run.replications, TRACED_REPLICATIONS)
        traced = (
            f"the {n} replications"
            if n == run.replications
            else f"the first {n} of the {run.replications} replications"
        )
        st.subheader("Beds in use over the year")
        st.caption(
            f"Beds in use at midnight, averaged over the last {SMOOTHING_DAYS} days: the median "
            f"over {traced} with the changes, 10% to 90% of them shaded, and the "
            "unchanged scenario's median dashed."
        )
        st.plotly_chart(fig, key=f"occupancy-{run.outcome.key}")
    means = {m: iv.mean for m, iv in comparison.scenario.summary().items()}
    links = route_links(scenario, means)
    if links:
        st.subheader("Where patients went")
        st.caption(
            "Patients a year with the changes (mean over replications), by route: to the "
            "hospital (ambulance, ED, acute beds) in orange, home in grey."
        )
        st.plotly_chart(
            sankey_figure(
                links, f"{scenario.name}: patients a year by route", hospital_services(scenario)
            ),
            key=f"sankey-{run.outcome.key}",
        )


def _costs(run: ExploreRun) -> None:
    rows = cost_rows(run.comparison)
    if not rows:
        return
    st.subheader("Costs avoided a year")
    st.table(
        {
            "cost": [r.label for r in rows],
            "avoided a year (£)": [fmt(r.avoided.mean) for r in rows],
            "95% interval (£)": [
                f"{fmt(r.avoided.ci_low)} to {fmt(r.avoided.ci_high)}" for r in rows
            ],
        }
    )
    econ = economics(run.comparison)  # the figures nhsim compare prints
    if econ is None:
        return
    st.subheader("What the change costs a year")
    figures = econ.rows()
    st.table(
        {
            "": [text for _, text, _ in figures],
            "mean (£)": [pounds(est.mean) for _, _, est in figures],
            "95% interval (£)": [
                f"{pounds(est.ci_low)} to {pounds(est.ci_high)}" if est.bounded else "unbounded"
                for _, _, est in figures
            ],
        }
    )
    per = econ.cost_per_admission_avoided
    if not per.is_nan:
        st.metric("Net cost per admission avoided", f"£{pounds(per.mean)}")
    st.caption(
        f"Verdict: {econ.verdict}. The cost of the investment is what the capacity costs, "
        "used or not ([costs.capacity] in the scenario file); a cost per thing avoided has "
        "Fieller's interval, unbounded when what is avoided cannot be told from 0."
    )


def _by_cohort(run: ExploreRun) -> None:
    """What the change avoids in each cohort of the population."""
    comparison = run.comparison
    names = set(comparison.counterfactual.metric_names())
    headline = [
        ("conveyances", "ambulance.conveyances"),
        ("admissions", "admissions.total"),
        ("unplanned hospital visits", "unplanned.hospital_visits"),
        ("acute bed days", "acute.bed_days"),
    ]
    cohorts = list(comparison.scenario.scenario.population.cohorts)
    shown = [(w, m) for w, m in headline if f"{m}.by_cohort.{cohorts[0]}" in names]
    if len(cohorts) < 2 or not shown:
        return
    with st.expander("Avoided a year, by cohort"):
        table: dict[str, list[str]] = {"cohort": cohorts}
        for what, metric in shown:
            ivs = [comparison.avoided(f"{metric}.by_cohort.{c}") for c in cohorts]
            table[what] = [f"{fmt(iv.mean)} ({interval_text(iv)})" for iv in ivs]
        if "home.share" in names:
            ivs = [comparison.difference(f"home.share.by_cohort.{c}") for c in cohorts]
            table["need met at home (change)"] = [
                f"{100 * iv.mean:+.1f} points ({interval_text(iv, percent=True)})" for iv in ivs
            ]
        st.table(table)
        st.caption(
            "Mean and 95% interval of the paired difference (avoided = unchanged − changed)."
        )


def _warnings(run: ExploreRun) -> None:
    for warning in comparison_warnings(run.comparison):  # as nhsim compare prints them
        st.warning(str(warning))


def _all_metrics(run: ExploreRun) -> None:
    with st.expander("Every metric"):
        rows = run.comparison.rows()
        st.dataframe(
            {
                "metric": [r.metric for r in rows],
                "unchanged": [r.counterfactual_mean for r in rows],
                "changed": [r.scenario_mean for r in rows],
                "difference": [r.difference.mean for r in rows],
                "95% CI low": [r.difference.ci_low for r in rows],
                "95% CI high": [r.difference.ci_high for r in rows],
            },
            hide_index=True,
        )


def _downloads(run: ExploreRun) -> None:
    st.subheader("Downloads")
    comparison = run.comparison
    name = comparison.scenario.scenario.name
    cols = st.columns(3)
    with cols[0]:
        st.download_button(
            "Download scenario (TOML)",
            downloads.scenario_toml(
                run.source, run.run_overrides + run.overrides, nhsim_version(), run.changes
            ),
            file_name=f"{name}.toml",
            mime="application/toml",
            on_click="ignore",
            help="The scenario with your changes, as a file nhsim can run "
            "(`nhsim run` or `nhsim compare`).",
        )
        st.download_button(
            "Download results (CSV)",
            downloads.results_csv(comparison),
            file_name="comparison.csv",
            mime="text/csv",
            on_click="ignore",
            help="comparison.csv, as `nhsim compare` writes it.",
        )
    with cols[1]:
        st.download_button(
            "Download avoided figure (PNG)",
            lambda: _figures(run).get("avoided", b""),
            file_name=f"{name}-avoided.png",
            mime="image/png",
            on_click="ignore",
        )
        st.download_button(
            "Download occupancy figure (PNG)",
            lambda: _figures(run).get("occupancy", b""),
            file_name=f"{name}-occupancy.png",
            mime="image/png",
            on_click="ignore",
        )
    with cols[2]:
        available = downloads.report_available()
        st.download_button(
            "Download report (HTML)",
            (lambda: downloads.report(comparison, "html")) if available else b"",
            file_name=f"{name}-report.html",
            mime="text/html",
            on_click="ignore",
            disabled=not available,
        )
        st.download_button(
            "Download report (PDF)",
            (lambda: downloads.report(comparison, "pdf")) if available else b"",
            file_name=f"{name}-report.pdf",
            mime="application/pdf",
            on_click="ignore",
            disabled=not available,
        )
        if not available:
            st.caption("The board paper is not available in this version of nhsim.")


def show(run: ExploreRun) -> None:
    """Everything a Run shows, in the order a planner reads it."""
    _avoided(run)
    _performance(run)
    _warnings(run)
    _charts(run)
    _costs(run)
    _by_cohort(run)
    _all_metrics(run)
    _downloads(run)

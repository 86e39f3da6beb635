"""Compare: the runs of this session side by side, and how each differs from the first."""

from __future__ import annotations

import math

import streamlit as st

from sim.app.state import ExploreRun
from sim.app.summary import avoided_rows, fmt, performance_rows

__all__ = ["kept_table", "render"]


def _label(i: int, run: ExploreRun) -> str:
    return f"{i + 1}. {run.comparison.scenario.scenario.name}"


def kept_table(runs: list[ExploreRun]) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Rows of the side-by-side table and of the differences from the first run.

    Returns (column names, rows, difference rows); each row starts with what it shows."""
    columns = ["", *[_label(i, r) for i, r in enumerate(runs)]]
    order: dict[str, None] = {}
    values: list[dict[str, tuple[float, str]]] = []
    for run in runs:
        mine: dict[str, tuple[float, str]] = {}
        mine["changes"] = (math.nan, "; ".join(run.changes) or "none")
        mine["replications, seed"] = (math.nan, f"{run.replications}, seed {run.seed}")
        for row in avoided_rows(run.comparison):
            iv = row.avoided
            mine[row.label] = (iv.mean, f"{fmt(iv.mean)} ({fmt(iv.ci_low)} to {fmt(iv.ci_high)})")
        for perf in performance_rows(run.comparison):
            label = f"{perf.service}: reached within {perf.target_hours:g} hours"
            m = perf.scenario.mean
            mine[label] = (100 * m, "–" if math.isnan(m) else f"{100 * m:.1f}%")
        values.append(mine)
        order.update(dict.fromkeys(mine))
    rows = [[name, *[v.get(name, (math.nan, "–"))[1] for v in values]] for name in order]
    diffs = []
    first = values[0] if values else {}
    for name in order:
        base = first.get(name, (math.nan, ""))[0]
        if math.isnan(base):
            continue
        cells = []
        for v in values:
            x = v.get(name, (math.nan, ""))[0]
            cells.append("–" if math.isnan(x) else f"{x - base:+,.1f}")
        diffs.append([name, *cells])
    return columns, rows, diffs


def _remove(index: int) -> None:
    runs = st.session_state.get("kept_runs", [])
    if 0 <= index < len(runs):
        runs.pop(index)


def _clear() -> None:
    st.session_state["kept_runs"] = []


def render() -> None:
    st.header("Compare")
    runs: list[ExploreRun] = st.session_state.get("kept_runs", [])
    if not runs:
        st.info("Every Run on the Explore view is kept here for this session. Run one first.")
        return
    st.write(
        "Each column is a Run of this session: what it avoided a year against its own "
        "unchanged file (95% intervals in brackets), and its response within target."
    )
    columns, rows, diffs = kept_table(runs)
    st.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
    if len(runs) > 1:
        st.subheader("Difference from the first run")
        st.table({c: [r[i] for r in diffs] for i, c in enumerate(columns)})
    cols = st.columns(min(len(runs), 6) + 1)
    for i, run in enumerate(runs[: len(cols) - 1]):
        with cols[i]:
            st.button(f"Remove {_label(i, run)}", key=f"remove-{i}", on_click=_remove, args=(i,))
    with cols[-1]:
        st.button("Clear all", on_click=_clear)

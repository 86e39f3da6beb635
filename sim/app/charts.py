"""Charts drawn with plotly for the page (no Streamlit here).

Occupancy over the year as bands: for each bed pool, the median over replications of
the beds in use at each midnight, with the 10th to 90th percentiles shaded, for the
changed scenario, and the unchanged scenario's median for comparison.
"""

from __future__ import annotations

from typing import Any

from sim.scenario import Scenario

__all__ = ["occupancy_figure"]

BLUE, GREY, RED = "#005EB8", "#768692", "#DA291C"


def occupancy_figure(
    bands: dict[str, dict[str, dict[str, list[float]]]], scenario: Scenario
) -> Any | None:
    """Beds in use by day, one panel a bed pool; None if the scenario has no bed pools."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    changed = bands.get("scenario", {})
    unchanged = bands.get("counterfactual", {})
    names = list(changed) or list(unchanged)
    if not names:
        return None
    fig = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[n.replace("_", " ") for n in names],
        vertical_spacing=0.08 if len(names) > 1 else 0.0,
    )
    for row, name in enumerate(names, start=1):
        first = row == 1
        band = changed.get(name)
        if band is not None:
            days = list(range(len(band["median"])))
            fig.add_trace(
                go.Scatter(
                    x=days + days[::-1],
                    y=band["p90"] + band["p10"][::-1],
                    fill="toself",
                    fillcolor="rgba(0, 94, 184, 0.18)",
                    line={"width": 0},
                    hoverinfo="skip",
                    name="changed: 10–90% of replications",
                    legendgroup="band",
                    showlegend=first,
                ),
                row=row,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=days,
                    y=band["median"],
                    line={"color": BLUE, "width": 2},
                    name="changed: median",
                    legendgroup="median",
                    showlegend=first,
                ),
                row=row,
                col=1,
            )
        base = unchanged.get(name)
        if base is not None:
            fig.add_trace(
                go.Scatter(
                    x=list(range(len(base["median"]))),
                    y=base["median"],
                    line={"color": GREY, "width": 1.5, "dash": "dash"},
                    name="unchanged: median",
                    legendgroup="base",
                    showlegend=first,
                ),
                row=row,
                col=1,
            )
        beds = getattr(scenario.services.get(name), "beds", None)
        if beds is not None:
            fig.add_hline(
                y=beds,
                line={"color": RED, "dash": "dot", "width": 1.2},
                annotation_text=f"{beds} beds",
                annotation_position="top left",
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text="beds in use", rangemode="tozero", row=row, col=1)
    fig.update_xaxes(title_text="day of the measured period", row=len(names), col=1)
    height = 230 * len(names) + 150
    top, bottom = 90, 50
    fig.update_layout(
        height=height,
        margin={"t": top, "b": bottom},
        # above the first panel's title: 40 pixels up, in the plotting area's units
        legend={
            "orientation": "h",
            "y": 1 + 40 / (height - top - bottom),
            "yanchor": "bottom",
            "x": 0,
        },
        hovermode="x unified",
    )
    return fig

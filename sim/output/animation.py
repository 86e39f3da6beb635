"""An animation of one replication: patients moving through the services, frame by frame.

:func:`animate` runs replication 0 of a run with the given seed (the same patients as
replication 0 of ``nhsim run`` with that seed), turns its event log into vidigi's
(:mod:`sim.output.vidigi_log`) over a window that starts at the end of the warm-up,
and lets vidigi (https://github.com/Bergam0t/vidigi) draw it as a plotly figure with
a play button and a time slider. Each patient is a dot ("●", which every common font
has: no emoji font is needed), coloured by status: waiting or in care, escalated
(not reached in time), sent on because a service was full, or a delayed discharge.
Clinicians and beds are drawn as numbered places, so queues at the UCR team, busy
clinicians and filling beds can be seen.

:func:`standalone_html` writes the figure as one self-contained page: plotly.js
inlined, no network, no web fonts.

Needs the ``app`` extra (vidigi, plotly, pandas).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.engine.streams import replication_seeds
from sim.output.vidigi_log import (
    DELAYED,
    ESCALATED,
    NORMAL,
    TURNED_AWAY,
    capacities,
    layout,
    record_window,
    to_vidigi,
    window,
)
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["FRAME_MINUTES", "animate", "standalone_html"]

FRAME_MINUTES = 20
"""Simulated minutes between frames (and how long an ED attendance stays on screen)."""

ICON = "●"
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"
"""System fonts only: each has "●"; no web font is fetched."""

COLOURS = {
    NORMAL: "#1f5fa8",
    ESCALATED: "#c62828",
    TURNED_AWAY: "#ef6c00",
    DELAYED: "#7b1fa2",
}

CALENDAR_START = datetime(2018, 1, 1)
"""Calendar hour 0 (Monday 1 January): 2018 starts on a Monday and has 365 days."""


def animate(scenario: Scenario, seed: int, days: float = 3.0) -> go.Figure:
    """An animated figure of replication 0 of a run with ``seed``, over ``days`` days
    from the end of the warm-up (at most the measured period)."""
    import pandas as pd
    from vidigi.animation import animate_activity_log

    start, end = window(scenario, days)
    rep_seed = replication_seeds(seed, 1)[0]
    rows = record_window(scenario, rep_seed, end)
    log = pd.DataFrame(to_vidigi(rows, scenario, start, end, hold_minutes=FRAME_MINUTES))
    positions = pd.DataFrame(layout(scenario))
    first = CALENDAR_START - timedelta(hours=start)
    fig = animate_activity_log(
        event_log=log,
        event_position_df=positions,
        scenario=capacities(scenario),
        simulation_time_unit="minutes",
        every_x_time_units=FRAME_MINUTES,
        warm_up=round(start * 60),
        limit_duration=round(end * 60),
        step_snapshot_max=40,
        wrap_queues_at=20,
        wrap_resources_at=20,
        gap_between_entities=12,
        gap_between_resources=12,
        gap_between_queue_rows=30,
        gap_between_resource_rows=30,
        queue_direction="right",
        entity_icon_size=16,
        resource_icon_size=18,
        text_size=13,
        custom_entity_icon_list=[ICON],
        custom_resource_icon="○",
        entity_resource_offset_y=0,
        entity_colour_by="status",
        entity_colour_map=COLOURS,
        show_entity_legend=True,
        start_date=first.strftime("%Y-%m-%d"),
        start_time=first.strftime("%H:%M:%S"),
        time_display_units="%a %d %b %H:%M",
        plotly_height=820,
        frame_duration=350,
        frame_transition_duration=250,
        spawn_in_from_arrival=True,
        hover_text_entity="Patient %{customdata[0]}<br>%{customdata[1]}<br>came to %{customdata[2]}"
        "<extra></extra>",
        custom_hover_data=["entity_id", "status", "pathway"],
        run_col_name="run_number",
    )
    _legend(fig)
    fig.update_layout(
        font_family=FONT,
        title=f"{scenario.name}: replication 0 of seed {seed}, {(end - start) / 24:g} days "
        "after the warm-up",
        showlegend=True,
        legend={"orientation": "h", "x": 0.0, "y": 1.04, "title_text": ""},
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    return fig


def _legend(fig: go.Figure) -> None:
    """One legend entry per status, always all four, drawn as plain dots; vidigi's own
    traces (one per status that occurs) are left out of the legend."""
    import plotly.graph_objects as go

    for trace in fig.data:
        trace.showlegend = False
    for frame in fig.frames:  # each frame restates its traces, legend flag included
        for trace in frame.data:
            trace.showlegend = False
    for status, colour in COLOURS.items():
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={"color": colour, "size": 11},
                name=status,
                showlegend=True,
                hoverinfo="skip",
            )
        )


def standalone_html(fig: Any) -> str:
    """The figure as a self-contained HTML page: plotly.js inlined, no network, no web
    fonts."""
    body: str = fig.to_html(
        include_plotlyjs=True,
        full_html=False,
        config={"displaylogo": False, "showLink": False},
        auto_play=False,
    )
    title = str(fig.layout.title.text or "nhsim animation")
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{_escape(title)}</title>\n"
        f"<style>body {{ font-family: {FONT}; margin: 1em; }}</style>\n"
        "</head>\n<body>\n" + body + "\n</body>\n</html>\n"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

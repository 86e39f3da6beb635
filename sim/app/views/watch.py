"""Watch: an animation of a few days of one replication, after the warm-up."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.app import downloads
from sim.app.capacities import knobs_for, overrides
from sim.app.views.explore import current_source
from sim.app.widgets import literal, show_problems, values_of
from sim.scenario import ScenarioError

__all__ = ["render"]


def _animate(scenario: Any, seed: int, days: float) -> Any:
    from sim.output.animation import animate

    return animate(scenario, seed, days)


def render() -> None:
    st.header("Watch")
    st.write(
        "Patients moving through the services, a few days of one replication after the "
        "warm-up, on the scenario chosen on the Explore view with its changes."
    )
    source = current_source()
    if source is None or not source.valid:
        st.warning("Choose a valid scenario on the Explore view first.")
        return
    assert source.scenario is not None
    knobs = knobs_for(source.scenario)
    changes = overrides(knobs, values_of(source, knobs))
    try:
        scenario = source.build(changes, rename=bool(changes))
    except ScenarioError as err:
        show_problems(err.problems)
        return
    st.caption(f"Scenario: {scenario.name}" + (f" ({'; '.join(changes)})" if changes else ""))
    if "watch:days" not in st.session_state:
        st.session_state["watch:days"] = 3
    days = st.slider("Days to watch", min_value=1, max_value=7, step=1, key="watch:days")
    if "watch:seed" not in st.session_state:
        st.session_state["watch:seed"] = int(scenario.run.seed)
    seed = st.number_input("Seed", min_value=0, step=1, key="watch:seed")
    available = downloads.animation_available()
    if not available:
        st.info("The animation is not available in this version of nhsim.")
    clicked = st.button("Animate", type="primary", disabled=not available)
    wanted = (scenario.model_dump_json(), int(seed), int(days))
    if clicked and available:
        with st.spinner("Simulating and drawing…"):
            try:
                fig = _animate(scenario, int(seed), float(days))
            except Exception as exc:  # the page stays up whatever the animation meets
                st.error(
                    "The animation could not be drawn: " + literal(f"{type(exc).__name__}: {exc}")
                )
                return
            st.session_state["watch_figure"] = (wanted, fig)
    stored = st.session_state.get("watch_figure")
    if stored is None:
        return
    key, fig = stored
    if key != wanted:
        st.info("The settings have changed since this animation: press Animate again.")
    st.plotly_chart(fig, key="watch-animation")
    st.download_button(
        "Download animation (HTML)",
        lambda: downloads.animation_html(fig),
        file_name=f"{scenario.name}-animation.html",
        mime="text/html",
        on_click="ignore",
        help="The animation as one web page that plays without the app or the internet.",
    )

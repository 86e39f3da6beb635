"""Teach: guided exercises on the teaching scenario, each set up by one button."""

from __future__ import annotations

import streamlit as st

from sim.app.capacities import knobs_for
from sim.app.exercises import EXERCISES, TEACHING_FILE, Exercise
from sim.app.sources import configs_dir, load_shipped
from sim.app.views.explore import forget_upload, label_of, reset_advanced
from sim.app.widgets import set_knobs

__all__ = ["render", "set_up"]


def set_up(exercise: Exercise) -> None:
    """Put the Explore view on the teaching scenario with this exercise's change alone."""
    path = configs_dir() / TEACHING_FILE
    source = load_shipped(path)
    if source.scenario is None:  # pragma: no cover - the shipped file is tested
        return
    forget_upload()
    st.session_state["source_choice"] = label_of(path)
    set_knobs(source, knobs_for(source.scenario), exercise.values)
    reset_advanced(source)
    st.session_state.pop("explore_run", None)
    st.session_state["teach_exercise"] = exercise.title
    st.session_state["view"] = "Explore"


def render() -> None:
    st.header("Teach")
    st.write(
        "Three short exercises on `configs/teaching.toml`: one urgent community response "
        "(UCR) team for a town of 100,000 people, one clinician on duty 8am to 8pm, with a "
        "small virtual ward and the hospital its patients go to. Each button opens the "
        "Explore view with the change made; press **Run** there. The class sees the file as "
        "it is against the change, on the same random numbers."
    )
    for i, exercise in enumerate(EXERCISES):
        with st.container(border=True):
            st.subheader(exercise.title)
            st.markdown(f"**What to change.** {exercise.change}")
            st.button(exercise.button, key=f"teach-{i}", on_click=set_up, args=(exercise,))
            st.markdown(f"**What a class should see.** {exercise.what_to_see}")
            st.markdown(f"**A question to ask.** {exercise.question}")

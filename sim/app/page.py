"""The app's page: a sidebar that chooses the view, then the view itself."""

from __future__ import annotations

import streamlit as st

from sim.app.runner import nhsim_version
from sim.app.state import keep_choices, shared_pool
from sim.app.views import about, compare, explore, teach, watch

__all__ = ["VIEWS", "main"]

VIEWS = {
    "Explore": explore.render,
    "Compare": compare.render,
    "Watch": watch.render,
    "Teach": teach.render,
    "About": about.render,
}


def main() -> None:
    """Draw the page once (Streamlit runs this on every interaction)."""
    st.set_page_config(page_title="nhsim", layout="wide", initial_sidebar_state="expanded")
    keep_choices()
    shared_pool()  # started with the first page, so the first Run finds it ready
    if st.session_state.get("view") not in VIEWS:
        st.session_state["view"] = "Explore"
    with st.sidebar:
        st.title("nhsim")
        st.caption(f"Urgent community care: what capacity avoids. nhsim {nhsim_version()}")
        view = st.radio("View", list(VIEWS), key="view")
    VIEWS[view]()

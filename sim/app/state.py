"""What the whole server shares, and what each browser session keeps.

The process pool and the result cache are made once per server
(``st.cache_resource``) and shared by every session, so that a classroom on one
server pays for a question once. Each session keeps its choices in
``st.session_state``; Streamlit forgets the value of a widget that a view did not
draw, so :func:`keep_choices` carries the page's choices over when a person moves
between views.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from sim.app.runner import Outcome, RunCache
from sim.app.sources import Source
from sim.app.work import SharedPool

__all__ = ["KEPT_PREFIXES", "ExploreRun", "keep_choices", "shared_cache", "shared_pool"]

KEPT_PREFIXES = ("knob:", "adv:", "watch:", "source_choice")


@st.cache_resource(show_spinner=False)
def shared_pool() -> SharedPool:
    """The server's process pool, one worker per CPU; made with the first page, with the
    libraries a first Run needs loaded, so that the first Run is as quick as the next."""
    for module in ("plotly.graph_objects", "plotly.subplots", "scipy.stats"):
        importlib.import_module(module)
    return SharedPool()


@st.cache_resource(show_spinner=False)
def shared_cache() -> RunCache:
    """Results of recent runs, by what determines them."""
    return RunCache()


def keep_choices() -> None:
    """Carry the page's choices over to the next run of the script, whichever view it draws."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(KEPT_PREFIXES):
            st.session_state[key] = st.session_state[key]


@dataclass
class ExploreRun:
    """A Run on the Explore view: what was asked and what came back."""

    source: Source
    overrides: list[str]
    """The changes, as ``--set`` overrides of the file (the changed side only)."""
    run_overrides: list[str]
    """Run settings changed for both sides (``run.days``)."""
    changes: list[str]
    replications: int
    seed: int
    outcome: Outcome
    cached: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def comparison(self) -> Any:
        return self.outcome.comparison

"""Streamlit widgets for a scenario's knobs: a slider and a number box for each capacity.

Every widget's key starts with the scenario file's digest, so choosing another file
starts from that file's own values, and coming back to a file keeps what was set for
it. The slider and its number box hold the same value: changing either sets the
other. Moving them does not run the model; the Run button does.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.app.capacities import Knob
from sim.app.sources import Source
from sim.scenario import Problem

__all__ = ["draw_knobs", "knob_state_key", "literal", "set_knobs", "show_problems", "values_of"]


def knob_state_key(source: Source, knob: Knob) -> str:
    return f"knob:{source.ident}:{knob.key}"


def _box_key(key: str) -> str:
    return f"{key}:box"


def _copy(src: str, dst: str) -> None:
    st.session_state[dst] = st.session_state[src]


def _value(knob: Knob, value: Any) -> Any:
    if knob.kind == "count":
        return int(value)
    if knob.kind in ("scale", "multiplier"):
        return float(value)
    return str(value)


def set_knobs(source: Source, knobs: list[Knob], values: dict[str, Any]) -> None:
    """Put every knob at ``values`` (by scenario key), or at the file's value.

    Call it from a button's callback, before the widgets are drawn."""
    for knob in knobs:
        key = knob_state_key(source, knob)
        value = _value(knob, values.get(knob.key, knob.default))
        st.session_state[key] = value
        if knob.kind in ("count", "scale"):
            st.session_state[_box_key(key)] = value


def _ensure(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _draw(source: Source, knob: Knob) -> None:
    key = knob_state_key(source, knob)
    if knob.kind == "hours":
        _ensure(key, knob.default)
        st.selectbox(knob.label, list(knob.choices), key=key, help=knob.help)
        return
    if knob.kind == "multiplier":
        _ensure(key, float(knob.default))
        st.slider(
            knob.label,
            min_value=float(knob.low),
            max_value=float(knob.high),
            step=float(knob.step),
            key=key,
            help=knob.help,
        )
        return
    whole = knob.kind == "count"
    cast = int if whole else float
    _ensure(key, cast(knob.default))
    _ensure(_box_key(key), cast(knob.default))
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    with left:
        st.slider(
            knob.label,
            min_value=cast(knob.low),
            max_value=cast(knob.high),
            step=cast(knob.step),
            key=key,
            help=knob.help,
            on_change=_copy,
            args=(key, _box_key(key)),
        )
    with right:
        st.number_input(
            knob.label,
            min_value=cast(knob.low),
            max_value=cast(knob.high),
            step=cast(knob.step),
            key=_box_key(key),
            label_visibility="collapsed",
            on_change=_copy,
            args=(_box_key(key), key),
        )


def draw_knobs(source: Source, knobs: list[Knob], group: str) -> None:
    """Draw the knobs of one group (``capacity`` or ``demand``)."""
    for knob in knobs:
        if knob.group == group:
            _draw(source, knob)


def values_of(source: Source, knobs: list[Knob]) -> dict[str, Any]:
    """The value of every knob, by scenario key (the file's value if not drawn yet)."""
    return {
        k.key: _value(k, st.session_state.get(knob_state_key(source, k), k.default)) for k in knobs
    }


def literal(text: str) -> str:
    """``text`` as a Markdown code span, so that the page shows it exactly as written.

    Streamlit's Markdown would otherwise turn ``>=`` into ``≥``, ``->`` into an arrow and
    pairs of ``_`` or ``*`` into emphasis: a message must read as the command line prints it."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def show_problems(problems: list[Problem] | tuple[Problem, ...]) -> None:
    """Each problem of a scenario in an error box, worded exactly as the command line words it."""
    for problem in problems:
        st.error(literal(str(problem)))

"""Explore: choose a scenario, change its capacities and demand, press Run, read the results.

The unchanged file is the counterfactual and the file with the page's changes is the
scenario, run paired on common random numbers by the same function as
``nhsim compare``. Nothing runs until Run is pressed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from sim.app import results_view
from sim.app.capacities import Knob, describe, knobs_for, overrides, unlimited_notes
from sim.app.runner import Request, run_cached
from sim.app.sources import Source, configs_dir, load_shipped, load_upload, shipped_files
from sim.app.state import ExploreRun, shared_cache, shared_pool
from sim.app.widgets import draw_knobs, literal, show_problems, values_of
from sim.runs.backends import BackendError
from sim.runs.tasks import RunFailed
from sim.scenario import ScenarioError

__all__ = [
    "DEFAULT_FILE",
    "DEFAULT_REPLICATIONS",
    "UPLOAD_LABEL",
    "advanced_keys",
    "current_source",
    "label_of",
    "render",
]

UPLOAD_LABEL = "Upload a scenario (TOML)"
DEFAULT_FILE = "configs/teaching.toml"
DEFAULT_REPLICATIONS = 10
MAX_REPLICATIONS = 200


def label_of(path: Path) -> str:
    """How the page names a shipped file: ``configs/teaching.toml``."""
    return "configs/" + path.relative_to(configs_dir()).as_posix()


def _shipped() -> dict[str, Path]:
    return {label_of(p): p for p in shipped_files()}


def _upload_key() -> str:
    return f"upload:{st.session_state.get('upload_gen', 0)}"


def _upload_changed() -> None:
    """The person added or removed a file: keep its bytes (the widget forgets them when
    another view is drawn)."""
    file = st.session_state.get(_upload_key())
    st.session_state["upload_data"] = (file.name, file.getvalue()) if file is not None else None


def forget_upload() -> None:
    st.session_state["upload_data"] = None
    st.session_state["upload_gen"] = st.session_state.get("upload_gen", 0) + 1


def current_source() -> Source | None:
    """The scenario the Explore view works on: the uploaded file, else the chosen one."""
    upload = st.session_state.get("upload_data")
    if upload:
        name, content = upload
        return load_upload(name, content)
    files = _shipped()
    choice = st.session_state.get("source_choice", DEFAULT_FILE)
    path = files.get(choice) or files.get(DEFAULT_FILE) or next(iter(files.values()), None)
    return load_shipped(path) if path is not None else None


def advanced_keys(source: Source) -> dict[str, str]:
    return {name: f"adv:{source.ident}:{name}" for name in ("replications", "seed", "days")}


def reset_advanced(source: Source) -> None:
    """The Advanced settings back to the file's (for a Teach exercise)."""
    assert source.scenario is not None
    keys = advanced_keys(source)
    st.session_state[keys["replications"]] = DEFAULT_REPLICATIONS
    st.session_state[keys["seed"]] = int(source.scenario.run.seed)
    st.session_state[keys["days"]] = float(source.scenario.run.days)


def _choose() -> Source | None:
    files = _shipped()
    labels = list(files)
    if st.session_state.get("source_choice") not in files and labels:
        st.session_state["source_choice"] = DEFAULT_FILE if DEFAULT_FILE in files else labels[0]
    st.selectbox(
        "Scenario",
        labels,
        key="source_choice",
        help="A shipped scenario file (configs/). Each has comments giving the source of "
        "every number.",
    )
    upload = st.file_uploader(
        UPLOAD_LABEL,
        type=["toml", "json"],
        key=_upload_key(),
        on_change=_upload_changed,
        help="A scenario file of your own, checked as `nhsim validate` checks it. It may "
        "`extends` a shipped file by its name. It is read in a private folder and not kept.",
    )
    if upload is not None:
        st.session_state["upload_data"] = (upload.name, upload.getvalue())
    data = st.session_state.get("upload_data")
    if data and upload is None:
        st.info(f"Using the file uploaded earlier, {data[0]}.")
        st.button("Forget the uploaded file", on_click=forget_upload)
    elif data:
        st.caption(f"Using the uploaded file {data[0]} (remove it to use a shipped scenario).")
    return current_source()


def _advanced(source: Source) -> None:
    """The Advanced settings: replications, seed and days measured (for both sides)."""
    assert source.scenario is not None
    run = source.scenario.run
    keys = advanced_keys(source)
    with st.expander("Advanced"):
        if keys["replications"] not in st.session_state:
            st.session_state[keys["replications"]] = DEFAULT_REPLICATIONS
        st.number_input(
            "Replications",
            min_value=1,
            max_value=MAX_REPLICATIONS,
            step=1,
            key=keys["replications"],
            help="How many simulated years each side runs. More give narrower intervals "
            "(four times as many roughly halve them) and take longer.",
        )
        if keys["seed"] not in st.session_state:
            st.session_state[keys["seed"]] = int(run.seed)
        st.number_input(
            "Seed",
            min_value=0,
            step=1,
            key=keys["seed"],
            help="The random numbers' seed. The same seed gives the same results as "
            "`nhsim compare` with that seed.",
        )
        if keys["days"] not in st.session_state:
            st.session_state[keys["days"]] = float(run.days)
        st.number_input(
            "Days measured",
            min_value=1.0,
            step=1.0,
            key=keys["days"],
            help=f"Length of the measured period after {run.warmup_days:g} days' warm-up, "
            "for both sides. Counts are always per year.",
        )


def _knob_panels(source: Source, knobs: list[Knob]) -> None:
    assert source.scenario is not None
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Capacity")
        draw_knobs(source, knobs, "capacity")
        for note in unlimited_notes(source.scenario):
            st.caption(note)
    with right:
        st.subheader("Demand")
        draw_knobs(source, knobs, "demand")


def _run(source: Source, knobs: list[Knob], values: dict[str, Any]) -> None:
    n, seed, run_set = _advanced_values(source)
    changes = overrides(knobs, values)
    try:
        counterfactual = source.build(run_set)
        scenario = source.build(run_set + changes, rename=bool(changes))
    except ScenarioError as err:
        show_problems(err.problems)
        return
    bar = st.progress(0.0, text="Running the replications…")

    def progress(done: float) -> None:
        bar.progress(done, text=f"Running the replications… {100 * done:.0f}%")

    try:
        outcome, cached = run_cached(
            Request(counterfactual, scenario, n, seed), shared_pool(), shared_cache(), progress
        )
    except (RunFailed, BackendError) as err:
        bar.empty()
        st.error("The run failed: " + literal(str(err)))
        return
    bar.empty()
    run = ExploreRun(
        source, changes, run_set, describe(knobs, values), n, seed, outcome, cached=cached
    )
    st.session_state["explore_run"] = run
    st.session_state["last_run_cached"] = cached
    kept = st.session_state.setdefault("kept_runs", [])
    if all(k.outcome.key != outcome.key for k in kept):
        kept.append(run)


def _advanced_values(source: Source) -> tuple[int, int, list[str]]:
    assert source.scenario is not None
    keys = advanced_keys(source)
    run = source.scenario.run
    n = int(st.session_state.get(keys["replications"], DEFAULT_REPLICATIONS))
    seed = int(st.session_state.get(keys["seed"], run.seed))
    days = float(st.session_state.get(keys["days"], run.days))
    return n, seed, [] if days == float(run.days) else [f"run.days={days!r}"]


def render() -> None:
    st.header("Explore")
    st.write(
        "Choose a scenario, change its capacities or demand, and press **Run**. nhsim runs "
        "the file as it is and with your changes on the same random numbers, and shows what "
        "the changes avoid a year, each with its 95% interval."
    )
    source = _choose()
    if source is None:
        st.error(f"No scenario files found in {configs_dir()}.")
        return
    if not source.valid:
        st.error(f"{source.label} cannot be run:")
        show_problems(source.problems)
        st.button("Run", type="primary", disabled=True)
        return
    assert source.scenario is not None
    if source.scenario.description:
        st.caption(source.scenario.description)
    exercise = st.session_state.get("teach_exercise")
    if exercise:
        st.info(f"Set up for the exercise “{exercise}” (see Teach): press **Run**.")
    knobs = knobs_for(source.scenario)
    _knob_panels(source, knobs)
    _advanced(source)
    values = values_of(source, knobs)
    changed = describe(knobs, values)
    st.caption("Changes: " + "; ".join(changed) if changed else "No changes yet.")
    if st.button("Run", type="primary"):
        st.session_state.pop("teach_exercise", None)
        _run(source, knobs, values)
    run = st.session_state.get("explore_run")
    if run is not None:
        n, seed, run_set = _advanced_values(source)
        same = (
            run.source.ident == source.ident
            and run.overrides == overrides(knobs, values)
            and (run.replications, run.seed, run.run_overrides) == (n, seed, run_set)
        )
        if not same:
            st.info("The settings have changed since this run: press Run to see their results.")
        results_view.show(run)

"""The web app, in process with Streamlit's AppTest, and its plain-Python helpers.

What a teacher or planner relies on: the page offers one slider per capacity of the
chosen scenario; an uploaded file is checked with the command line's own messages and
cannot be run until it is valid; a Run shows exactly what ``compare`` (and ``nhsim
compare``) gives for the same files, seed and replications; the same Run asked twice
runs the model once; the scenario downloaded loads back to the scenario that ran; and
each Teach button sets its exercise up. The teaching scenario is small, so a run of a
few replications takes well under a second.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT
from streamlit.testing.v1 import AppTest

from sim import load_scenario
from sim.app import SCRIPT
from sim.app.capacities import knobs_for, overrides
from sim.app.downloads import results_csv, scenario_toml
from sim.app.exercises import EXERCISES
from sim.app.flows import Link, route_links, without_loops
from sim.app.runner import Request, RunCache, run_cached
from sim.app.sources import load_shipped, load_upload, shipped_files
from sim.app.summary import avoided_rows, fmt, interval_text, saturation_notes
from sim.app.tomlwriter import dumps
from sim.app.widgets import literal
from sim.app.work import SharedPool
from sim.cli.main import main as cli_main
from sim.runs import compare as compare_module
from sim.runs.compare import compare
from sim.scenario.loader import read_scenario_data

TEACHING = REPO_ROOT / "configs" / "teaching.toml"
NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
N = 3
"""Replications of the page's runs in these tests (the page's default is 10)."""

# --------------------------------------------------------------------------- helpers


def app() -> AppTest:
    at = AppTest.from_file(str(SCRIPT), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def by_label(widgets: Any, label: str) -> Any:
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, f"{len(found)} widgets labelled {label!r}"
    return found[0]


def run_button(at: AppTest) -> Any:
    return by_label(at.button, "Run")


def set_replications(at: AppTest, n: int) -> None:
    by_label(at.number_input, "Replications").set_value(n)
    at.run()


def press_run(at: AppTest) -> None:
    run_button(at).click()
    at.run()
    assert not at.exception, at.exception


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def pool() -> Any:
    pool = SharedPool(2)
    yield pool
    pool.shutdown()


# --------------------------------------------------------------------------- TOML writing


@pytest.mark.parametrize("path", shipped_files(REPO_ROOT / "configs"), ids=lambda p: p.name)
def test_every_shipped_scenario_written_as_toml_loads_back_the_same(
    path: Path, tmp_path: Path
) -> None:
    data, _ = read_scenario_data(path)
    out = tmp_path / "written.toml"
    out.write_text(dumps(data, "a header\nof two lines"), encoding="utf-8")
    assert load_scenario(out) == load_scenario(path)


def test_toml_values_are_exact() -> None:
    data = {"a": 0.1 + 0.2, "b": {"dist": "fixed", "mean": 1e-9}, "c": [1, 2.5], "d": 'say "hi"'}
    assert tomllib.loads(dumps(data)) == data


# --------------------------------------------------------------------------- knobs


def test_teaching_offers_a_slider_per_capacity_and_a_demand_multiplier() -> None:
    source = load_shipped(TEACHING)
    knobs = knobs_for(source.scenario)
    assert [k.label for k in knobs] == [
        "ucr: clinicians on duty",
        "ucr: opening hours",
        "virtual_ward: beds",
        "urgent_referrals: demand multiplier",
    ]
    staff = knobs[0]
    assert (staff.key, staff.default, staff.low, staff.high) == ("services.ucr.staff", 1, 0, 21)
    beds = knobs[2]
    assert (beds.default, beds.low, beds.high) == (2, 0, 22)
    assert all(k.help for k in knobs)


def test_every_capacity_of_the_neighbourhood_has_a_knob() -> None:
    scenario = load_scenario(NEIGHBOURHOOD)
    counts = {k.key for k in knobs_for(scenario) if k.kind == "count"}
    assert counts == {
        "services.hub.staff",
        "services.ucr.staff",
        "services.home_visiting.staff",
        "services.virtual_ward.beds",
        "services.reablement.beds",
        "services.ic_beds.beds",
        "services.acute.beds",
    }
    for k in knobs_for(scenario):
        if k.kind == "count":
            assert k.low == 0 and k.high == max(3 * k.default, k.default + 20)


def test_overrides_are_the_changes_only_and_load_as_the_cli_loads_them() -> None:
    source = load_shipped(NEIGHBOURHOOD)
    knobs = knobs_for(source.scenario)
    values = {k.key: k.default for k in knobs}
    assert overrides(knobs, values) == []
    values["services.ucr.staff"] = 3
    values["services.ucr.open_hours"] = "00-24"
    values["demand.walk_in.rate_per_1000"] = 1.5
    sets = overrides(knobs, values)
    assert sets[:2] == ["services.ucr.staff=3", 'services.ucr.open_hours="00-24"']
    assert sets[2].startswith("demand.walk_in.rate_per_1000={ under_65 = 300.0,")
    assert source.build(sets) == load_scenario(NEIGHBOURHOOD, sets)
    walk_in = source.build(sets).demand["walk_in"].rate_per_1000
    base = source.scenario.demand["walk_in"].rate_per_1000
    assert isinstance(walk_in, dict) and isinstance(base, dict)
    assert walk_in == {c: 1.5 * v for c, v in base.items()}


def test_a_roster_gets_a_scale_rounded_to_whole_clinicians() -> None:
    day = [0] * 8 + [1] * 12 + [2] * 4
    lines = TEACHING.read_text(encoding="utf-8").splitlines()
    lines = [x for x in lines if not x.startswith(("staff =", "open_hours ="))]
    at = lines.index('kind = "community_response"')
    lines.insert(at + 1, f"roster = {day * 7}")
    source = load_upload("rostered.toml", "\n".join(lines).encode())
    assert source.valid, source.problems
    (scale,) = [k for k in knobs_for(source.scenario) if k.kind == "scale"]
    assert scale.label == "ucr: roster scale"
    roster = source.build([scale.override(1.5)]).services["ucr"].roster
    assert roster[:24] == [0] * 8 + [2] * 12 + [3] * 4


# --------------------------------------------------------------------------- uploads


def test_an_upload_may_extend_a_shipped_file() -> None:
    text = b'extends = "teaching.toml"\nname = "two"\n[services.ucr]\nstaff = 2\n'
    source = load_upload("two.toml", text)
    assert source.valid, source.problems
    assert source.scenario == load_scenario(TEACHING, ["services.ucr.staff=2", 'name="two"'])
    assert not (REPO_ROOT / "configs" / "two.toml").exists()


def test_an_upload_is_reported_with_the_cli_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = TEACHING.read_text(encoding="utf-8").replace("staff = 1 ", "staf = 1 ")
    bad = bad.replace("target_hours = 2.0", "target_hours = -2.0")
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli_main(["validate", "bad.toml"]) == 2
    cli_lines = capsys.readouterr().err.strip().splitlines()
    source = load_upload("bad.toml", bad.encode())
    assert not source.valid
    assert [str(p) for p in source.problems] == cli_lines
    assert any("did you mean 'staff'" in line for line in cli_lines)


def test_an_upload_that_is_not_toml_names_the_file() -> None:
    source = load_upload("notes.toml", b"this is [not toml\n")
    assert not source.valid
    assert str(source.problems[0]).startswith("notes.toml: not valid TOML")


# --------------------------------------------------------------------------- flows and summaries


def test_flows_keep_patients_through_each_service() -> None:
    scenario = load_scenario(TEACHING)
    results = compare_module.compare(scenario, scenario, 2, 7, workers=1).scenario
    means = {m: iv.mean for m, iv in results.summary().items()}
    links = route_links(scenario, means)
    inflow: dict[str, float] = {}
    outflow: dict[str, float] = {}
    for link in links:
        outflow[link.source] = outflow.get(link.source, 0.0) + link.value
        inflow[link.target] = inflow.get(link.target, 0.0) + link.value
    assert outflow["urgent_referrals (demand)"] == means["ucr.referrals"]
    # every patient who comes to a service leaves it by a route drawn (a few may still be
    # in a queue or a bed when the run ends)
    for svc in ("ucr", "virtual_ward", "ambulance", "ed", "acute"):
        assert inflow[svc] == pytest.approx(outflow[svc], abs=0.05 * inflow[svc] + 10), svc


def test_a_route_back_goes_to_a_second_node() -> None:
    links = [
        Link("demand", "ward", 10, ""),
        Link("ward", "acute", 4, ""),
        Link("acute", "ward", 2, ""),
        Link("acute", "home", 2, ""),
    ]
    drawn = without_loops(links)
    assert [(x.source, x.target) for x in drawn] == [
        ("demand", "ward"),
        ("ward", "acute"),
        ("acute", "ward (again)"),
        ("acute", "home"),
    ]


def test_messages_are_shown_as_written() -> None:
    assert literal("x: must be >= 0, got -2") == "`x: must be >= 0, got -2`"
    assert literal("a `b` c") == "``a `b` c``"
    assert literal("`b`") == "`` `b` ``"


def test_occupancy_bands_average_a_week_then_take_percentiles_over_replications() -> None:
    import numpy as np

    from sim.app.work import bands, rolling_mean

    days = np.arange(20, dtype=float)
    smooth = rolling_mean(days[None, :], 7)[0]
    assert smooth[0] == 0 and smooth[3] == 1.5  # the mean of 0..3 at the start
    assert smooth[10] == np.mean(days[4:11])  # then the last seven days
    traces = [{"ward": [k] * 30} for k in range(11)]  # replication k has k beds in use
    got = bands(traces)["ward"]
    assert got["median"] == [5.0] * 30
    assert got["p10"] == [1.0] * 30 and got["p90"] == [9.0] * 30


def test_saturation_is_noted_for_a_full_service() -> None:
    scenario = load_scenario(TEACHING, ["services.virtual_ward.beds=1", "run.days=60"])
    comparison = compare(scenario, scenario, 2, 3, workers=1)
    occupancy = comparison.scenario.interval("virtual_ward.occupancy").mean
    notes = saturation_notes(comparison)
    assert (occupancy >= 0.95) == any(n.startswith("virtual_ward is") for n in notes)
    overloaded = load_scenario(TEACHING, ["services.ucr.staff=0", "run.days=60"])
    busy = compare(overloaded, overloaded, 2, 3, workers=1)
    assert not any(n.startswith("ucr is") for n in saturation_notes(busy))  # no one on duty


def test_unplanned_visits_shown_only_where_the_metric_exists() -> None:
    scenario = load_scenario(TEACHING, ["run.days=60"])
    comparison = compare(scenario, scenario, 2, 3, workers=1)
    labels = [r.label for r in avoided_rows(comparison)]
    assert labels[-1] == (
        "Unplanned hospital visits avoided"
        if "unplanned.hospital_visits" in comparison.scenario.metric_names()
        else "ED attendances avoided"
    )
    for rep in comparison.scenario.replications + comparison.counterfactual.replications:
        rep.setdefault("unplanned.hospital_visits", rep["ed.attendances"] + 1.0)
    assert [r.label for r in avoided_rows(comparison)][-1] == "Unplanned hospital visits avoided"


# --------------------------------------------------------------------------- runner and cache


def test_cached_runs_equal_compare_and_run_once(pool: SharedPool) -> None:
    source = load_shipped(TEACHING)
    counterfactual = source.build(["run.days=90"])
    scenario = source.build(["run.days=90", "services.ucr.staff=2"], rename=True)
    cache = RunCache()
    seen: list[float] = []
    outcome, cached = run_cached(Request(counterfactual, scenario, 4, 11), pool, cache, seen.append)
    assert not cached and cache.computed == 1 and seen[-1] == 1.0
    again, cached = run_cached(Request(counterfactual, scenario, 4, 11), pool, cache)
    assert cached and again is outcome and cache.computed == 1
    reference = compare(counterfactual, scenario, 4, 11, workers=1)
    assert outcome.comparison.scenario.replications == reference.scenario.replications
    assert outcome.comparison.counterfactual.replications == reference.counterfactual.replications
    assert set(outcome.bands["scenario"]) == {"virtual_ward", "acute"}
    band = outcome.bands["scenario"]["virtual_ward"]
    assert len(band["median"]) == 90 and all(
        lo <= mid <= hi for lo, mid, hi in zip(band["p10"], band["median"], band["p90"])
    )
    _, cached = run_cached(Request(counterfactual, scenario, 4, 12), pool, cache)
    assert not cached and cache.computed == 2


# --------------------------------------------------------------------------- the page


def test_the_page_offers_the_views_and_a_slider_per_capacity() -> None:
    at = app()
    assert at.sidebar.radio[0].options == ["Explore", "Compare", "Watch", "Teach", "About"]
    assert [s.label for s in at.slider] == [
        "ucr: clinicians on duty",
        "virtual_ward: beds",
        "urgent_referrals: demand multiplier",
    ]
    assert by_label(at.slider, "ucr: clinicians on duty").value == 1
    assert by_label(at.number_input, "ucr: clinicians on duty").value == 1
    by_label(at.selectbox, "Scenario").set_value("configs/neighbourhood_50k.toml")
    at.run()
    labels = [s.label for s in at.slider]
    for name in ("hub", "ucr", "home_visiting"):
        assert f"{name}: clinicians on duty" in labels
    for name in ("virtual_ward", "reablement", "ic_beds", "acute"):
        assert f"{name}: beds" in labels
    assert by_label(at.slider, "acute: beds").value == 92


def test_slider_and_number_box_move_together_without_running_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = compare_module.compare
    monkeypatch.setattr(compare_module, "compare", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = app()
    by_label(at.slider, "ucr: clinicians on duty").set_value(3)
    at.run()
    assert by_label(at.number_input, "ucr: clinicians on duty").value == 3
    by_label(at.number_input, "virtual_ward: beds").set_value(5)
    at.run()
    assert by_label(at.slider, "virtual_ward: beds").value == 5
    assert not calls and not at.metric


def test_a_run_shows_what_compare_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    at = app()
    set_replications(at, N)
    by_label(at.slider, "ucr: clinicians on duty").set_value(2)
    at.run()
    press_run(at)
    reference = compare(
        load_scenario(TEACHING), load_scenario(TEACHING, ["services.ucr.staff=2"]), N, 42
    )
    shown = metrics(at)
    visits = (
        ("Unplanned hospital visits avoided", "unplanned.hospital_visits")
        if "unplanned.hospital_visits" in reference.scenario.metric_names()
        else ("ED attendances avoided", "ed.attendances")
    )
    for label, metric in (
        ("Conveyances avoided", "ambulance.conveyances"),
        ("Admissions avoided", "admissions.total"),
        ("Short stays avoided", "admissions.short_stay"),
        ("Bed days avoided", "acute.bed_days"),
        visits,
    ):
        assert shown[label] == fmt(reference.avoided(metric).mean), label
        assert interval_text(reference.avoided(metric)) in [c.value for c in at.caption]
    within = reference.scenario.interval("ucr.seen_within_target").mean
    assert shown["ucr: reached within 2 hours"] == f"{100 * within:.1f}%"
    run = at.session_state["explore_run"]
    assert run.comparison.scenario.replications == reference.scenario.replications
    assert run.comparison.counterfactual.replications == reference.counterfactual.replications
    assert len(at.get("plotly_chart")) == 2  # occupancy bands and where patients went

    # a second identical Run is answered from the cache: the model is not called again
    calls: list[int] = []
    real = compare_module.compare
    monkeypatch.setattr(compare_module, "compare", lambda *a, **k: calls.append(1) or real(*a, **k))
    press_run(at)
    assert at.session_state["last_run_cached"] is True and not calls
    assert metrics(at) == shown


def test_results_equal_the_command_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = app()
    set_replications(at, N)
    by_label(at.slider, "virtual_ward: beds").set_value(4)
    at.run()
    press_run(at)
    out = tmp_path / "cli"
    argv = ["compare", str(TEACHING), "--set", "services.virtual_ward.beds=4"]
    assert cli_main([*argv, "-n", str(N), "--out", str(out), "-q", "--no-plots"]) == 0
    capsys.readouterr()
    run = at.session_state["explore_run"]
    assert results_csv(run.comparison) == (out / "comparison.csv").read_text(encoding="utf-8")


def test_the_downloaded_scenario_loads_back_to_the_one_that_ran(tmp_path: Path) -> None:
    at = app()
    set_replications(at, N)
    by_label(at.slider, "ucr: clinicians on duty").set_value(2)
    by_label(at.selectbox, "ucr: opening hours").set_value("08-22")
    by_label(at.slider, "urgent_referrals: demand multiplier").set_value(1.2)
    at.run()
    press_run(at)
    labels = [b.label for b in at.get("download_button")]
    for label in (
        "Download scenario (TOML)",
        "Download results (CSV)",
        "Download report (HTML)",
        "Download report (PDF)",
    ):
        assert label in labels
    run = at.session_state["explore_run"]
    assert len(run.overrides) == 3
    text = scenario_toml(run.source, run.run_overrides + run.overrides, "test", run.changes)
    (tmp_path / "saved.toml").write_text(text, encoding="utf-8")
    assert load_scenario(tmp_path / "saved.toml") == run.comparison.scenario.scenario
    assert "--set services.ucr.staff=2" in text


def test_a_valid_upload_enables_run_and_a_bad_one_shows_the_cli_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at = app()
    good = b'extends = "teaching.toml"\nname = "mine"\n[services.ucr]\nstaff = 2\n'
    at.get("file_uploader")[0].set_value(("mine.toml", good, "application/toml"))
    at.run()
    assert not at.exception and not at.error
    assert not run_button(at).disabled
    assert by_label(at.slider, "ucr: clinicians on duty").value == 2

    bad = TEACHING.read_text(encoding="utf-8").replace("staff = 1 ", "staff = -2 ")
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli_main(["validate", "bad.toml"]) == 2
    expected = capsys.readouterr().err.strip().splitlines()
    assert expected == ["bad.toml: services.ucr.staff: must be >= 0, got -2"]
    at.get("file_uploader")[0].set_value(("bad.toml", bad.encode(), "application/toml"))
    at.run()
    assert not at.exception
    assert literal(expected[0]) in [e.value for e in at.error]  # shown as written, not as Markdown
    assert run_button(at).disabled
    assert not [s for s in at.slider]


@pytest.mark.parametrize("index", range(len(EXERCISES)))
def test_each_teach_exercise_sets_up_the_teaching_scenario(index: int) -> None:
    exercise = EXERCISES[index]
    at = app()
    by_label(at.selectbox, "Scenario").set_value("configs/neighbourhood_50k.toml")
    at.run()
    at.sidebar.radio[0].set_value("Teach")
    at.run()
    assert [b.label for b in at.button] == [e.button for e in EXERCISES]
    at.button(key=f"teach-{index}").click()
    at.run()
    assert at.sidebar.radio[0].value == "Explore"
    assert by_label(at.selectbox, "Scenario").value == "configs/teaching.toml"
    source = load_shipped(TEACHING)
    knobs = knobs_for(source.scenario)
    expected = {k.key: exercise.values.get(k.key, k.default) for k in knobs}
    set_replications(at, N)
    press_run(at)
    run = at.session_state["explore_run"]
    assert run.overrides == overrides(knobs, expected)
    assert len(run.overrides) == 1
    assert run.comparison.scenario.scenario == load_scenario(TEACHING, run.overrides).model_copy(
        update={"name": "teaching-variant"}
    )


def test_compare_keeps_runs_side_by_side_and_removes_them() -> None:
    at = app()
    set_replications(at, N)
    for staff in (2, 3):
        by_label(at.slider, "ucr: clinicians on duty").set_value(staff)
        at.run()
        press_run(at)
    at.sidebar.radio[0].set_value("Compare")
    at.run()
    assert not at.exception
    side_by_side = at.table[0].value
    assert list(side_by_side.columns) == ["", "1. teaching-variant", "2. teaching-variant"]
    assert "Conveyances avoided" in list(side_by_side[""])
    assert len(at.table) == 2  # and the differences from the first
    by_label(at.button, "Remove 1. teaching-variant").click()
    at.run()
    assert list(at.table[0].value.columns) == ["", "1. teaching-variant"]
    by_label(at.button, "Clear all").click()
    at.run()
    assert not at.table and at.session_state["kept_runs"] == []


def test_choices_survive_a_visit_to_another_view() -> None:
    at = app()
    by_label(at.slider, "ucr: clinicians on duty").set_value(4)
    at.run()
    at.sidebar.radio[0].set_value("About")
    at.run()
    assert any("nhsim " in m.value for m in at.markdown)
    at.sidebar.radio[0].set_value("Explore")
    at.run()
    assert by_label(at.slider, "ucr: clinicians on duty").value == 4


def test_watch_animates_the_chosen_scenario_with_its_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import plotly.graph_objects as go

    import sim.app.views.watch as watch
    from sim.app.downloads import animation_available

    asked: list[tuple[Any, int, float]] = []

    def fake_animate(scenario: Any, seed: int, days: float) -> Any:
        asked.append((scenario, seed, days))
        return go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))

    monkeypatch.setattr(watch, "_animate", fake_animate)
    monkeypatch.setattr(watch.downloads, "animation_available", lambda: True)
    at = app()
    by_label(at.slider, "virtual_ward: beds").set_value(3)
    at.run()
    at.sidebar.radio[0].set_value("Watch")
    at.run()
    assert not at.exception
    by_label(at.slider, "Days to watch").set_value(2)
    at.run()
    by_label(at.button, "Animate").click()
    at.run()
    assert not at.exception
    ((scenario, seed, days),) = asked
    assert scenario == load_scenario(TEACHING, ["services.virtual_ward.beds=3"]).model_copy(
        update={"name": "teaching-variant"}
    )
    assert (seed, days) == (42, 2.0)
    assert len(at.get("plotly_chart")) == 1
    assert "Download animation (HTML)" in [b.label for b in at.get("download_button")]
    monkeypatch.undo()
    at = app()
    at.sidebar.radio[0].set_value("Watch")
    at.run()
    assert by_label(at.button, "Animate").disabled is (not animation_available())


def test_a_failed_run_is_said_in_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.runs.tasks import RunFailed

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RunFailed({"task": "ValueError: a worker failed"}, {})

    at = app()
    set_replications(at, N)
    by_label(at.slider, "ucr: clinicians on duty").set_value(5)
    at.run()
    monkeypatch.setattr(compare_module, "compare", failing)
    press_run(at)
    assert any(e.value.startswith("The run failed: `1 task(s) failed") for e in at.error)
    assert not at.metric


# --------------------------------------------------------------------------- nhsim app


def test_nhsim_app_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.cli.app as cli_app

    monkeypatch.setattr(cli_app, "missing_packages", lambda: ["streamlit"])
    assert cli_main(["app"]) == 2
    err = capsys.readouterr().err
    assert "pip install -e '.[app]'" in err and "Traceback" not in err


def test_nhsim_app_serves_the_page_with_telemetry_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.cli.app as cli_app

    started: list[list[str]] = []

    class FakeServer:
        def __init__(self, command: list[str], env: dict[str, str]) -> None:
            started.append(command)
            assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(cli_app.subprocess, "Popen", FakeServer)
    assert cli_main(["app", "--port", "8642"]) == 0
    (command,) = started
    assert command[1:5] == ["-m", "streamlit", "run", str(SCRIPT)]
    for flag in (
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--server.port=8642",
        "--server.address=127.0.0.1",
    ):
        assert flag in command

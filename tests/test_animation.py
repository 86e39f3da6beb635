"""The animation: nhsim's event log turned into vidigi's, and the figure drawn from it.

The adapter is checked against the engine itself: every vidigi row comes from a logged
movement, each patient arrives and departs once inside the window, resource numbers
stay within the clinicians on shift and the beds, queue rows count the UCR waits, and
the beds in use at each midnight are the engine's own daily occupancy trace.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import numpy as np
import pytest

from sim import load_scenario
from sim.engine import run_replication
from sim.engine.calendar import HOURS_PER_WEEK
from sim.engine.roster import week_roster
from sim.engine.streams import replication_seeds
from sim.output.vidigi_log import (
    ARRIVAL,
    DELAYED,
    DEPART,
    ESCALATED,
    WINDOW_END,
    WINDOW_START,
    LogRow,
    capacities,
    layout,
    record_window,
    stages,
    to_vidigi,
    window,
)
from sim.scenario.model import ClinicalHub, CommunityResponse

CONFIG = "configs/neighbourhood_50k.toml"
HOLD_MINUTES = 20.0
DAYS = 4.0


def _replay(overrides: list[str] | None = None, days: float = DAYS):
    scenario = load_scenario(CONFIG, overrides or [])
    seed = replication_seeds(scenario.run.seed, 1)[0]
    start, end = window(scenario, days)
    rows = record_window(scenario, seed, end)
    return scenario, seed, start, end, rows, to_vidigi(rows, scenario, start, end, HOLD_MINUTES)


@pytest.fixture(scope="module")
def shipped():
    return _replay()


@pytest.fixture(scope="module")
def pressed():
    """Few acute and virtual ward beds (patients wait in the ED for a bed) and a UCR team
    that escalates after half an hour: every stage and status is used."""
    return _replay(
        [
            "services.acute.beds=81",
            "services.virtual_ward.beds=4",
            "services.ucr.patience_hours=0.5",
        ]
    )


CASES = ["shipped", "pressed"]


def test_record_window_is_the_replication_up_to_the_end(shipped) -> None:
    scenario, seed, _, end, rows, _ = shipped
    whole: list[LogRow] = []
    run_replication(scenario, seed, log=lambda *row: whole.append(LogRow(*row[:5])))
    assert rows == [r for r in whole if r.time_hours <= end]
    assert rows[-1].time_hours <= end < whole[-1].time_hours


@pytest.mark.parametrize("case", CASES)
def test_every_row_comes_from_a_logged_movement(case, request) -> None:
    scenario, _, start, end, rows, vrows = request.getfixturevalue(case)
    logged = {(r.time_hours, r.patient, r.service, r.event) for r in rows}
    hold = HOLD_MINUTES / 60.0
    for v in vrows:
        assert start * 60 <= v.time <= end * 60
        if v.source_event == WINDOW_START:
            assert v.time == start * 60 and v.event_type in (
                "arrival_departure",
                "queue",
                "resource_use",
            )
            continue
        if v.source_event == WINDOW_END:
            assert v.time == end * 60 and v.event == DEPART
            continue
        assert (v.source_time_hours, v.source_patient, v.source_service, v.source_event) in logged
        assert start <= v.source_time_hours <= end
        if v.source_patient != v.entity_id:  # a bed freed by one patient, taken by another
            assert v.event == "acute.bed" and v.event_type == "resource_use"
        # drawn when it happened, or up to one ED hold later (never before)
        assert v.source_time_hours - 1e-9 <= v.time / 60 <= v.source_time_hours + hold + 1e-9
    # every patient who moves in the window is drawn
    moved = {r.patient for r in rows if start <= r.time_hours <= end}
    assert moved <= {v.entity_id for v in vrows}
    # stages are on the layout; times never go back for a patient
    placed = {row["event"] for row in layout(scenario)}
    by_patient = defaultdict(list)
    for v in vrows:
        assert v.event in placed
        by_patient[v.entity_id].append(v.time)
    assert all(times == sorted(times) for times in by_patient.values())


@pytest.mark.parametrize("case", CASES)
def test_each_patient_arrives_and_departs_once_inside_the_window(case, request) -> None:
    _, _, start, _end, rows, vrows = request.getfixturevalue(case)
    first_seen = {}
    for r in rows:
        first_seen.setdefault(r.patient, r.time_hours)
    arrivals = Counter(v.entity_id for v in vrows if v.event == ARRIVAL)
    departs = Counter(v.entity_id for v in vrows if v.event == DEPART)
    entities = {v.entity_id for v in vrows}
    assert set(arrivals) == set(departs) == entities
    assert set(arrivals.values()) == set(departs.values()) == {1}
    for v in vrows:
        if v.event == ARRIVAL:
            # cut at the window's start exactly when the patient came before it
            assert (v.source_event == WINDOW_START) == (first_seen[v.entity_id] < start)
    ordered = defaultdict(list)
    for v in vrows:
        ordered[v.entity_id].append(v.event)
    assert all(ev[0] == ARRIVAL and ev[-1] == DEPART for ev in ordered.values())


def _on_shift(spec: CommunityResponse | ClinicalHub, warmup_hours: float, t: float) -> int:
    week = week_roster(spec)  # type: ignore[arg-type]
    return int(week[math.floor(t - warmup_hours) % HOURS_PER_WEEK])


@pytest.mark.parametrize("case", CASES)
def test_resource_numbers_stay_within_capacity(case, request) -> None:
    scenario, _, start, _, _, vrows = request.getfixturevalue(case)
    caps = capacities(scenario)
    held: dict[tuple[str, int], int] = {}
    used = Counter()
    for v in vrows:
        if v.event_type == "resource_use":
            assert v.resource_id is not None and 1 <= v.resource_id <= caps[v.event]
            used[v.event] += 1
            spec = scenario.services[v.event.split(".")[0]]
            if isinstance(spec, (CommunityResponse, ClinicalHub)) and v.source_event in (
                "visit_start",
                "hub_answered",
            ):
                assert v.resource_id <= _on_shift(spec, start, v.source_time_hours)
            key = (v.event, v.resource_id)
            assert held.get(key, v.entity_id) == v.entity_id  # nobody else holds it
            held[key] = v.entity_id
        elif v.event_type == "resource_use_end":
            assert held.pop((v.event, v.resource_id)) == v.entity_id
    assert {"ucr.visit", "acute.bed", "virtual_ward.bed"} <= set(used)


@pytest.mark.parametrize("case", CASES)
def test_queue_rows_count_the_ucr_waits(case, request) -> None:
    _, _, start, _end, rows, vrows = request.getfixturevalue(case)
    waiting_at_start: set[int] = set()
    for r in rows:
        if r.time_hours >= start:
            break
        if r.service == "ucr" and r.event == "referred":
            waiting_at_start.add(r.patient)
        elif r.service == "ucr" and r.event in ("visit_start", "escalated"):
            waiting_at_start.discard(r.patient)
    referred = [
        r for r in rows if r.service == "ucr" and r.event == "referred" and start <= r.time_hours
    ]
    queued = [v for v in vrows if v.event_type == "queue" and v.event == "ucr.wait"]
    assert len(queued) == len(referred) + len(waiting_at_start)
    assert sum(v.source_event == WINDOW_START for v in queued) == len(waiting_at_start)
    assert len(referred) > 0


@pytest.mark.parametrize("case", CASES)
def test_beds_in_use_at_midnight_are_the_engines(case, request) -> None:
    scenario, seed, start, end, _, vrows = request.getfixturevalue(case)
    trace = run_replication(scenario, seed, trace=True).occupancy_trace
    for day in range(1, int((end - start) // 24)):
        t = (start + 24 * day) * 60
        last = {}
        for v in vrows:
            if v.time <= t:
                last[v.entity_id] = v
        in_bed = Counter(v.event for v in last.values() if v.event_type == "resource_use")
        for pool, levels in trace.items():
            assert in_bed[f"{pool}.bed"] == levels[day], (pool, day)


def test_patients_waiting_in_ed_for_a_bed_and_statuses(pressed) -> None:
    _, _, _start, _, rows, vrows = pressed
    assert any(v.event == "acute.boarding" for v in vrows)
    escalated_at = {r.patient: r.time_hours for r in rows if r.event == "escalated"}
    later = [v for v in vrows if v.entity_id in escalated_at and v.event != ARRIVAL]
    later = [v for v in later if v.source_time_hours > escalated_at[v.entity_id]]
    assert later and all(v.status in (ESCALATED, DELAYED) for v in later)
    assert any(v.status == DELAYED for v in vrows)


def test_layout_places_every_stage_once() -> None:
    scenario = load_scenario(CONFIG)
    table = layout(scenario)
    events = [row["event"] for row in table]
    assert len(events) == len(set(events))
    assert set(events) == {s.event for s in stages(scenario)} | {ARRIVAL, DEPART}
    resourced = {row["event"]: row["resource"] for row in table if row["resource"]}
    assert resourced.keys() == capacities(scenario).keys()
    assert capacities(scenario)["acute.bed"] == scenario.services["acute"].beds


@pytest.mark.parametrize("days", [0, -1.0, math.nan, math.inf, "3"])
def test_bad_window_is_refused(days) -> None:
    scenario = load_scenario(CONFIG)
    with pytest.raises(ValueError, match="days must be"):
        window(scenario, days)


# -- the figure and the page ------------------------------------------------------------


@pytest.fixture(scope="module")
def figure():
    pytest.importorskip("vidigi", reason="needs the app extra: pip install -e '.[app]'")
    from sim.output.animation import animate

    scenario = load_scenario(CONFIG)
    return animate(scenario, scenario.run.seed, days=3.0)


def test_animate_returns_a_figure_with_frames(figure) -> None:
    from sim.output.animation import FRAME_MINUTES

    assert len(figure.frames) == 3 * 24 * 60 // FRAME_MINUTES + 1
    names = [f.name for f in figure.frames]
    assert names[0] == "Mon 01 Jan 00:00" and len(set(names)) == len(names)
    shown = [
        np.count_nonzero(~np.isnan(np.asarray(t.x, dtype=float))) for t in figure.frames[40].data
    ]
    assert sum(shown) > 50  # acute beds alone hold dozens


def test_standalone_page_is_self_contained_and_small(figure) -> None:
    from sim.output.animation import standalone_html

    page = standalone_html(figure)
    assert len(page.encode("utf-8")) <= 10 * 1024 * 1024
    assert "Plotly.newPlot" in page or "Plotly.react" in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert not re.search(r"@import|@font-face", page)
    assert not re.search(r"url\(\s*['\"]?https?://", page)

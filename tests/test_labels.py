"""The metric-name table (``sim/output/labels.py``) and the metrics reference agree.

- ``docs/reference/metrics.md``'s "Labels on figures and tables" section is exactly
  what ``markdown_table()`` writes;
- every metric pattern the reference documents has a label;
- every metric a shipped scenario produces finds its row (no fallback to internal names);
- numbers are written for a board: thousands separators, percentages, £, never "-0".
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from conftest import REPO_ROOT

from sim.output.labels import (
    METRIC_LABELS,
    SECTION_END,
    SECTION_START,
    has_label,
    interval_text,
    key_label,
    label,
    markdown_table,
    number,
    unit_of,
)
from sim.runs.simulate import simulate
from sim.scenario import load_scenario

METRICS_MD = REPO_ROOT / "docs" / "reference" / "metrics.md"


def _reference() -> tuple[str, str]:
    """(the labels section, the rest of the metrics reference)."""
    text = METRICS_MD.read_text(encoding="utf-8")
    start, end = text.index(SECTION_START), text.index(SECTION_END) + len(SECTION_END) + 1
    return text[start:end], text[:start] + text[end:]


def test_metrics_reference_carries_the_label_table() -> None:
    section, _ = _reference()
    assert section == markdown_table(), (
        "docs/reference/metrics.md's labels section is out of date: run "
        "`python -m sim.output.labels docs/reference/metrics.md`"
    )


def _documented_patterns() -> set[str]:
    """The metric names in the first column of the reference's tables (outside the labels)."""
    _, rest = _reference()
    rules = {"avoided.<metric>", "reduction.<metric>", "<metric>.by_cohort.<cohort>"}  # by rule
    return set(re.findall(r"^\| `([^`]+)` \|", rest, flags=re.MULTILINE)) - rules


def test_every_documented_metric_has_a_label() -> None:
    documented = _documented_patterns()
    labelled = {row.pattern for row in METRIC_LABELS}
    assert len(documented) > 50, "no metric tables found in docs/reference/metrics.md"
    assert not documented - labelled, f"no label for: {sorted(documented - labelled)}"


def test_labels_of_the_headline_metrics() -> None:
    scenario = load_scenario(REPO_ROOT / "configs" / "neighbourhood_50k.toml")
    assert label("ambulance.conveyances", scenario) == "Ambulance conveyances (a year)"
    assert label("ucr.seen_within_target", scenario) == "UCR: seen within 2 hours"
    assert (
        label("home_visiting.seen_within_target", scenario) == "Home visiting: seen within 6 hours"
    )
    assert label("acute.bed_days", scenario) == "Acute bed days (a year)"
    assert label("admissions.total") == "Emergency admissions (a year)"
    assert label("avoided.admissions.total") == "Emergency admissions avoided (a year)"
    assert label("virtual_ward.occupancy", scenario) == "Virtual ward: occupancy"
    assert unit_of("virtual_ward.occupancy", scenario) == "share"
    assert unit_of("acute.bed_days") == "bed days"
    assert key_label("services.ucr.staff") == "UCR clinicians on duty"
    assert key_label("services.virtual_ward.beds") == "Virtual ward beds"


def test_a_service_is_labelled_by_its_kind_not_its_name() -> None:
    """The same measure means different things for different kinds: the scenario decides."""
    scenario = SimpleNamespace(
        services={"crews": SimpleNamespace(kind="ambulance"), "desk": SimpleNamespace(kind="hub")}
    )
    assert label("crews.calls", scenario) == "Crews: 999 calls (a year)"
    assert label("desk.calls", scenario) == "Desk: calls from crews (a year)"


def test_every_metric_of_a_shipped_scenario_has_a_row() -> None:
    scenario = load_scenario(
        REPO_ROOT / "configs" / "neighbourhood_50k.toml", ["run.days=20", "run.warmup_days=2"]
    )
    metrics = simulate(scenario, 1)
    missing = [m for m in metrics if not has_label(m, scenario)]
    assert not missing, f"metrics with no row in the label table: {missing}"
    for m in metrics:
        text = label(m, scenario)
        assert m not in text and "_" not in text, (m, text)


@pytest.mark.parametrize(
    ("value", "unit", "signed", "expected"),
    [
        (1_234_567, "patients", False, "1,234,567"),
        (33.95, "patients", False, "34"),
        (7.95, "admissions", False, "8.0"),
        (0.7, "share", False, "70%"),
        (0.0412, "share", False, "4.1%"),
        (0.02, "share", True, "+2.0 pts"),
        (-0.02, "share", True, "\u22122.0 pts"),
        (135_576, "£", False, "£136,000"),
        (-2_450.4, "£", False, "\u2212£2,450"),
        (3.2e7, "£", False, "£32.0m"),
        (10.0, "beds", False, "10"),
        (2.5, "hours", False, "2.5"),
    ],
)
def test_numbers_for_a_board(value: float, unit: str, signed: bool, expected: str) -> None:
    assert number(value, unit, signed=signed) == expected


@pytest.mark.parametrize("unit", ["", "patients", "bed days", "£", "share", "hours"])
@pytest.mark.parametrize("value", [-0.0, -1e-12, -0.0004, -0.04, -0.4])
def test_no_minus_zero(value: float, unit: str) -> None:
    for signed in (False, True):
        text = number(value, unit, signed=signed)
        assert not re.fullmatch(r"[\u2212+-]£?0(\.0+)?(%| pts|m)?", text), (value, unit, text)


def test_interval_of_a_difference_in_percentage_points() -> None:
    assert interval_text(0.088, 0.098, "share", signed=True) == "(+8.8 to +9.8 pts)"
    assert interval_text(-74.2, -4.8, "admissions") == "(\u221274 to \u22124.8)"

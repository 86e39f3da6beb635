"""The web app in a real browser: Chromium driven by Playwright against ``nhsim app``'s page.

What a teacher or planner does, checked end to end: choose a scenario, move a slider,
press Run, read the avoided figures (equal to ``sim.runs.compare.compare`` for the same
seed and replications), watch the animation play, download the results, and upload a
broken scenario file to see the command line's own message instead of a crash. The
run saves a screenshot of each view into ``docs/images/app/`` for the guides.

Without Chromium these tests are skipped (with the command that enables them); with
``CI=true`` a missing browser fails the run instead.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser.launch import (
    CHROMIUM_ARGS,
    ENABLE_HINT,
    BrowserDecision,
    ci_requested,
    decide,
    find_chromium,
    serve_app,
)
from browser.page import (
    RUN_SECONDS,
    alerts,
    assert_no_traceback,
    captions,
    choose,
    metrics,
    open_view,
    press_run,
    screenshot,
    set_number,
    set_slider,
)
from conftest import REPO_ROOT
from playwright.sync_api import Page, Route, expect, sync_playwright

from sim import load_scenario
from sim.app.exercises import EXERCISES
from sim.app.summary import avoided_rows, fmt, interval_text
from sim.cli.app import streamlit_command
from sim.runs.compare import Comparison, compare

# --------------------------------------------------------------------------- the browser rule


def test_a_browser_found_is_used_in_ci_and_out_of_it() -> None:
    for ci in (False, True):
        decision = decide("/opt/chromium/chrome", ci=ci)
        assert decision == BrowserDecision(
            "run", "/opt/chromium/chrome", "browser tests use /opt/chromium/chrome"
        )


def test_without_a_browser_a_developer_is_told_how_to_enable_the_tests() -> None:
    decision = decide(None, ci=False)
    assert decision.action == "skip"
    assert decision.executable is None
    assert ENABLE_HINT in decision.message and "skipped" in decision.message


def test_without_a_browser_ci_fails_rather_than_skips() -> None:
    decision = decide(None, ci=True)
    assert decision.action == "fail"
    assert ENABLE_HINT in decision.message and "CI=true" in decision.message


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CI": "true"}, True),
        ({"CI": "TRUE"}, True),
        ({"CI": "1"}, True),
        ({"CI": "yes"}, True),
        ({"CI": "false"}, False),
        ({"CI": "0"}, False),
        ({"CI": ""}, False),
        ({}, False),
    ],
)
def test_ci_is_read_from_the_environment(env: dict[str, str], expected: bool) -> None:
    assert ci_requested(env) is expected


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_chromium_is_looked_for_on_the_path_then_at_debians_place(tmp_path: Path) -> None:
    on_path = _executable(tmp_path / "chromium")
    fallback = _executable(tmp_path / "debian-chromium")
    missing = str(tmp_path / "nowhere")
    assert find_chromium({"PATH": str(tmp_path)}, fallback=missing) == str(on_path)
    assert find_chromium({"PATH": missing}, fallback=str(fallback)) == str(fallback)
    assert find_chromium({"PATH": missing}, fallback=missing) is None
    assert find_chromium({}, fallback=missing) is None


def test_a_chosen_chromium_must_exist(tmp_path: Path) -> None:
    chosen = _executable(tmp_path / "my-chrome")
    on_path = _executable(tmp_path / "chromium")
    env = {"PATH": str(on_path.parent)}
    assert find_chromium({**env, "NHSIM_CHROMIUM": str(chosen)}) == str(chosen)
    assert find_chromium({**env, "NHSIM_CHROMIUM": str(tmp_path / "gone")}) is None


# --------------------------------------------------------------------------- the app in a browser
#
# One app server and one browser for the module; the tests below share one page (one
# Streamlit session) and run in the order written. A few replications of a short
# measured period keep it quick; with NHSIM_SCREENSHOTS=1 the run uses the app's own
# defaults (10 replications, the file's year, a 3-day animation) and the screenshots go
# to docs/images/app/ for the guides instead of a temporary folder.

SCREENSHOTS = os.environ.get("NHSIM_SCREENSHOTS") == "1"
TEACHING = REPO_ROOT / "configs" / "teaching.toml"
NEIGHBOURHOOD = "configs/neighbourhood_50k.toml"
UCR_STAFF = "ucr: clinicians on duty"
REPLICATIONS, DAYS, WATCH_DAYS = (10, 365.0, 3) if SCREENSHOTS else (3, 90.0, 1)
LOOPBACK = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def chromium_executable() -> str:
    """The system's Chromium; skip without it, or fail under ``CI=true``."""
    decision = decide(find_chromium(os.environ), ci_requested(os.environ))
    if decision.action == "fail":
        pytest.fail(decision.message, pytrace=False)
    if decision.action == "skip" or decision.executable is None:
        pytest.skip(decision.message)
    return decision.executable


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if SCREENSHOTS:
        return REPO_ROOT / "docs" / "images" / "app"
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def app_url(chromium_executable: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served as ``nhsim app`` serves it, on a free loopback port."""
    log = tmp_path_factory.mktemp("app") / "streamlit.log"
    with serve_app(lambda port: streamlit_command(port, "127.0.0.1"), REPO_ROOT, log) as url:
        yield url


@pytest.fixture(scope="module")
def outside_requests() -> list[str]:
    """Every request the page tried to make to anything but the app (none are let out)."""
    return []


@pytest.fixture(scope="module")
def app(chromium_executable: str, app_url: str, outside_requests: list[str]) -> Iterator[Page]:
    """One browser, one page on the app; requests away from the app are refused and kept."""

    def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOOPBACK:
            route.continue_()
        else:
            outside_requests.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(app_url)
        expect(page.get_by_role("button", name="Run", exact=True)).to_be_visible(timeout=60_000)
        yield page
        context.close()
        browser.close()


def _teaching_overrides() -> list[str]:
    """The run settings the test gives both sides (as the Advanced panel does)."""
    return [] if DAYS == load_scenario(TEACHING).run.days else [f"run.days={DAYS!r}"]


@pytest.fixture(scope="module")
def expected() -> Comparison:
    """What ``sim.runs.compare.compare`` gives for the change the test makes on the page."""
    base = _teaching_overrides()
    counterfactual = load_scenario(TEACHING, base)
    scenario = load_scenario(TEACHING, [*base, "services.ucr.staff=2"])
    return compare(counterfactual, scenario, REPLICATIONS, counterfactual.run.seed)


@pytest.fixture(scope="module")
def explored(app: Page) -> Page:
    """On Explore: look at the neighbourhood, choose the teaching scenario, give the UCR
    team a second clinician, set the replications and days, and press Run."""
    open_view(app, "Explore")
    for name in (NEIGHBOURHOOD, "configs/teaching.toml"):
        choose(app, "Scenario", name)
        scenario = load_scenario(REPO_ROOT / name)
        expect(app.get_by_text(scenario.description, exact=True)).to_be_visible()
    set_slider(app, UCR_STAFF, 2)
    app.get_by_text("Advanced", exact=True).click()
    set_number(app, "Replications", REPLICATIONS)
    set_number(app, "Days measured", DAYS)
    expect(app.get_by_text(f"Changes: {UCR_STAFF} 1 → 2")).to_be_visible()
    press_run(app)
    return app


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_run_shows_what_compare_computes(explored: Page, expected: Comparison, shots: Path) -> None:
    page = explored
    shown = metrics(page)
    rows = avoided_rows(expected)
    assert [r.label for r in rows] == [k for k in shown if k.endswith(" avoided")]
    assert "Conveyances avoided" in shown and "Admissions avoided" in shown
    notes = captions(page)
    for row in rows:
        value = shown[row.label]
        assert value == fmt(row.avoided.mean), row.label
        assert _number(value) == pytest.approx(row.avoided.mean, rel=5e-3, abs=5e-4), row.label
        assert interval_text(row.avoided) in notes, row.label
    reached = expected.scenario.interval("ucr.seen_within_target").mean
    assert shown["ucr: reached within 2 hours"] == f"{100 * reached:.1f}%"
    assert any(
        f"{REPLICATIONS} paired replications, seed {expected.counterfactual.seed}" in c
        for c in notes
    )
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 2  # beds in use, and where patients went
    assert_no_traceback(page)
    screenshot(page, shots / "explore.png")


def test_results_download_is_what_nhsim_compare_writes(explored: Page, tmp_path: Path) -> None:
    page = explored
    with page.expect_download() as download:
        page.get_by_role("button", name="Download results (CSV)").click()
    assert download.value.suggested_filename == "comparison.csv"
    got = Path(download.value.path()).read_text(encoding="utf-8")

    # the same comparison on the command line: the teaching file with the same run
    # settings, compared with itself with a second clinician
    text = TEACHING.read_text(encoding="utf-8")
    short = tmp_path / "teaching.toml"
    short.write_text(re.sub(r"(?m)^days = 365\b", f"days = {DAYS!r}", text, count=1), "utf-8")
    assert load_scenario(short).run.days == DAYS
    cli = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(short), "--set", "services.ucr.staff=2"]
        + ["--replications", str(REPLICATIONS), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    (written,) = (tmp_path / "out").rglob("comparison.csv")
    assert got == written.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(got)))
    assert list(rows[0]) == [
        "metric",
        "counterfactual_mean",
        "scenario_mean",
        "difference",
        "ci_low",
        "ci_high",
        "pct_change",
    ]
    assert "ambulance.conveyances" in {r["metric"] for r in rows}
    assert_no_traceback(page)


def test_the_other_downloads_are_files_nhsim_reads_or_writes(
    explored: Page, tmp_path: Path
) -> None:
    page = explored

    def download(button: str) -> Path:
        with page.expect_download(timeout=RUN_SECONDS * 1000) as d:
            page.get_by_role("button", name=button).click()
        saved = tmp_path / d.value.suggested_filename
        d.value.save_as(saved)
        return saved

    scenario = load_scenario(download("Download scenario (TOML)"))
    assert scenario.services["ucr"].staff == 2
    assert scenario.run.days == DAYS
    assert download("Download avoided figure (PNG)").read_bytes().startswith(b"\x89PNG")
    assert download("Download report (PDF)").read_bytes().startswith(b"%PDF")
    html = download("Download report (HTML)").read_text(encoding="utf-8")
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", html)
    assert_no_traceback(page)


def _conveyances_avoided(comparison: Comparison) -> float:
    return comparison.avoided("ambulance.conveyances").mean


def test_compare_view_sets_runs_side_by_side(
    explored: Page, expected: Comparison, shots: Path
) -> None:
    """A second Run (one clinician, open around the clock) joins the first on Compare."""
    page = explored
    set_slider(page, UCR_STAFF, 1)
    choose(page, "ucr: opening hours", "00-24")
    press_run(page)
    base = _teaching_overrides()
    counterfactual = load_scenario(TEACHING, base)
    second = compare(
        counterfactual,
        load_scenario(TEACHING, [*base, "services.ucr.open_hours=00-24"]),
        REPLICATIONS,
        counterfactual.run.seed,
    )
    open_view(page, "Compare")
    kept, differences = page.get_by_test_id("stTable").nth(0), page.get_by_test_id("stTable").nth(1)
    expect(kept.locator("th", has_text="teaching-variant")).to_have_count(2)
    expect(kept).to_contain_text(f"{REPLICATIONS}, seed {counterfactual.run.seed}")
    first_row = kept.locator("tr", has_text="Conveyances avoided")
    for comparison in (expected, second):
        iv = comparison.avoided("ambulance.conveyances")
        expect(first_row).to_contain_text(f"{fmt(iv.mean)} ({fmt(iv.ci_low)} to {fmt(iv.ci_high)})")
    gap = _conveyances_avoided(second) - _conveyances_avoided(expected)
    expect(differences.locator("tr", has_text="Conveyances avoided")).to_contain_text(
        f"{gap:+,.1f}"
    )
    assert_no_traceback(page)
    screenshot(page, shots / "compare.png")


FRAME_TIME = "g.slider-group > text.slider-label"
"""The animation's clock: the time of the frame shown, above its time slider."""


def _frame_time(page: Page) -> str:
    return page.locator(FRAME_TIME).first.text_content() or ""


def test_watch_plays_the_animation_and_its_file_plays_offline(
    app: Page, shots: Path, tmp_path: Path
) -> None:
    page = app
    open_view(page, "Watch")
    set_slider(page, "Days to watch", WATCH_DAYS)
    page.get_by_role("button", name="Animate").click()
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=RUN_SECONDS * 1000)
    expect(page.locator("g.updatemenu-button").first).to_be_visible()
    first = _frame_time(page)
    assert first, "the animation shows no time"
    page.locator("g.updatemenu-button").first.click()  # Play
    expect(page.locator(FRAME_TIME).first).not_to_have_text(first, timeout=15_000)
    page.wait_for_timeout(2000)
    page.locator("g.updatemenu-button").nth(1).click()  # Pause, for a still picture
    assert_no_traceback(page)
    screenshot(page, shots / "watch.png")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download animation (HTML)").click()
    saved = tmp_path / "animation.html"
    download.value.save_as(saved)
    html = saved.read_text(encoding="utf-8")
    assert saved.stat().st_size <= 10 * 1024 * 1024
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", html)
    # the saved page plays in a browser that is offline
    offline = page.context.browser.new_context(offline=True) if page.context.browser else None
    assert offline is not None
    try:
        alone = offline.new_page()
        alone.goto(saved.as_uri())
        expect(alone.locator("g.updatemenu-button").first).to_be_visible(timeout=60_000)
        start = alone.locator(FRAME_TIME).first.text_content() or ""
        alone.locator("g.updatemenu-button").first.click()
        expect(alone.locator(FRAME_TIME).first).not_to_have_text(start, timeout=15_000)
    finally:
        offline.close()


def test_teach_sets_up_an_exercise_on_explore(app: Page, shots: Path) -> None:
    page = app
    open_view(page, "Teach")
    for exercise in EXERCISES:
        expect(page.get_by_role("heading", name=exercise.title)).to_be_visible()
    assert_no_traceback(page)
    screenshot(page, shots / "teach.png")
    first = EXERCISES[0]
    page.get_by_role("button", name=first.button).click()
    expect(page.get_by_role("heading", name="Explore", exact=True)).to_be_visible()
    staff = page.get_by_role("slider", name=UCR_STAFF)
    expect(staff).to_have_value(str(first.values["services.ucr.staff"]))
    expect(page.get_by_text(f"Changes: {UCR_STAFF} 1 → 2")).to_be_visible()


def test_about_says_what_the_model_is(app: Page, shots: Path) -> None:
    page = app
    open_view(page, "About")
    expect(page.get_by_text("discrete-event simulation", exact=False).first).to_be_visible()
    assert_no_traceback(page)
    screenshot(page, shots / "about.png")


def _cli_problems(path: Path) -> list[str]:
    """What ``nhsim validate`` prints for a file, run in the file's folder."""
    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", path.name],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith(path.name + ":") for line in lines), lines
    return lines


def test_a_bad_upload_shows_the_command_lines_message(
    app: Page, shots: Path, tmp_path: Path
) -> None:
    page = app
    open_view(page, "Explore")
    text = TEACHING.read_text(encoding="utf-8")
    bad_value = tmp_path / "bad_staff.toml"
    bad_value.write_text(re.sub(r"(?m)^staff = 1\b", "staff = -2", text, count=1), "utf-8")
    bad_syntax = tmp_path / "bad_syntax.toml"
    bad_syntax.write_text(text.replace("[services.ucr]", "[services.ucr", 1), "utf-8")
    upload = page.get_by_test_id("stFileUploaderDropzoneInput")
    for path in (bad_value, bad_syntax):
        wanted = _cli_problems(path)
        upload.set_input_files(str(path))
        problems = page.get_by_test_id("stAlert").filter(has_text=f"{path.name}: ")
        expect(problems).to_have_count(len(wanted))
        if path is bad_value:
            screenshot(page, shots / "upload-error.png")
        shown = alerts(page)
        for line in wanted:
            assert line in shown, f"{line!r} not among the page's messages {shown}"
        expect(page.get_by_role("button", name="Run", exact=True)).to_be_disabled()
        assert_no_traceback(page)


def test_the_page_asks_nothing_of_the_internet(app: Page, outside_requests: list[str]) -> None:
    assert app.get_by_test_id("stSidebar").is_visible()
    assert outside_requests == []

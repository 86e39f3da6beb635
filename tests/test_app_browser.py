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

import os
from pathlib import Path

import pytest
from browser.launch import (
    CHROMIUM_ARGS,
    ENABLE_HINT,
    BrowserDecision,
    ci_requested,
    decide,
    find_chromium,
)

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


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's Chromium; skip without it, or fail under ``CI=true``."""
    decision = decide(find_chromium(os.environ), ci_requested(os.environ))
    if decision.action == "fail":
        pytest.fail(decision.message, pytrace=False)
    if decision.action == "skip" or decision.executable is None:
        pytest.skip(decision.message)
    return decision.executable


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, object], chromium_executable: str
) -> dict[str, object]:
    """pytest-playwright launches the system Chromium (never a downloaded build)."""
    return {
        **browser_type_launch_args,
        "executable_path": chromium_executable,
        "args": CHROMIUM_ARGS,
    }

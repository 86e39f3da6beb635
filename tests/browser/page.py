"""Moving around the app's page in Playwright: views, sliders, Run, metrics, screenshots.

The locators are the ones a person sees: a view's name in the sidebar, a widget's
label, a button's text. Streamlit's own test ids are used only for what has no
visible name (metric values, alerts, the upload input).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

RUN_SECONDS = 120.0
"""The longest a Run or an animation may take before the test gives up."""


BUSY = """() => !document.querySelector(
    '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"],'
    + ' [data-stale="true"]')"""
"""True once the script has finished its run and no element of an earlier run is left."""


def settle(page: Page, seconds: float = RUN_SECONDS) -> None:
    """Wait until the app has finished reacting to the last thing done on the page."""
    page.wait_for_timeout(200)  # the rerun starts a moment after the change
    page.wait_for_function(BUSY, timeout=seconds * 1000)


def open_view(page: Page, name: str) -> None:
    """Choose a view in the sidebar and wait for its heading."""
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    settle(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a drop-down list."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)
    settle(page)


def set_slider(page: Page, label: str, value: int) -> Locator:
    """Move a slider with the arrow keys, as a person using the keyboard would."""
    slider = page.get_by_role("slider", name=label)
    now = int(float(slider.input_value()))
    slider.focus()
    for _ in range(abs(value - now)):
        slider.press("ArrowRight" if value > now else "ArrowLeft")
    expect(slider).to_have_value(str(value))
    settle(page)
    return slider


def set_number(page: Page, label: str, value: float) -> None:
    """Type into a number box and press Enter."""
    box = page.get_by_role("spinbutton", name=label, exact=True)
    box.fill(f"{value:g}")
    box.press("Enter")
    expect(box).to_have_value(re.compile(rf"^{re.escape(f'{value:g}')}(\.0+)?$"))
    settle(page)


def press_run(page: Page) -> None:
    """Press Run and wait until the avoided figures are drawn."""
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=RUN_SECONDS * 1000)
    settle(page)


def metrics(page: Page) -> dict[str, str]:
    """Each metric on the page: its label and the value shown."""
    out = {}
    for metric in page.get_by_test_id("stMetric").all():
        label = metric.get_by_test_id("stMetricLabel").inner_text().strip()
        out[label] = metric.get_by_test_id("stMetricValue").inner_text().strip()
    return out


def captions(page: Page) -> list[str]:
    return [c.strip() for c in page.get_by_test_id("stCaptionContainer").all_inner_texts()]


def alerts(page: Page) -> list[str]:
    """The text of every error, warning and information box on the page."""
    return [a.strip() for a in page.get_by_test_id("stAlert").all_inner_texts()]


def assert_no_traceback(page: Page) -> None:
    """Nothing on the page is a Python exception shown by Streamlit."""
    shown = page.get_by_test_id("stException")
    assert shown.count() == 0, "the page shows a traceback:\n" + "\n".join(shown.all_inner_texts())


def screenshot(page: Page, path: Path, width: int = 1280, most: int = 4000) -> Path:
    """A picture of the whole view: the window made as tall as the view, then put back."""
    before = page.viewport_size or {"width": width, "height": 900}
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
            '[data-testid="stMain"], [data-testid="stAppViewContainer"], section.main')]
            .map(e => e.scrollHeight), document.body.scrollHeight)"""
    )
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, most)})
    page.wait_for_timeout(500)  # charts redraw at the new size
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(before)
    return path

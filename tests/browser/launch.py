"""Find Debian's Chromium (and decide what to do without it); serve the app on a free port.

The browser tests drive the Streamlit app in Chromium through Playwright. Playwright's
own browser download cannot be used here, so the tests point it at the system's
``chromium``. On a developer's machine without one the browser tests are skipped and
say how to enable them; in CI (``CI=true``) a missing browser fails the run, so a
green CI always means the app was tested in a browser.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ENABLE_HINT = "apt-get install chromium fonts-noto-color-emoji"
"""How to make the browser tests run on Debian or Ubuntu (as root)."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""Chromium flags: run as root in a container, no GPU, nothing fetched from outside."""

DEFAULT_CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class BrowserDecision:
    """Whether the browser tests run, are skipped or fail, and why."""

    action: Literal["run", "skip", "fail"]
    executable: str | None
    message: str


def ci_requested(env: Mapping[str, str]) -> bool:
    """True when the environment says this is a CI run (``CI=true``, ``1`` or ``yes``)."""
    return env.get("CI", "").strip().lower() in {"1", "true", "yes"}


def find_chromium(env: Mapping[str, str], fallback: str = DEFAULT_CHROMIUM) -> str | None:
    """The Chromium to drive: ``NHSIM_CHROMIUM`` if set, else ``chromium`` on PATH, else
    ``fallback`` (Debian's path) if it is there; None when there is none."""
    chosen = env.get("NHSIM_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    found = shutil.which("chromium", path=env.get("PATH", ""))
    if found:
        return found
    return fallback if os.access(fallback, os.X_OK) else None


def decide(executable: str | None, ci: bool) -> BrowserDecision:
    """Run with ``executable``; without one, skip on a developer's machine and fail in CI."""
    if executable is not None:
        return BrowserDecision("run", executable, f"browser tests use {executable}")
    if ci:
        return BrowserDecision(
            "fail",
            None,
            "CI=true but no Chromium was found, so the web app cannot be tested in a "
            f"browser: install it with `{ENABLE_HINT}` (.ci/run does this)",
        )
    return BrowserDecision(
        "skip",
        None,
        f"no Chromium found: the web app's browser tests are skipped; enable them with "
        f"`{ENABLE_HINT}` (as root)",
    )


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on just now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes], grace_seconds: float = 10.0) -> None:
    """SIGTERM the app's whole process group, then SIGKILL it if it lingers."""
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    try:
        os.killpg(pgid, signal.SIGTERM)
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        process.wait(timeout=grace_seconds)
    except ProcessLookupError:
        pass


def streamlit_run(script: Path, port: int) -> list[str]:
    """``streamlit run`` of ``script`` on a loopback ``port``, headless, no usage statistics."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
    ]


@contextmanager
def serve_app(
    command_for: Callable[[int], list[str]],
    cwd: Path,
    log_path: Path,
    startup_seconds: float = 60.0,
) -> Iterator[str]:
    """Serve the app with ``command_for(port)`` on a free loopback port; yield its URL.

    The server runs in a process group of its own, so stopping it also stops any worker
    processes the app started. If it exits or does not answer its health check within
    ``startup_seconds``, the error names the log with what it printed.
    """
    port = free_port()
    command = command_for(port)
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + startup_seconds
            while not _healthy(url):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"the app exited with code {process.returncode} before answering; "
                        f"its output is in {log_path}:\n{_tail(log_path)}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the app did not answer {url}/_stcore/health within "
                        f"{startup_seconds:.0f} s; its output is in {log_path}:\n{_tail(log_path)}"
                    )
                time.sleep(0.2)
            yield url
        finally:
            _stop(process)


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

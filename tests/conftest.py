"""Shared helpers for the test suite: the repository root and an event-log recorder."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


class Recorder:
    """An event log for :func:`sim.engine.run_replication`: keeps every movement in order."""

    def __init__(self) -> None:
        self.events: list[tuple[float, int, str, str, str]] = []

    def __call__(self, time: float, patient: int, service: str, event: str, detail: str) -> None:
        self.events.append((time, patient, service, event, detail))

    def of(self, service: str, event: str | None = None) -> list[tuple[float, int, str, str, str]]:
        """The events at ``service`` (of kind ``event`` if given), in log order."""
        return [e for e in self.events if e[2] == service and (event is None or e[3] == event)]

    def by_patient(self, service: str | None = None) -> dict[int, list[tuple[float, int, str, str, str]]]:
        """Each patient's events (at ``service`` if given), in log order."""
        out: dict[int, list[tuple[float, int, str, str, str]]] = defaultdict(list)
        for e in self.events:
            if service is None or e[2] == service:
                out[e[1]].append(e)
        return dict(out)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT

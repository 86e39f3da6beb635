"""The event log: one row per patient movement, streamed to disk (``--event-log``).

Columns (``docs/reference/event-log.md``): ``time_hours`` (simulation clock; the
measured period starts at ``warmup_hours``), ``patient`` (id, unique within the
replication), ``cohort`` (the patient's cohort, as the scenario names it), ``service``
(the service's name in the scenario), ``event`` (what happened) and ``detail`` (a wait,
a destination, a length of stay in days).

The engine passes the cohort as an index; the writer maps it to the name, so that runs
without a log do no work for it.

Rows are written through a buffered file as they happen, so memory does not grow
with the number of patients; the file appears under its final name only when the
replication completes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TextIO

__all__ = ["EVENT_LOG_COLUMNS", "EventLogWriter", "event_log_path"]

EVENT_LOG_COLUMNS = ("time_hours", "patient", "cohort", "service", "event", "detail")


def event_log_path(directory: Path, replication: int) -> Path:
    return directory / f"replication-{replication:04d}.csv"


class EventLogWriter:
    """A callable that appends one CSV row per event; use as a context manager.

    ``cohorts`` are the scenario's cohorts in order (a row's cohort index names one)."""

    def __init__(self, path: Path, cohorts: Sequence[str] = ()) -> None:
        self.path = path
        self._tmp = path.with_name(f".{path.name}.tmp")
        self._fh: TextIO | None = None
        self._cohorts = list(cohorts)

    def __enter__(self) -> EventLogWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self._tmp, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self._fh.write(",".join(EVENT_LOG_COLUMNS) + "\n")
        return self

    def __call__(
        self, time: float, patient: int, service: str, event: str, detail: str, cohort: int
    ) -> None:
        names = self._cohorts
        name = names[cohort] if 0 <= cohort < len(names) else cohort
        self._fh.write(f"{time!r},{patient},{name},{service},{event},{detail}\n")  # type: ignore[union-attr]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._fh is not None
        self._fh.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)

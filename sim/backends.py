"""Where replications run: a local process pool (default) or a Dask cluster.

Both are used through :class:`concurrent.futures.Executor`, so one runner serves
both. Results never depend on the backend or the number of workers: every task
carries its own replication seeds and results are put back by task.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Backend", "BackendError"]


class BackendError(Exception):
    """The backend could not be started (e.g. Dask not installed, scheduler unreachable)."""


@dataclass(frozen=True)
class Backend:
    """``kind``: ``"local"`` (process pool) or ``"dask"``; ``scheduler``: a Dask address
    (``tcp://host:8786``), or none for a ``LocalCluster`` of ``workers`` processes."""

    kind: Literal["local", "dask"] = "local"
    workers: int | None = None
    scheduler: str | None = None

    @property
    def n_workers(self) -> int:
        return self.workers or os.cpu_count() or 1

    def open(self) -> "Session":
        return Session(self)


class Session:
    """An open executor; :meth:`renew` replaces a local pool broken by a dead worker."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._client: Any = None
        self._cluster: Any = None
        self.executor: Executor = self._make()

    def _make(self) -> Executor:
        if self.backend.kind == "local":
            return ProcessPoolExecutor(max_workers=self.backend.n_workers)
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise BackendError(
                "the dask backend needs Dask: pip install 'nhsim[dask]' (or dask[distributed])"
            ) from None
        try:
            if self.backend.scheduler:
                self._client = Client(self.backend.scheduler, timeout="10s")
            else:
                self._cluster = LocalCluster(
                    n_workers=self.backend.n_workers, threads_per_worker=1, processes=True,
                    dashboard_address=":0",
                )
                self._client = Client(self._cluster)
        except OSError as exc:
            raise BackendError(f"cannot reach the Dask scheduler {self.backend.scheduler!r}: {exc}") from None
        return self._client.get_executor()

    def renew(self) -> None:
        """Replace a broken local pool (a worker process died)."""
        if self.backend.kind == "local":
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._make()

    def close(self, wait: bool = True) -> None:
        if self.backend.kind == "local":
            self.executor.shutdown(wait=wait, cancel_futures=True)
        else:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(wait=exc[0] is None)

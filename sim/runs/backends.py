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

    def open(self) -> Session:
        return Session(self)


WORKER_WAIT_SECONDS = 30.0
"""How long to wait for a scheduler to have at least one worker."""


def check_workers(client: Any, scheduler: str, wait: float = WORKER_WAIT_SECONDS) -> None:
    """Every worker of the cluster has nhsim installed, in this machine's version.

    A worker without nhsim cannot read the tasks it is sent, and the run would wait for
    ever; a worker with another version would give other results. Asked of each worker
    with a function of the standard library, so that the question itself needs no nhsim."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError:
        raise BackendError(
            f"the Dask scheduler {scheduler!r} has no workers (waited {wait:g} s)"
        ) from None
    mine = version("nhsim")
    try:
        theirs = client.run(version, "nhsim")
    except PackageNotFoundError:
        raise BackendError(
            f"a worker of the Dask scheduler {scheduler!r} does not have nhsim installed: "
            "install it on every worker (see docs/guides/dask.md)"
        ) from None
    other = sorted(f"{w} has {v}" for w, v in theirs.items() if v != mine)
    if other:
        raise BackendError(
            f"workers of the Dask scheduler {scheduler!r} run another version of nhsim than this "
            f"machine ({mine}): {'; '.join(other)}"
        )


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
                check_workers(self._client, self.backend.scheduler)
            else:
                self._cluster = LocalCluster(
                    n_workers=self.backend.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                )
                self._client = Client(self._cluster)
        except OSError as exc:
            raise BackendError(
                f"cannot reach the Dask scheduler {self.backend.scheduler!r}: {exc}"
            ) from None
        except BackendError:
            self._client.close()
            raise
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

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(wait=exc[0] is None)

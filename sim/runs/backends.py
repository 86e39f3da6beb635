"""Where replications run: a local process pool (default) or a Dask cluster.

Both are used through :class:`concurrent.futures.Executor`, so one runner serves
both. Results never depend on the backend or the number of workers: every task
carries its own replication seeds and results are put back by task.

The local pool's workers ignore Ctrl-C (the main process handles it, once, and ends
them) and exit when the main process dies, even by ``kill -9``. A Dask scheduler that
goes away is waited for :data:`RECONNECT_SECONDS`, then the run stops with
:class:`BackendLost` instead of waiting for ever.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "RECONNECT_SECONDS",
    "Backend",
    "BackendError",
    "BackendLost",
    "check_scheduler_address",
]


class BackendError(Exception):
    """The backend could not be started (e.g. Dask not installed, scheduler unreachable)."""


class BackendLost(BackendError):
    """The Dask scheduler went away during the run and did not come back."""


RECONNECT_SECONDS = 10.0
"""How long a Dask client waits for a lost scheduler to come back before giving up."""

_ADDRESS = re.compile(
    r"^(?:(tcp|tls|ws|wss|ucx|inproc)://)?([^\s/:]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})/?$"
)


def check_scheduler_address(address: str) -> None:
    """Refuse an address that cannot be a Dask scheduler's (``tcp://host:8786``)."""
    found = _ADDRESS.match(address.strip())
    if not found or not 0 < int(found.group(3)) < 65536:
        raise BackendError(
            f"--scheduler {address!r} is not a Dask scheduler address: give one like "
            "tcp://10.0.0.5:8786 (the address the scheduler prints when it starts)"
        )


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


# -- the local pool's workers ---------------------------------------------------------------

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _exit_with_parent(parent: int) -> None:
    """End this worker when process ``parent`` dies: the kernel's parent-death signal on
    Linux, else a thread that watches for the worker being handed to another parent."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
                if os.getppid() != parent:  # it died before the signal was asked for
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="nhsim-parent-watch", daemon=True).start()


def init_worker(parent: int) -> None:
    """Initializer of each local worker process: Ctrl-C is the main process's to handle
    (so one message is printed), and the worker goes when the main process goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start processes that ignore Ctrl-C: a new Python process keeps SIGINT ignored if
    it starts so, and Dask's worker processes have no initializer to say it. Ctrl-C in
    a terminal reaches every process of the terminal; only this one should answer it.
    (A Ctrl-C while the cluster starts is ignored.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# -- sessions -------------------------------------------------------------------------------


class Session:
    """An open executor; :meth:`renew` replaces a local pool broken by a dead worker."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._client: Any = None
        self._cluster: Any = None
        self._away_since: float | None = None
        self.executor: Executor = self._make()

    @property
    def address(self) -> str:
        return self.backend.scheduler or "(a local Dask cluster)"

    def _make(self) -> Executor:
        if self.backend.kind == "local":
            return ProcessPoolExecutor(
                max_workers=self.backend.n_workers, initializer=init_worker, initargs=(os.getpid(),)
            )
        if self.backend.scheduler:
            check_scheduler_address(self.backend.scheduler)
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise BackendError(
                "the dask backend needs Dask: pip install 'nhsim[dask]' (or dask[distributed])"
            ) from None
        try:
            if self.backend.scheduler:
                # the timeout is also how long the client tries to reconnect if the scheduler goes
                self._client = Client(self.backend.scheduler, timeout=f"{RECONNECT_SECONDS:g}s")
                check_workers(self._client, self.backend.scheduler)
            else:
                with _workers_ignore_ctrl_c():
                    self._cluster = LocalCluster(
                        n_workers=self.backend.n_workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                    )
                self._client = Client(self._cluster, timeout=f"{RECONNECT_SECONDS:g}s")
        except (OSError, ValueError, TypeError) as exc:
            self._close_dask()
            raise BackendError(
                f"cannot reach the Dask scheduler {self.backend.scheduler!r}: {exc}"
            ) from None
        except BaseException:
            self._close_dask()
            raise
        return self._client.get_executor()

    @property
    def slots(self) -> int:
        """How many pieces of work can run at once."""
        if self._client is None:
            return self.backend.n_workers
        try:
            workers = self._client.scheduler_info().get("workers", {})
            return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))
        except Exception:
            return self.backend.n_workers

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        try:
            return self.executor.submit(fn, *args)
        except Exception as exc:
            if self._client is None:
                raise
            raise BackendLost(self._lost_message(exc)) from None

    def ready(self) -> bool:
        """Can work be sent now (False while a Dask client reconnects)?"""
        return self._client is None or self._client.status == "running"

    def check(self) -> None:
        """Raise :class:`BackendLost` if the Dask scheduler has gone for good: the client
        gave up, or has been reconnecting for longer than it should."""
        if self._client is None:
            return
        status = self._client.status
        if status == "running":
            self._away_since = None
            return
        now = time.monotonic()
        if self._away_since is None:
            self._away_since = now
        if status in ("closing", "closed") or now - self._away_since > RECONNECT_SECONDS + 5:
            raise BackendLost(self._lost_message(None))

    def _lost_message(self, exc: BaseException | None) -> str:
        why = f" ({type(exc).__name__}: {exc})" if exc is not None and str(exc) else ""
        return (
            f"lost the Dask scheduler {self.address}{why}; it did not come back within "
            f"{RECONNECT_SECONDS:g} s"
        )

    def renew(self) -> None:
        """Replace a broken local pool (a worker process died)."""
        if self.backend.kind == "local":
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._make()

    def close(self, wait: bool = True) -> None:
        if self.backend.kind == "local":
            self.executor.shutdown(wait=wait, cancel_futures=True)
        else:
            self._close_dask()

    def terminate(self) -> None:
        """Stop now: drop the work not started and end the workers, without waiting for
        the work in progress (its results are not wanted)."""
        if self.backend.kind != "local":
            self._close_dask()
            return
        pool = self.executor
        processes = list((getattr(pool, "_processes", None) or {}).values())
        if hasattr(pool, "terminate_workers"):  # Python 3.14
            pool.terminate_workers()
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:  # before 3.14 the pool has no public way to end its workers
            try:
                p.terminate()
            except (OSError, ValueError, AttributeError):
                pass
        deadline = time.monotonic() + 2.0
        for p in processes:
            try:
                p.join(max(0.0, deadline - time.monotonic()))
                if p.is_alive():
                    p.kill()
                    p.join(1.0)
            except (OSError, ValueError, AttributeError, AssertionError):
                pass

    def _close_dask(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        for thing in (client, cluster):
            if thing is None:
                continue
            try:
                thing.close(timeout=5)
            except Exception:
                pass  # a scheduler that is gone cannot be told goodbye

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(wait=exc[0] is None)

"""A Dask cluster whose workers cannot run nhsim is refused with a plain message.

A worker without nhsim cannot read the tasks it is sent, so without the check a run
would wait for ever; a worker with another version would give other results. The
check asks each worker for its nhsim version with a function of the standard library.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pytest

from sim.runs.backends import BackendError, check_workers

MINE = version("nhsim")


class FakeClient:
    """Answers like ``dask.distributed.Client`` for the two calls the check makes."""

    def __init__(
        self, versions: dict[str, str] | None = None, missing: bool = False, workers: bool = True
    ) -> None:
        self.versions = versions or {}
        self.missing = missing
        self.workers = workers

    def wait_for_workers(self, n_workers: int, timeout: float | None = None) -> None:
        if not self.workers:
            raise TimeoutError

    def run(self, function: Any, *args: Any) -> dict[str, str]:
        assert function is version and args == ("nhsim",)  # the question needs no nhsim
        if self.missing:
            raise PackageNotFoundError("nhsim")
        return self.versions


def test_workers_with_this_version_pass() -> None:
    check_workers(
        FakeClient({"tcp://10.0.0.2:4001": MINE, "tcp://10.0.0.3:4001": MINE}), "tcp://s:8786"
    )


def test_a_scheduler_without_workers_is_refused() -> None:
    with pytest.raises(BackendError) as err:
        check_workers(FakeClient(workers=False), "tcp://s:8786", wait=0.5)
    assert str(err.value) == "the Dask scheduler 'tcp://s:8786' has no workers (waited 0.5 s)"


def test_a_worker_without_nhsim_is_refused() -> None:
    with pytest.raises(BackendError) as err:
        check_workers(FakeClient(missing=True), "tcp://s:8786")
    assert str(err.value) == (
        "a worker of the Dask scheduler 'tcp://s:8786' does not have nhsim installed: "
        "install it on every worker (see docs/guides/dask.md)"
    )


def test_a_worker_with_another_version_is_refused() -> None:
    client = FakeClient({"tcp://10.0.0.2:4001": MINE, "tcp://10.0.0.3:4001": "0.0.1"})
    with pytest.raises(BackendError) as err:
        check_workers(client, "tcp://s:8786")
    assert str(err.value) == (
        f"workers of the Dask scheduler 'tcp://s:8786' run another version of nhsim than this machine "
        f"({MINE}): tcp://10.0.0.3:4001 has 0.0.1"
    )


def test_a_real_cluster_passes() -> None:
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster.scheduler_address) as client,
    ):
        check_workers(client, cluster.scheduler_address)
        assert client.run(version, "nhsim") == {w: MINE for w in client.scheduler_info()["workers"]}

"""Shared pieces of the command line: exit codes, tables, numbers, progress bars, the
output folder's claim and the number of workers."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.scenario.errors import ScenarioError

if TYPE_CHECKING:
    from sim.output.files import OutputClaim

EXIT_BAD_INPUT = 2
EXIT_CHECK_FAILED = 1
EXIT_SCHEDULER_LOST = 3
EXIT_INTERRUPTED = 130


def print_problems(err: ScenarioError) -> int:
    for problem in err.problems:
        print(str(problem), file=sys.stderr)
    return EXIT_BAD_INPUT


def fmt_value(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    ax = abs(x)
    if ax < 0.0005:
        return "0.000"
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def table_text(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))
            )
        )
    return "\n".join(lines)


def claim_out(out: Path, require_empty: bool = True) -> OutputClaim:
    """Create and lock the output folder before any work (results are never overwritten:
    a folder that holds files is refused unless ``require_empty`` is False). Raises
    :class:`~sim.output.files.OutputError` (exit code 2) if it cannot be used."""
    from sim.output.files import claim_output

    return claim_output(out, ["nhsim", *sys.argv[1:]], require_empty)


def replications_of(given: int | None, default: int, source: str) -> int:
    """``--replications`` or the scenario's ``run.replications``, which must be within the
    limit too (checked before anything is made for them)."""
    from sim.runs.replications import MAX_REPLICATIONS
    from sim.scenario.errors import Problem

    n = given or default
    if n > MAX_REPLICATIONS:
        raise ScenarioError(
            [
                Problem(
                    source,
                    "run.replications",
                    f"must be <= {MAX_REPLICATIONS} (the most replications of one run), got {n}",
                )
            ]
        )
    return n


def cap_workers(args: argparse.Namespace) -> None:
    """More worker processes than CPUs only compete for them: reduce ``--workers`` to the
    CPUs of this computer, with a note (a remote Dask cluster has its own workers)."""
    workers = getattr(args, "workers", None)
    cpus = os.cpu_count() or 1
    if workers and workers > cpus and not getattr(args, "scheduler", None):
        print(
            f"note: --workers {workers} is more than the {cpus} CPUs of this computer; using {cpus}",
            file=sys.stderr,
        )
        args.workers = cpus


def progress_bar(total: int, quiet: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total, unit="rep", desc="replications", disable=quiet or None, file=sys.stderr
    )


def backend_of(args: argparse.Namespace) -> Any:
    from sim.runs.backends import Backend

    if args.backend == "dask":
        _quiet_dask_logs()
    return Backend(args.backend, args.workers, args.scheduler)


def _quiet_dask_logs() -> None:
    """Dask logs a lost scheduler (and the clean-up after it) line by line, some with
    tracebacks; the command says what happened once, in words."""
    import logging

    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")  # a local cluster's workers
    try:
        import distributed  # noqa: F401  (sets up its loggers, which are then quietened)
    except ImportError:
        return  # the backend says Dask is missing

    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name.startswith(("distributed", "tornado")):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _stop_at_once(signum: int, frame: Any) -> None:
    """A second Ctrl-C: the first is still being handled (workers ended, completed work
    written); stop now, without waiting and without a traceback."""
    from sim.output.files import release_all

    release_all()
    print("\nInterrupted again: stopped at once.", file=sys.stderr)
    os._exit(EXIT_INTERRUPTED)


def _first_interrupt(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGINT, _stop_at_once)
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts() -> Iterator[None]:
    """Ctrl-C stops the command as usual (completed work is kept); a second Ctrl-C while
    that happens, or while the process exits, stops at once. Without a Ctrl-C the previous
    handler is put back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _first_interrupt)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is _first_interrupt:
            signal.signal(signal.SIGINT, previous)


def report_stopped(
    stop: Exception, args: argparse.Namespace, out: Path, command: str, folder: str, what: str
) -> int:
    """Ctrl-C or a lost scheduler during a resumable command (``nhsim sweep``,
    ``nhsim uncertainty``): how many finished pieces ``out/folder`` keeps, and the
    command that continues; returns the exit code."""
    from sim.runs.tasks import SchedulerLost

    kept_dir = out / folder
    done = len(list(kept_dir.glob(f"{folder[:-1]}-*.json"))) if kept_dir.exists() else 0
    again = f"nhsim {command} {args.experiment}" + (f" --out {args.out}" if args.out else "")
    if args.backend == "dask":
        again += " --backend dask" + (f" --scheduler {args.scheduler}" if args.scheduler else "")
    kept = f"{done} completed {what} kept in {out}/{folder}/"
    if isinstance(stop, SchedulerLost):
        print(
            f"nhsim: {stop}. {kept}; continue, once the cluster is running again, with: "
            f"{again} --resume",
            file=sys.stderr,
        )
        return EXIT_SCHEDULER_LOST
    print(f"Interrupted: {kept}; continue with: {again} --resume", file=sys.stderr)
    return EXIT_INTERRUPTED

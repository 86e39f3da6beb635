"""Shared pieces of the command line: exit codes, tables, numbers, progress bars."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError

EXIT_BAD_INPUT = 2
EXIT_CHECK_FAILED = 1
EXIT_INTERRUPTED = 130


def _print_problems(err: ScenarioError) -> int:
    for problem in err.problems:
        print(str(problem), file=sys.stderr)
    return EXIT_BAD_INPUT


def _fmt(x: float) -> str:
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


def _table(rows: list[list[str]], header: list[str]) -> str:
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


def _occupied(out: Path) -> bool:
    """True (after saying so) if ``out`` already holds files: results are never overwritten."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(
            f"{out}: already exists and is not empty; choose another --out or remove it",
            file=sys.stderr,
        )
        return True
    return False


def _progress(total: int, quiet: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total, unit="rep", desc="replications", disable=quiet or None, file=sys.stderr
    )


def _backend(args: argparse.Namespace) -> Any:
    from sim.runs.backends import Backend

    return Backend(args.backend, args.workers, args.scheduler)

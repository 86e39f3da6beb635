"""``nhsim report RESULTS_DIR``: a board paper (HTML and PDF) from a results folder."""

from __future__ import annotations

import argparse
import sys

from sim.cli.format import EXIT_BAD_INPUT

__all__ = ["cmd_report"]


def cmd_report(args: argparse.Namespace) -> int:
    """Write ``report.html`` and ``report.pdf`` for a run's or a comparison's results
    folder, into ``--out`` (default: the folder itself). A folder that is missing or is
    not a results folder is a message and exit code 2, with nothing written."""
    from sim.output.report import ReportError, write_report

    try:
        html, pdf = write_report(args.results_dir, args.out)
    except ReportError as err:
        print(f"nhsim report: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Report written to {html} and {pdf}")
    return 0

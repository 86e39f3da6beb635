"""``nhsim compare ... --split``: the parts of a package, each alone and all together."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from sim.cli.format import fmt_value, table_text
from sim.runs.compare import AVOIDED_METRICS
from sim.runs.split import PartSpec, Split, changes_from_overrides, parts_of
from sim.scenario.model import Scenario

__all__ = ["print_split", "split_parts", "write_split"]

SHOWN = ("ambulance.conveyances", "admissions.total", "acute.bed_days")
"""The avoided metrics the printed table shows (all of AVOIDED_METRICS are in split.csv)."""


def split_parts(
    args: argparse.Namespace, counterfactual: Scenario, scenario: Scenario
) -> list[PartSpec]:
    """The parts of the package: the keys where the two scenarios differ, or, for a
    ``--set`` variant of the counterfactual, each ``--set``."""
    if args.scenario is None:
        return [(c, s, "") for c, s in changes_from_overrides(args.counterfactual, args.overrides)]
    return parts_of(counterfactual, scenario)


def _cell(iv: Any) -> str:
    if iv is None or math.isnan(iv.mean):
        return "-"
    if math.isnan(iv.ci_low):
        return fmt_value(iv.mean)
    return f"{fmt_value(iv.mean)} [{fmt_value(iv.ci_low)}, {fmt_value(iv.ci_high)}]"


def print_split(result: Split) -> None:
    """What each part avoids alone, the sum of the parts and the package, with intervals."""
    metrics = [m for m in SHOWN if not math.isnan(result.whole.avoided(m).mean)]
    rows = []
    for k, part in enumerate(result.parts, start=1):
        name = f"{k}. {part.change.describe()}"
        if part.comparison is None:
            rows.append([name, *(["-"] * len(metrics))])
            continue
        rows.append([name, *(_cell(part.comparison.avoided(m)) for m in metrics)])
    rows.append(["sum of the parts", *(_cell(result.sum_of_parts(m)) for m in metrics)])
    rows.append(["all together", *(_cell(result.whole.avoided(m)) for m in metrics)])
    print()
    print("What each part avoids alone (a year; mean [95% CI], paired with the counterfactual)")
    print(table_text(rows, ["part", *metrics]))
    for k, part in enumerate(result.parts, start=1):
        if part.problem:
            print(f"(part {k}: {part.problem})")
    if not result.parts:
        print("(the two scenarios do not differ in any key: nothing to split)")
    else:
        print(
            "(all together differs from the sum of the parts where the changes overlap or "
            "depend on each other; every part in split.csv)"
        )


def write_split(out: Path, result: Split) -> None:
    from sim.output.results import csv_text, write_atomic
    from sim.runs.split import split_csv_rows

    write_atomic(out / "split.csv", csv_text(split_csv_rows(result, AVOIDED_METRICS)))

"""Files of an appraisal: ``economics.csv`` (what a comparison costs and buys) and
``warnings.json`` (the warnings a careful analyst would raise), beside the results.

Both are written through :func:`sim.output.files.write_atomic`. The figures come from
:func:`sim.runs.economics.economics` and :mod:`sim.runs.warnings`, the same functions
the command line, the web app and the board paper call.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.output.files import write_atomic
from sim.runs.economics import Economics
from sim.runs.warnings import ResultWarning

__all__ = ["economics_csv", "warnings_json", "warnings_manifest", "write_appraisal"]


def _number(x: float) -> Any:
    return x if math.isfinite(x) else ("" if math.isnan(x) else ("inf" if x > 0 else "-inf"))


def economics_csv(econ: Economics) -> str:
    """One row per figure: its name, what it is, mean and interval (pounds a year, or
    pounds per thing avoided), whether the interval is bounded, and the verdict."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "figure",
            "description",
            "mean",
            "ci_low",
            "ci_high",
            "bounded",
            "confidence",
            "n",
            "scenario",
            "counterfactual",
            "verdict",
        ]
    )
    for key, text, est in econ.rows():
        writer.writerow(
            [
                key,
                text,
                _number(est.mean),
                _number(est.ci_low),
                _number(est.ci_high),
                est.bounded,
                econ.confidence,
                econ.n,
                econ.scenario,
                econ.counterfactual,
                econ.verdict,
            ]
        )
    return buf.getvalue()


def warnings_manifest(warnings: Sequence[ResultWarning]) -> list[dict[str, Any]]:
    """The warnings as the manifest and ``warnings.json`` hold them."""
    return [w.as_dict() for w in warnings]


def warnings_json(warnings: Sequence[ResultWarning]) -> str:
    return json.dumps({"warnings": warnings_manifest(warnings)}, indent=2) + "\n"


def write_appraisal(
    out: Path, warnings: Sequence[ResultWarning], econ: Economics | None = None
) -> None:
    """``warnings.json`` (always, empty if there are none) and, for a comparison with
    costs, ``economics.csv``."""
    write_atomic(out / "warnings.json", warnings_json(warnings))
    if econ is not None:
        write_atomic(out / "economics.csv", economics_csv(econ))

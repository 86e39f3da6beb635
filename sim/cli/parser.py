"""The ``nhsim`` argument parser: every command, option and its help text."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from sim.runs.replications import MAX_REPLICATIONS

__all__ = ["build_parser"]


def _whole_number(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``least`` (nor larger than ``most``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise argparse.ArgumentTypeError(f"must be a whole number, got {shown!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        if most is not None and value > most:
            shown = str(value) if len(str(value)) <= 40 else f"a number of {len(str(value))} digits"
            raise argparse.ArgumentTypeError(f"must be <= {most}, got {shown}")
        return value

    return parse


_positive_int = _whole_number(1)
_seed = _whole_number(0)
_replications = _whole_number(1, MAX_REPLICATIONS)


def _port(text: str) -> int:
    """An argparse type: a TCP port number, 1 to 65535."""
    value = _whole_number(1)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be <= 65535, got {value}")
    return value


def _amount(text: str) -> float:
    """An argparse type: an amount of money, 0 or more."""
    try:
        value = float(text.replace(",", "").removeprefix("£"))
    except ValueError:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise argparse.ArgumentTypeError(f"must be a number of pounds, got {shown!r}") from None
    if not 0 <= value <= 1e7:
        raise argparse.ArgumentTypeError(f"must be from 0 to 10,000,000, got {text}")
    return value


def _add_scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a scenario key, e.g. --set services.ucr.staff=4 (repeatable)",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--replications",
        "-n",
        type=_replications,
        help=f"replications, at most {MAX_REPLICATIONS:,} (default: the scenario's run.replications)",
    )
    p.add_argument("--seed", type=_seed, help="seed of the run (default: the scenario's run.seed)")
    p.add_argument(
        "--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)"
    )
    p.add_argument(
        "--out", type=Path, help="output directory (default: results/<scenario>-<timestamp>/)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    _add_backend_options(p)
    _add_scenario_options(p)


def _add_backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=("local", "dask"),
        default="local",
        help="where replications run: a local process pool (default) or Dask",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address (default with --backend dask: a local cluster)",
    )
    p.add_argument("--no-plots", action="store_true", help="do not draw figures")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nhsim",
        description="Simulate urgent community care: conveyances and admissions avoided, and how they depend on capacity.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run a scenario's replications and write a results directory")
    p.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_run_options(p)
    p.add_argument(
        "--event-log",
        action="store_true",
        help="also write every patient movement to events/replication-NNNN.csv in the output directory",
    )

    p = sub.add_parser(
        "compare",
        help="run a counterfactual and a scenario on common random numbers; print what the scenario avoids",
    )
    p.add_argument(
        "counterfactual", type=Path, help="the counterfactual scenario (e.g. current capacity)"
    )
    p.add_argument(
        "scenario",
        type=Path,
        nargs="?",
        help="the scenario (default: the counterfactual with the --set changes)",
    )
    _add_run_options(p)
    p.add_argument(
        "--split",
        action="store_true",
        help="also run each change of the scenario alone against the counterfactual (the parts "
        "of a package; for a --set variant, each --set) and print what each part avoids",
    )

    p = sub.add_parser(
        "sweep", help="run an experiment's design of capacities (experiments/*.toml)"
    )
    p.add_argument("experiment", type=Path, help="experiment file (TOML)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted sweep, keeping completed points",
    )
    p.add_argument("--out", type=Path, help="output directory (default: results/<experiment>/)")
    p.add_argument(
        "--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    _add_backend_options(p)

    p = sub.add_parser(
        "search", help="find the least capacities meeting a standard (an experiment's [search])"
    )
    p.add_argument("experiment", type=Path, help="experiment file (TOML) with a [search] table")
    p.add_argument("--out", type=Path, help="output directory (default: results/<experiment>/)")
    p.add_argument(
        "--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    _add_backend_options(p)

    p = sub.add_parser(
        "calibrate",
        help="fit unknown parameters so that the model matches observed figures",
        description="Fit free parameters to targets, on common random numbers. Give a scenario with "
        "--target and --free, or an experiment file with a [calibration] table.",
    )
    p.add_argument(
        "scenario", type=Path, help="scenario file, or an experiment file with [calibration]"
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="an observed figure: metric=value, or avoided.metric=value (needs --counterfactual); "
        "value±sd if its uncertainty is known (repeatable)",
    )
    p.add_argument(
        "--free",
        action="append",
        default=[],
        metavar="KEY.PATH=LOW:HIGH",
        help="a parameter to fit within [low, high]; add :int for whole numbers (repeatable)",
    )
    p.add_argument(
        "--counterfactual", type=Path, help="counterfactual scenario for avoided.* targets"
    )
    p.add_argument(
        "--replications", "-n", type=_replications, help="replications an evaluation (default 10)"
    )
    p.add_argument("--seed", type=_seed, help="seed (default: the scenario's run.seed)")
    p.add_argument(
        "--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)"
    )
    p.add_argument(
        "--out", type=Path, help="output directory (default: results/<scenario>-calibrated/)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    _add_backend_options(p)
    _add_scenario_options(p)

    p = sub.add_parser(
        "reproduce", help="set a model against published figures (an experiment's [published])"
    )
    p.add_argument(
        "experiment",
        type=Path,
        help="experiment file with scenario, counterfactual and [published]",
    )
    p.add_argument(
        "--replications", "-n", type=_replications, help="replications (default: the experiment's)"
    )
    p.add_argument(
        "--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)"
    )
    p.add_argument("--out", type=Path, help="output directory (default: results/<experiment>/)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _add_backend_options(p)

    p = sub.add_parser(
        "uncertainty",
        help="parameter uncertainty of an experiment's [uncertainty] inputs: intervals, what the "
        "answer rests on, the chance that a decision is right",
        description="Draw parameter sets from the distributions of an experiment's [uncertainty] "
        "table, run each set's counterfactual and scenario on the same replication seeds, and "
        "report the uncertainty interval of each avoided figure beside the stochastic-only one, "
        "Sobol indices, the chance that the decision is right and the value of information.",
    )
    p.add_argument(
        "experiment", type=Path, help="experiment file (TOML) with an [uncertainty] table"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted analysis, keeping completed parameter sets",
    )
    p.add_argument("--out", type=Path, help="output directory (default: results/<experiment>/)")
    p.add_argument(
        "--willingness-to-pay",
        type=_amount,
        metavar="POUNDS",
        help="£ put on an admission avoided, beyond the costs saved (default: the experiment's "
        "decision.willingness_to_pay)",
    )
    p.add_argument(
        "--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or tables")
    _add_backend_options(p)

    p = sub.add_parser(
        "scale",
        help="write a scenario that extends FILE with the population and capacities scaled",
        description="Write a new place's scenario: it extends FILE and sets the population to N "
        "and every capacity (staff on duty, rosters, beds, fleets, hub clinicians) times N / the "
        "original population, rounded, at least 1 where the original had at least 1. Rates per "
        "1,000 people and lengths of stay are not changed.",
    )
    p.add_argument("scenario", type=Path, metavar="FILE", help="the scenario file to scale (TOML)")
    p.add_argument(
        "--population", type=_positive_int, required=True, metavar="N", help="the new population"
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="NEW.toml",
        help="the file to write (default: <FILE name>_<N>.toml in the current folder)",
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--quiet", "-q", action="store_true", help="print only where it was written")

    p = sub.add_parser("validate", help="check a scenario file and print the resolved scenario")
    p.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_scenario_options(p)

    p = sub.add_parser(
        "report",
        help="write a board paper (HTML and PDF) from the results folder of a run or comparison",
    )
    p.add_argument(
        "results_dir",
        type=Path,
        metavar="RESULTS_DIR",
        help="a results folder written by nhsim run or nhsim compare",
    )
    p.add_argument(
        "--out", type=Path, help="folder for report.html and report.pdf (default: RESULTS_DIR)"
    )

    sub.add_parser("schema", help="print the JSON schema of scenario files")

    p = sub.add_parser(
        "app",
        help="serve the local web app (Streamlit) on the same engine, scenario files and seeds",
    )
    p.add_argument(
        "--port", type=_port, default=8501, help="port to serve the app on (default 8501)"
    )
    p.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )

    p = sub.add_parser(
        "verify", help="check the simulator against queueing theory and print a table"
    )
    p.add_argument(
        "--replications",
        "-n",
        type=_replications,
        default=20,
        help="replications per check (default 20)",
    )
    p.add_argument("--seed", type=_seed, default=2024, help="seed (default 2024)")
    p.add_argument(
        "--workers", "-w", type=_positive_int, help="worker processes (default: one per CPU)"
    )
    return parser

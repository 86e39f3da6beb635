"""Golden back tests: short runs of every shipped scenario, kept byte for byte.

Each shipped scenario (``configs/*.toml`` and ``configs/examples/*.toml``) is run for a
short period at a fixed seed and its ``replications.csv`` is stored here as
``<file stem>.csv``. ``tests/test_golden.py`` runs the same and compares the bytes, so
a change that claims "same results" is held to it.

When a change is meant to move results, regenerate with::

    make golden        # or: .venv/bin/python tests/golden/regenerate.py

and say in the commit why the results moved.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent

SEED = 20240601
REPLICATIONS = 3
OVERRIDES = ["run.days=60", "run.warmup_days=10"]
"""Short enough to keep the back test quick, long enough for every service to be used."""


def scenario_files() -> list[Path]:
    """Every shipped scenario, in a fixed order."""
    return sorted(ROOT.glob("configs/*.toml")) + sorted(ROOT.glob("configs/examples/*.toml"))


def golden_name(path: Path) -> str:
    return ("examples." if path.parent.name == "examples" else "") + path.stem + ".csv"


def replications_text(path: Path) -> str:
    """The replications.csv of the short run of ``path``, exactly as a run writes it."""
    from sim import load_scenario, run
    from sim.output.results import replications_csv

    scenario = load_scenario(path, OVERRIDES)
    return replications_csv(run(scenario, REPLICATIONS, SEED, workers=1))


def main() -> int:
    for path in scenario_files():
        target = GOLDEN / golden_name(path)
        target.write_text(replications_text(path), encoding="utf-8", newline="")
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())

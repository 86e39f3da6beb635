"""Golden back tests: every shipped scenario's short run gives the stored bytes.

A refactor must leave these files unchanged. A change meant to move results
regenerates them (``make golden``) and says why in its commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden.regenerate import GOLDEN, golden_name, replications_text, scenario_files


def test_every_shipped_scenario_has_a_golden_file() -> None:
    stored = {p.name for p in GOLDEN.glob("*.csv")}
    expected = {golden_name(p) for p in scenario_files()}
    assert stored == expected, "run `make golden` after adding or removing a shipped scenario"


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: golden_name(p)[:-4])
def test_replications_match_golden_bytes(path: Path) -> None:
    expected = (GOLDEN / golden_name(path)).read_text(encoding="utf-8")
    actual = replications_text(path)
    if actual != expected:
        old, new = expected.splitlines(), actual.splitlines()
        header = old[0].split(",") if old else []
        diffs = []
        if old[:1] != new[:1]:
            diffs.append(f"columns differ: {set(header) ^ set(new[0].split(','))}")
        for i, (a, b) in enumerate(zip(old[1:], new[1:]), start=1):
            for col, x, y in zip(header, a.split(","), b.split(",")):
                if x != y:
                    diffs.append(f"row {i} {col}: stored {x}, now {y}")
        pytest.fail(f"{golden_name(path)} moved ({len(diffs)} differences), first: {diffs[:5]}")

"""``nhsim scale FILE --population N``: a new place's scenario from a shipped one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.format import EXIT_BAD_INPUT

__all__ = ["cmd_scale"]


def default_out(scenario_path: Path, population: int) -> Path:
    """``<file name>_<N>.toml`` in the current folder."""
    return Path(f"{scenario_path.stem}_{population}.toml")


def cmd_scale(args: argparse.Namespace) -> int:
    from sim.output.results import write_atomic
    from sim.scenario.loader import display_path, load_scenario
    from sim.scenario.scale import scaled_toml

    out: Path = args.out or default_out(args.scenario, args.population)
    if out.suffix.lower() != ".toml":
        print(f"{out}: --out must name a .toml file", file=sys.stderr)
        return EXIT_BAD_INPUT
    if out.is_dir():
        print(f"{out}: --out is a folder; give the scenario file to write", file=sys.stderr)
        return EXIT_BAD_INPUT
    if out.exists() and not args.force:
        print(
            f"{out}: already exists; use --force to replace it, or another --out", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    if not out.parent.is_dir():
        print(f"{out}: no folder {out.parent}/ to write it in", file=sys.stderr)
        return EXIT_BAD_INPUT
    text, scaled = scaled_toml(args.scenario, args.population, out)  # ScenarioError: exit 2
    write_atomic(out, text)
    try:
        load_scenario(out)  # the file as written reads back (its extends path resolves)
    except Exception:
        out.unlink(missing_ok=True)
        raise
    if not args.quiet:
        was = scaled.original.population.size
        print(
            f"{display_path(args.scenario)}: population {was:,} -> {args.population:,} "
            f"(x{scaled.factor:.4g})"
        )
        for key, (old, new) in scaled.changes.items():
            if isinstance(new, list):
                print(f"  {key}: {sum(old):,} -> {sum(new):,} clinician-hours a week")
            else:
                print(f"  {key}: {old} -> {new}")
        if not scaled.changes:
            print("  (no capacity changes at this size)")
    print(f"Scenario written to {out} (extends {display_path(args.scenario)})")
    return 0

"""A file that ``extends`` another and names new cohorts replaces every per-cohort table.

Rates, admission probabilities, short-stay shares and on-scene outcomes can be given
by cohort. When a file that extends another gives ``[population] cohorts`` with a
different set of names, the base's per-cohort tables name cohorts that no longer exist:
merging the new file's tables into them (or keeping them) would leave stale cohorts
behind, one error each. So, before the new file is merged, every table of the base
whose keys are all cohort names of the base, at least one of them a cohort the new
file drops, is removed; the new file must give each of them again, for its own
cohorts (a problem names each one it does not give). A file whose cohorts keep every
name of the base's (shares changed, or cohorts added) merges as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sim.scenario.errors import Problem

__all__ = ["drop_stale_cohort_tables", "missing_cohort_tables"]

Path = tuple[str, ...]


def _cohorts(data: dict[str, Any]) -> set[str] | None:
    population = data.get("population")
    cohorts = population.get("cohorts") if isinstance(population, dict) else None
    return set(cohorts) if isinstance(cohorts, dict) else None


def _per_cohort_tables(
    node: dict[str, Any], old: set[str], removed: set[str], path: Path
) -> Iterator[Path]:
    for key, value in node.items():
        if not isinstance(value, dict) or "dist" in value or (not path and key == "population"):
            continue
        here = (*path, key)
        keys = set(value)
        if keys and keys <= old and keys & removed:
            yield here
        else:
            yield from _per_cohort_tables(value, old, removed, here)


def drop_stale_cohort_tables(
    merged: dict[str, Any], top: dict[str, Any], provenance: dict[Path, str]
) -> list[tuple[Path, str, list[str]]]:
    """Before ``top`` is merged into ``merged``: if ``top`` names cohorts that drop some of
    ``merged``'s, remove ``merged``'s per-cohort tables naming them (in place, with their
    provenance). Returns each removed table's (key path, file it came from, its cohorts)."""
    old, new = _cohorts(merged), _cohorts(top)
    if old is None or new is None or old <= new:
        return []
    removed = old - new
    dropped = []
    for path in list(_per_cohort_tables(merged, old, removed, ())):
        node = merged
        for key in path[:-1]:
            node = node[key]
        table = node.pop(path[-1])
        source = provenance.get(path, "")
        for stale in [p for p in provenance if p[: len(path)] == path]:
            del provenance[stale]
        dropped.append((path, source, list(table)))
    return dropped


def missing_cohort_tables(
    merged: dict[str, Any], dropped: list[tuple[Path, str, list[str]]], source: str
) -> list[Problem]:
    """A problem, named as ``source``'s, for each dropped table it did not give again."""
    population = merged.get("population")
    new = list(population.get("cohorts", {})) if isinstance(population, dict) else []
    problems = []
    for path, base, old in dropped:
        node: Any = merged
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            continue
        problems.append(
            Problem(
                source,
                ".".join(path),
                f"{base or 'the base file'} gives it by cohort ({', '.join(old)}), and this "
                f"file replaces the cohorts: give it again for {', '.join(new)}",
            )
        )
    return problems

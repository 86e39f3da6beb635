"""Errors in scenario files, worded for the person who wrote the file.

Every problem names the file, the key path, what is wrong and the value found:
``configs/x.toml: services.ucr.staff: must be >= 0, got -2``. A misspelt key gets the
closest valid key suggested.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "ScenarioError", "closest", "describe_number", "describe_value"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (file and key path) and what."""

    source: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def describe_value(value: Any) -> str:
    """A value as it would be written in TOML, shortened if long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {describe_value(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, list):
        text = "[" + ", ".join(describe_value(v) for v in value) + "]"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_number(x: float) -> str:
    """A number in few digits, as TOML would read it: ``3.2e9``, ``5e7``, ``1e-9``, ``395``."""
    text = f"{x:.3g}"
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text


def closest(word: str, choices: list[str]) -> str | None:
    """The valid key nearest to a misspelt one, if any is near enough."""
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None

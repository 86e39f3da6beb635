"""Reading the files nhsim is given: scenario and experiment files, sweep records.

Every problem is said in words, naming the file: a missing file, a folder given as a
file, no permission, text that is not UTF-8, invalid TOML. :func:`read_text` raises
:class:`UnreadableFile` (its ``reason`` is the words); :func:`read_toml` turns that into
a :class:`~sim.scenario.errors.ScenarioError`, the error of bad input, so that a
scenario and an experiment file are read with the same care and the same messages.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.scenario.errors import Problem, ScenarioError

__all__ = ["UnreadableFile", "read_text", "read_toml"]


class UnreadableFile(Exception):
    """A file that cannot be read as text; ``reason`` says why, in words."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def read_text(path: Path, kind: str = "a file") -> str:
    """The UTF-8 text of ``path``; ``kind`` names what was expected ("an experiment file")."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnreadableFile(path, "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(path, f"is a directory, not {kind}") from None
    except PermissionError:
        raise UnreadableFile(path, "cannot read the file: permission denied") from None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            path, f"cannot read the file: not UTF-8 text (byte {exc.start + 1})"
        ) from None
    except OSError as exc:
        raise UnreadableFile(
            path, f"cannot read the file: {(exc.strerror or str(exc)).rstrip('.')}"
        ) from None


def read_toml(path: Path, source: str, kind: str = "a scenario file") -> dict[str, Any]:
    """The TOML table in ``path``; every problem is a ScenarioError naming ``source``."""
    try:
        text = read_text(path, kind)
    except UnreadableFile as err:
        raise ScenarioError([Problem(source, "", err.reason)]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(source, "", f"not valid TOML: {exc}")]) from None

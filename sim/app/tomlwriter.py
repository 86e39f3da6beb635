"""Write scenario data as TOML, so that a page's changes can be saved as a file.

Only what scenario data holds is written: tables, strings, whole and decimal numbers,
booleans and lists. A table of plain values (a distribution, a split, rates by cohort)
is written inline, ``{ dist = "lognormal", mean = 90, sd = 40 }``, as the shipped files
write them; a table holding tables gets a ``[header]``. Floats are written with
``repr``, so every number reads back exactly.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["dumps", "format_key", "format_value"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def format_key(key: str) -> str:
    """A key, quoted only if it must be."""
    return key if _BARE_KEY.match(key) else json.dumps(key)


def format_value(value: Any) -> str:
    """One value as TOML: numbers exactly, strings quoted, tables inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return (
            "{ "
            + ", ".join(f"{format_key(k)} = {format_value(v)}" for k, v in value.items())
            + " }"
        )
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table(value: Any) -> bool:
    """A table that gets its own header: one holding another table (not a distribution)."""
    return (
        isinstance(value, dict)
        and "dist" not in value
        and any(isinstance(v, dict) for v in value.values())
    )


def _write(data: dict[str, Any], prefix: list[str], out: list[str]) -> None:
    plain = [(k, v) for k, v in data.items() if not _is_table(v)]
    tables = [(k, v) for k, v in data.items() if _is_table(v)]
    if prefix and (plain or not tables):
        out.append("")
        out.append("[" + ".".join(format_key(k) for k in prefix) + "]")
    for key, value in plain:
        out.append(f"{format_key(key)} = {format_value(value)}")
    for key, value in tables:
        _write(value, [*prefix, key], out)


def dumps(data: dict[str, Any], header: str = "") -> str:
    """``data`` as the text of a TOML file, with ``header`` as a comment at the top."""
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    _write(data, [], out)
    return "\n".join(out).lstrip("\n") + "\n"

"""Write the scenario file reference (``docs/reference/scenario.md``) from the models.

The page is generated from the JSON schema of :class:`~sim.scenario.model.Scenario`,
walked generically (``$ref``/``$defs``, ``anyOf``, ``oneOf`` with a discriminator,
``allOf``), so a table, key or service ``kind`` added to the models appears here
without changes to this file. Tables come in the order they are first reached from
the top of a scenario file, keys in the order the models declare them.

Run ``python -m sim.scenario.reference > docs/reference/scenario.md`` (``make docs``);
``tests/test_docs.py`` fails while the page and the models disagree.
"""

from __future__ import annotations

import math
import re
import sys
import typing
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from sim.scenario.distributions import MAX_CV, MAX_SD, MAX_VALUE, MIN_CV
from sim.scenario.errors import describe_number
from sim.scenario.loader import replaced_whole
from sim.scenario.model import HOME, Split, scenario_model
from sim.scenario.types import MAX_ARRIVALS, MIN_WEIGHT

__all__ = ["SPLIT_MARK", "reference_schema", "render_reference"]

SPLIT_MARK = "x-sums-to-one"
"""Key added to the schema of a split (a table of shares that must sum to 1)."""

GROUP_NAMES = {"dist": ("Distributions", "distribution")}
"""Friendly names for groups of inline tables chosen by a tag: (heading, singular)."""


def _split_validator() -> Any:
    """The function that checks a split sums to 1 (taken from ``Split`` itself)."""
    for arg in typing.get_args(Split)[1:]:
        func = getattr(arg, "func", None)
        if func is not None:
            return func
    return None  # pragma: no cover - Split always carries its validator


_SUMS_TO_ONE = _split_validator()


class _ReferenceSchema(GenerateJsonSchema):
    """The schema ``nhsim schema`` prints, plus what the page needs that it leaves out:
    defaults made by a factory (``{ home = 1 }``) and a mark on splits."""

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            return factory()  # type: ignore[call-arg]  # takes no data, as checked
        return super().get_default_value(schema)

    def function_after_schema(
        self, schema: core_schema.AfterValidatorFunctionSchema
    ) -> JsonSchemaValue:
        json_schema = super().function_after_schema(schema)
        if _SUMS_TO_ONE is not None and schema["function"].get("function") is _SUMS_TO_ONE:
            json_schema = {**json_schema, SPLIT_MARK: True}
        return json_schema


def reference_schema() -> dict[str, Any]:
    """The JSON schema of scenario files, with factory defaults and splits marked."""
    return scenario_model().model_json_schema(by_alias=True, schema_generator=_ReferenceSchema)


# --------------------------------------------------------------------------- walking


@dataclass
class _Section:
    """One table of the page: a ``$defs`` entry (or the top level)."""

    ref: str
    heading: str
    anchor: str
    used_at: list[str] = field(default_factory=list)
    tag: tuple[str, str] | None = None  # (discriminator key, value) for a member of a group


@dataclass
class _Group:
    """Tables of which one is chosen by a tag key (``kind``, ``dist``)."""

    key: tuple[str, ...]
    tag: str
    heading: str
    anchor: str
    singular: str
    inline: bool
    members: list[str] = field(default_factory=list)
    used_at: list[str] = field(default_factory=list)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _table_heading(path: str) -> str:
    """A table's header in a TOML file: ``[run]``, or ``[[x]]`` for a list of tables."""
    return f"`[[{path[:-2]}]]`" if path.endswith("[]") else f"`[{path}]`"


def _union_of(node: dict[str, Any]) -> tuple[str, list[str]] | None:
    """(tag key, member $defs names) if ``node`` is a tagged union of tables."""
    members = node.get("oneOf") or node.get("anyOf")
    disc = node.get("discriminator")
    if members and disc:
        return disc["propertyName"], [_ref_name(m["$ref"]) for m in members if "$ref" in m]
    return None


class _Walker:
    """Finds every table reachable from the top of a scenario file, in a stable order."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.root = schema
        self.order: list[_Section | _Group] = []
        self.sections: dict[str, _Section] = {}
        self.groups: dict[tuple[str, ...], _Group] = {}
        self.member_group: dict[str, _Group] = {}
        top = _Section("", "Top level", "table-top-level")
        self.sections[""] = top
        self.order.append(top)
        self.queue: deque[tuple[str, dict[str, Any], str]] = deque([("", schema, "")])
        while self.queue:
            _, node, path = self.queue.popleft()
            for key, prop in node.get("properties", {}).items():
                self._visit(prop, f"{path}.{key}" if path else key, table=False)

    def definition(self, ref: str) -> dict[str, Any]:
        return self.root if ref == "" else self.defs[ref]

    def _visit(self, node: dict[str, Any], path: str, table: bool) -> None:
        """Register the tables that a key's value may be. ``table``: the value is an
        entry of a named map (``[services.<name>]``) rather than a key's own value."""
        if "$ref" in node:
            self._section(_ref_name(node["$ref"]), path)
            return
        union = _union_of(node)
        if union is not None:
            self._group(union[0], union[1], path, table)
            return
        for sub in node.get("allOf", []) + node.get("anyOf", []) + node.get("oneOf", []):
            self._visit(sub, path, table)
        if isinstance(node.get("additionalProperties"), dict):
            self._visit(node["additionalProperties"], f"{path}.<name>", table=True)
        if isinstance(node.get("items"), dict):
            self._visit(node["items"], f"{path}[]", table=True)

    def _section(self, ref: str, path: str) -> _Section:
        if ref in self.member_group:
            return self.sections[ref]
        if ref in self.sections:
            self.sections[ref].used_at.append(path)
            return self.sections[ref]
        sec = _Section(ref, _table_heading(path), "table-" + _anchor(path), [path])
        self.sections[ref] = sec
        self.order.append(sec)
        self.queue.append((ref, self.defs[ref], path))
        return sec

    def _group(self, tag: str, members: list[str], path: str, table: bool) -> None:
        key = (tag, *members)
        group = self.groups.get(key)
        if group is None:
            if table:
                heading, anchor = _table_heading(path), "table-" + _anchor(path)
                singular = path.rsplit(".", 2)[-2] if "." in path else path
                singular = singular.removesuffix("s")
            else:
                heading, singular = GROUP_NAMES.get(tag, (f"Tables chosen by `{tag}`", "table"))
                anchor = "group-" + _anchor(heading)
            group = _Group(key, tag, heading, anchor, singular, inline=not table)
            self.groups[key] = group
            self.order.append(group)
            for ref in members:
                value = self.defs[ref].get("properties", {}).get(tag, {}).get("const", ref)
                heading, member_anchor = f'`{tag} = "{value}"`', f"{anchor}-{_anchor(str(value))}"
                sec = _Section(ref, heading, member_anchor, tag=(tag, value))
                self.sections[ref] = sec
                self.member_group[ref] = group
                group.members.append(ref)
                self.queue.append((ref, self.defs[ref], path))
        group.used_at.append(path)


# --------------------------------------------------------------------------- rendering

_PLURAL = {
    "number": "numbers",
    "whole number": "whole numbers",
    "text": "texts",
    "true or false": "true/false values",
}


_BOUNDS = (
    ("minimum", ">="),
    ("exclusiveMinimum", ">"),
    ("maximum", "<="),
    ("exclusiveMaximum", "<"),
)

_EXTENDS_ROW = (
    "| `extends` | text | none | a file name | another scenario file to start from, relative to "
    "this one (read by the loader, so it is not in `nhsim schema`; see the rules above) |"
)


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
            return str(int(x))
        return f"{x:g}"
    return str(x)


def _bound(x: Any) -> str:
    """A bound as a reader takes it in: whole numbers with thousands separators (``100,000``)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return _num(x)


def _toml(value: Any) -> str:
    """A value written as it would be in a scenario file."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (bool, int, float)):
        return _num(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)  # pragma: no cover


def _prose(text: str) -> str:
    """A docstring or description as Markdown: ``code`` → `code`, wrapped lines joined."""
    text = text.replace("``", "`")
    paragraphs = re.split(r"\n\s*\n", text.strip())
    joined = [" ".join(line.strip() for line in p.splitlines()) for p in paragraphs]
    return "\n\n".join(p for p in joined if p)


def _cell(text: str) -> str:
    return _prose(text).replace("\n\n", "<br>").replace("|", "\\|") or "-"


class _Renderer:
    def __init__(self, walker: _Walker) -> None:
        self.w = walker

    # -- the type of a value

    def type_of(self, node: dict[str, Any]) -> str:
        if "$ref" in node:
            ref = _ref_name(node["$ref"])
            sec = self.w.sections[ref]
            return f"table ([{sec.heading}](#{sec.anchor}))"
        union = _union_of(node)
        if union is not None:
            group = self.w.groups[(union[0], *union[1])]
            if group.inline:
                return f"{group.singular} ([{group.heading}](#{group.anchor}))"
            return f"table ([{group.heading}](#{group.anchor}))"
        subs = node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", [])
        if subs:
            kinds = [self.type_of(s) for s in subs if s.get("type") != "null"]
            return ", or ".join(dict.fromkeys(kinds))
        kind = node.get("type", "string" if "const" in node or "enum" in node else None)
        if kind == "string":
            return "text"
        if kind == "integer":
            return "whole number"
        if kind == "number":
            return "number"
        if kind == "boolean":
            return "true or false"
        if kind == "array":
            item = self.type_of(node.get("items", {}))
            n_min, n_max = node.get("minItems"), node.get("maxItems")
            count = f"{n_min} " if n_min is not None and n_min == n_max else ""
            plural = "tables" + item[5:] if item.startswith("table") else _PLURAL.get(item, item)
            return f"list of {count}{plural}"
        if kind == "object":
            values = node.get("additionalProperties")
            if node.get(SPLIT_MARK):
                return "split: table of name → share"
            if isinstance(values, dict):
                inner = "split" if values.get(SPLIT_MARK) else self.type_of(values)
                return f"table of name → {f'({inner})' if ', or ' in inner else inner}"
            return "table"
        return "any value"

    # -- bounds and allowed values

    def allowed(self, node: dict[str, Any]) -> list[str]:
        out: list[str] = []
        if "const" in node:
            out.append(f"`{_toml(node['const'])}`")
        if "enum" in node:
            out.append(", ".join(f"`{_toml(v)}`" for v in node["enum"]))
        bounds = [(op, node[key]) for key, op in _BOUNDS if key in node]
        if [op for op, _ in bounds] == [">=", "<="]:
            out.append(f"{_bound(bounds[0][1])} to {_bound(bounds[1][1])}")
        else:
            out.extend(f"{op} {_bound(v)}" for op, v in bounds)
        for key in ("minLength", "maxLength", "pattern"):
            if key in node:
                out.append(f"{key} {node[key]}")
        if node.get("type") == "array":
            n_min, n_max = node.get("minItems"), node.get("maxItems")
            if n_min is not None and n_min == n_max:
                out.append(f"exactly {n_min} values")
            else:
                if n_min:
                    out.append(f"at least {n_min} value{'s' * (n_min != 1)}")
                if n_max is not None:
                    out.append(f"at most {n_max} values")
            out.extend(f"each {a}" for a in self.allowed(node.get("items", {})))
        if node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict):
            values = node["additionalProperties"]
            if node.get(SPLIT_MARK):
                out.append("shares must sum to 1")
            elif values.get(SPLIT_MARK):
                out.append("each a split: shares 0 to 1 summing to 1")
            if not values.get(SPLIT_MARK):
                out.extend(f"each {a}" for a in self.allowed(values) if not a.startswith("each"))
        for sub in node.get("anyOf", []) + node.get("allOf", []):
            if "$ref" not in sub and _union_of(sub) is None:
                out.extend(self.allowed(sub))
        return list(dict.fromkeys(out))

    # -- defaults

    def default(self, prop: dict[str, Any], required: bool) -> str:
        if required:
            return "required"
        if "default" not in prop:
            return "optional"
        value = prop["default"]
        if isinstance(value, dict) and value and self._is_table(prop):
            return "see the table"
        return f"`{_toml(value)}`" if value is not None else "none"

    def _is_table(self, node: dict[str, Any]) -> bool:
        if "$ref" in node:
            return _ref_name(node["$ref"]) not in self.w.member_group
        return any(self._is_table(s) for s in node.get("anyOf", []) + node.get("allOf", []))

    # -- a table of keys

    def keys_table(self, ref: str, tag: tuple[str, str] | None) -> list[str]:
        node = self.w.definition(ref)
        required = set(node.get("required", []))
        lines = [
            "| Key | Type | Default | Allowed | Description |",
            "|---|---|---|---|---|",
        ]
        props = list(node.get("properties", {}).items())
        if tag is not None:  # the tag key first: it decides what the other keys are
            props.sort(key=lambda item: item[0] != tag[0])
        for name, prop in props:
            if tag is not None and name == tag[0]:
                description = prop.get("description") or "says which of these tables this is"
            else:
                description = prop.get("description", "")
            allowed = self.allowed(prop)
            lines.append(
                f"| `{name}` | {self.type_of(prop)} | {self.default(prop, name in required)} "
                f"| {_cell('; '.join(allowed))} | {_cell(description)} |"
            )
        return lines

    def section(self, sec: _Section, level: int) -> list[str]:
        node = self.w.definition(sec.ref)
        out = [f'<a id="{sec.anchor}"></a>', "", f"{'#' * level} {sec.heading}", ""]
        if sec.ref and node.get("description"):
            out += [_prose(node["description"]), ""]
        paths = list(dict.fromkeys(sec.used_at))
        if sec.tag is None and len(paths) > 1:
            out += ["Used at: " + ", ".join(f"`{p}`" for p in paths) + ".", ""]
        rows = self.keys_table(sec.ref, sec.tag)
        if sec.ref == "":
            rows.append(_EXTENDS_ROW)
        return out + rows + [""]

    def group(self, group: _Group) -> list[str]:
        members = [self.w.sections[r] for r in group.members]
        values = ", ".join(f"[`{m.tag[1]}`](#{m.anchor})" for m in members if m.tag)
        out = [f'<a id="{group.anchor}"></a>', "", f"## {group.heading}", ""]
        if group.inline:
            example = self._example(members[0]) if members else ""
            out += [
                f"A {group.singular} is written as an inline table whose `{group.tag}` key "
                f"says which one it is: {values}.{example}",
                "",
            ]
            paths = list(dict.fromkeys(group.used_at))
            out += ["Used at: " + ", ".join(f"`{p}`" for p in paths) + ".", ""]
        else:
            example = group.used_at[0].replace("<name>", f"my_{group.singular}")
            out += [
                f"Each entry is a table with a name you choose, such as `[{example}]`. Its "
                f"`{group.tag}` key says which kind it is, and so which keys it takes: {values}.",
                "",
            ]
        for sec in members:
            out += self.section(sec, 3)
        return out

    def _example(self, sec: _Section) -> str:
        """An inline-table example built from a member's required keys."""
        node = self.w.definition(sec.ref)
        parts = []
        for name in node.get("required", []):
            prop = node["properties"][name]
            if "const" in prop:
                parts.append(f"{name} = {_toml(prop['const'])}")
            elif prop.get("type") in ("number", "integer"):
                parts.append(f"{name} = 60")
            else:
                return ""
        return f" For example: `{{ {', '.join(parts)} }}`." if parts else ""

    def contents(self) -> list[str]:
        out = ["## Contents", ""]
        for item in self.w.order:
            if isinstance(item, _Group):
                out.append(f"- [{item.heading}](#{item.anchor})")
                for ref in item.members:
                    sec = self.w.sections[ref]
                    out.append(f"  - [{sec.heading}](#{sec.anchor})")
            elif item.ref not in self.w.member_group:
                out.append(f"- [{item.heading}](#{item.anchor})")
        return out + [""]


_INTRO = """\
# Scenario files

<!-- Generated from the scenario models by `python -m sim.scenario.reference` (`make docs`).
     Do not edit by hand: change the models' descriptions and run `make docs`. -->

A scenario is a [TOML](https://toml.io) file that describes a population, its urgent
need for care (demand), and the services that meet it. `configs/teaching.toml` is a
short, commented example. This page lists every table and key a scenario file may
contain. `nhsim validate FILE` checks a file and prints it with every default filled in;
`nhsim schema` prints the same rules as a JSON schema, for editors that understand one.

## Rules that apply everywhere

- **Units are in the key names.** `visit_minutes` is in minutes, `target_hours` in hours,
  `warmup_days` in days, `rate_per_1000` is per 1,000 people a year. Probabilities and
  shares are fractions between 0 and 1 (`0.7`, not `70`).
- **Unknown keys are errors.** A misspelt key is never silently ignored:
  `staf = 2` gives `services.ucr.staf: unknown key; did you mean 'staff'?`.
- **Distributions are inline tables** chosen by `dist`, for example
  `visit_minutes = { dist = "lognormal", mean = 90, sd = 40 }`. Their values are in the
  unit of the key that holds them. See [Distributions](#group-distributions).
- **Splits sum to 1.** A split shares patients (or people) out by name, for example
  `after_visit = { home = 0.67, ed = 0.33 }`. The shares must add up to 1. A destination
  is the name of a service in the same scenario, or `@HOME@` (the patient stays at home).
- **Numbers are finite and within limits.** `nan` and `inf` (which TOML allows) are
  refused everywhere. Counts, rates, lengths and costs have the upper limits shown in
  the tables below, which keep a run within the machine's memory and the engine's
  clock. A distribution's mean, bounds and values are at most @MAX_VALUE@ (in the unit
  of its key) and its `sd` at most @MAX_SD@; a lognormal's or gamma's `sd` is from
  @MIN_CV@ to @MAX_CV@ times its `mean`. The largest weight of a profile
  (`hour_of_day` …) is at least @MIN_WEIGHT@. A service cannot send patients to itself.
- **The demand of one replication is limited.** The expected number of arrivals, over
  the warm-up and the measured period and all demand sources together (rate ×
  people / 1,000 × days / 365), may be at most @MAX_ARRIVALS@; above that, `nhsim`
  says `demand: expects 3.2e9 arrivals a replication over 395 days; the limit is @ARRIVALS_LIMIT@
  (lower the rates, the population or run.days)` and runs nothing.
- **`extends` builds on another file.** `extends = "teaching.toml"` at the top of a file
  reads that file first (the path is relative to the file that says `extends`), then
  applies this file's keys over it, key by key. A distribution or one of these tables
  replaces the base file's value whole, so no key of the old one is left behind:
  @REPLACED@.
  A file that gives `[population] cohorts` without some of the base file's cohort
  names replaces every table the base gives by cohort (`rate_per_1000`,
  `admission_probability`, `on_scene_by_cohort`...): they are dropped before the file is
  merged, and it must give each again for its own cohorts; a table it leaves out is
  named (`... gives it by cohort (under_65, fit, ...), and this file replaces the
  cohorts: give it again for younger, older`).
- **`--set` changes one key from the command line**, after `extends` is resolved:
  `nhsim run configs/teaching.toml --set services.ucr.staff=2`. The value is read as TOML
  (numbers, `true`/`false`, `"text"`, `[lists]`, `{ inline = 1 }` tables); anything that
  is not valid TOML is taken as text. Repeat `--set` to change several keys.
- Names you choose (of demand sources, services, cohorts) appear in metric names and
  in other keys, so keep them short: `ucr`, `ed`, `severe`. A scenario read from a file
  without a `name` is named after the file (`teaching.toml` gives `teaching`).

In the tables below, *required* keys must be given, *none* means the key is not set
unless you give it, and `<name>` stands for a name you choose.
"""


_LIMITS = {
    "MAX_VALUE": f"{MAX_VALUE:,.0f}",
    "MAX_SD": f"{MAX_SD:,.0f}",
    "MIN_CV": describe_number(MIN_CV),
    "MAX_CV": describe_number(MAX_CV),
    "MIN_WEIGHT": describe_number(MIN_WEIGHT),
    "MAX_ARRIVALS": f"{MAX_ARRIVALS:,}",
    "ARRIVALS_LIMIT": describe_number(MAX_ARRIVALS),
}
"""The limits the rules above quote, as the page writes them."""


def render_reference() -> str:
    """The Markdown of ``docs/reference/scenario.md``."""
    walker = _Walker(reference_schema())
    r = _Renderer(walker)
    replaced = ", ".join(f"`{k}`" for k in sorted(replaced_whole()))
    intro = _INTRO.replace("@HOME@", HOME).replace("@REPLACED@", replaced)
    for mark, value in _LIMITS.items():
        intro = intro.replace(f"@{mark}@", value)
    lines = [intro]
    lines += r.contents()
    for item in walker.order:
        if isinstance(item, _Group):
            lines += r.group(item)
        elif item.ref not in walker.member_group:
            lines += r.section(item, 2)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def main() -> int:
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8", newline="\n")  # the same bytes on Windows
    out.write(render_reference())
    return 0


if __name__ == "__main__":
    sys.exit(main())

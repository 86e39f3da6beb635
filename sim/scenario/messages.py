"""Turn pydantic's validation errors into plain messages with file and key path."""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from sim.scenario.distributions import DIST_NAMES
from sim.scenario.errors import Problem, closest, describe_value

__all__ = ["model_keys_at", "problems_from_validation", "source_of"]

_MISSING = object()


def source_of(path: tuple[str, ...], provenance: dict[tuple[str, ...], str], default: str) -> str:
    """The file (or ``--set``) that wrote the value at ``path``: the nearest recorded ancestor."""
    for n in range(len(path), 0, -1):
        found = provenance.get(path[:n])
        if found is not None:
            return found
    return default


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _pick_member(annotation: Any, raw: Any) -> Any:
    """For a union of models chosen by a ``kind``/``dist`` tag, the member the raw data names."""
    origin = typing.get_origin(annotation)
    if origin not in (Union, types.UnionType):
        return annotation
    members = [_unwrap(a) for a in typing.get_args(annotation)]
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    if isinstance(raw, dict):
        for m in models:
            for tag in ("kind", "dist"):
                field = m.model_fields.get(tag)
                if field is not None and raw.get(tag) in typing.get_args(field.annotation):
                    return m
        dicts = [m for m in members if typing.get_origin(m) is dict]
        if dicts:
            return dicts[0]
    return annotation


def _walk(model: type[BaseModel], keys: tuple[str, ...], data: Any) -> tuple[Any, Any, Any]:
    """Follow ``keys`` from ``model`` (through unions, by the raw data): the annotation
    found, the pydantic field that declared it (None for a dict value) and the raw data
    there. The annotation is None if the keys lead nowhere in the model."""
    annotation: Any = model
    field: Any = None
    raw = data
    for key in keys:
        annotation = _pick_member(_unwrap(annotation), raw)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = _field_by_key(annotation, key)
            if field is None:
                return None, None, _MISSING
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
            field = None
        else:
            return None, None, _MISSING
        raw = raw.get(key, _MISSING) if isinstance(raw, dict) else _MISSING
    return annotation, field, raw


def model_keys_at(model: type[BaseModel], keys: tuple[str, ...], data: Any) -> list[str] | None:
    """The keys valid in the table at ``keys`` (following the raw data through unions)."""
    annotation, _, raw = _walk(model, keys, data)
    if annotation is None:
        return None
    annotation = _pick_member(_unwrap(annotation), raw)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [f.alias or name for name, f in annotation.model_fields.items()]
    return None


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return field
    return None


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[tuple[str, ...], bool]:
    """Drop union-branch labels from a pydantic location.

    Returns the key path and whether this error belongs to the branch the data
    actually took (errors from the other branches of a plain union are noise).
    """
    path: list[str] = []
    raw = data
    relevant = True
    for part in loc:
        if isinstance(part, int):
            path[-1] = f"{path[-1]}[{part}]" if path else f"[{part}]"
            raw = raw[part] if isinstance(raw, list) and part < len(raw) else _MISSING
            continue
        if isinstance(raw, dict) and part in raw:
            path.append(part)
            raw = raw[part]
            continue
        if isinstance(raw, dict) and part in (raw.get("kind"), raw.get("dist")):
            continue  # the tag of a discriminated union
        if part in ("float", "int", "str", "bool") or part.startswith(
            ("dict[", "list[", "function-", "constrained-")
        ):
            if part.startswith("dict[") != isinstance(raw, dict):
                relevant = False
            continue
        path.append(part)
        raw = _MISSING
    return tuple(path), relevant


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    raw = data
    for part in loc:
        if (isinstance(raw, dict) and part in raw) or (
            isinstance(raw, list) and isinstance(part, int) and part < len(raw)
        ):
            raw = raw[part]
        elif isinstance(raw, dict) and part in (raw.get("kind"), raw.get("dist")):
            continue
        else:
            continue
    return raw


def _message(
    err: dict[str, Any], value: Any, parent: Any, keys: tuple[str, ...], data: Any
) -> tuple[str, str | None]:
    """The message for one error, and a key to append to the path (for tags)."""
    kind = err["type"]
    ctx = err.get("ctx", {})
    got = describe_value(value)
    if kind == "missing":
        if isinstance(parent, dict) and "dist" in parent:
            return f"is required for a {parent['dist']} distribution", None
        return "is required", None
    if kind == "extra_forbidden":
        valid = model_keys_at(_root_model(), keys[:-1], data) or []
        hint = closest(keys[-1].split("[")[0], [k for k in valid if k != keys[-1]])
        allowed = ", ".join(k for k in valid if k not in ("kind", "dist"))
        text = "unknown key"
        if hint:
            return f"{text}; did you mean '{hint}'?", None
        return f"{text}; valid keys here: {allowed}" if allowed else text, None
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        return f"must be {op} {describe_value(ctx[key])}, got {got}", None
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, got {got}", None
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {got}", None
    if kind == "finite_number":
        return f"must be a finite number, got {got}", None
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {got}", None
    if kind == "string_type":
        return f"must be text in quotes, got {got}", None
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if _is_distribution(keys, data):
            return _DIST_HINT.format(got=got), None
        return f"must be a table, got {got}", None
    if kind == "list_type":
        return f"must be a list, got {got}", None
    if kind in ("too_short", "too_long"):
        lo, hi = _length_bounds(keys, data)
        lo = ctx.get("min_length", lo)
        hi = ctx.get("max_length", hi)
        n = len(value) if hasattr(value, "__len__") else "?"
        if lo is not None and lo == hi:
            want = f"{lo} value{'s' * (lo != 1)}"
        elif lo is not None and hi is not None:
            want = f"{lo} to {hi} values"
        elif lo is not None:
            want = f"at least {lo} value{'s' * (lo != 1)}"
        else:
            want = f"at most {hi} value{'s' * (hi != 1)}"
        return f"must have {want}, got {n}", None
    if kind == "union_tag_invalid":
        tag = ctx.get("discriminator", "").strip("'")
        found = ctx.get("tag")
        if tag == "dist":
            return f"unknown distribution {found!r}; choose one of: {', '.join(DIST_NAMES)}", "dist"
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown {tag} {found!r}; choose one of: {expected}", tag
    if kind == "union_tag_not_found":
        tag = ctx.get("discriminator", "").strip("'")
        if tag == "dist":
            return _DIST_HINT.format(got=got), None
        return f"needs a '{tag}' key", None
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {got}", None
    if kind == "value_error":
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        return msg, None
    return f"{err.get('msg', 'is not valid')}, got {got}", None


_DIST_HINT = 'must be a distribution table with a dist key, e.g. {{ dist = "exponential", mean = 60 }}; got {got}'


def _is_distribution(keys: tuple[str, ...], data: Any) -> bool:
    """Whether the model expects a distribution (a union of tables tagged by ``dist``) at ``keys``."""
    annotation, _, _ = _walk(_root_model(), keys, data)
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) not in (Union, types.UnionType):
        return False
    members = [_unwrap(a) for a in typing.get_args(annotation)]
    return bool(members) and all(
        isinstance(m, type) and issubclass(m, BaseModel) and "dist" in m.model_fields
        for m in members
    )


def _length_bounds(keys: tuple[str, ...], data: Any) -> tuple[int | None, int | None]:
    """The min_length and max_length declared on the field at ``keys``, if known."""
    _, field, _ = _walk(_root_model(), keys, data)
    lo = hi = None
    for meta in getattr(field, "metadata", None) or []:
        lo = getattr(meta, "min_length", lo)
        hi = getattr(meta, "max_length", hi)
    return lo, hi


_ROOT: list[type[BaseModel]] = []


def _root_model() -> type[BaseModel]:
    if _ROOT:
        return _ROOT[-1]
    from sim.scenario.model import scenario_model

    return scenario_model()


def _problems(
    exc: ValidationError,
    data: dict[str, Any],
    provenance: dict[tuple[str, ...], str],
    default_source: str,
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        keys, relevant = _clean_loc(loc, data)
        if not relevant:
            continue
        value = err.get("input")
        parent = _value_at(data, loc[:-1]) if loc else data
        message, extra = _message(
            dict(err), value, parent, tuple(k.split("[")[0] for k in keys), data
        )
        keys = keys + ((extra,) if extra else ())
        path = ".".join(keys)
        source = source_of(tuple(k.split("[")[0] for k in keys), provenance, default_source)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(Problem(source, path, message))
    return problems


def problems_from_validation(
    exc: ValidationError,
    data: dict[str, Any],
    provenance: dict[tuple[str, ...], str],
    default_source: str,
    root: type[BaseModel] | None = None,
) -> list[Problem]:
    """Every error of a pydantic validation, as problems naming file and key path.

    ``root`` is the model that was validated (default: a scenario)."""
    if root is not None:
        _ROOT.append(root)
    try:
        return _problems(exc, data, provenance, default_source)
    finally:
        if root is not None:
            _ROOT.pop()

"""Where the app's scenario comes from: a shipped file, or a file uploaded in the page.

A :class:`Source` holds a scenario file's merged data (its ``extends`` chain resolved)
and the validated scenario, or the problems that stop it loading, worded exactly as the
command line words them. An upload is read in a private temporary folder that holds a
copy of the shipped scenario files, so that its ``extends`` may name a shipped file
(``extends = "neighbourhood_50k.toml"``) as if the upload sat in ``configs/``; nothing is
ever written into ``configs/``. The page's changes are ``--set`` style overrides
(``services.ucr.staff=2``), applied to a copy of the data before validation.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.scenario import Problem, Scenario, ScenarioError, parse_override, scenario_from_dict
from sim.scenario.loader import display_path, read_scenario_data

__all__ = [
    "VARIANT_SUFFIX",
    "Source",
    "apply_overrides",
    "configs_dir",
    "load_shipped",
    "load_upload",
    "shipped_files",
]

VARIANT_SUFFIX = "-variant"
"""Added to the name of the changed scenario, as ``nhsim compare --set`` does."""


def configs_dir() -> Path:
    """The shipped scenarios: ``configs/`` beside the package, else in the working directory."""
    beside = Path(__file__).resolve().parents[2] / "configs"
    return beside if beside.is_dir() else Path.cwd() / "configs"


def shipped_files(root: Path | None = None) -> list[Path]:
    """``configs/*.toml`` then ``configs/examples/*.toml``, in a fixed order."""
    root = root or configs_dir()
    return sorted(root.glob("*.toml")) + sorted(root.glob("examples/*.toml"))


@dataclass(frozen=True)
class Source:
    """A scenario file as the page reads it: its data, its scenario or its problems."""

    label: str
    """How the page names it: ``configs/teaching.toml``, or the uploaded file's name."""
    text: str
    """The file's own text (for the record: downloads write the resolved data instead)."""
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    """Merged raw data (``extends`` resolved), as :func:`read_scenario_data` gives it."""
    provenance: dict[tuple[str, ...], str] = field(default_factory=dict, repr=False)
    scenario: Scenario | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def valid(self) -> bool:
        return self.scenario is not None and not self.problems

    @property
    def ident(self) -> str:
        """A short digest of the file's label and text: names the page's widgets for it."""
        digest = hashlib.sha256(f"{self.label}\0{self.text}".encode()).hexdigest()
        return digest[:12]

    def build(self, overrides: list[str], rename: bool = False) -> Scenario:
        """The scenario with ``overrides`` applied (``rename``: with the variant's name).

        Raises :class:`ScenarioError` if the overrides make it invalid."""
        data, prov = apply_overrides(self.data, self.provenance, overrides)
        scenario = scenario_from_dict(data, self.label, prov)
        if rename:
            scenario = scenario.model_copy(update={"name": scenario.name + VARIANT_SUFFIX})
        return scenario

    def resolved_data(self, overrides: list[str], rename: bool = False) -> dict[str, Any]:
        """The merged data with ``overrides`` applied: what a downloaded file holds."""
        data, _ = apply_overrides(self.data, self.provenance, overrides)
        if rename:
            data["name"] = str(data.get("name", "scenario")) + VARIANT_SUFFIX
        return data


def apply_overrides(
    data: dict[str, Any], provenance: dict[tuple[str, ...], str], overrides: list[str]
) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    """A copy of ``data`` with each ``key.path=value`` set, as ``--set`` sets it.

    The key path of an override is recorded as coming from ``--set``, so that a problem
    it causes names ``--set`` as the command line does."""
    out = copy.deepcopy(data)
    prov = dict(provenance)
    for text in overrides:
        keys, value = parse_override(text)
        node = out
        for i, key in enumerate(keys[:-1]):
            nxt = node.setdefault(key, {})
            if not isinstance(nxt, dict):
                raise ScenarioError(
                    [
                        Problem(
                            "--set",
                            ".".join(keys[: i + 1]),
                            f"is not a table, so {text!r} cannot set a key inside it",
                        )
                    ]
                )
            node = nxt
        node[keys[-1]] = value
        path = tuple(keys)
        for stale in [p for p in prov if p[: len(path)] == path]:
            del prov[stale]
        prov[path] = "--set"
    return out, prov


def _validated(label: str, text: str, data: dict[str, Any], prov: dict[Any, str]) -> Source:
    try:
        scenario = scenario_from_dict(copy.deepcopy(data), label, prov)
    except ScenarioError as err:
        return Source(label, text, data, prov, None, tuple(err.problems))
    return Source(label, text, data, prov, scenario)


@lru_cache(maxsize=64)
def _shipped(path: str, text: str) -> Source:
    label = display_path(Path(path))
    try:
        data, prov = read_scenario_data(path)
    except ScenarioError as err:
        return Source(label, text, problems=tuple(err.problems))
    return _validated(label, text, data, prov)


def load_shipped(path: Path) -> Source:
    """A shipped scenario file (read again whenever its text changes)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Source(
            display_path(path),
            "",
            problems=(Problem(display_path(path), "", f"cannot read the file: {exc}"),),
        )
    return _shipped(str(path), text)


def _rename_sources(problems: list[Problem], names: dict[str, str]) -> tuple[Problem, ...]:
    return tuple(Problem(names.get(p.source, p.source), p.path, p.message) for p in problems)


@lru_cache(maxsize=64)
def load_upload(name: str, content: bytes, configs: Path | None = None) -> Source:
    """An uploaded scenario file, read in a private temporary folder and then removed.

    Its problems name the file by its uploaded ``name`` (and a shipped file it extends by
    its place in ``configs/``), exactly as ``nhsim validate`` run beside the file would."""
    name = Path(name).name or "upload.toml"
    configs = configs or configs_dir()
    text = content.decode("utf-8", errors="replace")
    with tempfile.TemporaryDirectory(prefix="nhsim-upload-") as tmp:
        folder = Path(tmp) / "configs"
        if configs.is_dir():
            shutil.copytree(configs, folder, ignore=shutil.ignore_patterns("*.tmp", ".*"))
        else:
            folder.mkdir()
        target = folder / name
        target.write_bytes(content)
        names = {display_path(target): name}
        for copied in folder.rglob("*"):
            if copied != target:
                rel = copied.relative_to(folder)
                names[display_path(copied)] = display_path(configs / rel)
        try:
            data, prov = read_scenario_data(target)
        except ScenarioError as err:
            return Source(name, text, problems=_rename_sources(err.problems, names))
        prov = {k: names.get(v, v) for k, v in prov.items()}
    # validation reads no files: the folder may go
    source = _validated(name, text, data, prov)
    if source.problems:
        return Source(name, text, data, prov, None, _rename_sources(list(source.problems), names))
    return source

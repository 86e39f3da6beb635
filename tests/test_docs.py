"""The documentation agrees with the code.

- ``docs/reference/scenario.md`` is exactly what ``render_reference()`` writes today.
- It names every key of every scenario model, every service ``kind`` and ``dist``.
- Every ``nhsim ...`` command shown in a code block of the tutorial (and of the README,
  the CLI reference and the guides) is accepted by the argument parser, and every
  command of ``nhsim`` is shown at least once. Commands are parsed, not run.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shlex
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.cli.parser import build_parser
from sim.scenario.model import scenario_model
from sim.scenario.reference import render_reference

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_MD = ROOT / "docs" / "reference" / "scenario.md"
COMMAND_DOCS = [
    ROOT / "docs" / "tutorial.md",
    ROOT / "README.md",
    ROOT / "docs" / "reference" / "cli.md",
    *sorted((ROOT / "docs" / "guides").glob("*.md")),
]


# --------------------------------------------------------------------------- scenario reference


@pytest.fixture(scope="module")
def rendered() -> str:
    return render_reference()


def test_scenario_reference_is_up_to_date(rendered: str) -> None:
    if not SCENARIO_MD.is_file():
        pytest.fail("docs/reference/scenario.md is missing: run `make docs`")
    on_disk = SCENARIO_MD.read_text(encoding="utf-8")
    if on_disk != rendered:
        diff = "\n".join(
            list(
                difflib.unified_diff(
                    on_disk.splitlines(),
                    rendered.splitlines(),
                    "docs/reference/scenario.md",
                    "render_reference()",
                    lineterm="",
                    n=1,
                )
            )[:40]
        )
        pytest.fail(
            f"docs/reference/scenario.md is out of date with the scenario models: run `make docs`\n{diff}"
        )


def _models(annotation: typing.Any, seen: dict[str, type[BaseModel]]) -> None:
    """Every pydantic model reachable from ``annotation`` (through unions, lists, dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ in seen:
            return
        seen[annotation.__name__] = annotation
        for f in annotation.model_fields.values():
            _models(f.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models(arg, seen)


def _all_models() -> dict[str, type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    _models(scenario_model(), seen)
    return seen


MODELS = _all_models()


def _tag_values(model: type[BaseModel]) -> list[str]:
    """Values of a model's ``Literal`` keys (its ``kind`` or ``dist``, and choices such as ``setting``)."""
    out = []
    for f in model.model_fields.values():
        ann = f.annotation
        if typing.get_origin(ann) is typing.Literal:
            out.extend(str(v) for v in typing.get_args(ann))
    return out


def test_models_found() -> None:
    assert {"Scenario", "RunSettings", "Population", "DemandSource"} <= set(MODELS)
    assert len(MODELS) > 6, "the walk over the scenario models found too few"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_reference_names_every_key(name: str, rendered: str) -> None:
    model = MODELS[name]
    keys = [f.alias or key for key, f in model.model_fields.items()]
    missing = [k for k in keys if f"`{k}`" not in rendered]
    missing += [f'"{v}"' for v in _tag_values(model) if f'"{v}"' not in rendered]
    assert not missing, (
        f"{name}: not in the scenario reference: {', '.join(missing)} (run `make docs`)"
    )


def test_reference_lists_tables_in_a_stable_order(rendered: str) -> None:
    assert rendered == render_reference(), (
        "render_reference() gives different text on a second call"
    )
    headings = re.findall(r"^## (.+)$", rendered, flags=re.MULTILINE)
    order = [
        h
        for h in headings
        if h
        in ("Top level", "`[run]`", "`[population]`", "`[demand.<name>]`", "`[services.<name>]`")
    ]
    assert order == [
        "Top level",
        "`[run]`",
        "`[population]`",
        "`[demand.<name>]`",
        "`[services.<name>]`",
    ]


# --------------------------------------------------------------------------- commands in the docs


SHELL_BLOCKS = {"", "sh", "bash", "shell", "console", "powershell", "bat"}


def _commands(path: Path) -> list[str]:
    """The ``nhsim`` commands shown in a Markdown file's fenced code blocks.

    In a shell block (```sh and the like) every line is a command. In any other block
    (```text: printed output) only a line after a ``$ `` prompt is a command.
    """
    out: list[str] = []
    block: str | None = None
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("```"):
            block = line[3:].strip().lower() if block is None else None
            pending = ""
            continue
        if block is None:
            continue
        line = pending + line
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if line.startswith("$ "):
            line = line[2:]
        elif block not in SHELL_BLOCKS:
            continue
        if line.startswith("nhsim "):
            out.append(line)
    return out


DOC_COMMANDS = [
    (p.relative_to(ROOT).as_posix(), c) for p in COMMAND_DOCS if p.is_file() for c in _commands(p)
]

SHELL_OPERATORS = {">", ">>", "2>", "2>&1", "|", "&&", "||", ";"}


def _argv(command: str) -> list[str]:
    """The words of a documented command, up to a shell redirection or pipe."""
    words = shlex.split(command, comments=True)
    for k, word in enumerate(words):
        if word in SHELL_OPERATORS:
            return words[:k]
    return words


def test_tutorial_shows_commands() -> None:
    tutorial = [c for doc, c in DOC_COMMANDS if doc == "docs/tutorial.md"]
    assert len(tutorial) >= 5, "docs/tutorial.md should show the nhsim commands it teaches"


@pytest.mark.parametrize(
    ("doc", "command"), DOC_COMMANDS, ids=[f"{d}: {c}" for d, c in DOC_COMMANDS]
)
def test_documented_command_is_accepted(
    doc: str, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(command)
    try:
        args = build_parser().parse_args(argv[1:])
    except SystemExit as stop:
        err = capsys.readouterr().err.strip().splitlines()
        pytest.fail(f"{doc}: `{command}` is not accepted by nhsim: {err[-1] if err else stop}")
    assert args.command or getattr(args, "version", False), f"{doc}: `{command}` names no command"


def _subcommands() -> list[str]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


@pytest.mark.parametrize("name", _subcommands())
def test_every_command_is_shown(name: str) -> None:
    """Each command appears in at least one documented example, so its examples are parsed too."""
    shown = {_argv(c)[1] for _, c in DOC_COMMANDS if len(_argv(c)) > 1}
    assert name in shown, (
        f"no code block in {', '.join(p.name for p in COMMAND_DOCS)} shows `nhsim {name} ...`"
    )


def test_cli_reference_names_every_command_and_option() -> None:
    """docs/reference/cli.md mentions every command and every option of ``nhsim``."""
    text = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    missing: list[str] = []
    parsers = {"nhsim": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers.update({f"nhsim {name}": sub for name, sub in action.choices.items()})
    for prog, sub in parsers.items():
        if prog != "nhsim" and f"`{prog}`" not in text:
            missing.append(f"`{prog}`")
        for action in sub._actions:
            missing += [f"{prog} {opt}" for opt in action.option_strings if f"`{opt}" not in text]
    assert not missing, f"not in docs/reference/cli.md: {', '.join(missing)}"


# --------------------------------------------------------------------------- links between documents


LINKED_DOCS = [
    ROOT / "README.md",
    ROOT / "results" / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
]


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for a Markdown file's headings, and explicit ``<a id>``s."""
    text = path.read_text(encoding="utf-8")
    out = {
        re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    }
    return out | set(re.findall(r'<a id="([^"]+)"', text))


@pytest.mark.parametrize(
    "doc", LINKED_DOCS, ids=[p.relative_to(ROOT).as_posix() for p in LINKED_DOCS]
)
def test_relative_links_resolve(doc: Path) -> None:
    """Every relative link names a file that exists, and a heading of it that exists."""
    text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.DOTALL)
    broken = []
    for link in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (doc.parent / path) if path else doc
        if not target.exists():
            broken.append(f"{link} (no such file)")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(f"{link} (no such heading)")
    assert not broken, f"{doc.relative_to(ROOT)}: broken links: {', '.join(broken)}"

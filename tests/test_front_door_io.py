"""The front door: files read and written with care, output folders claimed before work.

- An ``--out`` that cannot be written (under a file, under /proc, /dev/null, no
  permission) is refused by every command before any work: exit 2, one line naming
  the folder and why, nothing written. Work is detected by replacing the task function
  with one that fails: a command that reached it would exit 1, not 2.
- The output folder is locked (``.nhsim.lock``): a second command into it is refused
  naming the holder while the first completes whole; a stale lock is taken over with
  a note; the lock goes when the command ends, also after an error.
- Results get the permissions the umask gives (0644 under umask 022), not 0600.
- Experiment files are read as carefully as scenario files; a bad ``set``, ``vary`` or
  ``search`` value is named as the experiment's key, and the sweep makes no folder.
- A damaged sweep stamp or point file is named, with how to recover.
- ``--replications`` has an upper limit; ``--workers`` above the CPUs is reduced;
  ``--scheduler`` must be an address, and an unreachable one is a message.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, SMALL_SCENARIO

from sim.cli.main import main
from sim.output.files import LOCK_NAME, OutputError, write_atomic
from sim.runs import backends, tasks
from sim.runs.replications import MAX_REPLICATIONS

SCENARIO = 'name = "small"\n' + SMALL_SCENARIO

SWEEP = """\
name = "sweep"
scenario = "small.toml"
replications = 2
seed = 3
[vary]
"services.ucr.staff" = [1, 2]
"""

SEARCH = """\
name = "search"
scenario = "small.toml"
replications = 2
[search]
capacities = { "services.ucr.staff" = [1, 2] }
constraints = [ { metric = "ucr.seen_within_target", at_least = 0.5 } ]
"""

REPRODUCE = """\
name = "reproduce"
scenario = "small.toml"
counterfactual = "small.toml"
replications = 2
set = ["services.ucr.staff=3"]
[published]
"ucr.seen" = 1000
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a small scenario and experiments, as the working directory."""
    (tmp_path / "small.toml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "sweep.toml").write_text(SWEEP, encoding="utf-8")
    (tmp_path / "search.toml").write_text(SEARCH, encoding="utf-8")
    (tmp_path / "reproduce.toml").write_text(REPRODUCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def no_work(task: tasks.Task) -> list[dict[str, float]]:
    raise AssertionError("the work started")


COMMANDS = {
    "run": ["run", "small.toml", "-n", "2"],
    "compare": ["compare", "small.toml", "--set", "services.ucr.staff=3", "-n", "2"],
    "sweep": ["sweep", "sweep.toml"],
    "search": ["search", "search.toml"],
    "calibrate": [
        "calibrate",
        "small.toml",
        "--target",
        "ucr.seen_within_target=0.8",
        "--free",
        "services.ucr.visit_minutes.mean=45:120",
        "-n",
        "2",
    ],
    "reproduce": ["reproduce", "reproduce.toml", "-n", "2"],
}

UNWRITABLE = {
    "under_a_file": ("afile/out", "cannot create the output folder: afile is a file, not a folder"),
    "a_file": ("afile", "afile: is a file, not a folder; choose another --out"),
    "under_proc": (
        "/proc/nhsim-out/x",
        "cannot create the output folder: no folder can be made in /proc",
    ),
    "dev_null": ("/dev/null", "/dev/null: is not a folder; choose another --out"),
    "under_dev_null": (
        "/dev/null/out",
        "cannot create the output folder: /dev/null is not a folder",
    ),
    "no_permission": ("locked/out", "cannot create the output folder: permission denied"),
}


@pytest.mark.parametrize("where", UNWRITABLE)
@pytest.mark.parametrize("command", COMMANDS)
def test_an_unwritable_out_is_refused_before_any_work(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys, command: str, where: str
) -> None:
    out, message = UNWRITABLE[where]
    (here / "afile").write_text("not a folder\n", encoding="utf-8")
    if where == "no_permission":
        if os.geteuid() == 0:
            pytest.skip("root may write anywhere")
        (here / "locked").mkdir(mode=0o555)
    before = sorted(p.name for p in here.rglob("*"))
    monkeypatch.setattr(tasks, "execute_task", no_work)
    started = time.monotonic()
    code = main([*COMMANDS[command], "--out", out, "-w", "1", "-q", "--no-plots"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert time.monotonic() - started < 5
    assert err.strip().splitlines()[-1].startswith(out), err
    assert message in err
    assert sorted(p.name for p in here.rglob("*")) == before  # nothing written
    assert (here / "afile").read_text(encoding="utf-8") == "not a folder\n"


def test_a_folder_that_holds_files_is_refused(here: Path, capsys) -> None:
    (here / "full").mkdir()
    (here / "full" / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert main(["run", "small.toml", "-n", "2", "--out", "full", "-q", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "full: already exists and is not empty; choose another --out or remove it" in err
    assert sorted(p.name for p in (here / "full").iterdir()) == ["notes.txt"]


def test_write_atomic_names_the_file_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError) as err:
        write_atomic(tmp_path / "afile" / "summary.csv", "a,b\n")
    assert str(err.value) == (
        f"{tmp_path / 'afile' / 'summary.csv'}: cannot write the file: "
        f"{tmp_path / 'afile'} is a file, not a folder"
    )


# -- the lock --------------------------------------------------------------------------------

TINY = ["--set", "run.days=1", "--set", "run.warmup_days=0"]


def nhsim(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_second_run_into_a_claimed_folder_is_refused_and_the_first_completes_whole(
    here: Path, capsys
) -> None:
    first = nhsim("run", "small.toml", "-n", "2000", "-w", "2", "-q", "--no-plots", "--out", "out",
                  "--seed", "5", *TINY, cwd=here)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (here / "out" / LOCK_NAME).exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first run did not claim its folder"
            time.sleep(0.01)
        code = main(["run", "small.toml", "-n", "3", "--out", "out", "-q", "--no-plots", *TINY])
        err = capsys.readouterr().err
        assert first.poll() is None, "the first run ended before the second was tried"
        _, first_err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert code == 2
    assert err.startswith(f"out: in use by another nhsim command (pid {first.pid} on ")
    assert "nhsim run small.toml -n 2000" in err and "choose another --out" in err
    assert first.returncode == 0, first_err
    assert not (here / "out" / LOCK_NAME).exists()
    # the first run's files are its own and whole: the same as a run of its own
    assert main(["run", "small.toml", "-n", "2000", "-w", "2", "-q", "--no-plots", "--out", "alone",
                 "--seed", "5", *TINY]) == 0  # fmt: skip
    for name in ("replications.csv", "summary.csv", "scenario.json"):
        assert (here / "out" / name).read_bytes() == (here / "alone" / name).read_bytes(), name
    assert json.loads((here / "out" / "manifest.json").read_text())["replications"] == 2000


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_lock(folder: Path, host: str, pid: int) -> None:
    folder.mkdir(exist_ok=True)
    holder = {"pid": pid, "host": host, "command": ["nhsim", "run", "x.toml"], "started": "then"}
    (folder / LOCK_NAME).write_text(json.dumps(holder), encoding="utf-8")


def test_a_stale_lock_is_taken_over_with_a_note(here: Path, capsys) -> None:
    pid = dead_pid()
    write_lock(here / "out", socket.gethostname(), pid)
    assert main(["run", "small.toml", "-n", "2", "--out", "out", "-q", "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(
        f"note: out: took over the lock of an nhsim command that is no longer running (pid {pid} on "
    )
    assert not (here / "out" / LOCK_NAME).exists()
    assert (here / "out" / "replications.csv").exists()


def test_a_lock_held_on_another_host_is_refused(here: Path, capsys) -> None:
    write_lock(here / "out", "another-host.example", 12345)
    assert main(["run", "small.toml", "-n", "2", "--out", "out", "-q", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "out: in use by another nhsim command (pid 12345 on another-host.example, since then: "
        "nhsim run x.toml); wait for it to finish or choose another --out (if it is no longer "
        f"running, delete {Path('out') / LOCK_NAME})"
    )
    assert sorted(p.name for p in (here / "out").iterdir()) == [LOCK_NAME]  # left as it was


def test_the_lock_and_the_empty_folder_go_after_an_error(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(tasks, "execute_task", no_work)
    assert main(["run", "small.toml", "-n", "2", "-w", "1", "--out", "o/out", "-q"]) == 1
    assert "the work started" in capsys.readouterr().err
    assert not (here / "o").exists()  # it made both folders and wrote nothing in them


# -- permissions -----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "umask"), reason="no umask here")
@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o027, 0o640)])
def test_results_get_the_permissions_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(scenario), "-n", "2", "--event-log", "-q",
         "--out", str(tmp_path / "out")],
        cwd=REPO_ROOT, capture_output=True, text=True, preexec_fn=lambda: os.umask(umask),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {
        "replications.csv",
        "summary.csv",
        "scenario.json",
        "manifest.json",
        "replication-0000.csv",
    }
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == mode, p
    for p in [tmp_path / "out", *(p for p in (tmp_path / "out").rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o777 & ~umask, p


# -- experiment files ------------------------------------------------------------------------

READ_ERRORS = {
    "a_directory": (None, "is a directory, not an experiment file"),
    "missing": ("", "no such file"),
    "not_utf8": (b'name = "caf\xe9"\n', "cannot read the file: not UTF-8 text (byte 12)"),
    "invalid_toml": (b"scenario = \n", "not valid TOML: Invalid value (at line 1, column 12)"),
    "empty": (b"", "the file is empty: an experiment needs at least a scenario"),
}


@pytest.mark.parametrize("case", READ_ERRORS)
@pytest.mark.parametrize("command", ["sweep", "search", "reproduce", "calibrate"])
def test_an_unreadable_experiment_file_is_a_message(
    here: Path, capsys, case: str, command: str
) -> None:
    content, message = READ_ERRORS[case]
    path = here / "bad.toml"
    if content is None:
        path.mkdir()
    elif content != "":
        path.write_bytes(content)  # type: ignore[arg-type]
    assert main([command, "bad.toml", "--out", "o", "-q"]) == 2
    err = capsys.readouterr().err
    if command == "calibrate":  # a file that is not an experiment is read as a scenario
        message = {
            "a_directory": "is a directory, not a scenario file",
            "empty": "the file is empty: a scenario needs at least population, demand and services",
        }.get(case, message)
    assert err == f"bad.toml: {message}\n"
    assert not (here / "o").exists()


def test_a_bad_vary_value_names_the_experiment_key_and_makes_no_folder(here: Path, capsys) -> None:
    (here / "bad.toml").write_text(SWEEP.replace("[1, 2]", "[1, -1]"), encoding="utf-8")
    assert main(["sweep", "bad.toml", "--out", "o", "-q"]) == 2
    assert capsys.readouterr().err == "bad.toml: vary.services.ucr.staff: must be >= 0, got -1\n"
    assert not (here / "o").exists()


def test_a_bad_set_value_names_the_experiment_key(here: Path, capsys) -> None:
    (here / "bad.toml").write_text(
        SWEEP.replace("seed = 3\n", 'seed = 3\nset = ["services.ucr.staff=-2"]\n'),
        encoding="utf-8",
    )
    assert main(["sweep", "bad.toml", "--out", "o", "-q"]) == 2
    assert capsys.readouterr().err == "bad.toml: set: services.ucr.staff: must be >= 0, got -2\n"
    assert not (here / "o").exists()


def test_a_bad_search_capacity_names_the_experiment_key(here: Path, capsys) -> None:
    (here / "bad.toml").write_text(SEARCH.replace("[1, 2]", "[-1, 2]"), encoding="utf-8")
    assert main(["search", "bad.toml", "--out", "o", "-q"]) == 2
    assert capsys.readouterr().err == (
        "bad.toml: search.capacities.services.ucr.staff: must be >= 0, got -1\n"
    )
    assert not (here / "o").exists()


def test_experiment_replications_have_the_limit(here: Path, capsys) -> None:
    (here / "bad.toml").write_text(
        SWEEP.replace("replications = 2", f"replications = {MAX_REPLICATIONS + 1}"),
        encoding="utf-8",
    )
    assert main(["sweep", "bad.toml", "--out", "o", "-q"]) == 2
    assert capsys.readouterr().err == (
        f"bad.toml: replications: must be <= {MAX_REPLICATIONS}, got {MAX_REPLICATIONS + 1}\n"
    )


# -- a sweep's records -------------------------------------------------------------------------


@pytest.fixture
def swept(here: Path) -> Path:
    assert main(["sweep", "sweep.toml", "--out", "o", "-q", "-w", "1", "--no-plots"]) == 0
    return here / "o"


RECOVER = "delete it, or run without --resume into a new --out"


@pytest.mark.parametrize(
    "damage,reason",
    [
        (b'{"experiment": "sweep", ', "not valid JSON (Expecting property name enclosed in double quotes: line 1 column 25 (char 24))"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe", "cannot read the file: not UTF-8 text (byte 1)"),
    ],
    ids=["truncated", "not_an_object", "not_utf8"],
)  # fmt: skip
def test_a_damaged_stamp_is_named_with_how_to_recover(
    swept: Path, capsys, damage: bytes, reason: str
) -> None:
    (swept / "experiment.json").write_bytes(damage)
    points = {p.name: p.read_bytes() for p in (swept / "points").iterdir()}
    assert main(["sweep", "sweep.toml", "--out", "o", "-q", "--resume"]) == 2
    err = capsys.readouterr().err
    stamp = Path("o") / "experiment.json"
    assert err == f"nhsim: {stamp}: {reason}: the sweep's stamp (experiment.json) " + (
        f"cannot be read; {RECOVER}\n" if "UTF-8" in reason else f"is damaged; {RECOVER}\n"
    )
    assert {p.name: p.read_bytes() for p in (swept / "points").iterdir()} == points
    assert not (swept / LOCK_NAME).exists()


def test_a_damaged_point_file_is_named_with_how_to_recover(swept: Path, capsys) -> None:
    (swept / "points" / "point-0001.json").write_text('{"point": 1}', encoding="utf-8")
    assert main(["sweep", "sweep.toml", "--out", "o", "-q", "--resume"]) == 2
    point = Path("o") / "points" / "point-0001.json"
    assert capsys.readouterr().err == (
        f"nhsim: {point}: has no list of replications: the point's record is damaged; delete it "
        "to run that point again with --resume, or run without --resume into a new --out\n"
    )
    point.unlink()  # as the message says: the point runs again, and the sweep completes
    assert main(["sweep", "sweep.toml", "--out", "o", "-q", "--resume", "--no-plots"]) == 0
    manifest = json.loads((swept / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["points_run_now"] == [1]


# -- limits and backends -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,message",
    [
        (str(MAX_REPLICATIONS + 1), f"must be <= {MAX_REPLICATIONS}, got {MAX_REPLICATIONS + 1}"),
        ("1" + "0" * 30, f"must be <= {MAX_REPLICATIONS}, got 1000000000000000000000000000000"),
        ("10**10", "must be a whole number, got '10**10'"),
    ],
)
def test_replications_above_the_limit_are_refused_at_once(
    here: Path, capsys, value: str, message: str
) -> None:
    started = time.monotonic()
    with pytest.raises(SystemExit) as stop:
        main(["run", "small.toml", "-n", value, "--out", "o"])
    assert stop.value.code == 2
    assert time.monotonic() - started < 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"nhsim run: error: argument --replications/-n: {message}"
    )
    assert not (here / "o").exists()


def test_a_scenario_asking_for_too_many_replications_is_refused(here: Path, capsys) -> None:
    (here / "many.toml").write_text(
        SCENARIO.replace("replications = 2", f"replications = {10**10}"), encoding="utf-8"
    )
    assert main(["run", "many.toml", "--out", "o"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"many.toml: run.replications: must be <= {MAX_REPLICATIONS}")
    assert err.endswith(f"got {10**10}\n") and len(err.splitlines()) == 1
    assert not (here / "o").exists()


def test_more_workers_than_cpus_are_reduced_with_a_note(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cpus = os.cpu_count() or 1
    seen: list[int] = []
    real = backends.Backend.open

    def spy(self: backends.Backend) -> backends.Session:
        seen.append(self.n_workers)
        return real(self)

    monkeypatch.setattr(backends.Backend, "open", spy)
    assert main(["run", "small.toml", "-n", "4", "-w", str(cpus + 98), "-q", "--out", "o"]) == 0
    err = capsys.readouterr().err
    assert err == (
        f"note: --workers {cpus + 98} is more than the {cpus} CPUs of this computer; using {cpus}\n"
    )
    assert seen in ([cpus], [])  # one pool of that size (none: one CPU runs here)


@pytest.mark.parametrize("address", ["not a url", "tcp://host", "http//x:1", "tcp://h:99999"])
def test_a_malformed_scheduler_address_is_a_message(here: Path, capsys, address: str) -> None:
    args = ["run", "small.toml", "-n", "2", "--backend", "dask", "--scheduler", address]
    assert main([*args, "--out", "o"]) == 2
    assert capsys.readouterr().err == (
        f"nhsim: --scheduler {address!r} is not a Dask scheduler address: give one like "
        "tcp://10.0.0.5:8786 (the address the scheduler prints when it starts)\n"
    )
    assert not (here / "o").exists()


def test_an_unreachable_scheduler_is_a_message(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    pytest.importorskip("dask.distributed")
    with socket.socket() as s:  # a port with nothing listening on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(backends, "RECONNECT_SECONDS", 1.0)
    address = f"tcp://127.0.0.1:{port}"
    args = ["run", "small.toml", "-n", "2", "-q", "--backend", "dask", "--scheduler", address]
    started = time.monotonic()
    assert main([*args, "--out", "o"]) == 2
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert err.startswith(f"nhsim: cannot reach the Dask scheduler {address!r}: "), err
    assert "Traceback" not in err
    assert not (here / "o").exists()

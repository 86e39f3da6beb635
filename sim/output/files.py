"""Writing results: whole files or none, readable by the group, in a folder claimed first.

Every file nhsim writes goes through :func:`write_atomic` (a temporary name, then a
rename), so a command stopped at any moment leaves whole files or none. Files get the
permissions the umask gives (``0o666 & ~umask``, usually ``0644``), as ``open`` would,
so colleagues on a shared server can read a results folder.

Before any work, a command claims its output folder (:func:`claim_output`): it creates
it, checks that it can write there, and takes the folder's lock, ``.nhsim.lock``,
created with ``O_CREAT | O_EXCL`` and holding the pid, host and command of its holder.
A second command given the same folder is refused, naming the holder; a lock left by a
command that no longer runs (its pid is gone on this host) is taken over with a note.
The lock is removed when the command ends, also on an error or Ctrl-C, and so is the
folder if the command made it and wrote nothing in it.

Problems become :class:`OutputError`: a message that says what, where and why, never
a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "LOCK_NAME",
    "OutputClaim",
    "OutputError",
    "claim_output",
    "file_mode",
    "folder_is_empty",
    "release_all",
    "write_atomic",
]

LOCK_NAME = ".nhsim.lock"
"""The lock file in a claimed output folder."""

_TAKEOVER = ".nhsim.lock.takeover"
_OWN_NAMES = frozenset({LOCK_NAME, _TAKEOVER})


class OutputError(OSError):
    """An output folder or file cannot be used; the message says which, and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# -- permissions ---------------------------------------------------------------------------

_umask_lock = threading.Lock()
_umask: int | None = None


def _read_umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)  # elsewhere: set and restore at once, under a lock
    os.umask(old)
    return old


def file_mode() -> int:
    """Permissions of a new file: ``0o666 & ~umask`` (the umask is read once, at first use)."""
    global _umask
    with _umask_lock:
        if _umask is None:
            _umask = _read_umask()
        return 0o666 & ~_umask


# -- messages ------------------------------------------------------------------------------


def _why(exc: OSError) -> str:
    """The reason in an OSError, in words (no errno numbers, no repeated path)."""
    if exc.errno == errno.EACCES or isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.EDQUOT:
        return "over the disk quota"
    return (exc.strerror or str(exc)).rstrip(".").lower() or type(exc).__name__


def _not_a_folder(path: Path) -> str:
    return "is a file, not a folder" if path.is_file() else "is not a folder"


def _blocking_ancestor(path: Path) -> Path | None:
    """The first part of ``path`` that exists and is not a folder, if any."""
    for parent in reversed([path, *path.parents]):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half.

    Raises :class:`OutputError` (naming the file) if it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the file: {_write_reason(path, exc)}") from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, file_mode())  # mkstemp makes it 0600: give what open() would
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if not hasattr(os, "fchmod"):
            os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write the file: {_why(exc)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_reason(path: Path, exc: OSError) -> str:
    blocker = _blocking_ancestor(path.parent)
    if blocker is not None:
        return f"{blocker} {_not_a_folder(blocker)}"
    return _why(exc)


def folder_is_empty(folder: Path) -> bool:
    """True if ``folder`` is missing or holds nothing but nhsim's own lock."""
    if not folder.is_dir():
        return not folder.exists()
    return all(p.name in _OWN_NAMES for p in folder.iterdir())


# -- the lock ------------------------------------------------------------------------------

_held: set[OutputClaim] = set()


def release_all() -> None:
    """Release every claim this process holds (for an exit that cannot unwind)."""
    for claim in list(_held):
        claim.release()


def _process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), where the system says; so that
    a pid reused by another process is not taken for the lock's holder."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        if fields[0] == "Z":  # a zombie has finished
            return -1
        return int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, start: int | None) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there: assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OSError:
        return True
    now = _process_start(pid)
    if now == -1:
        return False
    return start is None or now is None or now == start


def _describe(holder: dict[str, Any]) -> str:
    command = holder.get("command")
    text = " ".join(command) if isinstance(command, list) else "an nhsim command"
    since = f", since {holder['started']}" if holder.get("started") else ""
    return f"pid {holder.get('pid')} on {holder.get('host')}{since}: {text}"


class OutputClaim:
    """A claimed output folder; use as a context manager, or call :meth:`release`."""

    def __init__(
        self,
        out: Path,
        command: list[str],
        require_empty: bool = True,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.out = Path(out)
        self.lock = self.out / LOCK_NAME
        self.command = command
        self.require_empty = require_empty
        self.note = note or (lambda text: print(text, file=sys.stderr))
        self.created: list[Path] = []
        self.held = False

    # acquiring
    def acquire(self) -> OutputClaim:
        self._make_folder()
        try:
            self._take_lock()
            self._probe()
            if self.require_empty and not folder_is_empty(self.out):
                raise OutputError(
                    f"{self.out}: already exists and is not empty; choose another --out or remove it"
                )
        except BaseException:
            self.release()
            raise
        return self

    def _make_folder(self) -> None:
        out = self.out
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: {_not_a_folder(out)}; choose another --out")
        blocker = _blocking_ancestor(out)
        if blocker is not None:
            raise OutputError(
                f"{out}: cannot create the output folder: {blocker} {_not_a_folder(blocker)}"
            )
        missing = [p for p in reversed([out, *out.parents]) if not p.exists()]
        for folder in missing:
            try:
                folder.mkdir()
            except FileExistsError:
                if not folder.is_dir():
                    self._remove_created()
                    raise OutputError(
                        f"{out}: cannot create the output folder: {folder} {_not_a_folder(folder)}"
                    ) from None
                continue  # made by another process meanwhile
            except OSError as exc:
                self._remove_created()
                why = _why(exc)
                if exc.errno == errno.ENOENT and folder.parent.is_dir():  # e.g. under /proc
                    why = f"no folder can be made in {folder.parent}"
                raise OutputError(f"{out}: cannot create the output folder: {why}") from None
            self.created.append(folder)

    def _holder_text(self) -> str:
        return json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "command": self.command,
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
                "process_start": _process_start(os.getpid()),
            },
            indent=2,
        )

    def _create_lock(self) -> bool:
        """Create the lock file; False if it exists already."""
        try:
            fd = os.open(self.lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            return False
        except OSError as exc:
            raise OutputError(
                f"{self.out}: cannot write in the output folder: {_why(exc)}"
            ) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self._holder_text() + "\n")
        except OSError as exc:
            self.lock.unlink(missing_ok=True)
            raise OutputError(
                f"{self.out}: cannot write in the output folder: {_why(exc)}"
            ) from None
        self.held = True
        _held.add(self)
        return True

    def _read_holder(self) -> dict[str, Any] | None:
        """The lock's holder; None if the lock vanished meanwhile. A lock still being
        written is waited for a moment."""
        for _ in range(20):
            try:
                text = self.lock.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
            except (OSError, UnicodeDecodeError):
                text = ""
            try:
                holder = json.loads(text)
                if isinstance(holder, dict):
                    return holder
            except json.JSONDecodeError:
                pass
            time.sleep(0.05)
        raise OutputError(
            f"{self.out}: its lock {self.lock} cannot be read; if no nhsim command is using the "
            "folder, delete the lock and try again"
        )

    def _take_lock(self) -> None:
        deadline = time.monotonic() + 5
        while not self._create_lock():
            holder = self._read_holder()
            if holder is None:
                continue  # released meanwhile: try again
            here = holder.get("host") == socket.gethostname()
            pid = holder.get("pid")
            stale = (
                here
                and isinstance(pid, int)
                and not _alive(pid, holder.get("process_start"))
                and pid != os.getpid()
            )
            if not stale:
                raise OutputError(
                    f"{self.out}: in use by another nhsim command ({_describe(holder)}); wait for "
                    f"it to finish or choose another --out (if it is no longer running, delete "
                    f"{self.lock})"
                )
            if self._take_over(holder):
                self.note(
                    f"note: {self.out}: took over the lock of an nhsim command that is no longer "
                    f"running ({_describe(holder)})"
                )
                return
            if time.monotonic() > deadline:
                raise OutputError(
                    f"{self.out}: another nhsim command is taking over its lock; try again"
                )
            time.sleep(0.1)

    def _take_over(self, stale: dict[str, Any]) -> bool:
        """Replace a stale lock, one process at a time (under the takeover file)."""
        guard = self.out / _TAKEOVER
        try:
            fd = os.open(guard, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            try:  # a takeover that died half way leaves its guard: old ones are ignored
                if time.time() - guard.stat().st_mtime > 10:
                    guard.unlink(missing_ok=True)
            except OSError:
                pass
            return False
        except OSError as exc:
            raise OutputError(
                f"{self.out}: cannot write in the output folder: {_why(exc)}"
            ) from None
        os.close(fd)
        try:
            if self._read_holder() == stale:  # still the same stale lock
                self.lock.unlink(missing_ok=True)
            return self._create_lock()
        finally:
            guard.unlink(missing_ok=True)

    def _probe(self) -> None:
        """Write and remove a file as results are written, to find a problem before the work."""
        try:
            fd, tmp = tempfile.mkstemp(dir=self.out, prefix=".nhsim-probe-", suffix=".tmp")
        except OSError as exc:
            raise OutputError(
                f"{self.out}: cannot write in the output folder: {_why(exc)}"
            ) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(b"nhsim\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OutputError(
                f"{self.out}: cannot write in the output folder: {_why(exc)}"
            ) from None
        finally:
            Path(tmp).unlink(missing_ok=True)

    # releasing
    def release(self) -> None:
        """Remove the lock (if held) and the folders this claim made, if they are empty."""
        if self.held:
            self.held = False
            _held.discard(self)
            try:
                holder = json.loads(self.lock.read_text(encoding="utf-8"))
                if isinstance(holder, dict) and holder.get("pid") == os.getpid():
                    self.lock.unlink(missing_ok=True)
            except (OSError, ValueError):
                pass
        self._remove_created()

    def _remove_created(self) -> None:
        made_out = bool(self.created) and self.created[-1] == self.out
        if made_out and not any(p.is_file() for p in self.out.rglob("*")):
            # nothing was written: empty folders the work began (events/, plots/) go too
            for root, dirs, _files in os.walk(self.out, topdown=False):
                for name in dirs:
                    try:
                        (Path(root) / name).rmdir()
                    except OSError:
                        pass
        for folder in reversed(self.created):
            try:
                folder.rmdir()
            except OSError:
                break  # something was written there: keep it (and the folders above)
        self.created = []

    def __enter__(self) -> OutputClaim:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"OutputClaim({str(self.out)!r}, held={self.held})"


def claim_output(
    out: Path,
    command: list[str],
    require_empty: bool = True,
    note: Callable[[str], None] | None = None,
) -> OutputClaim:
    """Create ``out``, check it can be written, and lock it for this command.

    ``require_empty``: refuse a folder that already holds files (a sweep's own folder,
    resumed, is checked by the sweep instead). Raises :class:`OutputError`."""
    return OutputClaim(out, command, require_empty, note).acquire()

"""One release at a time per project.

Two releases of one project running at once (a second terminal, a CI job restarted while
the first still runs) would build into the same ``dist/``, append to the same journal and
race each other to the indexes. A second run therefore stops at once, naming the first.

The lock is an exclusive ``flock`` on ``.nox/releasekit/release.lock``, held by the open
file. The kernel drops it when the holder exits *in any way*, SIGKILL and a crash
included, so a stale lock cannot happen and there is nothing to clean up or override: the
file staying behind is harmless, and what it says (PID, start time, command) is only read
to name the holder in the message. On Windows there is no lock (releases there are rare
and interactive); everything else works the same.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from releasekit.errors import ReleasekitError

__all__ = ["LOCK_NAME", "LockedError", "command_line", "hold", "release_lock"]

LOCK_NAME = "release.lock"
_POSIX = os.name == "posix"


class LockedError(ReleasekitError):
    """Another release of this project is running."""


# Locks this process holds, by path, with a count: flock is per open file, so a second
# open and flock of the same file from this process would find it taken by itself.
_held: dict[Path, tuple[IO[str], int]] = {}


def command_line(argv: Sequence[str] | None = None) -> str:
    """``sys.argv`` as the user typed it, roughly: ``nox -s release -- --rehearse``.

    ``python -m nox`` sets ``argv[0]`` to ``.../nox/__main__.py``; that reads as ``nox``.
    """
    args = list(sys.argv if argv is None else argv)
    if not args:
        return "python"
    first = Path(args[0])
    program = first.parent.name if first.name == "__main__.py" else first.name
    return " ".join([program or "python", *args[1:]])


@contextlib.contextmanager
def release_lock(state_dir: Path, what: str) -> Iterator[Path]:
    """Hold the project's release lock for the ``with`` block; fail at once if it is taken.

    ``state_dir`` is the project's ``.nox/releasekit``; ``what`` describes this run to a
    run that finds the lock taken, e.g. :func:`command_line`. Nested and repeated use in one
    process is fine (it counts). Raises :class:`LockedError` naming the holder.
    """
    path = (Path(state_dir) / LOCK_NAME).resolve()
    _acquire(path, what)
    try:
        yield path
    finally:
        _release(path)


def hold(state_dir: Path, what: str) -> Path:
    """Take the release lock for the rest of this process (idempotent).

    For nox: the sessions of one ``nox -s release`` are separate calls, and no other
    release must slip in between them; the lock goes when the process exits.
    """
    path = (Path(state_dir) / LOCK_NAME).resolve()
    if path not in _held:
        _acquire(path, what)
    return path


def _acquire(path: Path, what: str) -> None:
    if path in _held:
        handle, count = _held[path]
        _held[path] = (handle, count + 1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # kept open while held
    try:
        if _POSIX:
            import fcntl

            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _locked(path) from None
        # Ours now: say who holds it, for the message of the next run that tries.
        handle.seek(0)
        handle.truncate()
        started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        handle.write(json.dumps({"pid": os.getpid(), "started": started, "what": what}) + "\n")
        handle.flush()
    except BaseException:
        handle.close()
        raise
    _held[path] = (handle, 1)


def _release(path: Path) -> None:
    handle, count = _held[path]
    if count > 1:
        _held[path] = (handle, count - 1)
        return
    del _held[path]
    handle.close()  # closing the file drops the flock


def _locked(path: Path) -> LockedError:
    holder = _read_holder(path)
    if holder is None:
        who = "the holder's details are not readable"
    else:
        who = f"PID {holder['pid']}, started {_when(holder['started'])}: {holder['what']}"
    return LockedError(
        f"another release is running in this project ({who})",
        f"wait for it to finish, or stop it; the lock ({path}) goes with its process, "
        "so once that process is gone a rerun goes ahead and continues where it stopped",
    )


def _read_holder(path: Path) -> dict[str, Any] | None:
    """What the holder wrote; it may be writing right now, so a few quick tries."""
    for _ in range(10):
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and {"pid", "started", "what"} <= data.keys():
                return data
        time.sleep(0.02)
    return None


def _when(started: str) -> str:
    """``10:42:07`` today, ``2026-11-20 10:42:07`` another day (the local time)."""
    try:
        moment = datetime.datetime.fromisoformat(started).astimezone()
    except (TypeError, ValueError):
        return str(started)
    if moment.date() == datetime.datetime.now().astimezone().date():
        return f"{moment:%H:%M:%S}"
    return f"{moment:%Y-%m-%d %H:%M:%S}"

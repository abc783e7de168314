"""The journal: what a release has done, one line per irreversible step, as it happens.

A file on an index can never be replaced, so what was done must survive whatever happens
next: a crash, a CI cancel, a lost runner. Each step is appended to
``dist/releasekit-journal.jsonl`` the moment it is done (one JSON object per line, flushed
and fsynced before the release moves on), so a rerun, and the summary, can tell what this
run did from what an earlier run did and from what is still missing.

The journal is history, never a plan: entries are only ever appended, a new build does not
remove them, and every question asked of it names the sha256 of the file it is about, so
the entries of an earlier version or an earlier build (other bytes) never count. What a
target serves *now* stays the truth; the journal says who put it there.

A line is one step on one target: ``{"time", "step", "target", "file", "sha256", "url",
"run", ...}``. ``target`` is the target's name for people; ``url`` is the target itself,
what every question asked of the journal matches, so a line a rehearsal wrote for its local
stand-in never counts for the real index of the same name. The rest (``version`` for an
upload, a release's tag and URL) rides along in :attr:`Entry.extra`, so new kinds of
targets fit without a new format. A line without ``url`` (written before it was kept)
matches no target: the target itself then tells what it holds.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from releasekit.engine.records import JOURNAL_NAME, named_oserror

__all__ = [
    "JOURNAL_NAME",
    "Entry",
    "Journal",
    "Progress",
    "Status",
    "current_run_id",
    "done",
    "new_run_id",
    "progress",
    "summarize",
]

_REQUIRED = ("time", "step", "target", "file", "sha256", "run")


@dataclass(frozen=True)
class Entry:
    """One irreversible step: ``file`` (with ``sha256``) went to ``target`` by ``step``."""

    time: str  # ISO-8601 UTC, e.g. "2026-11-21T10:42:07Z"
    step: str  # "upload"; later e.g. "asset" (a GitHub release), "npm-publish"
    target: str  # "test", "prod", ...
    file: str
    sha256: str
    run: str  # the run id of the process that did it
    extra: Mapping[str, Any] = field(default_factory=dict)  # "version", and what a kind adds

    @property
    def version(self) -> str | None:
        value = self.extra.get("version")
        return value if isinstance(value, str) else None

    @property
    def awaiting(self) -> str | None:
        """What a human still does before the target serves the file (a staged npm
        version: ``npm stage approve <id>``); ``None`` for a step that put it out."""
        value = self.extra.get("awaiting")
        return value if isinstance(value, str) and value else None

    @property
    def url(self) -> str | None:
        """The target the step went to (its URL), by which the journal is asked."""
        value = self.extra.get("url")
        return value if isinstance(value, str) else None

    def to_json(self) -> str:
        """One line of the journal (without the newline)."""
        data: dict[str, Any] = {
            "time": self.time,
            "step": self.step,
            "target": self.target,
            "file": self.file,
            "sha256": self.sha256,
            **self.extra,
            "run": self.run,
        }
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Entry | None:
        """The entry of one line, or ``None`` for a line that is not one (a torn write)."""
        try:
            data = json.loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict) or not all(
            isinstance(data.get(key), str) for key in _REQUIRED
        ):
            return None
        extra = {key: value for key, value in data.items() if key not in _REQUIRED}
        time, step, target, file, sha256, run = (data[key] for key in _REQUIRED)
        return cls(time, step, target, file, sha256, run, extra)


def new_run_id() -> str:
    """A fresh run id: when it started (UTC, to the second) and a random part.

    Readable in the file (sorting them sorts the runs by start) and unique across machines,
    which a PID is not: a CI job's PIDs repeat from one job to the next.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


_run_id: str | None = None


def current_run_id() -> str:
    """The run id of this process, made on first use.

    One ``nox -s release`` runs every session in one process and is one run; sessions run
    by separate nox commands are separate runs, which is what the summary should say.
    """
    global _run_id
    if _run_id is None:
        _run_id = new_run_id()
    return _run_id


class Journal:
    """Appends this run's steps to ``dist_dir/releasekit-journal.jsonl``; reads them all."""

    def __init__(self, dist_dir: Path, run_id: str | None = None) -> None:
        self.path = Path(dist_dir) / JOURNAL_NAME
        self.run_id = run_id or current_run_id()

    def record(self, step: str, target: str, file: str, sha256: str, **extra: Any) -> Entry:
        """Append one step, durably, before returning: call it right after the step is done.

        Written with one ``write`` of one line, then ``fsync``: after a crash the journal
        holds the line or (at worst) a torn last line, which :meth:`read` skips and the
        next ``record`` ends with a newline first, so it never swallows a good line.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        entry = Entry(
            time=f"{now:%Y-%m-%dT%H:%M:%SZ}",
            step=step,
            target=target,
            file=file,
            sha256=sha256.lower(),
            run=self.run_id,
            extra=dict(extra),
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        line = entry.to_json() + "\n"
        if not created and not _ends_with_newline(self.path):
            line = "\n" + line
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        except OSError as exc:  # os.write names no file: "No space left on device"
            raise named_oserror(exc, self.path) from None
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)
        return entry

    def entries(self) -> list[Entry]:
        """Every entry of the journal (of every run), oldest first."""
        return self.read(self.path.parent)

    @staticmethod
    def read(dist_dir: Path) -> list[Entry]:
        """Every entry in ``dist_dir``'s journal, oldest first; ``[]`` when there is none.

        Lines that are not entries (a write torn by a crash) are skipped: the journal only
        ever says a step *was* done, and a torn line is a step whose record did not finish;
        the target itself tells whether it happened.
        """
        try:
            text = (Path(dist_dir) / JOURNAL_NAME).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        entries = (Entry.from_json(line) for line in text.splitlines() if line.strip())
        return [entry for entry in entries if entry is not None]


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _fsync_dir(path: Path) -> None:
    """Make a new file's directory entry durable too (POSIX; elsewhere there is no need)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def done(
    entries: Iterable[Entry], url: str, file: str, sha256: str, *, step: str | None = None
) -> Entry | None:
    """The first entry that put exactly these bytes (``sha256``) of ``file`` on the target
    at ``url``.

    Entries of the same file name with other bytes (an earlier build) do not count.
    ``step`` narrows it to one kind of step.
    """
    wanted = sha256.lower()
    for entry in entries:
        if (
            entry.url == url
            and entry.file == file
            and entry.sha256.lower() == wanted
            and (step is None or entry.step == step)
        ):
            return entry
    return None


class Status(str, Enum):
    """Where one file stands on one target, for the summary and for a rerun."""

    THIS_RUN = "by this run"
    EARLIER_RUN = "by an earlier run"
    NOT_JOURNALED = "already there"  # served, but no journal here says by whom (by hand, CI)
    MISSING = "missing"


class _File(Protocol):
    @property
    def filename(self) -> str: ...

    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True)
class Progress:
    """One file on one target: its :class:`Status` and the journal entry behind it."""

    target: str
    file: str
    sha256: str
    status: Status
    entry: Entry | None = None


def progress(
    entries: Sequence[Entry],
    *,
    run_id: str,
    targets: Mapping[str, str],
    files: Sequence[_File],
    served: Mapping[str, Mapping[str, str | None]],
) -> list[Progress]:
    """For each target and file: done by this run, by an earlier run, already there, missing.

    ``targets`` maps each target's name to its URL (what journal lines are matched by).
    ``served`` is what each target serves now, ``{target: {filename: sha256 or None}}``,
    and it is the truth: a file the target does not serve with these bytes is missing,
    whatever the journal says (a step may have been recorded, then undone by hand). A target
    absent from ``served`` was not read, and the journal alone answers for it. Pure: no I/O.
    """
    result = []
    for target, url in targets.items():
        now = served.get(target)
        for item in files:
            entry = done(entries, url, item.filename, item.sha256)
            if now is not None:
                there = now.get(item.filename)
                if there is None or there.lower() != item.sha256.lower():
                    result.append(Progress(target, item.filename, item.sha256, Status.MISSING))
                    continue
            if entry is None:
                status = Status.MISSING if now is None else Status.NOT_JOURNALED
            elif entry.run == run_id:
                status = Status.THIS_RUN
            else:
                status = Status.EARLIER_RUN
            result.append(Progress(target, item.filename, item.sha256, status, entry))
    return result


def summarize(items: Iterable[Progress], verb: str = "uploaded") -> str:
    """``"2 uploaded by this run, 2 by an earlier run"`` (statuses with no file left out)."""
    counts = {status: 0 for status in Status}
    for item in items:
        counts[item.status] += 1
    parts: list[str] = []
    for status, count in counts.items():
        if not count:
            continue
        text = f"{count} {status.value}"
        if status in (Status.THIS_RUN, Status.EARLIER_RUN) and not parts:
            text = f"{count} {verb} {status.value}"
        parts.append(text)
    return ", ".join(parts) or "no files"

"""The files a release leaves under ``dist/``, named once, and the typed ones written here.

Sessions hand over through these files because nox may run them in separate processes:

- ``releasekit-manifest.json``: what was built (:mod:`releasekit.engine.manifest`);
- ``releasekit-plan.json``: what the release will do (:mod:`releasekit.engine.plan`);
- ``releasekit-journal.jsonl``: what was done, appended as it happens
  (:mod:`releasekit.engine.journal`);
- ``releasekit-publish-<target>.json``: what publishing to one target ended with
  (:class:`PublishRecord`), read by the summary;
- ``releasekit-steps.json``: how long each step took (:class:`StepTimes`);
- ``releasekit-project.json``: what the publishing jobs need of the project
  (:mod:`releasekit.engine.handoff`);
- ``releasekit-pending.json``: the files a build moved into ``dist/`` before its manifest
  was written (:func:`releasekit.kinds.python.build.replace_dist`): a build stopped
  between the two (a full disk, SIGTERM during ``twine check``) leaves files releasekit
  still knows as its own. Removed once the manifest is written.

Every record is written by :func:`write_atomic`: a temporary file beside it, then a rename,
so a full disk or a stop leaves the old record or the new one, never half of one; and
every ``OSError`` it raises names the file (a failed ``write`` alone names none).

The names are part of releasekit's contract with its users (their CI keeps these files as
artifacts): they do not change.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "HANDOFF_NAME",
    "JOURNAL_NAME",
    "MANIFEST_NAME",
    "PENDING_NAME",
    "PLAN_NAME",
    "PUBLISH_RECORD_GLOB",
    "STEPS_NAME",
    "TEMP_PREFIX",
    "FileOutcome",
    "PublishRecord",
    "StepTimes",
    "named_oserror",
    "write_atomic",
]

MANIFEST_NAME = "releasekit-manifest.json"
PLAN_NAME = "releasekit-plan.json"
JOURNAL_NAME = "releasekit-journal.jsonl"
STEPS_NAME = "releasekit-steps.json"
HANDOFF_NAME = "releasekit-project.json"
PUBLISH_RECORD_GLOB = "releasekit-publish-*.json"
PENDING_NAME = "releasekit-pending.json"
# Temporary names in dist/ while a record or a build is written: never a distribution's
# name (find_dists looks for *.whl and *.tar.gz only), and removed by the next build
TEMP_PREFIX = ".releasekit-tmp-"


def named_oserror(exc: OSError, path: Path | str, *, instead: bool = False) -> OSError:
    """``exc`` with ``path`` as its file name when it has none (or ``instead`` of the one
    it has: a temporary file's name says nothing to the user): ``os.write`` and a file
    object's ``write``/``close`` raise "No space left on device" naming no file, and
    every front end shows ``exc.filename``."""
    if exc.filename is not None and not instead:
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), os.fspath(path))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file in the same
    directory (the same filesystem), flushed and synced, then renamed over ``path``.

    A full disk or a stop half-way leaves ``path`` as it was and no temporary file (a
    SIGKILL may leave a ``.releasekit-tmp-*`` file, which is no record). Every
    ``OSError`` names ``path``.
    """
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:  # the record's name, not its temporary file's
        raise named_oserror(exc, path, instead=True) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file on one target: ``outcome`` in the target's own words
    ("uploaded", "already identical", "published", ...)."""

    filename: str
    sha256: str
    outcome: str


@dataclass(frozen=True)
class PublishRecord:
    """What publishing to one target ended with: ``releasekit-publish-<target>.json``."""

    target: str  # the target's name: "test", "prod", "npm", "github", ...
    result: str  # one line for the summary: "2 uploaded", "skipped: ...", ...
    url: str | None = None
    files: tuple[FileOutcome, ...] = field(default=())

    @staticmethod
    def path(dist_dir: Path, target: str) -> Path:
        return dist_dir / f"releasekit-publish-{target}.json"

    def save(self, dist_dir: Path) -> None:
        data: dict[str, Any] = {"index": self.target, "result": self.result}
        if self.url is not None:
            data["url"] = self.url
        data["files"] = [
            {"filename": f.filename, "sha256": f.sha256, "outcome": f.outcome} for f in self.files
        ]
        write_atomic(self.path(dist_dir, self.target), json.dumps(data, indent=2))

    @classmethod
    def load(cls, dist_dir: Path, target: str) -> PublishRecord | None:
        """The record of ``target``, or ``None`` when there is none (or it is unreadable: a
        summary is no place to fail a release that is done)."""
        try:
            data = json.loads(cls.path(dist_dir, target).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, Mapping):
            return None
        files = tuple(
            FileOutcome(str(f.get("filename")), str(f.get("sha256")), str(f.get("outcome")))
            for f in data.get("files") or ()
            if isinstance(f, Mapping)
        )
        url = data.get("url")
        return cls(
            target, str(data.get("result", "?")), url if isinstance(url, str) else None, files
        )


class StepTimes:
    """``releasekit-steps.json``: seconds each step took, for the summary's last line."""

    def __init__(self, dist_dir: Path) -> None:
        self.path = dist_dir / STEPS_NAME

    def read(self) -> dict[str, float]:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.path.read_text())
            if isinstance(data, dict):
                return {str(k): float(v) for k, v in data.items()}
        return {}

    def record(self, step: str, seconds: float, *, fresh: bool = False) -> None:
        """Add ``step``; ``fresh`` (the first step of a release) forgets earlier timings."""
        steps = {} if fresh else self.read()
        steps[step] = round(seconds, 2)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise named_oserror(exc, self.path.parent) from None
        write_atomic(self.path, json.dumps(steps, indent=2))

"""What a strict index knows beyond its files, kept for ``strict_index.py`` and releasekit.

One JSON file beside the packages directory (:func:`state_path`; LocalIndex keeps the
server's log there too: the directory holds what pypiserver serves, nothing else), changed
under a lock (:func:`transaction`) and replaced whole: upload times, deleted names, project
statuses (PEP 792), per-project upload limits and rules, project creations. The files on
disk are the truth: a file gone from disk without the API (a rehearsal replacing its own
scratch upload) is forgotten, not deleted; a file put there directly is uploaded at its
mtime. releasekit (``LocalIndex.set_status`` and the like) imports this module, and the
server imports it from beside itself in pypiserver's venv: standard library only, any
Python >= 3.9.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

STATE_SUFFIX = ".releasekit-index.json"  # PACKAGES.releasekit-index.json, beside PACKAGES
LOCK_SUFFIX = ".releasekit-index.lock"
STATUSES = ("active", "archived", "quarantined", "deprecated")  # PEP 792
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")
# one transaction at a time in this process (the file lock: other processes); the server's
# stop holds it so that none begins
transaction_lock = threading.Lock()
# rules.py once the server has loaded it (strict_index.StrictFront.checks): the one reader of
# a file's core metadata, for the JSON pages' requires-python; None in releasekit's own
# process and until then
metadata_rules: Any = None


def normalize(name: str) -> str:
    """PEP 503's normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def split_filename(filename: str) -> tuple[str, str] | None:
    """``(normalized project, version)`` of a distribution's file name, else None."""
    lower = filename.lower()
    if lower.endswith(".whl"):
        parts = filename[:-4].split("-")
        return (normalize(parts[0]), parts[1]) if len(parts) >= 5 else None
    for suffix in (".tar.gz", ".zip"):
        if lower.endswith(suffix):
            stem = filename[: -len(suffix)]
            name, sep, version = stem.rpartition("-")
            return (normalize(name), version) if sep and name and version else None
    return None


def canonical_version(version: str) -> str:
    """The release a version names (legacy.py: ``packaging.utils.canonicalize_version``)."""
    try:
        from packaging.utils import canonicalize_version
    except ImportError:  # pragma: no cover - pypiserver and releasekit both have packaging
        return version.lower()
    return str(canonicalize_version(version))


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment: datetime.datetime) -> str:
    """PEP 700's form, as Warehouse writes it: ``upload_time.isoformat() + "Z"`` (UTC)."""
    naive = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return naive.isoformat() + "Z"


def parse_iso(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text.rstrip("Z"))
    return moment.replace(tzinfo=datetime.timezone.utc)


def empty_state() -> dict[str, Any]:
    return {"serial": 0, "files": {}, "deleted": {}, "projects": {}, "created": []}


@contextlib.contextmanager
def transaction(root: Path) -> Iterator[dict[str, Any]]:
    """The state of the index in ``root``, in step with its files, saved when changed.

    Under this process's lock and an exclusive lock on a file beside it (the server and
    releasekit may both change it); written to a temporary file, then renamed over. Not
    written while the index knows nothing.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = state_path(root)
    with transaction_lock, file_lock(path.with_name(root.name + LOCK_SUFFIX)):
        try:
            before = path.read_text(encoding="utf-8")
            state: dict[str, Any] = {**empty_state(), **json.loads(before)}
        except (OSError, ValueError):
            before, state = "", empty_state()
        sync(state, root)
        yield state
        after = json.dumps(state, indent=1, sort_keys=True)
        if after != before and (before or state != empty_state()):
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(after)
            os.replace(tmp, path)


def state_path(root: Path) -> Path:
    """Where the index in ``root`` keeps what it knows beyond its files."""
    root = Path(root)
    return root.with_name(root.name + STATE_SUFFIX)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def sync(state: dict[str, Any], root: Path) -> None:
    """Make ``state["files"]`` say what is on disk: new or changed files are read (sha256,
    size, Requires-Python) and uploaded at their mtime unless known; gone ones forgotten."""
    files: dict[str, dict[str, Any]] = state["files"]
    seen = set()
    for path in listed(root):
        name = path.name
        if split_filename(name) is None:
            continue
        seen.add(name)
        stat = path.stat()
        entry = files.get(name)
        if entry and "requires-python" not in entry and metadata_rules is not None:
            entry["requires-python"] = _requires_python(path)  # described before the rules
        if (
            entry
            and entry.get("size") == stat.st_size
            and entry.get("mtime_ns") == stat.st_mtime_ns
        ):
            continue
        sha256 = sha256_of(path)
        if entry and entry.get("sha256") == sha256:  # touched, same bytes
            entry.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns)
            continue
        mtime = datetime.datetime.fromtimestamp(stat.st_mtime, datetime.timezone.utc)
        files[name] = describe(path, sha256, mtime)
    for name in set(files) - seen:
        del files[name]


def describe(path: Path, sha256: str, uploaded: datetime.datetime) -> dict[str, Any]:
    """What the index keeps of one file; its ``requires-python`` once the rules are loaded
    (before that, :func:`sync` adds it later)."""
    stat = path.stat()
    project, version = split_filename(path.name) or ("", "")
    entry = {
        "path": path.name,
        "project": project,
        "version": version,
        "sha256": sha256,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "upload-time": iso(uploaded),
    }
    if metadata_rules is not None:
        entry["requires-python"] = _requires_python(path)
    return entry


def listed(root: Path) -> Iterator[Path]:
    """The files pypiserver lists: every file under ``root`` not named with a dot."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for filename in filenames:
            if not filename.startswith("."):
                path = Path(dirpath, filename)
                if path.is_file():
                    yield path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _requires_python(path: Path) -> str | None:
    """Requires-Python of the file's own metadata (PEP 691's ``requires-python``), if any,
    read by rules.read_metadata where Warehouse reads it; the caller only asks once the
    rules are loaded."""
    raw, _ = metadata_rules.read_metadata(path)
    if raw is None:
        return None
    value = HeaderParser().parsestr(raw.decode("utf-8", "replace")).get("Requires-Python")
    return str(value).strip() or None if value else None


def project_known(state: dict[str, Any], project: str) -> bool:
    """Whether ``project`` exists on the index: it has or had files, or a recorded status."""
    if project in state["projects"]:
        return True
    entries = (*state["files"].values(), *state["deleted"].values())
    return any(entry["project"] == project for entry in entries)


def project_status(state: dict[str, Any], project: str) -> tuple[str, str]:
    record = state["projects"].get(project, {})
    return record.get("status", "active"), record.get("reason", "")


def set_status(root: Path, project: str, status: str, reason: str = "") -> None:
    """Give ``project`` a PEP 792 status (what PyPI's admins or owners do in its web UI)."""
    if status not in STATUSES:
        raise ValueError(f"unknown project status {status!r}: one of {', '.join(STATUSES)}")
    with transaction(root) as state:
        record = state["projects"].setdefault(normalize(project), {})
        record.update(status=status, reason=reason)
        state["serial"] += 1


def backdate(root: Path, project: str, version: str, days: float) -> list[str]:
    """Move the upload times of ``project``'s ``version`` ``days`` into the past (as if the
    release were that old; the files stay as they are). The file names moved."""
    key = (normalize(project), canonical_version(version))
    moved = []
    with transaction(root) as state:
        for bucket in ("files", "deleted"):
            for name, entry in state[bucket].items():
                if (entry["project"], canonical_version(entry["version"])) == key:
                    then = parse_iso(entry["upload-time"]) - datetime.timedelta(days=days)
                    entry["upload-time"] = iso(then)
                    moved.append(name)
        state["serial"] += 1
    return sorted(moved)


def _settings(state: dict[str, Any], project: str) -> dict[str, Any]:
    """What the index's admins set for ``project`` (an upload limit, PyPI's rules off). Kept
    apart from ``state["projects"]``: a setting does not make a project exist (the simple API
    still answers 404 until its first upload, and a rehearsal sets them before it)."""
    settings: dict[str, Any] = state.get("settings", {}).get(normalize(project), {})
    return settings


def _set(root: Path, project: str, key: str, value: Any) -> None:
    with transaction(root) as state:
        settings = state.setdefault("settings", {}).setdefault(normalize(project), {})
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = value


def upload_limit(state: dict[str, Any], project: str, default: int) -> int:
    """The largest file ``project`` may upload: legacy.py ``_copy_uploaded_file``,
    ``max(filter(None, [MAX_FILESIZE, project.upload_limit]))``: a project's own limit only
    ever raises the index's."""
    raised = _settings(state, project).get("upload-limit")
    return max(default, raised) if isinstance(raised, int) else default


def set_upload_limit(root: Path, project: str, limit: int | None) -> None:
    """Raise ``project``'s upload limit per file to ``limit`` bytes (``Project.upload_limit``,
    which PyPI's admins set on request); None: back to the index's default."""
    if limit is not None and (not isinstance(limit, int) or limit <= 0):
        raise ValueError(f"an upload limit is a number of bytes > 0, not {limit!r}")
    _set(root, project, "upload-limit", limit)


def pypi_rules(state: dict[str, Any], project: str) -> bool:
    """Whether uploads of ``project`` are held to PyPI's rules (the default), or to what any
    index takes (``pypi-rules = false``: a stand-in for an index that is not PyPI)."""
    return _settings(state, project).get("pypi-rules", True) is not False


def set_pypi_rules(root: Path, project: str, on: bool) -> None:
    """Hold ``project``'s uploads to PyPI's rules (``on``), or only to what any index needs:
    the stand-in of an index that is not PyPI (devpi, Artifactory, a GitLab registry), which
    takes a ``linux_x86_64`` wheel, a classifier of its own or a local version."""
    _set(root, project, "pypi-rules", None if on else False)


def release_created(state: dict[str, Any], project: str, version: str) -> datetime.datetime | None:
    """When the release was made on the index: its first file's upload (a file deleted
    through the API still counts: PyPI keeps the release)."""
    key = (project, canonical_version(version))
    times = [
        parse_iso(entry["upload-time"])
        for bucket in ("files", "deleted")
        for entry in state[bucket].values()
        if (entry["project"], canonical_version(entry["version"])) == key
    ]
    return min(times) if times else None

"""``dist/`` as releasekit owns it: which files there are its own build, and how a new
build replaces them without ever leaving the directory half-written.

A build is staged inside ``dist/`` (the same filesystem, so each file arrives by rename),
``releasekit-pending.json`` names every file with its sha256 before the first rename, and
the manifest replaces it at the end. A stop or a full disk at any point leaves ``dist/`` as
it was, or holding only files the next run recognises as its own; a file releasekit did not
build is never deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from packaging.utils import canonicalize_name

from releasekit.engine import records
from releasekit.engine.manifest import MANIFEST_NAME, Manifest, sha256_file
from releasekit.engine.records import PENDING_NAME, PUBLISH_RECORD_GLOB, TEMP_PREFIX
from releasekit.errors import BuildError
from releasekit.kinds.python import artifacts

__all__ = ["foreign_files", "remove_fully", "replace_dist"]


def foreign_files(dist_dir: Path, name: str) -> list[str]:
    """Distribution files in ``dist_dir`` that releasekit did not build for ``name``.

    A file counts as releasekit's when the manifest there lists it, the manifest is
    ``name``'s (another project's dist/, copied or shared, is not ours to empty), and the
    file still has the bytes the manifest records (a file rebuilt by hand or edited since is
    not what releasekit built); or when the pending record of a build stopped before its
    manifest (:func:`replace_dist`) lists it for ``name`` with those bytes. Each other file
    is named with why it is not ours. A manifest that cannot be read is named itself, with
    what to do: its files are most likely releasekit's own.
    """
    if not dist_dir.is_dir():
        return []
    unreadable: BuildError | None = None
    try:
        manifest: Manifest | None = Manifest.load(dist_dir)
    except BuildError as exc:
        manifest = None
        if os.path.lexists(dist_dir / MANIFEST_NAME):
            unreadable = exc
    ours = {f.filename: f.sha256 for f in manifest.files} if manifest is not None else {}
    owner = manifest.name if manifest is not None else name
    pending = _read_pending(dist_dir, name)
    foreign = []
    for path in artifacts.find_dists(dist_dir):
        if path.name not in ours and path.name not in pending:
            foreign.append(path.name)
            continue
        actual = sha256_file(path)
        if pending.get(path.name) == actual:
            continue  # moved in by a build that stopped before its manifest
        if path.name not in ours:
            foreign.append(f"{path.name} (changed since it was built)")
        elif canonicalize_name(owner) != canonicalize_name(name):
            foreign.append(f"{path.name} (built for {owner})")
        elif actual != ours[path.name]:
            foreign.append(f"{path.name} (changed since it was built)")
    if foreign and unreadable is not None:
        raise BuildError(
            f"{unreadable.message}: releasekit cannot tell whether {', '.join(sorted(foreign))} "
            f"in {dist_dir} are its own build",
            f"releasekit writes it whole, so something else changed it: if {dist_dir} holds "
            f"only releasekit's build, delete {MANIFEST_NAME} and those files (or the whole "
            "directory) and build again; otherwise move the other files away first",
        )
    return sorted(foreign)


def _read_pending(dist_dir: Path, name: str) -> dict[str, str]:
    """filename -> sha256 of the files a build of ``name`` moved into ``dist_dir`` before it
    wrote the manifest (``{}`` when there is no such record, or it is another project's or
    unreadable: then those files are not known to be ours)."""
    try:
        data = json.loads((dist_dir / PENDING_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return {}
    if canonicalize_name(str(data.get("name", ""))) != canonicalize_name(name):
        return {}
    return {str(k): str(v) for k, v in data["files"].items()}


def _copy_file(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` and sync it: what is renamed into dist/ is on disk."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


def replace_dist(dist_dir: Path, built: list[Path], name: str) -> None:
    """Make ``dist_dir`` hold exactly the new build: old files would be published too.

    Only files of releasekit's previous build are removed (the caller refused to start
    when others were there). Nothing half-written ever carries a distribution's name, and
    every file in ``dist_dir`` is always known as releasekit's:

    1. each built file is copied into a temporary directory inside ``dist_dir`` (the same
       filesystem) and synced: a full disk or a stop here leaves ``dist_dir`` as it was;
    2. the pending record (``releasekit-pending.json``, written whole) lists every file that
       will be there, with its sha256, until :func:`check_and_record` writes the manifest:
       a build stopped after this point (SIGTERM during ``twine check``) leaves only files
       the next run knows as its own, and replaces;
    3. the old records go, the new files are renamed into place, the old files go.

    An ``OSError`` is a :class:`BuildError` that names the file and says whether
    ``dist_dir`` was changed.
    """
    try:
        dist_dir.mkdir(parents=True, exist_ok=True)
        for leftover in dist_dir.glob(TEMP_PREFIX + "*"):  # a killed run's; never a record
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        old = artifacts.find_dists(dist_dir)
        owned = {path.name: sha256_file(path) for path in old}
    except OSError as exc:
        raise _dist_write_error(dist_dir, exc, changed=False) from None
    new = {path.name: sha256_file(path) for path in built}
    staging: Path | None = None
    changed = False
    current: Path = dist_dir
    try:
        staging = Path(tempfile.mkdtemp(dir=dist_dir, prefix=TEMP_PREFIX))
        for path in built:
            current = dist_dir / path.name
            _copy_file(path, staging / path.name)
        current = dist_dir / PENDING_NAME
        records.write_atomic(
            current, json.dumps({"name": name, "files": {**owned, **new}}, indent=2) + "\n"
        )
        changed = True
        from releasekit.targets.pypi.attest import attestation_files

        old_records = [
            dist_dir / MANIFEST_NAME,
            *dist_dir.glob(PUBLISH_RECORD_GLOB),
            *attestation_files(dist_dir),  # they sign the files just replaced
        ]
        for record in old_records:
            current = record
            record.unlink(missing_ok=True)
        for path in built:
            current = dist_dir / path.name
            os.replace(staging / path.name, current)
        for path in old:
            if path.name not in new:
                current = path
                path.unlink(missing_ok=True)
    except OSError as exc:  # the name in dist_dir, not the staging copy's
        named = records.named_oserror(exc, current, instead=not changed)
        raise _dist_write_error(dist_dir, named, changed) from None
    finally:
        if staging is not None:
            remove_fully(staging)


def _dist_write_error(dist_dir: Path, exc: OSError, changed: bool) -> BuildError:
    where = f"{exc.filename}" if exc.filename else str(dist_dir)
    state = (
        "every file in it is still known as releasekit's: run the build again"
        if changed
        else f"nothing in {dist_dir} was changed"
    )
    return BuildError(
        f"cannot write the build into {dist_dir}: {where}: {exc.strerror or exc} ({state})",
        "make it writable (and check the disk has space), or pass `-- --dist DIR`",
    )


def remove_fully(path: Path) -> None:
    """``rmtree`` that a stop (SIGTERM or Ctrl-C: ``KeyboardInterrupt``) does not cut
    short: the removal is finished, then the stop goes on. A build's environment holds
    thousands of files, and a stop that arrives while they are removed left the rest in
    the temporary directory."""
    interrupted: BaseException | None = None
    while True:
        try:
            shutil.rmtree(path, ignore_errors=True)
            break
        except KeyboardInterrupt as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted

"""The tags at HEAD, read straight from the ``.git`` directory instead of asking git.

The build hook needs them in every build of a user's project, and starting ``git tag
--points-at HEAD`` costs about 2 ms where reading a few small files costs 0.1 ms: a
noticeable part of a small project's whole build.

The reader knows the plain layout only: a ``.git`` directory found by walking up from the
project, loose refs, ``packed-refs`` with peeled lines, and loose tag objects. For anything
else it answers ``None``, which means "ask git": a ``.git`` file (worktree, submodule), the
reftable format, replace refs, a tag object inside a pack, a repository owned by another user
(git's ``safe.directory`` decides there), a mount point on the way up. It may send git a
question it could have answered; it never answers differently from git (a tag of a tag
counts as git 2.42 and later count it: at HEAD when it leads there). Imported by the build
hook: ``os`` and ``zlib`` only.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

__all__ = ["boundary", "outside_boundary", "tags_at_head"]

# Past this many loose tags to open, one git process is cheaper than reading them.
_MAX_TAG_OBJECTS = 32
_HEX = frozenset("0123456789abcdef")
_GITDIR_PARTS = ("HEAD", "objects", "refs")  # what makes a directory a repository to git


def boundary(root: Path) -> tuple[Path, str]:
    """Where the project's own files are: the git repository holding ``root`` (found by its
    ``.git``, a directory or a worktree's file, without running git), else ``root``; with
    how messages name it."""
    for candidate in (root, *root.parents):
        if (candidate / ".git").exists():
            return candidate, "the git repository"
    return root, "the project"


def outside_boundary(path: Path, root: Path) -> tuple[Path, Path, str] | None:
    """``None`` when ``path``, followed through every symlink, is inside :func:`boundary`
    of ``root``; else (where it leads, the boundary, its name). Both sides are resolved, so
    a project reached through a symlinked directory (``/tmp`` on macOS) is still inside."""
    edge, what = boundary(root)
    real, real_edge = Path(os.path.realpath(path)), Path(os.path.realpath(edge))
    if real == real_edge or real_edge in real.parents:
        return None
    return real, edge, what


def tags_at_head(root: str | os.PathLike[str]) -> list[str] | None:
    """The names of the tags pointing at HEAD (directly or through tag objects), sorted as
    ``git tag --points-at HEAD`` prints them; ``None`` when only git can tell."""
    try:
        gitdir = _find_gitdir(os.fspath(root))
        if gitdir is None:
            return None
        return _tags_at_head(gitdir)
    except (OSError, ValueError, zlib.error):
        return None


def _find_gitdir(start: str) -> str | None:
    """The ``.git`` directory git would use for ``start``, or ``None`` if not certain.

    git walks up from the real path of its working directory, and never into a
    ``GIT_CEILING_DIRECTORIES`` entry or onto another filesystem.
    """
    if not hasattr(os, "geteuid"):
        return None  # Windows: git's ownership rules there are its own
    ceilings = _ceilings()
    if ceilings is None:
        return None
    here = os.path.realpath(start)
    device = os.stat(here).st_dev
    while True:
        dotgit = os.path.join(here, ".git")
        if os.path.isdir(dotgit):
            if not all(os.path.exists(os.path.join(dotgit, p)) for p in _GITDIR_PARTS):
                return None  # git would skip it and keep looking: let git do that
            if os.stat(here).st_uid != os.geteuid() or os.stat(dotgit).st_uid != os.geteuid():
                return None  # git's safe.directory check decides
            return dotgit
        if os.path.lexists(dotgit) or os.path.exists(os.path.join(here, "HEAD")):
            return None  # a gitdir file (worktree, submodule) or maybe a bare repository
        parent = os.path.dirname(here)
        if parent == here or parent in ceilings or os.stat(parent).st_dev != device:
            return None
        here = parent


def _ceilings() -> set[str] | None:
    """``GIT_CEILING_DIRECTORIES`` as real paths; ``None`` for the spelling with an empty
    entry (whose later entries git takes unresolved)."""
    value = os.environ.get("GIT_CEILING_DIRECTORIES")
    if not value:
        return set()
    entries = value.split(os.pathsep)
    if "" in entries:
        return None
    return {os.path.realpath(entry) for entry in entries if os.path.isabs(entry)}


def _tags_at_head(gitdir: str) -> list[str] | None:
    if os.path.exists(os.path.join(gitdir, "reftable")) or os.path.exists(
        os.path.join(gitdir, "refs", "replace")
    ):
        return None
    packed = _packed_refs(gitdir)
    if packed is None:
        return None
    head = _resolve(gitdir, "HEAD", packed)
    if head is None:
        return None
    # tag name -> the object it peels to; loose refs may name tag objects not opened yet
    peeled = {
        name[len("refs/tags/") :]: commit or obj
        for name, (obj, commit) in packed.items()
        if name.startswith("refs/tags/")
    }
    unopened: dict[str, str] = {}
    loose = os.path.join(gitdir, "refs", "tags")
    for directory, _, files in os.walk(loose):
        for file in files:
            if file.endswith(".lock"):  # a ref being written; never a ref name
                continue
            path = os.path.join(directory, file)
            name = os.path.relpath(path, loose).replace(os.sep, "/")
            obj = _read_id(path)
            if obj is None:
                return None
            peeled.pop(name, None)  # a loose ref overrides its packed copy
            if obj == head:
                peeled[name] = obj
            else:
                unopened[name] = obj
    if len(unopened) > _MAX_TAG_OBJECTS:
        return None
    for name, obj in unopened.items():
        commit = _peel(gitdir, obj)
        if commit is None:
            return None
        peeled[name] = commit
    return sorted(name for name, commit in peeled.items() if commit == head)


def _packed_refs(gitdir: str) -> dict[str, tuple[str, str | None]] | None:
    """``packed-refs`` as name -> (object, peeled object or None); ``None`` when its peeled
    lines cannot be trusted to be complete."""
    try:
        with open(os.path.join(gitdir, "packed-refs"), encoding="utf-8") as file:
            lines = file.read().splitlines()
    except FileNotFoundError:
        return {}
    refs: dict[str, tuple[str, str | None]] = {}
    traits = lines[0].split() if lines and lines[0].startswith("# pack-refs with:") else []
    if "fully-peeled" not in traits and "peeled" not in traits:
        return None  # which refs are tag objects is not written down
    last = None
    for line in lines:
        if not line or line.startswith("#"):
            continue
        if line.startswith("^"):
            if last is None or not _is_id(line[1:]):
                return None
            refs[last] = (refs[last][0], line[1:])
            continue
        obj, _, name = line.partition(" ")
        if not _is_id(obj) or not name:
            return None
        refs[name] = (obj, None)
        last = name
    return refs


def _resolve(gitdir: str, ref: str, packed: dict[str, tuple[str, str | None]]) -> str | None:
    """The object id ``ref`` (``HEAD``, ``refs/heads/main``) names, following symbolic refs."""
    for _ in range(5):
        path = os.path.join(gitdir, *ref.split("/"))
        try:
            with open(path, encoding="utf-8") as file:
                content = file.read().strip()
        except FileNotFoundError:
            entry = packed.get(ref)
            return entry[0] if entry else None  # None: an unborn branch, git says so
        if content.startswith("ref: "):
            ref = content[len("ref: ") :]
            if not ref.startswith("refs/"):
                return None
            continue
        return content if _is_id(content) else None
    return None


def _read_id(path: str) -> str | None:
    with open(path, encoding="utf-8") as file:
        content = file.read().strip()
    return content if _is_id(content) else None


def _peel(gitdir: str, obj: str) -> str | None:
    """The commit (or other object) a chain of loose tag objects ends at; ``None`` when an
    object in the chain is not loose (packed or in an alternate): git can tell."""
    for _ in range(10):
        path = os.path.join(gitdir, "objects", obj[:2], obj[2:])
        try:
            with open(path, "rb") as file:
                head = zlib.decompressobj().decompress(file.read(1024), 512)
        except FileNotFoundError:
            return None
        kind, _, body = head.partition(b" ")
        if kind != b"tag":
            return obj  # a commit, tree or blob: the end of the chain
        header = body.partition(b"\0")[2]
        if not header.startswith(b"object "):
            return None
        obj = header[len(b"object ") :].split(b"\n", 1)[0].decode("ascii")
        if not _is_id(obj):
            return None
    return None


def _is_id(text: str) -> bool:
    """A full object id: 40 hex digits (SHA-1) or 64 (SHA-256)."""
    return len(text) in (40, 64) and _HEX.issuperset(text)

"""The adapter around the ``git`` command: what a release asks of the checkout.

It answers the questions a release asks of the checkout: which release tag this build is
for (an explicit ``RELEASEKIT_TAG``, the CI's tag variable, or a tag at HEAD), whether
tracked files changed, whether the clone is shallow, when HEAD was committed (for
``SOURCE_DATE_EPOCH``), and a clean checkout of HEAD to build from.

Builds also run where git is absent or the tree is not a repository (``python -m build``
builds the wheel from an unpacked sdist). There "no tag here" is an answer, not a crash: the
query helpers return ``None``/``False`` instead of raising. What a bump changes (commit,
tag, push, and their undoing) is :mod:`releasekit.core.gitwrite`, run through :func:`ask`
and :func:`git_env` here.

Imported by the hatch plugin: standard library only, besides releasekit's own pure modules;
``hashlib``, ``shutil`` and ``tempfile`` are imported by the functions that use them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from packaging.version import Version

from releasekit.core import gitdir, secret_env
from releasekit.core.version import parse_release_tag, try_normalize, version_from_tag
from releasekit.errors import BuildError, TagError

__all__ = [
    "DirtyCheck",
    "ReleaseTag",
    "ask",
    "ci_tag",
    "clean_checkout",
    "commit_timestamp",
    "current_branch",
    "describe",
    "dirty_files",
    "git_env",
    "head_commit",
    "is_dirty",
    "is_repository",
    "is_shallow",
    "keep_out_of_status",
    "last_release_tag",
    "new_tag_prefix",
    "release_tag",
    "release_tag_among",
    "released_elsewhere",
    "stable_checkout_path",
    "tag_elsewhere",
    "tag_exists",
    "tag_prefix",
    "tag_style",
    "tags_at_head",
    "toplevel",
    "uncommitted_digest",
    "upstream",
]

# Variables that would point git at another repository than ``root`` (a git hook exports
# GIT_DIR and GIT_INDEX_FILE to its children, e.g. a pre-commit hook that builds).
_REPO_LOCATING_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)

# Tag variables of GitLab, CircleCI and Buildkite, checked in this order after GitHub's.
_CI_TAG_VARS = ("CI_COMMIT_TAG", "CIRCLE_TAG", "BUILDKITE_TAG")


class ReleaseTag(NamedTuple):
    """The release tag a build is for, and where releasekit found it (for messages)."""

    name: str  # the tag as written, e.g. "api-v1.2.0"
    version: str  # the normalized version it releases, e.g. "1.2.0"
    source: str  # "RELEASEKIT_TAG", "GITHUB_REF_NAME", ..., or "git tag at HEAD"


def git_env() -> dict[str, str]:
    """git's environment: no credential (it runs programs a user configured), and none of
    the variables that would point it at another repository than the one asked about."""
    env = {k: v for k, v in secret_env.scrub(os.environ).items() if k not in _REPO_LOCATING_VARS}
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password nobody will type
    env["GIT_OPTIONAL_LOCKS"] = "0"  # `git status` must not take index.lock from a user
    env["LC_ALL"] = "C"  # output releasekit parses does not change with the locale
    return env


def _start(root: Path | str, args: tuple[str, ...], *, text: bool) -> subprocess.Popen[Any] | None:
    """Start ``git args`` in ``root``; ``None`` when it cannot start (no git, no ``root``)."""
    try:
        return subprocess.Popen(
            ["git", *args],
            cwd=root,
            env=git_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=text,
        )
    except OSError:  # FileNotFoundError: no git on PATH, or root does not exist
        return None


def _finish(proc: subprocess.Popen[Any] | None) -> Any | None:
    """The stdout of a started git, or ``None`` when it did not start or exited non-zero."""
    if proc is None:
        return None
    with proc:  # as subprocess.run: an interrupted wait leaves no git behind
        try:
            out, _ = proc.communicate()
        except BaseException:
            proc.kill()
            raise
    return out if proc.returncode == 0 else None


def _run(root: Path | str, args: tuple[str, ...], *, text: bool) -> Any | None:
    """Run ``git args`` in ``root``: its stdout, or ``None`` for any failure.

    Missing git, a missing ``root`` and a non-zero exit all mean "git cannot tell".
    """
    return _finish(_start(root, args, text=text))


def ask(root: Path | str, *args: str) -> str | None:
    """Text stdout of ``git args`` run in ``root``, or ``None`` on any failure: the query
    every question of a release asks (:mod:`releasekit.core.gitwrite` changes things)."""
    out: str | None = _run(root, args, text=True)
    return out


def ci_tag(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The tag the CI is building, and the variable it came from; ``None`` if not a tag build.

    GitHub first (``GITHUB_REF_TYPE=tag`` with ``GITHUB_REF_NAME``, or a ``refs/tags/`` ref),
    then GitLab, CircleCI, Buildkite. Empty values count as unset: CI systems export the
    variable empty on branch builds.
    """
    if env.get("GITHUB_REF_TYPE") == "tag" and env.get("GITHUB_REF_NAME"):
        return env["GITHUB_REF_NAME"], "GITHUB_REF_NAME"
    ref = env.get("GITHUB_REF", "")
    if ref.startswith("refs/tags/") and len(ref) > len("refs/tags/"):
        return ref[len("refs/tags/") :], "GITHUB_REF"
    for var in _CI_TAG_VARS:
        value = env.get(var)
        if value:
            return value, var
    return None


def tags_at_head(root: Path | str) -> list[str] | None:
    """The tags pointing at HEAD, sorted by name; ``None`` when git cannot tell (no
    repository, no commit, no git). Read from ``.git`` when :mod:`releasekit.core.gitdir` can."""
    names = gitdir.tags_at_head(root)
    if names is not None:
        return names
    out = ask(root, "tag", "--points-at", "HEAD")
    return None if out is None else out.splitlines()


def release_tag_among(names: Iterable[str], prefix: str | None) -> ReleaseTag | None:
    """The release tag among ``names``, the tags at HEAD (two of them with different versions
    is a :class:`TagError`)."""
    found: list[ReleaseTag] = []
    for name in names:
        version = version_from_tag(name, prefix)
        if version is not None:
            found.append(ReleaseTag(name, version, "git tag at HEAD"))
    if not found:
        return None
    first = found[0]
    for other in found[1:]:
        if other.version != first.version:
            raise TagError(
                f"HEAD has two release tags for different versions: {first.name} "
                f"({first.version}) and {other.name} ({other.version})",
                f"delete the wrong one: git tag -d {other.name} (or git tag -d {first.name})",
            )
    return first


def release_tag(
    root: Path | str, prefix: str | None, env: Mapping[str, str] | None = None
) -> ReleaseTag | None:
    """The release tag this build is for, or ``None`` when it is not a tagged build.

    First found wins: ``RELEASEKIT_TAG`` (must be a release tag, else :class:`TagError`,
    because the user asked for it by name), then the CI's tag variable (ignored when it is not
    a release tag of this ``prefix``: another package's tag in a monorepo, or ``latest``),
    then release tags pointing at HEAD (two with different versions is a :class:`TagError`).
    ``env`` defaults to ``os.environ``.
    """
    return release_tag_from_env(prefix, env) or release_tag_among(tags_at_head(root) or (), prefix)


def release_tag_from_env(
    prefix: str | None, env: Mapping[str, str] | None = None
) -> ReleaseTag | None:
    """The release tag named by ``RELEASEKIT_TAG`` or a CI variable; no git call.

    This is all there is to go on where there is no repository: a wheel built from an
    unpacked sdist.
    """
    if env is None:
        env = os.environ
    explicit = env.get("RELEASEKIT_TAG", "")
    if explicit.strip():
        return ReleaseTag(explicit, parse_release_tag(explicit, prefix), "RELEASEKIT_TAG")
    from_ci = ci_tag(env)
    if from_ci is not None:
        name, var = from_ci
        version = version_from_tag(name, prefix)
        if version is not None:
            return ReleaseTag(name, version, var)
    return None


def prefix_of(tag: str, version: str) -> str | None:
    """The tag prefix under which ``tag`` releases ``version`` (``py-v`` for ``py-v1.2.0``
    and 1.2.0), or ``None``.

    For a wheel built from an unpacked sdist of a workspace member: the member's prefix
    comes from the workspace's file, which is not in the sdist.
    """
    for at in range(len(tag)):
        if "0" <= tag[at] <= "9":
            prefix = tag[:at]
            if version_from_tag(tag, prefix) == try_normalize(version):
                return prefix
            return None
    return None


def own_prefix(tags: Iterable[str], version: str) -> str | None:
    """The prefix of the project's own form (not ``v`` nor none) under which one of ``tags``
    releases ``version`` (``hatch-v`` for ``hatch-v1.18.0`` and 1.18.0); ``None`` if none does.

    A build that knows its version and no ``tag-prefix`` learns a prefix like pypa/hatch's
    this way, without listing the repository's tags: a tag naming the version is the
    strongest evidence there is."""
    for tag in tags:
        prefix = prefix_of(tag, version) if tag else None
        if prefix not in (None, "", "v", "V"):
            return prefix
    return None


def is_repository(root: Path | str) -> bool:
    """Whether ``root`` is inside a git work tree (a monorepo package's directory counts)."""
    return (ask(root, "rev-parse", "--is-inside-work-tree") or "").strip() == "true"


_STATUS = ("status", "--porcelain", "-z", "--untracked-files=no", "--", ".")


def _dirty(root: Path | str) -> list[str] | None:
    """Changed tracked paths under ``root`` (relative to the repository's top), or ``None``.

    Scoped to ``root`` so that in a monorepo an edit in another package does not block this
    one. ``-z`` keeps names with spaces or quotes intact.
    """
    return _status_paths(ask(root, *_STATUS))


def _status_paths(out: str | None) -> list[str] | None:
    if out is None:
        return None
    paths: list[str] = []
    entries = iter(out.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        paths.append(path)
        if "R" in status or "C" in status:
            next(entries, None)  # the rename's source path follows; the new path is enough
    return paths


class DirtyCheck:
    """:func:`dirty_files` in two halves: ``git status`` starts when this is made and is read
    by :meth:`files`, so the caller works while git does (the build hook imports and parses
    its configuration meanwhile)."""

    def __init__(self, root: Path | str) -> None:
        self._root = root
        self._proc = _start(root, _STATUS, text=True)
        self._files: list[str] | None = None

    def files(self) -> list[str]:
        """The changed tracked paths under the root; empty when clean or not a repository."""
        if self._files is None:
            proc = self._proc or _start(self._root, _STATUS, text=True)  # after cancel()
            self._files = _status_paths(_finish(proc)) or []
        return list(self._files)

    def cancel(self) -> None:
        """Stop git if nobody asked for its answer (the build is no release after all)."""
        if self._files is None and self._proc is not None:
            self._proc.kill()
            self._proc.communicate()
            self._proc = None


def is_dirty(root: Path | str) -> bool | None:
    """Whether tracked files changed since HEAD; ``None`` when not a repository or no git.

    Untracked files do not count: they do not change what a clean checkout would build.
    """
    paths = _dirty(root)
    return None if paths is None else bool(paths)


def dirty_files(root: Path | str) -> list[str]:
    """The changed tracked paths, for messages; empty when clean or not a repository."""
    return _dirty(root) or []


def is_shallow(root: Path | str) -> bool:
    """Whether the clone is shallow (CI default), where tags and history may be missing."""
    return (ask(root, "rev-parse", "--is-shallow-repository") or "").strip() == "true"


def head_commit(root: Path | str) -> str | None:
    """The full hash of HEAD, or ``None`` (no repository, no git, or no commit yet)."""
    out = ask(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    return out.strip() if out else None


def commit_timestamp(root: Path | str, ref: str = "HEAD") -> int | None:
    """The committer time of ``ref`` in Unix seconds, the natural ``SOURCE_DATE_EPOCH``."""
    if not ref or ref.startswith("-"):  # never let a ref be read as an option
        return None
    out = ask(root, "show", "--no-patch", "--format=%ct", f"{ref}^{{commit}}", "--")
    if not out:
        return None
    try:
        return int(out.strip().splitlines()[-1])
    except ValueError:
        return None


@contextlib.contextmanager
def clean_checkout(
    root: Path | str, ref: str = "HEAD", *, at: Path | None = None
) -> Iterator[Path]:
    """A temporary checkout of ``ref`` (HEAD: what is built now; a release tag: what it
    built); yields where ``root`` is inside it.

    A detached ``git worktree`` of the whole repository: untracked files and uncommitted
    edits cannot leak into a build made from it, but the tags and history are there, so a
    VCS version plugin (hatch-vcs, versioningit, ...) computes the same version as in the
    user's checkout, and a monorepo package still sees the files of its neighbours. It is
    what a CI job's fresh clone holds. The user's hooks do not run (``core.hooksPath``),
    and the worktree is removed afterwards, even on failure.

    Its path is the same for every build of the repository (:func:`_checkout_dir`): some
    builds write it into what they make (webpack's module ids in a JupyterLab extension's
    bundle), and a rehearsal must build the bytes that the tag's build then makes.

    ``at``: an empty place of the caller's instead, removed afterwards (a second build at
    another path proves that the path is not in the bytes: kinds/python/secondbuild.py).

    Raises :class:`BuildError` when there is nothing to check out.
    """
    import shutil

    if shutil.which("git", path=git_env().get("PATH")) is None:
        raise BuildError(
            f"cannot check out {root}: git is not installed", "install git, or build in place"
        )
    if not is_repository(root):
        raise BuildError(
            f"cannot check out {root}: not a git repository",
            "run from a git checkout, or build in place",
        )
    if head_commit(root) is None:
        raise BuildError(
            f"cannot check out {root}: the repository has no commit yet", "commit your files first"
        )
    if not ref or ref.startswith("-"):  # never let a ref be read as an option
        raise BuildError(f"cannot check out {ref!r}: not a git ref", "name a tag or a commit")
    prefix = (ask(root, "rev-parse", "--show-prefix") or "").strip()
    if at is not None:
        try:
            with _worktree(root, at, ref):
                yield at / prefix if prefix else at
        finally:
            shutil.rmtree(at, ignore_errors=True)
        return
    with _checkout_dir(root) as tmp:
        dest = Path(tmp) / _WORKTREE
        with _worktree(root, dest, ref):
            yield dest / prefix if prefix else dest


# the worktree's directory inside the checkout directory
_WORKTREE = "src"


def stable_checkout_path(root: Path | str) -> Path:
    """Where :func:`clean_checkout` checks out ``root`` when its stable directory is free:
    ``<tmp>/releasekit-checkout-<repository name>/src``, the same for every build of the
    repository. The second build of ``--check-reproducible`` goes to a path of another
    length than this one (kinds/python/secondbuild.py)."""
    import tempfile

    top = (ask(root, "rev-parse", "--show-toplevel") or str(root)).strip()
    stable = Path(tempfile.gettempdir()) / f"releasekit-checkout-{Path(top).name or 'root'}"
    return stable / _WORKTREE


@contextlib.contextmanager
def _checkout_dir(root: Path | str) -> Iterator[str]:
    """An empty directory for :func:`clean_checkout`, removed afterwards: one path per
    repository name (``<tmp>/releasekit-checkout-<name>``), so that two builds of one commit
    are built at the same path, here and on a CI runner. The directory itself is held with
    ``flock`` while in use; taken (another build of a same-named repository is running),
    not ours, or where ``flock`` does not exist: a new temporary directory instead, whose
    path differs."""
    import shutil
    import tempfile

    stable = stable_checkout_path(root).parent
    held = _hold_directory(stable)
    if held is not None:  # a killed build's worktree there is registered still: forget it
        ask(root, "worktree", "prune")
    path = str(stable) if held is not None else tempfile.mkdtemp(prefix="releasekit-checkout-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)  # while still held
        if held is not None:
            os.close(held)


def _hold_directory(path: Path) -> int | None:
    """A descriptor of the empty, private directory ``path``, locked with ``flock`` (made
    when missing, emptied when a killed build left it); ``None`` when it cannot be had."""
    import shutil

    try:
        import fcntl
    except ImportError:  # Windows
        return None
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(3):  # the path may be removed and made again between the steps
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass  # held by a running build, or left by a killed one
        except OSError:
            return None
        try:
            fd = os.open(path, flags)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = os.fstat(fd)
            if os.lstat(path).st_ino != held.st_ino:  # removed after we opened it: again
                raise FileNotFoundError(path)
        except FileNotFoundError:
            os.close(fd)
            continue
        except OSError:  # another build holds it
            os.close(fd)
            return None
        if held.st_uid != os.getuid() or held.st_mode & 0o077:  # not ours alone
            os.close(fd)
            return None
        for entry in path.iterdir():  # a killed build's leftovers
            shutil.rmtree(entry, ignore_errors=True)
        return fd
    return None


@contextlib.contextmanager
def _worktree(root: Path | str, dest: Path, ref: str = "HEAD") -> Iterator[None]:
    """``dest`` as a detached worktree of ``ref``, removed afterwards even on failure."""
    try:
        proc = subprocess.run(
            ["git", "-c", f"core.hooksPath={os.devnull}", "worktree", "add", "--detach",
             "--quiet", str(dest), f"{ref}^{{commit}}"],
            cwd=root, env=git_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise BuildError(
                f"git worktree add failed in {root}: {last}",
                "run `git worktree prune` and try again; releasekit needs to write to .git",
            )
        yield
    finally:
        ask(root, "worktree", "remove", "--force", str(dest))
        ask(root, "worktree", "prune")


def keep_out_of_status(checkout: Path | str, paths: list[Path]) -> None:
    """Mark ``paths`` skip-worktree in a :func:`clean_checkout`: releasekit's own edits there
    (the stamped version) must not make the build see a dirty tree."""
    rel = [os.path.relpath(path, checkout) for path in paths]
    if rel and ask(checkout, "update-index", "--skip-worktree", "--", *rel) is None:
        raise BuildError(
            f"git update-index failed for {', '.join(rel)} in the build checkout",
            "report this as a releasekit bug",
        )


def describe(root: Path | str) -> str | None:
    """``git describe --tags --long --always``: what a VCS version plugin starts from."""
    out = ask(root, "describe", "--tags", "--long", "--always")
    return out.strip() if out else None


def uncommitted_digest(root: Path | str) -> str | None:
    """A digest of every uncommitted change to tracked files ("" when clean), or ``None``."""
    import hashlib

    out: bytes | None = _run(root, ("diff", "HEAD", "--binary"), text=False)
    if out is None:
        return None
    return hashlib.sha256(out).hexdigest() if out else ""


def toplevel(root: Path | str) -> str | None:
    """The repository's top directory (``git status`` paths are relative to it)."""
    out = ask(root, "rev-parse", "--show-toplevel")
    return out.strip() if out else None


def current_branch(root: Path | str) -> str | None:
    """The checked-out branch, or ``None`` when HEAD is detached (or no repository)."""
    out = ask(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    return out.strip() if out else None


def tag_exists(root: Path | str, name: str) -> bool:
    return ask(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{name}") is not None


def tag_style(root: Path | str, version: str | None = None) -> str | None:
    """How the repository spells this project's release tags: ``"v"``, ``""`` (no prefix) or a
    prefix of its own (``"hatch-v"``); ``None`` when it has no release tag yet.

    With the default tag form (an optional ``v``) any tag releases, but a new tag should be
    spelled as the project spells them: most projects tag ``1.2.3``, not ``v1.2.3``, and
    pypa/hatch tags ``hatch-v1.18.0``. A prefix of its own is learned only from evidence that
    the tags are this project's (:func:`releasekit.core.tagprefix.learn_tag_prefix`): a tag
    naming its version (``version``, the computed one, else the static one in pyproject.toml),
    its VCS plugin's ``--match``, or, for a version from git tags, the tag the plugin counts
    from; else ``v`` or none, as the newest release (by version) was tagged.
    """
    from releasekit.core import tagprefix

    evidence = tagprefix.evidence(Path(root), version)
    tags = (ask(root, "tag", "--list") or "").split()
    if not tags:
        return evidence.match
    nearest = None
    if evidence.from_tags and evidence.match is None:
        skip = [f"--exclude={prefix}*" for prefix in sorted(evidence.others)]
        out = ask(root, "describe", "--tags", "--abbrev=0", "--match=*[0-9]*", *skip, "HEAD")
        nearest = out.strip() if out else None
    at_head = (tags_at_head(root) or ()) if evidence.version is not None else ()
    return tagprefix.learn_tag_prefix(tags, evidence, at_head=at_head, nearest=nearest)


def tag_prefix(root: Path | str, configured: str | None, version: str | None = None) -> str | None:
    """The prefix this project's release tags are found with: ``tag-prefix`` when set, else
    a prefix of its own learned from the repository (:func:`tag_style`), else ``None``: the
    default, an optional ``v``."""
    if configured is not None:
        return configured
    style = tag_style(root, version)
    return None if style in (None, "", "v") else style


def last_release_tag(root: Path | str, prefix: str | None) -> ReleaseTag | None:
    """The newest release tag (by version) of ``prefix`` in HEAD's history, HEAD included:
    what a VCS version plugin counts from. ``None`` when there is none (or no repository)."""
    out = ask(root, "tag", "--merged", "HEAD", "--list")
    newest: tuple[Version, str, str] | None = None
    for name in (out or "").split():
        version = version_from_tag(name, prefix)
        if version is not None and (newest is None or Version(version) > newest[0]):
            newest = (Version(version), name, version)
    return None if newest is None else ReleaseTag(newest[1], newest[2], "last release tag")


def release_tag_named(root: Path | str, prefix: str | None, version: str) -> str | None:
    """The name of a tag (of ``prefix``'s form) that releases ``version`` (PEP 440's normal
    form), the first by name; ``None`` when none does (or no repository)."""
    names = sorted((ask(root, "tag", "--list") or "").split())
    return next((name for name in names if version_from_tag(name, prefix) == version), None)


def tag_elsewhere(root: Path | str, prefix: str | None, version: str) -> tuple[str, str] | None:
    """A release tag of ``version`` (of ``prefix``'s form) on another commit than HEAD, and
    that commit: the version was released there, and this commit's must move on.
    ``None`` when no tag releases it, one is at HEAD, or git cannot tell."""
    out = ask(
        root, "for-each-ref", "refs/tags", "--format=%(refname:short) %(objectname) %(*objectname)"
    )
    head = head_commit(root)
    for line in (out or "").splitlines():
        name, _, ids = line.partition(" ")
        commit = ids.split()[-1] if ids.split() else ""
        if version_from_tag(name, prefix) == version:
            return None if commit == head else (name, commit)
    return None


def released_elsewhere(root: Path | str, prefix: str | None, version: str) -> str | None:
    """What to say of an untagged commit whose version a tag on another commit released
    (one commit past pallets/click's 8.5.0): that version is taken, this one must move on."""
    found = tag_elsewhere(root, prefix, version)
    if found is None:
        return None
    return (
        f"{found[0]} exists on another commit ({found[1][:12]}): {version} is released there, "
        "so this commit's version must move on: releasekit bump patch"
    )


def new_tag_prefix(
    root: Path | str, configured: str | None, version: str | None = None
) -> str | None:
    """The prefix of a tag releasekit makes or suggests: ``tag-prefix`` when set, else the
    repository's own style (:func:`tag_style`); ``None`` (the default ``v``) when it has none
    yet. With the default form matching stays tolerant of either spelling; this is only how a
    new one is written."""
    if configured is not None:
        return configured
    style = tag_style(root, version)
    return None if style in (None, "v") else style


def upstream(root: Path | str) -> tuple[str, str] | None:
    """(remote, branch) the current branch pushes to, or ``None`` when it has no upstream."""
    out = ask(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
    if not out or "/" not in out.strip():
        return None
    remote, branch = out.strip().split("/", 1)
    return remote, branch

"""What a bump asks git to change, and how it is undone: commit, tag, push, roll back.

The counterpart of :mod:`releasekit.core.git`, which only asks: every command here changes
the repository or a remote, so each failure is a :class:`TagError` naming what failed with
git's own reason (never a traceback), and ``releasekit bump`` checks everything it can
(:func:`valid_tag_name`, :func:`identity_problem`, :func:`remote_refs`) before the first
of them runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from releasekit.core.git import ask, git_env, head_commit, tag_exists
from releasekit.errors import TagError

__all__ = [
    "commit_of",
    "commit_paths",
    "create_tag",
    "identity_problem",
    "is_ancestor",
    "push",
    "remote_refs",
    "require_commit",
    "require_identity",
    "subject",
    "undo_commit",
    "unstage",
    "valid_tag_name",
]


def _write(root: Path | str, *args: str, what: str, hint: str) -> str:
    """Run a git command that changes the repository; a failure is a :class:`TagError`
    naming ``what`` and git's last line (never a traceback)."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, env=git_env(), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    except OSError:
        raise TagError(f"{what} failed: git is not installed", "install git") from None
    if proc.returncode != 0:
        raise TagError(f"{what} failed: {_git_line(proc.stderr or proc.stdout, proc.returncode)}",
                       hint)  # fmt: skip
    return proc.stdout


def commit_paths(root: Path | str, paths: list[Path], message: str) -> str:
    """Commit exactly ``paths`` (nothing else that may be staged) and return the new HEAD."""
    rel = [os.path.relpath(path, root) for path in paths]
    _write(root, "add", "--", *rel, what="git add", hint="check the files' permissions")
    _write(
        root, "commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *rel,
        what="git commit", hint="set user.name and user.email (git config), then run again",
    )  # fmt: skip
    return head_commit(root) or ""


def create_tag(root: Path | str, name: str, message: str) -> None:
    """An annotated tag ``name`` at HEAD whose message is ``message`` (the changelog section),
    passed on stdin so no text is ever read as an option."""
    proc = subprocess.run(
        ["git", "tag", "--annotate", "--cleanup=verbatim", "--file=-", name],
        cwd=root, env=git_env(), input=message or name, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise TagError(
            f"git tag {name} failed: {lines[-1] if lines else proc.returncode}",
            "check the tag name and your git identity (user.name, user.email)",
        )


def push(root: Path | str, remote: str, refs: list[str]) -> None:
    """Push ``refs`` (the branch and the tag) to ``remote`` in one go, atomically when the
    server supports it, so the tag never arrives without its commit."""
    _write(
        root, "push", "--atomic", "--quiet", remote, *refs,
        what=f"git push {remote} {' '.join(refs)}",
        hint="the commit and tag are made locally; push them by hand once the remote is "
        "reachable: git push --atomic " + remote + " " + " ".join(refs),
    )  # fmt: skip


# --- checked before a bump writes anything, and undone when it fails half-way -------------------

REMOTE_TIMEOUT = 20.0
"""Seconds ``bump --push`` waits for the remote to answer before it writes anything."""


def _git_line(stderr: str, returncode: int) -> str:
    """The line of git's error output that says what failed: its first ``fatal:`` line, else
    a push's first rejected ref (``! [remote rejected] main -> main (pre-receive hook
    declined)``), else its first ``error:`` line. The last line is often advice ("and the
    repository exists.", "hint: See the 'Note about fast-forwards'")."""
    lines = [" ".join(line.split()) for line in stderr.strip().splitlines() if line.strip()]
    for start in ("fatal:", "! [", "error:"):
        for line in lines:
            if line.startswith(start):
                return line
    return lines[-1] if lines else f"exit {returncode}"


def valid_tag_name(root: Path | str, name: str) -> bool:
    """Whether git takes ``name`` as a tag (``git check-ref-format``, and no leading ``-``,
    which ``git tag`` refuses too): checked before a bump commits, so a bad tag-prefix never
    leaves a release commit without its tag."""
    if not name or name.startswith("-"):
        return False
    return ask(root, "check-ref-format", f"refs/tags/{name}") is not None


def identity_problem(root: Path | str) -> str | None:
    """What git says when it has no identity to commit and tag with; ``None`` when it has."""
    for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        try:
            proc = subprocess.run(
                ["git", "var", variable], cwd=root, env=git_env(), stdin=subprocess.DEVNULL,
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        except OSError:
            return "git is not installed"
        if proc.returncode != 0:
            return _git_line(proc.stderr or "", proc.returncode)
    return None


def require_commit(root: Path | str) -> None:
    """Refuse a repository without a commit: there is nothing to commit onto or tag."""
    if head_commit(root) is None:
        raise TagError(f"{root} is not a git repository with a commit", "git init and commit first")


def require_identity(root: Path | str, doing: str = "commit", undone: str = "written") -> None:
    """Refuse, before anything changes, when git has no identity to ``doing`` with."""
    identity = identity_problem(root)
    if identity is not None:
        raise TagError(
            f"git has no identity to {doing} with ({identity}); nothing was {undone}",
            "set user.name and user.email (git config --global user.name ...), then run again",
        )


def remote_refs(
    root: Path | str, remote: str, refs: list[str], timeout: float | None = None
) -> dict[str, str]:
    """The commits ``refs`` name on ``remote`` (an annotated tag: the commit it tags); the
    refs it lacks are left out. :class:`TagError` when the remote cannot be read.

    Without a terminal and without a prompt: ``GIT_TERMINAL_PROMPT=0`` for HTTPS, a new
    session (no controlling terminal) so ssh fails instead of asking for a passphrase or a
    host key, and a timeout for a host that never answers. A credential helper or an ssh
    agent still works, as for the push itself.
    """

    timeout = REMOTE_TIMEOUT if timeout is None else timeout
    env = {**git_env(), "SSH_ASKPASS_REQUIRE": "never"}
    try:
        proc = subprocess.Popen(
            ["git", "ls-remote", remote, *refs, *(f"{ref}^{{}}" for ref in refs)],
            cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
    except OSError:
        raise TagError("git is not installed", "install git") from None
    with proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except BaseException as exc:  # the timeout, or ^C: git and its ssh go, as a group
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            raise TagError(
                f"cannot reach {remote}: no answer within {timeout:.0f} s; nothing was written",
                f"check `git ls-remote {remote}` answers (without a prompt), or leave out --push",
            ) from None
    if proc.returncode != 0:
        raise TagError(
            f"cannot reach {remote}: {_git_line(stderr, proc.returncode)}; nothing was written",
            f"check `git ls-remote {remote}` works without a prompt (an ssh agent or a "
            "credential helper), or leave out --push and push later",
        )
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.endswith("^{}"):
            found[ref[:-3]] = sha  # the commit an annotated tag points at wins
        elif ref in refs:
            found.setdefault(ref, sha)
    return found


def is_ancestor(root: Path | str, commit: str, of: str = "HEAD") -> bool:
    """Whether ``commit`` is known here and in ``of``'s history (a push would fast-forward)."""
    return ask(root, "merge-base", "--is-ancestor", commit, of) is not None


def commit_of(root: Path | str, ref: str) -> str | None:
    """The commit ``ref`` names (an annotated tag's target), or ``None``."""
    out = ask(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return out.strip() if out else None


def subject(root: Path | str, ref: str = "HEAD") -> str | None:
    """The first line of ``ref``'s commit message."""
    out = ask(root, "log", "-1", "--format=%s", ref)
    return out.strip() if out is not None else None


def undo_commit(
    root: Path | str, branch: str, before: str, after: str, paths: list[Path], tag: str | None
) -> None:
    """Undo a release commit (and its tag) that the bump made: the tag deleted, the branch
    moved back from ``after`` to ``before`` only if it still points at ``after``, and the
    index entries of ``paths`` as they were at ``before``. The working tree is the caller's
    (it puts the version files' old bytes back). :class:`TagError` when any step fails."""
    if tag is not None and tag_exists(root, tag):
        _write(root, "tag", "-d", tag, what=f"git tag -d {tag}", hint="delete it by hand")
    _write(
        root, "update-ref", "-m", "releasekit: undo the release commit", f"refs/heads/{branch}",
        before, after, what=f"moving {branch} back to {before[:12]}",
        hint=f"move it by hand: git reset --soft {before[:12]}",
    )  # fmt: skip
    unstage(root, paths, before)


def unstage(root: Path | str, paths: list[Path], commit: str = "HEAD") -> None:
    """Index entries of ``paths`` back to ``commit``'s; the working tree is untouched."""
    rel = [os.path.relpath(path, root) for path in paths]
    _write(
        root, "reset", "--quiet", commit, "--", *rel, what="git reset -- <version files>",
        hint="unstage them by hand: git restore --staged -- " + " ".join(rel),
    )  # fmt: skip


def delete_tag(root: Path | str, name: str) -> None:
    """Delete the local tag ``name`` (one this run made and could not push)."""
    _write(
        root,
        "tag",
        "-d",
        name,
        what=f"git tag -d {name}",
        hint=f"delete it by hand: git tag -d {name}",
    )

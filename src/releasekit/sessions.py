"""The release as nox sessions: check, build, smoke-install, publish-test, publish,
github-release, release.

A project's noxfile calls :func:`register`. Sessions are not registered by decorators at
import time: nox's registry is global and a noxfile loaded twice in one process would lose
them (see DESIGN.md). Each session is a thin front end: it makes a console of the nox
session, opens the :class:`~releasekit.release.Release` of this run (the options after
``--``, the project or the workspace members) and calls one step of it; a
:class:`ReleasekitError` becomes ``session.error`` (never ``session.skip``: nox counts a
skipped prerequisite as a success).

Sessions hand over through files under ``dist/`` (:mod:`releasekit.engine.records`), because nox
may run them in separate processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

import nox

from releasekit.engine.runcontext import ToolsCache
from releasekit.errors import ReleasekitError
from releasekit.release import Release
from releasekit.runtime import proc, signals, terminal

__all__ = ["SESSIONS", "register"]

SESSIONS = (
    "check", "build", "smoke-install", "publish-test", "publish", "github-release", "release",
)  # fmt: skip

_tools = ToolsCache()


def register(*, python: str | None = None) -> None:
    """Register the release sessions in the calling noxfile.

    ``python`` is the interpreter of the tools virtualenv (twine, and build where uv is
    missing); default: the one running nox. The Pythons smoke-install tries are
    ``[tool.releasekit.smoke] pythons``.

    The sessions need no nox virtualenv of their own: the tools live in one virtualenv that
    releasekit makes from its lock under the user cache (``RELEASEKIT_CACHE_DIR``) and
    reuses while the lock is unchanged, which saves a venv and an install per session.
    """
    _tools.python = python
    signals.install()

    def add(name: str, func: Callable[[nox.Session], None], requires: str | None = None) -> None:
        nox.session(name=name, venv_backend="none", requires=[requires] if requires else None)(func)

    # Each step requires the one before it, so a failure stops everything after it (nox
    # would otherwise go on to the next session), and `nox -s publish` alone still goes
    # through check, build, smoke-install and publish-test (cheap on a rerun: the build is
    # reused and identical uploads are skipped).
    add("check", check)
    add("build", build, "check")
    add("smoke-install", smoke_install, "build")
    add("publish-test", publish_test, "smoke-install")
    add("publish", publish, "publish-test")
    add("github-release", github_release, "publish")
    # `release` ends with the GitHub release only where the project asked for it
    add("release", release, "github-release" if _github_release_enabled() else "publish")


# `nox --list` shows the first line of each session's docstring: each is a whole sentence.
def check(session: nox.Session) -> None:
    """Check that this commit is releasable, before anything is built.

    Config, clean tree, tag == version, changelog, the project's own checks
    (check-sessions, check-commands), and what the targets already have.
    """
    _run(session, "check", Release.check)


def build(session: nox.Session) -> None:
    """Build the sdist, then the wheel from it, from a clean checkout of HEAD.

    An npm member: npm pack. Then check the files and write the manifest.
    """
    _run(session, "build", Release.build)


def smoke_install(session: nox.Session) -> None:
    """Install what was built into fresh environments and prove that it works.

    Import every module, load the entry points, run the smoke commands.
    """
    _run(session, "smoke-install", Release.smoke_install)


def publish_test(session: nox.Session) -> None:
    """Plan every target, then upload to the test index, verify and install from it.

    The plan reads every target of the release once, before the first upload anywhere; the
    test index's hashes are read back, then the package is installed from it.
    """
    _run(session, "publish-test", Release.publish_test)


def publish(session: nox.Session) -> None:
    """Upload the same files to the real index, verify them and install from it.

    An npm member: publish to its registry.
    """
    _run(session, "publish", Release.publish)


def github_release(session: nox.Session) -> None:
    """Make the GitHub release of the tag, with its notes and the built files.

    The changelog's notes, the built files and SHA256SUMS on a draft, then published.
    """
    _run(session, "github-release", Release.github_release)


def release(session: nox.Session) -> None:
    """Run the whole release, then print a summary table.

    check, build, smoke-install, publish-test, publish (and github-release).
    """
    _run(session, "release", Release.summary)


class _NoxConsole:
    """A :class:`~releasekit.engine.runcontext.Console` that speaks through a nox session."""

    def __init__(self, session: nox.Session) -> None:
        self.session = session

    def log(self, message: str) -> None:
        self.session.log(message)

    def warn(self, message: str) -> None:
        self.session.warn(message)

    def run(self, argv: Sequence[str], *, cwd: Path) -> None:
        with self.session.chdir(cwd):
            self.session.run(*argv, external=True, env=proc.child_env(), include_outer_env=False)

    def ask(self, question: str) -> bool | None:
        return terminal.ask(question)


def _run(session: nox.Session, step: str, action: Callable[[Release], None]) -> None:
    """Open this run's release and do ``step``; every releasekit failure becomes
    ``session.error`` with what to do next."""
    release: Release | None = None
    requested, noxfile = _nox_run(session)
    try:
        release = Release.open(
            _NoxConsole(session), session.posargs, Path.cwd(), step,
            requested=requested, noxfile=noxfile, tools=_tools,
        )  # fmt: skip
        action(release)
    except ReleasekitError as exc:
        if release is not None:
            for project, line in release.after_failure(step):
                release.log(project, line)
        session.error(str(exc))
    except OSError as exc:  # dist/ read-only or full, a file vanished: say which, no traceback
        where = f" {exc.filename}" if exc.filename else ""
        session.error(
            f"cannot read or write{where}: {exc.strerror or exc}\n"
            "  hint: check the permissions and the free space there"
        )


def _nox_run(session: nox.Session) -> tuple[list[str], Path | None]:
    """The sessions named on nox's command line (``-s``) and the noxfile: the one place
    that reads nox's internals (nox has no public API for either)."""
    config: Any = getattr(getattr(session, "_runner", None), "global_config", None)
    noxfile = getattr(config, "noxfile", None)
    return list(getattr(config, "sessions", None) or []), Path(noxfile) if noxfile else None


def _github_release_enabled() -> bool:
    """``[tool.releasekit] github-release`` of the project the noxfile is in (cwd), or of
    any member of the workspace declared there."""
    from releasekit.core.config import load_pyproject
    from releasekit.kinds import kind_of
    from releasekit.project.workspace import find_workspace

    try:
        workspace = find_workspace(Path.cwd())
        if workspace is not None:
            return any(kind_of(m.kind).member_config(m).github_release for m in workspace.members)
        table = load_pyproject(Path.cwd()).get("tool", {}).get("releasekit", {})
    except ReleasekitError:
        return False
    return isinstance(table, dict) and table.get("github-release") is True

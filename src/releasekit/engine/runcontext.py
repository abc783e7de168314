"""What one release run works from: its options, its console, and its projects.

The release engine (:mod:`releasekit.release`), the kinds of package
(:mod:`releasekit.kinds`) and the targets (:mod:`releasekit.targets`) all take these
values, so none of them needs nox: the nox sessions make a :class:`Console` of a nox
session and hand it over, and the tests hand over a fake one.
"""

from __future__ import annotations

import argparse
import functools
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from releasekit.core.config import Config
from releasekit.errors import ReleasekitError

if TYPE_CHECKING:
    from releasekit.core.version import NextVersion
    from releasekit.kinds.base import Kind
    from releasekit.project.workspace import Member, Workspace

__all__ = ["Console", "Options", "Project", "ToolsCache", "options_parser", "parse_options"]

OPTIONS_HINT = (
    "options after --: --rehearse, --dry-run, --yes, --dist DIR, --only PATH, "
    "--npm-publish=stage, --next-version VERSION|major|minor|patch, --check-reproducible"
)


@dataclass
class Options:
    """The session options after ``--``."""

    rehearse: bool = False
    dry_run: bool = False
    yes: bool = False
    dist: Path | None = None
    only: list[str] = field(default_factory=list)  # workspace members to release
    # the version the next tag releases, for a version from git tags (rehearsal, check)
    next_version: str | None = None
    # the build is made twice (another path and TZ; umask 022 for both) and the bytes compared
    check_reproducible: bool = False
    # install from each target after writing it; off where credentials are and no project
    # code may run (the CI jobs that publish from an artifact: Release.from_artifact)
    installs: bool = True
    # npm members: "stage" (npm stage publish, a human approves) or "publish"; None: the
    # workspace's npm-publish
    npm_publish: str | None = None


def options_parser() -> argparse.ArgumentParser:
    """The parser of the options after ``--`` (docs/gen_reference.py documents its options)."""
    parser = argparse.ArgumentParser(
        prog="nox -s <session> --", add_help=False, exit_on_error=False, allow_abbrev=False
    )
    parser.add_argument("--rehearse", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--yes", "-y", action="store_true")
    parser.add_argument("--dist", type=Path, metavar="DIR")
    parser.add_argument("--only", action="append", default=[], metavar="PATH")
    parser.add_argument("--next-version", metavar="VERSION")
    parser.add_argument("--check-reproducible", action="store_true")
    parser.add_argument("--npm-publish", choices=("publish", "stage"))
    return parser


def parse_options(posargs: Sequence[str]) -> Options:
    """The options after ``--``; an unknown one or a missing ``--dist`` directory is an error."""
    parser = options_parser()
    try:
        namespace, unknown = parser.parse_known_args(list(posargs))
    except argparse.ArgumentError as exc:
        raise ReleasekitError(f"bad session option: {exc}", OPTIONS_HINT) from None
    if unknown:
        raise ReleasekitError(f"unknown session option {unknown[0]!r}", OPTIONS_HINT)
    options = Options(**vars(namespace))
    if options.dist is not None and not options.dist.is_dir():
        what = "not a directory" if options.dist.exists() else "no such directory"
        raise ReleasekitError(
            f"--dist {options.dist}: {what}",
            "build the files first, or point --dist at the directory that holds them",
        )
    return options


class Console(Protocol):
    """Where a release speaks and what it asks: a nox session, or a test's fake."""

    def log(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def run(self, argv: Sequence[str], *, cwd: Path) -> None:
        """Run a user's command (``check-commands``) without credentials; raise on failure."""

    def ask(self, question: str) -> bool | None:
        """Ask a yes/no question; ``None`` when nobody is at a terminal to answer."""


class ToolsCache:
    """The tools venv's interpreter per set of requirements, made once per process (the
    sessions of ``release`` share it; ``check`` may make it in the background)."""

    def __init__(self, python: str | None = None) -> None:
        self.python = python
        self.made: dict[tuple[Path, tuple[str, ...]], list[str]] = {}
        self.lock = threading.Lock()


@dataclass
class Project:
    """One project of the run: the single project, or one workspace member released.

    In a workspace the tools venv, the lock and the rehearsal's servers are the
    workspace's, shared by all of its members.
    """

    config: Config
    name: str
    dist_dir: Path
    kind: Kind
    options: Options
    member: Member | None = None
    workspace: Workspace | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    # outside a workspace: the registry an artifact's npm package was built for
    registry: str | None = None
    # outside a workspace: an artifact's npm publishing keys (npm-publish, ...), as handed on
    npm_settings: Mapping[str, Any] | None = None
    # a version from git tags, untagged: what the next tag releases and why (set by check)
    next_version: NextVersion | None = None

    @property
    def root(self) -> Path:
        return self.config.root

    @functools.cached_property
    def new_tag_prefix(self) -> str | None:
        """The prefix of a tag releasekit suggests for this project: ``tag-prefix``, else the
        repository's own spelling (``1.2.3`` or ``v1.2.3``), read once."""
        from releasekit.core import git

        return git.new_tag_prefix(self.root, self.config.tag_prefix)

    @functools.cached_property
    def tag_prefix(self) -> str | None:
        """The prefix this project's release tags are found with: ``tag-prefix``, else a
        prefix of its own the repository's tags show (``hatch-v``), else ``None`` (an
        optional ``v``); read once."""
        from releasekit.core import git

        return git.tag_prefix(self.root, self.config.tag_prefix)

    @property
    def label(self) -> str:
        """How messages name it: the member's label, or the project's name."""
        return self.member.label if self.member is not None else self.name

    @property
    def state_dir(self) -> Path:
        """Where releasekit keeps what it reuses between runs (rehearsal index, smoke venvs)."""
        return (self.workspace.root if self.workspace else self.root) / ".nox" / "releasekit"

    @property
    def work_dir(self) -> Path:
        """This project's own corner of :attr:`state_dir` (its smoke venvs)."""
        if self.member is None:
            return self.state_dir
        return self.state_dir / "members" / self.member.rel.replace("/", "__")

    def npm_publishing_table(self) -> dict[str, Any]:
        """npm-publish, npm-provenance and npm-trusted-publishing: the workspace's, else
        those the build handed on with its artifact (the defaults when it handed none)."""
        if self.workspace is not None:
            return self.workspace.npm_publishing_table()
        from releasekit.project.workspace import NPM_PUBLISHING_DEFAULTS

        return {**NPM_PUBLISHING_DEFAULTS, **(self.npm_settings or {})}

    @property
    def npm_smoke(self) -> str | tuple[str, ...]:
        """How an npm member is smoke-tested (its entry's ``smoke``: "import", "install" or
        commands), also where only its build's artifact is (handed on with the publishing
        keys: ``verify-install`` of a browser bundle installs it only there too)."""
        if self.member is not None:
            return self.member.smoke
        value = (self.npm_settings or {}).get("smoke", "import")
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
        return value if value in ("import", "install") else "import"

    @property
    def npm_registry(self) -> str:
        """The npm registry of the workspace (the default one outside a workspace)."""
        if self.workspace is not None:
            return self.workspace.npm_registry
        if self.registry is not None:
            return self.registry
        from releasekit.project.workspace import DEFAULT_NPM_REGISTRY

        return DEFAULT_NPM_REGISTRY

"""The interface of a kind of package: what is built, how it is checked and smoke-tested.

A Python distribution (sdist and wheels) and an npm package (one tarball) go through the
same release: check the version against its tag, build once into a directory of their own
with a manifest, reuse that build while it is intact, smoke-test what was built, and after
publishing install it back from the target. The release engine (:mod:`releasekit.release`)
calls these methods and never asks which kind it has.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable, ClassVar

from releasekit.engine.remote import PackageFormat

if TYPE_CHECKING:
    from releasekit.core.config import Config
    from releasekit.core.git import ReleaseTag
    from releasekit.engine.manifest import Manifest
    from releasekit.engine.runcontext import Project
    from releasekit.engine.status import TargetReading
    from releasekit.kinds.python.rebuild import RebuildReport
    from releasekit.project.workspace import Member
    from releasekit.release import Release
    from releasekit.targets.base import Target

__all__ = ["Kind"]


class Kind(abc.ABC):
    """One kind of package. Stateless: one instance serves every project of its kind."""

    key: ClassVar[str]  # its line in releasekit.kinds.KINDS (a member's `kind`)
    format: ClassVar[PackageFormat]  # what it builds: the targets that take it configure
    dist_name: ClassVar[str]  # the directory its builds go to, beside its manifest
    noun: ClassVar[str]  # how messages name what was built: "files", "tarball"

    @abc.abstractmethod
    def member_config(self, member: Member) -> Config:
        """The settings of a workspace member of this kind."""

    @abc.abstractmethod
    def check(self, project: Project, release: Release) -> str:
        """Check what ``check`` checks for this kind (version against tag, its own checks);
        return the version to release."""

    @abc.abstractmethod
    def reusable(self, project: Project) -> Manifest | None:
        """The build in the project's dist directory, if it is of HEAD and intact."""

    @abc.abstractmethod
    def build(self, project: Project, release: Release, tag: ReleaseTag | None) -> Manifest:
        """Build once from a clean checkout of HEAD, check the result, write the manifest."""

    @abc.abstractmethod
    def smoke(self, project: Project, release: Release, needed: Sequence[Project]) -> None:
        """Install what was built into fresh environments and prove it works; ``needed``:
        the projects of this run it depends on, whose new builds it installs beside it."""

    def refusals(self, project: Project) -> list[tuple[str, str]]:
        """What the plan refuses of the project's build whatever the targets hold (a Python
        project's wheels against its declared matrix): (message, hint) pairs."""
        return []

    @abc.abstractmethod
    def current_version(self, project: Project) -> str:
        """The version the project's files carry now (``releasekit yank`` picks the members
        at the version it withdraws); ``""`` when it cannot be told."""

    def spell_version(self, current: str, asked: str) -> str:
        """``asked`` (a version given to ``yank``) as this kind's files spell it, when
        ``current`` is that version."""
        from releasekit.core.version import normalize

        return normalize(asked)

    def spelled(self, project: Project, version: str) -> str:
        """How ``yank`` names the package at ``version``."""
        return f"{project.name} {version}"

    def normalize_version(self, version: str) -> str:
        """``version`` as this kind's targets name it, so that ``releasekit status`` asks
        them for what they hold: as written by default (npm keeps a version as its
        package.json spells it); a kind whose index rewrites versions says how."""
        return version

    def asked_version(self, project: Project, asked: str) -> str:
        """The version ``releasekit status VERSION`` names, as this kind's files spell it
        (``asked`` is a version): by default as the project's files spell it when they are
        at that version (npm's ``1.0.0-rc.1`` for an asked ``1.0.0rc1``), else as asked."""
        return self.spell_version(self.current_version(project), asked)

    def status_notes(self, project: Project, readings: Sequence[TargetReading]) -> list[str]:
        """What else ``releasekit status`` finds wrong with the version on the targets read,
        by this kind's own rules (a Python project's declared wheel matrix, which an index
        holds only part of after a cancelled wheel job): one line each, each a
        disagreement. None by default: the files the targets hold are compared anyway."""
        return []

    def rebuild_from_tag(
        self, project: Project, version: str, log: Callable[[str], None]
    ) -> RebuildReport | str:
        """``releasekit status --rebuild``: build the published ``version`` again from its
        release tag and compare it with what the prod index serves; or, as here, one line
        on why this kind's builds are not compared (only Python distributions are, so far:
        an npm tarball is not rebuilt), which the report says and goes on."""
        return "not rebuilt (--rebuild compares Python files)"

    @abc.abstractmethod
    def install_from(
        self, project: Project, release: Release, manifest: Manifest, target: Target
    ) -> None:
        """Install the published version back from ``target`` and prove it works."""

"""What a target holds, as the plan sees it: stages, remote views, and each file's holding.

The vocabulary the plan (:mod:`releasekit.engine.plan`), the policy
(:mod:`releasekit.engine.policy`), the targets (:mod:`releasekit.targets`) and the uploaders
(:mod:`releasekit.targets.pypi.upload`) share: a module of its own, below all of them, so none of
them has to import another to speak of a file on a target.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from releasekit.engine.manifest import DistFile

__all__ = [
    "REPLACE_HINT",
    "FileState",
    "Holding",
    "PackageFormat",
    "RemoteView",
    "Stage",
    "TargetState",
    "conflict_message",
    "file_state",
]

REPLACE_HINT = (
    "a published file can't be replaced: bump the version (`releasekit bump post`; with a "
    "version from git tags, tag a new one) and rebuild; yank the old one on the index's web "
    "page if it is broken"
)


class PackageFormat(enum.Enum):
    """What a kind of package builds (:mod:`releasekit.kinds`), which is what a target takes
    (:mod:`releasekit.targets`): the one thing each side knows of the other."""

    PYTHON = "Python distributions (an sdist and wheels)"
    NPM = "an npm tarball"


class Stage(enum.Enum):
    """When in a release a target is written, which is also how the policy judges it."""

    TEST = "test"  # anything but a local version: trying a build is what it is for
    PROD = "prod"  # tagged final and pre-release versions (untagged only when rehearsing)
    AFTER_PROD = "after-prod"  # once prod has the files: judged as prod


@dataclass(frozen=True)
class RemoteView:
    """What a target says about one file (the fields the plan uses)."""

    sha256: str | None
    upload_time: datetime.datetime | None = None
    integrity: str | None = None  # npm: what the registry serves for the version


@dataclass(frozen=True)
class TargetState:
    """One read of a target: its files of this project, its project status (PEP 792), and
    what else stops an upload there that is not about one built file (``refusals``: message
    and hint, e.g. a published GitHub release that is immutable). ``new_project``: the
    target does not know the project, so this upload would create it."""

    files: Mapping[str, RemoteView] = field(default_factory=dict)
    status: str | None = None
    status_reason: str | None = None
    refusals: tuple[tuple[str, str], ...] = ()
    new_project: bool = False


class Holding(str, enum.Enum):
    """What a target holds under one built file's name."""

    MISSING = "missing"
    IDENTICAL = "identical"
    CONFLICTING = "conflicting"
    UNVERIFIABLE = "unverifiable"  # there, but the index gives no sha256 to compare


@dataclass(frozen=True)
class FileState:
    filename: str
    sha256: str  # ours, as ``digest`` names it
    holding: Holding
    remote_sha256: str | None = None  # theirs, the same kind of digest
    digest: str = "sha256"  # "integrity" for an npm tarball: the sha512 a registry serves


def file_state(item: DistFile, remote: RemoteView | None) -> FileState:
    """What a target holds under ``item``'s name: compared by sha256, or for an npm tarball
    by the sha512 integrity a registry serves."""
    if remote is None:
        return FileState(item.filename, item.sha256, Holding.MISSING)
    if item.integrity is not None:
        ours, theirs, digest = item.integrity, remote.integrity, "integrity"
        same = theirs == ours
    else:
        ours, theirs, digest = item.sha256, remote.sha256, "sha256"
        same = theirs is not None and theirs.lower() == ours.lower()
    if theirs is None:
        return FileState(item.filename, ours, Holding.UNVERIFIABLE, digest=digest)
    holding = Holding.IDENTICAL if same else Holding.CONFLICTING
    return FileState(item.filename, ours, holding, theirs, digest)


def conflict_message(state: FileState) -> str:
    """Why a conflicting or unverifiable file stops the release."""
    width = 20 if state.digest == "integrity" else 12
    if state.holding is Holding.UNVERIFIABLE:
        return (
            f"{state.filename} is already there but the index gave no {state.digest} to "
            f"compare with ours ({state.sha256[:width]}…)"
        )
    return (
        f"{state.filename} is already there with {state.digest} "
        f"{(state.remote_sha256 or '')[:width]}…, ours is {state.sha256[:width]}…"
    )

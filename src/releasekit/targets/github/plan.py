"""The GitHub release step's plan: what it will do, decided from one read, before any change.

Pure: the caller reads GitHub once (the release of the tag with its assets and their
``digest``) and :func:`plan_github_release` says what to create, upload, skip or refuse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.targets.github.settings import GitHubError

__all__ = [
    "SUMS_NAME",
    "AssetStep",
    "GitHubPlan",
    "RemoteAsset",
    "RemoteRelease",
    "plan_github_release",
    "sha256sums",
]

SUMS_NAME = "SHA256SUMS"


@dataclass(frozen=True)
class RemoteAsset:
    """One asset of a release, as GitHub lists it."""

    id: int
    name: str
    digest: str | None  # "sha256:<hex>"; None where GitHub (or an old GHES) gives none
    state: str = "uploaded"  # "open" (or "starter"): an upload that never finished
    size: int = 0
    url: str = ""  # the API URL of the asset (downloads its bytes)


@dataclass(frozen=True)
class RemoteRelease:
    """The release GitHub has for the tag: the fields the step decides on."""

    id: int
    tag_name: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    upload_url: str
    html_url: str
    immutable: bool = False
    assets: tuple[RemoteAsset, ...] = ()


@dataclass(frozen=True)
class AssetStep:
    """What happens to one file on the release."""

    name: str
    sha256: str
    action: str  # "upload", "skip" (there with these bytes), "replace" (an unfinished upload)
    path: Path | None = None  # None for SHA256SUMS, whose bytes are ``content``
    content: bytes | None = field(default=None, repr=False)
    remote_id: int | None = None  # the asset to delete first, for "replace"


@dataclass(frozen=True)
class GitHubPlan:
    """Everything the step will do, decided from one read of GitHub before any change."""

    tag: str
    version: str
    release: RemoteRelease | None  # what GitHub has now (None: nothing, or not read)
    create: bool  # create the release as a draft
    publish: bool  # publish the draft at the end
    prerelease: bool  # of the release as it will be
    notes: str = field(repr=False)
    assets: tuple[AssetStep, ...]
    refusals: tuple[str, ...] = ()
    read: bool = True  # False: GitHub was not read (no token), the plan assumes nothing there

    @property
    def uploads(self) -> tuple[AssetStep, ...]:
        return tuple(a for a in self.assets if a.action in ("upload", "replace"))

    @property
    def skips(self) -> tuple[AssetStep, ...]:
        return tuple(a for a in self.assets if a.action == "skip")

    @property
    def changes_anything(self) -> bool:
        return self.create or self.publish or bool(self.uploads)

    def describe(self, *, dry_run: bool = False) -> list[str]:
        """One line per step, for the log and for ``--dry-run``."""
        would = "would " if dry_run else "will "
        lines: list[str] = []
        if not self.read:
            lines.append(
                "GitHub not read (GITHUB_TOKEN is not set): assuming no release exists "
                f"for {self.tag}"
            )
        if self.create:
            kind = "pre-release, not marked latest" if self.prerelease else "release"
            lines.append(
                f"{would}create draft {kind} {self.tag} with the changelog section "
                f"({len(self.notes)} characters) as its notes"
            )
        elif self.release is not None:
            state = "draft" if self.release.draft else "published release"
            lines.append(
                f"{self.tag}: {state} {self.release.html_url} exists; its name and notes are kept"
            )
        for asset in self.assets:
            if asset.action == "skip":
                lines.append(f"{asset.name}: already there with the same sha256, skipped")
            elif asset.action == "replace":
                lines.append(
                    f"{would}delete the unfinished upload of {asset.name} and upload it "
                    f"(sha256 {asset.sha256[:12]}…)"
                )
            else:
                lines.append(f"{would}upload {asset.name} (sha256 {asset.sha256[:12]}…)")
        if self.publish:
            lines.append(f"{would}publish the draft once every file is there")
        for refusal in self.refusals:
            lines.append(f"refused: {refusal}")
        if not self.changes_anything and not self.refusals:
            lines.append(f"{self.tag}: every file is already on the release; nothing to do")
        return lines

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able view (for ``dist/releasekit-plan.json``); no notes, no bytes."""
        return {
            "tag": self.tag,
            "version": self.version,
            "release": None
            if self.release is None
            else {"id": self.release.id, "url": self.release.html_url, "draft": self.release.draft},
            "create": self.create,
            "publish": self.publish,
            "prerelease": self.prerelease,
            "read": self.read,
            "assets": [
                {"name": a.name, "sha256": a.sha256, "action": a.action} for a in self.assets
            ],
            "refusals": list(self.refusals),
        }


def sha256sums(files: Sequence[tuple[Path | str, str]]) -> bytes:
    """The ``SHA256SUMS`` file of ``files``, in the format ``sha256sum -c`` reads.

    One ``<hex>  <filename>`` line each (two spaces: text mode), sorted by name so a rerun
    of the same build produces the same bytes and is recognised by its digest.
    """
    named = sorted((Path(path).name, sha256.lower()) for path, sha256 in files)
    return "".join(f"{sha256}  {name}\n" for name, sha256 in named).encode("utf-8")


def plan_github_release(
    release: RemoteRelease | None,
    *,
    tag: str,
    version: str,
    prerelease: bool,
    notes: str,
    files: Sequence[tuple[Path | str, str]],
    read: bool = True,
) -> GitHubPlan:
    """What to do, from what GitHub has for the tag (``release``, with its assets).

    Pure: the caller reads GitHub once and hands over the answer. A same-named asset with
    other bytes, an asset whose bytes are unknown, or files to add to an immutable release
    are refusals, decided here so that nothing is created or uploaded before they are seen.
    """
    wanted: list[AssetStep] = []
    names: set[str] = set()
    for path, sha256 in files:
        name = Path(path).name
        if name in names or name == SUMS_NAME:
            raise GitHubError(
                f"two files to release are both named {name}",
                "release each file name once",
            )
        names.add(name)
        wanted.append(AssetStep(name, sha256.lower(), "upload", path=Path(path)))
    sums = sha256sums(files)
    wanted.append(AssetStep(SUMS_NAME, hashlib.sha256(sums).hexdigest(), "upload", content=sums))

    remote = {a.name: a for a in release.assets} if release is not None else {}
    steps: list[AssetStep] = []
    refusals: list[str] = []
    for step in wanted:
        there = remote.get(step.name)
        if there is None:
            steps.append(step)
        elif there.state != "uploaded":
            steps.append(
                AssetStep(step.name, step.sha256, "replace", step.path, step.content, there.id)
            )
        elif there.digest is None:
            refusals.append(
                f"{step.name} is already on the release and GitHub gives no digest to "
                "compare it with"
            )
            steps.append(step)
        elif there.digest.lower() == f"sha256:{step.sha256}":
            steps.append(AssetStep(step.name, step.sha256, "skip", step.path, step.content))
        else:
            refusals.append(
                f"{step.name} is already on the release with other bytes "
                f"({there.digest}, this build has sha256:{step.sha256})"
            )
            steps.append(step)

    create = release is None
    is_prerelease = prerelease if release is None else release.prerelease
    plan_assets = tuple(steps)
    if release is not None and not release.draft and release.immutable:
        if any(a.action != "skip" for a in plan_assets):
            refusals.append(
                f"the published release {release.html_url} is immutable: no files can be "
                "added to it"
            )
    return GitHubPlan(
        tag=tag,
        version=version,
        release=release,
        create=create,
        publish=create or (release is not None and release.draft),
        prerelease=is_prerelease,
        notes=notes,
        assets=plan_assets,
        refusals=tuple(refusals),
        read=read,
    )

"""The checks a release must pass, shared by the hatch build hook and ``nox -s check``.

Pure functions over values that the front ends collect (the version being built, the
release tag found, the dirty files), so the same rule gives the same message in a build
failure, a nox session and the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence

from releasekit.core.git import ReleaseTag
from releasekit.core.version import Channel, channel, same_version, tag_for, try_normalize
from releasekit.errors import TagError

__all__ = ["check_release_build", "check_tag_matches", "missing_tag_error"]


def check_tag_matches(version: str, tag: ReleaseTag, *, hint: str | None = None) -> None:
    """The tag's version and the package version must be the same string once normalized.

    ``1.2`` and ``1.2.0`` are equal as versions but name different files on an index, so
    they disagree here. ``hint``: how this project sets its version, in its own version
    source's terms (a version from git tags is set by tagging, not by writing files).
    """
    normalized = try_normalize(version) or version
    if same_version(tag.version, normalized):
        return
    raise TagError(
        f"release tag {tag.name} (from {tag.source}) is version {tag.version}, "
        f"but the package version is {normalized}",
        (
            hint
            or f"set the version to {tag.version} (`hatch version {tag.version}` or "
            f"`releasekit bump {tag.version}`)"
        )
        + f", or move the tag to the commit that has {normalized}",
    )


def check_release_build(
    version: str,
    tag: ReleaseTag,
    *,
    dirty_files: Sequence[str] = (),
    allow_dirty: bool = False,
    hint: str | None = None,
) -> None:
    """Everything a build at a release tag must satisfy, first failure first.

    A local or dev version at a tag is what a VCS version source computes off the tag's
    commit or in a dirty tree, so those get a message that says so before the plain
    mismatch would.
    """
    parsed = try_normalize(version)
    normalized = parsed or version
    kind = channel(normalized) if parsed else Channel.FINAL
    # Judge "dev" on the public part: a VCS version source one commit past the tag gives
    # 1.2.1.dev1+g<hash>, which is local *and* dev. It is commits after the tag (the dev
    # message), not a dirty tree at the tag (the local message).
    public_kind = channel(normalized.split("+", 1)[0]) if parsed else Channel.FINAL
    if public_kind is Channel.DEV and channel(tag.version) is not Channel.DEV:
        raise TagError(
            f"package version {normalized} is a dev version, but release tag {tag.name} "
            f"is {tag.version}",
            f"build from the commit that {tag.name} points at, with no changes on top",
        )
    if kind is Channel.LOCAL:
        raise TagError(
            f"package version {normalized} has a local part (+...), which no public index "
            f"accepts; release tag is {tag.name}",
            "build from a clean checkout of the tagged commit (a VCS version source adds "
            "+g<hash> off the tag or in a dirty tree)",
        )
    check_tag_matches(version, tag, hint=hint)
    if dirty_files and not allow_dirty:
        shown = ", ".join(dirty_files[:5]) + (", ..." if len(dirty_files) > 5 else "")
        raise TagError(
            f"release build of {tag.name} from a tree with uncommitted changes: {shown}",
            "commit or stash them (or set allow-dirty = true in "
            "[tool.hatch.build.hooks.releasekit] if this is intended)",
        )


def missing_tag_error(version: str, prefix: str | None, *, shallow: bool, why: str) -> TagError:
    """The error for a release build that found no release tag."""
    expected = tag_for(version, prefix) if try_normalize(version) else "a release tag"
    if shallow:
        hint = (
            "this is a shallow clone without tags: fetch them (actions/checkout: "
            "fetch-depth: 0; or `git fetch --tags --unshallow`)"
        )
    else:
        hint = f"tag the release commit (`git tag {expected}`) or set RELEASEKIT_TAG={expected}"
    return TagError(f"no release tag for version {version} ({why})", hint)

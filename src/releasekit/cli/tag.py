"""``releasekit tag``: the release tags of the versions at HEAD, for what has none yet.

The step after a release pull request is merged (``templates/github/release-pr.yml``): the
bump that consumed the intent files wrote each member's next version; merging it puts those
versions on the main branch, and this makes their tags there, so the release that follows
finds each member it releases tagged at HEAD. It makes only what is missing: a member whose
version already has its tag (on any commit) was released before and is left alone, so the
command can run on every push to the main branch and changes nothing when no version moved.

Every refusal comes before the first tag: a dirty tree, a tag name git refuses, no git
identity. ``--push`` pushes every new tag in one atomic push; when the push fails, the tags
it made are deleted again, so a rerun starts from the same state.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.core import git, gitwrite
from releasekit.core.version import tag_for
from releasekit.errors import ReleasekitError, TagError

if TYPE_CHECKING:
    from releasekit.engine.runcontext import Project

__all__ = ["add_command", "missing_tags"]


@dataclass(frozen=True)
class WantedTag:
    """The release tag of one version at HEAD, and the packages it releases."""

    name: str
    version: str
    labels: tuple[str, ...]  # the members it releases (a shared tag-prefix: several)
    changelog: Path | None  # the first member's changelog: the tag's message


def add_command(sub: Any) -> None:
    """Add ``tag`` to the ``releasekit`` parser's subcommands ``sub``."""
    tag = sub.add_parser(
        "tag",
        help="make the release tag of each version at HEAD that has none yet",
        description="Make the annotated release tag (its message the changelog section) of "
        "the project's version at HEAD, or of each workspace member's, unless that tag "
        "already exists. Run after merging a release pull request; with nothing to tag it "
        "changes nothing and exits 0.",
    )
    tag.add_argument("--push", action="store_true", help="push the new tags in one atomic push")
    tag.add_argument("--dry-run", action="store_true", help="show, make nothing")
    tag.set_defaults(func=_cmd_tag)


def missing_tags(root: Path) -> list[WantedTag]:
    """The release tags the versions at ``root``'s HEAD lack, in release order (a
    workspace's members; one entry per tag name)."""
    from releasekit.engine.runcontext import Options, Project
    from releasekit.kinds import kind_of, member_project
    from releasekit.project.identity import project_name
    from releasekit.project.workspace import find_workspace

    workspace = find_workspace(root)
    projects: list[Project] = []
    if workspace is None:
        from releasekit.core.config import load_config

        config = load_config(root)
        projects.append(Project(config, project_name(root), root / "dist", kind_of("python"),
                                Options()))  # fmt: skip
    else:
        projects = [member_project(m, workspace, Options()) for m in workspace.members]
    wanted: dict[str, WantedTag] = {}
    versions = []
    for project in projects:
        version = _version_at_head(project)
        if version is None:
            continue  # a version from git tags: its tag is made by `releasekit bump X --tag`
        if project.member is not None:
            versions.append((project.member, version))
        name = tag_for(version, project.new_tag_prefix)
        if git.tag_exists(root, name):
            continue
        have = wanted.get(name)
        labels = (*have.labels, project.label) if have else (project.label,)
        changelog = have.changelog if have else project.config.changelog_path()
        wanted[name] = WantedTag(name, version, labels, changelog)
    if workspace is not None:  # members sharing a tag-prefix: one tag, so one version
        from releasekit.project.workspace import tag_groups, unequal_versions

        for group in tag_groups(workspace.members):
            error = unequal_versions([(m, v) for m, v in versions if m in group])
            if error is not None:
                raise TagError(f"{error.message}; nothing was tagged", error.hint)
    return list(wanted.values())


def _version_at_head(project: Project) -> str | None:
    """The version the project's files say, read as ``bump`` reads them (no build backend
    runs: this job may hold a token that can push); ``None`` for a version from git tags."""
    from releasekit.cli.bump import bump_specs
    from releasekit.core import carriers
    from releasekit.core.validate import load_pyproject
    from releasekit.project.vcsversion import vcs_source

    if project.member is not None and project.member.kind == "npm":
        version = project.kind.current_version(project)
    elif project.config.version_files or vcs_source(load_pyproject(project.root)) is None:
        version = carriers.read_all(bump_specs(project.config), project.root)[0].version
    else:
        return None
    if not version:
        raise ReleasekitError(
            f"{project.label}: no version to tag", "check its version file (releasekit version)"
        )
    return version


def _cmd_tag(args: argparse.Namespace) -> int:
    from releasekit.cli.bump import tag_message

    root: Path = args.root
    gitwrite.require_commit(root)
    wanted = missing_tags(root)
    if not wanted:
        print("nothing to tag: every version at HEAD already has its release tag")
        return 0
    dirty = git.dirty_files(root)
    if dirty:
        raise TagError(
            f"uncommitted changes: {', '.join(dirty[:5])}; nothing was tagged",
            "a release tag names a commit: commit or stash them, then tag",
        )
    for tag in wanted:
        if not gitwrite.valid_tag_name(root, tag.name):
            raise TagError(
                f"{tag.name!r} is not a valid git tag name; nothing was tagged",
                "fix the tag-prefix of " + ", ".join(tag.labels),
            )
    gitwrite.require_identity(root, "tag", "tagged")
    remote = (git.upstream(root) or ("origin", ""))[0]
    if args.dry_run:
        for tag in wanted:
            print(f"would tag {tag.name} ({', '.join(tag.labels)}) (dry run: nothing made)")
        return 0
    made: list[str] = []
    try:
        for tag in wanted:
            gitwrite.create_tag(root, tag.name, tag_message(tag.changelog, tag.version))
            made.append(tag.name)
            print(f"tagged {tag.name} ({', '.join(tag.labels)})")
        if args.push:
            gitwrite.push(root, remote, [f"refs/tags/{name}" for name in made])
            print(f"pushed {', '.join(made)} to {remote}")
    except TagError as exc:
        for name in made:
            gitwrite.delete_tag(root, name)
        if not made:
            raise
        raise TagError(
            f"{exc.message}; the tags made ({', '.join(made)}) were deleted again",
            "fix what git says (access to the remote?), then run `releasekit tag --push` again",
        ) from None
    if not args.push:
        refs = " ".join(f"refs/tags/{name}" for name in made)
        print(f"  next: `git push --atomic {remote} {refs}` (or rerun with --push)")
    return 0

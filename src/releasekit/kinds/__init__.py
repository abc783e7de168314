"""What is released: the kinds of package (see :mod:`releasekit.kinds.base`).

A workspace member's kind is decided by :mod:`releasekit.project.workspace` from the files in its
directory; :func:`kind_of` maps it to the object that checks, builds, reuses, smoke-tests
and installs that kind. A new kind is one module here and one line in :data:`KINDS`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from releasekit.engine.runcontext import Options, Project
    from releasekit.kinds.base import Kind
    from releasekit.project.workspace import Member, Workspace

__all__ = [
    "KINDS",
    "kind_of",
    "member_project",
    "refuse_shared_names",
    "refuse_unequal_tag_groups",
    "released_members",
]

KINDS = {
    "python": "releasekit.kinds.python:PythonKind",
    "npm": "releasekit.kinds.npm:NpmKind",
}
_made: dict[str, Kind] = {}


def kind_of(key: str) -> Kind:
    """The kind registered as ``key`` (a workspace member's ``kind``; ``"python"`` for a
    single project)."""
    if key not in _made:
        module, _, name = KINDS[key].partition(":")
        _made[key] = getattr(importlib.import_module(module), name)()
    return _made[key]


def member_project(member: Member, workspace: Workspace, options: Options) -> Project:
    """A workspace member as a project of its kind: its settings, its dist directory."""
    from releasekit.engine.runcontext import Project

    kind = kind_of(member.kind)
    dist_dir = member.path / kind.dist_name
    return Project(
        kind.member_config(member), member.name, dist_dir, kind, options, member, workspace
    )


def released_members(
    log: Callable[[str], None], options: Options, workspace: Workspace, step: str
) -> list[Project]:
    """The members this run releases: ``--only``'s; else, rehearsing, all; else those with
    a release tag at HEAD."""
    from releasekit.core import git
    from releasekit.core.version import version_from_tag
    from releasekit.errors import ReleasekitError

    if options.dist is not None:
        raise ReleasekitError(
            "--dist is for a single project; a workspace builds each member into its own directory",
            "run the release from the member's directory to release prebuilt files",
        )
    selected = workspace.select(options.only)
    explicit = os.environ.get("RELEASEKIT_TAG", "").strip()
    # one tag releases one member, or the members whose entries share its tag-prefix
    one_tag = len({m.tag_prefix or "v" for m in selected}) == 1
    if explicit and not (
        one_tag and version_from_tag(explicit, selected[0].tag_prefix) is not None
    ):
        raise ReleasekitError(
            f"RELEASEKIT_TAG={explicit} names one tag, but this workspace release has "
            f"{len(selected)} member(s)",
            "select the member it tags with -- --only PATH, or unset it and tag the members",
        )
    projects = [member_project(member, workspace, options) for member in selected]
    if options.only or options.rehearse:
        return projects
    tagged = [p for p in projects if git.release_tag(p.root, p.config.tag_prefix) is not None]
    if not tagged:
        wanted = ", ".join(f"{p.config.tag_prefix or 'v'}<version>" for p in projects)
        raise ReleasekitError(
            "no workspace member has a release tag at HEAD: nothing to release",
            f"tag the members to release ({wanted}); or choose with -- --only PATH, or "
            "rehearse all of them with -- --rehearse",
        )
    if step == "check":
        for project in projects:
            if project not in tagged:
                log(
                    f"[{project.label}] not released: no {project.config.tag_prefix}<version> "
                    "tag at HEAD"
                )
    return tagged


def refuse_unequal_tag_groups(projects: Sequence[Project], versions: Mapping[int, str]) -> None:
    """Members released by one shared tag (``tag-prefix`` set alike in their entries) must
    be at one version: ``<prefix><version>`` names one. ``versions``: the version ``check``
    found for each project of the run (by ``id``); a member of the group that this run
    leaves out (``--only``) is read from its files."""
    from releasekit.project.workspace import tag_groups, unequal_versions

    workspace = next((p.workspace for p in projects if p.workspace is not None), None)
    if workspace is None:
        return
    running = {p.member: p for p in projects if p.member is not None}
    for group in tag_groups(workspace.members):
        if not any(member in running for member in group):
            continue
        found = []
        for member in group:
            if member in running:
                version = versions.get(id(running[member]), "")
            else:
                other = member_project(member, workspace, projects[0].options)
                version = other.kind.current_version(other)
            if version:
                found.append((member, version))
        error = unequal_versions(found)
        if error is not None:
            raise error


def refuse_shared_names(projects: Sequence[Project]) -> None:
    """Two members that publish one package name (of one kind) cannot both be released: the
    second would find the first's files and be refused after the first went out."""
    from releasekit.errors import ReleasekitError

    seen: dict[tuple[type, str], Project] = {}
    for project in projects:
        key = (type(project.kind), project.name)
        if key in seen:
            raise ReleasekitError(
                f"{seen[key].label} and {project.label} both release the package {project.name}",
                "give each member its own package name, or take one out of the workspace's members",
            )
        seen[key] = project

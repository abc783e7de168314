"""What is released: the kinds of package (see :mod:`releasekit.kinds.base`).

A workspace member's kind is decided by :mod:`releasekit.project.workspace` from the files in its
directory; :func:`kind_of` maps it to the object that checks, builds, reuses, smoke-tests
and installs that kind. A new kind is one module here and one line in :data:`KINDS`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.engine.runcontext import Options, Project
    from releasekit.kinds.base import Kind
    from releasekit.project.workspace import Member, Workspace

__all__ = ["KINDS", "kind_of", "member_project"]

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

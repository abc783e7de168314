"""The tag prefix a workspace gives its members, found from the member's side.

A workspace member's tags are ``<tag-prefix><version>``; unless its entry or its own
``[tool.releasekit]`` says otherwise, the prefix is its directory's name and ``-v``
(``packages/core`` is tagged ``core-v1.2.0``). A member's build hook, its ``releasekit
version`` and its sessions learn that default here, by looking up from the member for the
workspace that lists it, so it is never written twice.

Apart from :mod:`releasekit.project.workspace` (which reads a whole workspace from its root), the
build hook calls :func:`inherited_tag_prefix` through :mod:`releasekit.core.config` in every
build of a project below its repository's top: standard library only, and cheap when there
is nothing to find.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from releasekit.core.validate import load_toml
from releasekit.errors import ConfigError, ConfigProblems

__all__ = ["WORKSPACE_FILE", "default_tag_prefix", "inherited_tag_prefix"]

# A workspace's declaration at the root of a repository that is not a Python project
WORKSPACE_FILE = "releasekit.toml"


def inherited_tag_prefix(project_root: Path) -> str | None:
    """The tag prefix a workspace gives the project at ``project_root``, if it is a member.

    Looks in the directories above it, up to the repository's top (the first with ``.git``;
    none: not in a repository, so no workspace), for a ``releasekit.toml`` or a
    ``pyproject.toml`` whose ``[tool.releasekit] members`` lists it. Cheap when there is
    nothing to find: a project at its repository's top costs one ``stat``.
    """
    here = project_root.resolve()
    if (here / ".git").exists():
        return None
    for parent in here.parents:
        found = _workspace_entry(parent, here)
        if found is not None:
            return found
        if (parent / ".git").exists():
            return None
    return None


def _workspace_entry(root: Path, member: Path) -> str | None:
    """The tag prefix ``root``'s workspace gives ``member``; ``None`` when it lists none."""
    for name in (WORKSPACE_FILE, "pyproject.toml"):
        file = root / name
        try:
            text = file.read_text(encoding="utf-8")
        except OSError:
            continue
        if "members" not in text:  # most parents: no TOML parse at all
            continue
        try:
            table = load_toml(file)
        except (ConfigError, ConfigProblems):
            return None
        if name == "pyproject.toml":
            table = table.get("tool", {}).get("releasekit", {})
        entries = table.get("members") if isinstance(table, Mapping) else None
        for entry in entries if isinstance(entries, list) else []:
            rel = entry.get("path") if isinstance(entry, Mapping) else entry
            if isinstance(rel, str) and (root / rel).resolve() == member:
                prefix = entry.get("tag-prefix") if isinstance(entry, Mapping) else None
                return prefix if isinstance(prefix, str) else default_tag_prefix(member)
        return None
    return None


def default_tag_prefix(member: Path) -> str:
    """A member's tag prefix when none is set: its directory's name and ``-v``."""
    return f"{member.name}-v"

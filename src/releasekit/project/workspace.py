"""A workspace: several packages in one repository, released in order by one ``nox -s release``.

Declared at the repository's root, in ``[tool.releasekit]`` of a root ``pyproject.toml`` or at
the top level of a root ``releasekit.toml`` (for a root that is not a Python project)::

    members = ["packages/core", { path = "packages/python", tag-prefix = "py-v" }]
    npm-registry = "https://registry.npmjs.org/"

Each member is a directory holding a Python project (``pyproject.toml``; its own
``[tool.releasekit]`` still applies) or an npm package (``package.json``). A root
``pyproject.toml`` with a ``[project]`` table is a member too: where ``"."`` is listed, or
first. Members are released in the listed order, except that a member always comes after
the members it depends on (a Python requirement, an npm dependency, or a version file in
another member's directory: a package whose version follows another's is released after it).

A member's tags are ``<tag-prefix><version>``: the ``tag-prefix`` of its entry, else the one
in its own ``[tool.releasekit]``, else its directory's name and ``-v`` (``packages/core`` is
tagged ``core-v1.2.0``). :func:`inherited_tag_prefix` (from :mod:`releasekit.core.tagprefix`,
re-exported here) is how a member's build hook, its ``releasekit version`` and its sessions
learn that default without being told twice.

This module reads files only; it imports the standard library, ``packaging``,
:mod:`releasekit.core.validate`, :mod:`releasekit.core.tagprefix` and
:mod:`releasekit.core.config`'s URL check. The hook never imports it: what the hook needs of
workspaces is in :mod:`releasekit.core.tagprefix`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name

from releasekit.core.config import url
from releasekit.core.tagprefix import (
    WORKSPACE_FILE,
    check_tag_prefix,
    default_tag_prefix,
    inherited_tag_prefix,
)
from releasekit.core.validate import Problems, load_pyproject, load_toml, optional_str, str_list
from releasekit.errors import ConfigError

__all__ = [
    "DEFAULT_NPM_REGISTRY",
    "WORKSPACE_FILE",
    "Member",
    "Workspace",
    "find_workspace",
    "inherited_tag_prefix",
    "load_workspace",
    "read_package_json",
    "release_order",
    "tag_groups",
    "unequal_versions",
    "workspace_of",
]

DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/"
# npm publishing keys and their defaults (the Workspace fields below); None: by registry
# (on for registry.npmjs.org, off elsewhere: releasekit.targets.npm decides)
NPM_PUBLISHING_DEFAULTS: dict[str, Any] = {
    "npm-publish": "publish",
    "npm-provenance": None,
    "npm-trusted-publishing": None,
}
WORKSPACE_KEYS = (
    "members", "npm-registry", "npm-publish", "npm-provenance", "npm-trusted-publishing",
)  # fmt: skip
NPM_PUBLISH_MODES = ("publish", "stage")  # npm publish, or npm stage publish (a human approves)
_ENTRY_KEYS = ("path", "tag-prefix", "check-commands", "prepare-commands", "smoke")
_NPM_ONLY_KEYS = ("check-commands", "prepare-commands")
_DEP_FIELDS = ("dependencies", "peerDependencies", "optionalDependencies")

Kind = Literal["python", "npm"]


@dataclass(frozen=True)
class Member:
    """One package of the workspace."""

    path: Path  # its directory, absolute
    rel: str  # as listed, relative to the workspace root ("." for the root project)
    kind: Kind
    name: str  # the project's or the npm package's name
    tag_prefix: str | None  # None only for the root project: an optional "v"
    requires: frozenset[str] = frozenset()  # names it depends on (any package, not only ours)
    follows: tuple[Path, ...] = ()  # files outside its directory that carry its version
    check_commands: tuple[str, ...] = ()  # npm members: run in its directory by `check`
    prepare_commands: tuple[str, ...] = ()  # npm members: run in the build checkout
    smoke: str | tuple[str, ...] = "import"  # npm members: "import", "install" or commands

    @property
    def label(self) -> str:
        """How output names the member: its directory, as listed."""
        return self.rel


@dataclass(frozen=True)
class Workspace:
    root: Path
    source: Path  # the file that declares it
    members: tuple[Member, ...]  # in release order
    npm_registry: str = DEFAULT_NPM_REGISTRY
    npm_publish: str = "publish"  # "stage": npm stage publish, approved by a human
    # --provenance where npm can sign, OIDC where the job can mint an ID token; None (unset):
    # on for registry.npmjs.org only (releasekit.targets.npm.NpmRegistryTarget)
    npm_provenance: bool | None = None
    npm_trusted_publishing: bool | None = None

    def npm_publishing_table(self) -> dict[str, Any]:
        """The npm publishing keys as the configuration spells them: what a build hands to
        the CI jobs that publish its artifact (they have no workspace file to read)."""
        return {
            "npm-publish": self.npm_publish,
            "npm-provenance": self.npm_provenance,
            "npm-trusted-publishing": self.npm_trusted_publishing,
        }

    def tag_group(self, member: Member) -> tuple[Member, ...]:
        """The members released by ``member``'s tag, in release order: ``member`` alone, or
        the members whose entries share its ``tag-prefix`` (:func:`tag_groups`)."""
        for group in tag_groups(self.members):
            if member in group:
                return group
        return (member,)

    def select(self, only: Sequence[str]) -> tuple[Member, ...]:
        """The members named by ``--only`` (paths, as listed or as typed), in release order."""
        if not only:
            return self.members
        wanted = []
        for text in only:
            path = (self.root / text).resolve()
            match = next((m for m in self.members if m.path == path), None)
            if match is None:
                listed = ", ".join(m.rel for m in self.members)
                raise ConfigError(
                    f"--only {text}: not a member of the workspace in {self.source.name}",
                    f"members: {listed}",
                )
            wanted.append(match)
        return tuple(m for m in self.members if m in wanted)


def find_workspace(root: Path) -> Workspace | None:
    """The workspace declared at ``root``, or ``None`` when ``root`` is a single project."""
    table = _workspace_table(root)
    if table is None:
        return None
    return load_workspace(root, table)


def workspace_of(project_root: Path) -> tuple[Workspace, Member] | None:
    """The workspace that lists the project at ``project_root`` as a member, and that
    member; ``None`` when none does. Looks in the directories above it up to the
    repository's top, as :func:`inherited_tag_prefix` does."""
    here = project_root.resolve()
    if (here / ".git").exists():
        return None
    for parent in here.parents:
        workspace = find_workspace(parent)
        if workspace is not None:  # the nearest workspace above: a member, or not one
            member = next((m for m in workspace.members if m.path == here), None)
            return None if member is None else (workspace, member)
        if (parent / ".git").exists():
            return None
    return None


def _workspace_table(root: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """(declaring file, its table) when ``root`` declares members."""
    toml_file = root / WORKSPACE_FILE
    table: object = {}
    if (root / "pyproject.toml").is_file():
        table = load_pyproject(root).get("tool", {}).get("releasekit", {})
    in_pyproject = isinstance(table, Mapping) and "members" in table
    if toml_file.is_file():
        declared = load_toml(toml_file)
        if in_pyproject and "members" in declared:  # which one is the workspace?
            raise ConfigError(
                f"members are declared twice: in {toml_file} and in "
                f"{root / 'pyproject.toml'} [tool.releasekit]",
                f"keep one: {WORKSPACE_FILE} for a root that is not a Python project, else "
                "[tool.releasekit] members in pyproject.toml",
            )
        return toml_file, declared
    if in_pyproject:
        assert isinstance(table, Mapping)
        return root / "pyproject.toml", table
    return None


def load_workspace(root: Path, declared: tuple[Path, Mapping[str, Any]]) -> Workspace:
    """Validate the workspace table; every problem is reported at once."""
    source, table = declared
    root = root.resolve()
    where = "[tool.releasekit]" if source.name == "pyproject.toml" else source.name
    problems = Problems()
    if source.name == WORKSPACE_FILE:
        problems.unknown(table, WORKSPACE_KEYS, where)
    registry = problems.check(
        url, DEFAULT_NPM_REGISTRY, table.get("npm-registry", DEFAULT_NPM_REGISTRY),
        f"{where} npm-registry",
    )  # fmt: skip
    npm: dict[str, Any] = problems.check(npm_publishing, dict[str, Any](), table, where)
    entries = table.get("members")
    if not isinstance(entries, list) or not entries:
        problems.found.append(
            ConfigError(
                f"{where} members must be a non-empty list, not {entries!r}",
                'e.g. members = ["packages/core", '
                '{ path = "packages/python", tag-prefix = "py-v" }]',
            )
        )
        entries = []
    members: list[Member] = []
    chosen: set[Path] = set()  # members whose entry sets tag-prefix: they may share a tag
    for number, entry in enumerate(entries, 1):
        member = problems.check(_member, None, root, entry, f"{where} members[{number}]")
        if member is None:
            continue
        if any(m.path == member.path for m in members):
            problems.found.append(
                ConfigError(f"{where} members lists {member.rel} twice", "list each member once")
            )
            continue
        members.append(member)
        if isinstance(entry, Mapping) and "tag-prefix" in entry:
            chosen.add(member.path)
    if source.name == "pyproject.toml" and not any(m.rel == "." for m in members):
        if "project" in load_pyproject(root):  # the root project is released too, first
            root_member = problems.check(_member, None, root, ".", f"{where} (the root project)")
            if root_member is not None:
                members.insert(0, root_member)
    for group in tag_groups(members):
        unchosen = [m for m in group if m.path not in chosen]
        if unchosen:  # a shared tag by accident: a default, or a member's own tag-prefix
            first = group[0]
            other = group[1] if first in unchosen else unchosen[0]
            problems.found.append(
                ConfigError(
                    f"{where} members {first.rel} and {other.rel} both tag "
                    f"{first.tag_prefix or 'v'}<version>",
                    "give one of them a tag-prefix of its own: one tag must release one "
                    "member; or, to release them together from one tag (at equal versions), "
                    f'set tag-prefix = "{first.tag_prefix or "v"}" in the entry of each',
                )
            )
    problems.raise_any()
    ordered = problems.check(release_order, tuple(members), members)
    problems.raise_any()
    return Workspace(root, source, tuple(ordered), registry, **npm)


def tag_groups(members: Sequence[Member]) -> list[tuple[Member, ...]]:
    """The members that share a tag prefix, in groups of two or more (listed order): one
    tag ``<prefix><version>`` releases each group. The root project's optional ``v`` is
    ``v``'s."""
    groups: dict[str, list[Member]] = {}
    for member in members:
        groups.setdefault(member.tag_prefix or "v", []).append(member)
    return [tuple(group) for group in groups.values() if len(group) > 1]


def unequal_versions(versions: Sequence[tuple[Member, str]]) -> ConfigError | None:
    """The refusal of a tag group (:func:`tag_groups`) whose members are at different
    versions: their one tag cannot name them all. ``versions`` are each member's version,
    compared in PEP 440's normal form (npm's ``1.0.0-rc.1`` is ``1.0.0rc1``, as a tag reads
    it); ``None`` when they agree."""
    from releasekit.core.version import try_normalize

    if len({try_normalize(v) or v for _, v in versions}) < 2:
        return None
    prefix = versions[0][0].tag_prefix or "v"
    listed = ", ".join(f"{m.rel} is at {v}" for m, v in versions)
    return ConfigError(
        f"the members released by one tag {prefix}<version> are at different versions: {listed}",
        "bump them together (one member's version-files may carry the others' versions), "
        "or give each a tag-prefix of its own",
    )


def _member(root: Path, entry: object, where: str) -> Member:
    if isinstance(entry, str):
        entry = {"path": entry}
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"{where} must be a path or a table, not {entry!r}",
            'e.g. "packages/core" or { path = "js-sdk", tag-prefix = "js-sdk-v" }',
        )
    problems = Problems()
    problems.unknown(entry, _ENTRY_KEYS, where)
    rel = entry.get("path")
    if not isinstance(rel, str) or not rel.strip():
        missing = ConfigError(f"{where} has no path", 'e.g. { path = "packages/core" }')
        problems.found.append(missing)
        problems.raise_any()  # with the unknown keys: a misspelled "path" is named
    assert isinstance(rel, str)
    path = (root / rel).resolve()
    if path != root and root not in path.parents:
        raise ConfigError(
            f"{where} path {rel!r} is outside the workspace {root}",
            "members are directories inside the repository",
        )
    rel = path.relative_to(root).as_posix() if path != root else "."
    prefix = problems.check(optional_str, None, entry, "tag-prefix", where)
    if prefix is not None:  # git's rules for a tag name, as for [tool.releasekit] tag-prefix
        prefix = problems.check(check_tag_prefix, None, prefix, where)
    commands: dict[str, tuple[str, ...]] = {}
    for key in _NPM_ONLY_KEYS:
        commands[key] = problems.check(str_list, (), entry.get(key, []), f"{where} {key}")
    smoke: str | tuple[str, ...] = "import"
    smoke = problems.check(_smoke_mode, smoke, entry.get("smoke", "import"), f"{where} smoke")
    problems.raise_any()
    if (path / "pyproject.toml").is_file():
        given = [key for key in (*_NPM_ONLY_KEYS, "smoke") if key in entry]
        if given:
            raise ConfigError(
                f"{where} {given[0]} is for npm members; {rel} is a Python project",
                f"set it in {rel}/pyproject.toml [tool.releasekit] instead",
            )
        return _python_member(root, path, rel, prefix, where)
    if (path / "package.json").is_file():
        return _npm_member(path, rel, prefix, commands, where, smoke)
    what = "no such directory" if not path.is_dir() else "neither pyproject.toml nor package.json"
    raise ConfigError(
        f"{where} {rel}: {what}",
        "a member is a directory holding a Python project or an npm package",
    )


def _python_member(root: Path, path: Path, rel: str, prefix: str | None, where: str) -> Member:
    pyproject = load_pyproject(path)
    project = pyproject.get("project", {})
    name = project.get("name") if isinstance(project, Mapping) else None
    if not isinstance(name, str):
        raise ConfigError(f"{rel}/pyproject.toml has no [project] name", "set [project] name")
    own_table = pyproject.get("tool", {}).get("releasekit", {})
    own = own_table.get("tag-prefix") if isinstance(own_table, Mapping) else None
    if prefix is not None and own is not None and prefix != own:
        raise ConfigError(
            f"{where} tag-prefix {prefix!r} disagrees with {rel}/pyproject.toml tag-prefix {own!r}",
            "set it in one place, or make the two equal",
        )
    effective = prefix if prefix is not None else own
    if effective is None and path != root:
        effective = default_tag_prefix(path)
    from packaging.requirements import InvalidRequirement, Requirement

    requires: set[str] = set()
    for text in _python_requirements(project):
        with contextlib.suppress(InvalidRequirement):  # the build reports it, not the order
            requires.add(canonicalize_name(Requirement(text).name))
    follows = []
    files = own_table.get("version-files", []) if isinstance(own_table, Mapping) else []
    for item in files if isinstance(files, list) else []:
        file = item.get("path") if isinstance(item, Mapping) else item
        if isinstance(file, str):
            target = (path / file).resolve()
            if path not in target.parents:
                follows.append(target)
    return Member(
        path,
        rel,
        "python",
        canonicalize_name(name),
        effective,
        frozenset(requires),
        tuple(follows),
    )


def _python_requirements(project: object) -> list[str]:
    if not isinstance(project, Mapping):
        return []
    found = [d for d in project.get("dependencies", []) if isinstance(d, str)]
    extras = project.get("optional-dependencies", {})
    if isinstance(extras, Mapping):
        for items in extras.values():
            found += [d for d in items if isinstance(d, str)] if isinstance(items, list) else []
    return found


def npm_publishing(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``npm-publish`` ("publish" or "stage"), ``npm-provenance`` and
    ``npm-trusted-publishing`` (booleans; ``None`` when unset: by registry), as
    :class:`Workspace` fields; also how the publishing side reads them back from a build's
    artifact (``releasekit-project.json``)."""
    mode = table.get("npm-publish", "publish")
    if mode not in NPM_PUBLISH_MODES:
        raise ConfigError(
            f'{where} npm-publish must be "publish" or "stage", not {mode!r}',
            'npm-publish = "stage" stages each version for a human to approve (npm >= 11.15)',
        )
    found: dict[str, Any] = {"npm_publish": mode}
    for key in ("npm-provenance", "npm-trusted-publishing"):
        value = table.get(key)
        if value is not None and not isinstance(value, bool):
            raise ConfigError(f"{where} {key} must be true or false, not {value!r}", "fix it")
        found[key.replace("-", "_")] = value
    return found


def _smoke_mode(value: object, where: str) -> str | tuple[str, ...]:
    """A member's ``smoke``: ``"import"`` (install the tarball and load it in Node, the
    default), ``"install"`` (install only: a bundle for the browser), or commands run in the
    fresh project after the install."""
    if value in ("import", "install"):
        assert isinstance(value, str)
        return value
    if isinstance(value, list) and value:
        return str_list(value, where)
    raise ConfigError(
        f'{where} must be "import", "install" or a list of commands, not {value!r}',
        'e.g. smoke = "install" for a bundle that only loads in a browser',
    )


def _npm_member(
    path: Path,
    rel: str,
    prefix: str | None,
    commands: Mapping[str, tuple[str, ...]],
    where: str,
    smoke: str | tuple[str, ...] = "import",
) -> Member:
    is_root = rel == "."  # the root keeps the plain (optional) v, like a single project
    manifest = read_package_json(path)
    name = manifest.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{rel}/package.json has no name", 'set "name" in package.json')
    requires: set[str] = set()
    for key in _DEP_FIELDS:
        deps = manifest.get(key)
        if isinstance(deps, Mapping):
            requires.update(str(dep) for dep in deps)
    return Member(
        path,
        rel,
        "npm",
        name,
        prefix if prefix is not None or is_root else default_tag_prefix(path),
        frozenset(requires),
        check_commands=commands["check-commands"],
        prepare_commands=commands["prepare-commands"],
        smoke=smoke,
    )


def read_package_json(path: Path) -> dict[str, Any]:
    """``path/package.json`` as a dict; a clear error when it is not readable JSON."""
    file = path / "package.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{file} is not readable JSON: {exc}", "fix package.json") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file} is not a JSON object", "fix package.json")
    return data


def release_order(members: Sequence[Member]) -> tuple[Member, ...]:
    """``members`` in listed order, moved so that each comes after the members it needs.

    Stable: of the members whose needs are met, the earliest listed goes next. A cycle is a
    :class:`ConfigError` naming it.
    """
    needs = {m.path: _needs(m, members) for m in members}
    done: list[Member] = []
    left = list(members)
    while left:
        ready = next((m for m in left if needs[m.path] <= {d.path for d in done}), None)
        if ready is None:
            cycle = " -> ".join(m.rel for m in _cycle(left, needs))
            raise ConfigError(
                f"the workspace members depend on each other in a cycle: {cycle}",
                "a member can't be released before what it needs; break the cycle",
            )
        done.append(ready)
        left.remove(ready)
    return tuple(done)


def _cycle(left: Sequence[Member], needs: Mapping[Path, set[Path]]) -> list[Member]:
    """A loop among ``left`` (where each waits for another): followed from the first one
    until a member repeats, so members that only wait for the loop are not named."""
    by_path = {m.path: m for m in left}
    path = [left[0]]
    while True:
        waiting = next(by_path[p] for p in sorted(needs[path[-1].path]) if p in by_path)
        if waiting in path:
            return [*path[path.index(waiting) :], waiting]
        path.append(waiting)


def _needs(member: Member, members: Sequence[Member]) -> set[Path]:
    """The paths of the other members ``member`` must come after."""
    found = set()
    for other in members:
        if other is member:
            continue
        if other.name in member.requires and other.kind == member.kind:
            found.add(other.path)
    for file in member.follows:  # a file belongs to the innermost member holding it
        holders = [m for m in members if m.path in file.parents]
        owner = max(holders, key=lambda m: len(m.path.parts), default=None)
        if owner is not None and owner is not member:
            found.add(owner.path)
    return found

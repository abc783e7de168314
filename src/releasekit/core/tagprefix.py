"""The tag prefix of a project: given by its workspace, or learned from its own tags.

A workspace member's tags are ``<tag-prefix><version>``; unless its entry or its own
``[tool.releasekit]`` says otherwise, the prefix is its directory's name and ``-v``
(``packages/core`` is tagged ``core-v1.2.0``). A member's build hook, its ``releasekit
version`` and its sessions learn that default here, by looking up from the member for the
workspace that lists it, so it is never written twice.

Apart from :mod:`releasekit.project.workspace` (which reads a whole workspace from its root), the
build hook calls :func:`inherited_tag_prefix` through :mod:`releasekit.core.config` in every
build of a project below its repository's top: standard library only, and cheap when there
is nothing to find.

A project that is no member and sets no ``tag-prefix`` is tagged however its repository
tags it: ``1.2.3``, ``v1.2.3``, or a prefix of its own (pypa/hatch tags ``hatch-v1.18.0`` next
to ``hatchling-v1.27.0``). :func:`learn_tag_prefix` reads that from the repository's tags and
the project's own evidence (:class:`TagEvidence`), so a tag, a hint, a CI glob and the last
release tag are spelled as the project spells them without anyone writing ``tag-prefix``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from releasekit.core.validate import load_toml
from releasekit.errors import ConfigError, ConfigProblems

__all__ = [
    "WORKSPACE_FILE",
    "TagEvidence",
    "check_tag_prefix",
    "default_tag_prefix",
    "evidence",
    "inherited_tag_prefix",
    "learn_tag_prefix",
    "split_tag",
]

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


def check_tag_prefix(prefix: str, where: str) -> str:
    """``prefix`` when every tag it starts can be a git tag, else :class:`ConfigError`.

    ``git check-ref-format``'s rules for ``refs/tags/<prefix>1.2.3``, in Python (the build
    hook validates the config in every build and must not run git for it): no space or
    control character, none of ``~^:?*[\\``, no ``..`` or ``@{``, no path component that
    starts with ``.`` or ends with ``.lock``, no empty component; and no leading ``-``, which
    ``git tag`` takes for an option. ``check`` used to accept ``"rel ease-"`` and ``"../"``,
    and ``bump --tag`` found out only after committing.
    """
    reason = None
    bad = sorted({c for c in prefix if c in " ~^:?*[\\" or ord(c) < 0x20 or ord(c) == 0x7F})
    if bad:
        reason = "it contains " + " and ".join(repr(c) for c in bad)
    elif prefix.startswith("-"):
        reason = "git tag reads a name starting with '-' as an option"
    elif ".." in prefix or "@{" in prefix:
        reason = f"it contains {'..' if '..' in prefix else '@{'!r}"
    else:
        parts = (prefix + "1").split("/")
        if any(not part for part in parts):
            reason = "it has an empty path component ('/' at the start or '//')"
        elif any(part.startswith(".") for part in parts):
            reason = "a path component starts with '.'"
        elif any(part.endswith(".lock") for part in parts[:-1]):
            reason = "a path component ends with '.lock'"
    if reason is None:
        return prefix
    raise ConfigError(
        f"{where} tag-prefix {prefix!r} cannot start a git tag name ({reason})",
        'git check-ref-format refuses such tags: use letters, digits, "-", "_", "." or "/", '
        'e.g. tag-prefix = "v" or "api-v"',
    )


def default_tag_prefix(member: Path) -> str:
    """A member's tag prefix when none is set: its directory's name and ``-v``."""
    return f"{member.name}-v"


# --- a prefix learned from the repository's own tags -------------------------------------------


class TagEvidence(NamedTuple):
    """What says which of a repository's tags are this project's (each part may be missing).

    Tags of several forms live in one repository (a monorepo's members, a package that
    changed its name, pypa/hatch's ``hatch-v`` and ``hatchling-v``); a prefix other than the
    default ``v`` is learned only from evidence that its tags are this project's.
    """

    version: str | None = None  # the project's version: a tag naming it is its own
    match: str | None = None  # the VCS plugin's ``git describe --match`` prefix (hatch-v*)
    from_tags: bool = False  # the version comes from git tags: the nearest tag is its base
    others: frozenset[str] = frozenset()  # the prefixes of the workspace's members


def split_tag(tag: str) -> tuple[str, str] | None:
    """``(prefix, normalized version)`` of a tag whose text from its first digit on is a PEP
    440 version (``("hatch-v", "1.18.0")`` for ``hatch-v1.18.0``); ``None`` for other tags."""
    from releasekit.core.version import version_from_tag

    for at, char in enumerate(tag):
        if "0" <= char <= "9":
            version = version_from_tag(tag, tag[:at])
            return None if version is None else (tag[:at], version)
    return None


def _family(prefix: str) -> str:
    """The default form's two spellings (``v``, none) are one family, as matching reads them."""
    return "" if prefix in ("", "v", "V") else prefix


def learn_tag_prefix(
    tags: Iterable[str],
    evidence: TagEvidence,
    *,
    at_head: Iterable[str] = (),
    nearest: str | None = None,
) -> str | None:
    """How this project's release tags are spelled: ``"v"``, ``""`` (no prefix), or a prefix
    of its own such as ``"hatch-v"``; ``None`` when nothing says (no release tag yet).

    ``tags`` are the repository's tags, ``at_head`` those at HEAD, ``nearest`` the tag a VCS
    plugin counts from (``git describe``). The strongest evidence first: a tag naming the
    project's version (at HEAD, then anywhere), the plugin's ``--match``, and for a version
    from git tags the nearest release tag. Without any of them the default form speaks: ``v``
    or none, as the newest release (by version) was tagged; a workspace member's prefix is
    never the root project's.
    """
    from packaging.version import Version

    tags = list(tags)
    if evidence.version is not None:
        for pool in (list(at_head), tags):
            named = {
                "v" if p == "V" else p
                for p, v in _split_all(pool, evidence)
                if v == evidence.version
            }
            if len(named) == 1:
                return named.pop()
    if evidence.match is not None:
        return evidence.match
    if evidence.from_tags and nearest is not None:
        found = split_tag(nearest)
        if found is not None and _family(found[0]) and found[0] not in evidence.others:
            return found[0]
    newest: tuple[Version, str] | None = None
    for prefix, version in _split_all(tags, evidence):
        if _family(prefix) == "" and (newest is None or Version(version) > newest[0]):
            newest = (Version(version), "" if prefix == "" else "v")
    return None if newest is None else newest[1]


def _split_all(tags: Iterable[str], evidence: TagEvidence) -> Iterable[tuple[str, str]]:
    """The release tags among ``tags`` as (prefix, version), members' tags left out."""
    for tag in tags:
        found = split_tag(tag)
        if found is not None and found[0] not in evidence.others:
            yield found


# `--match hatch-v*` (or `--match=hatch-v*`, `hatch-v[0-9]*`): a literal prefix and a glob
_MATCH = re.compile(r"^([^*?\[\]]+?)(?:\*|\[0-9\]\*)$")


def _describe_match(command: Any) -> str | None:
    """The literal tag prefix of a ``git describe`` command's ``--match`` glob, if it has one."""
    words = command.split() if isinstance(command, str) else command
    if not isinstance(words, list):
        return None
    words = [str(word) for word in words]
    for at, word in enumerate(words):
        pattern = None
        if word == "--match" and at + 1 < len(words):
            pattern = words[at + 1]
        elif word.startswith("--match="):
            pattern = word[len("--match=") :]
        found = _MATCH.match(pattern.strip("'\"")) if pattern else None
        if found and not found.group(1)[-1:].isdigit():
            return found.group(1)
    return None


def _table(data: Any, *keys: str) -> Mapping[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data if isinstance(data, Mapping) else {}


def evidence(root: Path, version: str | None = None) -> TagEvidence:
    """What ``root``'s own files say about which tags are its project's: the static version
    (``[project]`` or ``[tool.poetry]``) unless ``version`` (computed) is given, whether the
    version comes from git tags, the VCS plugin's ``--match``, the workspace members'
    prefixes. An unreadable pyproject.toml says nothing."""
    try:
        data: Mapping[str, Any] = load_toml(root / "pyproject.toml")
    except (ConfigError, ConfigProblems, OSError):
        data = {}
    project, tool = _table(data, "project"), _table(data, "tool")
    dynamic = project.get("dynamic")
    dynamic = dynamic if isinstance(dynamic, list) else []
    static = project.get("version") if "version" not in dynamic else None
    if static is None and not project:
        static = _table(tool, "poetry").get("version")
    if version is None and isinstance(static, str):
        from releasekit.core.version import try_normalize

        version = try_normalize(static)
    from_tags = (not isinstance(static, str)) and (
        _table(tool, "hatch", "version").get("source") == "vcs"
        or _table(tool, "pdm", "version").get("source") == "scm"
        or _table(tool, "poetry-dynamic-versioning").get("enable") is True
        or "setuptools_scm" in tool
        or "setuptools-scm" in tool
    )
    match = None
    for options in (
        _table(tool, "hatch", "version", "raw-options"),
        _table(tool, "setuptools_scm"),
    ):
        match = match or _describe_match(options.get("git_describe_command"))
    return TagEvidence(version, match, from_tags, frozenset(member_prefixes(root)))


def member_prefixes(root: Path) -> list[str]:
    """The tag prefixes of the members of the workspace declared at ``root`` (none: no
    workspace there)."""
    prefixes: list[str] = []
    for name in (WORKSPACE_FILE, "pyproject.toml"):
        file = root / name
        try:
            if "members" not in file.read_text(encoding="utf-8"):
                continue
            table: Any = load_toml(file)
        except (OSError, ConfigError, ConfigProblems):
            continue
        if name == "pyproject.toml":
            table = _table(table, "tool", "releasekit")
        entries = table.get("members") if isinstance(table, Mapping) else None
        for entry in entries if isinstance(entries, list) else []:
            rel = entry.get("path") if isinstance(entry, Mapping) else entry
            prefix = entry.get("tag-prefix") if isinstance(entry, Mapping) else None
            if isinstance(prefix, str):
                prefixes.append(prefix)
            elif isinstance(rel, str):
                prefixes.append(default_tag_prefix(root / rel))
    return prefixes

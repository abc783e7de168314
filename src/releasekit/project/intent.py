"""Intent files: what each change means for the next version, written when the change is made.

Two formats are read, both left by a pull request and consumed by the release's bump:

- **changesets** (``.changeset/<words>.md``), in @changesets/cli's own format: YAML front
  matter mapping package names to ``major``, ``minor``, ``patch`` or ``none``, then the
  summary as the body. ``.changeset/config.json`` ``fixed``, ``linked``, ``ignore`` and
  ``updateInternalDependencies`` are honoured when present.
- **towncrier** fragments of a Python project (``newsfragments/<id>.<type>[.<n>][.md|.rst]``,
  or ``[tool.towncrier] directory``): the type says the bump (:data:`TOWNCRIER_PARTS`).

:func:`plan_releases` turns the intents into the next version of each package the way
changesets' assemble-release-plan does: the largest bump named for a package; a package
whose dependency leaves its range gets a patch bump (a devDependency only its range
updated); fixed and linked groups; and a package whose version follows another's (a
workspace member whose version file lives in another member) gets that version.
:func:`changelog_entry` writes a package's section from the summaries.

Pure but for reading and writing the intent files themselves: versions come in, a plan
goes out; the command that writes the versions, changelogs and commit is
:mod:`releasekit.cli.intent`.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from releasekit.core.version import bump, to_semver, try_normalize
from releasekit.errors import ConfigError
from releasekit.project.changeset_names import changeset_name
from releasekit.project.npmrange import comparator_sets, effective_range, is_any, satisfies

__all__ = [
    "CHANGESET_DIR",
    "PARTS",
    "TOWNCRIER_PARTS",
    "ChangesetConfig",
    "DependencyEdit",
    "Intent",
    "IntentPackage",
    "Release",
    "bad_file",
    "changelog_entry",
    "next_version",
    "parse_changeset",
    "plan_releases",
    "range_edits",
    "read_changeset_config",
    "read_changesets",
    "render_changeset",
    "write_changeset",
]

CHANGESET_DIR = ".changeset"
PARTS = ("major", "minor", "patch", "none")  # changesets' version types
_LEVEL = {"none": 0, "patch": 1, "minor": 2, "major": 3}
DEP_TYPES = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")

# towncrier's default fragment types, their section titles (towncrier's own) and the bump
# each means; "breaking" is a common custom type. A custom type not named here is a patch.
TOWNCRIER_PARTS: Mapping[str, tuple[str, str]] = {  # in towncrier's order of sections
    "breaking": ("Breaking Changes", "major"),
    "feature": ("Features", "minor"),
    "bugfix": ("Bugfixes", "patch"),
    "doc": ("Improved Documentation", "patch"),
    "removal": ("Deprecations and Removals", "major"),
    "misc": ("Misc", "patch"),
}

# changesets' file format: front matter between "---" lines, then the summary
_FRONT_MATTER = re.compile(r"\A\s*---([\s\S]*?)\r?\n\s*---(\s*(?:\n|$)[\s\S]*)\Z")
_ENTRY = re.compile(
    r"""^\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s:#"'][^:#]*?))\s*:"""
    r"""\s*(?:"(?P<vdq>[^"]*)"|'(?P<vsq>[^']*)'|(?P<vbare>[^\s#]*))\s*(?:#.*)?$"""
)


@dataclass(frozen=True)
class Intent:
    """One intent file: the bump it names for each package, and what to say about it."""

    path: Path
    releases: tuple[tuple[str, str], ...]  # (package name as written, part), in file order
    summary: str
    section: str = ""  # towncrier: the type's section title; changesets group by part
    issue: str = ""  # towncrier: the fragment's issue ("123"), for "(#123)"


@dataclass(frozen=True)
class ChangesetConfig:
    """What ``.changeset/config.json`` says about versions (changesets' defaults if absent)."""

    fixed: tuple[tuple[str, ...], ...] = ()
    linked: tuple[tuple[str, ...], ...] = ()
    ignore: tuple[str, ...] = ()
    update_internal_dependencies: str = "patch"  # or "minor"
    dependents_always: bool = False  # updateInternalDependents: "always" (experimental)
    # @changesets/cli 2 (before 3.0, mid-2026): a minor or major release of a peer dependency
    # makes its dependents major; 3 gives them a patch when the range is left, like the rest
    peer_dependents_major: bool = False
    peer_only_out_of_range: bool = False  # onlyUpdatePeerDependentsWhenOutOfRange (experimental)


@dataclass(frozen=True)
class IntentPackage:
    """A package as the planner sees it."""

    name: str
    version: str  # PEP 440, normalized
    kind: str = "npm"  # "npm" or "python"
    dependencies: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # type->name->range
    follows: str | None = None  # the package whose version this one carries
    path: Path | None = None


@dataclass(frozen=True)
class DependencyEdit:
    dep_type: str
    name: str
    old: str
    new: str


@dataclass
class Release:
    """One package's part in the plan."""

    name: str
    part: str  # major/minor/patch/none
    old: str  # the version bumped from (a linked/fixed group's highest)
    intents: list[tuple[Intent, str]] = field(default_factory=list)  # with the part each names
    new: str = ""
    edits: list[DependencyEdit] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why, beyond its own intents


# --- changesets' files ------------------------------------------------------------------------


def bad_file(path: Path, what: str, hint: str) -> ConfigError:
    """An intent file that cannot be read: the error names the file."""
    return ConfigError(f"{path}: {what}", hint)


_EXAMPLE = 'e.g. ---\\n"my-package": minor\\n---\\n\\nWhat changed'


def parse_changeset(text: str, path: Path) -> Intent:
    """The intent of a changeset file; a :class:`ConfigError` naming ``path`` when malformed."""
    match = _FRONT_MATTER.match(text)
    if not text.strip() or match is None:
        raise bad_file(path, "no front matter between --- lines", _EXAMPLE)
    releases: list[tuple[str, str]] = []
    for number, line in enumerate(match.group(1).splitlines(), 1):  # line 1 ends "---"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        entry = _ENTRY.match(line)
        if entry is None:
            raise bad_file(path, f'line {number} {line.strip()!r} is not "package": part', _EXAMPLE)
        name = next(g for g in (entry["dq"], entry["sq"], entry["bare"]) if g is not None)
        part = next(g for g in (entry["vdq"], entry["vsq"], entry["vbare"]) if g is not None)
        if not name.strip():
            raise bad_file(path, f"line {number} names no package", _EXAMPLE)
        if part not in PARTS:
            raise bad_file(
                path,
                f"line {number}: {part!r} for {name} is not a bump part",
                f"use one of {', '.join(PARTS)}",
            )
        if any(name == seen for seen, _ in releases):
            raise bad_file(path, f"line {number} names {name} twice", "name each package once")
        releases.append((name, part))
    return Intent(path, tuple(releases), match.group(2).strip())


def render_changeset(releases: Sequence[tuple[str, str]], summary: str) -> str:
    """A changeset file's text exactly as ``changeset add`` writes it (names quoted)."""
    lines = "\n".join(f'"{name}": {part}' for name, part in releases)
    return f"---\n{lines}\n---\n\n{summary.strip()}\n"


def write_changeset(root: Path, releases: Sequence[tuple[str, str]], summary: str) -> Path:
    """Write a new ``.changeset/<words>.md`` under ``root``; its path."""
    folder = root / CHANGESET_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = changeset_name(p.stem for p in folder.glob("*.md"))
    path = folder / f"{name}.md"
    path.write_text(render_changeset(releases, summary), encoding="utf-8")
    return path


def read_changesets(root: Path) -> list[Intent]:
    """Every changeset under ``root/.changeset`` (README.md is changesets' own), by name."""
    folder = root / CHANGESET_DIR
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md" or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise bad_file(path, f"not readable UTF-8 text ({exc})", "fix or remove it") from None
        found.append(parse_changeset(text, path))
    return found


def _groups(value: object, key: str, path: Path) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(g, list) and all(isinstance(n, str) for n in g) for g in value
    ):
        raise bad_file(path, f"{key} must be a list of lists of package names", f'e.g. "{key}": '
                   '[["@scope/a", "@scope/b"]]')  # fmt: skip
    return tuple(tuple(group) for group in value)


def _changesets_major(root: Path) -> int | None:
    """The major version of @changesets/cli the root package.json asks for (``^2.29.4``: 2)."""
    try:
        manifest = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for key in ("devDependencies", "dependencies"):
        deps = manifest.get(key) if isinstance(manifest, dict) else None
        wanted = deps.get("@changesets/cli") if isinstance(deps, dict) else None
        found = re.match(r"^\D*(\d+)", wanted) if isinstance(wanted, str) else None
        if found:
            return int(found.group(1))
    return None


def read_changeset_config(root: Path) -> ChangesetConfig:
    """``.changeset/config.json``'s version rules; changesets' defaults when there is none.

    The peer-dependency rule is that of the @changesets/cli the root package.json declares:
    before 3, a minor or major release of a peer dependency makes the dependent major.
    """
    path = root / CHANGESET_DIR / "config.json"
    old_peers = (_changesets_major(root) or 3) < 3
    if not path.is_file():
        return ChangesetConfig(peer_dependents_major=old_peers)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise bad_file(path, f"not readable JSON ({exc})", "fix config.json") from None
    if not isinstance(data, dict):
        raise bad_file(path, "not a JSON object", "fix config.json")
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(n, str) for n in ignore):
        raise bad_file(path, "ignore must be a list of package names", 'e.g. "ignore": ["docs"]')
    update = data.get("updateInternalDependencies", "patch")
    if update not in ("patch", "minor"):
        raise bad_file(path, f"updateInternalDependencies {update!r} is not patch or minor",
                   'e.g. "updateInternalDependencies": "patch"')  # fmt: skip
    unsafe = data.get("___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH", {})
    unsafe = unsafe if isinstance(unsafe, dict) else {}
    return ChangesetConfig(
        _groups(data.get("fixed"), "fixed", path),
        _groups(data.get("linked"), "linked", path),
        tuple(ignore),
        update,
        unsafe.get("updateInternalDependents") == "always",
        old_peers,
        unsafe.get("onlyUpdatePeerDependentsWhenOutOfRange") is True,
    )


# --- the plan -----------------------------------------------------------------------------


def _expand(groups: Sequence[Sequence[str]], names: Sequence[str]) -> list[list[str]]:
    """Groups with glob patterns (``@scope/*``) expanded to the package names they match."""
    expanded = []
    for group in groups:
        members: list[str] = []
        for pattern in group:
            members += [n for n in names if fnmatch.fnmatchcase(n, pattern) and n not in members]
        expanded.append(members)
    return expanded


def resolve(name: str, packages: Mapping[str, IntentPackage]) -> str | None:
    if name in packages:
        return name
    from packaging.utils import canonicalize_name

    canonical = canonicalize_name(name)
    match = [n for n, p in packages.items() if p.kind == "python" and canonicalize_name(n)
             == canonical]  # fmt: skip
    return match[0] if match else None


def plan_releases(
    packages: Sequence[IntentPackage],
    intents: Sequence[Intent],
    config: ChangesetConfig = ChangesetConfig(),
) -> dict[str, Release]:
    """Each package's release: its part, old and new version, intents and range edits.

    changesets' assemble-release-plan, with its default ``updateInternalDependencies:
    "patch"``: the largest part named for a package; then, until nothing changes, each
    package whose ``dependencies``, ``optionalDependencies`` or ``peerDependencies`` range
    no longer holds a released package's new version gets a patch (a ``devDependencies``
    range only: ``none``, its range updated), fixed groups all take the group's highest part
    from its highest version, linked groups' released members likewise, and a package that
    follows another's version releases with it at its version. A name no package has is a
    :class:`ConfigError` naming the file; ignored packages (config ``ignore``) are left out.
    """
    by_name = {p.name: p for p in packages}
    names = list(by_name)
    ignored = {n for pattern in config.ignore for n in names if fnmatch.fnmatchcase(n, pattern)}
    releases: dict[str, Release] = {}
    for intent in intents:
        for written, part in intent.releases:
            name = resolve(written, by_name)
            if name is None:
                raise ConfigError(
                    f"{intent.path}: no package named {written!r}",
                    f"packages here: {', '.join(sorted(names))}",
                )
            if name in ignored:
                continue
            release = releases.setdefault(name, Release(name, "none", by_name[name].version))
            if _LEVEL[part] > _LEVEL[release.part]:
                release.part = part
            release.intents.append((intent, part))
    fixed = _expand(config.fixed, names)
    linked = _expand(config.linked, names)
    # a follower and its leader release together (the version lives in the leader's file);
    # only their parts meet: the follower takes the leader's new version below, so its own
    # old version must not count as the pair's (which a fixed group's highest would)
    pairs = [[f.follows or "", f.name] for f in packages if f.follows in by_name]
    changed = True
    while changed:  # parts only rise and an old version only moves up: this ends
        changed = _dependents(releases, by_name, ignored, config)
        changed = _fixed(releases, by_name, fixed, ignored) or changed
        changed = _fixed(releases, by_name, pairs, ignored, same_old=False) or changed
        changed = _linked(releases, by_name, linked) or changed
    for release in releases.values():
        release.new = next_version(release.old, release.part, by_name[release.name].kind)
    for follower in packages:  # exactly its leader's version, whatever its own said
        leader = releases.get(follower.follows or "")
        if leader is not None and follower.name in releases:
            releases[follower.name].new = leader.new
            releases[follower.name].reasons.append(f"version follows {leader.name}")
    for release in releases.values():
        release.edits = range_edits(by_name[release.name], releases, by_name, config)
    return {n: releases[n] for n in names if n in releases}  # in the packages' order


def next_version(old: str, part: str, kind: str = "npm") -> str:
    """``old`` after a ``part`` release, as changesets computes it (node-semver's ``inc``).

    A pre-release whose part is at or below the bump is finalized, not bumped again:
    1.3.0-rc.1 + patch or minor -> 1.3.0, 1.0.0-rc.1 + major -> 1.0.0, while 1.3.1-rc.1 +
    minor -> 1.4.0 (releasekit's own :func:`~releasekit.core.version.bump` moves on from a
    pre-release: 1.3.0rc1 + patch -> 1.3.1, which is not what changeset version writes). A
    pre-release is what semver calls one for an npm package, and what PEP 440 does for a
    Python one (a post-release is none: 1.3.0.post1 + patch -> 1.3.1).
    """
    from packaging.version import Version

    if part == "none":
        return old
    parsed = Version(old)
    pre = parsed.is_prerelease if kind == "python" else "-" in to_semver(old)
    if not pre:
        return bump(old, part)
    base = parsed.base_version  # the release numbers (and epoch), pre/post/dev dropped
    if part == "patch" or not any(parsed.release[{"minor": 2, "major": 1}[part] :]):
        return base  # 1.3.0rc1 is a pre-release of the minor 1.3.0, 1.0.0rc1 of the major
    return bump(base, part)


def _new_semver(release: Release, kind: str) -> str:
    return to_semver(next_version(release.old, release.part, kind))


def _dependents(
    releases: dict[str, Release],
    by_name: Mapping[str, IntentPackage],
    ignored: set[str],
    config: ChangesetConfig,
) -> bool:
    updated = False
    queue = [r for r in releases.values() if r.part != "none"]
    while queue:
        dependency = queue.pop(0)
        for package in by_name.values():
            if package.name == dependency.name:
                continue
            existing = releases.get(package.name)
            part = _dependent_part(package, dependency, existing, by_name, config)
            if package.name in ignored and part is not None:
                part = "none"  # an ignored package is never released; its ranges still move
            if part is None or (existing is not None and existing.part == part):
                continue
            if existing is not None and _LEVEL[existing.part] >= _LEVEL[part]:
                continue
            updated = True
            why = f"depends on {dependency.name}"
            if existing is None:
                existing = releases[package.name] = Release(package.name, part, package.version)
            existing.part = part
            if why not in existing.reasons:
                existing.reasons.append(why)
            if part != "none":
                queue.append(existing)
    return updated


def _dependent_part(
    package: IntentPackage,
    dependency: Release,
    existing: Release | None,
    by_name: Mapping[str, IntentPackage],
    config: ChangesetConfig,
) -> str | None:
    """The release ``package`` needs because ``dependency`` is released, or None."""
    new = _new_semver(dependency, by_name[dependency.name].kind)
    old = to_semver(by_name[dependency.name].version)
    part: str | None = None
    for dep_type in DEP_TYPES:
        written = package.dependencies.get(dep_type, {}).get(dependency.name)
        wanted = effective_range(written, old) if written else None
        held = satisfies(new, wanted) if wanted is not None else None
        if held is None:
            continue
        if (
            config.peer_dependents_major
            and dep_type == "peerDependencies"
            and dependency.part in ("minor", "major")
            and not (config.peer_only_out_of_range and held)
            and (existing is None or existing.part != "major")
        ):
            part = "major"
        elif (existing is None or existing.part == "none") and (
            config.dependents_always or not held
        ):
            if dep_type != "devDependencies":
                part = part if part in ("minor", "major") else "patch"
            elif part is None:
                part = "none"
    return part


def _highest(group: Sequence[str], by_name: Mapping[str, IntentPackage]) -> str:
    from packaging.version import Version

    return max((by_name[n].version for n in group), key=Version)


def _fixed(
    releases: dict[str, Release],
    by_name: Mapping[str, IntentPackage],
    groups: Sequence[Sequence[str]],
    ignored: set[str],
    *,
    same_old: bool = True,
) -> bool:
    """Every package of a group released with the largest part of any (``same_old``: from
    the group's highest version, as changesets' fixed groups are)."""
    updated = False
    for group in groups:
        moving = [releases[n] for n in group if n in releases and releases[n].part != "none"]
        if not moving:
            continue
        part = max((r.part for r in moving), key=_LEVEL.__getitem__)
        for name in group:
            if name in ignored:
                continue
            release = releases.get(name)
            if release is None:
                release = releases[name] = Release(name, part, by_name[name].version)
                release.reasons.append(f"released with {moving[0].name}")
                updated = True
            if release.part != part:
                release.part, updated = part, True
            if same_old:
                updated = _raise_old(release, _highest(group, by_name)) or updated
    return updated


def _raise_old(release: Release, old: str) -> bool:
    """Release from ``old`` when it is above the release's own: a package in a fixed and a
    linked group (or in two) then takes the highest of them, and the plan's loop ends."""
    from packaging.version import Version

    if Version(old) > Version(release.old):
        release.old = old
        return True
    return False


def _linked(
    releases: dict[str, Release],
    by_name: Mapping[str, IntentPackage],
    groups: Sequence[Sequence[str]],
) -> bool:
    updated = False
    for group in groups:
        moving = [releases[n] for n in group if n in releases and releases[n].part != "none"]
        if not moving:
            continue
        part = max((r.part for r in moving), key=_LEVEL.__getitem__)
        old = _highest(group, by_name)
        for release in moving:
            if release.part != part:
                release.part, updated = part, True
            updated = _raise_old(release, old) or updated
    return updated


def range_edits(
    package: IntentPackage,
    releases: Mapping[str, Release],
    by_name: Mapping[str, IntentPackage],
    config: ChangesetConfig = ChangesetConfig(),
) -> list[DependencyEdit]:
    """The dependency ranges of a released ``package`` that change, as changesets' apply
    step changes them: a range left by the new version always, else one on a package bumped
    by at least ``updateInternalDependencies`` (default: any bump); ``workspace:*``/``^``/
    ``~``, ``file:``, ``link:``, ``*`` and ranges this cannot read stay as written; the new
    range keeps its operator (``^1.2.0`` -> ``^1.3.0``)."""
    edits = []
    for dep_type in DEP_TYPES:
        for name, written in package.dependencies.get(dep_type, {}).items():
            release = releases.get(name)
            if release is None or not release.new or name == package.name:
                continue
            if written.startswith(("file:", "link:")):
                continue
            if not _should_update(release, written, dep_type, config):
                continue
            workspace = written.startswith("workspace:")
            text = written[len("workspace:") :] if workspace else written
            if workspace and (text in ("*", "^", "~") or comparator_sets(text) is None):
                continue
            new = to_semver(release.new)
            if not workspace and comparator_sets(text) is None:
                continue
            if is_any(text) and "-" not in new:
                continue
            operator = next((op for op in ("^", "~", ">=", "<=", ">") if text.startswith(op)), "")
            value = ("workspace:" if workspace else "") + operator + new
            if value != written:
                edits.append(DependencyEdit(dep_type, name, written, value))
    return edits


def _should_update(release: Release, written: str, dep_type: str, config: ChangesetConfig) -> bool:
    """Whether a range on ``release``'s package follows it (changesets'
    shouldUpdateDependencyBasedOnConfig): always when the new version leaves the range
    (``workspace:*`` always), else when the bump is at least ``updateInternalDependencies``;
    a peer range unless onlyUpdatePeerDependentsWhenOutOfRange. A range this cannot read:
    never."""
    text = written
    if text.startswith("workspace:"):
        text = text[len("workspace:") :]
        if text == "*":
            return True
        if text in ("^", "~"):
            text += to_semver(release.old)
    held = satisfies(to_semver(release.new), text)
    if held is None:
        return False
    if not held:
        return True
    if dep_type == "peerDependencies":
        return not config.peer_only_out_of_range
    return _LEVEL[release.part] >= _LEVEL[config.update_internal_dependencies]


# --- the changelog section ------------------------------------------------------------------

_PART_TITLES = {"major": "Major Changes", "minor": "Minor Changes", "patch": "Patch Changes"}


def _dependency_releases(
    package: IntentPackage, releases: Mapping[str, Release], config: ChangesetConfig
) -> list[Release]:
    """The releases ``package``'s changelog lists as updated dependencies."""
    found = []
    for release in releases.values():
        if release.name == package.name:
            continue
        dependency = package.dependencies.get("dependencies", {}).get(release.name)
        peer = package.dependencies.get("peerDependencies", {}).get(release.name)
        written = dependency or peer
        if not written or not (
            written.startswith("workspace:") or comparator_sets(written) is not None
        ):
            continue
        dep_type = "dependencies" if dependency else "peerDependencies"
        if _should_update(release, written, dep_type, config):
            found.append(release)
    return found


def _bullet(text: str, suffix: str = "") -> str:
    first, *rest = [line.rstrip() for line in text.strip().splitlines()] or [""]
    lines = [f"- {first}{suffix}"] + [f"  {line}" if line else "" for line in rest]
    return "\n".join(lines)


def changelog_entry(
    release: Release,
    releases: Mapping[str, Release],
    package: IntentPackage | None = None,
    *,
    commits: Mapping[Path, str] | None = None,
    config: ChangesetConfig = ChangesetConfig(),
) -> list[tuple[str, str]]:
    """The section's groups, ``[(title, markdown bullets)]``, for ``release``.

    Changesets' summaries under Major/Minor/Patch Changes (each ``- <commit>: summary``, as
    @changesets/cli/changelog writes them when git knows the commit that added the file);
    towncrier fragments under their type's title (``- text (#123)``); then "Updated
    dependencies [commit]" for each changeset behind the released packages in ``package``'s
    ``dependencies`` or ``peerDependencies`` whose range follows them, and their new
    versions; then, for a package released for no change of its own, one line saying why
    (changesets writes an empty section; releasekit's changelog check refuses one).
    """
    commits = commits or {}
    groups: dict[str, list[str]] = {}
    for intent, part in release.intents:
        if intent.section:
            suffix = f" (#{intent.issue})" if intent.issue.isdigit() else (
                f" ({intent.issue})" if intent.issue else "")  # fmt: skip
            groups.setdefault(intent.section, []).append(_bullet(intent.summary, suffix))
        elif part != "none" and intent.summary:
            commit = commits.get(intent.path)
            prefix = f"{commit}: " if commit else ""
            groups.setdefault(_PART_TITLES[part], []).append(_bullet(prefix + intent.summary))
    listed = _dependency_releases(package, releases, config) if package is not None else []
    if listed:  # as @changesets/cli/changelog: a line per changeset behind them, then the list
        behind = sorted({i.path for r in listed for i, _ in r.intents})
        lines = [f"- Updated dependencies [{commits[p]}]" if commits.get(p) else
                 "- Updated dependencies" for p in behind]  # fmt: skip
        lines = list(dict.fromkeys(lines))  # once each, in the files' order
        lines += [f"  - {r.name}@{to_semver(r.new)}" for r in listed]
        groups.setdefault(_PART_TITLES["patch"], []).append("\n".join(lines).strip())
    if not groups and release.reasons:
        why = "; ".join(release.reasons)
        groups[_PART_TITLES.get(release.part, "Patch Changes")] = [f"- {why[0].upper()}{why[1:]}"]
    known = [*_PART_TITLES.values(), *(title for title, _ in TOWNCRIER_PARTS.values())]
    ordered = [t for t in known if t in groups]
    ordered += [t for t in groups if t not in ordered]
    return [(title, "\n".join(groups[title])) for title in ordered]


def normalized(version: str) -> str:
    """A version as PEP 440 normal form (npm's semver spelling read too)."""
    from releasekit.core.version import from_semver

    found = try_normalize(version)
    return found if found is not None else from_semver(version)

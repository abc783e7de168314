"""``releasekit intent add`` and the bump that consumes intent files (``releasekit bump``
with no part).

A pull request says what it means for the next version in an intent file (changesets'
``.changeset/<words>.md``, or a towncrier fragment in a Python project); the release's bump
collects them: each package's next version (:func:`releasekit.project.intent.plan_releases`),
its version files and dependency ranges written, its changelog section written from the
summaries, the intent files removed, and all of it one commit. :func:`version_packages` is
the whole step, for the CLI, a test or a CI job that keeps a release pull request open.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.cli.bump import bump_specs, check_can_commit, save, undo
from releasekit.core import carriers, git, gitwrite
from releasekit.core.config import CHANGELOG_NAMES, CarrierSpec, load_config, load_pyproject
from releasekit.core.jsonspan import json_value_span
from releasekit.core.version import to_semver
from releasekit.errors import ConfigError, ReleasekitError, TagError
from releasekit.project import intent as intents_mod
from releasekit.project.changelog import insert_section
from releasekit.project.intent import (
    CHANGESET_DIR,
    PARTS,
    ChangesetConfig,
    Intent,
    IntentPackage,
    Release,
)
from releasekit.project.lockfiles import Lockfile, changes, read_lockfiles, update_lockfiles
from releasekit.project.towncrier import read_towncrier
from releasekit.project.workspace import Member, find_workspace, read_package_json

__all__ = ["Package", "VersionPlan", "add_command", "pending", "version_packages"]

WORKSPACE_MESSAGE = "Version Packages"  # changesets' own commit and pull request title


@dataclass(frozen=True)
class Package:
    """A package of this repository with what the bump writes for it."""

    info: IntentPackage
    path: Path  # its directory
    specs: tuple[CarrierSpec, ...]  # its version files, relative to path
    changelog: Path | None  # None: changelog = false
    rst: bool = False


@dataclass
class VersionPlan:
    """What a bump from intent files does (or did)."""

    root: Path
    packages: dict[str, Package]
    intents: list[Intent]
    releases: dict[str, Release]
    workspace: bool
    config: ChangesetConfig = field(default_factory=ChangesetConfig)
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    commit: str | None = None

    def lines(self) -> list[str]:
        """The plan as ``releasekit bump --dry-run`` shows it (and a release PR's body)."""
        shown = []
        for release in self.releases.values():
            kind = self.packages[release.name].info.kind
            old, new = _spell(kind, release.old), _spell(kind, release.new)
            why = f" ({'; '.join(release.reasons)})" if release.reasons else ""
            if release.part == "none" and not release.edits:
                continue  # a devDependency's range that still holds: nothing to say
            if release.part == "none":
                shown.append(f"{release.name}: {old} unchanged{why}")
            else:
                shown.append(f"{release.name}: {old} -> {new} ({release.part}){why}")
            for edit in release.edits:
                shown.append(f"  {edit.dep_type} {edit.name}: {edit.old} -> {edit.new}")
        for intent in self.intents:
            shown.append(f"  consumes {_rel(self.root, intent.path)}")
        return shown

    @property
    def versions(self) -> dict[str, str]:
        """The new version of each package that moves (PEP 440), by name."""
        return {n: r.new for n, r in self.releases.items() if r.part != "none"}


def add_command(sub: Any) -> None:
    """Add ``intent`` to the ``releasekit`` parser's subcommands ``sub``."""
    intent = sub.add_parser(
        "intent",
        help="record what a change means for the next version (a changeset file)",
        description="Intent files say, with each change, which packages it bumps and how; "
        "`releasekit bump` with no part consumes them.",
    )
    actions = intent.add_subparsers(dest="intent_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="write .changeset/<words>.md naming packages, their bump and a summary",
        description="Write a changeset file in @changesets/cli's format: front matter "
        '"package": major|minor|patch|none, then the summary.',
    )
    add.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="NAME=PART",
        help="a package and its bump (repeatable); in a single project PART alone names "
        "the project",
    )
    add.add_argument("--summary", help="what changed, for the changelog (asked at a terminal)")
    add.set_defaults(func=_cmd_add)
    status = actions.add_parser(
        "status",
        help="what the pending intent files would release (nothing written)",
        description="Print what `releasekit bump` would do with the pending intent files: "
        "each package's next version and why, and the files it consumes. Exits 0 with or "
        "without pending files; --json is for CI (a release pull request's body).",
    )
    status.add_argument(
        "--json",
        action="store_true",
        help='print {"pending": N, "versions": {name: version}, "lines": [...]}',
    )
    status.set_defaults(func=_cmd_status)


def _cmd_status(args: argparse.Namespace) -> int:
    plan = pending(args.root)
    if args.json:
        doc = {"pending": len(plan.intents), "versions": plan.versions, "lines": plan.lines()}
        print(json.dumps(doc, indent=2))
    elif not plan.intents:
        print("no pending intent files (.changeset/*.md, news fragments)")
    else:
        for line in plan.lines():
            print(line)
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    root = Path(args.root)
    packages = _packages(root)
    single = None if find_workspace(root) is not None else next(iter(packages))
    releases: list[tuple[str, str]] = []
    named: dict[str, str] = {}  # each package (as resolved) -> the --package naming it
    for text in args.package:
        name, sep, part = text.rpartition("=")
        if not sep:
            if single is None:
                raise ConfigError(
                    f"--package {text}: name the package (NAME=PART) in a workspace",
                    f"packages: {', '.join(packages)}",
                )
            name = single
        name, part = name.strip(), part.strip()
        if part not in PARTS:
            raise ConfigError(
                f"--package {text}: {part!r} is not a bump part",
                f"use one of {', '.join(PARTS)}",
            )
        found = intents_mod.resolve(name, {n: p.info for n, p in packages.items()})
        if found is None:
            raise ConfigError(
                f"--package {text}: no package named {name!r}",
                f"packages: {', '.join(packages)}",
            )
        if found in named:  # the reader refuses such a file, and changesets crashes on it
            raise ConfigError(
                f"--package {text}: names {found} again (--package {named[found]})",
                "name each package once, with the largest part its changes need",
            )
        named[found] = text
        releases.append((name, part))
    if not releases:
        raise ConfigError(
            "intent add: no package named",
            f"add --package NAME=PART (e.g. --package {next(iter(packages))}=minor)",
        )
    summary = args.summary
    if summary is None and sys.stdin.isatty():
        summary = input("Summary: ")
    if not summary or not summary.strip():
        raise ConfigError("intent add: no summary", "say what changed with --summary TEXT")
    path = intents_mod.write_changeset(root, releases, summary)
    print(f"wrote {_rel(root, path)}")
    return 0


# --- reading the repository -----------------------------------------------------------------


def _changelog_of(directory: Path) -> Path:
    found = next((directory / n for n in CHANGELOG_NAMES if (directory / n).exists()), None)
    return found or directory / "CHANGELOG.md"


def _dependencies(manifest: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for dep_type in intents_mod.DEP_TYPES:
        deps = manifest.get(dep_type)
        if isinstance(deps, dict):
            found[dep_type] = {str(k): v for k, v in deps.items() if isinstance(v, str)}
    return found


def _python_package(path: Path, name: str, follows: str | None) -> Package:
    config = load_config(path)
    specs = bump_specs(config)
    version = carriers.read_all(specs, path)[0].version
    changelog = None if config.changelog is False else config.changelog_path()
    if changelog is None and config.changelog is not False:
        changelog = path / "CHANGELOG.md"
    rst = changelog is not None and changelog.suffix.lower() in (".rst", ".txt")
    info = IntentPackage(name, version, "python", {}, follows, path)
    return Package(info, path, specs, changelog, rst)


def _npm_package(member: Member) -> Package:
    manifest = read_package_json(member.path)
    raw = manifest.get("version")
    if not isinstance(raw, str):
        raise ConfigError(
            f"{member.rel}/package.json has no version", 'set "version" in package.json'
        )
    version = carriers.carrier_for(CarrierSpec("package.json"), member.path).read()
    info = IntentPackage(member.name, version, "npm", _dependencies(manifest), None, member.path)
    return Package(info, member.path, (CarrierSpec("package.json"),), _changelog_of(member.path))


def _packages(root: Path) -> dict[str, Package]:
    """The packages at ``root``: a workspace's members, or the single project."""
    workspace = find_workspace(root)
    if workspace is None:
        from releasekit.project.identity import project_name

        if not (root / "pyproject.toml").is_file():
            raise ConfigError(
                f"{root} is neither a workspace root nor a Python project",
                "run it at the repository's root (-C DIR)",
            )
        package = _python_package(root, project_name(root), None)
        return {package.info.name: package}
    found: dict[str, Package] = {}
    for member in workspace.members:
        if member.kind == "npm":
            found[member.name] = _npm_package(member)
            continue
        leader = None
        for file in member.follows:  # a version file in another member: that one leads
            holders = [m for m in workspace.members if m.path in file.parents and m != member]
            owner = max(holders, key=lambda m: len(m.path.parts), default=None)
            leader = owner.name if owner is not None else leader
        found[member.name] = _python_package(member.path, member.name, leader)
    return found


def _read_intents(root: Path, packages: Mapping[str, Package]) -> list[Intent]:
    pre = root / CHANGESET_DIR / "pre.json"
    if pre.is_file():  # `changeset pre exit` leaves it too ("mode": "exit"), until versioning
        try:
            mode = json.loads(pre.read_text(encoding="utf-8")).get("mode")
        except (OSError, ValueError, AttributeError):
            mode = None
        said = f' ("mode": {json.dumps(mode)})' if isinstance(mode, str) else ""
        raise ConfigError(
            f"{pre}: changesets' pre-release mode is on{said}",
            "releasekit bump has no pre mode: finish it with changesets (`changeset pre "
            "exit`, then `changeset version`, which removes pre.json), or bump a part "
            "(releasekit bump rc)",
        )
    found = intents_mod.read_changesets(root)
    for package in packages.values():
        if package.info.kind == "python":
            pyproject = load_pyproject(package.path)
            found += read_towncrier(package.path, pyproject, package.info.name)
    return found


def pending(root: Path | str) -> VersionPlan:
    """The plan of the intent files under ``root``, nothing written: what ``releasekit bump``
    would do (a release pull request's body: :meth:`VersionPlan.lines`)."""
    root = Path(root).resolve()
    packages = _packages(root)
    found = _read_intents(root, packages)
    config = intents_mod.read_changeset_config(root)
    consumed = _consumed(found, packages, config)
    releases = intents_mod.plan_releases([p.info for p in packages.values()], found, config)
    workspace = find_workspace(root) is not None
    return VersionPlan(root, packages, consumed, releases, workspace, config)


def _consumed(
    found: Sequence[Intent], packages: Mapping[str, Package], config: ChangesetConfig
) -> list[Intent]:
    """The intents the bump removes: all but those naming ignored packages only (changesets
    keeps them for later); one that mixes ignored and other packages is refused, as there."""
    import fnmatch

    kept = []
    for intent in found:
        skipped = [
            n for n, _ in intent.releases if any(fnmatch.fnmatchcase(n, p) for p in config.ignore)
        ]
        if skipped and len(skipped) < len(intent.releases):
            raise ConfigError(
                f"{intent.path}: names ignored packages ({', '.join(skipped)}) with others",
                "one intent file is either for ignored packages or for released ones: split it",
            )
        if not skipped or not intent.releases:
            kept.append(intent)
    return kept


# --- writing ---------------------------------------------------------------------------------


def version_packages(
    root: Path | str,
    *,
    dry_run: bool = False,
    commit: bool = True,
    out: Callable[[str], None] = print,
) -> VersionPlan:
    """Consume the intent files under ``root``: versions, dependency ranges, changelogs, the
    files removed, lockfiles, and (``commit``) one commit. A :class:`ReleasekitError` before
    anything is written when an intent file is bad, there is none, or git would refuse the
    commit; a failure while writing puts every file back."""
    plan = pending(root)
    root = plan.root
    if not plan.intents:
        raise ConfigError(
            "bump: no part given and no intent files (.changeset/*.md, news fragments)",
            "name a part (releasekit bump patch) or add intent files "
            "(releasekit intent add --package NAME=minor --summary '...')",
        )
    for line in plan.lines():
        out(line)
    if dry_run:
        out("(dry run: nothing written)")
        return plan
    locks = read_lockfiles(root)  # an unreadable lockfile stops the bump before it writes
    if commit:
        _check_commit(root, plan, changes(locks, _lockfile_versions(plan)))
    saved: dict[Path, bytes | None] = {}
    try:
        _write(plan, saved, locks)
    except BaseException:
        undo(root, saved, lambda: None)
        raise
    for path in plan.written:
        out(f"  wrote {_rel(root, path)}")
    for path in plan.removed:
        out(f"  removed {_rel(root, path)}")
    if commit:
        paths = [p for p in plan.written + plan.removed if p.exists() or _tracked(root, p)]
        message = WORKSPACE_MESSAGE if plan.workspace else _single_message(plan)
        try:
            plan.commit = gitwrite.commit_paths(root, paths, message)
        except TagError as exc:  # git add staged them: the index goes back too
            undone = undo(root, saved, lambda: gitwrite.unstage(root, paths))
            raise TagError(f"{exc.message}; {undone}", exc.hint) from None
        out(f"  committed {plan.commit[:12]}: {message}")
    return plan


def _single_message(plan: VersionPlan) -> str:
    versions = list(plan.versions.values())
    return f"Bump version to {versions[0]}" if versions else WORKSPACE_MESSAGE


def _check_commit(root: Path, plan: VersionPlan, lockfiles: Sequence[Path]) -> None:
    """The bump's own refusals (:func:`releasekit.cli.bump.check_can_commit`), for every file
    the version commit holds."""
    files = [i.path for i in plan.intents] + list(lockfiles)
    for package in plan.packages.values():
        files += [carriers.carrier_for(spec, package.path).path for spec in package.specs]
        files += [package.changelog] if package.changelog is not None else []
    check_can_commit(root, files, commit="version commit", holds="the bump's files only",
                     said="; nothing was written")  # fmt: skip


def _tracked(root: Path, path: Path) -> bool:
    return git.ask(root, "ls-files", "--error-unmatch", "--", str(path)) is not None


def _write(plan: VersionPlan, saved: dict[Path, bytes | None], locks: Sequence[Lockfile]) -> None:
    written: list[Path] = []

    def note(path: Path) -> None:
        if path not in written:
            written.append(path)

    for release in plan.releases.values():
        package = plan.packages[release.name]
        if release.part != "none" and release.new != package.info.version:
            for spec in package.specs:
                save(saved, carriers.carrier_for(spec, package.path).path)
            for path in carriers.write_all(package.specs, package.path, release.new):
                note(path)
        if release.edits:
            manifest = package.path / "package.json"
            save(saved, manifest)
            text = manifest.read_text(encoding="utf-8")
            for edit in release.edits:
                text = _edit_json(text, [edit.dep_type, edit.name], edit.new)
            manifest.write_text(text, encoding="utf-8")
            note(manifest)
    for path in _write_changelogs(plan, saved):
        note(path)
    for intent in plan.intents:
        save(saved, intent.path)
        intent.path.unlink()
        plan.removed.append(intent.path)
    if locks and plan.versions:
        for lock in locks:
            saved.setdefault(lock.path, lock.data)
        for path in update_lockfiles(plan.root, _lockfile_versions(plan), lockfiles=locks):
            note(path)
    plan.written = written


def _write_changelogs(plan: VersionPlan, saved: dict[Path, bytes | None]) -> list[Path]:
    """Each moving package's changelog with its new section (the file made if missing)."""
    written: list[Path] = []
    commits = {i.path: _added_in(plan.root, i.path) for i in plan.intents}
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    for release in plan.releases.values():
        package = plan.packages[release.name]
        if release.part == "none" or package.changelog is None:
            continue
        groups = intents_mod.changelog_entry(
            release,
            plan.releases,
            package.info,
            commits={p: c for p, c in commits.items() if c},
            config=plan.config,
        )
        save(saved, package.changelog)
        old = package.changelog.read_text(encoding="utf-8") if package.changelog.exists() else ""
        if not old.strip():
            old = f"# {release.name}\n" if not package.rst else ""
        python_style = package.info.kind == "python" and not package.rst
        text = insert_section(
            old,
            _spell(package.info.kind, release.new),
            groups,
            rst=package.rst,
            date=today,
            default_title="[{version}] - {date}"
            if python_style
            else ("{version} ({date})" if package.rst else "{version}"),
        )
        package.changelog.write_text(text, encoding="utf-8")
        written.append(package.changelog)
    return written


def _lockfile_versions(plan: VersionPlan) -> dict[str, str]:
    """The new versions as lockfiles spell them: npm packages in semver, Python in PEP 440."""
    return {
        name: _spell(plan.packages[name].info.kind, version)
        for name, version in plan.versions.items()
    }


def _added_in(root: Path, path: Path) -> str:
    """The short commit that added ``path`` (changesets' changelog line names it), or ''."""
    found = git.ask(root, "log", "--diff-filter=A", "--format=%h", "-1", "--", str(path))
    return (found or "").strip()[:7]


def _spell(kind: str, version: str) -> str:
    return to_semver(version) if kind == "npm" and version else version


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _edit_json(text: str, keys: Sequence[str], value: str) -> str:
    """``text`` with the string at ``keys`` (``["dependencies", "a"]``) replaced by ``value``,
    every other byte as written; a duplicated key: its last, the one npm reads."""
    try:
        span = json_value_span(text, keys)
    except ValueError:
        span = None
    if span is None or not text.startswith('"', span[0]):
        raise ConfigError(f"package.json has no {'.'.join(keys)} to update", "check package.json")
    return text[: span[0]] + json.dumps(value) + text[span[1] :]


def bump_command(args: argparse.Namespace) -> int:
    """``releasekit bump`` with no part."""
    if args.tag or args.push or args.force:
        flag = "--tag" if args.tag else "--push" if args.push else "--force"
        raise ReleasekitError(
            f"bump {flag} needs a part: a bump from intent files commits the versions only",
            "tag and publish with the release (nox -s release) once the version commit is "
            "merged, or name a part (releasekit bump minor --tag)",
        )
    version_packages(args.root, dry_run=args.dry_run, commit=not args.no_commit)
    return 0

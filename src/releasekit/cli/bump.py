"""``releasekit bump``: the next version written into every version file, and with
``--commit``/``--tag``/``--push`` the release commit, its tag and the push, each step undone
when a later one fails (a push only when the remote verifiably has neither).

With no part, the intent files say each package's bump: :mod:`releasekit.cli.intent`.
:func:`bump_specs` (where a project's version is written) and :func:`tag_message` (the
annotated tag's text) serve ``releasekit tag`` and the intent bump too.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from releasekit.core import carriers, git, gitwrite
from releasekit.core.config import CarrierSpec, Config, load_config, load_pyproject
from releasekit.core.version import BUMP_PARTS, bump, refuse_local, tag_for, try_normalize
from releasekit.errors import CarrierError, ConfigError, ReleasekitError, TagError
from releasekit.project import lockfiles
from releasekit.project.identity import project_name
from releasekit.project.vcsversion import vcs_source

__all__ = [
    "add_command",
    "bump_specs",
    "check_can_commit",
    "save",
    "tag_message",
    "undo",
]


def add_command(sub: Any, without_part: Callable[[argparse.Namespace], int]) -> None:
    """Add ``bump`` to the ``releasekit`` parser's subcommands ``sub``; ``without_part`` is
    the bump from intent files (:func:`releasekit.cli.intent.bump_command`), handed in so
    that this module, whose helpers the intent bump shares, does not import it back."""
    bump_cmd = sub.add_parser(
        "bump",
        help="write the next version into every version file",
        description="Write the next version into every file of [tool.releasekit] version-files.",
    )
    bump_cmd.add_argument(
        "part",
        nargs="?",
        help=f"one of {', '.join(BUMP_PARTS)}, several joined by commas (minor,rc), "
        "or an explicit version; left out: the intent files (.changeset/*.md, news "
        "fragments) say each package's bump, and are consumed in one commit",
    )
    bump_cmd.add_argument(
        "--force", action="store_true", help="allow a version that does not move forward"
    )
    bump_cmd.add_argument("--dry-run", action="store_true", help="show, write nothing")
    bump_cmd.add_argument(
        "--commit",
        action="store_true",
        help="commit exactly the version files (and the changelog when it changed), "
        "with the message 'Bump version to X'",
    )
    bump_cmd.add_argument(
        "--tag",
        action="store_true",
        help="also make the annotated release tag, its message the changelog section "
        "(implies --commit; the commit is then 'Release X', the release's own commit)",
    )
    bump_cmd.add_argument(
        "--push",
        action="store_true",
        help="also push the commit and the tag to the upstream (implies --tag)",
    )
    bump_cmd.add_argument(
        "--no-commit",
        action="store_true",
        help="with no part: write the versions, changelogs and lockfiles and remove the "
        "intent files, but do not commit them",
    )
    bump_cmd.set_defaults(func=functools.partial(_cmd_bump, without_part=without_part))


def _cmd_bump(
    args: argparse.Namespace, *, without_part: Callable[[argparse.Namespace], int]
) -> int:
    if args.part is None:  # the intent files say the parts
        return without_part(args)
    config = load_config(args.root)
    specs = bump_specs(config, args.part)
    readings = carriers.read_all(specs, config.root)
    current = readings[0].version
    commit, tag, push = args.commit or args.tag or args.push, args.tag or args.push, args.push
    if push and _push_unpushed_release(config, current, dry_run=args.dry_run):
        return 0  # a rerun after a failed push: what exists is pushed, no version burned
    if try_normalize(args.part) == current and carriers.disagreements(readings):
        new = current  # bringing the other files in line with the first
        refuse_local(new, f"bump {args.part}")
    else:
        new = bump(current, args.part, force=args.force)
    tag_name = tag_for(new, git.new_tag_prefix(config.root, config.tag_prefix, current))
    changelog = config.changelog_path()
    locks = lockfiles.read_lockfiles(config.root)  # an unreadable one: refused before writing
    versions = _lock_versions(config, specs, new)
    if commit:  # every refusal before the first file is written
        files = [carriers.carrier_for(s, config.root).path for s in specs]
        files += [changelog] if changelog is not None else []
        check_can_commit(config.root, [*files, *lockfiles.changes(locks, versions)],
                         tag=tag_name if tag else None, push=push)  # fmt: skip
    if tag:  # a tag shared with other members releases them too: all at one version
        refuse_split_group(
            config.root, [carriers.carrier_for(s, config.root).path for s in specs], new
        )
    if args.dry_run:
        print(f"{current} -> {new} (dry run: nothing written)")
        return 0
    saved: dict[Path, bytes | None] = {}
    for spec in specs:
        save(saved, carriers.carrier_for(spec, config.root).path)
    written = carriers.write_all(specs, config.root, new)
    written += _update_lockfiles(config, locks, versions, saved)
    print(f"{current} -> {new}")
    for path in written:
        print(f"  wrote {carriers.display_path(config.root, path)}")
    if not commit:
        print(f"  next: commit, then `git tag {tag_name}`")
        return 0
    _commit_tag_push(config, written, saved, new, tag_name if tag else None, push=push)
    return 0


def _commit_tag_push(
    config: Config,
    written: list[Path],
    saved: dict[Path, bytes | None],
    new: str,
    tag_name: str | None,
    *,
    push: bool,
) -> None:
    """The release commit, its tag and the push, after the version files are written; a
    step that fails undoes the ones before it (see :func:`_after_failed_push` for a push)."""
    changelog = config.changelog_path()
    paths = list(written)
    for path in written:  # a version file that is a symlink: the file it leads to changed
        target = config.root / os.path.relpath(os.path.realpath(path), config.root.resolve())
        if os.path.abspath(target) != os.path.abspath(path) and target not in paths:
            paths.append(target)  # compared absolute: with no -C the root is "."
    if changelog is not None and _is_changed(config.root, changelog):
        paths.append(changelog)
    tag = tag_name is not None
    before, branch = git.head_commit(config.root) or "", git.current_branch(config.root) or ""
    try:
        head = gitwrite.commit_paths(
            config.root, paths, f"Release {new}" if tag else f"Bump version to {new}"
        )
    except TagError as exc:
        undone = undo(config.root, saved, lambda: gitwrite.unstage(config.root, paths))
        raise TagError(f"{exc.message}; {undone}", exc.hint) from None
    shown = ", ".join(carriers.display_path(config.root, path) for path in paths)
    print(f"  committed {head[:12]}: {shown}")
    made: str | None = None

    def undo_all() -> None:
        gitwrite.undo_commit(config.root, branch, before, head, paths, made)

    if tag_name is not None:
        try:
            gitwrite.create_tag(config.root, tag_name, tag_message(changelog, new))
        except TagError as exc:
            undone = undo(config.root, saved, undo_all, f"the release commit {head[:12]} is")
            raise TagError(
                f"{exc.message}; {undone}",
                "fix what git says (a signing key for tag.gpgSign?), then run the same command "
                "again",
            ) from None
        made = tag_name
        print(f"  tagged {tag_name}")
    if push and tag_name is not None:
        remote, upstream_branch = git.upstream(config.root) or ("origin", "")
        refs = [f"HEAD:{upstream_branch}", f"refs/tags/{tag_name}"]
        try:
            gitwrite.push(config.root, remote, refs)
        except TagError as exc:  # raises, unless the remote holds both after all (said)
            _after_failed_push(config.root, exc, saved, undo_all, head, remote, upstream_branch,
                               tag_name)  # fmt: skip
        else:
            print(f"  pushed {upstream_branch} and {tag_name} to {remote}")
    elif tag:
        remote = (git.upstream(config.root) or ("origin", ""))[0]
        print(
            f"  next: `git push --atomic {remote} HEAD refs/tags/{tag_name}` (or rerun with --push)"
        )


def _lock_versions(config: Config, specs: tuple[CarrierSpec, ...], new: str) -> dict[str, str]:
    """The packages whose lockfile entries follow this bump: the project itself (by its
    ``[project]`` name), the project of each other pyproject.toml among the version files
    (a uv workspace member released with it), and the npm package of each package.json
    among them (a Python project that ships an npm package, e.g. a Jupyter extension)."""
    from releasekit.project.metadata import static_name

    versions: dict[str, str] = {}
    name = static_name(config.root)
    if name is not None:
        versions[name] = new
    for spec in specs:
        path = carriers.carrier_for(spec, config.root).path
        with contextlib.suppress(OSError, ValueError, ReleasekitError):
            if path.name == "pyproject.toml" and path.parent != config.root:
                name = static_name(path.parent)
            elif path.name == "package.json":
                name = json.loads(path.read_text(encoding="utf-8")).get("name")
            else:
                continue
            if isinstance(name, str):
                versions[name] = new
    return versions


def _update_lockfiles(
    config: Config,
    locks: Sequence[lockfiles.Lockfile],
    versions: dict[str, str],
    saved: dict[Path, bytes | None],
) -> list[Path]:
    """The lockfiles' entries of the bumped packages, after the version files are written;
    their old bytes join ``saved`` (what a failed commit puts back). A lockfile that cannot
    be written puts the version files back too."""
    try:
        changed = lockfiles.update_lockfiles(config.root, versions, lockfiles=locks)
    except ReleasekitError as exc:  # it put back the lockfiles it had written
        undone = undo(config.root, saved, lambda: None)
        raise CarrierError(f"{exc.message}; {undone}", exc.hint) from None
    saved.update({lock.path: lock.data for lock in locks if lock.path in changed})
    return changed


def save(saved: dict[Path, bytes | None], path: Path) -> None:
    """Keep ``path``'s bytes (None: it does not exist yet) in ``saved`` before a bump first
    writes or removes it: what :func:`undo` puts back when a later step fails."""
    if path not in saved:
        saved[path] = path.read_bytes() if path.exists() else None


def undo(
    root: Path, saved: Mapping[Path, bytes | None], undo_git: Callable[[], None], what: str = ""
) -> str:
    """Undo a bump that failed after writing: git's side (``undo_git``), then every saved
    file's old bytes (one that did not exist is removed again). What the message says it
    did, or what is left to do by hand."""
    try:
        undo_git()
    except ReleasekitError as exc:
        return f"and undoing it failed too ({exc.message}): {exc.hint}"
    failed = []
    for path, data in saved.items():
        try:
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)
        except OSError:
            failed.append(carriers.display_path(root, path))
    if failed:
        return f"undone in git, but {', '.join(failed)} could not be put back: git restore them"
    undone = f"rolled back: {what} undone, " if what else "rolled back: "
    return undone + "the version files are as before; nothing else changed"


def _after_failed_push(
    root: Path,
    exc: TagError,
    saved: dict[Path, bytes | None],
    undo_all: Callable[[], None],
    head: str,
    remote: str,
    branch: str,
    tag_name: str,
) -> None:
    """A push failed after the commit and tag: undo them when the remote verifiably has
    neither (the usual case: it refused), keep them when it has them or cannot tell, so a
    rerun pushes them (:func:`_push_unpushed_release`) instead of bumping again. Raises,
    except when the remote turns out to hold both (git's error came after it took them)."""
    try:
        wanted = [f"refs/heads/{branch}", f"refs/tags/{tag_name}"]
        there = gitwrite.remote_refs(root, remote, wanted)
    except TagError:
        there = None
    if there is not None and there.get(f"refs/tags/{tag_name}") == head:
        if there.get(f"refs/heads/{branch}") == head:
            print(f"  pushed {branch} and {tag_name} to {remote} (git reported: {exc.message})")
            return
    if there is not None and head not in there.values():
        undone = undo(
            root, saved, undo_all, f"the release commit {head[:12]} and tag {tag_name} are"
        )
        raise TagError(
            f"{exc.message}; {remote} has neither, so nothing was pushed; {undone}",
            "fix what git says (access rights? a protected branch?), then run the same "
            "command again",
        ) from None
    why = "could not tell what it holds" if there is None else "it holds part of them"
    raise TagError(
        f"{exc.message}; {why}, so the release commit {head[:12]} and tag {tag_name} are kept",
        f"run the same command again once {remote} is reachable: it pushes them instead of "
        f"bumping again (or by hand: git push --atomic {remote} HEAD:{branch} "
        f"refs/tags/{tag_name})",
    ) from None


def _push_unpushed_release(config: Config, current: str, *, dry_run: bool) -> bool:
    """``bump --push`` again after a push that failed (or after ``bump --tag``): when HEAD
    is the release commit of ``current`` (its subject says so and its tag is at HEAD) and the
    upstream lacks that tag, push the commit and the tag and bump nothing: a second bump
    would burn a version nobody saw. False when that is not the case."""
    root = config.root
    name = tag_for(current, git.new_tag_prefix(root, config.tag_prefix, current))
    head = git.head_commit(root)
    if head is None or gitwrite.commit_of(root, f"refs/tags/{name}") != head:
        return False
    if gitwrite.subject(root) != f"Release {current}":
        return False
    upstream = git.upstream(root)
    if upstream is None:
        return False  # the usual refusal says it
    remote, branch = upstream
    there = gitwrite.remote_refs(root, remote, [f"refs/heads/{branch}", f"refs/tags/{name}"])
    if f"refs/tags/{name}" in there:
        return False  # released and pushed: this bump is a new one
    _refuse_behind(root, there.get(f"refs/heads/{branch}"), remote, branch)
    print(
        f"{current} is committed and tagged {name} at HEAD ({head[:12]}) but {remote} has "
        "not got them: pushing them instead of bumping again"
    )
    if dry_run:
        print("  (dry run: nothing pushed)")
        return True
    gitwrite.push(root, remote, [f"HEAD:{branch}", f"refs/tags/{name}"])
    print(f"  pushed {branch} and {name} to {remote}")
    return True


def _refuse_behind(root: Path, theirs: str | None, remote: str, branch: str) -> None:
    """Refuse a push the remote would reject: its branch has commits this one lacks."""
    if theirs is not None and not gitwrite.is_ancestor(root, theirs):
        raise TagError(
            f"{remote}/{branch} has commits this branch lacks (it is at {theirs[:12]}); "
            "nothing was written",
            f"bring them in first (git pull {remote} {branch}), then bump again",
        )


def bump_specs(config: Config, part: str = "patch") -> tuple[CarrierSpec, ...]:
    """Where ``bump`` writes: ``version-files``, else where hatch's own version source says
    the version lives (``[tool.hatch.version] path``, as ``hatch version`` writes it), else
    pyproject.toml's static version."""
    if config.version_files:
        return config.version_files
    pyproject = load_pyproject(config.root)
    if not _dynamic_version(config.root):
        return (CarrierSpec("pyproject.toml"),)
    hatch = pyproject.get("tool", {}).get("hatch", {}).get("version", {})
    source = hatch.get("source", "regex") if isinstance(hatch, dict) else None
    if source == "regex" and isinstance(hatch.get("path"), str):
        pattern = hatch.get("pattern")
        return (CarrierSpec(hatch["path"], pattern if isinstance(pattern, str) else None),)
    vcs = vcs_source(pyproject)
    prefix = git.new_tag_prefix(config.root, config.tag_prefix)
    found = git.tag_prefix(config.root, config.tag_prefix) if vcs is not None else None
    last = git.last_release_tag(config.root, found) if vcs is not None else None
    try:
        tag = tag_for(bump(last.version, part), prefix) if last is not None else None
    except ReleasekitError:
        tag = None
    tag = tag or f"{'v' if prefix is None else prefix}<version>"
    hatch_said = isinstance(hatch, dict) and bool(hatch)
    what = (
        f"from git tags: {vcs.plugin}"
        if vcs is not None and not hatch_said
        else f"[tool.hatch.version] source = {source!r}"
    )
    raise ConfigError(
        f"{project_name(config.root)} has a dynamic version ({what}) and no "
        "[tool.releasekit] version-files to write it into",
        f"the version comes from git tags ({vcs.plugin}): tag the commit: `git tag {tag}`"
        if vcs is not None
        else f"with a VCS version source the tag is the version (`git tag {tag}`); "
        "otherwise list the files that carry the version in [tool.releasekit] version-files",
    )


def check_can_commit(
    root: Path,
    files: Iterable[Path],
    *,
    tag: str | None = None,
    push: bool = False,
    commit: str = "release commit",
    holds: str = "the version files (and the changelog) only",
    said: str = "",
) -> None:
    """Refuse, with nothing changed, what would make the commit, tag or push wrong: no
    commit yet, a detached HEAD, other dirty files than ``files`` (every file the bump writes
    or removes), a bad or taken tag, no upstream or one that is ahead, no git identity.

    ``commit`` and ``holds`` name the commit and what it holds in the refusals (the intent
    bump's is the "version commit"), ``said`` ends the dirty tree's."""
    gitwrite.require_commit(root)
    if git.current_branch(root) is None:
        raise TagError(
            f"HEAD is detached: the {commit} would belong to no branch",
            "check out the branch to release from (git switch main), then bump again",
        )
    ours = {Path(os.path.normpath(path.absolute())) for path in files}
    top = Path(git.toplevel(root) or str(root))
    others = [
        path for path in git.dirty_files(root)
        if Path(os.path.normpath(top / path)) not in ours
    ]  # fmt: skip
    if others:
        raise TagError(
            f"other tracked files have uncommitted changes: {', '.join(others[:5])}{said}",
            f"commit or stash them first: the {commit} holds {holds}",
        )
    if tag is not None and not gitwrite.valid_tag_name(root, tag):
        raise TagError(
            f"{tag!r} is not a valid git tag name (git check-ref-format refuses it); "
            "nothing was written",
            "a tag has no spaces, no '..', none of ~^:?*[\\ and no leading '-' or '.': "
            "fix [tool.releasekit] tag-prefix",
        )
    if tag is not None and git.tag_exists(root, tag):
        raise TagError(
            f"tag {tag} already exists", f"bump to another version, or delete it: git tag -d {tag}"
        )
    upstream = git.upstream(root) if push else None
    if push and upstream is None:
        raise TagError(
            "the current branch has no upstream to push to",
            "set one (git push --set-upstream origin <branch>) or leave out --push",
        )
    gitwrite.require_identity(root)
    if upstream is not None:  # the remote answers, lacks the tag, and takes a fast-forward
        remote, branch = upstream
        refs = [f"refs/heads/{branch}"] + ([f"refs/tags/{tag}"] if tag is not None else [])
        there = gitwrite.remote_refs(root, remote, refs)
        if tag is not None and f"refs/tags/{tag}" in there:
            raise TagError(
                f"{remote} already has tag {tag}; nothing was written",
                f"fetch it (git fetch {remote} --tags) and bump to another version",
            )
        _refuse_behind(root, there.get(f"refs/heads/{branch}"), remote, branch)


def _is_changed(root: Path, path: Path) -> bool:
    top = Path(git.toplevel(root) or str(root))
    return any(Path(os.path.normpath(top / p)) == path.absolute() for p in git.dirty_files(root))


def tag_message(changelog: Path | None, version: str) -> str:
    """The annotated tag's message: the version's changelog section, else a plain line."""
    from releasekit.project.changelog import release_notes

    notes = None
    if changelog is not None and changelog.is_file():
        notes = release_notes(changelog.read_text(encoding="utf-8"), version)
    return f"Release {version}\n\n{notes}\n" if notes else f"Release {version}\n"


def _dynamic_version(root: Path) -> bool:
    project = load_pyproject(root).get("project")
    return isinstance(project, dict) and "version" in (project.get("dynamic") or [])


def refuse_split_group(root: Path, written: Sequence[Path], new: str) -> None:
    """Before ``bump --tag`` writes anything: when the project at ``root`` shares its tag
    with other workspace members (their entries set one ``tag-prefix``), the tag will
    release them too, so each must be at ``new`` after the bump: a member whose version
    file is among ``written`` moves with it, any other stays where it is. A
    :class:`TagError` naming each member and version otherwise."""
    from releasekit.project.workspace import read_package_json, unequal_versions, workspace_of

    found = workspace_of(root)
    if found is None:
        return
    workspace, member = found
    group = workspace.tag_group(member)
    if len(group) < 2:
        return
    moved = {path.resolve() for path in written}
    versions = []
    for other in group:
        if other == member:
            versions.append((other, new))
            continue
        if other.kind == "npm":
            files = [other.path / "package.json"]
            current = str(read_package_json(other.path).get("version", ""))
        else:
            from releasekit.core import carriers
            from releasekit.core.config import load_config

            specs = bump_specs(load_config(other.path))
            files = [carriers.carrier_for(spec, other.path).path for spec in specs]
            current = carriers.read_all(specs, other.path)[0].version
        versions.append((other, new if any(f.resolve() in moved for f in files) else current))
    error = unequal_versions(versions)
    if error is not None:
        raise TagError(
            f"{error.message} after this bump; nothing was written",
            "bump them together: list the other members' version files in this member's "
            "version-files (the first stays the truth), or bump without --tag and tag once "
            "all are at one version",
        )

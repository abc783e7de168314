"""``releasekit yank VERSION --reason ...``: withdraw a version from every target it went to.

Nothing is deleted anywhere: each target withdraws the version as far as it can
(:meth:`~releasekit.targets.base.Target.withdraw`): an index has no API for it, so its yank
page is printed; npm deprecates the version; the GitHub release is marked ``[YANKED]``. In
a workspace the members at VERSION (or with a release tag for it, or ``--only``'s) are
withdrawn, each with its own targets. A member that fails is reported and the others go
on; the same command again finishes what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from releasekit.core import git
from releasekit.core.config import load_config
from releasekit.core.version import normalize, tag_for, try_normalize
from releasekit.engine.runcontext import Options, Project
from releasekit.errors import ConfigError, ReleasekitError
from releasekit.kinds import kind_of, member_project
from releasekit.project.identity import project_name
from releasekit.project.workspace import Workspace, find_workspace
from releasekit.targets import configure, target_kinds

__all__ = ["yank"]


def yank(root: Path, version: str, reason: str, only: Sequence[str]) -> int:
    """Withdraw ``version`` of the project at ``root`` (or of the workspace's members)."""
    workspace = find_workspace(root)
    if workspace is not None:
        return _yank_workspace(workspace, version, reason, only)
    if only:
        raise ConfigError(
            "--only selects members of a workspace; this project declares none",
            "run yank in the project to withdraw, or at the workspace's root",
        )
    here = Path(root).resolve()
    if (here / "package.json").is_file() and not (here / "pyproject.toml").is_file():
        raise ConfigError(
            f"{here.name} is an npm package: releasekit yanks it as a member of its workspace",
            f"run `releasekit yank {version} --reason ... --only PATH` at the workspace's "
            "root (where releasekit.toml is), PATH this directory",
        )
    config = load_config(root)
    normal = normalize(version)
    kind = kind_of("python")
    project = Project(
        config, project_name(config.root), config.root / kind.dist_name, kind, Options()
    )
    said = f' with the reason "{reason}"' if reason else ""
    print(
        f"yanking {project.name} {normal}{said}: nothing is deleted; installs that pin it "
        "still work"
    )
    _withdraw(project, normal, reason)
    return 0


def _withdraw(project: Project, version: str, reason: str) -> tuple[bool, list[tuple[str, str]]]:
    """Each target of ``project`` withdraws ``version``: whether any did, and what the
    others could only advise (what is missing, the hint)."""
    done, advised = False, []
    for target in configure(project, withdrawing=True):
        missing = target.withdraw(project.name, version, reason, print)
        if missing is None:
            done = True
        else:
            advised.append(missing)
    for kind in target_kinds():
        why = kind.absent(project)
        if why:
            print(why)
    return done, advised


def _yank_workspace(workspace: Workspace, version: str, reason: str, only: Sequence[str]) -> int:
    normal = normalize(version)
    chosen: list[tuple[Project, str]] = []  # each member and VERSION as it spells it
    for member in workspace.select(only):
        project = member_project(member, workspace, Options())
        kind = project.kind
        current = kind.current_version(project)
        at_version = try_normalize(current) == normal
        if only or at_version or git.tag_exists(member.path, tag_for(normal, member.tag_prefix)):
            chosen.append((project, kind.spell_version(current, version)))
    if not chosen:
        listed = ", ".join(m.rel for m in workspace.members)
        raise ReleasekitError(
            f"no member of the workspace in {workspace.source.name} is at {normal} or has a "
            "release tag for it",
            f"name the members to yank it of with --only PATH (members: {listed})",
        )
    if not reason.strip():
        for cls in target_kinds():
            needing = [p.label for p, _ in chosen if cls.empty_reason and cls.configure(p)]
            if needing and cls.empty_reason:
                raise ReleasekitError(
                    cls.empty_reason.format(members=", ".join(needing)),
                    'give one: --reason "broken: use the next version"',
                )
    said = f' with the reason "{reason}"' if reason else ""
    print(
        f"yanking {normal} of {', '.join(p.label for p, _ in chosen)}{said}: nothing is "
        "deleted; installs that pin it still work"
    )
    done, advised, failed = 0, [], []
    for project, spelled in chosen:
        print(f"{project.label}: {project.kind.spelled(project, spelled)}")
        try:
            withdrawn, missing = _withdraw(project, spelled, reason)
        except ReleasekitError as exc:
            print(f"  failed: {exc.message}")
            if exc.hint:
                print(f"  hint: {exc.hint}")
            failed.append(project.label)
            continue
        if withdrawn:
            done += 1
        elif missing:
            advised.append((project.label, missing))
    if failed:
        raise ReleasekitError(
            f"yanking {normal} failed for {', '.join(failed)}"
            + (f" (done for {done} other member(s))" if done else ""),
            "fix the cause printed under each, then run the same command again: what is "
            "done already stays done",
        )
    if not done:
        (why, hint) = advised[0][1][0]
        raise ReleasekitError(
            f"nothing was yanked: {why} {normal} of {', '.join(label for label, _ in advised)}",
            hint,
        )
    return 0

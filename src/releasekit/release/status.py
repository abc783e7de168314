"""What of a release of one version is where, read at once, and finishing it: the reading
and the ``--finish`` of ``releasekit status`` (:mod:`releasekit.cli.status` prints them).

:meth:`ReleaseStatus.open` finds the projects (the project, or each member of a workspace,
or the one project a build job's artifact carries), each with its version, the build of it
in ``dist/`` and every target the release configures (:func:`releasekit.targets.configure`,
the same list ``nox -s release`` writes). :meth:`ReleaseStatus.read` reads them all at the
same time: the release tag here and on the remote (``git ls-remote``, with the timeout
``bump --push`` uses), each target by :meth:`~releasekit.targets.base.Target.observe`
(without credentials where the target serves reads anonymously) and the journal;
:mod:`releasekit.engine.status` turns the readings into a verdict per project.

:meth:`ReleaseStatus.finishing` says what ``--finish`` can complete now and, for the rest,
the command that will (no build of the version in ``dist/``, a tag not on the remote, a
file with other bytes); :meth:`ReleaseStatus.finish` runs the release's own steps
(:class:`~releasekit.release.Release`: the plan, the same bytes from ``dist/`` checked
against the manifest, each file journaled, the target read until it serves them, the
install from it) for exactly the stages that miss something.
:meth:`ReleaseStatus.rebuild` is ``--rebuild``: each project's kind builds the version
again from its tag and compares it with what the prod index serves.

Nothing here prints: lines go to the caller's log, verdicts and reports are returned.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from releasekit.core import git
from releasekit.core.version import tag_for, try_normalize
from releasekit.engine.journal import Journal
from releasekit.engine.manifest import Manifest
from releasekit.engine.policy import Verdict, decide
from releasekit.engine.records import HANDOFF_NAME, MANIFEST_NAME
from releasekit.engine.remote import Stage
from releasekit.engine.runcontext import Options, Project
from releasekit.engine.status import ProjectStatus, TagReading, TargetReading, assess
from releasekit.errors import ConfigError, ReleasekitError, VersionError
from releasekit.targets import configure

if TYPE_CHECKING:
    from releasekit.engine.runcontext import Console
    from releasekit.kinds.python.rebuild import RebuildReport
    from releasekit.project.workspace import Workspace
    from releasekit.targets.base import Target

__all__ = ["Finishing", "ReleaseStatus", "StatusScope"]

# the stages --finish writes, in release order, and the step each is
_STEPS = {Stage.TEST: "publish-test", Stage.PROD: "publish", Stage.AFTER_PROD: "github-release"}


@dataclass(frozen=True)
class StatusScope:
    """Which release is asked about: the directory (a project, a workspace, or a build
    job's artifact under ``dist``), the version (``None``: the build in ``dist/``, else the
    project's current version), a workspace's members (``only``) and the build's
    directory (``dist``)."""

    root: Path
    version: str | None = None
    only: Sequence[str] = ()
    dist: Path | None = None


@dataclass
class _Subject:
    """One project to report on, and what is known of it before the targets are read."""

    project: Project
    version: str
    manifest: Manifest | None
    targets: list[Target]
    git_root: Path | None  # None: no git repository (an artifact's directory)
    note: str | None = None  # why the build in dist/ is not used


@dataclass(frozen=True)
class Finishing:
    """What ``--finish`` does with a reading: the projects it completes now (each with its
    status, whose ``unfinished`` stages are the ones written) and, for each of the others,
    one line naming the command that will."""

    runnable: list[tuple[_Subject, ProjectStatus]] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)


class ReleaseStatus:
    """The projects of one ``releasekit status``, ready to be read (again, after
    ``--finish``), finished or rebuilt."""

    def __init__(
        self,
        scope: StatusScope,
        subjects: list[_Subject],
        workspace: Workspace | None,
        artifact: bool,
    ) -> None:
        self.scope = scope
        self.subjects = subjects
        self.workspace = workspace
        self.artifact = artifact  # a build job's artifact (no checkout)

    @classmethod
    def open(cls, scope: StatusScope) -> ReleaseStatus:
        """The projects of ``scope.root`` (a workspace's members, ``only``'s), each with its
        version, its build (when ``dist/`` holds one of that version) and its targets.
        Bad input (no such directory, a VERSION that is no version, ``only`` outside a
        workspace) raises :class:`ReleasekitError` before anything is read."""
        subjects, workspace, artifact = _subjects(scope)
        return cls(scope, subjects, workspace, artifact)

    @property
    def notes(self) -> list[str]:
        """Why a build in ``dist/`` is not the one compared (another version, another
        project), one line each."""
        return [s.note for s in self.subjects if s.note]

    def read(self) -> list[ProjectStatus]:
        """Every target of every project and every tag, read at the same time (each answer
        is a network round trip or a git process: together they take as long as the
        slowest), each project's readings judged."""
        return _read_all(self.subjects)

    def finishing(self, statuses: Sequence[ProjectStatus]) -> Finishing:
        """What ``--finish`` completes of ``statuses`` (this reading's), and what not."""
        runnable, advice = _finishable(statuses, self.subjects)
        return Finishing(runnable, advice)

    def finish(self, finishing: Finishing, console: Console, *, yes: bool) -> None:
        """The release's own steps for the stages each runnable project misses: the plan of
        every target first (refusing before anything is written), then each stage in
        release order; ``yes``: no question before a real upload."""
        if finishing.runnable:
            _finish(self, finishing.runnable, console, yes)

    def rebuild(self, log: Callable[[str], None]) -> list[RebuildReport]:
        """``--rebuild``: each project's version built again from its release tag by its
        kind and compared with what the prod index serves; a project whose kind does not
        rebuild is said so on ``log`` (as is the build's progress)."""
        reports: list[RebuildReport] = []
        for subject in self.subjects:
            project = subject.project
            report = project.kind.rebuild_from_tag(project, subject.version, log)
            if isinstance(report, str):
                log(f"{project.label}: {report}")
            else:
                reports.append(report)
        return reports


# -- what to read ------------------------------------------------------------------------------


def _subjects(scope: StatusScope) -> tuple[list[_Subject], Workspace | None, bool]:
    """The projects of ``scope.root`` (a workspace's members, ``--only``'s), each with its
    version, its build (when ``dist/`` holds one of that version) and its targets; and
    whether they come from a build's artifact (no checkout)."""
    from releasekit.core.config import load_pyproject, validate_project
    from releasekit.kinds import kind_of, member_project
    from releasekit.project.identity import project_name
    from releasekit.project.workspace import find_workspace

    root = scope.root
    if scope.version is not None and try_normalize(scope.version) is None:
        raise VersionError(
            f"VERSION {scope.version!r} is not a version",
            "name a released version, e.g. `releasekit status 1.2.0`, or leave it out for "
            "the build in dist/ (else the project's current version)",
        )
    if not root.is_dir():
        raise ConfigError(
            f"-C {root}: {'not a directory' if root.exists() else 'no such directory'}",
            "point -C at the project's directory",
        )
    root = root.resolve()  # the release's steps (a smoke venv's paths) need it whole
    dist = scope.dist
    if dist is not None and not dist.is_dir():
        raise ConfigError(
            f"--dist {dist}: {'not a directory' if dist.exists() else 'no such directory'}",
            "point --dist at the directory the build wrote (releasekit-manifest.json)",
        )
    artifact_dir = dist if dist is not None else root / "dist"
    if not (root / "pyproject.toml").is_file() and (artifact_dir / HANDOFF_NAME).is_file():
        if scope.only:
            raise ConfigError(
                "--only selects members of a workspace; an artifact holds one project",
                "leave out --only, or run status at the workspace's root",
            )
        return [_artifact_subject(artifact_dir.resolve(), scope.version)], None, True
    workspace = find_workspace(root)
    if workspace is not None:
        if dist is not None:
            raise ConfigError(
                "--dist is for a single project; a workspace builds each member into its "
                "own directory",
                "leave out --dist, or run status in the member's directory",
            )
        projects = [member_project(m, workspace, Options()) for m in workspace.select(scope.only)]
    else:
        if scope.only:
            raise ConfigError(
                "--only selects members of a workspace; this project declares none",
                'list them in [tool.releasekit] members = ["packages/core", ...]',
            )
        config = validate_project(load_pyproject(root), root)
        kind = kind_of("python")
        dist_dir = (dist or config.root / kind.dist_name).resolve()
        projects = [Project(config, project_name(config.root), dist_dir, kind, Options(dist=dist))]
    return [_subject(p, scope.version) for p in projects], workspace, False


def _subject(project: Project, asked: str | None) -> _Subject:
    manifest, note = _build_of(project.dist_dir, project.name)
    kind = project.kind
    if asked is not None:  # npm spells a version its own way: as its package.json does
        version = kind.asked_version(project, asked)
    elif manifest is not None:
        version = manifest.version
    else:
        version = kind.current_version(project)
        if not version:
            raise ReleasekitError(
                f"{project.label}: no build in {project.dist_dir} and no version to be read",
                "name the version: releasekit status VERSION",
            )
    manifest, note = _build_of_version(manifest, note, version, project.dist_dir)
    root = project.root if git.is_repository(project.root) else None
    return _Subject(
        project, kind.normalize_version(version), manifest, configure(project), root, note
    )


def _artifact_subject(dist_dir: Path, asked: str | None) -> _Subject:
    """A build job's artifact (no checkout): the project as the artifact carries it."""
    import atexit

    from releasekit.engine.handoff import Handoff
    from releasekit.kinds import kind_of

    handoff = Handoff.load(dist_dir)
    scratch = Path(tempfile.mkdtemp(prefix="releasekit-status-"))
    atexit.register(shutil.rmtree, scratch, True)
    config = handoff.unpack(scratch)
    kind = kind_of(handoff.kind)
    project = Project(
        config, handoff.name, dist_dir, kind, Options(dist=dist_dir), registry=handoff.npm_registry
    )
    manifest, note = _build_of(dist_dir, handoff.name)
    version = asked or (manifest.version if manifest is not None else "")
    if not version:
        raise ReleasekitError(
            f"{dist_dir} holds no build ({MANIFEST_NAME}) to take the version from",
            "name the version: releasekit status VERSION --dist DIR",
        )
    manifest, note = _build_of_version(manifest, note, version, dist_dir)
    return _Subject(
        project, kind.normalize_version(version), manifest, configure(project), None, note
    )


def _build_of_version(
    manifest: Manifest | None, note: str | None, version: str, dist_dir: Path
) -> tuple[Manifest | None, str | None]:
    """The build in ``dist_dir`` when it is of ``version``; else none, and the note why."""
    if manifest is not None and try_normalize(manifest.version) != try_normalize(version):
        return None, f"{dist_dir.name}/ holds the build of {manifest.version}, not {version}"
    return manifest, note


def _build_of(dist_dir: Path, name: str) -> tuple[Manifest | None, str | None]:
    """The build in ``dist_dir``, if there is one of ``name``; an unreadable manifest is
    an error (what it says cannot be guessed), a missing one is no build."""
    if not (dist_dir / MANIFEST_NAME).is_file():
        return None, None
    manifest = Manifest.load(dist_dir)
    if manifest.name != name and try_normalize(manifest.name) != try_normalize(name):
        from packaging.utils import canonicalize_name

        if canonicalize_name(manifest.name) != canonicalize_name(name):
            return None, f"{dist_dir.name}/ holds a build of {manifest.name}"
    return manifest, None


# -- reading, all at once ----------------------------------------------------------------------


def _read_all(subjects: Sequence[_Subject]) -> list[ProjectStatus]:
    """Every target of every subject and every tag, read at the same time (each answer is
    a network round trip or a git process: together they take as long as the slowest)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        tags = [pool.submit(_tag_of, s) for s in subjects]
        reads = [[pool.submit(_observe, s, t) for t in s.targets] for s in subjects]
        statuses = []
        for subject, tag, targets in zip(subjects, tags, reads):
            tag_reading = tag.result()
            readings = [_reading(subject, t, f.result()) for t, f in zip(subject.targets, targets)]
            project = subject.project
            statuses.append(
                assess(
                    label=project.label,
                    name=project.name,
                    version=subject.version,
                    manifest=subject.manifest,
                    tag=tag_reading,
                    targets=readings,
                    journal=Journal.read(project.dist_dir),
                    also=project.kind.status_notes(project, readings),
                )
            )
    return statuses


def _observe(subject: _Subject, target: Target) -> tuple[object, str | None]:
    """What ``target`` says, or one line on why it cannot be read (never a traceback)."""
    try:
        return target.observe(subject.project.name, subject.version, subject.manifest), None
    except ReleasekitError as exc:
        return None, exc.message
    except Exception as exc:  # a target's own bug must not hide the other targets
        return None, f"{type(exc).__name__}: {exc}"


def _reading(subject: _Subject, target: Target, result: tuple[object, str | None]) -> TargetReading:
    from releasekit.engine.status import Observed

    observed, error = result
    # the tag is judged on its own line: here, whether this version goes to the target at
    # all (a dev or local version never reaches prod; a pre-release may stay on test)
    decision = decide(
        target.stage,
        subject.version,
        tagged=True,
        rehearse=False,
        pre_release=subject.project.config.pre_release,
    )
    # what installers fetch from the target is the project's own format (an index's
    # distributions, a registry's tarball); a GitHub release's assets install from nowhere
    serves = subject.project.kind.format if target.install_source() is not None else None
    return TargetReading(
        name=target.name,
        noun=target.noun,
        url=target.url,
        stage=target.stage,
        observed=observed if isinstance(observed, Observed) else None,
        error=error,
        required=decision.verdict is Verdict.PUBLISH,
        skipped="" if decision.verdict is Verdict.PUBLISH else decision.reason,
        serves=serves,
    )


def _tag_of(subject: _Subject) -> TagReading | None:
    """The release tag of the version here and on the remote; ``None`` without git."""
    from releasekit.core import gitwrite

    root = subject.git_root
    if root is None:
        return None
    project = subject.project
    manifest = subject.manifest
    name = manifest.tag if manifest is not None and manifest.tag else None
    if name is None:
        name = git.release_tag_named(root, project.tag_prefix, _pep440(subject))
    if name is None:
        name = tag_for(_pep440(subject), project.new_tag_prefix)
    commit = gitwrite.commit_of(root, f"refs/tags/{name}")
    remote = _remote(root)
    remote_commit = error = None
    if remote is not None:
        ref = f"refs/tags/{name}"
        try:
            remote_commit = gitwrite.remote_refs(root, remote, [ref]).get(ref)
        except ReleasekitError as exc:
            error = exc.message.replace("; nothing was written", "")
    return TagReading(
        name=name,
        commit=commit,
        remote=remote,
        remote_commit=remote_commit,
        remote_error=error,
        build_commit=manifest.commit if manifest is not None else None,
    )


def _pep440(subject: _Subject) -> str:
    """The version in PEP 440's normal form, in which release tags are matched and named."""
    return try_normalize(subject.version) or subject.version


def _remote(root: Path) -> str | None:
    """The remote a release tag is pushed to: the branch's upstream's, else ``origin``,
    else the only one."""
    upstream = git.upstream(root)
    if upstream is not None:
        return upstream[0]
    remotes = (git.ask(root, "remote") or "").split()
    if "origin" in remotes:
        return "origin"
    return remotes[0] if len(remotes) == 1 else None


# -- finishing ---------------------------------------------------------------------------------


def _finishable(
    statuses: Sequence[ProjectStatus], subjects: Sequence[_Subject]
) -> tuple[list[tuple[_Subject, ProjectStatus]], list[str]]:
    """The projects ``--finish`` completes now, and for the others the command that will."""
    runnable: list[tuple[_Subject, ProjectStatus]] = []
    advice: list[str] = []
    for subject, found in zip(subjects, statuses):
        if found.complete:
            continue
        who = f"{found.label} {found.version}"
        tag = found.tag
        if found.blocked:
            advice.append(
                f"cannot finish {who}: {'; '.join(found.blocked)}: a published file can't be "
                "replaced; see `releasekit status` above, and `releasekit yank` to withdraw"
            )
            continue
        if found.awaiting and not found.unfinished and not found.disagreements:
            advice.append(  # staged: a human's approval, never releasekit's, publishes it
                f"to finish {who}: a maintainer approves it (with 2FA): "
                + "; ".join(found.awaiting)
            )
            continue
        if not found.unfinished:
            if tag is not None and tag.remote_error is not None:
                advice.append(_unread_remote(who, tag, found.version))
            elif tag is not None and tag.commit is not None and tag.remote and not tag.pushed:
                advice.append(f"to finish {who}: git push {tag.remote} {tag.name}")
            else:
                advice.append(f"cannot finish {who} by publishing: see what disagrees above")
            continue
        # the tag is needed where a tagged build is (prod and what follows it), as assess
        # judges: a dev or test-only version goes to the test index without one
        if tag is not None and any(stage is not Stage.TEST for stage in found.unfinished):
            said = _tag_advice(who, tag, found.version)
            if said is not None:
                advice.append(said)
                continue
        if subject.manifest is None:
            where = subject.project.dist_dir
            advice.append(
                f"to finish {who}: {where} holds no build of it; build the tag's files "
                f"(git checkout {tag.name if tag else found.version} && nox -s build), or "
                f"download the build job's artifact into {where.name}/, then releasekit "
                f"status {found.version} --finish"
            )
            continue
        runnable.append((subject, found))
    return runnable, advice


def _tag_advice(who: str, tag: TagReading, version: str) -> str | None:
    """What must happen to the tag before ``--finish`` can publish to prod (``None``:
    nothing): made, pushed, or the remote read."""
    if tag.commit is None:
        at = f" {tag.build_commit}" if tag.build_commit else ""
        return (
            f"to finish {who}: tag the build's commit first: git tag {tag.name}{at} "
            f"&& git push {tag.remote or 'origin'} {tag.name}, then releasekit status "
            f"{version} --finish"
        )
    if tag.remote_error is not None:
        return _unread_remote(who, tag, version)
    if tag.remote and tag.remote_commit is None:
        return (
            f"to finish {who}: push the tag first (a GitHub release of a tag the remote "
            f"lacks would make one): git push {tag.remote} {tag.name}, then releasekit "
            f"status {version} --finish"
        )
    return None


def _unread_remote(who: str, tag: TagReading, version: str) -> str:
    """A remote that did not answer is not a remote without the tag: say which, and why."""
    return (
        f"cannot finish {who}: {tag.remote} could not be read ({tag.remote_error}), so "
        f"whether it has tag {tag.name} is unknown; check the remote (git ls-remote "
        f"{tag.remote} refs/tags/{tag.name}), then releasekit status {version} --finish"
    )


def _finish(
    status: ReleaseStatus,
    runnable: Sequence[tuple[_Subject, ProjectStatus]],
    console: Console,
    yes: bool,
) -> None:
    """The release's own steps, for the stages each project misses: the plan of every target
    first (refusing before anything is written), then each stage in release order."""
    from releasekit.release import Release

    stages = [s for s in _STEPS if any(s in found.unfinished for _, found in runnable)]
    names = ", ".join(f"{found.label}: {', '.join(_STEPS[s] for s in found.unfinished)}"
                      for _, found in runnable)  # fmt: skip
    console.log(f"finishing {names}")
    # the session whose stages are these (publish-test: the test stage alone), so the plan
    # judges only them: a dev version finished on the test index is no refused prod upload
    session = _STEPS[stages[-1]]
    scope = status.scope
    if status.artifact:
        subject = runnable[0][0]
        release = Release.from_artifact(console, [subject.project.dist_dir], session, yes=yes)
    else:
        posargs = ["--yes"] if yes else []
        if status.workspace is not None:
            for subject, _ in runnable:
                assert subject.project.member is not None
                posargs += ["--only", subject.project.member.rel]
        elif scope.dist is not None:
            posargs += ["--dist", str(scope.dist.resolve())]
        root = scope.root.resolve()
        release = Release.open(console, posargs, root, "release", requested=[session])
    needs = {found.label: found.unfinished for _, found in runnable}
    step, running = "publish-test", release
    try:
        release.plan_all()  # every stage of every project judged before the first write
        for stage in stages:
            step = _STEPS[stage]
            chosen = [p for p in release.projects if stage in needs.get(p.label, ())]
            running = Release(
                console, release.options, chosen, workspace=release.workspace,
                requested=[session], tools=release.tools_cache,
            )  # fmt: skip
            if stage is Stage.TEST:
                running.publish_test()
            elif stage is Stage.PROD:
                running.publish()
            else:
                running.github_release()
    except ReleasekitError:
        for project, line in running.after_failure(step):
            running.log(project, line)
        raise

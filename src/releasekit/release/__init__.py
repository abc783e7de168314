"""The release, step by step, without nox: check, build, smoke-install, publish, summary.

A :class:`Release` is one run's projects (the single project, or the workspace members it
releases, in release order), each with its kind (:mod:`releasekit.kinds`) and its targets
(:mod:`releasekit.targets`), and a :class:`~releasekit.engine.runcontext.Console` to speak
through. The nox sessions (:mod:`releasekit.sessions`) only make a console of a nox session
and call one step; the tests call the steps with fake consoles, kinds and targets.

The steps keep the release's promises:

- **one plan before anything irreversible**: ``publish_test`` reads and judges every target
  of every project that this run will write (the test and prod indexes, an npm registry, a
  GitHub release) before the first upload; a refusal anywhere lists every problem at once
  and stops everything;
- **the same bytes everywhere**: each target gets the manifest's files, verified again;
- **a journal that tells the truth**: each target journals each file as it lands, keyed by
  the target's URL, so a rerun does only what is missing and a rehearsal never counts for
  a real index;
- **judged again right before writing**: prod (and what comes after it) is read again
  before its upload, and a refusal then says what earlier steps already put out.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

from releasekit.core import git
from releasekit.core.config import load_pyproject, validate_project
from releasekit.engine.handoff import Handoff
from releasekit.engine.journal import Journal, current_run_id
from releasekit.engine.manifest import Manifest
from releasekit.engine.plan import ReleasePlan, TargetPlan, make_plan, new_project_refusals
from releasekit.engine.playbook import playbook
from releasekit.engine.policy import Verdict, decide
from releasekit.engine.records import PublishRecord, StepTimes
from releasekit.engine.remote import Holding, PackageFormat, conflict_message, file_state
from releasekit.engine.runcontext import Console, Options, Project, ToolsCache, parse_options
from releasekit.engine.summary import project_summary
from releasekit.errors import BuildError, PublishError, ReleasekitError
from releasekit.kinds import (
    kind_of,
    refuse_shared_names,
    refuse_unequal_tag_groups,
    released_members,
)
from releasekit.project.identity import project_name
from releasekit.project.workspace import Workspace, find_workspace
from releasekit.runtime import lock, proc, tool_locks, venvs
from releasekit.targets import configure
from releasekit.targets.base import PublishRun, Stage, Target

__all__ = ["PUBLISHING", "TOOLS", "Release"]

# What the tools venv holds (twine, and build for where uv is missing), from releasekit's lock:
# exact versions and hashes, never resolved from the user's installer configuration.
TOOLS = tool_locks.TOOLS
PUBLISHING = ("publish-test", "publish", "github-release", "verify-install")
# The stages a nox run writes, by the sessions it was asked for: a run that goes on to prod
# is judged on prod (and on what follows it) before the first upload.
_STAGES_OF = (
    (("release", "github-release"), (Stage.TEST, Stage.PROD, Stage.AFTER_PROD)),
    (("publish",), (Stage.TEST, Stage.PROD)),
)


class Release:
    """One nox run's release. Made by :meth:`open` for each session."""

    def __init__(
        self,
        console: Console,
        options: Options,
        projects: Sequence[Project],
        *,
        workspace: Workspace | None = None,
        requested: Sequence[str] = (),
        noxfile: Path | None = None,
        tools: ToolsCache | None = None,
    ) -> None:
        self.console = console
        self.options = options
        self.projects = list(projects)
        self.workspace = workspace
        self.requested = list(requested)
        self.noxfile = noxfile
        self.tools_cache = tools or ToolsCache()
        self.current: Project | None = None
        self._targets: dict[int, list[Target]] = {}
        self._checked: dict[int, str] = {}  # the version check found, by id of the project

    # -- making one ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        console: Console,
        posargs: Sequence[str],
        cwd: Path,
        step: str,
        *,
        requested: Sequence[str] = (),
        noxfile: Path | None = None,
        tools: ToolsCache | None = None,
    ) -> Release:
        """The projects of this run, with the release lock held for the whole process."""
        options = parse_options(posargs)
        workspace = find_workspace(cwd)
        if workspace is None:
            if options.only:
                raise ReleasekitError(
                    "--only selects members of a workspace; this project declares none",
                    'list them in [tool.releasekit] members = ["packages/core", ...]',
                )
            config = validate_project(load_pyproject(cwd), cwd)
            dist_dir = (options.dist or config.root / "dist").resolve()
            kind = kind_of("python")
            projects = [Project(config, project_name(config.root), dist_dir, kind, options)]
        else:
            projects = released_members(console.log, options, workspace, step)
        release = cls(
            console, options, projects, workspace=workspace, requested=requested,
            noxfile=noxfile, tools=tools,
        )  # fmt: skip
        # one release at a time per project, held for the whole nox process (all sessions)
        lock.hold(projects[0].state_dir, lock.command_line())
        return release

    @classmethod
    def from_artifact(
        cls,
        console: Console,
        dist_dirs: Sequence[Path],
        step: str,
        *,
        yes: bool = False,
        dry_run: bool = False,
        tools: ToolsCache | None = None,
    ) -> Release:
        """The release of the built files in ``dist_dirs`` alone (a workspace's members in
        release order): for the CI jobs that hold publishing credentials and so must run no
        project code (PyPA's trust model).

        Everything comes from the artifact: the files, the manifest their digests are checked
        against, and what publishing needs of the project (:mod:`releasekit.engine.handoff`).
        No checkout, no pyproject.toml, no noxfile, no build backend, no git; and no install
        from the index either (that runs the project's code): ``verify-install`` does it in
        a job without credentials.
        """
        # each project's directory stands in a temporary one: only what publishing reads is
        # there (the changelog, for the GitHub release's notes), and the tools venv
        scratch = Path(tempfile.mkdtemp(prefix="releasekit-publish-"))
        atexit.register(shutil.rmtree, scratch, True)
        projects: list[Project] = []
        for number, given in enumerate(dist_dirs):
            if not given.is_dir():
                what = "not a directory" if given.exists() else "no such directory"
                raise ReleasekitError(
                    f"--dist {given}: {what}",
                    "download the build job's artifact there first (actions/download-artifact)",
                )
            dist_dir = given.resolve()
            handoff = Handoff.load(dist_dir)
            manifest = Manifest.load(dist_dir)
            if manifest.name != handoff.name:
                raise BuildError(
                    f"{dist_dir} holds files of {manifest.name} but the project file of "
                    f"{handoff.name}",
                    "download one build job's whole artifact into an empty directory",
                )
            options = Options(yes=yes, dry_run=dry_run, dist=dist_dir, installs=False)
            config = handoff.unpack(scratch / str(number))
            kind = kind_of(handoff.kind)
            projects.append(
                Project(
                    config,
                    handoff.name,
                    dist_dir,
                    kind,
                    options,
                    registry=handoff.npm_registry,
                    npm_settings=handoff.npm,
                )
            )
        refuse_shared_names(projects)
        release = cls(console, projects[0].options, projects, requested=[step], tools=tools)
        lock.hold(scratch, lock.command_line())
        return release

    # -- speaking ------------------------------------------------------------------------------

    def log(self, project: Project | None, message: str) -> None:
        self.console.log(_prefixed(project, message))

    def warn(self, project: Project | None, message: str) -> None:
        self.console.warn(_prefixed(project, message))

    def logger(self, project: Project) -> Callable[[str], None]:
        return lambda message: self.log(project, message)

    # -- what every step shares ----------------------------------------------------------------

    def each(self, step: str, action: Callable[[Project], None]) -> None:
        """``action`` for each project in release order; the first failure stops the rest."""
        for project in self.projects:
            self.current = project
            started = time.monotonic()
            action(project)
            StepTimes(project.dist_dir).record(
                step, time.monotonic() - started, fresh=step == "check"
            )
        self.current = None

    def tools(self, project: Project) -> list[str]:
        """The interpreter of the tools virtualenv: twine and build from releasekit's lock
        (:mod:`releasekit.runtime.tool_locks`), pypi-attestations too when uploads sign.

        Installed from PyPI or ``tools-index`` alone, every hash checked, the user's
        installer configuration ignored: these tools run with the upload credentials. The
        venv is shared by every project while the lock is the same (under the user cache
        dir); found once per nox process: on a nox that runs on Python 3.9 the lookup of a
        newer Python (twine 7 needs 3.10) costs a second, and the sessions share it.
        """
        cache = self.tools_cache
        with cache.lock:  # check may be making it in the background
            from releasekit.targets.pypi import signs

            # signing runs next to twine, never in nox's env
            locked = tool_locks.TOOLS_ATTESTATIONS if signs(project) else TOOLS
            index = project.config.tools_index
            key = (project.state_dir, (locked.name, index or ""))  # members may differ
            if key not in cache.made:
                python, why = venvs.tools_python(cache.python)
                if python != sys.executable:
                    self.log(project, why)
                venv = venvs.ensure_locked(
                    locked, python, index=index, log=self.logger(project),
                    name=f"the tools venv ({locked.what})",
                )  # fmt: skip
                cache.made[key] = [str(venv.python)]
            return cache.made[key]

    def targets(self, project: Project) -> list[Target]:
        """Where ``project`` goes, by stage: its configured targets, or in a rehearsal their
        local stand-ins (started on first use, shared by the sessions of this process)."""
        key = id(project)
        if key not in self._targets:
            targets = configure(project)
            if self.options.rehearse:
                targets = [t.stand_in(project, self.logger(project)) for t in targets]
            self._targets[key] = targets
        return self._targets[key]

    def stages(self) -> tuple[Stage, ...]:
        """The stages this nox run writes (see :data:`_STAGES_OF`)."""
        for sessions, stages in _STAGES_OF:
            if set(sessions) & set(self.requested):
                return stages
        return (Stage.TEST,)

    def needed_by(self, project: Project) -> list[Project]:
        """The projects released before ``project`` in this run that it depends on, of its
        own kind (a Python requirement, an npm dependency)."""
        needs = project.member.requires if project.member is not None else frozenset()
        return [
            other
            for other in self.projects[: self.projects.index(project)]
            if other.member is not None
            and other.kind is project.kind
            and other.member.name in needs
        ]

    def already_out(self) -> str:
        """What this run put out so far, from the journals of its projects (``""``: nothing)."""
        counts: Counter[str] = Counter()
        run = current_run_id()
        for project in self.projects:
            for entry in Journal.read(project.dist_dir):
                if entry.run == run:
                    counts[entry.target] += 1
        return ", ".join(f"{n} file(s) on {target}" for target, n in counts.items())

    # -- check ---------------------------------------------------------------------------------

    def check(self) -> None:
        """Config, clean tree, tag == version, changelog, what the targets hold, the
        project's own checks."""
        refuse_shared_names(self.projects)
        if {"build", "release"} & set(self.requested):
            # the build needs the tools venv: made (or found) while the checks run
            first = self.projects[0]
            threading.Thread(target=_quietly(lambda: self.tools(first)), daemon=True).start()
        self._refuse_shared_per_tag_targets()
        self.each("check", self._check)
        refuse_unequal_tag_groups(self.projects, self._checked)

    def _refuse_shared_per_tag_targets(self) -> None:
        """Members released by one tag cannot each write a target that exists once per
        tag (a GitHub release): the second would find the first's release of that tag."""
        from releasekit.project.workspace import tag_groups

        if self.workspace is None:
            return
        for group in tag_groups(self.workspace.members):
            seen: dict[tuple[type, str], Project] = {}
            for project in (p for p in self.projects if p.member in group):
                for target in configure(project):
                    if not target.per_tag:
                        continue
                    first = seen.setdefault((type(target), target.url), project)
                    if first is not project:
                        raise ReleasekitError(
                            f"{first.label} and {project.label} are released by one tag "
                            f"{(project.member.tag_prefix if project.member else None) or 'v'}"
                            "<version> "
                            f"and both write its {target.name} {target.noun} ({target.url})",
                            f"a tag has one {target.name} {target.noun}: keep it for one of "
                            "them (github-release = false in the others' pyproject.toml)",
                        )

    def _check(self, project: Project) -> None:
        version = project.kind.check(project, self)
        self._checked[id(project)] = version
        self._check_changelog(project, version)
        configured = configure(project)
        if self.options.rehearse:  # the stand-ins start while the build runs; the plan reads them
            warmed = set()
            for kind in dict.fromkeys(type(t) for t in configured):
                said = kind.warm_up(project)
                if said:
                    self.log(project, said)
                    warmed.add(kind)
            for target in configured:
                if type(target) not in warmed:  # no background start: start and read it now
                    self._preview(project, target.stand_in(project, self.logger(project)), version)
        else:
            for target in configured:
                judged = decide(
                    target.stage, version, tagged=True, rehearse=True,
                    pre_release=project.config.pre_release,
                )  # fmt: skip
                if judged.verdict is not Verdict.SKIP:
                    self._preview(project, target, version)
        self._run_check_sessions(project)
        for command in project.config.check_commands:
            self.log(
                project, f"check-commands: {command}  (nox's environment, without credentials)"
            )
            self.console.run(proc.split_command(command, "check-commands"), cwd=project.root)

    def _preview(self, project: Project, target: Target, version: str) -> None:
        line = target.preview(project.name, version)
        if line:
            self.log(project, line)

    def _check_changelog(self, project: Project, version: str) -> None:
        changelog_path = project.config.changelog_path()
        if changelog_path is not None:
            from releasekit.project.changelog import check_changelog

            try:
                found = check_changelog(changelog_path, version)
            except ReleasekitError as exc:
                guessed = project.next_version  # a patch bump: no section is expected yet
                if guessed is None or not guessed.guessed or guessed.version != version:
                    raise
                self.warn(project, f"{exc.message}: the release at its tag will need one")
                return
            self.log(project, f"{changelog_path.name}: {found}")
        elif project.config.changelog is False:
            self.log(project, "changelog check off ([tool.releasekit] changelog = false)")
        else:
            self.log(project, "no changelog (set [tool.releasekit] changelog to check one)")

    def _run_check_sessions(self, project: Project) -> None:
        """Run the project's own nox sessions (``check-sessions``) in a child nox process.

        A child process rather than ``requires=``: the options after ``--`` (``--rehearse``)
        are the release's, and nox would hand them to the user's test sessions too, where
        pytest would refuse them. Parametrized sessions run for every Python they declare.
        """
        sessions = project.config.check_sessions
        if not sessions:
            return
        path = (self.noxfile or project.root / "noxfile.py").resolve()
        if project.member is not None:  # a workspace member's own sessions are in its own noxfile
            path = project.root / "noxfile.py"
        argv = [sys.executable, "-m", "nox", "--noxfile", str(path), "--session", *sessions]
        self.log(project, f"check-sessions: $ nox --noxfile {path.name} -s {' '.join(sessions)}")
        started = time.monotonic()
        code = subprocess.run(
            argv, cwd=path.parent, check=False, stdin=subprocess.DEVNULL, env=proc.child_env(),
            start_new_session=os.name == "posix",  # a stop reaches it as SIGTERM, not SIGKILL
        ).returncode  # fmt: skip
        if code != 0:
            raise ReleasekitError(
                f"check-sessions failed: `nox -s {' '.join(sessions)}` exited with {code}",
                "fix what the session output above reports; the release stops here",
            )
        self.log(
            project,
            f"check-sessions: {', '.join(sessions)} passed in {time.monotonic() - started:.1f}s",
        )

    # -- build ---------------------------------------------------------------------------------

    def build(self) -> None:
        """Build once from a clean export of HEAD (or adopt ``--dist``), check, record."""
        self.each("build", self._build)

    def _build(self, project: Project) -> None:
        tag = git.release_tag(project.root, project.tag_prefix)
        reused = project.kind.reusable(project) if self.options.dist is None else None
        if reused is not None and reused.tag is None and tag is not None:
            reused = self._tagged_since(project, reused, tag)
        if reused is not None and reused.tag == (tag.name if tag else None):
            manifest = reused
            self.log(
                project,
                f"reusing {project.dist_dir.name}/: built from {(reused.commit or '')[:12]}, "
                "files unchanged",
            )
        else:
            if self.options.dist is None and git.dirty_files(project.root):
                self.warn(project, "building HEAD: uncommitted changes are not in the build")
            manifest = project.kind.build(project, self, tag)
        for item in manifest.files:
            self.log(project, f"{item.filename}  sha256={item.sha256}  {item.size} bytes")
        # what the publishing jobs of a CI release need of the project travels with the files
        npm = project.kind.format is PackageFormat.NPM
        Handoff.of(
            project.config, name=project.name, kind=project.kind.key,
            tag_prefix=project.new_tag_prefix,
            npm_registry=project.npm_registry if npm else None,
            npm={**project.npm_publishing_table(), "smoke": project.npm_smoke} if npm else None,
        ).save(project.dist_dir)  # fmt: skip

    def _tagged_since(self, project: Project, reused: Manifest, tag: git.ReleaseTag) -> Manifest:
        """An untagged build of this commit (a rehearsal) whose version ``tag`` now releases
        is the tag's build: a tag changes no byte of it (the hook only checks it; a VCS
        version was built as the next tag's). The manifest then names the tag. Not when
        version-from-tag writes the tag's version into the files, nor for another version."""
        from dataclasses import replace

        from releasekit.core.version import try_normalize

        same = try_normalize(reused.version) == try_normalize(tag.version)
        if not same or project.config.version_from_tag:
            return reused
        tagged = replace(reused, tag=tag.name)
        tagged.save(project.dist_dir)
        self.log(project, f"{tag.name} was made after this build of its commit: it is the tag's")
        return tagged

    # -- smoke-install -------------------------------------------------------------------------

    def smoke_install(self) -> None:
        """What was built, into fresh environments: installs, imports, runs."""
        if {"publish-test", "publish", "release"} & set(self.requested):
            self._prestart_test_uploads()
        self.each("smoke-install", lambda p: p.kind.smoke(p, self, self.needed_by(p)))

    def _prestart_test_uploads(self) -> None:
        """Let the first test-stage upload's process start importing now, so that it
        overlaps the smoke installs: nothing is sent before ``publish_test`` runs exactly
        that upload, after its plan; any other upload leaves it unused."""
        for project in self.projects:
            tests = [t for t in self.targets(project) if t.stage is Stage.TEST]
            if not tests:
                continue
            manifest = Manifest.load(project.dist_dir)
            names = [f.filename for f in manifest.files]
            tests[0].prestart(manifest, project.dist_dir, names, self._publish_run(project))
            return

    # -- publish -------------------------------------------------------------------------------

    def publish_test(self) -> None:
        """The plan of every target of every project, then the test stage."""
        planned = self.plan_all()
        self.each("publish-test", lambda p: self._publish_stage(p, Stage.TEST, planned[id(p)]))

    def publish(self) -> None:
        """The prod stage, judged again right before its upload."""
        self.each("publish", lambda p: self._publish_stage(p, Stage.PROD))

    def github_release(self) -> None:
        """What comes after prod (the GitHub release), judged again right before it."""
        self.each("github-release", lambda p: self._publish_stage(p, Stage.AFTER_PROD))

    def plan_all(self) -> dict[int, list[tuple[Target, TargetPlan]]]:
        """The plan of every project of this run, printed and saved, before the first upload.

        The first irreversible step: every target of every member is read and judged now, so
        a conflict on prod, on npm or on GitHub (for a member released after three others)
        stops the release before anything is uploaded anywhere. Returns each project's
        targets with their part of its plan.
        """
        planned: dict[int, list[tuple[Target, TargetPlan]]] = {}
        refusals: list[tuple[str, str]] = []
        stages = self.stages()
        for project in self.projects:
            targets = [t for t in self.targets(project) if t.stage in stages]
            plan = self._plan(project, targets)
            for line in plan.render():
                self.log(project, line)
            plan.save(project.dist_dir)
            label = f"{project.member.label}: " if project.member is not None else ""
            refusals += [(label + message, hint) for message, hint in plan.refusals]
            refusals += [(label + m, hint) for m, hint in project.kind.refusals(project)]
            planned[id(project)] = list(zip(targets, plan.targets))
        refusals += new_project_refusals(
            (project.name, target, target_plan)
            for project in self.projects
            for target, target_plan in planned[id(project)]
        )
        if refusals:
            raise PublishError(
                "the release is refused, nothing was uploaded: "
                + "; ".join(message for message, _ in refusals),
                refusals[0][1],
            )
        return planned

    def _plan(self, project: Project, targets: Sequence[Target]) -> ReleasePlan:
        manifest = Manifest.load(project.dist_dir)
        manifest.verified_paths(project.dist_dir)
        return make_plan(
            manifest,
            targets,
            tag_prefix=project.new_tag_prefix,
            pre_release=project.config.pre_release,
            rehearse=self.options.rehearse,
            dist_dir=project.dist_dir,
        )

    def _publish_stage(
        self,
        project: Project,
        stage: Stage,
        planned: list[tuple[Target, TargetPlan]] | None = None,
    ) -> None:
        """Write the targets of ``stage`` (``planned``: from the plan ``publish_test`` made
        and printed; none: the stage is judged again now, against what its targets hold)."""
        everywhere = self.targets(project)
        targets = [t for t in everywhere if t.stage is stage]
        if not targets:
            later = [t.name for t in everywhere if t.stage is not stage]
            if later and stage is Stage.TEST:
                self.log(project, f"no test stage: {', '.join(later)} is written by a later step")
            elif not self.options.installs:  # a CI job of its own for this step: say why it is idle
                self.log(project, f"nothing to publish at this step: no {stage.value} target")
            return
        if planned is None:
            plan = self._plan(project, targets)
            plan.check(self.already_out())
            planned = list(zip(targets, plan.targets))
        manifest = Manifest.load(project.dist_dir)
        for target, target_plan in planned:
            if target.stage is stage:
                self._write(project, manifest, target, target_plan, planned)

    def _write(
        self,
        project: Project,
        manifest: Manifest,
        target: Target,
        planned: TargetPlan,
        everything: Sequence[tuple[Target, TargetPlan]],
    ) -> None:
        if planned.verdict is Verdict.SKIP:
            self.log(project, f"{target.name}: {planned.reason}: nothing published there")
            PublishRecord(target.name, f"skipped: {planned.reason}").save(project.dist_dir)
            return
        run = self._publish_run(project)
        published = target.publish(manifest, project.dist_dir, planned, run)
        if published is None:  # a dry run: said what it would do
            return
        for later, later_plan in everything:  # their processes start while this one is checked
            if _stage_after(target.stage) is later.stage and later_plan.uploads:
                later.prestart(manifest, project.dist_dir, later_plan.uploads, run)
        if not published.served:  # awaiting a human (a staged npm version): nothing to install
            self.log(project, f"{target.name}: {published.result}")
        elif self.options.installs:
            project.kind.install_from(project, self, manifest, target)
        elif target.install_source() is not None:
            self.log(
                project,
                f"{target.name}: not installed from here (this job holds credentials and runs "
                f"no project code): `releasekit verify-install --from {target.name}` does it "
                "in a job without them",
            )
        published.record(target).save(project.dist_dir)

    def _publish_run(self, project: Project) -> PublishRun:
        return PublishRun(
            log=self.logger(project),
            journal=Journal(project.dist_dir),
            dry_run=self.options.dry_run,
            rehearse=self.options.rehearse,
            confirm=lambda question: self._confirm(question),
            tools=lambda: self.tools(project),
        )

    def _confirm(self, question: str) -> None:
        """Ask before a real upload when someone is at a terminal; ``--yes`` or no terminal: go."""
        if self.options.yes:
            return
        answer = self.console.ask(question)
        if answer is False:
            raise PublishError(
                "publish cancelled at the prompt; nothing uploaded there",
                "run again and answer y, or pass -- --yes",
            )

    # -- verify-install ------------------------------------------------------------------------

    def verify_install(self, names: Sequence[str] = ()) -> None:
        """Install the release from each index that serves it (``names``: only those), pinned
        by sha256, and run the smoke commands: the check that the publishing jobs leave to a
        job without credentials."""
        known = {
            t.name
            for project in self.projects
            for t in self.targets(project)
            if t.install_source() is not None
        }
        unknown = [n for n in names if n not in known]
        if unknown:  # one of a workspace's members may lack it (npm has no test index)
            raise ReleasekitError(
                f"--from {unknown[0]}: no project of this run installs from an index so named",
                f"choose from {', '.join(sorted(known))}",
            )
        self.each("verify-install", lambda p: self._verify_install(p, names))

    def _verify_install(self, project: Project, names: Sequence[str]) -> None:
        manifest = Manifest.load(project.dist_dir)
        manifest.verified_paths(project.dist_dir)
        chosen = [
            t
            for t in self.targets(project)
            if t.install_source() is not None and (not names or t.name in names)
        ]
        if not chosen:
            self.log(project, f"no {' or '.join(names) or 'index'} to install from: not checked")
            return
        verified = 0
        for target in chosen:
            served = target.read(manifest).files
            states = [file_state(f, served.get(f.filename)) for f in manifest.files]
            wrong = [s for s in states if s.holding in (Holding.CONFLICTING, Holding.UNVERIFIABLE)]
            if wrong:
                raise PublishError(
                    f"{target.name} ({target.url}): {conflict_message(wrong[0])}",
                    "these are not the files of this build: find out who uploaded them "
                    f"before going on (releasekit yank {manifest.version} says how to withdraw)",
                )
            missing = [s.filename for s in states if s.holding is Holding.MISSING]
            if missing:
                if names:
                    raise PublishError(
                        f"{target.name} ({target.url}) does not serve {', '.join(missing)}",
                        "publish there first; an index may take minutes to show new files",
                    )
                self.log(project, f"{target.name}: {manifest.version} is not there: not checked")
                continue
            project.kind.install_from(project, self, manifest, target)
            verified += 1
        if not verified:
            raise PublishError(
                f"no index of {project.name} serves {manifest.version} yet",
                "run this after `releasekit publish-test` (or `publish`) has uploaded the files",
            )

    # -- after a failure, and at the end -------------------------------------------------------

    def after_failure(self, step: str) -> list[tuple[Project | None, str]]:
        """What to say after a failure: where every file is now (a publishing step), and in
        a workspace which members are not released yet."""
        said: list[tuple[Project | None, str]] = []
        current = self.current
        if current is None:
            return said
        if step in PUBLISHING:
            # every project of the run that has something out: a workspace's earlier
            # members too (npm published, the Python package not yet)
            for project in self.projects:
                with contextlib.suppress(ReleasekitError):
                    lines = playbook(project, self.targets(project))
                    said += [(project, line) for line in lines]
        if self.workspace is not None:
            after = self.projects[self.projects.index(current) + 1 :]
            if after:
                said.append(
                    (
                        None,
                        f"stopped at {current.label}: "
                        f"{', '.join(p.label for p in after)} not released yet; fix the cause, "
                        "then the same command again finishes what is missing (nothing twice)",
                    )
                )
        return said

    def summary(self) -> None:
        """The table ``release`` ends with (one per member of a workspace)."""
        if self.workspace is not None:
            names = ", ".join(p.label for p in self.projects)
            self.log(None, f"workspace {self.workspace.root.name}: released in order: {names}")
        for project in self.projects:
            table = project_summary(
                project.dist_dir, self.targets(project),
                rehearsal=self.options.rehearse, dry_run=self.options.dry_run,
            )  # fmt: skip
            for line in table.splitlines():
                self.log(project, line)


def _stage_after(stage: Stage) -> Stage | None:
    stages = list(Stage)
    index = stages.index(stage)
    return stages[index + 1] if index + 1 < len(stages) else None


def _prefixed(project: Project | None, message: str) -> str:
    return f"[{project.member.label}] {message}" if project and project.member else message


def _quietly(action: Callable[[], object]) -> Callable[[], None]:
    """``action`` for a background thread: a failure is left for the step that needs it,
    which calls it again and reports it."""

    def run() -> None:
        with contextlib.suppress(Exception):
            action()

    return run

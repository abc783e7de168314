"""The release as nox sessions: check, build, smoke-install, publish-test, publish, release.

A project's noxfile calls :func:`register`. Sessions are not registered by decorators at
import time: nox's registry is global and a noxfile loaded twice in one process would lose
them (see DESIGN.md). Each session is a thin front end: it parses the options after
``--``, calls the core, and turns a :class:`ReleasekitError` into ``session.error`` (never
``session.skip``: nox counts a skipped prerequisite as a success).

Sessions hand over through files under ``dist/``: the build manifest, one record per
publish, and the time each step took, because nox may run them in separate processes.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import functools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nox

from releasekit import git, guard, lock, npm_member, proc, signals, venvs
from releasekit.artifacts import file_version
from releasekit.config import Config, IndexConfig, load_pyproject, validate_project
from releasekit.errors import PublishError, ReleasekitError
from releasekit.journal import JOURNAL_NAME, Journal, current_run_id, progress, summarize
from releasekit.manifest import Manifest
from releasekit.plan import ReleasePlan, make_plan
from releasekit.policy import Verdict, decide
from releasekit.project import project_name, release_metadata
from releasekit.targets import has_credentials, read_target
from releasekit.venvs import find_uv
from releasekit.version import Channel, channel, normalize, tag_for, version_from_tag
from releasekit.workspace import Member, Workspace, find_workspace

__all__ = ["SESSIONS", "register"]

SESSIONS = (
    "check", "build", "smoke-install", "publish-test", "publish", "github-release", "release",
)  # fmt: skip
STEPS_FILE = "releasekit-steps.json"
PUBLISHING = ("publish-test", "publish", "github-release")
TOOLS = ("twine>=7",)


def register(*, python: str | None = None) -> None:
    """Register the release sessions in the calling noxfile.

    ``python`` is the interpreter of the tools virtualenv (twine, and build where uv is
    missing); default: the one running nox. The Pythons smoke-install tries are
    ``[tool.releasekit.smoke] pythons``.

    The sessions need no nox virtualenv of their own: the tools live in one virtualenv that
    releasekit makes under ``.nox/releasekit/tools`` and reuses while its requirements are
    unchanged, which saves a venv and an install per session.
    """
    global _tools_python
    _tools_python = python
    signals.install()

    def add(name: str, func: Callable[[Any], None], requires: str | None = None) -> None:
        nox.session(name=name, venv_backend="none", requires=[requires] if requires else None)(func)

    # Each step requires the one before it, so a failure stops everything after it (nox
    # would otherwise go on to the next session), and `nox -s publish` alone still goes
    # through check, build, smoke-install and publish-test (cheap on a rerun: the build is
    # reused and identical uploads are skipped).
    add("check", check)
    add("build", build, "check")
    add("smoke-install", smoke_install, "build")
    add("publish-test", publish_test, "smoke-install")
    add("publish", publish, "publish-test")
    add("github-release", github_release, "publish")
    # `release` ends with the GitHub release only where the project asked for it
    add("release", release, "github-release" if _github_release_enabled() else "publish")


_tools_python: str | None = None
_tools_cache: dict[tuple[Path, tuple[str, ...]], list[str]] = {}
_tools_lock = threading.Lock()


# --- options and context -------------------------------------------------------------------


@dataclass
class Options:
    rehearse: bool = False
    dry_run: bool = False
    yes: bool = False
    dist: Path | None = None
    only: list[str] = field(default_factory=list)  # workspace members to release


def _options(posargs: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="nox -s <session> --", add_help=False, exit_on_error=False, allow_abbrev=False
    )
    parser.add_argument("--rehearse", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--yes", "-y", action="store_true")
    parser.add_argument("--dist", type=Path)
    parser.add_argument("--only", action="append", default=[], metavar="PATH")
    try:
        namespace, unknown = parser.parse_known_args(list(posargs))
    except argparse.ArgumentError as exc:
        raise ReleasekitError(f"bad session option: {exc}", _OPTIONS_HINT) from None
    if unknown:
        raise ReleasekitError(f"unknown session option {unknown[0]!r}", _OPTIONS_HINT)
    options = Options(**vars(namespace))
    if options.dist is not None and not options.dist.is_dir():
        what = "not a directory" if options.dist.exists() else "no such directory"
        raise ReleasekitError(
            f"--dist {options.dist}: {what}",
            "build the files first, or point --dist at the directory that holds them",
        )
    return options


_OPTIONS_HINT = "options after --: --rehearse, --dry-run, --yes, --dist DIR, --only PATH"


@dataclass
class Context:
    """What a session works from for one project: its settings and the options.

    In a workspace there is one per member released (``member`` set); the tools venv, the
    lock and the rehearsal's servers are the workspace's, shared by all of them.
    """

    session: Any
    options: Options
    config: Config
    name: str
    dist_dir: Path
    member: Member | None = None
    workspace: Workspace | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def is_npm(self) -> bool:
        return self.member is not None and self.member.kind == "npm"

    def log(self, message: str) -> None:
        self.session.log(self._prefixed(message))

    def warn(self, message: str) -> None:
        self.session.warn(self._prefixed(message))

    def _prefixed(self, message: str) -> str:
        return f"[{self.member.label}] {message}" if self.member is not None else message

    @property
    def state_dir(self) -> Path:
        """Where releasekit keeps what it reuses between runs (rehearsal index, smoke venvs)."""
        return (self.workspace.root if self.workspace else self.root) / ".nox" / "releasekit"

    @property
    def work_dir(self) -> Path:
        """This project's own corner of :attr:`state_dir` (its smoke venvs)."""
        if self.member is None:
            return self.state_dir
        return self.state_dir / "members" / self.member.rel.replace("/", "__")

    def tools(self) -> list[str]:
        """The interpreter of the tools virtualenv (twine; build when there is no uv).

        Found once per nox process: on a nox that runs on Python 3.9 the lookup of a newer
        Python (twine 7 needs 3.10) costs a second, and the sessions of ``release`` share it.
        """
        with _tools_lock:  # check may be making it in the background
            return self._tools()

    def _tools(self) -> list[str]:
        requirements = list(TOOLS) if find_uv() else [*TOOLS, "build>=1.2"]
        if self.config.attestations:  # signing runs next to twine, never in nox's env
            from releasekit import attest

            requirements += attest.REQUIREMENTS
        key = (self.state_dir, tuple(requirements))  # members may differ on attestations
        if key not in _tools_cache:
            python, why = venvs.tools_python(_tools_python)
            if python != sys.executable:
                self.log(why)
            venv = venvs.ensure(
                self.state_dir / "tools", requirements, python=python, log=self.log,
                name="the tools venv (twine)",
            )  # fmt: skip
            _tools_cache[key] = [str(venv.python)]
        return _tools_cache[key]

    def record_step(self, step: str) -> None:
        path = self.dist_dir / STEPS_FILE
        steps: dict[str, float] = {}
        if step != "check":  # check starts a release: earlier timings are stale
            with contextlib.suppress(OSError, ValueError):
                steps = json.loads(path.read_text())
        steps[step] = round(time.monotonic() - self.started, 2)
        self.dist_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(steps, indent=2))


@dataclass
class Run:
    """One session's projects: the single project, or the workspace members it releases."""

    step: str
    contexts: list[Context]
    workspace: Workspace | None = None
    current: Context | None = None

    def each(self, action: Callable[[Context], None]) -> None:
        """``action`` for each project in release order; the first failure stops the rest."""
        for ctx in self.contexts:
            self.current = ctx
            ctx.started = time.monotonic()
            action(ctx)
            ctx.record_step(self.step)
        self.current = None

    def needed_by(self, ctx: Context) -> list[Context]:
        """The members released before ``ctx`` in this run that it depends on (of its own
        kind: a Python requirement, an npm dependency)."""
        needs = ctx.member.requires if ctx.member is not None else frozenset()
        return [
            other
            for other in self.contexts[: self.contexts.index(ctx)]
            if other.member is not None
            and other.is_npm == ctx.is_npm
            and other.member.name in needs
        ]


@contextlib.contextmanager
def _session(session: Any, step: str) -> Iterator[Run]:
    """Build the contexts and turn every releasekit failure into ``session.error``."""
    run: Run | None = None
    try:
        options = _options(session.posargs)
        workspace = find_workspace(Path.cwd())
        if workspace is None:
            if options.only:
                raise ReleasekitError(
                    "--only selects members of a workspace; this project declares none",
                    'list them in [tool.releasekit] members = ["packages/core", ...]',
                )
            config = validate_project(load_pyproject(Path.cwd()), Path.cwd())
            dist_dir = (options.dist or config.root / "dist").resolve()
            contexts = [Context(session, options, config, project_name(config.root), dist_dir)]
        else:
            contexts = _member_contexts(session, options, workspace, step)
        run = Run(step, contexts, workspace)
        # one release at a time per project, held for the whole nox process (all sessions)
        lock.hold(contexts[0].state_dir, lock.command_line())
        yield run
    except ReleasekitError as exc:
        ctx = run.current if run is not None else None
        if run is not None and ctx is not None and step in PUBLISHING:
            # every project of the run that has something out: a workspace's earlier
            # members too (npm published, the Python package not yet)
            for each in run.contexts:
                for line in playbook(each.dist_dir, each.config.tag_prefix):
                    each.log(line)
        if run is not None and run.workspace is not None and ctx is not None:
            after = run.contexts[run.contexts.index(ctx) + 1 :]
            if after:
                session.log(
                    f"stopped at {ctx.member.label if ctx.member else ctx.name}: "
                    f"{', '.join(c.member.label for c in after if c.member)} not released yet; "
                    "fix the cause, then the same command again finishes what is missing "
                    "(nothing twice)"
                )
        session.error(str(exc))
    except OSError as exc:  # dist/ read-only or full, a file vanished: say which, no traceback
        where = f" {exc.filename}" if exc.filename else ""
        session.error(
            f"cannot read or write{where}: {exc.strerror or exc}\n"
            "  hint: check the permissions and the free space there"
        )


def _member_contexts(
    session: Any, options: Options, workspace: Workspace, step: str
) -> list[Context]:
    """The members this run releases: ``--only``'s; else, rehearsing, all; else those with
    a release tag at HEAD."""
    if options.dist is not None:
        raise ReleasekitError(
            "--dist is for a single project; a workspace builds each member into its own directory",
            "run the release from the member's directory to release prebuilt files",
        )
    selected = workspace.select(options.only)
    explicit = os.environ.get("RELEASEKIT_TAG", "").strip()
    if explicit and not (
        len(selected) == 1 and version_from_tag(explicit, selected[0].tag_prefix) is not None
    ):
        raise ReleasekitError(
            f"RELEASEKIT_TAG={explicit} names one tag, but this workspace release has "
            f"{len(selected)} member(s)",
            "select the member it tags with -- --only PATH, or unset it and tag the members",
        )
    contexts = []
    for member in selected:
        if member.kind == "python":
            config = validate_project(load_pyproject(member.path), member.path)
            config = config._replace(tag_prefix=member.tag_prefix)
            dist_dir = member.path / "dist"
        else:
            config = Config(
                root=member.path,
                tag_prefix=member.tag_prefix,
                check_commands=member.check_commands,
                prepare_commands=member.prepare_commands,
            )
            dist_dir = member.path / npm_member.DIST_NAME
        contexts.append(Context(session, options, config, member.name, dist_dir, member, workspace))
    if options.only or options.rehearse:
        return contexts
    tagged = [c for c in contexts if git.release_tag(c.root, c.config.tag_prefix) is not None]
    if not tagged:
        wanted = ", ".join(f"{c.config.tag_prefix or 'v'}<version>" for c in contexts)
        raise ReleasekitError(
            "no workspace member has a release tag at HEAD: nothing to release",
            f"tag the members to release ({wanted}); or choose with -- --only PATH, or "
            "rehearse all of them with -- --rehearse",
        )
    if step == "check":
        for ctx in contexts:
            if ctx not in tagged:
                assert ctx.member is not None
                session.log(
                    f"[{ctx.member.label}] not released: no {ctx.config.tag_prefix}<version> "
                    "tag at HEAD"
                )
    return tagged


def playbook(dist_dir: Path, tag_prefix: str | None) -> list[str]:
    """After a failure past the first upload: where every file is now, and what to run next.

    Read from the journal (what was really done, by any run); empty when nothing of this
    build was published anywhere yet, because then a rerun is all there is to it.
    """
    try:
        manifest = Manifest.load(dist_dir)
    except ReleasekitError:
        return []
    ours = {(f.filename, f.sha256) for f in manifest.files}
    done: dict[str, list[str]] = {}
    for entry in Journal.read(dist_dir):
        if (entry.file, entry.sha256) in ours and entry.file not in done.get(entry.target, []):
            done.setdefault(entry.target, []).append(entry.file)
    if not done:
        return []
    lines = [f"where {manifest.name} {manifest.version} is now (from {JOURNAL_NAME}):"]
    npm_tarball = any(f.kind == "npm" for f in manifest.files)
    for target in ("npm",) if npm_tarball else ("test", "prod", "github"):
        files = done.get(target, [])
        missing = len(manifest.files) - len(files) if target != "github" else 0
        shown = ", ".join(files) if files else "nothing yet"
        lines.append(
            f"  {target:<6} {shown}" + (f" ({missing} missing)" if files and missing else "")
        )
    lines.append(
        "next: fix the cause below, then run the same command again: it uploads only what "
        "is missing and never a file twice"
    )
    lines.append(
        f'  or, to withdraw what is out: releasekit yank {manifest.version} --reason "..." '
        f"(prints each index's yank page; marks the GitHub release of "
        f"{manifest.tag or tag_for(manifest.version, tag_prefix)})"
    )
    return lines


def _targets(ctx: Context) -> tuple[Mapping[str, IndexConfig], Mapping[str, str]]:
    """The indexes to talk to and the environment that holds their credentials."""
    if not ctx.options.rehearse:
        return ctx.config.indexes, os.environ
    from releasekit.rehearsal import local_indexes

    key = git.head_commit(ctx.root) or "no-commit"
    rehearsal = local_indexes(ctx.state_dir / "rehearsal", key, log=ctx.log)
    return rehearsal.indexes, rehearsal.environ


# --- sessions ---------------------------------------------------------------------------------


def check(session: Any) -> None:
    """Check config, clean tree, tag == version, changelog, the project's own test sessions,
    and what the indexes already have."""
    with _session(session, "check") as run:
        if "build" in _requested(session) or "release" in _requested(session):
            # the build needs the tools venv: made (or found) while the checks run
            threading.Thread(target=_quietly(run.contexts[0].tools), daemon=True).start()
        run.each(_check)


def _quietly(action: Callable[[], object]) -> Callable[[], None]:
    """``action`` for a background thread: a failure is left for the step that needs it,
    which calls it again and reports it."""

    def run() -> None:
        with contextlib.suppress(Exception):
            action()

    return run


def _check(ctx: Context) -> None:
    if ctx.is_npm:
        _check_npm(ctx)
        return
    meta, readings = release_metadata(ctx.config, log=ctx.log)
    version = normalize(meta.version)
    ctx.log(
        f"{meta.name} {version} (from {meta.source}"
        + (", cached" if meta.cached else "")
        + ")"
        + "".join(f"; {r.describe()}" for r in readings)
    )
    tag = git.release_tag(ctx.root, ctx.config.tag_prefix)
    if ctx.config.version_from_tag and tag is not None and tag.version != version:
        ctx.log(
            f"version-from-tag: the build writes {tag.version} from {tag.name} into the "
            f"version files of its checkout (the files here say {version})"
        )
        version = tag.version
    dirty = git.dirty_files(ctx.root)
    if dirty and ctx.options.rehearse:
        ctx.warn(
            f"uncommitted changes ({', '.join(dirty[:5])}) are not in the rehearsal: it builds HEAD"
        )
        dirty = []
    if tag is not None:
        guard.check_release_build(version, tag, dirty_files=dirty)
        ctx.log(f"tag {tag.name} (from {tag.source}) matches version {version}")
    else:
        if dirty:
            guard.check_release_build(version, _would_be_tag(ctx, version), dirty_files=dirty)
        ctx.log(
            f"untagged: {version} would be released by tag "
            f"{tag_for(version, ctx.config.tag_prefix)} (not created)"
        )
    _check_changelog(ctx, version)
    if ctx.options.rehearse:  # the stand-ins start while the build runs; the plan reads them
        from releasekit.rehearsal import start_local_indexes

        start_local_indexes(ctx.state_dir / "rehearsal", git.head_commit(ctx.root) or "no-commit")
        ctx.log("rehearsal: local test and prod indexes starting (the release plan reads them)")
    else:
        indexes, _ = _targets(ctx)
        for index in _indexes_for(ctx.config, version, indexes):
            ctx.log(_index_state(index, ctx.name, version))
    _run_check_sessions(ctx)
    _run_check_commands(ctx)


def _check_npm(ctx: Context) -> None:
    """An npm member: package.json's version against its tag, changelog, the registry."""
    from releasekit import npm

    assert ctx.member is not None
    version, tag = npm_member.check(ctx.member, rehearse=ctx.options.rehearse, log=ctx.log)
    ctx.log(f"{ctx.name} {version} (from package.json)")
    if tag is not None:
        ctx.log(f"tag {tag.name} (from {tag.source}) matches version {version}")
    else:
        would_be = f"{ctx.config.tag_prefix or 'v'}{version}"
        ctx.log(f"untagged: {version} would be released by tag {would_be}")
    _check_changelog(ctx, version)
    registry, _ = _npm_registry(ctx)
    served = npm.registry_state(registry, ctx.name, version)
    state = "not published yet" if served is None else f"already there ({served[:22]}...)"
    ctx.log(f"npm ({registry}): {ctx.name}@{version} {state}")
    _run_check_commands(ctx)


def _check_changelog(ctx: Context, version: str) -> None:
    changelog_path = ctx.config.changelog_path()
    if changelog_path is not None:
        from releasekit.changelog import check_changelog

        found = check_changelog(changelog_path, version)
        ctx.log(f"{changelog_path.name}: {found}")
    elif ctx.config.changelog is False:
        ctx.log("changelog check off ([tool.releasekit] changelog = false)")
    else:
        ctx.log("no changelog (set [tool.releasekit] changelog to check one)")


def _run_check_commands(ctx: Context) -> None:
    """``check-commands``, in the project's directory, without credentials."""
    for command in ctx.config.check_commands:
        ctx.log(f"check-commands: {command}  (nox's environment, without credentials)")
        with ctx.session.chdir(ctx.root):
            ctx.session.run(
                *proc.split_command(command, "check-commands"),
                external=True,
                env=proc.child_env(),
                include_outer_env=False,
            )


def _run_check_sessions(ctx: Context) -> None:
    """Run the project's own nox sessions (``check-sessions``) in a child nox process.

    A child process rather than ``requires=``: the options after ``--`` (``--rehearse``)
    are the release's, and nox would hand them to the user's test sessions too, where
    pytest would refuse them. Parametrized sessions run for every Python they declare.
    """
    sessions = ctx.config.check_sessions
    if not sessions:
        return
    noxfile = getattr(getattr(ctx.session, "_runner", None), "global_config", None)
    path = Path(getattr(noxfile, "noxfile", None) or ctx.root / "noxfile.py").resolve()
    if ctx.member is not None:  # a workspace member's own sessions are in its own noxfile
        path = ctx.root / "noxfile.py"
    argv = [sys.executable, "-m", "nox", "--noxfile", str(path), "--session", *sessions]
    ctx.log(f"check-sessions: $ nox --noxfile {path.name} -s {' '.join(sessions)}")
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
    ctx.log(f"check-sessions: {', '.join(sessions)} passed in {time.monotonic() - started:.1f}s")


def build(session: Any) -> None:
    """Build sdist, then the wheel from it, from a clean export of HEAD; check; record.
    An npm member: ``npm pack`` once from a clean checkout of HEAD, then its checks."""
    with _session(session, "build") as run:
        run.each(_build)


def _build(ctx: Context) -> None:
    from releasekit import build as core

    tag = git.release_tag(ctx.root, ctx.config.tag_prefix)
    if ctx.options.dist is not None:
        manifest = core.adopt_prebuilt(
            ctx.config, ctx.dist_dir, tools=ctx.tools(), name=ctx.name, tag=tag, log=ctx.log
        )
        ctx.log(f"checked prebuilt files in {ctx.dist_dir}")
        _log_files(ctx, manifest)
        return
    reused = (  # hashes every file again: only when there is no --dist
        npm_member.reusable(ctx.member, ctx.dist_dir)
        if ctx.is_npm and ctx.member is not None
        else core.reusable_manifest(ctx.root, ctx.dist_dir, ctx.name)
    )
    if reused is not None and reused.tag == (tag.name if tag else None):
        manifest = reused
        ctx.log(
            f"reusing {ctx.dist_dir.name}/: built from {(reused.commit or '')[:12]}, "
            "files unchanged"
        )
    else:
        if git.dirty_files(ctx.root):
            ctx.warn("building HEAD: uncommitted changes are not in the build")
        if ctx.is_npm and ctx.member is not None:
            registry, _ = _npm_registry(ctx)
            manifest = npm_member.build(
                ctx.member, ctx.dist_dir, tag=tag, registry_url=registry, log=ctx.log
            )
        else:
            manifest = core.build_release(
                ctx.config, ctx.dist_dir, tools=ctx.tools(), name=ctx.name, tag=tag, log=ctx.log
            )
    _log_files(ctx, manifest)


def _log_files(ctx: Context, manifest: Manifest) -> None:
    for item in manifest.files:
        ctx.log(f"{item.filename}  sha256={item.sha256}  {item.size} bytes")


def smoke_install(session: Any) -> None:
    """Install the wheel and the sdist into fresh venvs; import, load entry points, run commands.
    An npm member: its tarball into a fresh project, then require/import."""
    with _session(session, "smoke-install") as run:
        if {"publish-test", "publish", "release"} & set(_requested(session)):
            _prestart_test_upload(run)
        run.each(functools.partial(_smoke, run))


def _prestart_test_upload(run: Run) -> None:
    """Start the twine of the first test upload now, so that its ~0.4 s of imports overlap
    the smoke installs (see :func:`releasekit.publish.prestart_upload`): the command for
    every built file, the upload of a new version. Nothing is sent before publish-test runs
    exactly that upload, after its plan; any other upload leaves it unused."""
    from releasekit import publish as core

    ctx = next((c for c in run.contexts if not c.is_npm), None)
    if ctx is None or ctx.options.dry_run or ctx.config.attestations:
        return
    indexes, environ = _targets(ctx)
    manifest = Manifest.load(ctx.dist_dir)
    core.prestart_upload(
        [ctx.dist_dir / f.filename for f in manifest.files],
        indexes["test"],
        twine=[*ctx.tools(), "-m", "twine"],
        environ=environ,
    )


def _smoke(run: Run, ctx: Context) -> None:
    from releasekit import smoke

    manifest = Manifest.load(ctx.dist_dir)
    manifest.verified_paths(ctx.dist_dir)
    # the members it needs are not published yet: their new builds come from their dist
    needed = run.needed_by(ctx)
    if ctx.is_npm:
        beside = [
            other.dist_dir / f.filename
            for other in needed
            for f in Manifest.load(other.dist_dir).files
        ]
        npm_member.smoke(manifest, ctx.dist_dir, beside=beside, log=ctx.log)
        return
    find_links = [str(other.dist_dir) for other in needed]
    pythons: Sequence[str | None] = ctx.config.smoke.pythons or (None,)
    checks: list[tuple[Callable[[], None], str]] = []
    tested: set[str] = set()
    for python in pythons:
        label = python or f"{sys.version_info[0]}.{sys.version_info[1]} (current)"
        common: dict[str, Any] = dict(
            name=manifest.name, version=manifest.version, python=python,
            workdir=ctx.work_dir / "smoke", install_index=ctx.config.install_index,
            log=ctx.log, find_links=find_links,
        )  # fmt: skip
        # The wheel this Python's installer would take: one per Python, so a wheelhouse
        # of cp310/cp311/cp312 wheels has each tested where it can run.
        picked = smoke.pick_wheel(manifest.wheels, smoke.interpreter_tags(python))
        if picked is None:
            ctx.warn(f"Python {label}: none of the wheels installs here (their tags don't fit)")
        for wheel in [picked] if picked else []:
            tested.add(wheel.filename)
            check = functools.partial(
                smoke.smoke_wheel,
                ctx.dist_dir / wheel.filename,
                sha256=wheel.sha256,
                config=ctx.config.smoke,
                **common,
            )
            checks.append((check, f"Python {label}: {wheel.filename} installs, imports and runs"))
        for sdist in manifest.sdists:
            check = functools.partial(
                smoke.smoke_sdist, ctx.dist_dir / sdist.filename, sha256=sdist.sha256, **common
            )
            checks.append((check, f"Python {label}: {sdist.filename} builds and installs"))
    for wheel in manifest.wheels:
        if wheel.filename not in tested:
            ctx.log(
                f"not smoke-tested: {wheel.filename} (no Python here takes it; "
                "[tool.releasekit.smoke] pythons names the ones to try)"
            )
    # Each check is its own venv and processes: two at a time halve the wait on two
    # cores. Results are reported, and the first failure raised, in order.
    with ThreadPoolExecutor(max_workers=2) as pool:
        running = [(pool.submit(check), done) for check, done in checks]
        for future, done in running:
            future.result()
            ctx.log(done)


def publish_test(session: Any) -> None:
    """The release plan, then upload the built files to the test index, verify its hashes,
    install from it. (npm has no test registry: an npm member waits for ``publish``.)"""
    with _session(session, "publish-test") as run:
        plans = _plan_all(run)
        run.each(lambda ctx: _publish(ctx, "test", plans[id(ctx)]))


def publish(session: Any) -> None:
    """Upload the same files to the real index (an npm member: publish its tarball to the
    npm registry), verify what it serves, install from it."""
    with _session(session, "publish") as run:
        run.each(lambda ctx: _publish(ctx, "prod"))


def github_release(session: Any) -> None:
    """The GitHub release of the tag: changelog notes, every built file and SHA256SUMS
    attached to a draft, then published. `--rehearse`/`--dry-run` only say what it would do."""
    with _session(session, "github-release") as run:
        run.each(_github_release)


def _github_release(ctx: Context) -> None:
    from releasekit import github
    from releasekit.changelog import release_notes

    if ctx.member is not None and (ctx.is_npm or not ctx.config.github_release):
        ctx.log("no GitHub release for this member (github-release is off in its pyproject.toml)")
        return
    manifest = Manifest.load(ctx.dist_dir)
    paths = manifest.verified_paths(ctx.dist_dir)
    would_be = tag_for(manifest.version, ctx.config.tag_prefix)
    dry_run = ctx.options.dry_run or ctx.options.rehearse
    if manifest.tag is None and not dry_run:
        raise ReleasekitError(
            f"no GitHub release for an untagged build of {manifest.version}",
            f"tag the commit (`git tag {would_be}`), rebuild and run again; "
            "`-- --rehearse` shows what the release would be",
        )
    changelog = ctx.config.changelog_path()
    notes = ""
    if changelog is not None and changelog.is_file():
        text = changelog.read_text(encoding="utf-8")
        notes = release_notes(text, manifest.version) or ""
    settings = github.Settings.from_env(os.environ, ctx.root)
    if ctx.options.rehearse:  # nothing is read from or written to GitHub
        settings = dataclasses.replace(settings, token=None)
    result = github.publish_github_release(
        settings,
        tag=manifest.tag or would_be,
        version=manifest.version,
        prerelease=channel(manifest.version) is not Channel.FINAL,
        notes=notes,
        files=[(path, item.sha256) for path, item in zip(paths, manifest.files)],
        dry_run=dry_run,
        journal=None if dry_run else Journal(ctx.dist_dir),
        echo=ctx.log,
    )
    if not dry_run:
        _write_record(
            ctx,
            "github",
            {"index": "github", "url": result.release_url, "result": _github_summary(result)},
        )


def _github_summary(result: Any) -> str:
    parts = [f"{len(result.uploaded)} asset(s) uploaded"]
    if result.skipped:
        parts.append(f"{len(result.skipped)} already there")
    parts.append("created" if result.created else "existing release")
    if result.published:
        parts.append("published")
    return ", ".join(parts)


def _github_release_enabled() -> bool:
    """``[tool.releasekit] github-release`` of the project the noxfile is in (cwd), or of
    any Python member of the workspace declared there."""
    try:
        workspace = find_workspace(Path.cwd())
        roots = [Path.cwd()]
        if workspace is not None:
            roots = [m.path for m in workspace.members if m.kind == "python"]
        tables = [load_pyproject(root).get("tool", {}).get("releasekit", {}) for root in roots]
    except ReleasekitError:
        return False
    return any(isinstance(t, Mapping) and t.get("github-release") is True for t in tables)


def release(session: Any) -> None:
    """check -> build -> smoke-install -> publish-test -> publish, then a summary table
    (one per member of a workspace)."""
    with _session(session, "release") as run:
        if run.workspace is not None:
            names = ", ".join(c.member.label for c in run.contexts if c.member is not None)
            session.log(f"workspace {run.workspace.root.name}: released in order: {names}")
        for ctx in run.contexts:
            _summary(ctx)


def _summary(ctx: Context) -> None:
    from releasekit.summary import render_summary

    manifest = Manifest.load(ctx.dist_dir)
    targets = ("npm",) if ctx.is_npm else ("test", "prod")
    records = {}
    entries = Journal.read(ctx.dist_dir)
    for name in (*targets, "github"):
        path = ctx.dist_dir / f"releasekit-publish-{name}.json"
        with contextlib.suppress(OSError, ValueError):
            records[name] = json.loads(path.read_text())
        files = records.get(name, {}).get("files")
        if name != "github" and files:  # who did what: this run, an earlier one, nobody
            served = {name: {f["filename"]: f["sha256"] for f in files}}
            done = progress(
                entries, run_id=current_run_id(), targets=[name], files=manifest.files,
                served=served,
            )  # fmt: skip
            records[name]["result"] = summarize(done, "published" if name == "npm" else "uploaded")
    steps = {}
    with contextlib.suppress(OSError, ValueError):
        steps = json.loads((ctx.dist_dir / STEPS_FILE).read_text())
    for line in render_summary(
        manifest, records, steps, rehearsal=ctx.options.rehearse, dry_run=ctx.options.dry_run,
        targets=targets,
    ).splitlines():  # fmt: skip
        ctx.log(line)


# --- publishing -------------------------------------------------------------------------------


def _plan_all(run: Run) -> dict[int, ReleasePlan]:
    """The plan of every project of this run, printed and saved, before the first upload.

    The first irreversible step: every target of every member is read and judged now, so
    a conflict on prod (or on npm, for a member released after three others) stops the
    release before anything is uploaded anywhere.
    """
    plans: dict[int, ReleasePlan] = {}
    refusals: list[tuple[str, str]] = []
    for ctx in run.contexts:
        manifest = Manifest.load(ctx.dist_dir)
        manifest.verified_paths(ctx.dist_dir)
        if ctx.is_npm:
            registry, environ = _npm_registry(ctx)
            plan = _npm_plan(ctx, manifest, registry, environ, include="prod" in _scope(ctx))
        else:
            indexes, environ = _targets(ctx)
            plan = _make_plan(ctx, manifest, indexes, environ, _scope(ctx))
        for line in plan.render():
            ctx.log(line)
        plan.save(ctx.dist_dir)
        label = f"{ctx.member.label}: " if ctx.member is not None else ""
        refusals += [(label + message, hint) for message, hint in plan.refusals]
        plans[id(ctx)] = plan
    if refusals:
        raise PublishError(
            "the release is refused, nothing was uploaded: "
            + "; ".join(message for message, _ in refusals),
            refusals[0][1],
        )
    return plans


def _publish(ctx: Context, target: str, plan: ReleasePlan | None = None) -> None:
    """Execute the plan for one target (``plan``: the one publish-test made and printed;
    none: prod, judged again right before its upload against what it serves now)."""
    from releasekit import publish as core
    from releasekit import smoke

    if ctx.is_npm:
        if target == "prod":
            _publish_npm(ctx)
        else:
            ctx.log("npm has no test registry: it is published by the publish step")
        return
    manifest = Manifest.load(ctx.dist_dir)
    manifest.verified_paths(ctx.dist_dir)
    indexes, environ = _targets(ctx)
    if plan is None:
        plan = _make_plan(ctx, manifest, indexes, environ, ("prod",))
    plan.check()
    planned = plan.target(target)
    assert planned is not None
    if planned.verdict is Verdict.SKIP:
        ctx.log(f"{target}: {planned.reason}: nothing published there")
        record = {"index": target, "result": f"skipped: {planned.reason}", "files": []}
        _write_record(ctx, target, record)
        return
    index = indexes[target]
    if ctx.options.dry_run:
        for filename in planned.uploads:
            signed = " with its PEP 740 attestation" if ctx.config.attestations else ""
            ctx.log(f"dry run: would upload {filename}{signed} to {index.publish_url}")
        return
    if planned.uploads and target == "prod" and not ctx.options.rehearse:
        _confirm(ctx, manifest, index, len(planned.uploads))
    if ctx.config.attestations and planned.uploads:  # PEP 740: signed once, sent to each index
        from releasekit import attest

        attest.make_attestations(
            manifest.verified_paths(ctx.dist_dir),
            log=ctx.log,
            python=ctx.tools()[0],
            environ=environ,
            rehearse=ctx.options.rehearse,
        )
    result = core.publish(
        manifest,
        ctx.dist_dir,
        index,
        twine=[*ctx.tools(), "-m", "twine"],
        environ=environ,
        log=ctx.log,
        verify_timeout=ctx.config.propagation_timeout,
    )
    prod = plan.target("prod") if target == "test" else None
    if prod is not None and prod.verdict is not Verdict.SKIP and prod.uploads:
        # the prod upload's twine starts importing now, while the test index is checked
        core.prestart_upload(
            [ctx.dist_dir / f.filename for f in manifest.files if f.filename in prod.uploads],
            indexes["prod"],
            twine=[*ctx.tools(), "-m", "twine"],
            environ=environ,
        )
    journal = Journal(ctx.dist_dir)
    for item in result.files:
        if item.outcome is core.Outcome.UPLOADED:
            journal.record("upload", target, item.filename, item.sha256, version=manifest.version)
    ctx.log(f"{index.name} ({index.url}): {result.summary}; serves the built sha256 of every file")
    # The wheel the installer here would choose: pinned to its sha256, so the index must
    # serve exactly that file and the installer must take it.
    chosen = smoke.pick_wheel(manifest.wheels, smoke.interpreter_tags(None))
    for wheel in [chosen] if chosen else []:
        smoke.smoke_wheel(
            ctx.dist_dir / wheel.filename,
            sha256=wheel.sha256,
            name=manifest.name,
            version=manifest.version,
            python=None,
            workdir=ctx.work_dir / f"smoke-{target}",
            config=ctx.config.smoke,
            install_index=ctx.config.install_index,
            log=ctx.log,
            from_index=index.url,
        )
        ctx.log(
            f"{index.name}: {manifest.name}=={manifest.version} installs from the "
            f"index (pinned by sha256: {wheel.filename}) and imports"
        )
    _write_record(
        ctx,
        target,
        {
            "index": index.name,
            "url": index.url,
            "result": result.summary,
            "files": [
                {"filename": f.filename, "sha256": f.sha256, "outcome": f.outcome.value}
                for f in result.files
            ],
        },
    )


def _publish_npm(ctx: Context) -> None:
    """Publish an npm member's tarball, unless the registry already serves it."""
    from releasekit import npm

    manifest = Manifest.load(ctx.dist_dir)
    registry, environ = _npm_registry(ctx)
    plan = _npm_plan(ctx, manifest, registry, environ, include=True)
    plan.check()
    planned = plan.target("npm")
    assert planned is not None
    if planned.verdict is Verdict.SKIP:
        ctx.log(f"npm: {planned.reason}: nothing published there")
        _write_record(ctx, "npm", {"index": "npm", "result": f"skipped: {planned.reason}"})
        return
    (item,) = manifest.files
    if ctx.options.dry_run:
        tag = npm.dist_tag_for(manifest.version)
        ctx.log(f"dry run: would publish {item.filename} to {registry} with dist-tag {tag}")
        return
    index = IndexConfig(name="npm", url=registry, publish_url=registry)
    if planned.uploads and not ctx.options.rehearse:
        _confirm(ctx, manifest, index, 1)
    outcome = npm_member.publish(
        manifest, ctx.dist_dir, registry, environ=environ,
        provenance=not ctx.options.rehearse and all(environ.get(v) for v in npm.OIDC_VARIABLES),
        timeout=ctx.config.propagation_timeout, log=ctx.log,
    )  # fmt: skip
    if outcome == "published":
        Journal(ctx.dist_dir).record(
            "npm-publish", "npm", item.filename, item.sha256, version=manifest.version
        )
    result = "1 published" if outcome == "published" else "already identical"
    ctx.log(
        f"npm ({registry}): {result}; serves the packed integrity; {manifest.name}@"
        f"{manifest.version} installs from it and loads"
    )
    _write_record(
        ctx,
        "npm",
        {
            "index": "npm",
            "url": registry,
            "result": result,
            "files": [{"filename": item.filename, "sha256": item.sha256, "outcome": outcome}],
        },
    )


def _npm_registry(ctx: Context) -> tuple[str, Mapping[str, str]]:
    """The npm registry to talk to, and the environment that holds its token."""
    assert ctx.workspace is not None
    if not ctx.options.rehearse:
        return ctx.workspace.npm_registry, os.environ
    from releasekit.rehearsal import local_npm_registry

    key = git.head_commit(ctx.root) or "no-commit"
    return local_npm_registry(ctx.state_dir / "rehearsal", key, log=ctx.log)


def _npm_plan(
    ctx: Context,
    manifest: Manifest,
    registry: str,
    environ: Mapping[str, str],
    *,
    include: bool,
) -> ReleasePlan:
    return npm_member.plan(
        manifest, registry, environ, include=include, tag_prefix=ctx.config.tag_prefix,
        pre_release=ctx.config.pre_release, rehearse=ctx.options.rehearse,
        now=datetime.datetime.now(datetime.timezone.utc),
    )  # fmt: skip


def _scope(ctx: Context) -> tuple[str, ...]:
    """The targets this nox run goes to: prod too when ``publish`` or ``release`` was named.

    ``nox -s publish-test`` alone tries the test index (untagged is fine there); a run that
    will go on to prod is judged on both before the first upload.
    """
    if any(name in ("publish", "release") for name in _requested(ctx.session)):
        return ("test", "prod")
    return ("test",)


def _requested(session: Any) -> list[str]:
    """The sessions named on nox's command line (``-s``)."""
    config = getattr(getattr(session, "_runner", None), "global_config", None)
    return list(getattr(config, "sessions", None) or [])


def _make_plan(
    ctx: Context,
    manifest: Manifest,
    indexes: Mapping[str, IndexConfig],
    environ: Mapping[str, str],
    scope: Sequence[str],
) -> ReleasePlan:
    return make_plan(
        manifest,
        [indexes[name] for name in scope],
        lambda index: read_target(index, manifest.name),
        tag_prefix=ctx.config.tag_prefix,
        pre_release=ctx.config.pre_release,
        rehearse=ctx.options.rehearse,
        credentials={name: has_credentials(indexes[name], environ) for name in scope},
        now=datetime.datetime.now(datetime.timezone.utc),
    )


def _confirm(ctx: Context, manifest: Manifest, index: IndexConfig, count: int) -> None:
    """Ask before a real upload when someone is at a terminal; ``--yes`` or no terminal: go."""
    if ctx.options.yes or not sys.stdin.isatty():
        return
    answer = input(
        f"Publish {manifest.name} {manifest.version} ({count} file(s)) to "
        f"{index.publish_url}? [y/N] "
    )
    if answer.strip().lower() not in ("y", "yes"):
        raise PublishError(
            "publish cancelled at the prompt; nothing uploaded to prod",
            "run again and answer y, or pass -- --yes",
        )


def _write_record(ctx: Context, target: str, data: dict[str, Any]) -> None:
    path = ctx.dist_dir / f"releasekit-publish-{target}.json"
    path.write_text(json.dumps(data, indent=2))


def _would_be_tag(ctx: Context, version: str) -> git.ReleaseTag:
    return git.ReleaseTag(
        name=tag_for(version, ctx.config.tag_prefix),
        version=version,
        source="the tag that would be made",
    )


def _indexes_for(
    config: Config, version: str, indexes: Mapping[str, IndexConfig]
) -> list[IndexConfig]:
    """The indexes this version may go to under the pre-release policy (the policy module's
    rule; tag and rehearsal don't matter for which indexes ``check`` reports on)."""
    return [
        indexes[name]
        for name in ("test", "prod")
        if decide(name, version, tagged=True, rehearse=True, pre_release=config.pre_release).verdict
        is not Verdict.SKIP
    ]


def _index_state(index: IndexConfig, name: str, version: str) -> str:
    from releasekit import index as index_api

    files = index_api.project_files(index.url, name)
    mine = sorted(f for f in files if file_version(f, name) == version)
    if not mine:
        return f"{index.name} ({index.url}): {version} not published yet"
    return (
        f"{index.name} ({index.url}): {version} already has {len(mine)} file(s): "
        f"{', '.join(mine)} (publishing skips identical files and refuses different ones)"
    )

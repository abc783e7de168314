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
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nox

from releasekit import git, guard, lock, proc, signals, venvs
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
from releasekit.version import Channel, channel, normalize, tag_for

__all__ = ["SESSIONS", "register"]

SESSIONS = (
    "check", "build", "smoke-install", "publish-test", "publish", "github-release", "release",
)  # fmt: skip
STEPS_FILE = "releasekit-steps.json"
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
_tools_cache: dict[Path, list[str]] = {}


# --- options and context -------------------------------------------------------------------


@dataclass
class Options:
    rehearse: bool = False
    dry_run: bool = False
    yes: bool = False
    dist: Path | None = None


def _options(posargs: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="nox -s <session> --", add_help=False, exit_on_error=False, allow_abbrev=False
    )
    parser.add_argument("--rehearse", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--yes", "-y", action="store_true")
    parser.add_argument("--dist", type=Path)
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


_OPTIONS_HINT = "options after --: --rehearse, --dry-run, --yes, --dist DIR"


@dataclass
class Context:
    """What every session works from: the project, its settings and the options."""

    session: Any
    options: Options
    config: Config
    name: str
    dist_dir: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def root(self) -> Path:
        return self.config.root

    def log(self, message: str) -> None:
        self.session.log(message)

    def warn(self, message: str) -> None:
        self.session.warn(message)

    @property
    def state_dir(self) -> Path:
        """Where releasekit keeps what it reuses between runs (rehearsal index, smoke venvs)."""
        return self.root / ".nox" / "releasekit"

    def tools(self) -> list[str]:
        """The interpreter of the tools virtualenv (twine; build when there is no uv).

        Found once per nox process: on a nox that runs on Python 3.9 the lookup of a newer
        Python (twine 7 needs 3.10) costs a second, and the sessions of ``release`` share it.
        """
        if self.state_dir not in _tools_cache:
            python, why = venvs.tools_python(_tools_python)
            if python != sys.executable:
                self.log(why)
            requirements = list(TOOLS) if find_uv() else [*TOOLS, "build>=1.2"]
            if self.config.attestations:  # signing runs next to twine, never in nox's env
                from releasekit import attest

                requirements += attest.REQUIREMENTS
            venv = venvs.ensure(
                self.state_dir / "tools", requirements, python=python, log=self.log,
                name="the tools venv (twine)",
            )  # fmt: skip
            _tools_cache[self.state_dir] = [str(venv.python)]
        return _tools_cache[self.state_dir]

    def record_step(self, step: str) -> None:
        path = self.dist_dir / STEPS_FILE
        steps: dict[str, float] = {}
        if step != "check":  # check starts a release: earlier timings are stale
            with contextlib.suppress(OSError, ValueError):
                steps = json.loads(path.read_text())
        steps[step] = round(time.monotonic() - self.started, 2)
        self.dist_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(steps, indent=2))


@contextlib.contextmanager
def _session(session: Any, step: str) -> Iterator[Context]:
    """Build the context and turn every releasekit failure into ``session.error``."""
    ctx: Context | None = None
    try:
        options = _options(session.posargs)
        config = validate_project(load_pyproject(Path.cwd()), Path.cwd())
        dist_dir = (options.dist or config.root / "dist").resolve()
        ctx = Context(session, options, config, project_name(config.root), dist_dir)
        # one release at a time per project, held for the whole nox process (all sessions)
        lock.hold(ctx.state_dir, lock.command_line())
        yield ctx
        ctx.record_step(step)
    except ReleasekitError as exc:
        if ctx is not None and step in ("publish-test", "publish", "github-release"):
            for line in playbook(ctx.dist_dir, ctx.config.tag_prefix):
                ctx.log(line)
        session.error(str(exc))
    except OSError as exc:  # dist/ read-only or full, a file vanished: say which, no traceback
        where = f" {exc.filename}" if exc.filename else ""
        session.error(
            f"cannot read or write{where}: {exc.strerror or exc}\n"
            "  hint: check the permissions and the free space there"
        )


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
    for target in ("test", "prod", "github"):
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
    with _session(session, "check") as ctx:
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
                f"uncommitted changes ({', '.join(dirty[:5])}) are not in the rehearsal: "
                "it builds HEAD"
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
        changelog_path = ctx.config.changelog_path()
        if changelog_path is not None:
            from releasekit.changelog import check_changelog

            found = check_changelog(changelog_path, version)
            ctx.log(f"{changelog_path.name}: {found}")
        elif ctx.config.changelog is False:
            ctx.log("changelog check off ([tool.releasekit] changelog = false)")
        else:
            ctx.log("no changelog (set [tool.releasekit] changelog to check one)")
        indexes, _ = _targets(ctx)
        for index in _indexes_for(ctx.config, version, indexes):
            ctx.log(_index_state(index, ctx.name, version))
        _run_check_sessions(ctx)
        for command in ctx.config.check_commands:
            ctx.log(f"check-commands: {command}  (nox's environment, without credentials)")
            session.run(
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
    """Build sdist, then the wheel from it, from a clean export of HEAD; check; record."""
    from releasekit import build as core

    with _session(session, "build") as ctx:
        tag = git.release_tag(ctx.root, ctx.config.tag_prefix)
        if ctx.options.dist is not None:
            manifest = core.adopt_prebuilt(
                ctx.config, ctx.dist_dir, tools=ctx.tools(), name=ctx.name, tag=tag, log=ctx.log
            )
            ctx.log(f"checked prebuilt files in {ctx.dist_dir}")
        else:
            reused = core.reusable_manifest(ctx.root, ctx.dist_dir, ctx.name)
            if reused is not None and reused.tag == (tag.name if tag else None):
                manifest = reused
                ctx.log(
                    f"reusing {ctx.dist_dir.name}/: built from {(reused.commit or '')[:12]}, "
                    "files unchanged"
                )
            else:
                if git.dirty_files(ctx.root):
                    ctx.warn("building HEAD: uncommitted changes are not in the build")
                manifest = core.build_release(
                    ctx.config, ctx.dist_dir, tools=ctx.tools(), name=ctx.name, tag=tag, log=ctx.log
                )
        for item in manifest.files:
            ctx.log(f"{item.filename}  sha256={item.sha256}  {item.size} bytes")


def smoke_install(session: Any) -> None:
    """Install the wheel and the sdist into fresh venvs; import, load entry points, run commands."""
    from releasekit import smoke

    with _session(session, "smoke-install") as ctx:
        manifest = Manifest.load(ctx.dist_dir)
        manifest.verified_paths(ctx.dist_dir)
        pythons: Sequence[str | None] = ctx.config.smoke.pythons or (None,)
        checks: list[tuple[Callable[[], None], str]] = []
        tested: set[str] = set()
        for python in pythons:
            label = python or f"{sys.version_info[0]}.{sys.version_info[1]} (current)"
            common: dict[str, Any] = dict(
                name=manifest.name, version=manifest.version, python=python,
                workdir=ctx.state_dir / "smoke", install_index=ctx.config.install_index,
                log=ctx.log,
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
                checks.append(
                    (check, f"Python {label}: {wheel.filename} installs, imports and runs")
                )
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
    """Upload the built files to the test index, verify its hashes, install from it."""
    with _session(session, "publish-test") as ctx:
        _publish(ctx, "test")


def publish(session: Any) -> None:
    """Upload the same files to the real index, verify its hashes, install from it."""
    with _session(session, "publish") as ctx:
        _publish(ctx, "prod")


def github_release(session: Any) -> None:
    """The GitHub release of the tag: changelog notes, every built file and SHA256SUMS
    attached to a draft, then published. `--rehearse`/`--dry-run` only say what it would do."""
    from releasekit import github
    from releasekit.changelog import release_notes
    from releasekit.journal import Journal

    with _session(session, "github-release") as ctx:
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
    """``[tool.releasekit] github-release`` of the project the noxfile is in (cwd)."""
    try:
        table = load_pyproject(Path.cwd()).get("tool", {}).get("releasekit", {})
    except ReleasekitError:
        return False
    return isinstance(table, Mapping) and table.get("github-release") is True


def release(session: Any) -> None:
    """check -> build -> smoke-install -> publish-test -> publish, then a summary table."""
    from releasekit.summary import render_summary

    with _session(session, "release") as ctx:
        manifest = Manifest.load(ctx.dist_dir)
        records = {}
        entries = Journal.read(ctx.dist_dir)
        for name in ("test", "prod", "github"):
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
                records[name]["result"] = summarize(done)
        steps = {}
        with contextlib.suppress(OSError, ValueError):
            steps = json.loads((ctx.dist_dir / STEPS_FILE).read_text())
        for line in render_summary(
            manifest, records, steps, rehearsal=ctx.options.rehearse, dry_run=ctx.options.dry_run
        ).splitlines():
            ctx.log(line)


# --- publishing -------------------------------------------------------------------------------


def _publish(ctx: Context, target: str) -> None:
    """Execute the plan for one target: publish-test makes (and prints) the whole plan first."""
    from releasekit import publish as core
    from releasekit import smoke

    manifest = Manifest.load(ctx.dist_dir)
    manifest.verified_paths(ctx.dist_dir)
    indexes, environ = _targets(ctx)
    if target == "test":
        # The first irreversible step: every target of this run is read and judged now, so
        # a conflict on prod stops the release before the test index is changed.
        plan = _make_plan(ctx, manifest, indexes, environ, _scope(ctx))
        for line in plan.render():
            ctx.log(line)
        plan.save(ctx.dist_dir)
    else:  # prod, right before its upload: judged again against what it serves now
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
            workdir=ctx.state_dir / f"smoke-{target}",
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


def _scope(ctx: Context) -> tuple[str, ...]:
    """The targets this nox run goes to: prod too when ``publish`` or ``release`` was named.

    ``nox -s publish-test`` alone tries the test index (untagged is fine there); a run that
    will go on to prod is judged on both before the first upload.
    """
    config = getattr(getattr(ctx.session, "_runner", None), "global_config", None)
    requested = getattr(config, "sessions", None) or []
    if any(name in ("publish", "release") for name in requested):
        return ("test", "prod")
    return ("test",)


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

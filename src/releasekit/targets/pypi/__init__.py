"""A PyPI-style index as a release target: ``test`` (TestPyPI) and ``prod`` (PyPI).

Read through the simple API (:mod:`releasekit.targets.pypi.simple`: sha256, upload time and project
status of each file), written with twine (:mod:`releasekit.targets.pypi.upload`: the exact built
bytes, never twice, settled by hash after a failure), and verified by waiting until the index
serves every file with the built sha256. Credentials: :mod:`releasekit.runtime.credentials`. In a
rehearsal each stands in as a local pypiserver (:mod:`releasekit.rehearsal`). No index API
can yank: :meth:`IndexTarget.withdraw` says where a human does it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from releasekit.core.config import IndexConfig, is_pypi
from releasekit.engine.manifest import file_version
from releasekit.engine.records import FileOutcome
from releasekit.engine.remote import PackageFormat
from releasekit.runtime.credentials import Credentials, index_credentials
from releasekit.targets.base import Published, PublishRun, RemoteView, Stage, Target, TargetState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from releasekit.engine.manifest import Manifest
    from releasekit.engine.plan import TargetPlan
    from releasekit.engine.runcontext import Project
    from releasekit.engine.status import Observed
    from releasekit.targets.pypi import rules

__all__ = ["IndexTarget", "signs"]

_STAGES = {"test": Stage.TEST, "prod": Stage.PROD}

# releasekit's route for a wheel PyPI would refuse for its platform tag (linux_x86_64): the
# files published are exactly those of --dist, so a wheelhouse of repaired wheels replaces it.
_PLATFORM_HINT = (
    "build manylinux/musllinux wheels (cibuildwheel, or `auditwheel repair` on this wheel) and "
    "publish them with --dist DIR, a directory holding only the files to publish (the sdist "
    'and the repaired wheels; see README "Platform wheels")'
)
# For a rule that an index which is not PyPI may not have (a platform tag, a classifier), on
# an index the config points elsewhere than PyPI: the way out if the index takes such files.
_NOT_PYPI_HINT = (
    "; if this index is not PyPI and takes such files, set pypi-rules = false in "
    "[tool.releasekit.indexes.{name}]"
)


class IndexTarget(Target):
    """One of the project's two indexes (``[tool.releasekit.indexes.test|prod]``)."""

    def __init__(
        self,
        index: IndexConfig,
        *,
        project: str,
        environ: Mapping[str, str],
        attestations: bool = False,
        timeout: float = 300.0,
        rehearsal: bool = False,
        stand_in_storage: Path | None = None,
        log: Callable[[str], None] | None = None,
        stands_in_for: IndexConfig | None = None,
    ) -> None:
        self.index = index
        # a rehearsal's stand-in: the configured index it plays (its refusals' hints)
        self.configured = stands_in_for or index
        # PyPI's upload rules at the preflight, or (an index that is not PyPI) only what any
        # index needs of a file: :meth:`preflight`
        self.pypi_rules = index.pypi_rules
        self.name = index.name
        self.stage = _STAGES[index.name]
        self.url = index.url
        self.publish_url = index.publish_url
        self.project = project
        self.environ = environ
        self.attestations = attestations
        self.timeout = timeout
        self.rehearsal = rehearsal
        # a rehearsal's local index: where it keeps its files, and the rehearsal's log
        self.stand_in_storage = stand_in_storage
        self.log = log
        # the upload limit per file PyPI raised for the project (upload-limit-mb), in bytes;
        # None: PyPI's default. It only ever raises PyPI's (:meth:`preflight`)
        limit_mb = index.upload_limit_mb
        self.size_limit = limit_mb * 1024 * 1024 if limit_mb is not None else None
        # Not counted: in a rehearsal (its fresh local index knows no project, so it cannot
        # say which are new), nor with trusted publishing (a new project then comes from a
        # pending publisher, created without the rate limit: warehouse/oidc/views.py,
        # create_project(..., ratelimited=False))
        # (nor on an index that is not PyPI: its limits are its own)
        trusted = index_credentials(index, environ).trusted
        self._counted = not (rehearsal or trusted) and self.pypi_rules

    @property
    def new_projects_per_day(self) -> int | None:  # type: ignore[override]  # read-only
        """PyPI's new-project rate limit (rules.NEW_PROJECTS_PER_DAY) where it counts; the
        rules are imported only when a plan asks (packaging.metadata takes a while)."""
        if not self._counted:
            return None
        from releasekit.targets.pypi import rules

        return rules.NEW_PROJECTS_PER_DAY

    @classmethod
    def configure(cls, project: Project, *, withdrawing: bool = False) -> list[Target]:
        if project.kind.format is not PackageFormat.PYTHON:
            return []
        return [
            cls(
                project.config.indexes[name],
                project=project.name,
                environ=project.environ,
                attestations=signs(project, project.config.indexes[name]),
                timeout=project.config.propagation_timeout,
            )
            for name in _STAGES
        ]

    @classmethod
    def warm_up(cls, project: Project) -> str | None:
        from releasekit.core import git
        from releasekit.rehearsal import start_local_indexes

        start_local_indexes(
            project.state_dir / "rehearsal",
            git.head_commit(project.root) or "no-commit",
            tools_index=project.config.tools_index,
        )
        return "rehearsal: local test and prod indexes starting (the release plan reads them)"

    def stand_in(self, project: Project, log: Callable[[str], None]) -> Target:
        from releasekit.core import git
        from releasekit.rehearsal import local_indexes

        key = git.head_commit(project.root) or "no-commit"
        rehearsal = local_indexes(
            project.state_dir / "rehearsal", key, log=log, tools_index=project.config.tools_index
        )
        storage = rehearsal.storage.get(self.name)
        if storage is not None:  # the stand-in takes what the index takes from this project
            from releasekit.rehearsal import hold_project

            hold_project(
                storage, self.project, upload_limit=self.size_limit, pypi_rules=self.pypi_rules
            )
        return IndexTarget(
            rehearsal.indexes[self.name]._replace(
                upload_limit_mb=self.index.upload_limit_mb, pypi_rules=self.pypi_rules
            ),
            project=self.project,
            environ=rehearsal.environ,
            attestations=self.attestations,
            timeout=self.timeout,
            rehearsal=True,
            stand_in_storage=storage,
            log=log,
            stands_in_for=self.configured,
        )

    def preview(self, name: str, version: str) -> str | None:
        from releasekit.targets.pypi import simple as index_api

        files = index_api.project_files(self.url, name)
        mine = sorted(f for f in files if file_version(f, name) == version)
        if not mine:
            return f"{self.name} ({self.url}): {version} not published yet"
        return (
            f"{self.name} ({self.url}): {version} already has {len(mine)} file(s): "
            f"{', '.join(mine)} (publishing skips identical files and refuses different ones)"
        )

    def read(self, manifest: Manifest) -> TargetState:
        from releasekit.targets.pypi import simple as index_api

        page = index_api.project_page(self.url, manifest.name)
        files = {
            name: RemoteView(remote.sha256, remote.upload_time)
            for name, remote in page.files.items()
        }
        if self.stand_in_storage is not None:  # a rehearsal's own index: never a conflict
            self._drop_own_scratch(manifest, files)
        return TargetState(
            files=files,
            status=page.status,
            status_reason=page.status_reason,
            refusals=self._held(manifest, files, page.status, page.status_reason),
            new_project=not page.known,
        )

    def _drop_own_scratch(self, manifest: Manifest, files: dict[str, RemoteView]) -> None:
        """A stand-in holds only what earlier rehearsals of this commit uploaded: scratch
        space, never a reason to refuse. A file of other bytes than this build's is dropped
        and uploaded again; and when this version's files there are older than PyPI's window
        for new files (the commit rehearsed again weeks later) while this build has one to
        add, all of them are dropped, so the rehearsal starts afresh instead of meeting the
        release-age rule on its own scratch uploads. ``files`` loses what is dropped."""
        from releasekit.rehearsal import drop_earlier_files
        from releasekit.targets.pypi import rules

        assert self.stand_in_storage is not None
        ours = {f.filename: f.sha256 for f in manifest.files}
        other = [n for n, remote in files.items() if n in ours and remote.sha256 != ours[n]]
        why = "this build's bytes differ, so they are uploaded instead"
        adds = bool(other) or any(name not in files for name in ours)
        window = datetime.timedelta(days=rules.NEW_FILES_WINDOW_DAYS)
        now = datetime.datetime.now(datetime.timezone.utc)
        this_version = [n for n in files if file_version(n, manifest.name) == manifest.version]
        times = [files[n].upload_time for n in this_version]
        if adds and any(t is not None and now - t > window for t in times):
            other = this_version
            why = (
                f"they are older than PyPI's {rules.NEW_FILES_WINDOW_DAYS}-day window for new "
                "files of a release, so the rehearsal starts afresh"
            )
        for name in drop_earlier_files(self.stand_in_storage, other):
            theirs = files.pop(name).sha256 or "?"
            if self.log is not None:
                self.log(
                    f"rehearsal {self.name}: dropped {name} (sha256 {theirs[:12]}…), an earlier "
                    f"rehearsal's upload of this commit; {why}"
                )

    def _held(
        self,
        manifest: Manifest,
        files: Mapping[str, RemoteView],
        status: str | None,
        reason: str | None,
    ) -> tuple[tuple[str, str], ...]:
        """What stops new files for ``manifest`` here, from what the index serves: a project
        closed to uploads (PEP 792), and on PyPI a release first uploaded more than
        ``rules.NEW_FILES_WINDOW_DAYS`` ago (PEP 700 upload times; an index that is not PyPI
        has no such window). Nothing when the index holds every file already."""
        if all(f.filename in files for f in manifest.files):
            return ()
        found: list[tuple[str, str]] = []
        if status in ("archived", "quarantined"):
            rule = "PyPI's project-status rule: " if self.pypi_rules else ""
            why = f": {reason}" if reason else ""
            found.append(
                (
                    f"{rule}the project is {status} on this index (PEP 792){why}; it takes no "
                    "uploads",
                    "ask the index's admins or the project's owners; nothing can be uploaded there",
                )
            )
        times = [
            remote.upload_time
            for filename, remote in files.items()
            if remote.upload_time is not None
            and file_version(filename, manifest.name) == manifest.version
        ]
        if not (self.pypi_rules and times):
            return tuple(found)
        from releasekit.targets.pypi import rules

        oldest = min(times)
        age = datetime.datetime.now(datetime.timezone.utc) - oldest
        days = rules.NEW_FILES_WINDOW_DAYS
        if age > datetime.timedelta(days=days):
            found.append(
                (
                    f"PyPI's release-age rule: {manifest.version} was first uploaded "
                    f"{oldest:%Y-%m-%d} ({age.days} days ago); PyPI refuses new files for a "
                    f"release more than {days} days old",
                    "release the missing files under a new version (`releasekit bump post`; "
                    "with a version from git tags, tag a new one)",
                )
            )
        return tuple(found)

    def observe(self, name: str, version: str, manifest: Manifest | None) -> Observed:
        """The files of ``version`` on the index (sha256, PEP 700 upload time), its PEP 792
        project status and the yanked files: one anonymous read of the simple API."""
        from releasekit.engine.status import Observed
        from releasekit.targets.pypi import simple as index_api

        page = index_api.project_page(self.url, name)
        mine = {n: f for n, f in page.files.items() if file_version(n, name) == version}
        details = [
            f"{n} is yanked" + (f" ({f.yanked})" if isinstance(f.yanked, str) else "")
            for n, f in sorted(mine.items())
            if f.yanked
        ]
        if page.status_reason:
            details.append(f"project status reason: {page.status_reason}")
        return Observed(
            files={n: RemoteView(f.sha256, f.upload_time) for n, f in mine.items()},
            state=f"project {page.status or 'active'}",
            details=tuple(details),
        )

    def credentials(self) -> Credentials:
        return index_credentials(self.index, self.environ)

    def preflight(
        self, dist_dir: Path, manifest: Manifest, uploads: Sequence[str]
    ) -> tuple[tuple[str, str], ...]:
        """PyPI's upload rules (:mod:`releasekit.targets.pypi.rules`, ported from Warehouse)
        on every file this index is to be sent: what PyPI would answer 400 to is refused
        here, before the first upload anywhere. The README is not rendered again: ``twine
        check --strict`` rendered it when the files were built or adopted (``--dist``).

        An index that is not PyPI (``pypi-rules = false``) has policies of its own, which
        releasekit cannot know: only what any index needs is checked
        (:func:`releasekit.targets.pypi.rules.check_any_index`, as its stand-in does)."""
        from releasekit.targets.pypi import rules

        if not self.pypi_rules:
            return tuple(
                (violation.message, violation.hint)
                for filename in uploads
                for violation in rules.check_any_index(
                    dist_dir / filename, manifest.name, manifest.version
                )
            )

        refusals: list[tuple[str, str]] = []
        for filename in uploads:
            try:
                # Warehouse's max(MAX_FILESIZE, Project.upload_limit): a raised limit
                # never lowers the default
                limit = max(rules.MAX_FILE_SIZE, self.size_limit or 0)
                found = rules.check_file(dist_dir / filename, size_limit=limit)
            except ImportError as exc:  # trove-classifiers: a dependency of releasekit[nox]
                return (
                    (
                        f"PyPI's rules cannot be checked: {exc}",
                        "install releasekit with its publish extra: pip install "
                        "'releasekit[publish]' (the nox extra includes it)",
                    ),
                )
            refusals += [self._refusal(v) for v in found]
        return tuple(refusals)

    def _refusal(self, violation: rules.Violation) -> tuple[str, str]:
        """:func:`_refusal`, and on an index the config points elsewhere than PyPI, for a
        rule such an index may not have, the way out if it is not PyPI: ``pypi-rules``."""
        message, hint = _refusal(violation)
        configured = self.configured
        elsewhere = not (is_pypi(configured.url) or is_pypi(configured.publish_url))
        if elsewhere and violation.rule in ("platform-tag", "classifier"):
            hint += _NOT_PYPI_HINT.format(name=configured.name)
        return message, hint

    def prestart(
        self, manifest: Manifest, dist_dir: Path, uploads: Sequence[str], run: PublishRun
    ) -> None:
        if not uploads or run.dry_run or (self.attestations and self.stage is Stage.TEST):
            return  # the test upload's attestations are made after this, so its command differs
        from releasekit.targets.pypi import upload as publish

        publish.prestart_upload(
            [dist_dir / name for name in uploads],
            self.index,
            twine=[*run.tools(), "-m", "twine"],
            environ=self.environ,
        )

    def publish(
        self, manifest: Manifest, dist_dir: Path, planned: TargetPlan, run: PublishRun
    ) -> Published | None:
        from releasekit.targets.pypi import upload as publish

        if run.dry_run:
            signed = " with its PEP 740 attestation" if self.attestations else ""
            for filename in planned.uploads:
                run.log(f"dry run: would upload {filename}{signed} to {self.publish_url}")
            return None
        if planned.uploads and self.stage is not Stage.TEST and not run.rehearse:
            run.confirm(
                f"Publish {manifest.name} {manifest.version} ({len(planned.uploads)} file(s)) "
                f"to {self.publish_url}? [y/N] "
            )
        if self.attestations and planned.uploads:  # PEP 740: signed once, sent to each index
            from releasekit.targets.pypi import attest

            attest.make_attestations(
                manifest.verified_paths(dist_dir),
                log=run.log,
                python=run.tools()[0],
                environ=self.environ,
                rehearse=run.rehearse,
            )

        def landed(name: str, sha256: str) -> None:
            run.journal.record(
                "upload", self.name, name, sha256, url=self.url, version=manifest.version
            )

        result = publish.publish(
            manifest,
            dist_dir,
            self.index,
            twine=[*run.tools(), "-m", "twine"],
            environ=self.environ,
            log=run.log,
            verify_timeout=self.timeout,
            landed=landed,
        )
        run.log(
            f"{self.name} ({self.url}): {result.summary}; serves the built sha256 of every file"
        )
        return Published(
            result.summary,
            tuple(FileOutcome(f.filename, f.sha256, f.outcome.value) for f in result.files),
            self.url,
        )

    def install_source(self) -> str | None:
        return self.url

    def withdraw(
        self, name: str, version: str, reason: str, echo: Callable[[str], None]
    ) -> tuple[str, str] | None:
        echo(f"  {self.name}: {yank_page(self.url, name, version)}")
        return None  # the page is what there is to do on an index: said, so done


def _refusal(violation: rules.Violation) -> tuple[str, str]:
    """One rule's verdict on one file as the plan says it: the rule, the file, PyPI's words."""
    message = violation.message.rstrip(".")  # PyPI's sentence, in the plan's "; "-joined list
    if violation.filename not in message:
        message = f"{violation.filename}: {message}"
    hint = _PLATFORM_HINT if violation.rule == "platform-tag" else violation.hint
    return f"PyPI's {violation.rule} rule: {message}", hint


def signs(project: Project, index: IndexConfig | None = None) -> bool:
    """Whether uploads of ``project`` (to ``index``; to any of its indexes when ``None``)
    carry PEP 740 attestations: ``[tool.releasekit] attestations`` when set, else whenever
    the upload authenticates by trusted publishing, the only identity PyPI accepts
    attestations from (and one a CI job has anyway)."""
    if project.config.attestations is not None:
        return project.config.attestations
    indexes = [index] if index is not None else list(project.config.indexes.values())
    return any(index_credentials(i, project.environ).trusted for i in indexes)


def yank_page(index_url: str, name: str, version: str) -> str:
    """Where a human yanks ``version`` on an index: there is no upload API for it."""
    from urllib.parse import urlsplit

    host = urlsplit(index_url).hostname or ""
    if host in ("pypi.org", "test.pypi.org"):
        return (
            f"open https://{host}/manage/project/{name}/release/{version}/ and choose "
            "Options > Yank (a yanked release is skipped by installers unless pinned exactly)"
        )
    return (
        f"{index_url} has no yank API known to releasekit: yank or remove {version} there by hand"
    )

"""The GitHub release of the tag as a release target (``github-release = true``).

It is written after prod (:attr:`Stage.AFTER_PROD`), but it is planned with every other
target, before the first upload anywhere: its settings (``GITHUB_REPOSITORY`` or the
``origin`` remote, ``GITHUB_API_URL``), its token, and what GitHub already holds for the tag
(a same-named asset with other bytes, a published immutable release, a ``SHA256SUMS`` of
another build) are all read and judged then, so a release GitHub would refuse never
reaches PyPI. The writing itself (:func:`releasekit.targets.github.step.publish_github_release`)
reads GitHub once more, then makes a draft, uploads what is missing with each asset journaled as
it lands, checks the digests GitHub lists and publishes the draft.

In a rehearsal nothing is read from or written to GitHub: the stand-in says what the
release would do. Withdrawing marks the release ``[YANKED]``, the reason first in its notes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from releasekit.core.version import Channel, channel, tag_for
from releasekit.engine.remote import PackageFormat
from releasekit.errors import ReleasekitError
from releasekit.runtime.credentials import Credentials
from releasekit.targets.base import Published, PublishRun, RemoteView, Stage, Target, TargetState

if TYPE_CHECKING:
    from releasekit.engine.manifest import Manifest
    from releasekit.engine.plan import TargetPlan
    from releasekit.engine.runcontext import Project
    from releasekit.engine.status import Observed
    from releasekit.targets.github.step import Settings

__all__ = ["GitHubReleaseTarget"]

_TOKEN_HINT = (
    "in GitHub Actions add `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` to the step and "
    "`permissions: contents: write` to the job; elsewhere export a token that may write the "
    "repository's contents"
)


class GitHubReleaseTarget(Target):
    """The release of the project's tag on its GitHub repository."""

    noun = "release"
    per_tag = True  # the release of the tag: members sharing the tag share it

    def __init__(
        self,
        settings: Settings | None,
        *,
        problem: ReleasekitError | None = None,
        tag_prefix: str | None,
        changelog: Path | None,
        enabled: bool = True,
        rehearsal: bool = False,
    ) -> None:
        self.name = "github"
        self.stage = Stage.AFTER_PROD
        self.settings = settings
        self.problem = problem  # the settings could not be made: a refusal at the plan
        # the journal's key: a rehearsal's lines must never count for the real repository
        real = settings.journal_url if settings is not None else "github"
        self.url = self.publish_url = f"rehearsal:{real}" if rehearsal else real
        self.tag_prefix = tag_prefix
        self.changelog = changelog
        self.enabled = enabled
        self.rehearsal = rehearsal

    @classmethod
    def configure(cls, project: Project, *, withdrawing: bool = False) -> list[Target]:
        """The GitHub release of a Python project with ``github-release = true``; for
        ``yank``, of a single project whatever the setting (a release may have been made by
        hand), never of a workspace member that has it off."""
        enabled = project.config.github_release
        if project.kind.format is not PackageFormat.PYTHON:
            return []
        if not enabled and (project.member is not None or not withdrawing):
            return []
        from releasekit.targets.github import step as github

        settings: Settings | None = None
        problem: ReleasekitError | None = None
        try:
            settings = github.Settings.from_env(project.environ, project.root)
        except ReleasekitError as exc:
            problem = exc
        return [
            cls(
                settings,
                problem=problem,
                tag_prefix=project.new_tag_prefix,
                changelog=project.config.changelog_path(),
                enabled=enabled,
            )
        ]

    @classmethod
    def absent(cls, project: Project) -> str | None:
        """Why ``project`` has no GitHub release, for ``yank``'s report of a member."""
        if (
            project.kind.format is PackageFormat.PYTHON
            and project.member
            and not project.config.github_release
        ):
            return "  github: no GitHub release for this member (github-release is off)"
        return None

    def stand_in(self, project: Project, log: Callable[[str], None]) -> Target:
        settings = self.settings
        if settings is not None:  # nothing is read from or written to GitHub
            settings = dataclasses.replace(settings, token=None)
        return GitHubReleaseTarget(
            settings,
            problem=self.problem,
            tag_prefix=self.tag_prefix,
            changelog=self.changelog,
            rehearsal=True,
        )

    def _tag(self, manifest: Manifest) -> str:
        return manifest.tag or tag_for(manifest.version, self.tag_prefix)

    def _files(self, manifest: Manifest, dist_dir: Path) -> list[tuple[Path, str]]:
        return [(dist_dir / f.filename, f.sha256) for f in manifest.files]

    def _settings(self) -> Settings:
        """The settings, or the problem that kept them from being made (exactly one is
        there: :meth:`configure` makes one or the other)."""
        if self.settings is None:
            assert self.problem is not None
            raise self.problem
        return self.settings

    def read(self, manifest: Manifest) -> TargetState:
        if self.problem is not None:
            raise self.problem
        if self.rehearsal or self.settings is None or self.settings.token is None:
            return TargetState()  # not read: no token is its own refusal
        from releasekit.targets.github import step as github

        names = {f.filename for f in manifest.files} | {github.SUMS_NAME}
        release = github.read_release(self.settings, self._tag(manifest), names)
        if release is None:
            return TargetState()
        files = {
            a.name: RemoteView(a.digest.split(":", 1)[1] if a.digest else None)
            for a in release.assets
            if a.state == "uploaded"  # an unfinished upload is replaced, not compared
        }
        refusals: list[tuple[str, str]] = []
        sums = github.sha256sums([(f.filename, f.sha256) for f in manifest.files])
        ours = hashlib.sha256(sums).hexdigest()
        there = files.pop(github.SUMS_NAME, None)
        if there is not None and (there.sha256 or "").lower() != ours:
            refusals.append(
                (
                    f"{github.SUMS_NAME} is already on the release {release.html_url} with "
                    "other bytes (the checksums of another build)",
                    "delete it on the release page and rerun, or release the build it lists",
                )
            )
        missing = [f for f in manifest.files if f.filename not in files]
        if release.immutable and not release.draft and (missing or there is None):
            refusals.append(
                (
                    f"the published release {release.html_url} is immutable: no files can "
                    "be added to it",
                    "release a new version: GitHub keeps an immutable release as it is",
                )
            )
        return TargetState(files=files, refusals=tuple(refusals))

    def observe(self, name: str, version: str, manifest: Manifest | None) -> Observed:
        """The release of the tag: draft or published, its assets and their digests, and
        whether its ``SHA256SUMS`` is this build's; read with ``GITHUB_TOKEN`` when set,
        else anonymously (a public repository; a draft shows only to a token)."""
        from releasekit.engine.status import Observed
        from releasekit.targets.github import step as github

        settings = self._settings()
        tag = (
            manifest.tag
            if manifest is not None and manifest.tag
            else tag_for(version, self.tag_prefix)
        )
        names = {f.filename for f in manifest.files} if manifest is not None else set()
        release = github.read_release(settings, tag, names | {github.SUMS_NAME})
        anonymous = () if settings.token else ("read without GITHUB_TOKEN: drafts not seen",)
        if release is None:
            return Observed(state=f"no release of {tag}", details=anonymous)
        files = {
            a.name: RemoteView(a.digest.split(":", 1)[1] if a.digest else None)
            for a in release.assets
            if a.state == "uploaded"
        }
        problems: list[str] = []
        if release.draft:
            problems.append(f"the release of {tag} is a draft (not public): {release.html_url}")
        sums = files.pop(github.SUMS_NAME, None)
        if manifest is not None:
            built = github.sha256sums([(f.filename, f.sha256) for f in manifest.files])
            if sums is None:
                problems.append(f"{github.SUMS_NAME} is not on the release")
            elif (sums.sha256 or "").lower() != hashlib.sha256(built).hexdigest():
                problems.append(f"{github.SUMS_NAME} on the release lists another build")
        state = "draft" if release.draft else "published"
        if release.prerelease:
            state += " pre-release"
        if release.immutable:
            state += " (immutable)"
        return Observed(
            files=files,
            state=f"{state}: {release.html_url}",
            details=anonymous,
            problems=tuple(problems),
        )

    def credentials(self) -> Credentials:
        if self.rehearsal:
            return Credentials(True, how="rehearsal: nothing is sent to GitHub")
        if self.settings is not None and self.settings.token:
            return Credentials(True, how="GITHUB_TOKEN")
        return Credentials(False, hint=_TOKEN_HINT)

    def publish(
        self, manifest: Manifest, dist_dir: Path, planned: TargetPlan, run: PublishRun
    ) -> Published | None:
        from releasekit.project.changelog import release_notes
        from releasekit.targets.github import step as github

        settings = self._settings()  # a rerun of this step alone: refused as the plan would
        notes = ""
        if self.changelog is not None and self.changelog.is_file():
            notes = (
                release_notes(self.changelog.read_text(encoding="utf-8"), manifest.version) or ""
            )
        dry_run = run.dry_run or self.rehearsal
        result = github.publish_github_release(
            settings,
            tag=self._tag(manifest),
            version=manifest.version,
            prerelease=channel(manifest.version) is not Channel.FINAL,
            notes=notes,
            files=self._files(manifest, dist_dir),
            dry_run=dry_run,
            journal=None if dry_run else run.journal,
            echo=run.log,
        )
        if dry_run:  # a rehearsal's stand-in has a line in the summary; a dry run has not
            return Published("rehearsal: nothing sent to GitHub") if self.rehearsal else None
        parts = [f"{len(result.uploaded)} asset(s) uploaded"]
        if result.skipped:
            parts.append(f"{len(result.skipped)} already there")
        parts.append("created" if result.created else "existing release")
        if result.published:
            parts.append("published")
        return Published(", ".join(parts), url=result.release_url)

    def withdraw(
        self, name: str, version: str, reason: str, echo: Callable[[str], None]
    ) -> tuple[str, str] | None:
        from releasekit.targets.github import step as github

        tag = tag_for(version, self.tag_prefix)
        if self.problem is not None and not self.enabled:
            # github-release is off: a release made by hand is marked where one can be found
            echo(
                "  github: skipped (github-release is off, and a release made by hand cannot "
                f"be marked: {self.problem.message})"
            )
            return (self.problem.message, self.problem.hint)
        settings = self._settings()
        if settings.token is None:
            echo(
                f"  github: set GITHUB_TOKEN to mark the release {tag} as yanked, or edit it "
                "by hand"
            )
            return (
                "GITHUB_TOKEN is not set to mark the GitHub release of",
                "set GITHUB_TOKEN to a token that may write the repository's contents",
            )
        url = github.mark_yanked(settings, tag=tag, reason=reason)
        echo(f"  github: {url} marked [YANKED], the reason first in its notes")
        return None

"""The GitHub release of the tag: the built files, with their sha256, on the tag's release.

The step runs after ``publish``; its target (:mod:`releasekit.targets.github`) is
planned with every other target, before the first upload anywhere. For the release tag it:

1. reads what GitHub has: the release (published ones by tag; a draft only shows up in the
   list of releases, so a draft left by a failed run is found there) and its assets;
2. plans, purely, from that one read (:func:`plan_github_release`): create the release or
   keep the one that exists, which files to upload, which are already there with the same
   bytes (GitHub reports each asset's ``digest``, ``sha256:<hex>``), and what to refuse (a
   same-named asset with other bytes) -- before anything changes;
3. creates the release as a **draft** (body: the changelog section; pre-releases flagged and
   never marked latest), uploads every built file plus ``SHA256SUMS``, checks GitHub lists
   them all with our digests, and only then publishes the draft. A watcher never sees a
   published release with files missing, and the release suits immutable releases.

A rerun does only what is missing: a run that died between two uploads leaves a draft
holding some of the files, which the next run finds, completes and publishes. A release a
human made (which is what triggers a ``release: published`` workflow) keeps its name and
notes; the files are added to it.

The package's modules: :mod:`~releasekit.targets.github.settings` (where the release goes, the URL
rules), :mod:`~releasekit.targets.github.plan` (the pure plan),
:mod:`~releasekit.targets.github.client` (the REST calls through githubkit); this module does the
step with them.

The token is GitHub's ``GITHUB_TOKEN``. It never appears in a repr, a message, an exception
or a log line of releasekit: it is only ever put into the ``Authorization`` header.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.targets.github.client import Client
from releasekit.targets.github.plan import (
    SUMS_NAME,
    AssetStep,
    GitHubPlan,
    RemoteAsset,
    RemoteRelease,
    plan_github_release,
    sha256sums,
)
from releasekit.targets.github.settings import (
    DEFAULT_API_URL,
    GitHubError,
    Settings,
    parse_remote_url,
    upload_target,
)

if TYPE_CHECKING:
    from releasekit.engine.journal import Journal

__all__ = [
    "DEFAULT_API_URL",
    "SUMS_NAME",
    "YANKED",
    "AssetStep",
    "GitHubError",
    "GitHubPlan",
    "GitHubResult",
    "RemoteAsset",
    "RemoteRelease",
    "Settings",
    "mark_yanked",
    "parse_remote_url",
    "plan_github_release",
    "publish_github_release",
    "read_release",
    "sha256sums",
    "upload_target",
]

JOURNAL_TARGET = "github"


@dataclass(frozen=True)
class GitHubResult:
    """What the step did (or, for a dry run, would do)."""

    plan: GitHubPlan
    release_id: int | None
    release_url: str | None
    created: bool
    published: bool
    uploaded: tuple[str, ...]
    skipped: tuple[str, ...]
    dry_run: bool = False


def publish_github_release(
    settings: Settings,
    *,
    tag: str,
    version: str,
    prerelease: bool,
    notes: str,
    files: Sequence[tuple[Path | str, str]],
    dry_run: bool = False,
    journal: Journal | None = None,
    echo: Callable[[str], None] = print,
) -> GitHubResult:
    """Put ``files`` (path, hex sha256) and ``SHA256SUMS`` on the release of ``tag``.

    Reads GitHub, plans (refusing before any change), then creates the draft if there is no
    release, uploads what is missing to the release's ``upload_url``, checks GitHub lists
    every file with our digest, and publishes the draft. Each upload is recorded in
    ``journal`` (step ``asset``, target ``github``) the moment it is done. ``dry_run`` reads
    GitHub (if a token is set), prints the plan through ``echo`` and changes nothing.
    """
    head = f"GitHub: {settings.repository} ({settings.repository_source}) at {settings.api_url}"
    if settings.token is None:
        if not dry_run:
            raise GitHubError(
                "GITHUB_TOKEN is not set: releasekit cannot create or change the GitHub release",
                "in GitHub Actions add `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` to the "
                "step and `permissions: contents: write` to the job; elsewhere export a token "
                "that may write the repository's contents",
            )
        plan = plan_github_release(
            None,
            tag=tag,
            version=version,
            prerelease=prerelease,
            notes=notes,
            files=files,
            read=False,
        )
        return _dry_result(plan, head, echo)

    with Client(settings) as client:
        release = _read_release(client, tag, _names(files))
        plan = plan_github_release(
            release, tag=tag, version=version, prerelease=prerelease, notes=notes, files=files
        )
        if dry_run:
            return _dry_result(plan, head, echo)
        _refuse(plan)
        echo(head)
        for line in plan.describe():
            echo(f"  {line}")

        if release is None:
            release = client.create_draft(tag, notes, prerelease)
            echo(f"  created draft {tag} (release id {release.id})")
        base, owner, repo, release_id = upload_target(release.upload_url, settings.api_url)
        uploaded: list[str] = []
        for step in plan.uploads:
            data = _read(step)
            if step.action == "replace" and step.remote_id is not None:
                client.delete_asset(step.remote_id)
            asset = client.upload(base, owner, repo, release_id, step.name, data)
            if asset.name != step.name:
                raise GitHubError(
                    f"GitHub stored {step.name} under the name {asset.name}",
                    "rename the file so that GitHub keeps its name (letters, digits, "
                    "`.`, `-`, `_`), then delete the renamed asset and rerun",
                )
            if asset.digest is not None and asset.digest.lower() != f"sha256:{step.sha256}":
                raise GitHubError(
                    f"GitHub stored other bytes for {step.name} ({asset.digest}, sent "
                    f"sha256:{step.sha256})",
                    "delete the asset on the release page and rerun",
                )
            uploaded.append(step.name)
            echo(f"  uploaded {step.name}")
            if journal is not None:
                journal.record(
                    "asset",
                    JOURNAL_TARGET,
                    step.name,
                    step.sha256,
                    url=settings.journal_url,
                    version=version,
                    tag=tag,
                    release=release.html_url,
                )

        _verify(client.list_assets(release.id), plan, release.html_url)
        published = False
        if plan.publish:
            release = client.publish(release.id, release.prerelease or prerelease)
            published = True
            echo(f"  published {release.html_url}")
        return GitHubResult(
            plan=plan,
            release_id=release.id,
            release_url=release.html_url,
            created=plan.create,
            published=published,
            uploaded=tuple(uploaded),
            skipped=tuple(a.name for a in plan.skips),
        )


def read_release(settings: Settings, tag: str, names: set[str]) -> RemoteRelease | None:
    """The release of ``tag`` with its assets, each with a digest where it is one of
    ``names`` (the plan's one read of GitHub); ``None`` when there is none."""
    with Client(settings) as client:
        return _read_release(client, tag, names)


def _read_release(client: Client, tag: str, names: set[str]) -> RemoteRelease | None:
    release = client.find_release(tag)
    if release is None:
        return None
    assets = tuple(client.fill_digest(a, names) for a in client.list_assets(release.id))
    return dataclasses.replace(release, assets=assets)


def _names(files: Sequence[tuple[Path | str, str]]) -> set[str]:
    return {Path(path).name for path, _ in files} | {SUMS_NAME}


def _dry_result(plan: GitHubPlan, head: str, echo: Callable[[str], None]) -> GitHubResult:
    echo(f"{head} (dry run: nothing changes on GitHub)")
    for line in plan.describe(dry_run=True):
        echo(f"  {line}")
    _refuse(plan)
    return GitHubResult(
        plan=plan,
        release_id=None if plan.release is None else plan.release.id,
        release_url=None if plan.release is None else plan.release.html_url,
        created=False,
        published=False,
        uploaded=(),
        skipped=tuple(a.name for a in plan.skips),
        dry_run=True,
    )


def _refuse(plan: GitHubPlan) -> None:
    if not plan.refusals:
        return
    where = f" ({plan.release.html_url})" if plan.release is not None else ""
    raise GitHubError(
        "; ".join(plan.refusals),
        "nothing was changed on GitHub; releasekit never replaces a release asset: if the "
        f"asset on the release{where} is wrong, delete it there and rerun, otherwise release "
        "the build that produced it",
        status=None,
    )


def _read(step: AssetStep) -> bytes:
    """The bytes to upload, hashed again: what is sent is what was planned, or nothing."""
    if step.content is not None:
        data = step.content
    else:
        assert step.path is not None
        data = step.path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != step.sha256:
        raise GitHubError(
            f"{step.name} changed since it was built (sha256 {actual[:12]}…, expected "
            f"{step.sha256[:12]}…)",
            "rebuild with `nox -s build` and check what touched dist/",
        )
    return data


def _verify(assets: tuple[RemoteAsset, ...], plan: GitHubPlan, url: str) -> None:
    """Every planned file is listed, finished, with our digest: only then publish."""
    listed = {a.name: a for a in assets}
    for step in plan.assets:
        there = listed.get(step.name)
        if there is None or there.state != "uploaded":
            raise GitHubError(
                f"GitHub does not list {step.name} as uploaded on {url} after the upload",
                "the release was left a draft; rerun to finish it",
            )
        if there.digest is not None and there.digest.lower() != f"sha256:{step.sha256}":
            raise GitHubError(
                f"GitHub lists {step.name} with {there.digest}, not sha256:{step.sha256}",
                "the release was left a draft; delete that asset on the release page and rerun",
            )


YANKED = "[YANKED] "


def mark_yanked(settings: Settings, *, tag: str, reason: str) -> str:
    """Mark the GitHub release of ``tag`` as yanked: its title gets ``[YANKED]``, its notes
    start with the reason. Nothing is deleted (assets stay, for those who pinned them).
    Returns the release's URL; a second call changes nothing."""
    if settings.token is None:
        raise GitHubError(
            "GITHUB_TOKEN is not set: releasekit cannot mark the GitHub release as yanked",
            "export a token that may write the repository's contents, or edit the release on "
            "GitHub by hand",
        )
    with Client(settings) as client:
        release = client.find_release(tag)
        if release is None:
            raise GitHubError(
                f"no GitHub release for {tag} in {settings.repository}",
                "nothing to mark on GitHub; yank the files on the indexes only",
            )
        if (release.name or "").startswith(YANKED):
            return release.html_url
        note = f"**Yanked:** {reason}\n\n" if reason else "**Yanked.**\n\n"
        client.mark(release.id, YANKED + (release.name or tag), note + (release.body or ""))
        return release.html_url

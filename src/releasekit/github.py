"""A GitHub release as a release target: the built files, with their sha256, on the tag's release.

The step runs after ``publish``. For the release tag it:

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

HTTP goes through githubkit, a typed client whose models are generated from GitHub's
OpenAPI description: the request bodies are validated against GitHub's schema before they
are sent and the answers are parsed by the same models. Three of its defaults are wrong for
a release and are turned off here: the HTTP cache (a cached asset list would hide the
uploads just made), automatic retries (a retried upload that had landed would be answered
"already exists"; a rerun of releasekit settles it by digest instead), and the upload base
URL (githubkit posts uploads to the API host; GitHub wants them on the release's
``upload_url`` host, ``uploads.github.com`` or ``<host>/api/uploads`` on GitHub Enterprise
Server). githubkit is imported only when GitHub is actually called, so the settings and the
plan work without the ``github`` extra installed.

The token is GitHub's ``GITHUB_TOKEN``. It never appears in a repr, a message, an exception
or a log line of releasekit: it is only ever put into the ``Authorization`` header.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from releasekit import urls
from releasekit.errors import ReleasekitError
from releasekit.installed import import_installed

if TYPE_CHECKING:
    import httpx
    from githubkit import GitHub
    from githubkit.auth.base import BaseAuthStrategy

    from releasekit.journal import Journal

__all__ = [
    "DEFAULT_API_URL",
    "SUMS_NAME",
    "AssetStep",
    "GitHubError",
    "GitHubPlan",
    "GitHubResult",
    "RemoteAsset",
    "RemoteRelease",
    "Settings",
    "parse_remote_url",
    "plan_github_release",
    "publish_github_release",
    "read_release",
    "sha256sums",
    "upload_target",
]

DEFAULT_API_URL = "https://api.github.com"
SUMS_NAME = "SHA256SUMS"
JOURNAL_TARGET = "github"
# What GitHub Enterprise Server has understood since 3.9; github.com still accepts it. The
# client library's default (its newest API version) is sent to api.github.com only.
_GHES_API_VERSION = "2022-11-28"
_DEFAULT_TIMEOUT = 60.0
# A draft from a failed run is among the newest releases; the list is newest first.
_MAX_RELEASE_PAGES = 10
_PER_PAGE = 100
_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_UPLOAD_PATH_RE = re.compile(
    r"^(?P<base>.*/)repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/releases/(?P<id>[0-9]+)/assets$"
)
_CONTENT_TYPES = (
    (".whl", "application/zip"),
    (".zip", "application/zip"),
    (".tar.gz", "application/gzip"),
    (".tgz", "application/gzip"),
    (SUMS_NAME, "text/plain"),
)


class GitHubError(ReleasekitError):
    """GitHub refused or could not be reached, or what it holds conflicts with the build.

    ``status`` is the HTTP status when GitHub answered one (``None`` otherwise), so a front
    end or a test can tell a refused token from a conflict without parsing the message.
    """

    def __init__(self, message: str, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Where the release goes and with which token, read once from GitHub's own variables.

    The names are those GitHub Actions sets (``GITHUB_TOKEN`` by ``env:``, the other two
    always), so the step needs no configuration of its own in a workflow; elsewhere the
    repository comes from the ``origin`` remote.
    """

    owner: str
    repo: str
    api_url: str
    token: str | None = field(default=None, repr=False, compare=False)
    repository_source: str = "GITHUB_REPOSITORY"
    timeout: float = _DEFAULT_TIMEOUT

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def journal_url(self) -> str:
        """The repository's API URL: what the journal keys this repository's releases by."""
        return f"{self.api_url}/repos/{self.owner}/{self.repo}"

    @property
    def is_github_com(self) -> bool:
        return urlsplit(self.api_url).hostname == "api.github.com"

    def __repr__(self) -> str:
        token = "set" if self.token else "not set"
        return (
            f"Settings(repository={self.repository!r}, api_url={self.api_url!r}, "
            f"token={token}, repository_source={self.repository_source!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str], root: Path | str) -> Settings:
        """``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` (else the ``origin`` remote of the git
        repository at ``root``) and ``GITHUB_API_URL`` (else ``https://api.github.com``, or
        ``https://<host>/api/v3`` when the remote is a GitHub Enterprise Server host).

        A missing token is not an error here: a dry run or a rehearsal can still say what
        it would do. :func:`publish_github_release` refuses to write without one.
        """
        token = environ.get("GITHUB_TOKEN", "").strip() or None
        api_env = environ.get("GITHUB_API_URL", "").strip()
        repository = environ.get("GITHUB_REPOSITORY", "").strip()
        remote_host: str | None = None
        if repository:
            if not _REPOSITORY_RE.match(repository):
                raise GitHubError(
                    f"GITHUB_REPOSITORY is {repository!r}, not OWNER/NAME",
                    "set GITHUB_REPOSITORY to the repository's owner and name, e.g. "
                    "`octo-org/octo-repo`, or unset it to use the origin remote",
                )
            owner, repo = repository.split("/")
            source = "GITHUB_REPOSITORY"
        else:
            url = _origin_url(root)
            if url is None:
                raise GitHubError(
                    f"no GitHub repository to release to: GITHUB_REPOSITORY is not set and "
                    f"the git repository at {root} has no `origin` remote",
                    "set GITHUB_REPOSITORY=OWNER/NAME (GitHub Actions sets it), or add the "
                    "remote: `git remote add origin https://github.com/OWNER/NAME.git`",
                )
            parsed = parse_remote_url(url)
            if parsed is None:
                raise GitHubError(
                    f"the origin remote {_redact_url(url)} is not a GitHub repository URL",
                    "set GITHUB_REPOSITORY=OWNER/NAME (and GITHUB_API_URL for GitHub "
                    "Enterprise Server)",
                )
            remote_host, owner, repo = parsed
            source = f"origin remote {_redact_url(url)}"
        if api_env:
            api_url = api_env
        elif remote_host is not None and remote_host.lower() not in (
            "github.com",
            "www.github.com",
        ):
            api_url = f"https://{remote_host}/api/v3"
        else:
            api_url = DEFAULT_API_URL
        _check_url(api_url, "GITHUB_API_URL")
        return cls(
            owner=owner,
            repo=repo,
            api_url=api_url.rstrip("/"),
            token=token,
            repository_source=source,
        )


def parse_remote_url(url: str) -> tuple[str, str, str] | None:
    """``(host, owner, repo)`` of a git remote URL that names a GitHub-style repository.

    Understands what ``git clone`` is given for github.com and GitHub Enterprise Server:
    ``https://host/OWNER/REPO(.git)``, ``ssh://git@host(:port)/OWNER/REPO(.git)``,
    ``git@host:OWNER/REPO(.git)`` and ``git://host/OWNER/REPO``. Anything else (a local
    path, a URL with more path segments) is ``None``: guessing wrong would publish to
    another repository.
    """
    url = url.strip()
    scp = re.match(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^/].*)$", url)
    if "://" not in url and scp:
        host, path = scp.group("host"), scp.group("path")
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh", "ssh+git"):
            return None
        if not parts.hostname:
            return None
        host, path = parts.hostname, unquote(parts.path)
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    segments = path.split("/")
    if len(segments) != 2 or not all(segments):
        return None
    owner, repo = segments
    if not _REPOSITORY_RE.match(f"{owner}/{repo}"):
        return None
    return host, owner, repo


def _origin_url(root: Path | str) -> str | None:
    """The fetch URL of ``origin`` at ``root``, or ``None`` (no git, no repo, no remote)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    url = done.stdout.strip()
    return url if done.returncode == 0 and url else None


def _redact_url(url: str) -> str:
    """``url`` without the credentials an https remote sometimes carries
    (``https://x-access-token:TOKEN@github.com/...``); ``ssh://git@host`` stays as it is.
    :func:`releasekit.urls.redact_url`, under the name this module's callers use."""
    return urls.redact_url(url)


def _check_url(
    url: str,
    what: str,
    hint: str = "set it to the API root, e.g. https://api.github.com or https://HOST/api/v3",
) -> None:
    """Refuse a URL the token would leak through: only https, or http to loopback
    (:func:`releasekit.urls.unsafe_reason`'s rule, which also refuses user info in it)."""
    if urls.unsafe_reason(url) is None:
        return
    raise GitHubError(
        f"{what} is {_redact_url(url)!r}: releasekit sends the token only over https",
        hint,
    )


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class RemoteAsset:
    """One asset of a release, as GitHub lists it."""

    id: int
    name: str
    digest: str | None  # "sha256:<hex>"; None where GitHub (or an old GHES) gives none
    state: str = "uploaded"  # "open" (or "starter"): an upload that never finished
    size: int = 0
    url: str = ""  # the API URL of the asset (downloads its bytes)


@dataclass(frozen=True)
class RemoteRelease:
    """The release GitHub has for the tag: the fields the step decides on."""

    id: int
    tag_name: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    upload_url: str
    html_url: str
    immutable: bool = False
    assets: tuple[RemoteAsset, ...] = ()


@dataclass(frozen=True)
class AssetStep:
    """What happens to one file on the release."""

    name: str
    sha256: str
    action: str  # "upload", "skip" (there with these bytes), "replace" (an unfinished upload)
    path: Path | None = None  # None for SHA256SUMS, whose bytes are ``content``
    content: bytes | None = field(default=None, repr=False)
    remote_id: int | None = None  # the asset to delete first, for "replace"


@dataclass(frozen=True)
class GitHubPlan:
    """Everything the step will do, decided from one read of GitHub before any change."""

    tag: str
    version: str
    release: RemoteRelease | None  # what GitHub has now (None: nothing, or not read)
    create: bool  # create the release as a draft
    publish: bool  # publish the draft at the end
    prerelease: bool  # of the release as it will be
    notes: str = field(repr=False)
    assets: tuple[AssetStep, ...]
    refusals: tuple[str, ...] = ()
    read: bool = True  # False: GitHub was not read (no token), the plan assumes nothing there

    @property
    def uploads(self) -> tuple[AssetStep, ...]:
        return tuple(a for a in self.assets if a.action in ("upload", "replace"))

    @property
    def skips(self) -> tuple[AssetStep, ...]:
        return tuple(a for a in self.assets if a.action == "skip")

    @property
    def changes_anything(self) -> bool:
        return self.create or self.publish or bool(self.uploads)

    def describe(self, *, dry_run: bool = False) -> list[str]:
        """One line per step, for the log and for ``--dry-run``."""
        would = "would " if dry_run else "will "
        lines: list[str] = []
        if not self.read:
            lines.append(
                "GitHub not read (GITHUB_TOKEN is not set): assuming no release exists "
                f"for {self.tag}"
            )
        if self.create:
            kind = "pre-release, not marked latest" if self.prerelease else "release"
            lines.append(
                f"{would}create draft {kind} {self.tag} with the changelog section "
                f"({len(self.notes)} characters) as its notes"
            )
        elif self.release is not None:
            state = "draft" if self.release.draft else "published release"
            lines.append(
                f"{self.tag}: {state} {self.release.html_url} exists; its name and notes are kept"
            )
        for asset in self.assets:
            if asset.action == "skip":
                lines.append(f"{asset.name}: already there with the same sha256, skipped")
            elif asset.action == "replace":
                lines.append(
                    f"{would}delete the unfinished upload of {asset.name} and upload it "
                    f"(sha256 {asset.sha256[:12]}…)"
                )
            else:
                lines.append(f"{would}upload {asset.name} (sha256 {asset.sha256[:12]}…)")
        if self.publish:
            lines.append(f"{would}publish the draft once every file is there")
        for refusal in self.refusals:
            lines.append(f"refused: {refusal}")
        if not self.changes_anything and not self.refusals:
            lines.append(f"{self.tag}: every file is already on the release; nothing to do")
        return lines

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able view (for ``dist/releasekit-plan.json``); no notes, no bytes."""
        return {
            "tag": self.tag,
            "version": self.version,
            "release": None
            if self.release is None
            else {"id": self.release.id, "url": self.release.html_url, "draft": self.release.draft},
            "create": self.create,
            "publish": self.publish,
            "prerelease": self.prerelease,
            "read": self.read,
            "assets": [
                {"name": a.name, "sha256": a.sha256, "action": a.action} for a in self.assets
            ],
            "refusals": list(self.refusals),
        }


def sha256sums(files: Sequence[tuple[Path | str, str]]) -> bytes:
    """The ``SHA256SUMS`` file of ``files``, in the format ``sha256sum -c`` reads.

    One ``<hex>  <filename>`` line each (two spaces: text mode), sorted by name so a rerun
    of the same build produces the same bytes and is recognised by its digest.
    """
    named = sorted((Path(path).name, sha256.lower()) for path, sha256 in files)
    return "".join(f"{sha256}  {name}\n" for name, sha256 in named).encode("utf-8")


def plan_github_release(
    release: RemoteRelease | None,
    *,
    tag: str,
    version: str,
    prerelease: bool,
    notes: str,
    files: Sequence[tuple[Path | str, str]],
    read: bool = True,
) -> GitHubPlan:
    """What to do, from what GitHub has for the tag (``release``, with its assets).

    Pure: the caller reads GitHub once and hands over the answer. A same-named asset with
    other bytes, an asset whose bytes are unknown, or files to add to an immutable release
    are refusals, decided here so that nothing is created or uploaded before they are seen.
    """
    wanted: list[AssetStep] = []
    names: set[str] = set()
    for path, sha256 in files:
        name = Path(path).name
        if name in names or name == SUMS_NAME:
            raise GitHubError(
                f"two files to release are both named {name}",
                "release each file name once",
            )
        names.add(name)
        wanted.append(AssetStep(name, sha256.lower(), "upload", path=Path(path)))
    sums = sha256sums(files)
    wanted.append(AssetStep(SUMS_NAME, hashlib.sha256(sums).hexdigest(), "upload", content=sums))

    remote = {a.name: a for a in release.assets} if release is not None else {}
    steps: list[AssetStep] = []
    refusals: list[str] = []
    for step in wanted:
        there = remote.get(step.name)
        if there is None:
            steps.append(step)
        elif there.state != "uploaded":
            steps.append(
                AssetStep(step.name, step.sha256, "replace", step.path, step.content, there.id)
            )
        elif there.digest is None:
            refusals.append(
                f"{step.name} is already on the release and GitHub gives no digest to "
                "compare it with"
            )
            steps.append(step)
        elif there.digest.lower() == f"sha256:{step.sha256}":
            steps.append(AssetStep(step.name, step.sha256, "skip", step.path, step.content))
        else:
            refusals.append(
                f"{step.name} is already on the release with other bytes "
                f"({there.digest}, this build has sha256:{step.sha256})"
            )
            steps.append(step)

    create = release is None
    is_prerelease = prerelease if release is None else release.prerelease
    plan_assets = tuple(steps)
    if release is not None and not release.draft and release.immutable:
        if any(a.action != "skip" for a in plan_assets):
            refusals.append(
                f"the published release {release.html_url} is immutable: no files can be "
                "added to it"
            )
    return GitHubPlan(
        tag=tag,
        version=version,
        release=release,
        create=create,
        publish=create or (release is not None and release.draft),
        prerelease=is_prerelease,
        notes=notes,
        assets=plan_assets,
        refusals=tuple(refusals),
        read=read,
    )


def upload_target(upload_url: str, api_url: str) -> tuple[str, str, str, int]:
    """``(base_url, owner, repo, release_id)`` to post assets to, from a release's
    ``upload_url`` (``https://uploads.github.com/repos/O/R/releases/ID/assets{?name,label}``).

    The upload host is not the API host on github.com (``uploads.github.com``) nor on GHES
    (``<host>/api/uploads``), so it is taken from the release. The token goes there too, so
    the host must belong to the API's: the same host, or a sibling under the same parent
    domain (``api.X`` / ``uploads.X``).
    """
    url = re.sub(r"\{[^}]*\}$", "", upload_url)
    parts = urlsplit(url)
    match = _UPLOAD_PATH_RE.match(parts.path)
    if not match or not parts.hostname:
        raise GitHubError(
            f"GitHub gave an upload_url releasekit does not understand: {url!r}",
            "this is a bug in releasekit or an unusual GitHub server; report it",
        )
    _check_url(
        url,
        "the release's upload_url",
        "check GITHUB_API_URL: it must be the https API of the server that holds the repository",
    )
    api_host = (urlsplit(api_url).hostname or "").lower()
    upload_host = parts.hostname.lower()
    if upload_host != api_host and _parent(upload_host) != _parent(api_host):
        raise GitHubError(
            f"GitHub gave an upload_url on {upload_host}, which is not the API's host "
            f"({api_host}); releasekit does not send the token there",
            "check GITHUB_API_URL: it must be the API of the server that holds the repository",
        )
    base = parts._replace(path=match.group("base"), query="", fragment="").geturl()
    return base, unquote(match.group("owner")), unquote(match.group("repo")), int(match.group("id"))


def _parent(host: str) -> str:
    first, _, rest = host.partition(".")
    return rest if first in ("api", "uploads") and "." in rest else host


# --------------------------------------------------------------------------- doing it


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

    with _Client(settings) as client:
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
    with _Client(settings) as client:
        return _read_release(client, tag, names)


def _read_release(client: _Client, tag: str, names: set[str]) -> RemoteRelease | None:
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


def _content_type(name: str) -> str:
    for suffix, kind in _CONTENT_TYPES:
        if name.endswith(suffix):
            return kind
    return "application/octet-stream"


# --------------------------------------------------------------------------- HTTP


def _http_error(
    status: int, github_message: str, action: str, settings: Settings, details: str = ""
) -> GitHubError:
    """The error for an HTTP error answer: the status, GitHub's message, what to do."""
    said = f": {github_message}" if github_message else ""
    message = f"GitHub answered {status} to {action}{said}{details}"
    if status in (401, 403):
        if status == 403 and "rate limit" in github_message.lower():
            hint = "wait for the rate limit to reset, then rerun: releasekit skips what is done"
        else:
            hint = (
                "check GITHUB_TOKEN: it must be valid for "
                f"{urlsplit(settings.api_url).hostname} and may write the repository's "
                "contents; in GitHub Actions give the job `permissions: contents: write`"
            )
    elif status == 404:
        hint = (
            f"check the repository name {settings.repository} (from "
            f"{settings.repository_source}) and GITHUB_API_URL ({settings.api_url}), and that "
            "the token can see the repository: GitHub answers 404 to a token without access"
        )
    elif status == 422:
        hint = (
            "GitHub found the request invalid or in conflict (e.g. an asset or release that "
            "already exists, a tag name it refuses); rerun: releasekit reads what is there "
            "and does only what is missing"
        )
    elif status >= 500:
        hint = "GitHub had a problem; rerun: releasekit reads what is there and finishes the job"
    else:
        hint = "see GitHub's message; a rerun does only what is missing"
    return GitHubError(message, hint, status=status)


class _Client:
    """The few REST calls the step makes, through githubkit, errors as :class:`GitHubError`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = contextlib.ExitStack()
        self._api: GitHub[Any] | None = None
        self._uploads: dict[str, GitHub[Any]] = {}
        # GitHub Enterprise Server knows older API versions than the client's newest.
        self._headers: dict[str, str] = (
            {} if settings.is_github_com else {"X-GitHub-Api-Version": _GHES_API_VERSION}
        )

    def __enter__(self) -> _Client:
        self._api = self._stack.enter_context(self._github(self.settings.api_url))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _github(self, base_url: str) -> GitHub[Any]:
        if sys.version_info < (3, 10):  # pragma: no cover - githubkit needs 3.10
            raise GitHubError(
                "the GitHub release step needs Python 3.10 or newer (githubkit does)",
                "run nox with Python 3.10+",
            )
        try:
            import_installed("githubkit")  # never the project's own pydantic or httpx
            import httpx
            from githubkit import GitHub
        except ImportError as exc:
            raise GitHubError(
                f"the GitHub release step needs githubkit, which is not importable ({exc})",
                "install releasekit with its `github` extra: pip install 'releasekit[github]'",
            ) from None
        from releasekit import __version__

        return GitHub(
            _bearer(self.settings.token or ""),
            base_url=base_url,
            user_agent=f"releasekit/{__version__}",
            timeout=httpx.Timeout(self.settings.timeout),
            http_cache=False,
            auto_retry=False,
        )

    @property
    def api(self) -> GitHub[Any]:
        assert self._api is not None, "use _Client as a context manager"
        return self._api

    @contextlib.contextmanager
    def _call(self, action: str) -> Iterator[None]:
        from githubkit.exception import RequestError, RequestFailed, RequestTimeout
        from pydantic import ValidationError

        try:
            yield
        except RequestFailed as exc:
            status = exc.response.status_code
            message, details = _github_message(exc.response.raw_response)
            raise _http_error(status, message, action, self.settings, details) from None
        except RequestTimeout:
            raise GitHubError(
                f"GitHub did not answer {action} within {self.settings.timeout:g} s "
                f"({self.settings.api_url})",
                "check the network and GITHUB_API_URL, then rerun: releasekit skips what "
                "is already done",
            ) from None
        except RequestError as exc:
            raise GitHubError(
                f"could not reach GitHub for {action} at {self.settings.api_url} "
                f"({type(exc.exc).__name__})",
                "check GITHUB_API_URL and the network, then rerun: releasekit skips what "
                "is already done",
            ) from None
        except ValidationError as exc:
            raise GitHubError(
                f"GitHub's answer to {action} does not fit GitHub's API schema "
                f"({exc.error_count()} problems)",
                "check GITHUB_API_URL points at a GitHub API, not a web page or proxy",
            ) from None

    def find_release(self, tag: str) -> RemoteRelease | None:
        """The release of ``tag``: the published one, else a draft with that tag name.

        Draft releases are not served by the tag endpoint (their tag may not exist yet), so
        a draft left by a failed run is looked for in the list of releases, newest first.
        """
        from githubkit.exception import RequestFailed

        repos = self.api.rest.repos
        s = self.settings
        with self._call(f"reading the release of {tag}"):
            try:
                found = repos.get_release_by_tag(
                    s.owner, s.repo, quote(tag, safe=""), headers=self._headers
                )
                return _release(found.parsed_data)
            except RequestFailed as exc:
                if exc.response.status_code != 404:
                    raise
        drafts = []
        for page in range(1, _MAX_RELEASE_PAGES + 1):
            with self._call("listing the releases"):
                listed = repos.list_releases(
                    s.owner, s.repo, per_page=_PER_PAGE, page=page, headers=self._headers
                ).parsed_data
            drafts += [r for r in listed if r.tag_name == tag and r.draft]
            if len(listed) < _PER_PAGE:
                break
        if len(drafts) > 1:
            ids = ", ".join(str(r.id) for r in drafts)
            raise GitHubError(
                f"{len(drafts)} draft releases on {s.repository} are for {tag} (ids {ids})",
                "delete the extra drafts on the releases page, keep one, and rerun",
            )
        return _release(drafts[0]) if drafts else None

    def list_assets(self, release_id: int) -> tuple[RemoteAsset, ...]:
        repos = self.api.rest.repos
        s = self.settings
        assets: list[RemoteAsset] = []
        page = 1
        while True:
            with self._call("listing the release's assets"):
                listed = repos.list_release_assets(
                    s.owner,
                    s.repo,
                    release_id,
                    per_page=_PER_PAGE,
                    page=page,
                    headers=self._headers,
                ).parsed_data
            assets += [_asset(a) for a in listed]
            if len(listed) < _PER_PAGE:
                return tuple(assets)
            page += 1

    def fill_digest(self, asset: RemoteAsset, names: set[str]) -> RemoteAsset:
        """``asset`` with a digest: GitHub's, or (an old GHES gives none) one computed
        from its downloaded bytes, for the assets releasekit would upload."""
        if asset.digest is not None or asset.name not in names or asset.state != "uploaded":
            return asset
        s = self.settings
        headers = {**self._headers, "Accept": "application/octet-stream"}
        with self._call(f"downloading {asset.name}"):
            got = self.api.rest.repos.get_release_asset(s.owner, s.repo, asset.id, headers=headers)
            data = got.content
        return RemoteAsset(
            asset.id,
            asset.name,
            f"sha256:{hashlib.sha256(data).hexdigest()}",
            asset.state,
            asset.size,
            asset.url,
        )

    def create_draft(self, tag: str, notes: str, prerelease: bool) -> RemoteRelease:
        from githubkit.utils import UNSET

        s = self.settings
        with self._call(f"creating the draft release {tag}"):
            made = self.api.rest.repos.create_release(
                s.owner,
                s.repo,
                tag_name=tag,
                name=tag,
                body=notes,
                draft=True,
                prerelease=prerelease,
                make_latest="false" if prerelease else UNSET,
                headers=self._headers,
            )
            return _release(made.parsed_data)

    def upload(
        self, base: str, owner: str, repo: str, release_id: int, name: str, data: bytes
    ) -> RemoteAsset:
        client = self._uploads.get(base)
        if client is None:
            client = self._uploads[base] = self._stack.enter_context(self._github(base))
        headers = {**self._headers, "Content-Type": _content_type(name)}
        with self._call(f"uploading {name}"):
            made = client.rest.repos.upload_release_asset(
                owner, repo, release_id, name=name, data=data, headers=headers
            )
            return _asset(made.parsed_data)

    def delete_asset(self, asset_id: int) -> None:
        s = self.settings
        with self._call("deleting an unfinished upload"):
            self.api.rest.repos.delete_release_asset(
                s.owner, s.repo, asset_id, headers=self._headers
            )

    def publish(self, release_id: int, prerelease: bool) -> RemoteRelease:
        from githubkit.utils import UNSET

        s = self.settings
        with self._call("publishing the draft release"):
            done = self.api.rest.repos.update_release(
                s.owner,
                s.repo,
                release_id,
                draft=False,
                make_latest="false" if prerelease else UNSET,
                headers=self._headers,
            )
            return _release(done.parsed_data)

    def mark(self, release_id: int, name: str, body: str) -> RemoteRelease:
        s = self.settings
        with self._call("marking the release as yanked"):
            done = self.api.rest.repos.update_release(
                s.owner, s.repo, release_id, name=name, body=body, headers=self._headers
            )
            return _release(done.parsed_data)


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
    with _Client(settings) as client:
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


def _github_message(response: httpx.Response) -> tuple[str, str]:
    """GitHub's ``message`` and, for 422, the codes of its ``errors``."""
    try:
        data = response.json()
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    message = str(data.get("message") or "")
    errors = data.get("errors")
    details = ""
    if isinstance(errors, list) and errors:
        parts = []
        for item in errors:
            if isinstance(item, dict):
                parts.append(
                    "/".join(str(item[k]) for k in ("resource", "field", "code") if item.get(k))
                    or str(item.get("message", ""))
                )
            else:
                parts.append(str(item))
        details = f" ({', '.join(p for p in parts if p)})"
    return message, details


def _release(model: Any) -> RemoteRelease:
    from githubkit.utils import UNSET

    body = model.body if model.body is not UNSET else None
    immutable = bool(model.immutable) if model.immutable is not UNSET else False
    return RemoteRelease(
        id=model.id,
        tag_name=model.tag_name,
        name=model.name,
        body=body,
        draft=model.draft,
        prerelease=model.prerelease,
        upload_url=model.upload_url,
        html_url=model.html_url,
        immutable=immutable,
        assets=tuple(_asset(a) for a in model.assets),
    )


def _asset(model: Any) -> RemoteAsset:
    return RemoteAsset(
        id=model.id,
        name=model.name,
        digest=model.digest,
        state=model.state,
        size=model.size,
        url=model.url,
    )


def _bearer(token: str) -> BaseAuthStrategy:
    """githubkit's auth strategy sending ``Authorization: Bearer``, with the token kept out
    of every repr (githubkit's own token strategy is a dataclass that prints it)."""
    import httpx
    from githubkit.auth.base import BaseAuthStrategy

    class _BearerAuth(httpx.Auth):
        def __init__(self, secret: str) -> None:
            self._secret = secret

        def auth_flow(self, request: httpx.Request) -> Any:
            request.headers["Authorization"] = f"Bearer {self._secret}"
            yield request

        def __repr__(self) -> str:
            return "BearerAuth(token=***)"

    class _BearerStrategy(BaseAuthStrategy):
        def __init__(self, secret: str) -> None:
            self._secret = secret

        def get_auth_flow(self, github: Any) -> httpx.Auth:
            return _BearerAuth(self._secret)

        def __repr__(self) -> str:
            return "BearerStrategy(token=***)"

    return _BearerStrategy(token)

"""GitHub's REST API for the release step, through githubkit, with three defaults turned off.

githubkit is a typed client whose models are generated from GitHub's OpenAPI description:
request bodies are validated against GitHub's schema before they are sent and answers are
parsed by the same models. Turned off here, because they are wrong for a release: the HTTP
cache (a cached asset list would hide the uploads just made), automatic retries (a retried
upload that had landed would be answered "already exists"; a rerun settles it by digest
instead), and the upload base URL (githubkit posts uploads to the API host; GitHub wants
them on the release's ``upload_url`` host). githubkit is imported only when GitHub is
actually called. Every failure becomes a :class:`GitHubError` that never holds the token.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from releasekit.runtime.installed import import_installed
from releasekit.targets.github.plan import SUMS_NAME, RemoteAsset, RemoteRelease
from releasekit.targets.github.settings import GitHubError, Settings

if TYPE_CHECKING:
    import httpx
    from githubkit import GitHub
    from githubkit.auth.base import BaseAuthStrategy

__all__ = ["Client"]

# What GitHub Enterprise Server has understood since 3.9; github.com still accepts it. The
# client library's default (its newest API version) is sent to api.github.com only.
_GHES_API_VERSION = "2022-11-28"
# A draft from a failed run is among the newest releases; the list is newest first.
_MAX_RELEASE_PAGES = 10
_PER_PAGE = 100
_CONTENT_TYPES = (
    (".whl", "application/zip"),
    (".zip", "application/zip"),
    (".tar.gz", "application/gzip"),
    (".tgz", "application/gzip"),
    (SUMS_NAME, "text/plain"),
)


def _content_type(name: str) -> str:
    for suffix, kind in _CONTENT_TYPES:
        if name.endswith(suffix):
            return kind
    return "application/octet-stream"


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


class Client:
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

    def __enter__(self) -> Client:
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
        from githubkit import UnauthAuthStrategy

        from releasekit import __version__

        return GitHub(  # no token: anonymous reads (releasekit status of a public repository)
            _bearer(self.settings.token) if self.settings.token else UnauthAuthStrategy(),
            base_url=base_url,
            user_agent=f"releasekit/{__version__}",
            timeout=httpx.Timeout(self.settings.timeout),
            http_cache=False,
            auto_retry=False,
        )

    @property
    def api(self) -> GitHub[Any]:
        assert self._api is not None, "use Client as a context manager"
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

"""A loopback stand-in for the GitHub REST endpoints the release step uses.

It is a real HTTP server on 127.0.0.1 (threads, one per connection), so the client library
runs for real: its URL building, auth header, request-body validation and response parsing.
What it answers is built as plain JSON and validated through githubkit's models, which are
generated from GitHub's published OpenAPI description (``Release``, ``ReleaseAsset``,
``SimpleUser``, ``BasicError``, ``ValidationError``), with no key the schema does not have;
the create and update bodies it receives are validated against the request models
(``ReposOwnerRepoReleasesPostBody``, ``ReposOwnerRepoReleasesReleaseIdPatchBody``), unknown
keys included. Every mismatch is kept in :attr:`FakeGitHub.schema_errors` for the test to
assert empty, and answered with an error so that it also shows up as a failure.

Behaviour copied from GitHub, because the step depends on it:

- ``GET .../releases/tags/{tag}`` serves **published** releases only; drafts are found in
  ``GET .../releases`` (to a token that may push).
- Uploads go to the release's ``upload_url``, which is on another host than the API
  (``uploads.github.com``; GHES ``<host>/api/uploads``): here another port, or the
  ``/api/uploads`` prefix in GHES mode. A client posting uploads to the API URL gets 404.
- Each asset has ``digest`` = ``sha256:<hex>`` of its bytes (``digests=False`` plays an old
  GHES that gives ``null``); a second asset with the same name is refused with 422
  ``already_exists``.
- ``Authorization: Bearer <token>`` is required everywhere except the download redirect
  target (a pre-signed storage URL on another origin); anything else is 401.

Switches simulate failures: ``fail_uploads`` (1-based numbers of upload requests answered
500 without storing anything: a crash between two uploads), ``land_then_fail`` (stored,
then 502: an upload that landed but whose answer was lost), ``upload_delay`` (slow uploads,
for a watcher to poll in between), ``upload_host`` (an ``upload_url`` root on a foreign host, e.g.
``https://uploads.evil.example``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from githubkit_schemas.latest.models import (
        BasicError,
        Release,
        ReleaseAsset,
        ReposOwnerRepoReleasesPostBody,
        ReposOwnerRepoReleasesReleaseIdPatchBody,
        SimpleUser,
        ValidationError,
    )
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

__all__ = ["FakeGitHub", "Seen"]

_NOW = "2026-11-21T10:00:00Z"
# status, payload (JSON-able, or bytes), extra headers
_Reply = tuple[int, Any, dict[str, str]]


@dataclass(frozen=True)
class Seen:
    """One request the fake received."""

    method: str
    role: str  # "api", "uploads" or "download"
    path: str  # without the API prefix, e.g. /repos/o/r/releases
    query: str
    status: int
    authorization: str | None
    api_version: str | None
    body: bytes = field(repr=False, default=b"")


@dataclass
class _Asset:
    id: int
    name: str
    data: bytes
    content_type: str
    state: str = "uploaded"


@dataclass
class _Release:
    id: int
    owner: str
    repo: str
    tag_name: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    immutable: bool = False
    author: str = "github-actions[bot]"
    assets: list[_Asset] = field(default_factory=list)
    created_at: str = _NOW
    published_at: str | None = None
    make_latest: str | None = None  # what the last create/update asked for


class _Answer(Exception):
    def __init__(self, status: int, payload: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.payload = payload
        self.headers = headers or {}


class FakeGitHub:
    """GitHub's release endpoints for one or more repositories, on loopback."""

    def __init__(
        self,
        token: str,
        *,
        owner: str = "octo-org",
        repo: str = "widget",
        ghes: bool = False,
        digests: bool = True,
    ) -> None:
        self.token = token
        self.owner = owner
        self.repo = repo
        self.ghes = ghes
        self.digests = digests
        self.requests: list[Seen] = []
        self.schema_errors: list[str] = []
        self.history: list[tuple[int, bool, frozenset[str]]] = []
        self.fail_uploads: set[int] = set()
        self.land_then_fail: set[int] = set()
        self.upload_delay = 0.0
        self.upload_host: str | None = None
        self.releases: list[_Release] = []
        self._ids = itertools.count(1000)
        self._uploads = 0
        self._lock = threading.RLock()
        self._servers: list[ThreadingHTTPServer] = []
        self.api_url = ""
        self.upload_root = ""
        self.web_root = ""
        self.download_root = ""

    def environ(self) -> dict[str, str]:
        """The variables GitHub Actions sets for a job of this repository: its token (this
        fake's), the repository and the API's URL."""
        return {
            "GITHUB_TOKEN": self.token,
            "GITHUB_REPOSITORY": f"{self.owner}/{self.repo}",
            "GITHUB_API_URL": self.api_url,
        }

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        api = self._serve("api")
        port = api.server_address[1]
        self.web_root = f"http://127.0.0.1:{port}"
        if self.ghes:
            # One host: the API under /api/v3, uploads under /api/uploads (as GHES serves).
            self.api_url = f"{self.web_root}/api/v3"
            self.upload_root = f"{self.web_root}/api/uploads"
            self.download_root = f"{self.web_root}/storage"
        else:
            # Uploads on their own origin, as uploads.github.com is.
            uploads = self._serve("uploads")
            self.api_url = self.web_root
            self.upload_root = f"http://127.0.0.1:{uploads.server_address[1]}"
            self.download_root = f"{self.upload_root}/storage"

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def _serve(self, role: str) -> ThreadingHTTPServer:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        Handler.role = role
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._servers.append(server)
        return server

    # ------------------------------------------------------------------ state for tests

    def add_release(
        self,
        tag: str,
        *,
        name: str | None = None,
        body: str | None = "",
        draft: bool = False,
        prerelease: bool = False,
        immutable: bool = False,
        author: str = "octocat",
        assets: dict[str, bytes] | None = None,
        open_assets: tuple[str, ...] = (),
    ) -> _Release:
        """A release made outside releasekit (by a human, or a run that died)."""
        with self._lock:
            release = _Release(
                id=next(self._ids),
                owner=self.owner,
                repo=self.repo,
                tag_name=tag,
                name=name,
                body=body,
                draft=draft,
                prerelease=prerelease,
                immutable=immutable,
                author=author,
                published_at=None if draft else _NOW,
            )
            for asset_name, data in (assets or {}).items():
                state = "open" if asset_name in open_assets else "uploaded"
                release.assets.append(
                    _Asset(next(self._ids), asset_name, data, "application/octet-stream", state)
                )
            self.releases.append(release)
            self._snapshot(release)
            return release

    def release_for(self, tag: str) -> _Release | None:
        with self._lock:
            matching = [r for r in self.releases if r.tag_name == tag]
            return matching[-1] if matching else None

    def seen(self, method: str | None = None, role: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.requests
                if (method is None or s.method == method) and (role is None or s.role == role)
            ]

    def writes(self) -> list[Seen]:
        """Every request that could change something."""
        with self._lock:
            return [s for s in self.requests if s.method not in ("GET", "HEAD")]

    def _snapshot(self, release: _Release) -> None:
        names = frozenset(a.name for a in release.assets if a.state == "uploaded")
        self.history.append((release.id, release.draft, names))

    # ------------------------------------------------------------------ JSON, validated

    def _user(self, login: str) -> dict[str, Any]:
        api = self.api_url
        data = {
            "login": login,
            "id": 41898282,
            "node_id": "MDM6Qm90NDE4OTgyODI=",
            "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4",
            "gravatar_id": "",
            "url": f"{api}/users/{quote(login)}",
            "html_url": f"{self.web_root}/{quote(login)}",
            "followers_url": f"{api}/users/{quote(login)}/followers",
            "following_url": f"{api}/users/{quote(login)}/following{{/other_user}}",
            "gists_url": f"{api}/users/{quote(login)}/gists{{/gist_id}}",
            "starred_url": f"{api}/users/{quote(login)}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/users/{quote(login)}/subscriptions",
            "organizations_url": f"{api}/users/{quote(login)}/orgs",
            "repos_url": f"{api}/users/{quote(login)}/repos",
            "events_url": f"{api}/users/{quote(login)}/events{{/privacy}}",
            "received_events_url": f"{api}/users/{quote(login)}/received_events",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "site_admin": False,
        }
        return self._valid(SimpleUser, data)

    def _asset_json(self, release: _Release, asset: _Asset) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{release.owner}/{release.repo}"
        data = {
            "url": f"{base}/releases/assets/{asset.id}",
            "browser_download_url": f"{self.web_root}/{release.owner}/{release.repo}"
            f"/releases/download/{quote(release.tag_name)}/{quote(asset.name)}",
            "id": asset.id,
            "node_id": f"RA_{asset.id}",
            "name": asset.name,
            "label": None,
            "state": asset.state,
            "content_type": asset.content_type,
            "size": len(asset.data),
            "digest": f"sha256:{hashlib.sha256(asset.data).hexdigest()}"
            if self.digests and asset.state == "uploaded"
            else None,
            "download_count": 0,
            "created_at": _NOW,
            "updated_at": _NOW,
            "uploader": self._user("github-actions[bot]"),
        }
        return self._valid(ReleaseAsset, data)

    def _release_json(self, release: _Release) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{release.owner}/{release.repo}"
        upload_root = self.upload_root
        if self.upload_host is not None:
            upload_root = self.upload_host
        tag_part = release.tag_name if not release.draft else f"untagged-{release.id:x}"
        data = {
            "url": f"{base}/releases/{release.id}",
            "html_url": f"{self.web_root}/{release.owner}/{release.repo}/releases/tag/"
            f"{quote(tag_part)}",
            "assets_url": f"{base}/releases/{release.id}/assets",
            "upload_url": f"{upload_root}/repos/{release.owner}/{release.repo}/releases/"
            f"{release.id}/assets{{?name,label}}",
            "tarball_url": None if release.draft else f"{base}/tarball/{release.tag_name}",
            "zipball_url": None if release.draft else f"{base}/zipball/{release.tag_name}",
            "id": release.id,
            "node_id": f"RE_{release.id}",
            "tag_name": release.tag_name,
            "target_commitish": "main",
            "name": release.name,
            "body": release.body,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "immutable": release.immutable,
            "created_at": release.created_at,
            "published_at": release.published_at,
            "updated_at": _NOW,
            "author": self._user(release.author),
            "assets": [self._asset_json(release, a) for a in release.assets],
        }
        return self._valid(Release, data)

    def _valid(self, model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
        """``data`` unchanged, after checking it against GitHub's schema model."""
        extra = set(data) - _keys(model)
        if extra:
            self.schema_errors.append(f"{model.__name__} has keys not in the schema: {extra}")
        try:
            model.model_validate(data)
        except PydanticError as exc:
            self.schema_errors.append(f"{model.__name__}: {exc}")
            raise _Answer(500, {"message": f"fake built an invalid {model.__name__}"}) from exc
        return data

    def _request_body(self, model: type[BaseModel], raw: bytes) -> dict[str, Any]:
        """A JSON request body checked against GitHub's request model; 422 if it is not."""
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            raise _Answer(400, {"message": "Problems parsing JSON"}) from None
        if not isinstance(data, dict):
            raise _Answer(400, {"message": "Problems parsing JSON"})
        problems = []
        extra = set(data) - _keys(model)
        if extra:
            problems.append(f"unknown keys {sorted(extra)}")
        try:
            model.model_validate(data)
        except PydanticError as exc:
            problems.append(str(exc))
        if problems:
            self.schema_errors.append(f"{model.__name__}: {'; '.join(problems)}")
            raise _Answer(422, self._invalid("invalid", "Release", "; ".join(problems)))
        return data

    def _error(self, status: int, message: str) -> dict[str, Any]:
        return self._valid(
            BasicError,
            {
                "message": message,
                "documentation_url": "https://docs.github.com/rest",
                "status": str(status),
            },
        )

    def _invalid(self, code: str, resource: str, field_name: str) -> dict[str, Any]:
        return self._valid(
            ValidationError,
            {
                "message": "Validation Failed",
                "errors": [{"resource": resource, "code": code, "field": field_name}],
                "documentation_url": "https://docs.github.com/rest",
            },
        )

    # ------------------------------------------------------------------ routing

    def handle(
        self, role: str, method: str, path: str, query: str, headers: Any, body: bytes
    ) -> _Reply:
        """``(status, payload, headers)`` for one request; ``payload`` bytes or JSON-able."""
        with self._lock:
            if role == "download" or path.startswith("/storage/"):
                return self._download(path)
            auth = headers.get("Authorization")
            if auth != f"Bearer {self.token}":
                raise _Answer(401, self._error(401, "Bad credentials"))
            params = {k: v[-1] for k, v in parse_qs(query).items()}
            parts = [unquote(p) for p in path.strip("/").split("/")]
            if len(parts) < 4 or parts[0] != "repos" or parts[3] != "releases":
                raise _Answer(404, self._error(404, "Not Found"))
            owner, repo, rest = parts[1], parts[2], parts[4:]
            if (owner, repo) != (self.owner, self.repo):
                raise _Answer(404, self._error(404, "Not Found"))
            if role == "uploads":
                if method == "POST" and len(rest) == 2 and rest[1] == "assets":
                    return self._upload(int(rest[0]), params, headers, body)
                raise _Answer(404, self._error(404, "Not Found"))
            return self._api(method, rest, params, headers, body)

    def _api(
        self, method: str, rest: list[str], params: dict[str, str], headers: Any, body: bytes
    ) -> _Reply:
        if method == "GET" and len(rest) == 2 and rest[0] == "tags":
            for release in reversed(self.releases):
                if release.tag_name == rest[1] and not release.draft:
                    return 200, self._release_json(release), {}
            raise _Answer(404, self._error(404, "Not Found"))
        if method == "GET" and not rest:
            page, per_page = int(params.get("page", 1)), int(params.get("per_page", 30))
            newest = list(reversed(self.releases))[(page - 1) * per_page : page * per_page]
            return 200, [self._release_json(r) for r in newest], {}
        if method == "POST" and not rest:
            return self._create(self._request_body(ReposOwnerRepoReleasesPostBody, body))
        if len(rest) == 2 and rest[0] == "assets" and rest[1].isdigit():
            release, asset = self._find_asset(int(rest[1]))
            if method == "DELETE":
                release.assets.remove(asset)
                self._snapshot(release)
                return 204, b"", {}
            if method == "GET":
                if headers.get("Accept") == "application/octet-stream":
                    location = f"{self.download_root}/{asset.id}?signature=x"
                    return 302, b"", {"Location": location}
                return 200, self._asset_json(release, asset), {}
        if rest and rest[0].isdigit():
            release = self._find(int(rest[0]))
            if len(rest) == 1 and method == "PATCH":
                data = self._request_body(ReposOwnerRepoReleasesReleaseIdPatchBody, body)
                return self._update(release, data)
            if len(rest) == 1 and method == "GET":
                return 200, self._release_json(release), {}
            if len(rest) == 2 and rest[1] == "assets" and method == "GET":
                page, per_page = int(params.get("page", 1)), int(params.get("per_page", 30))
                chosen = release.assets[(page - 1) * per_page : page * per_page]
                return 200, [self._asset_json(release, a) for a in chosen], {}
        raise _Answer(404, self._error(404, "Not Found"))

    def _find(self, release_id: int) -> _Release:
        for release in self.releases:
            if release.id == release_id:
                return release
        raise _Answer(404, self._error(404, "Not Found"))

    def _find_asset(self, asset_id: int) -> tuple[_Release, _Asset]:
        for release in self.releases:
            for asset in release.assets:
                if asset.id == asset_id:
                    return release, asset
        raise _Answer(404, self._error(404, "Not Found"))

    def _published_with(self, tag: str, other_than: int | None = None) -> bool:
        return any(r.tag_name == tag and not r.draft and r.id != other_than for r in self.releases)

    def _create(self, data: dict[str, Any]) -> _Reply:
        tag = data["tag_name"]
        draft = bool(data.get("draft", False))
        if not draft and self._published_with(tag):
            raise _Answer(422, self._invalid("already_exists", "Release", "tag_name"))
        release = _Release(
            id=next(self._ids),
            owner=self.owner,
            repo=self.repo,
            tag_name=tag,
            name=data.get("name"),
            body=data.get("body"),
            draft=draft,
            prerelease=bool(data.get("prerelease", False)),
            author="github-actions[bot]",
            published_at=None if draft else _NOW,
        )
        release.make_latest = data.get("make_latest")
        self.releases.append(release)
        self._snapshot(release)
        return 201, self._release_json(release), {}

    def _update(self, release: _Release, data: dict[str, Any]) -> _Reply:
        if data.get("draft") is False and release.draft:
            if self._published_with(release.tag_name, other_than=release.id):
                raise _Answer(422, self._invalid("already_exists", "Release", "tag_name"))
            release.draft = False
            release.published_at = _NOW
        for key in ("name", "body", "prerelease", "tag_name"):
            if key in data:
                setattr(release, key, data[key])
        if "make_latest" in data:
            release.make_latest = data["make_latest"]
        self._snapshot(release)
        return 200, self._release_json(release), {}

    def _upload(self, release_id: int, params: dict[str, str], headers: Any, body: bytes) -> _Reply:
        release = self._find(release_id)
        name = params.get("name")
        if not name:
            raise _Answer(422, self._invalid("missing_field", "ReleaseAsset", "name"))
        if headers.get("Content-Length") is None or not headers.get("Content-Type"):
            raise _Answer(400, self._error(400, "Content-Length and Content-Type are required"))
        self._uploads += 1
        number = self._uploads
        if self.upload_delay:
            self._lock.release()
            try:
                time.sleep(self.upload_delay)
            finally:
                self._lock.acquire()
        if number in self.fail_uploads:
            raise _Answer(500, self._error(500, "Server Error"))
        if any(a.name == name for a in release.assets):
            raise _Answer(422, self._invalid("already_exists", "ReleaseAsset", "name"))
        asset = _Asset(next(self._ids), name, body, headers.get("Content-Type"))
        release.assets.append(asset)
        self._snapshot(release)
        if number in self.land_then_fail:
            raise _Answer(502, self._error(502, "Bad Gateway"))
        return 201, self._asset_json(release, asset), {}

    def _download(self, path: str) -> _Reply:
        asset_id = int(path.rstrip("/").rsplit("/", 1)[-1])
        _release, asset = self._find_asset(asset_id)
        return 200, asset.data, {"Content-Type": "application/octet-stream"}

    def asset_bytes(self, tag: str, name: str) -> bytes:
        release = self.release_for(tag)
        assert release is not None
        for asset in release.assets:
            if asset.name == name:
                return asset.data
        raise KeyError(name)

    def iter_history(self, release_id: int) -> Iterator[tuple[bool, frozenset[str]]]:
        for rid, draft, names in self.history:
            if rid == release_id:
                yield draft, names


def _keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, info in model.model_fields.items():
        keys.add(info.alias or name)
    return keys


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    role: str
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _dispatch(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path, role = split.path, self.role
        if fake.ghes:
            if path.startswith("/api/v3/"):
                path, role = path[len("/api/v3") :], "api"
            elif path.startswith("/api/uploads/"):
                path, role = path[len("/api/uploads") :], "uploads"
            elif path.startswith("/storage/"):
                role = "download"
            else:
                role = "none"
        elif path.startswith("/storage/"):
            role = "download"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        extra: dict[str, str] = {}
        try:
            if role == "none":
                raise _Answer(404, fake._error(404, "Not Found"))
            status, payload, extra = fake.handle(
                role, self.command, path, split.query, self.headers, body
            )
        except _Answer as answer:
            status, payload, extra = answer.status, answer.payload, answer.headers
        except Exception as exc:  # a bug in the fake: say so loudly
            status, payload = 500, {"message": f"fake crashed: {exc!r}"}
            fake.schema_errors.append(f"fake crashed on {self.command} {path}: {exc!r}")
        with fake._lock:
            fake.requests.append(
                Seen(
                    self.command,
                    role,
                    path,
                    split.query,
                    status,
                    self.headers.get("Authorization"),
                    self.headers.get("X-GitHub-Api-Version"),
                    body,
                )
            )
        if isinstance(payload, (bytes, bytearray)):
            data = bytes(payload)
            content_type = extra.pop("Content-Type", "application/octet-stream")
        else:
            data = b"" if payload is None else json.dumps(payload).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(status)
        if data or status not in (204, 302):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _dispatch

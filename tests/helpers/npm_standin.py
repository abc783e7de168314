"""A loopback stand-in for the npm registry's trusted publishing, staging and attestations.

verdaccio 6 has none of these endpoints, so this server (standard library, in a thread of
the test process) answers them as npm 11.19.1's own source sends them, plus enough of the
classic registry for the real npm CLI to publish to it:

- ``GET /<escaped name>``: the packument (404 before the first version);
  ``GET /<name>/-/<file>.tgz``: a tarball;
- ``PUT /<escaped name>`` (``npm publish``, ``libnpmpublish``): the body npm builds (the
  version's manifest, ``dist-tags``, ``_attachments`` with the base64 tarball and, with
  ``--provenance``, the ``.sigstore`` bundle);
- ``POST /-/npm/v1/oidc/token/exchange/package/<escaped name>`` (``lib/utils/oidc.js``): the
  CI's ID token as the bearer token, answered ``{"token": ...}`` for a package whose
  trusted publisher matches the token's repository and workflow, else 404 with a
  ``message``;
- ``POST /-/stage/package/<escaped name>`` (``npm stage publish``): the publish body, answered
  ``{"stageId": <uuid>}``; ``GET /-/stage?page&perPage&package`` (``npm stage list``):
  ``{"items": [...], "total": N}``; ``GET /-/stage/<id>``; ``POST /-/stage/<id>/approve``
  (publishes it); ``DELETE /-/stage/<id>`` (``npm stage reject``); the stage list refuses
  a token exchanged by trusted publishing (it publishes one package);
- ``GET /-/npm/v1/attestations/<escaped name>@<version>``: ``{"attestations": [...]}``;
- ``GET /_github/id-token?audience=...`` stands for GitHub's ``ACTIONS_ID_TOKEN_REQUEST_URL``
  (bearer: the request token), answered ``{"value": <jwt>}`` with the claims set here.

Tokens: ``publish`` tokens publish and stage; ``stage-only`` tokens stage (and list) but a
``PUT`` with one is refused 403, as npm's stage-only tokens are; exchanged OIDC tokens
publish or stage their one package. What the server saw is kept in :attr:`NpmStandIn.seen`.
The answers' exact words (the refusals' messages) are the stand-in's: only the routes, the
methods and the JSON shapes follow npm's source.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import secrets
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["NpmStandIn", "Seen", "jwt"]

SLSA_V1 = "https://slsa.dev/provenance/v1"


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT (header.payload.signature) with ``claims``, as npm decodes it."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2ln"


@dataclass
class Seen:
    """One request: method, path (undecoded), and the kind of token it carried."""

    method: str
    path: str
    auth: str | None  # "publish", "stage-only", "oidc:<package>", "id-token", None
    status: int = 0


@dataclass
class _Stage:
    id: str
    name: str
    version: str
    tag: str
    body: dict[str, Any]
    shasum: str
    actor: str
    actor_type: str
    created: str = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat()
    )

    def item(self) -> dict[str, Any]:
        return {
            "id": self.id, "packageName": self.name, "version": self.version,
            "tag": self.tag, "createdAt": self.created, "actor": self.actor,
            "actorType": self.actor_type, "shasum": self.shasum,
        }  # fmt: skip


class NpmStandIn:
    """The stand-in, started on ``__enter__`` on a free loopback port."""

    def __init__(self) -> None:
        self.publish_token = "npm_publish_" + secrets.token_hex(12)
        self.stage_only_token = "npm_stageonly_" + secrets.token_hex(12)
        self.request_token = "ghs_request_" + secrets.token_hex(12)  # GitHub's request token
        self.tokens: dict[str, str] = {
            self.publish_token: "publish",
            self.stage_only_token: "stage-only",
        }
        # package -> (repository, workflow file) of its trusted publisher
        self.trusted: dict[str, tuple[str, str]] = {}
        # the claims of the ID tokens the fake GitHub endpoint mints
        self.claims: dict[str, Any] = {
            "repository": "demo/monorepo",
            "workflow_ref": "demo/monorepo/.github/workflows/release.yml@refs/tags/v1.0.0",
            "repository_visibility": "private",
        }
        self.packuments: dict[str, dict[str, Any]] = {}
        self.tarballs: dict[str, bytes] = {}
        self.stages: dict[str, _Stage] = {}
        self.attestations: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.id_tokens: dict[str, str] = {}  # minted id token -> audience
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> NpmStandIn:
        stand_in = self

        class Handler(_Handler):
            owner = stand_in

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def id_token_url(self) -> str:
        """What ``ACTIONS_ID_TOKEN_REQUEST_URL`` is set to (GitHub's has a query already)."""
        return self.url + "_github/id-token?api-version=2.0"

    def github_environ(self) -> dict[str, str]:
        """A GitHub Actions job with ``id-token: write``, as the publishing step sees it."""
        return {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.id_token_url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
        }

    # -- what tests arrange and read --------------------------------------------------------

    def trust(
        self, name: str, repository: str = "demo/monorepo", workflow: str = "release.yml"
    ) -> None:
        """Configure a trusted publisher for ``name`` (as on npmjs.com)."""
        self.trusted[name] = (repository, workflow)

    def attest(self, name: str, version: str, sha512_hex: str) -> None:
        """Keep a SLSA provenance statement about ``sha512_hex`` for ``name@version`` (what
        the registry keeps of a ``--provenance`` publish; npm cannot sign on loopback)."""
        statement = {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": f"pkg:npm/{name}@{version}", "digest": {"sha512": sha512_hex}}],
            "predicateType": SLSA_V1,
        }
        payload = base64.b64encode(json.dumps(statement).encode()).decode()
        bundle = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "dsseEnvelope": {
                "payload": payload,
                "payloadType": "application/vnd.in-toto+json",
                "signatures": [{"sig": "c2ln", "keyid": ""}],
            },
        }
        self.attestations.setdefault((name, version), []).append(
            {"predicateType": SLSA_V1, "bundle": bundle}
        )

    def requests(self, method: str, prefix: str = "") -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and s.path.startswith(prefix)]

    # -- the registry's state ---------------------------------------------------------------

    def publish_body(self, name: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Store what npm's publish body holds (versions, dist-tags, attachments)."""
        versions = body.get("versions") or {}
        with self.lock:
            packument = self.packuments.setdefault(
                name, {"_id": name, "name": name, "dist-tags": {}, "versions": {}}
            )
            for version in versions:
                if version in packument["versions"]:
                    return 403, {
                        "error": f"You cannot publish over the previously published versions: "
                        f"{version}."
                    }
            for filename, attachment in (body.get("_attachments") or {}).items():
                data = attachment.get("data", "")
                if filename.endswith(".tgz"):
                    self.tarballs[f"{name}/-/{filename.rsplit('/', 1)[-1]}"] = base64.b64decode(
                        data
                    )
                elif filename.endswith(".sigstore"):  # --provenance: the signed bundle
                    bundle = json.loads(data)
                    version = filename[len(name) + 1 : -len(".sigstore")]
                    self.attestations.setdefault((name, version), []).append(
                        {"predicateType": SLSA_V1, "bundle": bundle}
                    )
            for version, manifest in versions.items():
                doc = dict(manifest)
                dist = dict(doc.get("dist") or {})
                base = f"{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
                dist["tarball"] = self.url + base
                if (name, version) in self.attestations:
                    escaped = name.replace("/", "%2f")
                    dist["attestations"] = {
                        "url": f"{self.url}-/npm/v1/attestations/{escaped}@{version}",
                        "provenance": {"predicateType": SLSA_V1},
                    }
                doc["dist"] = dist
                packument["versions"][version] = doc
            packument["dist-tags"].update(body.get("dist-tags") or {})
        return 200, {"ok": True, "id": name}


class _Handler(BaseHTTPRequestHandler):
    owner: NpmStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing ---------------------------------------------------------------------------

    def _auth(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = header[7:]
        kind = self.owner.tokens.get(token)
        if kind is not None:
            return kind
        if token == self.owner.request_token:
            return "id-token-request"
        if token in self.owner.id_tokens:
            return "id-token"
        return "unknown"

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, data: Any, seen: Seen) -> None:
        seen.status = status
        body = json.dumps(data).encode() if not isinstance(data, bytes) else data
        self.send_response(status)
        kind = "application/octet-stream" if isinstance(data, bytes) else "application/json"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, method: str) -> None:
        seen = Seen(method, self.path, self._auth())
        with self.owner.lock:
            self.owner.seen.append(seen)
        body = self._body() if method in ("PUT", "POST") else b""
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        try:
            status, data = self._dispatch(method, path, parsed.query, body, seen)
        except Exception as error:
            status, data = 500, {"error": f"stand-in: {error!r}"}
        self._answer(status, data, seen)

    def do_GET(self) -> None:
        self._route("GET")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    # -- routes -----------------------------------------------------------------------------

    def _dispatch(
        self, method: str, path: str, query: str, body: bytes, seen: Seen
    ) -> tuple[int, Any]:
        owner = self.owner
        unquoted = urllib.parse.unquote(path)
        if method == "GET" and path.startswith("/_github/id-token"):
            return self._id_token(query, seen)
        exchange = "/-/npm/v1/oidc/token/exchange/package/"
        if method == "POST" and path.startswith(exchange):
            return self._exchange(urllib.parse.unquote(path[len(exchange) :]), seen)
        if method == "GET" and path.startswith("/-/npm/v1/attestations/"):
            spec = unquoted[len("/-/npm/v1/attestations/") :]
            name, _, version = spec.rpartition("@")
            found = owner.attestations.get((name, version))
            return (200, {"attestations": found}) if found else (404, {"error": "Not found"})
        if path.startswith("/-/stage"):
            return self._stage(method, path, query, body, seen)
        if method == "PUT":
            name = unquoted.lstrip("/")
            if seen.auth == "stage-only":
                return 403, {"error": "This token can only stage packages: use npm stage publish"}
            if not self._may_write(seen, name):
                return 401, {"error": "You must be logged in to publish packages."}
            return owner.publish_body(name, json.loads(body))
        if method == "GET":
            if "/-/" in unquoted:
                data = owner.tarballs.get(unquoted.lstrip("/"))
                return (200, data) if data is not None else (404, {"error": "Not found"})
            packument = owner.packuments.get(unquoted.lstrip("/"))
            return (200, packument) if packument else (404, {"error": "Not found"})
        return 405, {"error": f"stand-in: no {method} {path}"}

    def _may_write(self, seen: Seen, name: str) -> bool:
        return seen.auth in ("publish", f"oidc:{name}")

    def _id_token(self, query: str, seen: Seen) -> tuple[int, Any]:
        if seen.auth != "id-token-request":
            return 401, {"message": "Bad credentials"}
        audience = urllib.parse.parse_qs(query).get("audience", [""])[0]
        token = jwt({**self.owner.claims, "aud": audience})
        self.owner.id_tokens[token] = audience
        return 200, {"count": 1, "value": token}

    def _exchange(self, name: str, seen: Seen) -> tuple[int, Any]:
        owner = self.owner
        token = self.headers.get("Authorization", "")[7:]
        audience = owner.id_tokens.get(token)
        host = urllib.parse.urlsplit(owner.url).hostname
        if audience is None:
            return 401, {"message": "Invalid OIDC token"}
        if audience != f"npm:{host}":
            return 401, {"message": f"OIDC token audience {audience!r} is not npm:{host}"}
        publisher = owner.trusted.get(name)
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        workflow = claims.get("workflow_ref", "").split("@")[0].rsplit("/", 1)[-1]
        if publisher is None:
            return 404, {
                "message": f"No trusted publisher is configured for package {name}",
            }
        if publisher != (claims.get("repository"), workflow):
            return 403, {
                "message": f"The trusted publisher of {name} ({publisher[0]}, {publisher[1]}) "
                f"does not match this workflow ({claims.get('repository')}, {workflow})",
            }
        short = "npm_oidc_" + secrets.token_hex(12)
        owner.tokens[short] = f"oidc:{name}"
        seen.auth = "id-token"
        return 201, {"token": short}

    def _stage(
        self, method: str, path: str, query: str, body: bytes, seen: Seen
    ) -> tuple[int, Any]:
        owner = self.owner
        if seen.auth in (None, "unknown", "id-token", "id-token-request"):
            return 401, {"error": "You must be logged in to stage packages."}
        if method == "POST" and path.startswith("/-/stage/package/"):
            name = urllib.parse.unquote(path[len("/-/stage/package/") :])
            if seen.auth not in ("publish", "stage-only", f"oidc:{name}"):
                return 403, {"error": f"This token cannot stage {name}"}
            data = json.loads(body)
            (version,) = data["versions"]
            (tag,) = data["dist-tags"]
            tarball = next(
                base64.b64decode(a["data"])
                for f, a in data["_attachments"].items()
                if f.endswith(".tgz")
            )
            stage = _Stage(
                str(uuid.uuid4()), name, version, tag, data,
                hashlib.sha1(tarball, usedforsecurity=False).hexdigest(), "ci-bot",
                "oidc" if seen.auth == f"oidc:{name}" else "token",
            )  # fmt: skip
            with owner.lock:
                owner.stages[stage.id] = stage
            return 200, {"stageId": stage.id}
        if method == "GET" and path == "/-/stage":
            if (seen.auth or "").startswith("oidc:"):  # a token exchanged to publish one package
                return 403, {"error": "This token cannot list staged packages"}
            params = urllib.parse.parse_qs(query)
            package = params.get("package", [None])[0]
            page = int(params.get("page", ["0"])[0])
            per_page = int(params.get("perPage", ["100"])[0])
            items = [s.item() for s in owner.stages.values() if package in (None, s.name)]
            return 200, {
                "items": items[page * per_page : (page + 1) * per_page],
                "total": len(items),
            }
        rest = path[len("/-/stage/") :].split("/")
        stage_found = owner.stages.get(rest[0])
        if stage_found is None:
            return 404, {"error": "No such staged package"}
        if method == "GET" and len(rest) == 1:
            return 200, stage_found.item()
        if method == "POST" and rest[1:] == ["approve"]:
            if seen.auth != "publish":
                return 403, {"error": "Approving needs a publish token and 2FA"}
            del owner.stages[stage_found.id]
            return owner.publish_body(stage_found.name, stage_found.body)
        if method == "DELETE" and len(rest) == 1:  # npm stage reject (lib/commands/stage)
            del owner.stages[stage_found.id]
            return 200, {"ok": True}
        return 405, {"error": f"stand-in: no {method} {path}"}

"""npm's staged publishing: a version staged by CI, published when a human approves it.

What npm 11.19.1 does (``lib/commands/stage/*.js``, ``libnpmpublish/lib/publish.js``):

- ``npm stage publish`` is ``npm publish`` (the same checks, the same OIDC exchange) whose
  request is ``POST /-/stage/package/<escaped name>`` instead of ``PUT /<escaped name>``,
  with the same body; the answer is ``{"stageId": ...}`` and npm prints
  ``+ <name>@<version> (staged with id <stageId>)``. It skips npm's OTP prompt: proof of
  presence comes with the approval. A stage-only token may do this and no more;
- ``npm stage list [<name>]`` is ``GET /-/stage?page=N&perPage=100[&package=<name>]``,
  answered ``{"items": [{"id", "packageName", "version", "tag", "createdAt", "actor",
  "actorType", "shasum"}, ...], "total": N}`` (authenticated);
- ``npm stage approve <stage-id>`` (a UUID) is ``POST /-/stage/<id>/approve``, with 2FA:
  only then does the registry serve the version.

A staged version is not served: the release stops there, "staged, awaiting approval",
with the stage id in the journal and the approve command printed.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasekit.runtime import net

__all__ = [
    "StagedVersion",
    "approve_command",
    "list_staged",
    "sha1_of",
    "stage_id_in",
]

_HTTP_TIMEOUT = 30.0
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_STAGED_LINE = re.compile(rf"\(staged with id ({_UUID})\)")


@dataclass(frozen=True)
class StagedVersion:
    """One item of the registry's stage list."""

    id: str
    name: str
    version: str
    shasum: str = ""  # sha1 hex of the tarball, as npm's registry reports it
    tag: str = ""
    created: str = ""
    actor: str = ""


def stage_id_in(output: str) -> str | None:
    """The stage id in ``npm stage publish``'s output (``(staged with id <uuid>)``)."""
    match = _STAGED_LINE.search(output)
    return match.group(1) if match else None


def approve_command(stage_id: str, registry: str) -> str:
    """What a human runs to publish the staged version (2FA asked there)."""
    return f"npm stage approve {stage_id} --registry {registry}"


def sha1_of(path: Path) -> str:
    """The sha1 hex a registry's ``shasum`` (and the stage list) names a tarball by."""
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def list_staged(registry: str, name: str, token: str) -> list[StagedVersion]:
    """The registry's staged versions of ``name`` (every page), as ``npm stage list`` reads
    them; ``token`` authenticates the read, never leaves this process otherwise."""
    found: list[StagedVersion] = []
    page = 0
    while True:
        query = urllib.parse.urlencode({"page": page, "perPage": 100, "package": name})
        url = urllib.parse.urljoin(registry, f"/-/stage?{query}")
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "Authorization": f"Bearer {token}"}
        )
        data = net.read_json(
            request, f"{registry} does not list staged versions of {name}",
            "does the token allow it? `npm stage list` shows them", timeout=_HTTP_TIMEOUT,
            retry_hint="rerun to check again",
        )  # fmt: skip
        items = data.get("items") if isinstance(data, dict) else None
        items = items if isinstance(items, list) else []
        found += [s for s in map(_item, items) if s is not None and s.name == name]
        total = data.get("total") if isinstance(data, dict) else None
        if not items or len(items) < 100 or not isinstance(total, int) or len(found) >= total:
            return found
        page += 1


def _item(raw: Any) -> StagedVersion | None:
    if not isinstance(raw, dict):
        return None
    fields = {k: raw.get(k) for k in ("id", "packageName", "version")}
    if not all(isinstance(v, str) and v for v in fields.values()):
        return None

    def text(key: str) -> str:
        value = raw.get(key)
        return value if isinstance(value, str) else ""

    actor = text("actor")
    if actor and text("actorType"):
        actor = f"{actor} ({text('actorType')})"
    return StagedVersion(
        id=text("id"),
        name=text("packageName"),
        version=text("version"),
        shasum=text("shasum").lower(),
        tag=text("tag"),
        created=text("createdAt"),
        actor=actor,
    )

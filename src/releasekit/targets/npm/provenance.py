"""npm provenance: when a publish asks for it, and proving afterwards that the registry has it.

Where npm can sign (``libnpmpublish``'s ``ensureProvenanceGeneration``): GitHub Actions with
``id-token: write`` (``GITHUB_ACTIONS`` and ``ACTIONS_ID_TOKEN_REQUEST_URL``), or GitLab CI with
a ``SIGSTORE_ID_TOKEN``; anywhere else ``--provenance`` fails. releasekit asks for it there by
default (``npm-provenance = false`` turns it off), never in a rehearsal (its verdaccio is no
registry to attest to).

After the publish, the registry's attestations endpoint
(``GET /-/npm/v1/attestations/<name>@<version>``, the scoped name escaped as ``@scope%2fname``,
the URL npm's packument gives as ``dist.attestations.url`` and pacote reads) answers
``{"attestations": [{"predicateType", "bundle": {"dsseEnvelope": {"payload", ...}}}]}``. A SLSA
provenance statement (``https://slsa.dev/provenance/v0.2`` or ``/v1``) whose subject's sha512 is
the tarball's must be there; else the publish is an error naming the package. The
signatures themselves are sigstore's to check (``npm audit signatures``): this proves the
registry keeps a statement about exactly these bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.request
from collections.abc import Mapping
from typing import Any, Callable

from releasekit.errors import PublishError
from releasekit.runtime import net, proc

__all__ = ["SLSA_PREFIX", "attestations_url", "provenance_ci", "verify_provenance"]

SLSA_PREFIX = "https://slsa.dev/provenance/"
_HTTP_TIMEOUT = 30.0


def provenance_ci(
    environ: Mapping[str, str], *, wanted: bool, rehearsal: bool, oidc: bool = True
) -> str | None:
    """The CI npm signs provenance in (``"GitHub Actions"``, ``"GitLab CI"``), or ``None``:
    no provenance (turned off, a rehearsal, or a place npm cannot sign from).

    ``oidc``: whether the publish uses trusted publishing. On GitHub Actions npm signs with
    an ID token from the request pair (``@sigstore/sign``'s ``identity/ci.js``), and the
    same pair is all npm's ``oidc.js`` needs to exchange it for a publish token, which it
    then prefers to ``NODE_AUTH_TOKEN``: publishing with the token (trusted publishing off)
    keeps the pair from npm, so no provenance there. GitLab signs with
    ``SIGSTORE_ID_TOKEN``, which npm never exchanges (it exchanges ``NPM_ID_TOKEN``).
    """
    if not wanted or rehearsal:
        return None
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
        if environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN") and oidc:
            return "GitHub Actions"
    if environ.get("GITLAB_CI") and environ.get("SIGSTORE_ID_TOKEN"):
        return "GitLab CI"
    return None


def attestations_url(registry: str, name: str, version: str) -> str:
    """``<registry>-/npm/v1/attestations/<name>@<version>``, the name as npm escapes it."""
    return f"{registry.rstrip('/')}/-/npm/v1/attestations/{name.replace('/', '%2f')}@{version}"


def _read(url: str) -> dict[str, Any] | None:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    data = net.read_json(request, f"cannot read {url}", "rerun the release to check again",
                         timeout=_HTTP_TIMEOUT, absent=(404,))  # fmt: skip
    return data if isinstance(data, dict) else None


def _provenance_digests(data: Mapping[str, Any]) -> list[str]:
    """The sha512 digests (hex) the SLSA provenance statements of an answer are about."""
    found: list[str] = []
    items = data.get("attestations")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        predicate = item.get("predicateType")
        if not isinstance(predicate, str) or not predicate.startswith(SLSA_PREFIX):
            continue
        try:
            payload = item["bundle"]["dsseEnvelope"]["payload"]
            statement = json.loads(base64.b64decode(payload))
            subjects = statement["subject"]
        except (KeyError, TypeError, ValueError, binascii.Error):
            continue
        for subject in subjects if isinstance(subjects, list) else []:
            digest = subject.get("digest") if isinstance(subject, dict) else None
            if isinstance(digest, dict) and isinstance(digest.get("sha512"), str):
                found.append(digest["sha512"].lower())
    return found


def verify_provenance(
    registry: str,
    name: str,
    version: str,
    integrity: str,
    *,
    timeout: float = 60.0,
    log: proc.Log = proc.no_log,
    sleep: Callable[[float], None] | None = None,
) -> None:
    """Return once the registry serves a provenance statement about ``integrity``'s bytes of
    ``name@version``; raise naming the package when it does not (within ``timeout``)."""
    url = attestations_url(registry, name, version)
    ours = base64.b64decode(integrity.split("-", 1)[1]).hex()
    other: list[str] = []

    def attempt() -> bool | None:
        data = _read(url)
        if data is None:
            return None
        digests = _provenance_digests(data)
        if ours in digests:
            return True
        other[:] = digests
        return None

    def expired() -> PublishError:
        if other:
            return PublishError(
                f"{name}@{version}: the registry's provenance is about other bytes "
                f"(sha512 {other[0][:16]}…, ours {ours[:16]}…)",
                "find out who published this version; an npm version can never be replaced",
            )
        return PublishError(
            f"{name}@{version} was published with --provenance but {url} serves no "
            f"provenance statement for it after {timeout:g}s",
            "look at the package page on npmjs.com (Provenance); npm audit signatures checks "
            "it; set npm-provenance = false where the registry keeps none",
        )

    net.poll(attempt, timeout=timeout, expired=expired, first=0.5, factor=1.5, cap=5.0,
             sleep=sleep)  # fmt: skip
    log(f"{name}@{version}: the registry serves its provenance statement (sha512 matches)")

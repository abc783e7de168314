"""PEP 740 attestations as PyPI serves them, and a signer that stands in for Sigstore.

The provenance below is what PyPI's Integrity API answers (``GET /integrity/<project>/
<version>/<file>/provenance``, ``application/vnd.pypi.integrity.v1+json``): a PEP 740
provenance object with one attestation bundle per trusted publisher. It was written from
PEP 740 and the Integrity API documentation, with the statement exactly as
``pypi-attestations`` builds it; its certificate, signature and transparency-log entry are
made up (a self-signed certificate, no Sigstore chain), so it can't pass a Sigstore
signature check, which releasekit does not make (PyPI does, at upload). Shared by the unit
tests of ``releasekit.targets.pypi.attest`` and the integration tests that upload attested files.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

WHEEL = "demo-1.0.0-py3-none-any.whl"
WHEEL_SHA256 = "715e00a3f83588de7dba0a608b3ca734a32ef5df9d5f3af0be0a53a80692f9d3"

CERTIFICATE = (
    "MIIBlzCCAT6gAwIBAgIBATAKBggqhkjOPQQDAjBJMSwwKgYDVQQKDCNyZWxlYXNla2l0IHRlc3RzIChub3Qg"
    "c2lnc3RvcmUuZGV2KTEZMBcGA1UEAwwQcmVjb3JkZWQtZml4dHVyZTAeFw0yNjExMDIxMDAwMDBaFw0yNjEx"
    "MDIxMDEwMDBaMAAwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAShXc4CQFtSHAYFATRN0K81KdnhZycHSw44"
    "VIuOPdyUVyJ/HJ4LYKRl6bVaV3r7N2fLznuYhV2P2XYrXAk1hE3Do2AwXjBcBgNVHREBAf8EUjBQhk5odHRw"
    "czovL2dpdGh1Yi5jb20vZXhhbXBsZS9kZW1vLy5naXRodWIvd29ya2Zsb3dzL3JlbGVhc2UueW1sQHJlZnMv"
    "dGFncy92MS4wLjAwCgYIKoZIzj0EAwIDRwAwRAIgPITixet2pUAzK1wSC16yZkZbiqy6hLCVWUj+a4cxaO0C"
    "IDs59OO/qUxScshY2y6kBD6xWj+UtG/EeIT/3sSwMds9"
)
# base64 of the in-toto statement for WHEEL, WHEEL_SHA256, as pypi-attestations writes it
STATEMENT = (
    "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJzdWJqZWN0IjpbeyJuYW1lIjoi"
    "ZGVtby0xLjAuMC1weTMtbm9uZS1hbnkud2hsIiwiZGlnZXN0Ijp7InNoYTI1NiI6IjcxNWUwMGEzZjgzNTg4"
    "ZGU3ZGJhMGE2MDhiM2NhNzM0YTMyZWY1ZGY5ZDVmM2FmMGJlMGE1M2E4MDY5MmY5ZDMifX1dLCJwcmVkaWNh"
    "dGVUeXBlIjoiaHR0cHM6Ly9kb2NzLnB5cGkub3JnL2F0dGVzdGF0aW9ucy9wdWJsaXNoL3YxIiwicHJlZGlj"
    "YXRlIjpudWxsfQ=="
)
SIGNATURE = (
    "MEQCIAsT3vW9Tx9eYP1PSXLi1hjSWKjfai0MRBnu9iY1Gmx6AiB1i7EciG3e+svpYKy1MC3rnSiGUlyRqOr8"
    "TjG2FBb9Cw=="
)
HASH = "fco799ZNh06yePkoB6KrzdntNmweEOb1NhG2XWhDii0="
RECORDED_PROVENANCE: dict[str, Any] = {
    "version": 1,
    "attestation_bundles": [
        {
            "publisher": {
                "kind": "GitHub",
                "repository": "example/demo",
                "workflow": "release.yml",
                "environment": "pypi",
                "claims": None,
            },
            "attestations": [
                {
                    "version": 1,
                    "verification_material": {
                        "certificate": CERTIFICATE,
                        "transparency_entries": [
                            {
                                "logIndex": "148362471",
                                "logId": {"keyId": HASH},
                                "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                                "integratedTime": "1762077600",
                                "inclusionPromise": {"signedEntryTimestamp": SIGNATURE},
                                "inclusionProof": {
                                    "logIndex": "26458209",
                                    "rootHash": HASH,
                                    "treeSize": "26458210",
                                    "hashes": [HASH],
                                    "checkpoint": {
                                        "envelope": "rekor.example - 1193050959916656506\n"
                                        f"26458210\n{HASH}\n\n- rekor.example fco7{SIGNATURE}\n"
                                    },
                                },
                                "canonicalizedBody": (
                                    "eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiZHNzZSIsInNwZWMiOnt9fQ=="
                                ),
                            }
                        ],
                    },
                    "envelope": {"statement": STATEMENT, "signature": SIGNATURE},
                }
            ],
        }
    ],
}


def recorded() -> dict[str, Any]:
    document = copy.deepcopy(RECORDED_PROVENANCE)
    assert document == json.loads(json.dumps(document)), "plain JSON, as the API serves"
    return document


def statement(name: str, sha256: str, **changes: Any) -> dict[str, Any]:
    """An in-toto statement the way pypi-attestations builds it (key order included)."""
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256}}],
        "predicateType": "https://docs.pypi.org/attestations/publish/v1",
        "predicate": None,
        **changes,
    }


def attestation_for(name: str, sha256: str, **changes: Any) -> dict[str, Any]:
    """The recorded attestation with its statement replaced: what a signer would return."""
    template = recorded()["attestation_bundles"][0]["attestations"][0]
    result = copy.deepcopy(template)
    encoded = json.dumps(statement(name, sha256, **changes), separators=(",", ":")).encode()
    result["envelope"]["statement"] = base64.b64encode(encoded).decode()
    assert isinstance(result, dict)
    return result


def provenance_for(name: str, sha256: str, **changes: Any) -> dict[str, Any]:
    """The recorded provenance, for another file (what PyPI would serve for it)."""
    document = recorded()
    document["attestation_bundles"][0]["attestations"] = [attestation_for(name, sha256, **changes)]
    return document


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class FakeSigner:
    """Stands in for Sigstore: attests each file's real name and sha256, counts calls."""

    def __init__(self, lie: Mapping[str, str] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.lie = dict(lie or {})

    def __call__(self, paths: Sequence[Path]) -> Mapping[str, str]:
        self.calls.append([p.name for p in paths])
        return {
            p.name: json.dumps(attestation_for(p.name, self.lie.get(p.name, sha(p)))) for p in paths
        }

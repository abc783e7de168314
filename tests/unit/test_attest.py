"""PEP 740 attestations without network: reading and checking them, writing them once.

The recorded provenance (in ``tests/helpers/attest.py``, which says where it comes from) is
what PyPI's Integrity API answers. Signing itself needs a CI identity and Sigstore's servers:
here a fake signer stands in for it.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from releasekit.errors import PublishError
from releasekit.targets.pypi import attest
from releasekit.targets.pypi.attest import AttestationError
from tests.helpers.attest import (
    RECORDED_PROVENANCE,
    WHEEL,
    WHEEL_SHA256,
    FakeSigner,
    attestation_for,
    provenance_for,
    recorded,
    sha,
    statement,
)

# --- the recorded provenance ------------------------------------------------------------------


def test_recorded_provenance_is_what_pypi_attestations_reads() -> None:
    """The fixture is a valid PEP 740 provenance by the models PyPI's own library uses."""
    models = pytest.importorskip("pypi_attestations")
    provenance = models.Provenance.model_validate_json(json.dumps(RECORDED_PROVENANCE))
    (bundle,) = provenance.attestation_bundles
    assert bundle.publisher.kind == "GitHub" and bundle.publisher.repository == "example/demo"
    (attestation,) = bundle.attestations
    assert attestation.statement["subject"] == [{"name": WHEEL, "digest": {"sha256": WHEEL_SHA256}}]
    assert attestation.statement == statement(WHEEL, WHEEL_SHA256)


def test_recorded_provenance_names_the_built_digest() -> None:
    check = attest.verify_provenance(recorded(), WHEEL, WHEEL_SHA256, source="https://x/p")
    assert check.attestations == 1
    assert check.publishers == ("GitHub example/demo (release.yml, pypi)",)
    assert check.url == "https://x/p"


def test_upper_case_digest_of_ours_still_matches() -> None:
    assert attest.verify_provenance(recorded(), WHEEL, WHEEL_SHA256.upper(), source="u")


def test_a_mismatched_digest_fails_with_both_digests_and_the_publisher() -> None:
    other = "0" * 64
    with pytest.raises(AttestationError) as info:
        attest.verify_provenance(recorded(), WHEEL, other, source="https://pypi.org/integrity/x")
    message = info.value.message
    assert message.startswith("https://pypi.org/integrity/x: the attestation by GitHub")
    assert f"names {WHEEL} with sha256 {WHEEL_SHA256[:12]}…" in message
    assert f"but the built file is {WHEEL} with sha256 {other[:12]}…" in message
    assert "do not announce this release" in info.value.hint
    assert isinstance(info.value, PublishError)


def test_an_attestation_for_another_file_fails() -> None:
    document = provenance_for("demo-1.0.0.tar.gz", WHEEL_SHA256)
    with pytest.raises(AttestationError, match=r"names demo-1\.0\.0\.tar\.gz with sha256"):
        attest.verify_provenance(document, WHEEL, WHEEL_SHA256, source="u")


def test_every_attestation_of_every_bundle_is_checked() -> None:
    document = recorded()
    second = copy.deepcopy(document["attestation_bundles"][0])
    second["publisher"] = {"kind": "GitLab", "repository": "example/demo", "environment": ""}
    second["attestations"] = [attestation_for(WHEEL, "1" * 64)]
    document["attestation_bundles"].append(second)
    with pytest.raises(AttestationError, match=r"by GitLab example/demo names"):
        attest.verify_provenance(document, WHEEL, WHEEL_SHA256, source="u")


def _broken(change: str) -> Any:
    document: Any = recorded()
    first = document["attestation_bundles"][0]["attestations"][0]
    if change == "version":
        document["version"] = 2
    elif change == "no bundles":
        document["attestation_bundles"] = []
    elif change == "no attestations":
        document["attestation_bundles"][0]["attestations"] = []
    elif change == "not base64":
        first["envelope"]["statement"] = "not base64!"
    elif change == "two subjects":
        doubled = statement(WHEEL, WHEEL_SHA256)
        doubled["subject"] = doubled["subject"] * 2
        first["envelope"]["statement"] = base64.b64encode(json.dumps(doubled).encode()).decode()
    elif change == "unknown predicate":
        document["attestation_bundles"][0]["attestations"] = [
            attestation_for(WHEEL, WHEEL_SHA256, predicateType="https://example/unknown")
        ]
    elif change == "a list":
        document = [document]
    return document


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("version", "not a PEP 740 provenance object"),
        ("no bundles", "no attestation_bundles"),
        ("no attestations", "no attestation in any bundle"),
        ("not base64", "envelope.statement is not base64"),
        ("two subjects", "exactly one subject"),
        ("unknown predicate", "unknown predicate type 'https://example/unknown'"),
        ("a list", "not a PEP 740 provenance object"),
    ],
)
def test_malformed_provenance_is_a_clear_error(change: str, said: str) -> None:
    with pytest.raises(AttestationError) as info:
        attest.verify_provenance(_broken(change), WHEEL, WHEEL_SHA256, source="https://i/p")
    assert info.value.message.startswith("https://i/p: ")
    assert said in info.value.message
    assert "the index's provenance" in info.value.hint


# --- where provenance is ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index_url", "root"),
    [
        ("https://pypi.org/simple/", "https://pypi.org"),
        ("https://upload.pypi.org/legacy/", "https://pypi.org"),
        ("https://test.pypi.org/simple/", "https://test.pypi.org"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org"),
        ("http://127.0.0.1:8080/simple/", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://user:secret@pkgs.example/api/pypi/simple/", "https://pkgs.example/api/pypi"),
    ],
)
def test_integrity_url(index_url: str, root: str) -> None:
    url = attest.integrity_url(index_url, "Demo_Pkg", "1.0.0", "demo_pkg-1.0.0.tar.gz")
    assert url == f"{root}/integrity/demo-pkg/1.0.0/demo_pkg-1.0.0.tar.gz/provenance"


def test_is_pypi() -> None:
    assert attest.is_pypi("https://upload.pypi.org/legacy/")
    assert attest.is_pypi("https://test.pypi.org/legacy/")
    assert not attest.is_pypi("http://127.0.0.1:8080/")
    assert not attest.is_pypi("https://pypi.org.example/simple/")


# --- attestation files ------------------------------------------------------------------------


def dists(tmp_path: Path, wheel: bytes = b"wheel bytes") -> list[Path]:
    (tmp_path / "demo-1.0.0.tar.gz").write_bytes(b"sdist bytes")
    (tmp_path / WHEEL).write_bytes(wheel)
    return [tmp_path / "demo-1.0.0.tar.gz", tmp_path / WHEEL]


def test_make_attestations_writes_one_per_file_and_a_record(tmp_path: Path) -> None:
    files = dists(tmp_path)
    signer = FakeSigner()
    lines: list[str] = []
    made = attest.make_attestations(files, log=lines.append, signer=signer)
    assert made == [
        tmp_path / "demo-1.0.0.tar.gz.publish.attestation",
        tmp_path / f"{WHEEL}.publish.attestation",
    ]
    assert signer.calls == [["demo-1.0.0.tar.gz", WHEEL]]  # all files, one signing
    for dist, attestation in zip(files, made):
        assert attest.read_attestation(attestation) == (dist.name, sha(dist))
    record = json.loads((tmp_path / attest.RECORD_NAME).read_text())
    assert record == {
        "attestations": [
            {"file": p.name, "sha256": sha(p), "attestation": f"{p.name}.publish.attestation"}
            for p in files
        ]
    }
    assert attest.attestation_files(tmp_path) == [*sorted(made), tmp_path / attest.RECORD_NAME]
    assert any("signing demo-1.0.0.tar.gz, demo-1.0.0-py3-none-any.whl" in line for line in lines)
    assert not list(tmp_path.glob(".*.tmp"))


def test_each_file_is_signed_once(tmp_path: Path) -> None:
    """The test index's attestations are reused for prod (pypa/gh-action-pypi-publish#319)."""
    files = dists(tmp_path)
    signer = FakeSigner()
    first = attest.make_attestations(files, log=lambda _: None, signer=signer)
    before = [p.read_bytes() for p in first]
    lines: list[str] = []
    again = attest.make_attestations(files, log=lines.append, signer=signer)
    assert again == first and [p.read_bytes() for p in again] == before
    assert len(signer.calls) == 1
    assert any("reusing the attestation(s)" in line for line in lines)


def test_a_rebuilt_file_is_signed_again_alone(tmp_path: Path) -> None:
    files = dists(tmp_path)
    signer = FakeSigner()
    attest.make_attestations(files, log=lambda _: None, signer=signer)
    files[1].write_bytes(b"other wheel bytes")
    lines: list[str] = []
    attest.make_attestations(files, log=lines.append, signer=signer)
    assert signer.calls[1] == [WHEEL]
    assert attest.read_attestation(attest.attestation_path(files[1]))[1] == sha(files[1])
    assert any("attests other bytes (a rebuild?)" in line for line in lines)


def test_a_rehearsal_signs_nothing(tmp_path: Path) -> None:
    files = dists(tmp_path)
    signer = FakeSigner()
    lines: list[str] = []
    assert attest.make_attestations(files, log=lines.append, signer=signer, rehearse=True) == []
    assert signer.calls == [] and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in files
    )
    assert "rehearsal: attestations = true, but nothing is signed" in lines[0]


def test_a_signer_that_attests_other_bytes_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    files = dists(tmp_path)
    with pytest.raises(AttestationError, match=r"returned an attestation for .* not for"):
        attest.make_attestations(files, log=lambda _: None, signer=FakeSigner({WHEEL: "2" * 64}))
    assert not attest.attestation_path(files[1]).exists()
    assert not (tmp_path / attest.RECORD_NAME).exists()


def test_a_signer_that_skips_a_file_is_an_error(tmp_path: Path) -> None:
    files = dists(tmp_path)

    def forgetful(paths: Sequence[Path]) -> Mapping[str, str]:
        return {}

    with pytest.raises(AttestationError, match=r"no attestation for demo-1\.0\.0\.tar\.gz"):
        attest.make_attestations(files, log=lambda _: None, signer=forgetful)


# --- which attestations go with an upload -----------------------------------------------------


def test_no_attestation_files_means_upload_without(tmp_path: Path) -> None:
    assert attest.attestations_for(dists(tmp_path)) == []


def test_attestations_for_returns_them_in_file_order(tmp_path: Path) -> None:
    files = dists(tmp_path)
    made = attest.make_attestations(files, log=lambda _: None, signer=FakeSigner())
    assert attest.attestations_for(files) == made
    assert attest.attestations_for(files[1:]) == made[1:]


def test_one_file_without_an_attestation_stops_the_upload(tmp_path: Path) -> None:
    files = dists(tmp_path)
    attest.make_attestations(files, log=lambda _: None, signer=FakeSigner())
    attest.attestation_path(files[0]).unlink()
    with pytest.raises(AttestationError) as info:
        attest.attestations_for(files)
    assert info.value.message.startswith("demo-1.0.0.tar.gz has no .publish.attestation file")
    assert "nothing was uploaded" in info.value.message


def test_an_attestation_for_other_bytes_stops_the_upload(tmp_path: Path) -> None:
    files = dists(tmp_path)
    attest.make_attestations(files, log=lambda _: None, signer=FakeSigner())
    old = sha(files[1])
    files[1].write_bytes(b"rebuilt wheel")
    with pytest.raises(AttestationError) as info:
        attest.attestations_for(files)
    assert f"attests {WHEEL} with sha256 {old[:12]}…" in info.value.message
    assert f"with sha256 {sha(files[1])[:12]}…" in info.value.message
    assert "delete the stale .publish.attestation" in info.value.hint


def test_a_broken_attestation_file_is_a_clear_error(tmp_path: Path) -> None:
    files = dists(tmp_path)
    for path in files:
        attest.attestation_path(path).write_text("{not json")
    with pytest.raises(
        AttestationError, match=r"demo-1\.0\.0\.tar\.gz\.publish\.attestation: not JSON"
    ):
        attest.attestations_for(files)


# --- the signing child's environment ----------------------------------------------------------


def test_identity_env_is_only_the_oidc_variables() -> None:
    environ = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/x",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-value",
        "SIGSTORE_ID_TOKEN": "",
        "RELEASEKIT_PROD_PASSWORD": "pypi-secret",
        "GITHUB_TOKEN": "ghs_secret",
        "PATH": "/bin",
    }
    assert attest.identity_env(environ) == {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/x",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-value",
    }


@pytest.mark.parametrize(
    ("setting", "environ", "expected"),
    [
        (None, {"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}, True),
        (None, {"TESTPYPI_ID_TOKEN": "t"}, True),  # GitLab's ID token for TestPyPI
        (None, {"RELEASEKIT_TEST_PASSWORD": "p", "RELEASEKIT_PROD_PASSWORD": "p"}, False),
        (None, {}, False),
        (
            False,
            {"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"},
            False,
        ),
        (True, {"RELEASEKIT_TEST_PASSWORD": "p"}, True),  # asked for: the step says what's missing
    ],
)
def test_attestations_are_on_by_default_exactly_with_trusted_publishing(
    tmp_path: Path, setting: bool | None, environ: dict[str, str], expected: bool
) -> None:
    from releasekit.core.config import parse_config
    from releasekit.engine.runcontext import Options, Project
    from releasekit.kinds import kind_of
    from releasekit.targets.pypi import signs

    table = {} if setting is None else {"attestations": setting}
    config = parse_config({"tool": {"releasekit": table}}, tmp_path)
    project = Project(
        config, "demo", tmp_path / "dist", kind_of("python"), Options(), environ=environ
    )
    assert signs(project) is expected

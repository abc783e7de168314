"""PEP 740 attestations on the real upload path: twine, pypiserver, and an Integrity API.

What runs for real here: ``twine upload --attestations`` (twine 7) against pypiserver, with
the attestation files ``make_attestations`` wrote; an index on loopback that, like PyPI,
keeps the attestations uploaded with each file and serves them as provenance at
``/integrity/<project>/<version>/<file>/provenance`` (a small proxy in front of pypiserver,
which itself has no Integrity API); and the signing child process, up to the point where
it needs a CI identity. What cannot run here: signing (a CI's OIDC identity, Sigstore's
Fulcio and Rekor on the network) and PyPI's own check of the signature. The signer is a
fake that writes attestations with the real files' names and sha256.
"""

from __future__ import annotations

import email.parser
import email.policy
import http.client
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import pytest

from releasekit.core.config import IndexConfig
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.targets.pypi import attest
from releasekit.targets.pypi.attest import AttestationError
from releasekit.targets.pypi.simple import project_files
from releasekit.targets.pypi.upload import publish
from tests.helpers.attest import (
    RECORDED_PROVENANCE,
    WHEEL,
    WHEEL_SHA256,
    FakeSigner,
    attestation_for,
)
from tests.helpers.index import SampleDists, copy_dists

pytestmark = pytest.mark.slow

TWINE = [sys.executable, "-m", "twine"]
PUBLISHER = {"kind": "GitHub", "repository": "example/demo", "workflow": "release.yml"}
IDENTITY_VARIABLES = (
    "GITHUB_ACTIONS",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITLAB_CI",
    "SIGSTORE_ID_TOKEN",
    "GOOGLE_SERVICE_ACCOUNT_NAME",
    "BUILDKITE",
    "CIRCLECI",
)


def attested_copy(sample: SampleDists, dest: Path) -> SampleDists:
    """A copy of the sample build with an attestation next to each file (fake signer)."""
    copy = copy_dists(sample, dest)
    paths = copy.manifest.verified_paths(copy.dist_dir)
    attest.make_attestations(paths, log=lambda _: None, signer=FakeSigner())
    return copy


class IntegrityIndex:
    """PyPI's side of PEP 740 on loopback, in front of a real pypiserver.

    Uploads are forwarded to pypiserver; the ``attestations`` form field of each (what twine
    sends with ``--attestations``) is kept, as PyPI keeps it, and served back as a
    provenance object at ``/integrity/<project>/<version>/<file>/provenance``. Everything
    else (the simple API) is pypiserver's. ``served`` overrides what is served for a file.
    """

    def __init__(self, upstream: LocalIndex) -> None:
        parts = urlsplit(upstream.publish_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.uploaded: dict[str, list[Any]] = {}  # filename -> the attestations sent with it
        self.served: dict[str, Any] = {}  # filename -> provenance to serve instead
        self.reads: list[tuple[str, str]] = []  # (integrity path, Accept header)
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            owner: ClassVar[IntegrityIndex] = index

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path.startswith("/integrity/"):
                    self.owner.reads.append((path, self.headers.get("Accept", "")))
                    self._answer(*self.owner.provenance(path))
                else:
                    self._answer(*self.owner.forward("GET", self.path, dict(self.headers), None))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.owner.keep(self.headers.get("Content-Type", ""), body)
                self._answer(*self.owner.forward("POST", self.path, dict(self.headers), body))

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def index_config(self, name: str) -> IndexConfig:
        return IndexConfig(name=name, url=f"{self.root}/simple/", publish_url=f"{self.root}/")

    def keep(self, content_type: str, body: bytes) -> None:
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        form = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        fields: dict[str, Any] = {}
        for part in form.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True))
        filename = fields["content"][0]
        if "attestations" in fields:
            self.uploaded[filename] = json.loads(fields["attestations"][1])

    def provenance(self, path: str) -> tuple[int, str, bytes]:
        filename = unquote(path.split("/")[4])
        if filename in self.served:
            document = self.served[filename]
        elif filename in self.uploaded:
            bundle = {"publisher": PUBLISHER, "attestations": self.uploaded[filename]}
            document = {"version": 1, "attestation_bundles": [bundle]}
        else:
            return 404, "text/plain", b"Not Found"
        return 200, attest.INTEGRITY_MEDIA_TYPE, json.dumps(document).encode()

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()

    def __enter__(self) -> IntegrityIndex:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def integrity_index(local_index: LocalIndex) -> Iterator[IntegrityIndex]:
    with IntegrityIndex(local_index) as index:
        yield index


# --- pypiserver as it is ----------------------------------------------------------------------


def test_pypiserver_takes_the_upload_with_attestations_and_ignores_them(
    local_index: LocalIndex, sample_dists: SampleDists, tmp_path: Path
) -> None:
    """What a rehearsal index does with ``--attestations``: 200, file stored, field dropped."""
    sample = attested_copy(sample_dists, tmp_path / "dist")
    lines: list[str] = []
    result = publish(
        sample.manifest,
        sample.dist_dir,
        local_index.index_config("test"),
        twine=TWINE,
        environ=local_index.credentials("test"),
        log=lines.append,
        verify_timeout=10,
    )
    output = "\n".join(lines)
    assert result.summary == "2 uploaded"
    command = next(line for line in lines if line.startswith("$ ") and " upload " in line)
    assert " --attestations " in command
    for item in sample.manifest.files:
        assert f"{item.filename}.publish.attestation" in command
    assert "uploading each file with its PEP 740 attestation (an index other than PyPI" in output
    assert sorted(p.name for p in local_index.packages_dir.iterdir()) == sorted(
        f.filename for f in sample.manifest.files
    )
    root = local_index.url.rsplit("/simple", 1)[0]
    for item in sample.manifest.files:
        url = f"{root}/integrity/demo/1.0.0/{item.filename}/provenance"
        assert f"{url}: no provenance served (no Integrity API there" in output


def test_an_attestation_for_other_bytes_stops_publish_before_any_upload(
    local_index: LocalIndex, sample_dists: SampleDists, tmp_path: Path
) -> None:
    sample = attested_copy(sample_dists, tmp_path / "dist")
    wheel = sample.manifest.wheels[0].filename
    stale = attestation_for(wheel, "0" * 64)
    (sample.dist_dir / f"{wheel}.publish.attestation").write_text(json.dumps(stale))
    lines: list[str] = []
    with pytest.raises(AttestationError) as info:
        publish(
            sample.manifest,
            sample.dist_dir,
            local_index.index_config("test"),
            twine=TWINE,
            environ=local_index.credentials("test"),
            log=lines.append,
            verify_timeout=10,
        )
    assert f"attests {wheel} with sha256 000000000000…" in info.value.message
    assert "nothing was uploaded" in info.value.message
    assert not any(" upload " in line for line in lines if line.startswith("$ "))
    assert list(local_index.packages_dir.iterdir()) == []


def test_a_file_without_its_attestation_stops_publish_before_any_upload(
    local_index: LocalIndex, sample_dists: SampleDists, tmp_path: Path
) -> None:
    sample = attested_copy(sample_dists, tmp_path / "dist")
    sdist = sample.manifest.sdists[0].filename
    (sample.dist_dir / f"{sdist}.publish.attestation").unlink()
    with pytest.raises(AttestationError, match=r"an upload is attested for every file or for none"):
        publish(
            sample.manifest,
            sample.dist_dir,
            local_index.index_config("test"),
            twine=TWINE,
            environ=local_index.credentials("test"),
            log=lambda _: None,
            verify_timeout=10,
        )
    assert list(local_index.packages_dir.iterdir()) == []


# --- an index with an Integrity API -----------------------------------------------------------


def test_each_file_goes_with_its_attestation_and_the_provenance_is_read_back(
    integrity_index: IntegrityIndex,
    local_index: LocalIndex,
    sample_dists: SampleDists,
    tmp_path: Path,
) -> None:
    sample = attested_copy(sample_dists, tmp_path / "dist")
    lines: list[str] = []
    for name in ("test", "prod"):  # the same attestations, to both indexes: signed once
        result = publish(
            sample.manifest,
            sample.dist_dir,
            integrity_index.index_config(name),
            twine=TWINE,
            environ=local_index.credentials(name),
            log=lines.append,
            verify_timeout=10,
        )
        assert result.summary == ("2 uploaded" if name == "test" else "2 already identical")
    for item in sample.manifest.files:
        sent = json.loads((sample.dist_dir / f"{item.filename}.publish.attestation").read_text())
        assert integrity_index.uploaded[item.filename] == [sent]
        assert (
            f"{item.filename}: the index serves provenance with 1 attestation(s) by GitHub "
            f"example/demo (release.yml) for the built sha256 ({item.sha256[:12]}…)"
        ) in lines
    assert {accept for _, accept in integrity_index.reads} == {attest.INTEGRITY_MEDIA_TYPE}
    assert {p for p, _ in integrity_index.reads} == {
        f"/integrity/demo/1.0.0/{f.filename}/provenance" for f in sample.manifest.files
    }
    served = project_files(local_index.url, "demo")
    assert {n: f.sha256 for n, f in served.items()} == {
        f.filename: f.sha256 for f in sample.manifest.files
    }


def test_provenance_for_other_bytes_fails_the_publish(
    integrity_index: IntegrityIndex,
    local_index: LocalIndex,
    sample_dists: SampleDists,
    tmp_path: Path,
) -> None:
    sample = attested_copy(sample_dists, tmp_path / "dist")
    wheel = sample.manifest.wheels[0]
    bundle = {"publisher": PUBLISHER, "attestations": [attestation_for(wheel.filename, "f" * 64)]}
    integrity_index.served[wheel.filename] = {"version": 1, "attestation_bundles": [bundle]}
    with pytest.raises(AttestationError) as info:
        publish(
            sample.manifest,
            sample.dist_dir,
            integrity_index.index_config("test"),
            twine=TWINE,
            environ=local_index.credentials("test"),
            log=lambda _: None,
            verify_timeout=10,
        )
    message = info.value.message
    assert message.startswith(f"{integrity_index.root}/integrity/demo/1.0.0/{wheel.filename}/")
    assert f"names {wheel.filename} with sha256 ffffffffffff…" in message
    assert f"but the built file is {wheel.filename} with sha256 {wheel.sha256[:12]}…" in message


def test_check_provenance_against_the_recorded_provenance(
    integrity_index: IntegrityIndex,
) -> None:
    integrity_index.served[WHEEL] = RECORDED_PROVENANCE
    simple = f"{integrity_index.root}/simple/"
    lines: list[str] = []
    check = attest.check_provenance(simple, "demo", "1.0.0", WHEEL, WHEEL_SHA256, log=lines.append)
    assert check is not None and check.attestations == 1
    assert check.url == f"{integrity_index.root}/integrity/demo/1.0.0/{WHEEL}/provenance"
    assert "by GitHub example/demo (release.yml, pypi)" in lines[-1]

    with pytest.raises(AttestationError, match=r"names demo-1\.0\.0-py3-none-any\.whl with"):
        attest.check_provenance(simple, "demo", "1.0.0", WHEEL, "e" * 64, log=lines.append)

    missing = "demo-1.0.0.tar.gz"
    assert (
        attest.check_provenance(simple, "demo", "1.0.0", missing, "a" * 64, log=lines.append)
        is None
    )
    assert lines[-1].endswith("no provenance served (no Integrity API there, or no attestation)")


def test_required_provenance_is_waited_for_then_an_error(integrity_index: IntegrityIndex) -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with pytest.raises(AttestationError) as info:
        attest.check_provenance(
            f"{integrity_index.root}/simple/",
            "demo",
            "1.0.0",
            WHEEL,
            WHEEL_SHA256,
            log=lambda _: None,
            required=True,
            timeout=10,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert waits == [1, 2, 4, 3]
    assert "was uploaded with its attestation, but" in info.value.message
    assert "still serves no provenance after 10s" in info.value.message
    assert len(integrity_index.reads) == 5


def test_pypiserver_has_no_integrity_api_so_nothing_is_checked(
    local_index: LocalIndex,
) -> None:
    """pypiserver answers /integrity/... with 404: logged, not an error."""
    lines: list[str] = []
    assert (
        attest.check_provenance(
            local_index.url, "demo", "1.0.0", WHEEL, WHEEL_SHA256, log=lines.append
        )
        is None
    )
    assert "no provenance served" in lines[-1]


# --- the signing child, as far as it runs without a CI identity -------------------------------


@pytest.fixture
def no_ci_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in IDENTITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_signing_without_an_identity_is_a_clear_error(
    no_ci_identity: None, sample_dists: SampleDists, tmp_path: Path
) -> None:
    """The real child: pypi-attestations/sigstore's ambient detection finds no identity."""
    pytest.importorskip("pypi_attestations")
    sample = copy_dists(sample_dists, tmp_path / "dist")
    paths = sample.manifest.verified_paths(sample.dist_dir)
    with pytest.raises(AttestationError) as info:
        attest.make_attestations(paths, log=lambda _: None, python=sys.executable)
    assert info.value.message == (
        "attestations = true needs a trusted-publishing identity (GitHub Actions with "
        "permissions: id-token: write), and none was found in this environment"
    )
    assert "permissions: id-token: write" in info.value.hint
    assert "-- --rehearse" in info.value.hint
    assert not list(sample.dist_dir.glob("*.publish.attestation"))


def test_github_actions_without_id_token_permission_says_so(
    no_ci_identity: None, monkeypatch: pytest.MonkeyPatch, sample_dists: SampleDists, tmp_path: Path
) -> None:
    pytest.importorskip("pypi_attestations")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    sample = copy_dists(sample_dists, tmp_path / "dist")
    paths = sample.manifest.verified_paths(sample.dist_dir)
    with pytest.raises(AttestationError) as info:
        attest.make_attestations(paths, log=lambda _: None, python=sys.executable)
    assert "needs a trusted-publishing identity" in info.value.message
    assert "ACTIONS_ID_TOKEN_REQUEST_TOKEN environment variable was unset" in info.value.message


def test_the_child_loads_releasekit_in_an_interpreter_without_it(
    sample_dists: SampleDists, tmp_path: Path
) -> None:
    """The tools venv has no releasekit: the child loads attest.py from its package
    directory, and says clearly when pypi-attestations is missing there."""
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    python = bare / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-c", "import releasekit"], capture_output=True, text=True, check=False
    )
    assert probe.returncode != 0, "the bare venv must not see releasekit"
    sample = copy_dists(sample_dists, tmp_path / "dist")
    paths = sample.manifest.verified_paths(sample.dist_dir)
    with pytest.raises(AttestationError) as info:
        attest.make_attestations(paths, log=lambda _: None, python=str(python))
    assert info.value.message == (
        f"attestations = true, but {python} cannot import pypi-attestations "
        "(No module named 'pypi_attestations')"
    )
    assert "tools venv is made from its lock with pypi-attestations" in info.value.hint
    assert "RELEASEKIT_CACHE_DIR" in info.value.hint

"""PEP 740 attestations: sign every built file once, upload it with each file, read it back.

With ``[tool.releasekit] attestations = true`` a release in CI signs each distribution with
the job's trusted-publishing identity (Sigstore, through ``pypi-attestations``) and writes
``<file>.publish.attestation`` next to it in ``dist/``. twine uploads it with the file
(:func:`releasekit.targets.pypi.upload.upload` adds ``--attestations`` when the files are there).

Why *once*: an attestation is a statement about a file's sha256, so the one made for the
test index is just as good for the real one. Signing per upload is what makes a second
signing run in the same job stumble over the first one's files
(pypa/gh-action-pypi-publish#319); here a second call finds the files, checks they attest
the same bytes, and reuses them. An attestation that names other bytes (a rebuild since) is
made again, and one that slips through anyway is refused before any upload
(:func:`attestations_for`): PyPI rejects the *whole* upload for one invalid attestation.

Where the signing runs: in releasekit's tools virtualenv (where twine is), started as a
child process (:func:`tools_signer`). ``pypi-attestations`` and ``sigstore`` need Python
>= 3.10 (the nox process may run 3.9; the tools venv already needs 3.10 for twine 7) and
bring about twenty packages (cryptography, pydantic, tuf, ...) that have no business in the
user's nox environment, let alone in the hatch plugin's path. This module imports only the
standard library and releasekit's stdlib-only modules at the top, so the child can load it
from releasekit's package directory without anything else of the nox environment.

After an upload, :func:`check_provenance` reads what the index serves through PyPI's
Integrity API (``/integrity/<project>/<version>/<file>/provenance``) and checks that every
attestation in it names this file and its sha256. The Sigstore signature itself is checked
by PyPI at upload (it refuses a bad one); checking it again here would need Sigstore's trust
root from the network, so releasekit checks what the index *says* it attests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlsplit, urlunsplit

from releasekit import _child
from releasekit.errors import PublishError
from releasekit.runtime import proc

__all__ = [
    "INTEGRITY_MEDIA_TYPE",
    "RECORD_NAME",
    "REQUIREMENTS",
    "SUFFIX",
    "AttestationError",
    "ProvenanceCheck",
    "Signer",
    "attestation_files",
    "attestation_path",
    "attestations_for",
    "check_provenance",
    "identity_env",
    "integrity_url",
    "is_pypi",
    "make_attestations",
    "read_attestation",
    "statement_subject",
    "tools_signer",
    "verify_provenance",
]

# What the tools venv needs for signing (on top of twine). 0.0.30 is the first release with
# sigstore 4 (Rekor v1 forced for PyPI); 0.x may change its API in any release.
REQUIREMENTS = ("pypi-attestations>=0.0.30,<0.1",)
SUFFIX = ".publish.attestation"
RECORD_NAME = "releasekit-attestations.json"
INTEGRITY_MEDIA_TYPE = "application/vnd.pypi.integrity.v1+json"
_STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
# The predicate types PyPI accepts (pypi_attestations.AttestationType).
_PREDICATES = (
    "https://docs.pypi.org/attestations/publish/v1",
    "https://slsa.dev/provenance/v1",
)
_PYPI_ROOTS = {
    "pypi.org": "https://pypi.org",
    "upload.pypi.org": "https://pypi.org",
    "files.pythonhosted.org": "https://pypi.org",
    "test.pypi.org": "https://test.pypi.org",
    "test-files.pythonhosted.org": "https://test.pypi.org",
}
# GitLab CI hands sigstore its token as SIGSTORE_ID_TOKEN (a job's `id_tokens` entry with
# `aud: sigstore`); GitHub Actions the OIDC request pair of proc.OIDC_VARIABLES.
_IDENTITY_VARIABLES = (*proc.OIDC_VARIABLES, "SIGSTORE_ID_TOKEN")
_SIGN_TIMEOUT = 600.0
_NO_IDENTITY_HINT = (
    "run the release in CI with a trusted publisher: GitHub Actions with "
    "`permissions: id-token: write`, GitLab CI with `id_tokens: SIGSTORE_ID_TOKEN: aud: "
    "sigstore`; rehearse locally with `-- --rehearse` (it skips signing), or set "
    "[tool.releasekit] attestations = false"
)
_REBUILT_HINT = (
    "an attestation is made for one file's sha256: delete the stale .publish.attestation "
    "files and run publish again with attestations = true (it signs the files once more)"
)

Signer = Callable[[Sequence[Path]], Mapping[str, str]]
"""Signs distribution files: their paths in, ``{filename: attestation JSON}`` out."""


class AttestationError(PublishError):
    """An attestation can't be made, is not the one for this file, or the index's disagrees."""


@dataclass(frozen=True)
class ProvenanceCheck:
    """What an index's provenance for one file says, once checked against the built sha256."""

    url: str
    attestations: int  # how many attestations name the file (each with our sha256)
    publishers: tuple[str, ...]  # who made them, e.g. "GitHub owner/repo release.yml"


# --- attestation files ------------------------------------------------------------------------


def attestation_path(dist: Path) -> Path:
    """Where twine looks for ``dist``'s attestation: ``<file>.publish.attestation`` beside it."""
    return dist.with_name(dist.name + SUFFIX)


def attestation_files(dist_dir: Path) -> list[Path]:
    """The attestations and their record in ``dist_dir``: what a new build must remove.

    They attest the bytes of the previous build; a rebuilt file under the same name would
    be uploaded with an attestation for other bytes, which PyPI refuses.
    """
    if not dist_dir.is_dir():
        return []
    found = sorted(p for p in dist_dir.iterdir() if p.is_file() and p.name.endswith(SUFFIX))
    record = dist_dir / RECORD_NAME
    return [*found, record] if record.is_file() else found


def statement_subject(attestation: object, *, source: str) -> tuple[str, str]:
    """The file name and sha256 a PEP 740 attestation object attests, as stated in it.

    Reads the in-toto statement inside the envelope (base64 JSON). The signature is not
    checked here: that needs Sigstore's trust root, and PyPI checks it at upload.
    """
    if not isinstance(attestation, dict) or attestation.get("version") != 1:
        raise _malformed(source, "not a PEP 740 attestation object (version 1)")
    envelope = attestation.get("envelope")
    encoded = envelope.get("statement") if isinstance(envelope, dict) else None
    if not isinstance(encoded, str):
        raise _malformed(source, "no envelope.statement")
    try:
        statement = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise _malformed(source, "envelope.statement is not base64 of a JSON statement") from None
    if not isinstance(statement, dict) or statement.get("_type") != _STATEMENT_TYPE:
        raise _malformed(source, f"the statement is not an in-toto statement ({_STATEMENT_TYPE})")
    if statement.get("predicateType") not in _PREDICATES:
        raise _malformed(source, f"unknown predicate type {statement.get('predicateType')!r}")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise _malformed(source, "the statement must have exactly one subject")
    name = subjects[0].get("name")
    digest = subjects[0].get("digest")
    sha256 = digest.get("sha256") if isinstance(digest, dict) else None
    if not isinstance(name, str) or not isinstance(sha256, str):
        raise _malformed(source, "the subject has no name or no sha256 digest")
    return name, sha256.lower()


def read_attestation(path: Path) -> tuple[str, str]:
    """The (file name, sha256) that the attestation file at ``path`` attests."""
    try:
        data = json.loads(path.read_bytes())
    except ValueError:
        raise _malformed(path.name, "not JSON") from None
    return statement_subject(data, source=path.name)


def attestations_for(paths: Sequence[Path]) -> list[Path]:
    """The attestation files to upload with ``paths``: one per file, or none at all.

    ``[]`` when no file has one (attestations are off). Otherwise every file must have one
    that attests its current sha256: twine refuses ``--attestations`` when a file lacks one,
    and PyPI refuses the whole upload for one that attests other bytes, so either is stopped
    here, before anything is sent.
    """
    found = {p: attestation_path(p) for p in paths if attestation_path(p).is_file()}
    if not found:
        return []
    missing = [p.name for p in paths if p not in found]
    if missing:
        raise AttestationError(
            f"{', '.join(missing)} has no {SUFFIX} file but "
            f"{', '.join(p.name for p in found)} does: an upload is attested for every file "
            "or for none; nothing was uploaded",
            f"run publish with attestations = true (it signs the missing ones), or delete "
            f"the *{SUFFIX} files to upload without attestations",
        )
    for path, attestation in found.items():
        name, digest = read_attestation(attestation)
        ours = _sha256(path)
        if name != path.name or digest != ours:
            raise AttestationError(
                f"{attestation.name} attests {name} with sha256 {digest[:12]}…, but the file "
                f"to upload is {path.name} with sha256 {ours[:12]}…; nothing was uploaded "
                "(PyPI would refuse the whole upload)",
                _REBUILT_HINT,
            )
    return [found[p] for p in paths]


# --- signing ----------------------------------------------------------------------------------


def make_attestations(
    files: Sequence[Path],
    *,
    log: proc.Log,
    signer: Signer | None = None,
    python: str | None = None,
    environ: Mapping[str, str] | None = None,
    rehearse: bool = False,
) -> list[Path]:
    """Attest every file once; return the attestation paths, in the order of ``files``.

    A file whose ``<file>.publish.attestation`` already attests its current sha256 keeps it
    (signed earlier in this release: the test index's upload, or an earlier run); the rest
    are signed together by ``signer`` (default: :func:`tools_signer` with ``python``, the
    tools venv's interpreter, and the identity variables of ``environ``). What the signer
    returns is checked to attest the right name and bytes before it is written. The
    attestations are recorded in ``releasekit-attestations.json`` beside the files.

    A rehearsal signs nothing and returns ``[]``: signing writes an entry into Sigstore's
    public transparency log, and a local run has no trusted-publishing identity anyway.
    Without an identity anywhere else: an :class:`AttestationError` that says what to set.
    """
    if rehearse:
        log(
            "rehearsal: attestations = true, but nothing is signed (signing needs the CI's "
            "trusted-publishing identity and writes to Sigstore's public transparency log); "
            "the real run signs each file once and uploads it with each file"
        )
        return []
    digests = {path: _sha256(path) for path in files}
    ready: dict[Path, Path] = {}
    todo: list[Path] = []
    for path in files:
        attestation = attestation_path(path)
        if attestation.is_file():
            try:
                attested = read_attestation(attestation)
            except AttestationError as exc:
                log(f"{attestation.name} is unusable ({exc.message}): signing {path.name} again")
            else:
                if attested == (path.name, digests[path]):
                    ready[path] = attestation
                    continue
                log(
                    f"{attestation.name} attests other bytes (a rebuild?): "
                    f"signing {path.name} again"
                )
        todo.append(path)
    if ready:
        log(
            f"reusing the attestation(s) already made for {_names(ready)} (same sha256): "
            "each file is signed once, for every index"
        )
    if todo:
        log(f"signing {_names(todo)} with the CI's trusted-publishing identity (PEP 740, Sigstore)")
        sign = signer or tools_signer(python or sys.executable, environ)
        signed = sign(todo)
        for path in todo:
            text = signed.get(path.name)
            if text is None:
                raise AttestationError(
                    f"signing returned no attestation for {path.name}; nothing was written",
                    "this is a bug in the signing step: please report it",
                )
            try:
                attested = statement_subject(
                    json.loads(text), source=f"the new attestation of {path.name}"
                )
            except ValueError:
                raise _malformed(f"the new attestation of {path.name}", "not JSON") from None
            if attested != (path.name, digests[path]):
                raise AttestationError(
                    f"signing {path.name} returned an attestation for {attested[0]} with sha256 "
                    f"{attested[1][:12]}…, not for the file's {digests[path][:12]}…",
                    "this is a bug in the signing step: please report it",
                )
            ready[path] = _write_atomically(attestation_path(path), text)
        log(f"wrote {_names([ready[p] for p in todo])}")
    for directory in {path.parent for path in files}:
        _record(directory, {p: digests[p] for p in files if p.parent == directory})
    return [ready[path] for path in files]


def identity_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The trusted-publishing identity in ``environ`` that the signing process needs.

    Every child starts without credentials (:func:`releasekit.runtime.proc.run`); the signing child
    gets these back, and nothing else: GitHub's OIDC request pair and GitLab's
    ``SIGSTORE_ID_TOKEN``. The library's own detection (``id``) reads them, together with
    the CI's plain variables (``GITHUB_ACTIONS``, ``GITLAB_CI``), which every child has.
    """
    return {name: environ[name] for name in _IDENTITY_VARIABLES if environ.get(name)}


def tools_signer(
    python: str, environ: Mapping[str, str] | None = None, *, timeout: float = _SIGN_TIMEOUT
) -> Signer:
    """A :data:`Signer` that signs in a child process run by ``python`` (the tools venv).

    The child loads this module from releasekit's package directory (and nothing else of
    the nox environment), finds the CI's identity with ``sigstore``'s ambient detection,
    gets one signing certificate for all files and signs each with ``pypi-attestations``.
    """
    identity = identity_env(os.environ if environ is None else environ)
    package = Path(__file__).resolve().parents[2]  # releasekit/, this module is in targets/pypi/

    def sign(paths: Sequence[Path]) -> Mapping[str, str]:
        with tempfile.TemporaryDirectory(prefix="releasekit-attest-") as private:
            result = Path(private) / "result.json"
            proc.run(
                [python, "-I", _child.ATTEST, package, "sign", result, *paths],
                what="signing the attestations",
                error=AttestationError,
                hint="see the output above",
                env=identity,
                secrets=identity.values(),
                timeout=timeout,
                timeout_hint="Sigstore (Fulcio, Rekor) did not answer: run publish again",
            )
            answer = json.loads(result.read_text(encoding="utf-8"))
        if "error" in answer:
            raise _signing_failed(str(answer["error"]), str(answer.get("message", "")), python)
        attestations = answer["attestations"]
        assert isinstance(attestations, dict)
        return {str(name): str(text) for name, text in attestations.items()}

    return sign


def _signing_failed(kind: str, detail: str, python: str) -> AttestationError:
    if kind == "missing":
        return AttestationError(
            f"attestations = true, but {python} cannot import pypi-attestations ({detail})",
            "releasekit's tools venv is made from its lock with pypi-attestations: remove "
            "it (under RELEASEKIT_CACHE_DIR, default ~/.cache/releasekit/venvs) so the next "
            "run makes it again, or set attestations = false",
        )
    if kind in ("no-identity", "identity"):
        return AttestationError(
            "attestations = true needs a trusted-publishing identity (GitHub Actions with "
            f"permissions: id-token: write), and {detail}",
            _NO_IDENTITY_HINT,
        )
    return AttestationError(
        f"signing the attestations failed: {detail}",
        "Sigstore (Fulcio, Rekor) may be having trouble: run publish again (files already "
        "signed are reused)",
    )


def _record(directory: Path, digests: Mapping[Path, str]) -> None:
    """``releasekit-attestations.json``: which attestation belongs to which file and bytes."""
    record = {
        "attestations": [
            {"file": path.name, "sha256": sha256, "attestation": attestation_path(path).name}
            for path, sha256 in digests.items()
        ]
    }
    _write_atomically(directory / RECORD_NAME, json.dumps(record, indent=2) + "\n")


def _write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all: a half file would be uploaded."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path


class _WorkerFailure(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _worker(argv: Sequence[str]) -> int:
    """The signing child: ``sign RESULT FILE...``; writes ``{"attestations": ...}`` or
    ``{"error": kind, "message": ...}`` to RESULT (an error the parent explains)."""
    command, result, *files = argv
    assert command == "sign", command
    try:
        answer: dict[str, object] = {"attestations": _sign_here([Path(f) for f in files])}
    except _WorkerFailure as failure:
        answer = {"error": failure.kind, "message": failure.message}
    Path(result).write_text(json.dumps(answer), encoding="utf-8")
    return 0


def _sign_here(paths: Sequence[Path]) -> dict[str, str]:
    """Sign ``paths`` with the ambient OIDC identity; ``{filename: attestation JSON}``."""
    try:
        from pypi_attestations import (  # type: ignore[import-not-found, unused-ignore]
            Attestation,
            Distribution,
        )
        from sigstore.models import ClientTrustConfig  # type: ignore[import-not-found, unused-ignore]
        from sigstore.oidc import (  # type: ignore[import-not-found, unused-ignore]
            IdentityError,
            IdentityToken,
            detect_credential,
        )
        from sigstore.sign import SigningContext  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise _WorkerFailure("missing", str(exc)) from None
    try:
        token = detect_credential()  # id's detectors: GitHub, GitLab, Google Cloud, ...
        if token is None:
            raise _WorkerFailure("no-identity", "none was found in this environment")
        identity = IdentityToken(token)
    except IdentityError as exc:
        raise _WorkerFailure("identity", f"it could not be had: {exc}") from None
    try:
        trust = ClientTrustConfig.production()
        # PyPI verifies attestations against Rekor v1 entries (as pypi-attestations' CLI does)
        trust.force_tlog_version = 1
        context = SigningContext.from_trust_config(trust)
        signed = {}
        with context.signer(identity, cache=True) as signer:
            for path in paths:
                attestation = Attestation.sign(signer, Distribution.from_file(path))
                signed[path.name] = attestation.model_dump_json()
        return signed
    except Exception as exc:  # the process boundary: the parent explains, no traceback
        raise _WorkerFailure("sign", f"{type(exc).__name__}: {exc}") from None


# --- provenance read back ---------------------------------------------------------------------


def is_pypi(index_url: str) -> bool:
    """Whether ``index_url`` (simple API or upload URL) is PyPI's or TestPyPI's."""
    return (urlsplit(index_url).hostname or "").lower() in _PYPI_ROOTS


def integrity_url(index_url: str, project: str, version: str, filename: str) -> str:
    """The Integrity API URL of ``filename``'s provenance on the index at ``index_url``.

    PyPI and TestPyPI serve it on their web host (``https://pypi.org/integrity/...``) for
    any of their URLs (simple, upload, files). Any other index: the same path under the
    root its simple API hangs from (``http://127.0.0.1:8080/simple/`` ->
    ``http://127.0.0.1:8080/integrity/...``), which an index without the API answers 404.
    """
    parts = urlsplit(index_url)
    root = _PYPI_ROOTS.get((parts.hostname or "").lower())
    if root is None:
        prefix = parts.path.split("/simple", 1)[0] if "/simple" in parts.path else ""
        netloc = parts.netloc.rpartition("@")[2]
        root = urlunsplit((parts.scheme, netloc, prefix.rstrip("/"), "", ""))
    segments = (_normalize(project), version, filename)
    return f"{root}/integrity/{'/'.join(quote(s, safe='') for s in segments)}/provenance"


def verify_provenance(
    document: object, filename: str, sha256: str, *, source: str
) -> ProvenanceCheck:
    """Check a PEP 740 provenance object: every attestation names ``filename`` and ``sha256``.

    ``source`` (the URL it came from) goes into the messages. A provenance with no
    attestation, or one attestation for other bytes or another file, is an error.
    """
    if not isinstance(document, dict) or document.get("version") != 1:
        raise _malformed(source, "not a PEP 740 provenance object (version 1)")
    bundles = document.get("attestation_bundles")
    if not isinstance(bundles, list) or not bundles:
        raise _malformed(source, "no attestation_bundles")
    count = 0
    publishers: list[str] = []
    for bundle in bundles:
        if not isinstance(bundle, dict) or not isinstance(bundle.get("attestations"), list):
            raise _malformed(source, "an attestation bundle without attestations")
        publisher = _describe_publisher(bundle.get("publisher"))
        publishers.append(publisher)
        for attestation in bundle["attestations"]:
            name, digest = statement_subject(attestation, source=source)
            if name != filename or digest != sha256.lower():
                raise AttestationError(
                    f"{source}: the attestation by {publisher} names {name} with sha256 "
                    f"{digest[:12]}…, but the built file is {filename} with sha256 "
                    f"{sha256.lower()[:12]}…",
                    "the index attests other bytes than releasekit built and uploaded: do not "
                    "announce this release; compare the index's file with the build manifest "
                    "and yank it on the index's web page if they differ",
                )
            count += 1
    if not count:
        raise _malformed(source, "no attestation in any bundle")
    return ProvenanceCheck(url=source, attestations=count, publishers=tuple(publishers))


def check_provenance(
    index_url: str,
    project: str,
    version: str,
    filename: str,
    sha256: str,
    *,
    log: proc.Log,
    required: bool = False,
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ProvenanceCheck | None:
    """Read ``filename``'s provenance from the index's Integrity API and verify it.

    Provenance that is served must name ``filename`` and ``sha256`` in every attestation,
    or this raises. When none is served this logs why and returns ``None``: the index has
    no Integrity API (pypiserver answers 404; a private index may want a login for the
    path), or the file was uploaded without attestations. With ``required`` (the file was
    just uploaded to PyPI or TestPyPI with its attestation) a 404 is waited for up to
    ``timeout`` seconds, then it is an error, and so is any other failed read.
    """
    url = integrity_url(index_url, project, version, filename)
    if required:
        # Just uploaded with its attestation: a 404 is the index not showing it *yet*.
        from releasekit.runtime import net  # not at the top: the signing child never reads an index

        def expired() -> AttestationError:
            return AttestationError(
                f"{filename} was uploaded with its attestation, but {url} still serves no "
                f"provenance after {timeout:g}s",
                "check the file's page on the index (it shows the provenance); PyPI refuses "
                "an upload whose attestation it cannot verify, so a missing one is most "
                "likely slow to appear: look again in a few minutes",
            )

        body = net.poll(
            lambda: _get(url),
            timeout=timeout,
            expired=expired,
            waiting=lambda wait: log(f"{url}: no provenance served yet, next check in {wait:g}s"),
            sleep=sleep,
            clock=clock,
        )
    else:
        try:
            found = _get(url)
        except PublishError as exc:
            log(f"no provenance read from {url} ({exc.message}): nothing to check there")
            return None
        if found is None:
            log(f"{url}: no provenance served (no Integrity API there, or no attestation)")
            return None
        body = found
    try:
        document = json.loads(body)
    except ValueError:
        if required:
            raise _malformed(url, "the answer is not JSON") from None
        log(f"{url} answers something that is not JSON: no provenance to check there")
        return None
    check = verify_provenance(document, filename, sha256, source=url)
    log(
        f"{filename}: the index serves provenance with {check.attestations} "
        f"attestation(s) by {', '.join(check.publishers)} for the built sha256 "
        f"({sha256[:12]}…)"
    )
    return check


def _get(url: str) -> bytes | None:
    """GET ``url`` as the Integrity API wants it; ``None`` for 404 ("none here").

    An index read like any other (:func:`releasekit.targets.pypi.simple.read_url`): https only
    (plain http on loopback), no downgrade on a redirect, no proxy for loopback, the same error
    messages as its reads.
    """
    from releasekit.targets.pypi import (
        simple as index,  # not at the top: the signing child never reads an index
    )

    headers = {
        "Accept": INTEGRITY_MEDIA_TYPE,
        "Cache-Control": "no-cache",
        "User-Agent": "releasekit (provenance check)",
    }
    answer = index.read_url(url, headers=headers, timeout=30.0)
    return None if answer is None else answer.body


# --- small helpers ----------------------------------------------------------------------------


def _describe_publisher(publisher: object) -> str:
    """``GitHub owner/repo (release.yml, environment pypi)``: who the index says signed."""
    if not isinstance(publisher, dict):
        return "an unnamed publisher"
    kind = str(publisher.get("kind") or "unknown")
    where = publisher.get("repository") or publisher.get("project") or publisher.get("email")
    details = [
        str(value)
        for key in ("workflow", "workflow_filepath", "environment")
        if (value := publisher.get(key))
    ]
    text = f"{kind} {where}" if where else kind
    return f"{text} ({', '.join(details)})" if details else text


def _malformed(source: str, detail: str) -> AttestationError:
    if source.startswith(("http://", "https://")):  # what an index serves
        hint = (
            "the index's provenance is not the PEP 740 object releasekit can check: look at "
            "the file's page on the index, and report it if PyPI serves this"
        )
    else:  # a file in dist/, or what the signing step returned
        hint = (
            "an attestation is the JSON that pypi-attestations writes (PEP 740): delete a "
            f"broken *{SUFFIX} file and run publish again with attestations = true"
        )
    return AttestationError(f"{source}: {detail}", hint)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _names(paths: Sequence[Path] | Mapping[Path, Path]) -> str:
    return ", ".join(path.name for path in paths)

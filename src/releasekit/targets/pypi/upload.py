"""Upload the manifest's exact bytes to an index, never twice, and prove the index serves them.

A file on an index can never be replaced, and twine cannot tell "already there, same bytes"
(fine) from "already there, different bytes" (a broken release) on any index but PyPI. So
releasekit decides itself, from the sha256 the index reports:

1. hash the built files again (:meth:`Manifest.verified_paths`): what was checked is what goes;
2. read what the index serves for the project and :func:`plan_upload`: a same-named file with
   other bytes stops everything *before* any upload;
3. upload only the missing files, with this index's credentials in the environment of this
   one twine process only (:func:`releasekit.runtime.credentials.index_upload_env`), and tell the
   caller of each file that landed before anything is waited for (``landed``: the journal);
4. if twine fails, read the index again and compare hashes, file by file
   (:func:`publish`): a file served with the built sha256 landed (a retried request whose
   first try landed hears "already exists"); a file twine had finished before the failure,
   or one the index refuses as "already exists" but does not list yet (a CDN still serving
   the page from before an earlier run's upload), is waited for and never sent again; after
   a dropped connection or a 5xx the files still missing are sent once more;
5. :func:`wait_until_served`: poll until every file is served with the manifest's hash
   (PyPI's CDN can lag for minutes).

A read of the index that fails (unreachable, or an answer that is no simple page) stops
publishing at once: without a trustworthy read nothing can be compared, and waiting out the
propagation timeout would only hide the cause.

PEP 740 attestations (:mod:`releasekit.targets.pypi.attest`): when ``dist/`` holds one for every
file to upload, each upload carries them (``twine upload --attestations``), and afterwards the
provenance the index serves is read back and must name each file's built sha256.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable

from releasekit.core.config import IndexConfig
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.remote import REPLACE_HINT, Holding, RemoteView, conflict_message, file_state
from releasekit.errors import PublishError
from releasekit.runtime import net, proc, venvs
from releasekit.runtime.credentials import index_upload_env
from releasekit.targets.pypi import attest
from releasekit.targets.pypi.simple import RemoteFile, project_files

__all__ = [
    "FailureKind",
    "FileResult",
    "IndexResult",
    "Outcome",
    "UploadError",
    "UploadPlan",
    "plan_upload",
    "prestart_upload",
    "publish",
    "upload",
    "wait_until_served",
]

_RERUN_HINT = (
    "running publish again is safe: files the index serves with the built sha256 are "
    'skipped, and an upload the index answers with "already exists" is checked against '
    "what it serves, never sent twice"
)
_MAX_BACKOFF = 30.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_EXISTS = re.compile(r"already exist|file exists|exists already", re.IGNORECASE)
_BROKEN_CONNECTION = re.compile(
    r"ConnectionError|Connection aborted|RemoteDisconnected|ConnectionResetError|"
    r"BrokenPipeError|ChunkedEncodingError|ProtocolError|Timeout",
)


class Outcome(str, Enum):
    """What happened to one file on one index."""

    UPLOADED = "uploaded"
    IDENTICAL = "already identical"


@dataclass(frozen=True)
class FileResult:
    filename: str
    sha256: str
    outcome: Outcome


@dataclass(frozen=True)
class IndexResult:
    """The record of publishing one manifest to one index."""

    index: str  # the index's name, "test" or "prod"
    url: str  # its simple API root
    files: tuple[FileResult, ...]

    @property
    def summary(self) -> str:
        """``"2 uploaded"``, ``"1 uploaded, 1 already identical"``, ..."""
        parts = []
        for outcome in Outcome:
            count = sum(1 for f in self.files if f.outcome is outcome)
            if count:
                parts.append(f"{count} {outcome.value}")
        return ", ".join(parts) or "no files"


@dataclass(frozen=True)
class UploadPlan:
    """Which files to upload, and which the index already has with the same bytes."""

    upload: tuple[DistFile, ...]
    identical: tuple[DistFile, ...]


def plan_upload(
    files: Sequence[DistFile], remote: Mapping[str, RemoteFile], index: IndexConfig
) -> UploadPlan:
    """Split ``files`` into missing and already identical; refuse any same-name conflict.

    Every file is checked before anything is decided, so one conflict means nothing at all
    is uploaded: half a release on an index is worse than none.
    """
    upload: list[DistFile] = []
    identical: list[DistFile] = []
    conflicts: list[str] = []
    for item in files:
        there = remote.get(item.filename)
        state = file_state(item, None if there is None else RemoteView(there.sha256))
        if state.holding is Holding.MISSING:
            upload.append(item)
        elif state.holding is Holding.IDENTICAL:
            identical.append(item)
        else:
            conflicts.append(conflict_message(state))
    if conflicts:
        raise PublishError(
            f"{index.name} index ({index.url}) refuses the release, nothing was uploaded: "
            + "; ".join(conflicts),
            REPLACE_HINT,
        )
    return UploadPlan(tuple(upload), tuple(identical))


class FailureKind(str, Enum):
    """How a twine upload failed, as far as its output tells: what to do about it."""

    AUTH = "credentials refused"  # 401/403: nothing landed, nothing to retry
    EXISTS = "already exists"  # 409, or 400 saying so (or saying nothing): compare hashes
    TRANSIENT = "no answer"  # a 5xx, a dropped connection, a timeout: it may have landed
    REFUSED = "refused"  # any other answer: the index said no, and why


class UploadError(PublishError):
    """``twine upload`` failed. Besides message and hint, what its output says happened.

    ``stopped_at`` is the file twine was sending when it failed (twine stops there: later
    files were not sent); ``accepted`` the files it had sent before, each answered 200.
    """

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        kind: FailureKind = FailureKind.REFUSED,
        status: int | None = None,
        stopped_at: str | None = None,
        accepted: tuple[str, ...] = (),
        reason: str = "",
    ) -> None:
        super().__init__(message, hint)
        self.kind = kind
        self.status = status
        self.stopped_at = stopped_at
        self.accepted = accepted
        self.reason = reason


def upload(
    paths: Sequence[Path],
    index: IndexConfig,
    *,
    twine: Sequence[str],
    environ: Mapping[str, str] | None = None,
    log: proc.Log,
) -> None:
    """Run ``twine upload`` for ``paths``; the password goes in the environment, never argv.

    ``twine`` is the command prefix, e.g. ``[venv_python, "-m", "twine"]``. The process gets
    the scrubbed environment plus :func:`~releasekit.runtime.credentials.index_upload_env` for
    ``index`` only. Everything that comes back (output, messages) has the credentials
    scrubbed out. A failure raises :class:`UploadError`, which says which file twine
    stopped at and what the index said.
    """
    argv, env, secrets = _upload_command(paths, index, twine=twine, environ=environ)
    if "--attestations" in argv:
        kept = attest.is_pypi(index.publish_url)
        log(
            "uploading each file with its PEP 740 attestation"
            + ("" if kept else " (an index other than PyPI or TestPyPI may ignore them)")
        )
    captured: list[str] = []

    def tee(text: str) -> None:
        text = "\n".join(line.rstrip() for line in _ANSI.sub("", text).splitlines())
        captured.append(text)
        log(text)

    try:
        proc.run(
            argv,
            what=f"twine upload to {index.name} ({index.publish_url})",
            error=PublishError,
            env=env,
            log=tee,
            secrets=secrets,
            tied=True,  # killed with releasekit: no upload lands unjournaled after it died
        )
    except PublishError as exc:
        output = "\n".join(captured[1:])  # [0] is the command line
        raise _upload_error(
            output, [Path(p).name for p in paths], index, proc.redact(exc.message, secrets)
        ) from None


# What a twine upload imports before it can send (most of its ~0.4 s start)
_TWINE_UPLOAD_PRELOAD = ("twine.__main__", "twine.commands.upload")


def prestart_upload(
    paths: Sequence[Path],
    index: IndexConfig,
    *,
    twine: Sequence[str],
    environ: Mapping[str, str] | None = None,
) -> None:
    """Start the twine that :func:`upload` of ``paths`` to ``index`` will run, now.

    While the test index is verified and installed from, the prod upload's twine imports:
    when the upload comes, it starts at once. Exactly the process :func:`upload` would
    start, with ``index``'s credentials only (see :func:`releasekit.runtime.proc.prestart`); if the
    upload turns out different (other files), it is not used.
    """
    argv, env, _ = _upload_command(paths, index, twine=twine, environ=environ)
    proc.prestart(argv, preload=_TWINE_UPLOAD_PRELOAD, env=env)


def _upload_command(
    paths: Sequence[Path],
    index: IndexConfig,
    *,
    twine: Sequence[str],
    environ: Mapping[str, str] | None,
) -> tuple[list[str], dict[str, str], list[str]]:
    """The ``twine upload`` command line for ``paths``, what it adds to the environment
    (``index``'s credentials), and the values to keep out of any output."""
    environ = os.environ if environ is None else environ
    extra = index_upload_env(index, environ)
    secrets = [
        value
        for name, value in extra.items()
        if value and name.upper().endswith(("_PASSWORD", "_TOKEN"))
    ]
    # Only secrets are secret: the username twine --verbose prints is not one, and hiding it
    # hid every path and word that contained it (a user "alice": /home/***/dist/...)
    # PEP 740: when dist/ holds an attestation for each file (attestations = true signed
    # them once, see releasekit.targets.pypi.attest), every upload carries them, to every index.
    # twine only attaches the ones it is given on the command line. pypiserver (rehearsals)
    # accepts the extra form field and ignores it; only PyPI and TestPyPI keep them.
    attestations = attest.attestations_for(paths)
    argv = [
        *twine,
        "--no-color",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--verbose",  # the index's own words when it refuses a file ("already exists")
        *(["--attestations"] if attestations else []),
        "--repository-url",
        index.publish_url,
        *(os.fspath(p) for p in paths),
        *(os.fspath(a) for a in attestations),
    ]
    # wide output (proc.WIDE, for every tool) keeps twine's error line one line to quote
    env = {**extra, "NO_COLOR": "1", **venvs.WRITE_BYTECODE}
    return argv, env, secrets


def _upload_error(
    output: str, names: Sequence[str], index: IndexConfig, fallback: str
) -> UploadError:
    """Read twine's output: which file, what the index answered, and so what it means."""
    sent = [m.group(1) for m in re.finditer(r"^Uploading (\S+)$", output, re.MULTILINE)]
    sent = [name for name in sent if name in names]
    stopped_at = sent[-1] if sent else None
    accepted = tuple(dict.fromkeys(name for name in sent if name != stopped_at))
    error = _twine_error(output) or fallback
    found = re.search(r"HTTPError: (\d{3}) ([^\n]*?) from ", output)
    status = int(found.group(1)) if found else None
    phrase = found.group(2).strip() if found else ""
    reason = _index_reason(output, phrase)
    where = f"uploading to the {index.name} index ({index.publish_url}) failed"
    what = f"{stopped_at}: " if stopped_at else ""
    if status is not None:
        said = f" ({reason})" if reason else ""
        message = f"{where}: {what}HTTP {status} {phrase}{said}"
    elif _BROKEN_CONNECTION.search(error):
        message = f"{where}: {what}the connection broke without an answer ({error})"
    else:
        message = f"{where}: {what}{error}"
    if status in (401, 403):
        kind = FailureKind.AUTH
        hint = (
            f"check {index.env_prefix}_PASSWORD (and _USERNAME); "
            "for PyPI use an API token or trusted publishing"
        )
    elif status == 409 or (status == 400 and (not reason or _EXISTS.search(reason))):
        kind = FailureKind.EXISTS
        hint = _RERUN_HINT
    elif (status is not None and status >= 500) or (
        status is None and _BROKEN_CONNECTION.search(error)
    ):
        kind = FailureKind.TRANSIENT
        hint = f"the index may be having trouble: {_RERUN_HINT}"
    else:
        kind = FailureKind.REFUSED
        hint = f"see twine's output above; {_RERUN_HINT}"
    return UploadError(
        message,
        hint,
        kind=kind,
        status=status,
        stopped_at=stopped_at,
        accepted=accepted,
        reason=reason,
    )


def _index_reason(output: str, phrase: str) -> str:
    """What the index said beyond the status phrase, on one line.

    PyPI puts it in the reason phrase (``400 File already exists ...``), which twine prints
    under its error; pypiserver in an HTML body, which twine shows with ``--verbose``.
    """
    lines = output.splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if "HTTPError:" in lines[start]:
            following = lines[start + 1] if start + 1 < len(lines) else ""
            said = following.strip() if following.startswith(" ") else ""
            if said and said.lower() != phrase.lower():
                return said
            break
    pre = re.findall(r"<pre>(.*?)</pre>", output, re.DOTALL | re.IGNORECASE)
    if pre:
        return " ".join(html.unescape(pre[-1]).split())
    return ""


def _twine_error(output: str) -> str:
    """twine's own error, on one line: its last ``ERROR`` line and what continues it."""
    lines = output.splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start].lstrip().startswith("ERROR"):
            block = [lines[start].strip()[len("ERROR") :].strip()]
            for line in lines[start + 1 :]:
                if not line.startswith(" ") or not line.strip():
                    break
                block.append(line.strip())
            return " ".join(part for part in block if part)
    return next((line.strip() for line in reversed(lines) if line.strip()), "")


def publish(
    manifest: Manifest,
    dist_dir: Path,
    index: IndexConfig,
    *,
    twine: Sequence[str],
    environ: Mapping[str, str] | None = None,
    log: proc.Log,
    verify_timeout: float = 300,
    sleep: Callable[[float], None] = time.sleep,
    landed: Callable[[str, str], None] = lambda filename, sha256: None,
) -> IndexResult:
    """Publish ``manifest``'s files from ``dist_dir`` to ``index`` and prove they are served.

    ``landed(filename, sha256)`` is called for each file this run uploaded, as soon as the
    upload is settled and before the wait for the index to serve it: a wait that times out
    must not leave an uploaded file unrecorded.

    A failed read of the index raises at once. A failed upload is settled by reading the
    index (see the module's docstring); what stays unsettled raises with what the index
    serves and what it does not.
    """
    paths = {p.name: p for p in manifest.verified_paths(dist_dir)}
    remote = project_files(index.url, manifest.name)
    plan = plan_upload(manifest.files, remote, index)
    if plan.identical:
        log(
            f"{index.name} ({index.url}) already has {len(plan.identical)} identical file(s): "
            + ", ".join(f.filename for f in plan.identical)
        )
    uploaded: set[str] = set()
    refused: set[str] = set()
    if plan.upload:
        # An attestation missing for one file, or made for other bytes, stops the release
        # here, before anything is sent (PyPI would refuse the whole upload).
        attest.attestations_for([paths[f.filename] for f in plan.upload])
        log(f"uploading {len(plan.upload)} file(s) to {index.name} ({index.publish_url})")
        uploaded, refused = _upload_settled(
            plan.upload, paths, index, manifest.name, twine=twine, environ=environ, log=log
        )
        for item in plan.upload:
            if item.filename in uploaded:
                landed(item.filename, item.sha256)
    wait_until_served(
        index,
        manifest.name,
        manifest.files,
        timeout=verify_timeout,
        log=log,
        sleep=sleep,
        refused=refused,
    )
    _check_provenance(manifest, paths, index, uploaded, log=log, sleep=sleep)
    results = tuple(
        FileResult(
            f.filename,
            f.sha256,
            Outcome.UPLOADED if f.filename in uploaded else Outcome.IDENTICAL,
        )
        for f in manifest.files
    )
    result = IndexResult(index=index.name, url=index.url, files=results)
    log(f"{index.name} ({index.url}): {result.summary}")
    return result


def _check_provenance(
    manifest: Manifest,
    paths: Mapping[str, Path],
    index: IndexConfig,
    uploaded: Collection[str],
    *,
    log: proc.Log,
    sleep: Callable[[float], None],
) -> None:
    """Read back what the index attests for each file that has an attestation in dist/.

    A file this run uploaded with its attestation to PyPI or TestPyPI must have provenance
    there naming its sha256 (see :func:`releasekit.targets.pypi.attest.check_provenance`);
    elsewhere, and for files uploaded earlier, provenance is checked where it is served and skipped
    with a log line where it is not (pypiserver has no Integrity API).
    """
    attested = [f for f in manifest.files if attest.attestation_path(paths[f.filename]).is_file()]
    for item in attested:
        attest.check_provenance(
            index.url,
            manifest.name,
            manifest.version,
            item.filename,
            item.sha256,
            log=log,
            required=item.filename in uploaded and attest.is_pypi(index.publish_url),
            sleep=sleep,
        )


def _upload_settled(
    files: Sequence[DistFile],
    paths: Mapping[str, Path],
    index: IndexConfig,
    project: str,
    *,
    twine: Sequence[str],
    environ: Mapping[str, str] | None,
    log: proc.Log,
) -> tuple[set[str], set[str]]:
    """Upload ``files``; after a failure, let the index say what landed.

    Returns the names uploaded by this run (twine's 200, or served with the built sha256
    after a failure) and those the index refused as already there without serving them yet
    (to wait for, never to send again). Each round either settles a file or is the one
    retry after a dropped connection or a 5xx, so this ends.
    """
    pending = list(files)
    uploaded: set[str] = set()
    refused: set[str] = set()
    retried = False
    while pending:
        try:
            upload(
                [paths[f.filename] for f in pending], index, twine=twine, environ=environ, log=log
            )
        except PublishError as failure:
            kind = failure.kind if isinstance(failure, UploadError) else None
            if kind is FailureKind.AUTH:
                raise
            remote = _read_after(failure, index, project)
            _refuse_other_bytes(pending, remote, index, failure)
            landed = [f for f in pending if _serves(remote, f)]
            if landed:
                log(
                    f"twine reported a failure ({failure.message}), but {index.name} now "
                    f"serves {_names(landed)} with the built sha256: a retried request whose "
                    "first try had landed; counting it as uploaded"
                )
            accepted: list[DistFile] = []
            stopped: list[DistFile] = []
            if isinstance(failure, UploadError):
                accepted = [
                    f for f in pending if f not in landed and f.filename in failure.accepted
                ]
                if kind is FailureKind.EXISTS:
                    stopped = [
                        f for f in pending if f not in landed and f.filename == failure.stopped_at
                    ]
            if accepted:
                log(
                    f"twine had uploaded {_names(accepted)} before it failed (the index "
                    "answered 200): waiting for the index to serve them, not sending them again"
                )
            if stopped:
                said = failure.reason if isinstance(failure, UploadError) else ""
                log(
                    f"{index.name} answered the upload of {_names(stopped)} with "
                    f'"already exists"{f" ({said})" if said else ""} but does not list it '
                    "yet: an earlier upload its pages (or its CDN) do not show yet; not "
                    "sending it again, waiting until it is served with the built sha256"
                )
            settled = {f.filename for f in (*landed, *accepted, *stopped)}
            uploaded |= {f.filename for f in (*landed, *accepted)}
            refused |= {f.filename for f in stopped}
            rest = [f for f in pending if f.filename not in settled]
            if rest and not settled:
                if kind is not FailureKind.TRANSIENT or retried:
                    raise
                retried = True
                log(f"sending {_names(rest)} once more: {failure.message}")
            pending = rest
        else:
            uploaded |= {f.filename for f in pending}
            pending = []
    return uploaded, refused


def _read_after(failure: PublishError, index: IndexConfig, project: str) -> dict[str, RemoteFile]:
    """The index's page after a failed upload; a failed read stops everything at once."""
    try:
        return project_files(index.url, project)
    except PublishError as unreadable:
        raise PublishError(
            f"{failure.message}; and reading {index.name} ({index.url}) to see what landed "
            f"failed: {unreadable.message}",
            unreadable.hint,
        ) from None


def _refuse_other_bytes(
    files: Sequence[DistFile],
    remote: Mapping[str, RemoteFile],
    index: IndexConfig,
    failure: PublishError,
) -> None:
    """After a failed upload: a built file's name served with other bytes is a conflict."""
    for item in files:
        there = remote.get(item.filename)
        if there is not None and (there.sha256 or "").lower() != item.sha256.lower():
            theirs = f"sha256 {there.sha256[:12]}…" if there.sha256 else "no sha256"
            raise PublishError(
                f"{index.name} index ({index.url}) serves {item.filename} with {theirs}, but "
                f"the build has {item.sha256[:12]}… (the upload failed: {failure.message})",
                REPLACE_HINT,
            )


def _serves(remote: Mapping[str, RemoteFile], item: DistFile) -> bool:
    there = remote.get(item.filename)
    return there is not None and (there.sha256 or "").lower() == item.sha256.lower()


def _names(files: Sequence[DistFile]) -> str:
    return ", ".join(f.filename for f in files)


def wait_until_served(
    index: IndexConfig,
    project: str,
    files: Sequence[DistFile],
    *,
    timeout: float,
    log: proc.Log,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    refused: Collection[str] = (),
) -> None:
    """Poll the index until it serves every file with the manifest's sha256.

    Right after an upload PyPI's CDN may serve the old page for minutes, so a missing file
    is waited for (backoff 1, 2, 4, ... 30 s), but a file served with *other* bytes is an
    error at once: waiting will not fix it. So is a read that fails. ``refused`` names
    files the index answered "already exists" for: the message at the deadline says so.
    """
    missing: list[DistFile] = []

    def attempt() -> bool | None:
        remote = project_files(index.url, project)
        missing[:] = []
        for item in files:
            there = remote.get(item.filename)
            if there is None:
                missing.append(item)
            elif there.sha256 is None:
                raise PublishError(
                    f"{index.name} index ({index.url}) serves {item.filename} without a "
                    "sha256, so releasekit cannot prove it is the file that was built",
                    "use an index that reports sha256 in its simple API (PyPI, TestPyPI, "
                    "pypiserver, devpi all do)",
                )
            elif there.sha256.lower() != item.sha256.lower():
                raise PublishError(
                    f"{index.name} index ({index.url}) serves {item.filename} with sha256 "
                    f"{there.sha256[:12]}…, but the build has {item.sha256[:12]}…",
                    REPLACE_HINT,
                )
        return None if missing else True

    net.poll(
        attempt,
        timeout=timeout,
        expired=lambda: _not_served(index, files, missing, timeout, refused),
        waiting=lambda wait: log(
            f"waiting for {index.name} ({index.url}) to serve {len(missing)} file(s) "
            f"(CDN propagation), next check in {wait:g}s"
        ),
        cap=_MAX_BACKOFF,
        sleep=sleep,
        clock=clock,
    )


def _not_served(
    index: IndexConfig,
    files: Sequence[DistFile],
    missing: Sequence[DistFile],
    timeout: float,
    refused: Collection[str],
) -> PublishError:
    """The deadline passed: say what is served, what is not, and what the index said."""
    served = len(files) - len(missing)
    if served:
        state = f"serves {served} of the {len(files)} built files with the built sha256, but"
    else:
        state = f"serves none of the {len(files)} built files yet:"
    message = (
        f"{index.name} index ({index.url}) {state} still not {_names(missing)} after {timeout:g}s"
    )
    claimed = [f.filename for f in missing if f.filename in refused]
    if claimed:
        message += (
            f' (it answered the upload of {", ".join(claimed)} with "already exists": an '
            "earlier upload it does not list yet)"
        )
    return PublishError(
        message,
        "the upload may still be propagating (a CDN can lag for minutes): check the project "
        "page, then run publish again (identical files are skipped and nothing is sent "
        "twice), or raise [tool.releasekit] propagation-timeout",
    )

"""Upload the manifest's exact bytes to an index, never twice, and prove the index serves them.

A file on an index can never be replaced, and twine cannot tell "already there, same bytes"
(fine) from "already there, different bytes" (a broken release) on any index but PyPI. So
releasekit decides itself, from the sha256 the index reports:

1. hash the built files again (:meth:`Manifest.verified_paths`): what was checked is what goes;
2. read what the index serves for the project and :func:`plan_upload`: a same-named file with
   other bytes stops everything *before* any upload;
3. upload only the missing files, with credentials in the environment only;
4. if twine fails, read the index again: a retried request whose first try landed is a
   success (twine sees "file already exists"), not a failure;
5. :func:`wait_until_served`: poll until every file is served with the manifest's hash
   (PyPI's CDN can lag for minutes).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable

from releasekit import proc
from releasekit.config import IndexConfig
from releasekit.errors import PublishError
from releasekit.index import RemoteFile, project_files
from releasekit.manifest import DistFile, Manifest

__all__ = [
    "FileResult",
    "IndexResult",
    "Outcome",
    "UploadPlan",
    "credentials_env",
    "plan_upload",
    "publish",
    "upload",
    "wait_until_served",
]

_REPLACE_HINT = (
    "a published file can't be replaced: bump the version (e.g. `releasekit bump post`) and "
    "rebuild; yank the old one on the index's web page if it is broken"
)
_MAX_BACKOFF = 30.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


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
        if there is None:
            upload.append(item)
        elif there.sha256 is None:
            conflicts.append(
                f"{item.filename} is already there but the index gave no sha256 to compare "
                f"with ours ({item.sha256[:12]}…)"
            )
        elif there.sha256.lower() == item.sha256.lower():
            identical.append(item)
        else:
            conflicts.append(
                f"{item.filename} is already there with sha256 {there.sha256[:12]}…, "
                f"ours is {item.sha256[:12]}…"
            )
    if conflicts:
        raise PublishError(
            f"{index.name} index ({index.url}) refuses the release, nothing was uploaded: "
            + "; ".join(conflicts),
            _REPLACE_HINT,
        )
    return UploadPlan(tuple(upload), tuple(identical))


def credentials_env(index: IndexConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """twine's credentials from ``RELEASEKIT_<NAME>_PASSWORD`` (+ ``_USERNAME``), or ``{}``.

    ``{}`` leaves twine to its own resolution (``TWINE_*``, keyring, trusted publishing in
    CI). An empty password counts as unset: a CI secret that is not defined expands to "",
    and that must not stop trusted publishing from working.
    """
    password = environ.get(f"{index.env_prefix}_PASSWORD", "")
    if not password:
        return {}
    username = environ.get(f"{index.env_prefix}_USERNAME", "") or "__token__"
    return {"TWINE_USERNAME": username, "TWINE_PASSWORD": password}


def upload(
    paths: Sequence[Path],
    index: IndexConfig,
    *,
    twine: Sequence[str],
    environ: Mapping[str, str] | None = None,
    log: proc.Log,
) -> None:
    """Run ``twine upload`` for ``paths``; the password goes in the environment, never argv.

    ``twine`` is the command prefix, e.g. ``[venv_python, "-m", "twine"]``. Everything that
    comes back (output, messages) has the password scrubbed out.
    """
    environ = os.environ if environ is None else environ
    creds = credentials_env(index, environ)
    secrets = [s for s in (creds.get("TWINE_PASSWORD"), environ.get("TWINE_PASSWORD")) if s]
    argv = [
        *twine,
        "--no-color",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        index.publish_url,
        *(os.fspath(p) for p in paths),
    ]
    # Wide output, so twine's error line stays one line we can quote.
    env = {**creds, "NO_COLOR": "1", "COLUMNS": "200"}
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
        )
    except PublishError as exc:
        output = "\n".join(captured[1:])  # [0] is the command line
        detail = _twine_error(output) or proc.redact(exc.message, secrets)
        if re.search(r"\b40[13]\b", detail):
            hint = (
                f"check {index.env_prefix}_PASSWORD (and _USERNAME); "
                "for PyPI use an API token or trusted publishing"
            )
        else:
            hint = (
                "see twine's output above; running publish again is safe: files the index "
                "already has with the same sha256 are skipped"
            )
        raise PublishError(
            f"uploading to the {index.name} index ({index.publish_url}) failed: {detail}", hint
        ) from None


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
) -> IndexResult:
    """Publish ``manifest``'s files from ``dist_dir`` to ``index`` and prove they are served."""
    paths = {p.name: p for p in manifest.verified_paths(dist_dir)}
    remote = project_files(index.url, manifest.name)
    plan = plan_upload(manifest.files, remote, index)
    if plan.identical:
        log(
            f"{index.name} ({index.url}) already has {len(plan.identical)} identical file(s): "
            + ", ".join(f.filename for f in plan.identical)
        )
    if plan.upload:
        log(f"uploading {len(plan.upload)} file(s) to {index.name} ({index.publish_url})")
        try:
            upload(
                [paths[f.filename] for f in plan.upload],
                index,
                twine=twine,
                environ=environ,
                log=log,
            )
        except PublishError as failure:
            if not _landed_anyway(plan.upload, index, manifest.name):
                raise
            log(
                f"twine reported a failure ({failure.message}), but {index.name} now serves "
                "every file with the built sha256: a retried request whose first try had "
                "landed; counting it as uploaded"
            )
    wait_until_served(
        index, manifest.name, manifest.files, timeout=verify_timeout, log=log, sleep=sleep
    )
    uploaded = {f.filename for f in plan.upload}
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


def _landed_anyway(files: Sequence[DistFile], index: IndexConfig, project: str) -> bool:
    """After a failed twine run: does the index serve every file with our hash anyway?"""
    try:
        remote = project_files(index.url, project)
    except PublishError:
        return False
    return all(
        (there := remote.get(f.filename)) is not None
        and there.sha256 is not None
        and there.sha256.lower() == f.sha256.lower()
        for f in files
    )


def wait_until_served(
    index: IndexConfig,
    project: str,
    files: Sequence[DistFile],
    *,
    timeout: float,
    log: proc.Log,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Poll the index until it serves every file with the manifest's sha256.

    Right after an upload PyPI's CDN may serve the old page for minutes, so a missing file
    is waited for (backoff 1, 2, 4, ... 30 s), but a file served with *other* bytes is an
    error at once: waiting will not fix it.
    """
    deadline = clock() + timeout
    delay = 1.0
    while True:
        remote = project_files(index.url, project)
        missing = []
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
                    _REPLACE_HINT,
                )
        if not missing:
            return
        remaining = deadline - clock()
        if remaining <= 0:
            raise PublishError(
                f"{index.name} index ({index.url}) still does not serve "
                + ", ".join(f.filename for f in missing)
                + f" after {timeout:g}s",
                "the upload may still be propagating: check the project page, then run "
                "publish again (identical files are skipped), or raise "
                "[tool.releasekit] propagation-timeout",
            )
        wait = min(delay, remaining)
        log(
            f"waiting for {index.name} ({index.url}) to serve {len(missing)} file(s) "
            f"(CDN propagation), next check in {wait:g}s"
        )
        sleep(wait)
        delay = min(delay * 2, _MAX_BACKOFF)

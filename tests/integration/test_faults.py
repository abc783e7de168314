"""Publishing through the faults real indexes have, each ending exact.

Every test drives releasekit's real publish path (``publish.publish``, real twine from this
venv, real uploads) at a real pypiserver behind :class:`~tests.fault_proxy.FaultProxy`,
which lands an upload and answers 503, drops the connection mid-upload, serves the page from
before the upload for a while (a CDN), or answers 200 with garbage. However a run ends, after
at most one rerun the index holds exactly the built files, each sent to it once, with the
built sha256, and a failure says what the index serves and what to do.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from releasekit.core.config import IndexConfig
from releasekit.errors import PublishError
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.targets.pypi.upload import (
    FailureKind,
    IndexResult,
    Outcome,
    UploadError,
    _upload_error,
    publish,
)
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.index import SampleDists, build_demo

pytestmark = pytest.mark.slow

TWINE = [sys.executable, "-m", "twine"]


@dataclass
class Proxied:
    """A fresh pypiserver and the fault proxy in front of it."""

    server: LocalIndex
    proxy: FaultProxy

    @property
    def index(self) -> IndexConfig:
        return self.proxy.index_config("test")

    def publish(
        self, sample: SampleDists, *, timeout: float = 10, log: list[str] | None = None
    ) -> IndexResult:
        return publish(
            sample.manifest,
            sample.dist_dir,
            self.index,
            twine=TWINE,
            environ=self.server.credentials("test"),
            log=(log if log is not None else []).append,
            verify_timeout=timeout,
        )

    def holds(self) -> dict[str, str]:
        """filename -> sha256 of the bytes on the server's disk (not what a page says)."""
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in self.server.packages_dir.iterdir()
        }

    def landed(self) -> list[str]:
        """Each upload the real index accepted (200), by filename, in order."""
        return [u.filename for u in self.proxy.uploads if u.upstream_status == 200]


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[Proxied]:
    # pypiserver alone: it answers a retry of bytes that landed with 400 "already exists",
    # the answer these faults are about (PyPI, and the strict front, answer 200)
    server = LocalIndex(
        tmp_path / "index-packages", server_python=Path(sys.executable), strict=False
    )
    with server, FaultProxy(server.publish_url) as proxy:
        yield Proxied(server, proxy)


@pytest.fixture(scope="module")
def next_version(tmp_path_factory: pytest.TempPathFactory) -> SampleDists:
    """``demo 1.0.1``: a release of a project whose page already lists 1.0.0."""
    return build_demo(tmp_path_factory.mktemp("demo-1.0.1"), version="1.0.1")


def built(sample: SampleDists) -> dict[str, str]:
    return {f.filename: f.sha256 for f in sample.manifest.files}


def assert_exact(proxied: Proxied, *samples: SampleDists) -> None:
    """The index holds exactly the built files with the built bytes, each sent once."""
    expected = {name: sha for s in samples for name, sha in built(s).items()}
    assert proxied.holds() == expected
    assert sorted(proxied.landed()) == sorted(expected)


# -- the upload lands, the answer says it failed ---------------------------------------------


@pytest.mark.parametrize("status", [503, 409])
def test_an_error_answer_after_the_upload_landed_is_a_success(
    proxied: Proxied, sample_dists: SampleDists, status: int
) -> None:
    """503: twine retries and hears "already exists"; 409: twine gives up at once."""
    proxied.proxy.fail_uploads(status, times=1)
    lines: list[str] = []
    result = proxied.publish(sample_dists, log=lines)
    assert result.summary == "2 uploaded"
    assert any("counting it as uploaded" in line for line in lines), lines
    first = proxied.proxy.uploads[0]
    assert (first.upstream_status, first.answered) == (200, status)  # landed, "failed"
    assert_exact(proxied, sample_dists)


def test_an_index_that_answers_503_to_every_upload_that_lands(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    """twine retries each file five times and gives up; the index serves them all anyway."""
    proxied.proxy.fail_uploads(503, times=None)
    lines: list[str] = []
    result = proxied.publish(sample_dists, log=lines)
    assert result.summary == "2 uploaded"
    assert_exact(proxied, sample_dists)
    assert all(u.answered == 503 for u in proxied.proxy.uploads)


# -- the connection drops mid-upload ---------------------------------------------------------


def test_connection_dropped_before_the_upload_landed_is_sent_once_more(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    proxied.proxy.drop_uploads(after_forwarding=False, times=1)
    lines: list[str] = []
    result = proxied.publish(sample_dists, log=lines)
    assert result.summary == "2 uploaded"
    assert any("once more" in line and "the connection broke" in line for line in lines), lines
    assert_exact(proxied, sample_dists)


def test_connection_dropped_after_the_upload_landed_is_not_sent_again(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    proxied.proxy.drop_uploads(after_forwarding=True, times=1)
    lines: list[str] = []
    result = proxied.publish(sample_dists, log=lines)
    assert result.summary == "2 uploaded"
    assert any("counting it as uploaded" in line for line in lines), lines
    assert_exact(proxied, sample_dists)
    assert len(proxied.proxy.uploads) == 2  # the landed file was not sent a second time


def test_a_connection_that_keeps_dropping_fails_then_a_rerun_finishes(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    proxied.proxy.drop_uploads(after_forwarding=False, times=None)
    with pytest.raises(UploadError) as info:
        proxied.publish(sample_dists)
    failure = info.value
    assert failure.kind is FailureKind.TRANSIENT
    assert "the connection broke without an answer" in failure.message
    assert proxied.index.publish_url in failure.message
    assert "running publish again is safe" in failure.hint
    assert len(proxied.proxy.uploads) == 2  # the first try and the one retry
    assert proxied.holds() == {}

    proxied.proxy.reset()
    result = proxied.publish(sample_dists)
    assert result.summary == "2 uploaded"
    assert_exact(proxied, sample_dists)


# -- a CDN serving the page from before the upload -------------------------------------------


def test_cdn_lag_shorter_than_the_timeout_is_waited_out_and_said(
    proxied: Proxied, sample_dists: SampleDists, next_version: SampleDists
) -> None:
    proxied.publish(sample_dists)  # 1.0.0 is on the page the CDN keeps serving
    proxied.proxy.lag(2.5)
    lines: list[str] = []
    started = time.monotonic()
    result = proxied.publish(next_version, timeout=20, log=lines)
    assert time.monotonic() - started >= 2.5
    assert result.summary == "2 uploaded"
    assert any("(CDN propagation), next check in" in line for line in lines), lines
    assert any(path.endswith("/demo/") and status == 200 for path, status in proxied.proxy.reads)
    assert_exact(proxied, sample_dists, next_version)


def test_cdn_lag_longer_than_the_timeout_fails_clearly_and_a_rerun_during_it_succeeds(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    proxied.proxy.lag(6)
    started = time.monotonic()
    with pytest.raises(PublishError) as info:
        proxied.publish(sample_dists, timeout=1)
    assert time.monotonic() - started < 5
    message = info.value.message
    assert "serves none of the 2 built files yet" in message
    for name in built(sample_dists):
        assert name in message
    assert "after 1s" in message
    assert "propagation-timeout" in info.value.hint and "run publish again" in info.value.hint
    assert_exact(proxied, sample_dists)  # both landed; the page just does not show them

    # The rerun still reads the stale page: it sends each file, hears "already exists", and
    # waits for the page instead of failing or sending anything twice. The CDN catches up
    # once both were refused (not when the 6 s run out: the rerun's wait is what is tested).
    proxied.proxy.catch_up_after_refusals(len(built(sample_dists)))
    lines: list[str] = []
    result = proxied.publish(sample_dists, timeout=30, log=lines)
    assert result.summary == "2 already identical"
    assert {f.outcome for f in result.files} == {Outcome.IDENTICAL}
    refused = [u for u in proxied.proxy.uploads if u.upstream_status == 400]
    assert sorted(u.filename for u in refused) == sorted(built(sample_dists)), proxied.proxy.uploads
    assert any('"already exists"' in line and "not sending it again" in line for line in lines)
    assert not any("HTTPError: 400 Bad Request" in line and "failed" in line for line in lines)
    assert_exact(proxied, sample_dists)


def test_a_rerun_whose_wait_also_runs_out_says_already_exists_with_a_hint(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    """What used to end in a bare ``HTTPError: 400 Bad Request``."""
    proxied.proxy.lag(60)
    with pytest.raises(PublishError):
        proxied.publish(sample_dists, timeout=0)
    with pytest.raises(PublishError) as info:
        proxied.publish(sample_dists, timeout=0)
    message = info.value.message
    assert "Bad Request" not in message
    assert 'with "already exists": an earlier upload it does not list yet' in message
    assert "still not" in message and "after 0s" in message
    assert "run publish again" in info.value.hint
    assert_exact(proxied, sample_dists)

    proxied.proxy.reset()  # the CDN catches up
    result = proxied.publish(sample_dists, timeout=0)
    assert result.summary == "2 already identical"
    assert_exact(proxied, sample_dists)


# -- 200 with garbage ------------------------------------------------------------------------


def test_garbage_json_page_fails_at_once_and_nothing_is_uploaded(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    proxied.proxy.garbage("json")
    started = time.monotonic()
    with pytest.raises(PublishError) as info:
        proxied.publish(sample_dists, timeout=60)
    assert time.monotonic() - started < 5
    assert f"{proxied.index.url}demo/" in info.value.message and info.value.hint
    assert proxied.proxy.uploads == [] and proxied.holds() == {}


def test_garbage_after_the_upload_fails_at_once_then_a_rerun_finishes(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    proxy = proxied.proxy
    proxy.on_upload = lambda upload: proxy.garbage("json")
    started = time.monotonic()
    with pytest.raises(PublishError) as info:
        proxied.publish(sample_dists, timeout=60)
    assert time.monotonic() - started < 10  # not the 60 s of the timeout
    assert f"{proxied.index.url}demo/" in info.value.message and info.value.hint
    proxy.on_upload = None
    proxy.reset()
    result = proxied.publish(sample_dists, timeout=10)
    assert {f.filename for f in result.files} == set(built(sample_dists))
    assert_exact(proxied, sample_dists)


def test_garbage_html_page_fails_at_once_and_nothing_is_uploaded(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    proxied.proxy.garbage("html")
    started = time.monotonic()
    with pytest.raises(PublishError) as info:
        proxied.publish(sample_dists, timeout=60)
    assert time.monotonic() - started < 5
    assert f"{proxied.index.url}demo/" in info.value.message
    assert proxied.proxy.uploads == [] and proxied.holds() == {}


# -- what twine's output says, read without a server -----------------------------------------

INDEX = IndexConfig("prod", "https://pypi.org/simple/", "https://upload.pypi.org/legacy/")
NAMES = ["demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz"]


def test_pypi_already_exists_in_the_reason_phrase() -> None:
    output = (
        "Uploading distributions to https://upload.pypi.org/legacy/\n"
        "Uploading demo-1.0-py3-none-any.whl\n"
        "Uploading demo-1.0.tar.gz\n"
        "ERROR    HTTPError: 400 Bad Request from https://upload.pypi.org/legacy/\n"
        "         File already exists ('demo-1.0.tar.gz', with blake2_256 hash 'ab'). See "
        "https://pypi.org/help/#file-name-reuse for more information.\n"
    )
    failure = _upload_error(output, NAMES, INDEX, "")
    assert failure.kind is FailureKind.EXISTS and failure.status == 400
    assert failure.stopped_at == "demo-1.0.tar.gz"
    assert failure.accepted == ("demo-1.0-py3-none-any.whl",)
    assert failure.message.startswith(
        "uploading to the prod index (https://upload.pypi.org/legacy/) failed: "
        "demo-1.0.tar.gz: HTTP 400 Bad Request (File already exists ('demo-1.0.tar.gz'"
    )
    assert "running publish again is safe" in failure.hint


def test_a_400_with_another_reason_is_a_refusal_and_403_is_credentials() -> None:
    refused = _upload_error(
        "Uploading demo-1.0.tar.gz\nERROR    HTTPError: 400 Bad Request from https://x/\n"
        "         Invalid value for requires_python.\n",
        NAMES,
        INDEX,
        "",
    )
    assert refused.kind is FailureKind.REFUSED
    assert "Invalid value for requires_python." in refused.message
    denied = _upload_error(
        "Uploading demo-1.0.tar.gz\nERROR    HTTPError: 403 Forbidden from https://x/\n"
        "         Invalid or non-existent authentication information.\n",
        NAMES,
        INDEX,
        "",
    )
    assert denied.kind is FailureKind.AUTH
    assert "RELEASEKIT_PROD_PASSWORD" in denied.hint


def test_an_upload_whose_wait_times_out_is_journaled_before_the_wait(
    proxied: Proxied, sample_dists: SampleDists
) -> None:
    """The files landed, then the index's page lagged past the timeout: the journal (here the
    ``landed`` callback the release journals with) heard of both before the wait began, so
    the playbook names what the index holds instead of "nothing yet"."""
    proxied.proxy.lag(6)
    landed: list[str] = []
    with pytest.raises(PublishError, match="serves none of the 2 built files yet"):
        publish(
            sample_dists.manifest,
            sample_dists.dist_dir,
            proxied.index,
            twine=TWINE,
            environ=proxied.server.credentials("test"),
            log=[].append,
            verify_timeout=1,
            landed=lambda filename, sha256: landed.append(filename),
        )
    assert sorted(landed) == sorted(built(sample_dists)) == sorted(proxied.landed())

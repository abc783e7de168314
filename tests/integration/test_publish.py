"""Publishing for real: twine uploads to a real pypiserver, read back through its simple API.

No mocks: each test gets its own pypiserver (``local_index``), the files are a real sdist and
wheel (``sample_dists``, built once per session), uploads are real ``twine upload`` runs.
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from releasekit.errors import BuildError, PublishError
from releasekit.rehearsal import pypiserver as localindex
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.targets.pypi import upload as publish_mod
from releasekit.targets.pypi.simple import RemoteFile, download, project_files
from releasekit.targets.pypi.upload import Outcome, publish
from tests.helpers.index import SampleDists, build_demo, copy_dists

pytestmark = pytest.mark.slow

TWINE = [sys.executable, "-m", "twine"]


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Name -> (size, mtime_ns) of every file: proves a directory was not touched."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()}


def served(local_index: LocalIndex, project: str = "demo") -> dict[str, str | None]:
    return {n: f.sha256 for n, f in project_files(local_index.url, project).items()}


def expected(sample: SampleDists) -> dict[str, str | None]:
    return {f.filename: f.sha256 for f in sample.manifest.files}


def test_publish_uploads_and_index_serves_the_manifest_hashes(
    local_index: LocalIndex, sample_dists: SampleDists
) -> None:
    index = local_index.index_config("test")
    lines: list[str] = []
    result = publish(
        sample_dists.manifest,
        sample_dists.dist_dir,
        index,
        twine=TWINE,
        environ=local_index.credentials("test"),
        log=lines.append,
        verify_timeout=10,
    )
    assert result.index == "test" and result.url == local_index.url
    assert result.summary == "2 uploaded"
    assert {f.filename: f.sha256 for f in result.files} == expected(sample_dists)
    assert served(local_index) == expected(sample_dists)
    assert sorted(p.name for p in local_index.packages_dir.iterdir()) == sorted(
        expected(sample_dists)
    )
    assert local_index.password not in "\n".join(lines)


def test_second_publish_is_a_no_op(local_index: LocalIndex, sample_dists: SampleDists) -> None:
    index = local_index.index_config("prod")
    creds = local_index.credentials("prod")
    publish(
        sample_dists.manifest,
        sample_dists.dist_dir,
        index,
        twine=TWINE,
        environ=creds,
        log=lambda _: None,
        verify_timeout=10,
    )
    before = snapshot(local_index.packages_dir)

    lines: list[str] = []
    again = publish(
        sample_dists.manifest,
        sample_dists.dist_dir,
        index,
        twine=TWINE,
        environ=creds,
        log=lines.append,
        verify_timeout=10,
    )
    assert again.summary == "2 already identical"
    assert {f.outcome for f in again.files} == {Outcome.IDENTICAL}
    assert not any("twine" in line for line in lines), lines  # twine was not run at all
    assert snapshot(local_index.packages_dir) == before


def test_different_bytes_under_the_same_name_are_refused(
    local_index: LocalIndex, sample_dists: SampleDists, tmp_path: Path
) -> None:
    index = local_index.index_config("test")
    creds = local_index.credentials("test")
    publish(
        sample_dists.manifest,
        sample_dists.dist_dir,
        index,
        twine=TWINE,
        environ=creds,
        log=lambda _: None,
        verify_timeout=10,
    )
    before = snapshot(local_index.packages_dir)

    other = build_demo(tmp_path / "other", body="ANSWER = 43  # a different build\n")
    assert [f.filename for f in other.manifest.files] == [
        f.filename for f in sample_dists.manifest.files
    ]
    assert other.manifest.files != sample_dists.manifest.files
    lines: list[str] = []
    with pytest.raises(PublishError) as info:
        publish(
            other.manifest,
            other.dist_dir,
            index,
            twine=TWINE,
            environ=creds,
            log=lines.append,
            verify_timeout=10,
        )
    message = info.value.message
    for ours, theirs in zip(other.manifest.files, sample_dists.manifest.files):
        assert ours.filename in message
        assert ours.sha256[:12] in message and theirs.sha256[:12] in message
    assert local_index.url in message and "nothing was uploaded" in message
    assert "bump" in info.value.hint
    assert not any("twine" in line for line in lines)
    assert snapshot(local_index.packages_dir) == before
    assert served(local_index) == expected(sample_dists)


def test_a_file_changed_after_the_build_is_refused_and_nothing_uploaded(
    local_index: LocalIndex, sample_dists: SampleDists, tmp_path: Path
) -> None:
    copy = copy_dists(sample_dists, tmp_path / "dist")
    sdist = copy.manifest.sdists[0].filename
    with open(copy.dist_dir / sdist, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BuildError, match="changed since it was built") as info:
        publish(
            copy.manifest,
            copy.dist_dir,
            local_index.index_config("test"),
            twine=TWINE,
            environ=local_index.credentials("test"),
            log=lambda _: None,
        )
    assert sdist in info.value.message
    assert list(local_index.packages_dir.iterdir()) == []
    assert served(local_index) == {}


def test_wrong_password_fails_naming_the_index_and_never_shows_it(
    local_index: LocalIndex,
    sample_dists: SampleDists,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-" + local_index.password[::-1]
    environ = {"RELEASEKIT_TEST_USERNAME": local_index.username, "RELEASEKIT_TEST_PASSWORD": wrong}
    index = local_index.index_config("test")
    lines: list[str] = []
    with pytest.raises(PublishError) as info:
        publish(
            sample_dists.manifest,
            sample_dists.dist_dir,
            index,
            twine=TWINE,
            environ=environ,
            log=lines.append,
            verify_timeout=10,
        )
    text = str(info.value)
    assert "test index" in text and local_index.publish_url in text
    assert "403" in text
    assert "RELEASEKIT_TEST_PASSWORD" in info.value.hint
    captured = capsys.readouterr()
    everything = "\n".join(
        [text, repr(info.value), *lines, captured.out, captured.err, caplog.text]
    )
    assert any("403" in line for line in lines)  # twine's output reached the log ...
    for secret in (wrong, local_index.password):
        assert secret not in everything  # ... but no password, anywhere
    assert list(local_index.packages_dir.iterdir()) == []


def test_failed_retry_whose_first_try_landed_is_a_success(
    plain_local_index: LocalIndex,
    sample_dists: SampleDists,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """twine fails with 400 "already exists" although the very same bytes are there.

    The files are uploaded behind publish's back after it read the index, as when twine's
    first try landed and its retry was refused: real twine, real 400 from pypiserver (plain:
    PyPI, and so the strict local index, answer 200 to the same bytes).
    """
    local_index = plain_local_index
    index = local_index.index_config("test")
    creds = local_index.credentials("test")
    real_project_files = project_files
    calls = []

    def stale_first_read(url: str, project: str, **kwargs: float) -> object:
        calls.append(url)
        if len(calls) == 1:
            result = real_project_files(url, project, **kwargs)
            subprocess.run(
                [
                    *TWINE,
                    "upload",
                    "--non-interactive",
                    "--disable-progress-bar",
                    "--repository-url",
                    local_index.publish_url,
                    *(str(sample_dists.dist_dir / f.filename) for f in sample_dists.manifest.files),
                ],
                env={
                    **os.environ,
                    "TWINE_USERNAME": local_index.username,
                    "TWINE_PASSWORD": local_index.password,
                },
                check=True,
                capture_output=True,
            )
            return result
        return real_project_files(url, project, **kwargs)

    monkeypatch.setattr(publish_mod, "project_files", stale_first_read)
    lines: list[str] = []
    result = publish(
        sample_dists.manifest,
        sample_dists.dist_dir,
        index,
        twine=TWINE,
        environ=creds,
        log=lines.append,
        verify_timeout=10,
    )
    assert result.summary == "2 uploaded"
    assert any("counting it as uploaded" in line for line in lines), lines
    assert any("400" in line for line in lines)
    assert served(local_index) == expected(sample_dists)


def test_download_fetches_and_checks_the_hash(
    local_index: LocalIndex, sample_dists: SampleDists, tmp_path: Path
) -> None:
    publish(
        sample_dists.manifest,
        sample_dists.dist_dir,
        local_index.index_config("test"),
        twine=TWINE,
        environ=local_index.credentials("test"),
        log=lambda _: None,
        verify_timeout=10,
    )
    wheel = sample_dists.manifest.wheels[0]
    remote = project_files(local_index.url, "Demo")[wheel.filename]  # name is normalized
    path = download(remote, tmp_path / "got", expected_sha256=wheel.sha256)
    assert path == tmp_path / "got" / wheel.filename
    assert path.read_bytes() == (sample_dists.dist_dir / wheel.filename).read_bytes()

    with pytest.raises(PublishError) as info:
        download(remote, tmp_path / "bad", expected_sha256="0" * 64)
    assert wheel.filename in info.value.message
    assert wheel.sha256[:12] in info.value.message and "000000000000" in info.value.message
    assert local_index.publish_url in info.value.message
    assert list((tmp_path / "bad").iterdir()) == []  # no partial or wrong file left behind


def test_unknown_project_is_empty_and_unreachable_index_is_an_error(
    local_index: LocalIndex,
) -> None:
    assert project_files(local_index.url, "no-such-project") == {}
    dead = local_index.url
    local_index.stop()
    with pytest.raises(PublishError) as info:
        project_files(dead, "demo", timeout=5)
    assert dead in info.value.message


def test_two_local_indexes_are_independent(sample_dists: SampleDists, tmp_path: Path) -> None:
    one = LocalIndex(tmp_path / "a", server_python=Path(sys.executable))
    two = LocalIndex(tmp_path / "b", server_python=Path(sys.executable))
    with one, two:
        assert one.url != two.url and one.password != two.password
        publish(
            sample_dists.manifest,
            sample_dists.dist_dir,
            one.index_config("test"),
            twine=TWINE,
            environ=one.credentials("test"),
            log=lambda _: None,
            verify_timeout=10,
        )
        assert served(one) == expected(sample_dists)
        assert served(two) == {}
        assert list((tmp_path / "b").iterdir()) == []
        # one server's password is no good on the other
        with pytest.raises(PublishError, match="403"):
            publish(
                sample_dists.manifest,
                sample_dists.dist_dir,
                two.index_config("test"),
                twine=TWINE,
                environ=one.credentials("test"),
                log=lambda _: None,
                verify_timeout=10,
            )
    assert not one.running and not two.running


# -- the local index itself ------------------------------------------------------------------


def test_local_index_retries_once_when_its_port_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real_free_port = localindex.free_port
        monkeypatch.setattr(localindex, "free_port", lambda: next(ports, None) or real_free_port())
        lines: list[str] = []
        with LocalIndex(
            tmp_path / "pk", server_python=Path(sys.executable), log=lines.append
        ) as server:
            assert f":{taken}/" not in server.url
            assert project_files(server.url, "demo") == {}
        assert any(f"port {taken} was taken" in line for line in lines), lines


def test_local_index_that_cannot_start_says_why_and_cleans_up(tmp_path: Path) -> None:
    """An interpreter whose pypiserver dies at start: PublishError with its output, no leak."""
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$1" in *strict_index.py) echo "pypiserver: boom, cannot serve" >&2; exit 3;; esac\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    fake.chmod(0o755)
    server = LocalIndex(tmp_path / "pk", server_python=fake)
    with pytest.raises(PublishError) as info:
        server.start()
    assert "exited with code 3" in info.value.message
    assert "boom, cannot serve" in info.value.message
    assert str(server.log_path) in info.value.hint
    assert not server.running
    with pytest.raises(RuntimeError, match="not started"):
        server.url  # noqa: B018


# -- the simple API over HTTP: what pypiserver does not do (JSON, errors) --------------------


class _FakeIndex(http.server.BaseHTTPRequestHandler):
    """A tiny PEP 691 index: /simple/demo/ in JSON, /simple/broken/ 500, /simple/Old/ 301."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers.items()))
        if self.path == "/simple/old/":
            self.send_response(301)
            self.send_header("Location", "/simple/demo/")
            self.end_headers()
            return
        if self.path == "/simple/broken/":
            self.send_error(500, "Internal Server Error")
            return
        if self.path != "/simple/demo/":
            self.send_error(404)
            return
        body = json.dumps(
            {
                "meta": {"api-version": "1.0"},
                "name": "demo",
                "files": [
                    {
                        "filename": "demo-1.0.tar.gz",
                        "url": "../../files/demo-1.0.tar.gz",
                        "hashes": {"sha256": "ab" * 32},
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fake_index() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeIndex)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _FakeIndex.seen.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def test_project_files_reads_json_and_bypasses_caches(fake_index: str) -> None:
    files = project_files(fake_index, "Demo")
    root = fake_index[: -len("simple/")]
    assert files == {
        "demo-1.0.tar.gz": RemoteFile("demo-1.0.tar.gz", f"{root}files/demo-1.0.tar.gz", "ab" * 32)
    }
    headers = {k.lower(): v for k, v in _FakeIndex.seen[-1].items()}
    assert headers["cache-control"] == "no-cache"
    assert headers["accept"].startswith("application/vnd.pypi.simple.v1+json")


def test_project_files_follows_redirects_and_maps_errors(fake_index: str) -> None:
    assert set(project_files(fake_index, "old")) == {"demo-1.0.tar.gz"}
    assert project_files(fake_index, "missing") == {}
    with pytest.raises(PublishError) as info:
        project_files(fake_index, "broken")
    assert f"{fake_index}broken/" in info.value.message and "500" in info.value.message
    assert info.value.hint

"""Reading indexes over real HTTP: a real pypiserver, and a small loopback server for what
pypiserver never does (PEP 691 JSON with PEP 700/792 fields, garbage, 5xx, resets).
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from releasekit.errors import PublishError
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.targets.pypi.simple import (
    IndexGarbage,
    IndexUnavailable,
    ProjectPage,
    project_files,
    project_page,
)
from tests.helpers.index import SampleDists

pytestmark = pytest.mark.slow

PYPI_JSON_CT = "application/vnd.pypi.simple.v1+json"
UTC_UPLOAD = "2026-07-01T12:34:56.789012Z"
SHA = "ab" * 32


# -- a real pypiserver -------------------------------------------------------------------------


def twine_upload(index: LocalIndex, dist_dir: Path) -> None:
    files = sorted(str(p) for p in dist_dir.iterdir() if p.suffix in (".whl", ".gz"))
    env = {
        **os.environ,
        "TWINE_USERNAME": index.username,
        "TWINE_PASSWORD": index.password,
        "TWINE_NON_INTERACTIVE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--repository-url", index.publish_url, *files],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_pypiserver_project_with_uploaded_files(
    local_index: LocalIndex, sample_dists: SampleDists
) -> None:
    twine_upload(local_index, sample_dists.dist_dir)
    page = project_page(local_index.url, "Demo")  # any spelling: the URL uses the normalized one
    built = {f.filename: f.sha256 for f in sample_dists.manifest.files}
    assert {name: remote.sha256 for name, remote in page.files.items()} == built
    # PEP 691 JSON, as PyPI serves it (releasekit/_child/strict_index.py): PEP 792 status,
    # PEP 700 upload times
    assert page.status == "active" and page.status_reason is None
    assert page.url == f"{local_index.url}demo/"
    for name, remote in page.files.items():
        assert remote.url == f"{local_index.publish_url}packages/{name}"
        assert remote.upload_time is not None and remote.yanked is False
    assert project_files(local_index.url, "demo") == page.files


def test_pypiserver_missing_project_is_empty(local_index: LocalIndex) -> None:
    page = project_page(local_index.url, "no-such-project")
    assert page == ProjectPage(files={}, url=f"{local_index.url}no-such-project/", known=False)
    assert project_files(local_index.url, "no_such.project") == {}


def test_pypiserver_that_is_gone_is_unavailable(tmp_path: Path) -> None:
    with LocalIndex(tmp_path / "pk", server_python=Path(sys.executable)) as server:
        url = server.url
    with pytest.raises(IndexUnavailable) as info:
        project_page(url, "demo", timeout=5)
    assert info.value.message.startswith(f"reading {url}demo/ failed: ")
    assert "refused" in info.value.message.lower()
    assert "\n" not in info.value.message and info.value.hint


# -- a loopback server that answers like PyPI, or like nothing at all ---------------------------

PYPI_JSON = {
    "alternate-locations": [],
    "files": [
        {
            "core-metadata": False,
            "data-dist-info-metadata": False,
            "filename": "demo-1.0.tar.gz",
            "hashes": {"sha256": SHA},
            "provenance": None,
            "requires-python": ">=3.9",
            "size": 1234,
            "upload-time": UTC_UPLOAD,
            "url": "../../packages/demo-1.0.tar.gz",
            "yanked": False,
        },
        {
            "core-metadata": False,
            "data-dist-info-metadata": False,
            "filename": "demo-0.9.tar.gz",
            "hashes": {"sha256": "cd" * 32},
            "provenance": None,
            "requires-python": None,
            "size": 99,
            "upload-time": "2025-01-02T03:04:05.000000Z",
            "url": "../../packages/demo-0.9.tar.gz",
            "yanked": "broken",
        },
    ],
    "meta": {"_last-serial": 42, "api-version": "1.4"},
    "name": "demo",
    "project-status": {"status": "archived", "reason": "moved to demo2"},
    "versions": ["0.9", "1.0"],
}


def pypi_html(name: str) -> str:
    """A project page in PEP 503 HTML with the PEP 792 markers, as PyPI serves it."""
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.4">
    <meta name="pypi:project-status" content="archived">
    <meta name="pypi:project-status-reason" content="moved to demo2">
    <title>Links for {name}</title>
  </head>
  <body>
    <h1>Links for {name}</h1>
    <a href="../../packages/{name}-1.0.tar.gz#sha256={SHA}">{name}-1.0.tar.gz</a><br />
  </body>
</html>"""


PORTAL = b"""<!DOCTYPE html><html><head><title>Guest Wi-Fi: please sign in</title></head>
<body><form action="/login" method="post"><input name="code"></form></body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        route = {
            "/simple/demo/": self._pypi,
            # a misrouted proxy: another project's page under this project's URL
            "/simple/other-one/": lambda: self._send(200, PYPI_JSON_CT, _json(name="other")),
            "/simple/noise/": lambda: self._send(
                200, "text/plain", b"\x00\x01binary nonsense\xff" * 2
            ),
            "/simple/portal/": lambda: self._redirect("/login?next=/simple/portal/"),
            "/login": lambda: self._send(200, "text/html; charset=utf-8", PORTAL),
            "/simple/nofiles/": lambda: self._send(200, PYPI_JSON_CT, b'{"meta": {}}'),
            "/simple/broken/": lambda: self.send_error(500),
            "/simple/busy/": lambda: self.send_error(503),
            "/simple/limited/": lambda: self.send_error(429),
            "/simple/private/": lambda: self.send_error(403),
            "/simple/bad/": lambda: self.send_error(400),
            "/simple/reset/": self._hang_up,
            "/simple/slow/": self._slow,
            "/simple/downgrade/": lambda: self._redirect("http://pypi.example.org/simple/x/"),
            "/simple/legacy/": lambda: self._send(
                200, "application/vnd.pypi.simple.v1+html", pypi_html("legacy").encode()
            ),
        }.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
        else:
            route()

    def _pypi(self) -> None:
        """Content negotiation as PEP 691 says, and as PyPI does it."""
        if "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", ""):
            self._send(200, PYPI_JSON_CT, json.dumps(PYPI_JSON).encode())
        else:
            self._send(200, "application/vnd.pypi.simple.v1+html", pypi_html("demo").encode())

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _hang_up(self) -> None:
        self.close_connection = True  # no status line at all

    def _slow(self) -> None:
        time.sleep(1.5)
        self._send(200, PYPI_JSON_CT, _json())

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _json(**fields: object) -> bytes:
    return json.dumps({**PYPI_JSON, **fields}).encode()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the slow route writes to a client that gave up: expected


@pytest.fixture
def fake_index() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _Handler.seen.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def test_pep_691_page_with_upload_time_and_project_status(fake_index: str) -> None:
    page = project_page(fake_index, "Demo")
    root = fake_index[: -len("simple/")]
    assert page.status == "archived" and page.status_reason == "moved to demo2"
    assert page.url == f"{fake_index}demo/"
    new, old = page.files["demo-1.0.tar.gz"], page.files["demo-0.9.tar.gz"]
    assert new.url == f"{root}packages/demo-1.0.tar.gz" and new.sha256 == SHA
    assert new.upload_time is not None and new.upload_time.isoformat() == (
        "2026-07-01T12:34:56.789012+00:00"
    )
    assert new.yanked is False and old.yanked == "broken"
    headers = _Handler.seen[-1]
    assert headers["accept"] == "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
    assert headers["cache-control"] == "no-cache"
    assert headers["user-agent"].startswith("releasekit")
    assert "authorization" not in headers


def test_html_answer_to_a_json_request(fake_index: str) -> None:
    """An index that serves PEP 503 HTML whatever is asked (pypiserver, most mirrors)."""
    page = project_page(fake_index, "legacy")
    assert page.status == "archived" and page.status_reason == "moved to demo2"
    assert page.files["legacy-1.0.tar.gz"].sha256 == SHA
    assert page.files["legacy-1.0.tar.gz"].upload_time is None  # PEP 700 is JSON only


def test_credentials_in_the_index_url_are_never_sent_or_shown(fake_index: str) -> None:
    with_secret = fake_index.replace("http://", "http://__token__:s3cret@")
    page = project_page(with_secret, "demo")
    assert set(page.files) == {"demo-1.0.tar.gz", "demo-0.9.tar.gz"}
    assert "authorization" not in _Handler.seen[-1]
    assert "s3cret" not in page.url and all("s3cret" not in f.url for f in page.files.values())
    with pytest.raises(IndexUnavailable) as info:
        project_page(with_secret, "broken")
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("project", "expected"),
    [
        ("noise", "not a simple-API page (content-type text/plain, 36 bytes)"),
        ("portal", "title 'Guest Wi-Fi: please sign in'"),
        ("nofiles", "an object without a 'files' list"),
        ("other-one", "the page of project 'other', not 'other-one'"),
    ],
)
def test_garbage_fails_at_once(fake_index: str, project: str, expected: str) -> None:
    with pytest.raises(IndexGarbage) as info:
        project_page(fake_index, project, timeout=5)
    assert expected in info.value.message, info.value.message
    assert "answered 200 with" in info.value.message
    assert fake_index.split("/simple/")[0] in info.value.message
    assert "\n" not in info.value.message and info.value.hint


@pytest.mark.parametrize(("project", "code"), [("broken", 500), ("busy", 503), ("limited", 429)])
def test_transient_answers_are_unavailable(fake_index: str, project: str, code: int) -> None:
    with pytest.raises(IndexUnavailable) as info:
        project_page(fake_index, project)
    assert info.value.message.startswith(f"reading {fake_index}{project}/ failed: HTTP {code}")
    assert "run again" in info.value.hint


@pytest.mark.parametrize(("project", "code"), [("private", 403), ("bad", 400)])
def test_refusals_are_permanent(fake_index: str, project: str, code: int) -> None:
    with pytest.raises(PublishError) as info:
        project_page(fake_index, project)
    assert not isinstance(info.value, (IndexUnavailable, IndexGarbage))
    assert f"HTTP {code}" in info.value.message and fake_index in info.value.message
    if code == 403:
        assert "without credentials" in info.value.hint


def test_hang_up_and_timeout_are_unavailable(fake_index: str) -> None:
    with pytest.raises(IndexUnavailable) as info:
        project_page(fake_index, "reset")
    assert f"{fake_index}reset/" in info.value.message
    started = time.monotonic()
    with pytest.raises(IndexUnavailable) as info:
        project_page(fake_index, "slow", timeout=0.3)
    assert time.monotonic() - started < 1.4
    assert info.value.message == f"reading {fake_index}slow/ failed: no answer within 0.3s"


def test_redirect_to_plain_http_elsewhere_is_refused(fake_index: str) -> None:
    with pytest.raises(PublishError) as info:
        project_page(fake_index, "downgrade")
    assert not isinstance(info.value, IndexUnavailable)
    assert "http://pypi.example.org/simple/x/" in info.value.message
    assert "non-loopback" in info.value.message


def test_unknown_project_is_an_empty_page(fake_index: str) -> None:
    assert project_page(fake_index, "nobody") == ProjectPage(
        files={}, url=f"{fake_index}nobody/", known=False
    )

"""A loopback HTTP proxy in front of a real index that misbehaves on request.

Real indexes fail in ways a healthy pypiserver never does: the upload lands but the answer
is a 503 (and twine's retry then hears "already exists"), the connection drops half-way
through an upload, a CDN serves the project page from before the upload for minutes, a
cache answers 200 with bytes that are not a simple page at all. :class:`FaultProxy`
forwards every request to a real index (a :class:`~releasekit.rehearsal.pypiserver.LocalIndex`) and
can be told to do each of those, so releasekit's real publish path (real twine, real
uploads, real reads) can be driven through them.

Faults are armed with a count (``times``): each request the fault applies to uses one up;
``times=None`` keeps it armed until :meth:`FaultProxy.reset`.
"""

from __future__ import annotations

import gzip
import http.client
import http.server
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

from releasekit.core.config import IndexConfig
from releasekit.targets.pypi.simple import normalize_name

__all__ = ["FaultProxy", "Upload"]

# Garbage a misconfigured cache might answer with a 200: the page gzip-compressed but served
# without Content-Encoding (binary junk to a reader), or PEP 691 JSON cut off half-way.
_GZIP_JUNK = gzip.compress(b"<!DOCTYPE html><html><body>" + b"x" * 512 + b"</body></html>", mtime=0)
_TRUNCATED_JSON = b'{"meta": {"api-version": "1.1"}, "name": "demo", "files": [{"filename": "de'
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "host",
}


@dataclass
class Upload:
    """One upload request as the proxy saw it, and what became of it."""

    filename: str
    project: str
    forwarded: bool = False
    upstream_status: int | None = None  # what the real index answered
    answered: int | None = None  # what the client got; None: the connection was dropped


@dataclass
class _Page:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Faults:
    """What to do to the next requests; counts of None mean "every one"."""

    fail_status: int = 503
    fail_times: int | None = 0
    drop_before: int | None = 0
    drop_after: int | None = 0
    lag_seconds: float = 0.0
    garbage: str | None = None
    stale: dict[str, tuple[float, _Page]] = field(default_factory=dict)  # project -> until, page
    catch_up_after: int | None = None  # refused uploads left before the stale pages end
    catching_up: bool = False  # the last refusal heard: the next read is the last stale one


def _use(count: int | None) -> tuple[bool, int | None]:
    """(applies, count left) for an armed fault count."""
    if count is None:
        return True, None
    if count > 0:
        return True, count - 1
    return False, 0


class FaultProxy:
    """A threading HTTP server on 127.0.0.1 that forwards to ``upstream`` and injects faults.

    ``upstream`` is the real index's root, e.g. ``LocalIndex.publish_url``. The proxy serves
    the same paths: its simple API is :attr:`url`, its upload endpoint :attr:`publish_url`.
    ``on_upload`` is called (in the server thread) for every upload request before it is
    forwarded, while the uploading client waits for the answer.
    """

    def __init__(self, upstream: str, *, on_upload: Callable[[Upload], None] | None = None):
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"upstream must be http://host:port/, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port
        self.on_upload = on_upload
        self.uploads: list[Upload] = []
        self.reads: list[tuple[str, int]] = []  # (path, status answered) of simple-page GETs
        self._faults = _Faults()
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- where it is -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FaultProxy is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple/"

    @property
    def publish_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def index_config(self, name: str = "test") -> IndexConfig:
        return IndexConfig(name=name, url=self.url, publish_url=self.publish_url)

    # -- faults ----------------------------------------------------------------------------

    def fail_uploads(self, status: int = 503, *, times: int | None = 1) -> None:
        """Forward the next ``times`` uploads, then answer ``status`` instead of the real
        answer: the upload landed, the client hears it failed."""
        with self._lock:
            self._faults.fail_status, self._faults.fail_times = status, times

    def drop_uploads(self, *, after_forwarding: bool, times: int | None = 1) -> None:
        """Drop the connection of the next ``times`` uploads half-way: before forwarding
        (after reading half the body: nothing landed) or after (it landed, no answer)."""
        with self._lock:
            if after_forwarding:
                self._faults.drop_after = times
            else:
                self._faults.drop_before = times

    def lag(self, seconds: float) -> None:
        """After each upload that lands, serve the project's page as it was before the
        upload (a 404 for a new project) for ``seconds``: a CDN that has not caught up."""
        with self._lock:
            self._faults.lag_seconds = seconds

    def catch_up_after_refusals(self, count: int) -> None:
        """End the lag once ``count`` more uploads have been refused upstream (400,
        pypiserver's "already exists") and the page has been read once more (the uploader's
        look right after the last refusal still finds it stale): every later read gets
        the page as it is, and no upload starts a new lag. The CDN catches up while a rerun
        that heard "already exists" waits for the page, at a point the test names instead
        of after seconds of wall-clock time."""
        with self._lock:
            self._faults.catch_up_after = count

    def garbage(self, kind: str | None = "html") -> None:
        """Answer every simple-page read with 200 and bytes that are no simple page:
        ``"html"`` (gzip junk labelled text/html), ``"json"`` (PEP 691 JSON cut off), or
        ``None`` to stop."""
        if kind not in (None, "html", "json"):
            raise ValueError(f"unknown garbage kind {kind!r}")
        with self._lock:
            self._faults.garbage = kind

    def reset(self) -> None:
        """No faults any more (a stale page already being served is forgotten too)."""
        with self._lock:
            self._faults = _Faults()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        server = _Server(("127.0.0.1", 0), Handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the upstream ----------------------------------------------------------------------

    def _forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> _Page:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            sent = {k: v for k, v in headers if k.lower() not in _HOP_BY_HOP}
            sent["Connection"] = "close"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return _Page(response.status, kept, data)
        finally:
            connection.close()

    def _project_page_path(self, project: str) -> str:
        return f"/simple/{normalize_name(project)}/"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a connection dropped on purpose is no error worth a traceback


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.0"  # one request per connection: a drop hits only that one

    def log_message(self, format: str, *args: object) -> None:
        pass

    # -- reads -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        proxy = self.owner
        path = urlsplit(self.path).path
        if path.startswith("/simple/"):
            page = self._simple_page(path)
            with proxy._lock:
                proxy.reads.append((path, page.status))
            self._answer(page)
            return
        self._answer(proxy._forward("GET", self.path, list(self.headers.items()), None))

    def _simple_page(self, path: str) -> _Page:
        proxy = self.owner
        with proxy._lock:
            faults = proxy._faults
            garbage = faults.garbage
            stale = faults.stale.get(path)
            if faults.catching_up:  # this read is the last one to find the page stale
                faults.catching_up = False
                faults.stale.clear()
                faults.lag_seconds = 0.0
        if garbage == "html":
            return _Page(200, [("Content-Type", "text/html; charset=utf-8")], _GZIP_JUNK)
        if garbage == "json":
            return _Page(
                200, [("Content-Type", "application/vnd.pypi.simple.v1+json")], _TRUNCATED_JSON
            )
        if stale is not None and time.monotonic() < stale[0]:
            return stale[1]
        return proxy._forward("GET", self.path, list(self.headers.items()), None)

    # -- uploads ---------------------------------------------------------------------------

    def do_POST(self) -> None:
        proxy = self.owner
        length = int(self.headers.get("Content-Length", "0"))
        with proxy._lock:
            faults = proxy._faults
            drop_before, faults.drop_before = _use(faults.drop_before)
        if drop_before:  # half the body read, then the line goes dead: nothing landed
            self.rfile.read(length // 2)
            with proxy._lock:
                proxy.uploads.append(Upload("?", "?"))
            self._drop()
            return
        body = self.rfile.read(length)
        upload = Upload(_field(body, "content", filename=True), _field(body, "name"))
        with proxy._lock:
            proxy.uploads.append(upload)
        if proxy.on_upload is not None:
            proxy.on_upload(upload)
        page_path = proxy._project_page_path(upload.project)
        with proxy._lock:
            lag = proxy._faults.lag_seconds
            stale = proxy._faults.stale.get(page_path)
        before = None
        if lag and (stale is None or time.monotonic() >= stale[0]):
            before = proxy._forward("GET", page_path, [("Accept", "text/html")], None)
        answer = proxy._forward("POST", self.path, list(self.headers.items()), body)
        upload.forwarded, upload.upstream_status = True, answer.status
        with proxy._lock:
            faults = proxy._faults
            if lag and answer.status == 200:
                page = before if before is not None else faults.stale[page_path][1]
                faults.stale[page_path] = (time.monotonic() + lag, page)
            if faults.catch_up_after is not None and answer.status == 400:
                faults.catch_up_after -= 1
                if faults.catch_up_after <= 0:
                    faults.catch_up_after, faults.catching_up = None, True
            drop_after, faults.drop_after = _use(faults.drop_after)
            fail = False
            if not drop_after:
                fail, faults.fail_times = _use(faults.fail_times)
            status = faults.fail_status
        if drop_after:  # it landed; the client never hears so
            self._drop()
            return
        if fail:
            reason = http.client.responses.get(status, "Error")
            answer = _Page(status, [("Content-Type", "text/plain")], f"{reason}\n".encode())
        upload.answered = answer.status
        self._answer(answer)

    # -- answers ---------------------------------------------------------------------------

    def _answer(self, page: _Page) -> None:
        self.send_response(page.status)
        for name, value in page.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(page.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(page.body)

    def _drop(self) -> None:
        """Reset the connection (RST, no answer), as a dying load balancer does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:  # the connection was dropped on purpose
            pass


def _field(body: bytes, name: str, *, filename: bool = False) -> str:
    """A form field's value (or its file's name) from a multipart upload body."""
    if filename:
        found = re.search(rb'name="' + name.encode() + rb'"; filename="([^"]+)"', body)
    else:
        found = re.search(
            rb'name="' + name.encode() + rb'"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)', body
        )
    return found.group(1).decode("utf-8", "replace") if found else "?"

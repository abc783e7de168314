"""What a package index serves: the files of one project, with the sha256 the index reports.

releasekit never asks an index "did my upload work?" through its upload API: it reads the
simple API (PEP 691 JSON or PEP 503 HTML, whichever the index answers) and compares the
hashes with the build manifest. That is the only check that also covers a CDN serving a stale
page, a half-failed upload that landed anyway, or a different file under the same name.

Reading never needs credentials. HTTP is done with :mod:`urllib` so this module adds no
dependency; it is not imported by the hatch plugin.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from releasekit.config import is_loopback
from releasekit.errors import PublishError

__all__ = ["RemoteFile", "download", "normalize_name", "parse_html", "parse_json", "project_files"]

_JSON_TYPES = (
    "application/vnd.pypi.simple.v1+json",
    "application/vnd.pypi.simple.latest+json",
)
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_USER_AGENT = "releasekit (+https://github.com/releasekit/releasekit)"


@dataclass(frozen=True)
class RemoteFile:
    """One file as an index lists it. ``sha256`` is ``None`` when the index gives no sha256."""

    filename: str
    url: str  # absolute
    sha256: str | None


def normalize_name(name: str) -> str:
    """The PEP 503 normalized project name: the path segment every index understands."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_files(index_url: str, project: str, *, timeout: float = 30.0) -> dict[str, RemoteFile]:
    """The files ``index_url`` serves for ``project``, by filename; ``{}`` if it has none yet.

    Sends ``Cache-Control: no-cache`` because right after an upload PyPI's CDN may answer
    from a stale copy of the page, and the whole point of asking is to see the upload.
    """
    base = index_url if index_url.endswith("/") else index_url + "/"
    page_url = f"{base}{normalize_name(project)}/"
    request = urllib.request.Request(
        page_url,
        headers={
            "Accept": _ACCEPT,
            "Cache-Control": "no-cache",
            "Pragma": "no-cache",
            "User-Agent": _USER_AGENT,
        },
    )
    hint = f"check [tool.releasekit.indexes] url ({index_url}) and that the index is reachable"
    try:
        with _open(request, timeout) as response:
            final_url = response.geturl()
            content_type = response.headers.get("Content-Type", "")
            charset = response.headers.get_content_charset() or "utf-8"
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return {}
        raise PublishError(
            f"reading {page_url} failed: HTTP {exc.code} {exc.reason}", hint
        ) from None
    except urllib.error.URLError as exc:
        raise PublishError(f"reading {page_url} failed: {exc.reason}", hint) from None
    except (socket.timeout, TimeoutError):
        raise PublishError(
            f"reading {page_url} failed: no answer within {timeout:g}s", hint
        ) from None
    except OSError as exc:
        raise PublishError(f"reading {page_url} failed: {exc}", hint) from None

    text = body.decode(charset, errors="replace")
    mime = content_type.split(";")[0].strip().lower()
    try:
        if mime in _JSON_TYPES or mime == "application/json":
            return parse_json(text, final_url)
        return parse_html(text, final_url)
    except ValueError as exc:
        raise PublishError(
            f"{page_url} answered a page releasekit cannot read ({exc})",
            "the index must serve the PEP 503 simple API (HTML) or PEP 691 (JSON)",
        ) from None


def parse_json(text: str, page_url: str) -> dict[str, RemoteFile]:
    """Files of a PEP 691 JSON project page; relative URLs are resolved against ``page_url``."""
    data: Any = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise ValueError("JSON without a 'files' list")
    result: dict[str, RemoteFile] = {}
    for item in data["files"]:
        if not isinstance(item, dict):
            continue
        filename, url = item.get("filename"), item.get("url")
        if not isinstance(filename, str) or not isinstance(url, str):
            continue
        hashes = item.get("hashes")
        sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
        absolute, _ = urldefrag(urljoin(page_url, url))
        result[filename] = RemoteFile(
            filename, absolute, sha256.lower() if isinstance(sha256, str) else None
        )
    return result


def parse_html(text: str, page_url: str) -> dict[str, RemoteFile]:
    """Files of a PEP 503 HTML project page: ``<a href="url#sha256=...">filename</a>``.

    The filename is the anchor's text (PEP 503 says it must match the URL's last segment);
    the URL's last segment is the fallback for a page that leaves the text empty.
    """
    parser = _LinkParser()
    parser.feed(text)
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    result: dict[str, RemoteFile] = {}
    for href, label in parser.links:
        absolute, fragment = urldefrag(urljoin(base, href))
        filename = label.strip() or unquote(urlsplit(absolute).path.rsplit("/", 1)[-1])
        if not filename:
            continue
        sha256 = None
        algo, _, digest = fragment.partition("=")
        if algo.lower() == "sha256" and digest:
            sha256 = digest.lower()
        result[filename] = RemoteFile(filename, absolute, sha256)
    return result


class _LinkParser(HTMLParser):
    """Collects ``(href, text)`` of every ``<a>``, and a ``<base href>`` if there is one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.base: str | None = None
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "base" and self.base is None and attributes.get("href"):
            self.base = attributes["href"]
        elif tag == "a":
            self._close_link()
            href = attributes.get("href")
            if href:
                self._href = href
                self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close_link()

    def close(self) -> None:
        super().close()
        self._close_link()

    def _close_link(self) -> None:
        if self._href is not None:
            self.links.append((self._href, "".join(self._text)))
        self._href = None
        self._text = []


def download(
    file: RemoteFile, dest_dir: Path, *, expected_sha256: str, timeout: float = 60
) -> Path:
    """Fetch ``file`` into ``dest_dir`` and prove its bytes hash to ``expected_sha256``.

    The bytes go to a temporary name first, so a wrong or partial file never sits in
    ``dest_dir`` under the real name where an installer could pick it up.
    """
    name = Path(file.filename).name
    if not name or name != file.filename or name in (".", ".."):
        raise PublishError(
            f"the index lists a file with an unsafe name: {file.filename!r} ({file.url})",
            "this is not a file releasekit built; check the index",
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / name
    request = urllib.request.Request(
        file.url, headers={"Cache-Control": "no-cache", "User-Agent": _USER_AGENT}
    )
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                with _open(request, timeout) as response:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        digest.update(chunk)
                        handle.write(chunk)
            except urllib.error.HTTPError as exc:
                raise PublishError(
                    f"downloading {file.filename} from {file.url} failed: "
                    f"HTTP {exc.code} {exc.reason}",
                    "check that the index still serves the file",
                ) from None
            except (urllib.error.URLError, OSError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                raise PublishError(
                    f"downloading {file.filename} from {file.url} failed: {reason}",
                    "check that the index is reachable",
                ) from None
        actual = digest.hexdigest()
        if actual != expected_sha256.lower():
            raise PublishError(
                f"{file.filename} from {file.url} has sha256 {actual[:12]}…, "
                f"expected {expected_sha256[:12]}…",
                "the index serves different bytes than were built: do not install them; "
                "check what was uploaded under this name",
            )
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _open(request: urllib.request.Request, timeout: float) -> Any:
    """``urlopen``, but a loopback URL never goes through an ``http_proxy`` from the env.

    A local index (rehearsals, tests) lives on 127.0.0.1; a proxy configured for the
    internet would not reach it, and would see the request for nothing.
    """
    host = urlsplit(request.full_url).hostname or ""
    if is_loopback(host):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        return opener.open(request, timeout=timeout)
    return urllib.request.urlopen(request, timeout=timeout)

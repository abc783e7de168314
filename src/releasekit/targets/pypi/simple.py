"""What a package index serves: the files of one project, with the sha256 the index reports.

releasekit never asks an index "did my upload work?" through its upload API: it reads the
simple API (PEP 691 JSON or PEP 503 HTML, whichever the index answers) and compares the
hashes with the build manifest. That is the only check that also covers a CDN serving a stale
page, a half-failed upload that landed anyway, or a different file under the same name.

The page is parsed by ``pypi-simple``, which follows the simple-API PEPs as they land (592
yanking, 700 upload times, 792 project status); releasekit only decides whether what came
back *is* a project page at all, because an index that answers 200 with a login page would
otherwise read as "serves nothing" and send a release into a retry loop. ``pypi-simple`` is
imported on the first read, not with this module: it pulls in pydantic and Beautiful Soup.

HTTP stays with :mod:`urllib`, not ``pypi-simple``'s requests session: requests reads
``~/.netrc`` and would send a stored password with a read that never needs one, and releasekit
also wants its own rules here (no proxy for loopback, no plain http elsewhere, even after a
redirect), which :mod:`releasekit.runtime.net` applies to every URL releasekit opens. Nothing here
is imported by the hatch plugin.
"""

from __future__ import annotations

import codecs
import datetime
import errno
import hashlib
import html
import http.client
import json
import os
import re
import socket
import ssl
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urldefrag, urlsplit

from releasekit.core.urls import without_userinfo
from releasekit.errors import PublishError
from releasekit.runtime import net
from releasekit.runtime.installed import import_installed

if TYPE_CHECKING:
    import pypi_simple

__all__ = [
    "Answer",
    "IndexGarbage",
    "IndexUnavailable",
    "ProjectPage",
    "RemoteFile",
    "download",
    "normalize_name",
    "parse_page",
    "project_files",
    "project_page",
    "read_url",
]

_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_JSON_TYPES = frozenset(
    {
        "application/vnd.pypi.simple.v1+json",
        "application/vnd.pypi.simple.latest+json",
        "application/json",
    }
)
_HTML_TYPES = frozenset(
    {
        "text/html",
        "application/vnd.pypi.simple.v1+html",
        "application/vnd.pypi.simple.latest+html",
        "application/xhtml+xml",
    }
)
# Answers that mean "not now" rather than "no": worth another try after a pause.
_TRANSIENT_CODES = frozenset({408, 425, 429})
_GARBAGE_HINT = (
    "[tool.releasekit.indexes] url must be the simple API root (e.g. https://pypi.org/simple/), "
    "serving PEP 503 HTML or PEP 691 JSON; check it, and that no proxy or captive portal "
    "answers in the index's place"
)
_UNAVAILABLE_HINT = (
    "the index did not answer: check the URL and the network, then run again "
    "(reading an index is safe to repeat)"
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_LINKS_FOR = re.compile(r"links for\s+(\S+)\s*$", re.IGNORECASE)


class IndexUnavailable(PublishError):
    """The index gave no usable answer *this time*: a 5xx or 429, a timeout, a refused or
    reset connection, a name that did not resolve.

    Reading is idempotent, so a caller may wait and read again; every other
    :class:`~releasekit.errors.PublishError` from this module is permanent.
    """


class IndexGarbage(PublishError):
    """The index answered 200 with something that is not the simple-API page of the project:
    random bytes, a captive portal's login page, JSON without ``files``, another project's page.

    Permanent: reading again will not turn it into a project page, and treating it as "serves
    nothing" would make publish upload, then wait forever for the files to appear.
    """


@dataclass(frozen=True)
class RemoteFile:
    """One file as an index lists it. ``sha256`` is ``None`` when the index gives no sha256.

    ``upload_time`` (PEP 700, JSON pages only, always UTC) and ``yanked`` (PEP 592: ``False``,
    ``True``, or the reason) describe the file but are not part of what it *is*: two listings
    of the same name, URL and sha256 compare equal. ``yanked`` is ``None`` when not read from
    a page.
    """

    filename: str
    url: str  # absolute, without a fragment
    sha256: str | None  # lower-case hex
    upload_time: datetime.datetime | None = field(default=None, compare=False)
    yanked: str | bool | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProjectPage:
    """One read of a project's simple-API page.

    ``files`` by filename; ``status`` is the PEP 792 project status as served ("active",
    "archived", "quarantined", "deprecated", or a newer one) or ``None`` when the index does
    not say, which PEP 792 reads as active. ``url`` is the page that was read (after any
    redirect, without credentials). A project the index does not know is an empty page,
    with ``known`` false (its first upload creates it: PyPI limits how many a day).
    """

    files: dict[str, RemoteFile]
    status: str | None = None
    status_reason: str | None = None
    url: str = ""
    known: bool = True


class Answer(NamedTuple):
    """A 200 answer read whole: what :func:`read_url` returns."""

    body: bytes
    content_type: str | None
    url: str  # after any redirect, as the server gave it


def normalize_name(name: str) -> str:
    """The PEP 503 normalized project name: the path segment every index understands."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_files(index_url: str, project: str, *, timeout: float = 30.0) -> dict[str, RemoteFile]:
    """The files ``index_url`` serves for ``project``, by filename; ``{}`` if it has none yet."""
    return project_page(index_url, project, timeout=timeout).files


def project_page(index_url: str, project: str, *, timeout: float = 30.0) -> ProjectPage:
    """Read ``project``'s page from the simple API at ``index_url``, JSON preferred.

    Sends ``Cache-Control: no-cache`` because right after an upload PyPI's CDN may answer
    from a stale copy of the page, and the whole point of asking is to see the upload.
    A project the index does not know (404) is an empty page: nothing uploaded yet.
    Raises :class:`IndexUnavailable` when trying again later may help, :class:`IndexGarbage`
    when the answer is not a project page, and :class:`PublishError` for any other refusal.
    """
    base = index_url if index_url.endswith("/") else index_url + "/"
    page_url = without_userinfo(f"{base}{normalize_name(project)}/")
    headers = {"Accept": _ACCEPT, "Cache-Control": "no-cache", "Pragma": "no-cache"}
    answer = read_url(page_url, headers=headers, timeout=timeout)
    if answer is None:
        return ProjectPage(files={}, url=page_url, known=False)
    return parse_page(answer.body, answer.content_type, without_userinfo(answer.url), project)


def read_url(url: str, *, headers: Mapping[str, str], timeout: float = 30.0) -> Answer | None:
    """GET ``url`` of an index as every index read does; ``None`` for 404 ("none here").

    Through :func:`releasekit.runtime.net.open_url` (its URL and redirect rules); the errors are
    this module's: :class:`IndexUnavailable` when a later try may help, a
    :class:`~releasekit.errors.PublishError` otherwise, each saying "reading ``url``".
    Also what :mod:`releasekit.targets.pypi.attest` reads an index's Integrity API with.
    """
    what = f"reading {url}"
    net.require_safe_url(url, what)
    request = urllib.request.Request(url, headers=dict(headers))
    try:
        with net.open_url(request, timeout) as response:
            final_url = response.geturl()
            content_type = response.headers.get("Content-Type")
            body = response.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            return None
        raise _http_error(what, exc.code, exc.reason) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _connection_error(what, exc, timeout, url) from None
    return Answer(body, content_type, final_url)


def parse_page(body: bytes, content_type: str | None, page_url: str, project: str) -> ProjectPage:
    """The project page in ``body`` (a 200 answer from ``page_url``), or :class:`IndexGarbage`.

    ``content_type`` picks the parser, as PEP 691 says; a missing one is sniffed. The page must
    be for ``project``, or for the project its (redirected) URL names.
    """
    mime, charset = _split_content_type(content_type)
    start = body.lstrip()[:1]
    if mime in _JSON_TYPES or (mime is None and start in (b"{", b"[")):
        return _parse_json(body, mime or "none", page_url, project)
    if mime in _HTML_TYPES or (mime is None and start == b"<"):
        return _parse_html(body, mime or "none", charset, page_url, project)
    raise _garbage(page_url, f"content-type {content_type or 'none'}, {_size(body)}")


def _parse_json(body: bytes, mime: str, page_url: str, project: str) -> ProjectPage:
    described = f"content-type {mime}, {_size(body)}"
    try:
        data: Any = json.loads(body)
    except ValueError:  # also a UnicodeDecodeError
        raise _garbage(page_url, f"{described} that is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        what = "an object" if isinstance(data, dict) else f"a JSON {type(data).__name__}"
        raise _garbage(page_url, f"{described}: {what} without a 'files' list")
    _check_name(data.get("name"), page_url, project)
    # PEP 792's status is read here, not by pypi-simple: it knows the four statuses of today
    # and fails the whole page on a newer one, which PEP 792 expects future PEPs to add.
    status, reason = _json_status(data.get("project-status"), page_url)
    payload = {key: value for key, value in data.items() if key != "project-status"}
    _require_pypi_simple()
    from pypi_simple import ProjectPage as SimplePage
    from pypi_simple import UnsupportedRepoVersionError

    try:
        page = SimplePage.from_json_data(payload, page_url)
    except UnsupportedRepoVersionError as exc:
        raise _garbage(page_url, f"{described}: {exc}") from None
    except ValueError as exc:  # pydantic's ValidationError is one
        raise _garbage(page_url, f"{described}: {_first_problem(exc)}") from None
    return ProjectPage(
        files=_files(page.packages), status=status, status_reason=reason, url=page_url
    )


def _parse_html(
    body: bytes, mime: str, charset: str | None, page_url: str, project: str
) -> ProjectPage:
    described = f"content-type {mime}, {_size(body)}"
    _require_pypi_simple()
    from pypi_simple import DistributionPackage, RepositoryPage, UnsupportedRepoVersionError

    try:
        with warnings.catch_warnings():
            # Beautiful Soup warns about markup that looks like a file name or XML; such a
            # body is either rejected below or parsed fine, and the warning is only noise.
            warnings.filterwarnings("ignore", module="bs4")
            page = RepositoryPage.from_html(body, page_url, charset)
    except UnsupportedRepoVersionError as exc:
        raise _garbage(page_url, f"{described}: {exc}") from None
    except ValueError as exc:  # an unparsable pypi:repository-version
        raise _garbage(page_url, f"{described}: {exc}") from None
    title = _html_title(body, charset)
    match = _LINKS_FOR.search(title) if title else None
    if match:
        _check_name(match.group(1), page_url, project)
    packages = [DistributionPackage.from_link(link, project) for link in page.links]
    recognised = (
        match is not None
        or page.repository_version is not None
        or any(package.package_type is not None for package in packages)
    )
    if not recognised:
        seen = f", title {title[:60]!r}" if title else ""
        raise _garbage(page_url, f"{described}{seen}, no distribution links and no PEP 503 markers")
    meta = page.pypi_meta
    return ProjectPage(
        files=_files(packages),
        status=meta.get("project-status", [None])[0],
        status_reason=meta.get("project-status-reason", [None])[0],
        url=page_url,
    )


def _files(packages: list[pypi_simple.DistributionPackage]) -> dict[str, RemoteFile]:
    """pypi-simple's packages as releasekit's :class:`RemoteFile`, by filename.

    An anchor with no text is named by its URL's last segment, as pip does.
    """
    result: dict[str, RemoteFile] = {}
    for package in packages:
        url, _ = urldefrag(package.url)
        filename = package.filename or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        if not filename:
            continue
        digests = {name.lower(): value for name, value in package.digests.items()}
        sha256 = digests.get("sha256")
        uploaded = package.upload_time
        if uploaded is not None:  # PEP 700 says UTC; compared with "now" for PyPI's 14 days
            utc = datetime.timezone.utc
            naive = uploaded.tzinfo is None
            uploaded = uploaded.replace(tzinfo=utc) if naive else uploaded.astimezone(utc)
        result[filename] = RemoteFile(
            filename=filename,
            url=url,
            sha256=sha256.lower() if sha256 else None,
            upload_time=uploaded,
            yanked=(package.yanked_reason or True) if package.is_yanked else False,
        )
    return result


def _json_status(value: object, page_url: str) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        raise _garbage(page_url, f"'project-status' is {type(value).__name__}, not an object")
    status, reason = value.get("status"), value.get("reason")
    for key, item in (("status", status), ("reason", reason)):
        if item is not None and not isinstance(item, str):
            raise _garbage(page_url, f"'project-status' {key} is not a string: {item!r}")
    return status, reason


def _check_name(name: object, page_url: str, project: str) -> None:
    """A page that names another project is not this project's page: a misrouted proxy or
    a wrong URL, not a project with no files. A redirect the index chose is honoured."""
    if name is None:
        return
    if not isinstance(name, str):
        raise _garbage(page_url, f"'name' is not a string: {name!r}")
    segment = unquote(urlsplit(page_url).path.rstrip("/").rsplit("/", 1)[-1])
    if normalize_name(name) not in {normalize_name(project), normalize_name(segment)}:
        raise IndexGarbage(
            f"{page_url} answered 200 with the page of project {name!r}, not {project!r}",
            _GARBAGE_HINT,
        )


def _html_title(body: bytes, charset: str | None) -> str:
    match = _TITLE.search(body[:65536])
    if not match:
        return ""
    text = match.group(1).decode(charset or "utf-8", errors="replace")
    return " ".join(html.unescape(text).split())


def _first_problem(exc: ValueError) -> str:
    """One line from a pydantic ValidationError (or any ValueError): where, and what."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            return f"{where}: {first.get('msg', 'invalid')}" if where else str(first["msg"])
        except (IndexError, KeyError, TypeError):
            pass
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _garbage(page_url: str, detail: str) -> IndexGarbage:
    return IndexGarbage(
        f"{page_url} answered 200 with something that is not a simple-API page ({detail})",
        _GARBAGE_HINT,
    )


def _size(body: bytes) -> str:
    return "1 byte" if len(body) == 1 else f"{len(body)} bytes"


def _split_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value or not value.strip():
        return None, None
    message = Message()
    message["Content-Type"] = value
    charset = message.get_param("charset")
    if not isinstance(charset, str):
        return message.get_content_type(), None
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = None  # an unknown charset: let the parsers guess, as browsers do
    return message.get_content_type(), charset


def _require_pypi_simple() -> None:
    """Import ``pypi_simple`` on first use; a clear error where the publish extra is missing."""
    try:
        import_installed("pypi_simple")  # never the project's own pydantic or bs4
    except ImportError:
        raise PublishError(
            "reading a package index needs pypi-simple, which is not installed here",
            "install releasekit with its publish extra: pip install 'releasekit[publish]' (the "
            "nox extra includes it)",
        ) from None


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
    what = f"downloading {file.filename} from {file.url}"
    net.require_safe_url(file.url, what)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / name
    request = urllib.request.Request(file.url, headers={"Cache-Control": "no-cache"})
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                with net.open_url(request, timeout) as response:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        digest.update(chunk)
                        handle.write(chunk)
            except urllib.error.HTTPError as exc:
                exc.close()
                raise _http_error(what, exc.code, exc.reason) from None
            except (OSError, http.client.HTTPException) as exc:
                raise _connection_error(what, exc, timeout, file.url) from None
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


# --- HTTP -------------------------------------------------------------------------------------


def _http_error(what: str, code: int, reason: object) -> PublishError:
    message = f"{what} failed: HTTP {code} {reason}".rstrip()
    if code >= 500 or code in _TRANSIENT_CODES:
        return IndexUnavailable(message, _UNAVAILABLE_HINT)
    if code in (401, 403):
        return PublishError(
            message,
            "releasekit reads the simple API without credentials: the index must allow "
            "anonymous reads of this URL; check [tool.releasekit.indexes] url",
        )
    return PublishError(message, "check [tool.releasekit.indexes] url and the index")


def _connection_error(
    what: str, exc: BaseException, timeout: float, url: str | None = None
) -> PublishError:
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, http.client.InvalidURL):  # e.g. a port that is not a number
        return PublishError(f"{what} failed: {reason}", "check [tool.releasekit.indexes] url")
    host = urlsplit(url).hostname if url else None
    unreachable = _unreachable(reason, host)
    if unreachable is not None:
        # offline (no DNS, no route): say which host, and that a rehearsal needs no network
        return IndexUnavailable(f"{what} failed: {unreachable}", _OFFLINE_HINT)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return PublishError(
            f"{what} failed: {reason.verify_message or reason}",
            "the index's TLS certificate is not trusted here; if a proxy re-signs TLS, "
            "point SSL_CERT_FILE at its CA bundle",
        )
    if isinstance(reason, (socket.timeout, TimeoutError)):
        reason = f"no answer within {timeout:g}s"
    elif isinstance(reason, http.client.IncompleteRead):
        reason = "the connection closed in the middle of the answer"
    elif not str(reason):
        reason = type(reason).__name__
    return IndexUnavailable(f"{what} failed: {reason}", _UNAVAILABLE_HINT)


_OFFLINE_HINT = (
    "check the network (and [tool.releasekit.indexes] url), then run again; offline, "
    "`nox -s check -- --rehearse` checks against local stand-in indexes (as does "
    "`nox -s release -- --rehearse`)"
)


def _unreachable(reason: object, host: str | None) -> str | None:
    """Why ``host`` could not be reached at all, when the network is the cause: a name that
    does not resolve (offline, or no DNS) or no route to it; ``None`` for other failures."""
    where = host or "the index's host"
    if isinstance(reason, socket.gaierror):
        detail = reason.strerror or str(reason)
        return f"cannot resolve {where} ({detail}): no network, or no DNS for it here"
    errno_ = getattr(reason, "errno", None)
    if isinstance(reason, OSError) and errno_ in _NO_ROUTE:
        return f"cannot reach {where} ({reason.strerror or reason}): no network route to it"
    return None


_NO_ROUTE = frozenset(
    getattr(errno, name)
    for name in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN")
    if hasattr(errno, name)
)

"""How releasekit opens a URL, and how it waits for a server to catch up: written once.

Every read of an index, a registry or the Integrity API, and every health check of a local
stand-in, goes through :func:`open_url`, so the rules of :mod:`releasekit.core.urls` hold for
all of them, redirects included:

- a URL that :func:`releasekit.core.urls.unsafe_reason` refuses is never requested, and a
  redirect to one is never followed (https → plain http elsewhere would send the next
  request, and what it carries, in clear). The refusal names the redirect and its target;
- a loopback host is reached without ``http_proxy``: a proxy configured for the internet
  would not reach a rehearsal's server on 127.0.0.1, and would see the request for nothing;
- every request says who sends it (:data:`USER_AGENT`) unless the caller says otherwise.

:func:`poll` is the one loop that waits for a server to show what was just sent (a CDN, a
registry's propagation, the Integrity API): backoff 1, 2, 4 … seconds up to a cap, a
deadline, and a ``sleep`` and ``clock`` a test replaces.

Not imported by the hatch plugin: it needs :mod:`urllib.request`, which that path avoids.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Collection
from typing import IO, Any, Callable, TypeVar
from urllib.parse import urlsplit

from releasekit.core import urls
from releasekit.errors import PublishError, ReleasekitError

__all__ = [
    "SAFE_URL_HINT",
    "USER_AGENT",
    "answer_message",
    "open_url",
    "poll",
    "read_json",
    "require_safe_url",
]

USER_AGENT = "releasekit (+https://github.com/releasekit/releasekit)"
SAFE_URL_HINT = (
    "releasekit talks to indexes over https:// (http:// only for 127.0.0.1, ::1 or localhost)"
)
_NO_USERINFO_HINT = (
    "a URL releasekit requests carries no user and password: credentials come from the environment"
)

_T = TypeVar("_T")


def require_safe_url(url: str, what: str, *, hint: str = SAFE_URL_HINT) -> None:
    """Raise a :class:`PublishError` naming ``what`` unless releasekit may request ``url``.

    The rule is :func:`releasekit.core.urls.unsafe_reason`'s. A URL that does not parse is left
    to the request, whose error says exactly what is wrong with it (``nonnumeric port``).
    """
    reason = urls.unsafe_reason(url)
    if reason is None or reason == urls.NOT_VALID:
        return
    shown = urls.redact_url(url)
    if reason == urls.HAS_CREDENTIALS:
        raise PublishError(f"{what}: refusing URL {shown}, which {reason}", _NO_USERINFO_HINT)
    scheme = urlsplit(url).scheme
    raise PublishError(
        f"{what}: refusing {scheme or 'a scheme-less'} URL {shown}"
        + (" on a non-loopback host" if scheme == "http" else ""),
        hint,
    )


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a URL :func:`require_safe_url` accepts."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        try:
            require_safe_url(newurl, f"{urls.redact_url(req.full_url)} redirected ({code})")
        except PublishError:
            fp.close()
            raise
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def open_url(request: urllib.request.Request | str, timeout: float) -> http.client.HTTPResponse:
    """``urlopen`` with releasekit's rules: a safe URL, safe redirects, no proxy for loopback.

    ``request`` is a URL or a prepared :class:`urllib.request.Request`; it gets
    :data:`USER_AGENT` unless it names its own. Raises :class:`PublishError` for a URL (or a
    redirect) that is refused, and what ``urlopen`` raises otherwise (``HTTPError`` for an
    answer that is not 2xx, ``URLError`` and other ``OSError`` for no answer).
    """
    if isinstance(request, str):
        request = urllib.request.Request(request)
    if not request.has_header("User-agent"):  # Request stores header names capitalized()
        request.add_header("User-Agent", USER_AGENT)
    require_safe_url(request.full_url, f"requesting {urls.redact_url(request.full_url)}")
    host = urlsplit(request.full_url).hostname or ""
    if urls.is_loopback(host):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _SafeRedirects())
    else:
        opener = urllib.request.build_opener(_SafeRedirects())
    response: http.client.HTTPResponse = opener.open(request, timeout=timeout)
    return response


def read_json(
    request: urllib.request.Request | str,
    what: str,
    hint: str,
    *,
    error: type[ReleasekitError] = PublishError,
    timeout: float = 30.0,
    absent: Collection[int] = (),
    refused: Callable[[int, str], tuple[str, str]] | None = None,
    retry_hint: str | None = None,
) -> Any:
    """The JSON a server answers ``request`` with (through :func:`open_url`), or ``None``
    for an HTTP status in ``absent`` (a 404 that means "not there"); every other failure
    is ``error`` starting with ``what`` (``cannot read <url>``), so a caller states only its
    own words, once:

    - an HTTP error: ``refused(status, the server's message)`` gives (message, hint) where
      the answer deserves its own words, else ``<what>: HTTP <status>[: <message>]`` and
      ``hint``;
    - no answer, or an answer that is not JSON: ``<what>: <reason>``, with ``retry_hint``
      (else ``hint``).
    """
    try:
        with open_url(request, timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as failure:
        if failure.code in absent:
            return None
        said = answer_message(failure)
        if refused is not None:
            message, refused_hint = refused(failure.code, said)
            raise error(message, refused_hint) from None
        raise error(f"{what}: HTTP {failure.code}" + (f": {said}" if said else ""), hint) from None
    except (OSError, ValueError) as failure:
        reason = failure.reason if isinstance(failure, urllib.error.URLError) else failure
        if isinstance(failure, ValueError) and not isinstance(failure, UnicodeError):
            reason = "the answer is not JSON"
        raise error(f"{what}: {reason}", retry_hint or hint) from None


def answer_message(failure: urllib.error.HTTPError) -> str:
    """What a refusing server said, in one line: its JSON ``message`` or ``error`` (npm's
    registry answers ``{"message": ...}``, verdaccio ``{"error": ...}``), else its text
    unless that is a page of HTML (a proxy's or a CDN's error page says nothing more)."""
    try:
        raw = failure.read(4096).decode("utf-8", "replace")
    except OSError:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return "" if raw.lstrip().startswith("<") else " ".join(raw.split())[:300]
    text = data.get("message") or data.get("error") if isinstance(data, dict) else None
    return " ".join(str(text).split())[:300] if text else ""


def poll(
    attempt: Callable[[], _T | None],
    *,
    timeout: float,
    expired: Callable[[], BaseException],
    waiting: Callable[[float], None] | None = None,
    first: float = 1.0,
    factor: float = 2.0,
    cap: float = 30.0,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> _T:
    """Call ``attempt`` until it returns something other than ``None``, and return that.

    Between attempts it waits ``first`` seconds, then ``factor`` times longer each time up
    to ``cap``, never past the deadline ``timeout`` seconds after the start; ``waiting`` is
    told each wait before it starts (to say why the release pauses). At the deadline it
    raises what ``expired()`` returns. An error raised by ``attempt`` stops it at once:
    only "not yet" is worth waiting for. There is always at least one attempt.

    ``sleep`` and ``clock`` default to :func:`time.sleep` and :func:`time.monotonic`, looked
    up at the call, so a test can pass its own (or patch :mod:`time`).
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    deadline = clock() + timeout
    delay = first
    while True:
        result = attempt()
        if result is not None:
            return result
        remaining = deadline - clock()
        if remaining <= 0:
            raise expired()
        wait = min(delay, remaining)
        if waiting is not None:
            waiting(wait)
        sleep(wait)
        delay = min(delay * factor, cap)

"""The rules every URL releasekit talks to must follow, stated once.

A token travels with the requests to an index, a registry or GitHub, so:

- **https** anywhere, plain **http only to loopback** (127.0.0.0/8, ::1, ``localhost``): a
  rehearsal's stand-ins and the tests' servers live there, and nothing else is reachable
  in clear without a token crossing a network;
- **no user info** in a configured URL (``https://user:token@host/``): that is a token in
  git history and in every log line that names the URL. Where a URL is shown, its user
  info is replaced by ``***``.

Standard library only: the configuration (which the hatch build hook reads in every build)
validates its URLs with these functions.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "HAS_CREDENTIALS",
    "NOT_HTTP",
    "NOT_VALID",
    "PLAIN_HTTP",
    "invalid_because",
    "is_loopback",
    "redact_url",
    "unsafe_reason",
    "without_userinfo",
]

# The reasons :func:`unsafe_reason` gives, named so that a caller can word its own message
# for one of them (the configuration says "uses http://", an index read "refusing http URL").
NOT_VALID = "is not a valid URL"
HAS_CREDENTIALS = "has credentials in it"
PLAIN_HTTP = "is plain http on a non-loopback host"
NOT_HTTP = "is not an http(s) URL"

# The user info of a URL: from after "scheme://" (or the start) up to the authority's last
# "@"; the authority ends at the first "/", "?" or "#".
_USERINFO = r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#]*@"  # compiled on first use


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address: the only hosts plain http:// may reach."""
    if host == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redact_url(text: str) -> str:
    """``text`` (a URL, or a message that starts with one) with its ``user:password@`` as
    ``***@``.

    An ssh-style user without a password (``ssh://git@github.com/…``, ``git@host:o/r``) is
    no secret and is kept, so a git remote stays recognisable.
    """
    match = re.match(_USERINFO, text)
    if match is None:
        return text
    userinfo = text[match.end(1) if match.group(1) else 0 : match.end() - 1]
    scheme = text.split(":", 1)[0].lower() if match.group(1) else ""
    if ":" not in userinfo and not scheme.startswith("http"):
        return text
    return f"{match.group(1) or ''}***@{text[match.end() :]}"


def without_userinfo(url: str) -> str:
    """``url`` minus any ``user:password@``: for a request that must go out anonymous.

    Unlike :func:`redact_url` (which is for showing a URL), the result is still the URL to
    request, so nothing stands in for what was removed.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def invalid_because(url: str) -> str | None:
    """urllib's own words for why ``url`` does not parse (a port that is not a number, a
    broken IPv6 literal); ``None`` when it parses. For a message that says more than
    :data:`NOT_VALID`."""
    try:
        urlsplit(url).port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return str(exc)
    return None


def unsafe_reason(url: str) -> str | None:
    """Why releasekit must not send a request (or a token) to ``url``; ``None`` when it may.

    The reason is a phrase for the caller's message (one of :data:`NOT_VALID`,
    :data:`HAS_CREDENTIALS`, :data:`PLAIN_HTTP`, :data:`NOT_HTTP`, checked in that order);
    the caller shows the URL through :func:`redact_url` and raises its own error.
    """
    if invalid_because(url) is not None:
        return NOT_VALID
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return HAS_CREDENTIALS
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        return None if is_loopback(parts.hostname) else PLAIN_HTTP
    return NOT_HTTP

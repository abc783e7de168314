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
from urllib.parse import urlsplit

__all__ = ["is_loopback", "redact_url", "unsafe_reason"]

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


def unsafe_reason(url: str) -> str | None:
    """Why releasekit must not send a request (or a token) to ``url``; ``None`` when it may.

    The reason is a phrase for the caller's message ("is plain http on a non-loopback
    host"); the caller shows the URL through :func:`redact_url` and raises its own error.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "is not a valid URL"
    if "@" in parts.netloc:
        return "has credentials in it"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        return None if is_loopback(parts.hostname) else "is plain http on a non-loopback host"
    return "is not an http(s) URL"

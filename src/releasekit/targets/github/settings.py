"""Where a GitHub release goes, and the URL rules the token is held to.

:class:`Settings` is read once from GitHub's own variables (``GITHUB_REPOSITORY``, else the
``origin`` remote; ``GITHUB_API_URL``; ``GITHUB_TOKEN``) and never shows the token in a
repr or a message. The token is only ever sent over https (or http to loopback), and an
upload only to the API's own host or its ``uploads`` sibling (:func:`upload_target`).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from releasekit.core import secret_env, urls
from releasekit.errors import ReleasekitError

__all__ = ["DEFAULT_API_URL", "GitHubError", "Settings", "parse_remote_url", "upload_target"]

DEFAULT_API_URL = "https://api.github.com"
_DEFAULT_TIMEOUT = 60.0
_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_UPLOAD_PATH_RE = re.compile(
    r"^(?P<base>.*/)repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/releases/(?P<id>[0-9]+)/assets$"
)


class GitHubError(ReleasekitError):
    """GitHub refused or could not be reached, or what it holds conflicts with the build.

    ``status`` is the HTTP status when GitHub answered one (``None`` otherwise), so a front
    end or a test can tell a refused token from a conflict without parsing the message.
    """

    def __init__(self, message: str, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Where the release goes and with which token, read once from GitHub's own variables.

    The names are those GitHub Actions sets (``GITHUB_TOKEN`` by ``env:``, the other two
    always), so the step needs no configuration of its own in a workflow; elsewhere the
    repository comes from the ``origin`` remote.
    """

    owner: str
    repo: str
    api_url: str
    token: str | None = field(default=None, repr=False, compare=False)
    repository_source: str = "GITHUB_REPOSITORY"
    timeout: float = _DEFAULT_TIMEOUT

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def journal_url(self) -> str:
        """The repository's API URL: what the journal keys this repository's releases by."""
        return f"{self.api_url}/repos/{self.owner}/{self.repo}"

    @property
    def is_github_com(self) -> bool:
        return urlsplit(self.api_url).hostname == "api.github.com"

    def __repr__(self) -> str:
        token = "set" if self.token else "not set"
        return (
            f"Settings(repository={self.repository!r}, api_url={self.api_url!r}, "
            f"token={token}, repository_source={self.repository_source!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str], root: Path | str) -> Settings:
        """``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` (else the ``origin`` remote of the git
        repository at ``root``) and ``GITHUB_API_URL`` (else ``https://api.github.com``, or
        ``https://<host>/api/v3`` when the remote is a GitHub Enterprise Server host).

        A missing token is not an error here: a dry run or a rehearsal can still say what
        it would do. :func:`publish_github_release` refuses to write without one.
        """
        token = _token(environ.get("GITHUB_TOKEN", ""))
        api_env = environ.get("GITHUB_API_URL", "").strip()
        repository = environ.get("GITHUB_REPOSITORY", "").strip()
        remote_host: str | None = None
        if repository:
            if not _REPOSITORY_RE.match(repository):
                raise GitHubError(
                    f"GITHUB_REPOSITORY is {repository!r}, not OWNER/NAME",
                    "set GITHUB_REPOSITORY to the repository's owner and name, e.g. "
                    "`octo-org/octo-repo`, or unset it to use the origin remote",
                )
            owner, repo = repository.split("/")
            source = "GITHUB_REPOSITORY"
        else:
            url = _origin_url(root)
            if url is None:
                raise GitHubError(
                    f"no GitHub repository to release to: GITHUB_REPOSITORY is not set and "
                    f"the git repository at {root} has no `origin` remote",
                    "set GITHUB_REPOSITORY=OWNER/NAME (GitHub Actions sets it), or add the "
                    "remote: `git remote add origin https://github.com/OWNER/NAME.git`",
                )
            parsed = parse_remote_url(url)
            if parsed is None:
                raise GitHubError(
                    f"the origin remote {_redact_url(url)} is not a GitHub repository URL",
                    "set GITHUB_REPOSITORY=OWNER/NAME (and GITHUB_API_URL for GitHub "
                    "Enterprise Server)",
                )
            remote_host, owner, repo = parsed
            source = f"origin remote {_redact_url(url)}"
        if api_env:
            api_url = api_env
        elif remote_host is not None and remote_host.lower() not in (
            "github.com",
            "www.github.com",
        ):
            api_url = f"https://{remote_host}/api/v3"
        else:
            api_url = DEFAULT_API_URL
        _check_url(api_url, "GITHUB_API_URL")
        return cls(
            owner=owner,
            repo=repo,
            api_url=api_url.rstrip("/"),
            token=token,
            repository_source=source,
        )


def _token(raw: str) -> str | None:
    """``GITHUB_TOKEN`` without surrounding whitespace, ``None`` when empty.

    A control character inside it (a newline from pasting two values, a ``\\r`` from a
    Windows file) cannot go into an HTTP header: the request would fail as "could not reach
    GitHub (LocalProtocolError)". Said here instead, naming what is wrong and never the token.
    """
    token = raw.strip()
    bad = next((c for c in token if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        what = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab"}.get(
            bad, f"a control character (U+{ord(bad):04X})"
        )
        raise GitHubError(
            f"GITHUB_TOKEN contains {what}",
            "set it to the token alone, on one line (check how the secret was pasted or "
            "read from a file)",
        )
    if any(c.isspace() for c in token):
        raise GitHubError(
            "GITHUB_TOKEN contains a space",
            "set it to the token alone (check how the secret was pasted or read from a file)",
        )
    return token or None


def parse_remote_url(url: str) -> tuple[str, str, str] | None:
    """``(host, owner, repo)`` of a git remote URL that names a GitHub-style repository.

    Understands what ``git clone`` is given for github.com and GitHub Enterprise Server:
    ``https://host/OWNER/REPO(.git)``, ``ssh://git@host(:port)/OWNER/REPO(.git)``,
    ``git@host:OWNER/REPO(.git)`` and ``git://host/OWNER/REPO``. Anything else (a local
    path, a URL with more path segments) is ``None``: guessing wrong would publish to
    another repository.
    """
    url = url.strip()
    scp = re.match(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^/].*)$", url)
    if "://" not in url and scp:
        host, path = scp.group("host"), scp.group("path")
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh", "ssh+git"):
            return None
        if not parts.hostname:
            return None
        host, path = parts.hostname, unquote(parts.path)
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    segments = path.split("/")
    if len(segments) != 2 or not all(segments):
        return None
    owner, repo = segments
    if not _REPOSITORY_RE.match(f"{owner}/{repo}"):
        return None
    return host, owner, repo


def _origin_url(root: Path | str) -> str | None:
    """The fetch URL of ``origin`` at ``root``, or ``None`` (no git, no repo, no remote).

    git gets no credential (``GITHUB_TOKEN`` included: it runs user-configured programs)."""
    env = {k: v for k, v in secret_env.scrub(os.environ).items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    url = done.stdout.strip()
    return url if done.returncode == 0 and url else None


def _redact_url(url: str) -> str:
    """``url`` without the credentials an https remote sometimes carries
    (``https://x-access-token:TOKEN@github.com/...``); ``ssh://git@host`` stays as it is.
    :func:`releasekit.core.urls.redact_url`, under the name this module's callers use."""
    return urls.redact_url(url)


def _check_url(
    url: str,
    what: str,
    hint: str = "set it to the API root, e.g. https://api.github.com or https://HOST/api/v3",
) -> None:
    """Refuse a URL the token would leak through: only https, or http to loopback
    (:func:`releasekit.core.urls.unsafe_reason`'s rule, which also refuses user info in it)."""
    if urls.unsafe_reason(url) is None:
        return
    raise GitHubError(
        f"{what} is {_redact_url(url)!r}: releasekit sends the token only over https",
        hint,
    )


def upload_target(upload_url: str, api_url: str) -> tuple[str, str, str, int]:
    """``(base_url, owner, repo, release_id)`` to post assets to, from a release's
    ``upload_url`` (``https://uploads.github.com/repos/O/R/releases/ID/assets{?name,label}``).

    The upload host is not the API host on github.com (``uploads.github.com``) nor on GHES
    (``<host>/api/uploads``), so it is taken from the release. The token goes there too, so
    the host must belong to the API's: the same host, or a sibling under the same parent
    domain (``api.X`` / ``uploads.X``).
    """
    url = re.sub(r"\{[^}]*\}$", "", upload_url)
    parts = urlsplit(url)
    match = _UPLOAD_PATH_RE.match(parts.path)
    if not match or not parts.hostname:
        raise GitHubError(
            f"GitHub gave an upload_url releasekit does not understand: {url!r}",
            "this is a bug in releasekit or an unusual GitHub server; report it",
        )
    _check_url(
        url,
        "the release's upload_url",
        "check GITHUB_API_URL: it must be the https API of the server that holds the repository",
    )
    api_host = (urlsplit(api_url).hostname or "").lower()
    upload_host = parts.hostname.lower()
    if upload_host != api_host and _parent(upload_host) != _parent(api_host):
        raise GitHubError(
            f"GitHub gave an upload_url on {upload_host}, which is not the API's host "
            f"({api_host}); releasekit does not send the token there",
            "check GITHUB_API_URL: it must be the API of the server that holds the repository",
        )
    base = parts._replace(path=match.group("base"), query="", fragment="").geturl()
    return base, unquote(match.group("owner")), unquote(match.group("repo")), int(match.group("id"))


def _parent(host: str) -> str:
    first, _, rest = host.partition(".")
    return rest if first in ("api", "uploads") and "." in rest else host

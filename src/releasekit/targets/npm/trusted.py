"""Which credential an npm publish uses, decided before anything runs, and npm's OIDC exchange.

What npm 11.19.1 does (``lib/utils/oidc.js``, called by ``lib/commands/publish.js`` for
``npm publish`` and ``npm stage publish`` alike, right before it looks for credentials):

- only in CI as ``ci-info`` sees it (``GITHUB_ACTIONS``, ``GITLAB_CI``, CircleCI);
- the ID token is ``NPM_ID_TOKEN`` when set (GitLab's ``id_tokens``, any CI), else on GitHub
  Actions ``GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=npm:<registry host>`` with
  ``Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN``, answered ``{"value": <jwt>}``;
- the exchange is ``POST /-/npm/v1/oidc/token/exchange/package/<escaped name>`` (resolved
  against the registry URL, so at the host's root), with the ID token as the bearer token,
  answered ``{"token": ...}``: a short-lived token for that one package;
- **every failure is silent** (``log.verbose``): npm then publishes with whatever token its
  config has, or fails with ENEEDAUTH, and the registry's answer is lost.

So releasekit does the exchange itself, in the publishing process, before npm starts:

- the plan knows which credential it uses (:func:`plan_auth`): trusted publishing where the
  job can mint an ID token (unless ``npm-trusted-publishing = false``; unset, it is on for
  registry.npmjs.org only: :class:`releasekit.targets.npm.NpmRegistryTarget`), else
  ``NODE_AUTH_TOKEN``;
- a refused exchange is a :class:`~releasekit.errors.PublishError` naming the package, the
  registry's answer and the fix, and nothing is published (the plan tries the exchange
  for every member before the first upload);
- the short-lived token reaches the one npm process only, in its environment (the temporary
  ``.npmrc`` references the variable), never on a command line, in a file or in output; that
  npm process never sees ``NODE_AUTH_TOKEN``, so no fallback to a long-lived token exists.
"""

from __future__ import annotations

import functools
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from releasekit.core.secret_env import OIDC_VARIABLES
from releasekit.errors import PublishError
from releasekit.runtime import net, proc

__all__ = [
    "GITLAB_ID_TOKEN",
    "NPM_OIDC_MINIMUM",
    "NPM_STAGE_MINIMUM",
    "OIDC_TOKEN_ENV",
    "NpmAuth",
    "exchange",
    "exchange_url",
    "id_token",
    "npm_version",
    "plan_auth",
    "version_refusal",
]

GITLAB_ID_TOKEN = "NPM_ID_TOKEN"  # GitLab's id_tokens variable npm reads (any CI)
# where the exchanged token waits for the one npm process (a name proc.run scrubs anywhere else)
OIDC_TOKEN_ENV = "RELEASEKIT_NPM_OIDC_TOKEN"
NPM_OIDC_MINIMUM = (11, 5, 1)  # npm's trusted publishing (docs.npmjs.com/trusted-publishers)
NPM_STAGE_MINIMUM = (11, 15, 0)  # `npm stage publish`
_HTTP_TIMEOUT = 30.0
_HINT_TRUSTED = (
    "configure a trusted publisher for {name} on npmjs.com (the package's Settings, Trusted "
    "publishing: this repository and workflow file, or this GitLab project), or set "
    "npm-trusted-publishing = false to publish with NODE_AUTH_TOKEN instead"
)


@dataclass(frozen=True)
class NpmAuth:
    """The credential a publish will use: ``oidc`` (trusted publishing; ``ci`` says whose
    ID token), ``token`` (``NODE_AUTH_TOKEN``), or ``None`` (nothing to publish with)."""

    method: Literal["oidc", "token"] | None
    ci: str = ""  # "GitHub Actions", "NPM_ID_TOKEN"
    token_env: str = "NODE_AUTH_TOKEN"

    def said(self) -> str:
        """How the plan names it."""
        if self.method == "oidc":
            return f"trusted publishing (OIDC, {self.ci})"
        if self.method == "token":
            return f"token from {self.token_env}"
        return "no credential"


def plan_auth(environ: Mapping[str, str], *, trusted_publishing: bool = True) -> NpmAuth:
    """Which credential the publish uses, decided before anything runs.

    Trusted publishing wins where the job can mint an ID token, as in npm (whose exchange
    replaces a configured token): ``actions/setup-node`` sets ``NODE_AUTH_TOKEN`` to a
    placeholder in every job that names a registry, so a token being set says little.
    ``NPM_ID_TOKEN`` first, as npm reads it first.
    """
    if trusted_publishing:
        if environ.get(GITLAB_ID_TOKEN):
            return NpmAuth("oidc", GITLAB_ID_TOKEN)
        if all(environ.get(name) for name in OIDC_VARIABLES):
            return NpmAuth("oidc", "GitHub Actions")
    if environ.get("NODE_AUTH_TOKEN"):
        return NpmAuth("token")
    return NpmAuth(None)


def id_token(auth: NpmAuth, registry: str, environ: Mapping[str, str]) -> str:
    """The CI's ID token for ``npm:<registry host>``, as npm asks for it."""
    direct = environ.get(GITLAB_ID_TOKEN)
    if direct:
        return direct
    request_url, request_token = (environ.get(name, "") for name in _REQUEST_PAIR)
    audience = f"npm:{urlsplit(registry).hostname}"
    sep = "&" if urlsplit(request_url).query else "?"
    url = f"{request_url}{sep}audience={urllib.parse.quote(audience, safe='')}"
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "Authorization": f"Bearer {request_token}"}
    )
    what = f"GitHub Actions' ID token for {audience}"
    data = net.read_json(request, f"cannot get {what}", "give the job `permissions: id-token: "
                         "write`", timeout=_HTTP_TIMEOUT, retry_hint="rerun the job")  # fmt: skip
    value = data.get("value") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise PublishError(f"{what}: the answer has no value", "rerun the job")
    return value


# ACTIONS_ID_TOKEN_REQUEST_URL, then _TOKEN (OIDC_VARIABLES lists the token first)
_REQUEST_PAIR = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


def exchange_url(registry: str, name: str) -> str:
    """npm's exchange endpoint for ``name``: at the registry host's root (npm resolves the
    absolute path against the registry URL), the name escaped as npm escapes it."""
    return urljoin(registry, f"/-/npm/v1/oidc/token/exchange/package/{name.replace('/', '%2f')}")


def exchange(registry: str, name: str, token: str) -> str:
    """The registry's short-lived publish token for ``name`` in exchange for the ID token;
    a refusal is an error naming the package and quoting the registry."""
    url = exchange_url(registry, name)
    request = urllib.request.Request(
        url,
        data=b"",
        method="POST",
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
    )
    hint = _HINT_TRUSTED.format(name=name)

    def refused(status: int, said: str) -> tuple[str, str]:
        return (
            f"npm trusted publishing for {name} was refused: {registry} answered HTTP "
            f"{status}{': ' + said if said else ''}; nothing was published",
            hint,
        )

    body = net.read_json(
        request, f"npm trusted publishing for {name}: cannot exchange the ID token at {url}",
        hint, timeout=_HTTP_TIMEOUT, refused=refused,
        retry_hint="is the registry reachable? rerun the job",
    )  # fmt: skip
    published = body.get("token") if isinstance(body, dict) else None
    if not isinstance(published, str) or not published:
        raise PublishError(
            f"npm trusted publishing for {name}: {registry} answered without a token", hint
        )
    return published


@functools.lru_cache(maxsize=1)
def npm_version() -> tuple[int, ...] | None:
    """The npm CLI's version (``npm --version``), once per process; ``None``: not found."""
    try:
        text = proc.run(["npm", "--version"], what="npm --version", timeout=60)
    except PublishError:
        return None
    except Exception:
        return None
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(part) for part in match.groups()) if match else None


def version_refusal(
    version: tuple[int, ...] | None, *, oidc: bool, stage: bool
) -> tuple[str, str] | None:
    """(message, hint) when the npm CLI is too old for what the plan uses."""
    needs = [
        (minimum, what)
        for minimum, what, used in (
            (NPM_OIDC_MINIMUM, "trusted publishing", oidc),
            (NPM_STAGE_MINIMUM, "npm stage publish", stage),
        )
        if used
    ]
    if not needs:
        return None
    minimum, what = max(needs)
    spelled = ".".join(map(str, minimum))
    if version is None:
        return (f"cannot tell the npm CLI's version ({what} needs npm >= {spelled})",
                f"install npm >= {spelled} (npm install -g npm@11)")  # fmt: skip
    if version < minimum:
        have = ".".join(map(str, version))
        return (
            f"npm {have} is too old for {what} (npm >= {spelled})",
            f"install npm >= {spelled} in the job (npm install -g npm@11)",
        )
    return None

"""Where each upload's credentials come from, and which process may see them: one module.

The rules, target by target:

- **A PyPI-style index** (``test``, ``prod``): ``RELEASEKIT_<NAME>_PASSWORD`` (and
  ``_USERNAME``, default ``__token__``), else twine's own ``TWINE_PASSWORD``, else trusted
  publishing: GitHub Actions' OIDC request pair (``ACTIONS_ID_TOKEN_REQUEST_URL`` and
  ``_TOKEN``, with ``permissions: id-token: write``), or GitLab's ID token, which GitLab
  hands over in a variable named after the token's audience (``<AUD>_ID_TOKEN``; twine
  reads ``PYPI_ID_TOKEN`` for PyPI and ``TESTPYPI_ID_TOKEN`` for TestPyPI). So
  ``PYPI_ID_TOKEN`` is no credential for TestPyPI, an index that is neither has no known
  audience, and ``SIGSTORE_ID_TOKEN`` (the signing identity) is none for any upload.
- **The npm registry**: npm's trusted publishing where the job can mint an ID token (the same
  GitHub OIDC pair, or ``NPM_ID_TOKEN``), else ``NODE_AUTH_TOKEN``
  (:func:`releasekit.targets.npm.trusted.plan_auth` decides, for the plan).
- **GitHub**: ``GITHUB_TOKEN``.

The upload to one target gets that target's credentials in its one process and nothing
else: :func:`index_upload_env` picks them out of the environment that holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from releasekit.core.config import IndexConfig
from releasekit.core.secret_env import OIDC_VARIABLES

__all__ = [
    "OIDC_VARIABLES",
    "Credentials",
    "github_oidc",
    "index_audience",
    "index_credentials",
    "index_upload_env",
    "npm_credentials",
    "twine_credentials",
]

# The audience PyPI's and TestPyPI's trusted publishing tokens are minted for, by upload
# host: twine asks the index (`/_/oidc/audience`) and then reads `<AUD>_ID_TOKEN` on GitLab.
_AUDIENCES = {"upload.pypi.org": "pypi", "test.pypi.org": "testpypi"}


@dataclass(frozen=True)
class Credentials:
    """Whether an upload to a target can authenticate, and what to do when it cannot."""

    present: bool
    hint: str = ""
    how: str = ""  # "token", "trusted publishing", ...: said in the plan
    trusted: bool = False  # trusted publishing (OIDC): an identity attestations can be signed by
    said: str = ""  # what the plan says of how it will publish ("": nothing)


def github_oidc(environ: Mapping[str, str]) -> bool:
    """GitHub Actions can mint an OIDC token for this job (``id-token: write``)."""
    return all(environ.get(name) for name in OIDC_VARIABLES)


def index_audience(publish_url: str) -> str | None:
    """The trusted-publishing audience of an upload URL (``pypi``, ``testpypi``), or ``None``
    for an index that has no known one."""
    return _AUDIENCES.get((urlsplit(publish_url).hostname or "").lower())


def _gitlab_variable(publish_url: str) -> str | None:
    audience = index_audience(publish_url)
    return f"{audience.upper()}_ID_TOKEN" if audience else None


def twine_credentials(index: IndexConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """twine's credentials from ``RELEASEKIT_<NAME>_PASSWORD`` (+ ``_USERNAME``), or ``{}``.

    ``{}`` leaves twine to its own resolution (``TWINE_*``, keyring, trusted publishing in
    CI). An empty password counts as unset: a CI secret that is not defined expands to "",
    and that must not stop trusted publishing from working.
    """
    password = environ.get(f"{index.env_prefix}_PASSWORD", "")
    if not password:
        return {}
    username = environ.get(f"{index.env_prefix}_USERNAME", "") or "__token__"
    return {"TWINE_USERNAME": username, "TWINE_PASSWORD": password}


def index_credentials(index: IndexConfig, environ: Mapping[str, str]) -> Credentials:
    """Whether twine can authenticate an upload to ``index``."""
    env_prefix = index.env_prefix
    if environ.get(f"{env_prefix}_PASSWORD") or environ.get("TWINE_PASSWORD"):
        return Credentials(True, how="token")
    if github_oidc(environ):
        return Credentials(True, how="trusted publishing (GitHub Actions)", trusted=True)
    gitlab = _gitlab_variable(index.publish_url)
    if gitlab is not None and environ.get(gitlab):
        return Credentials(True, how=f"trusted publishing ({gitlab})", trusted=True)
    also = (
        f", or on GitLab an ID token with aud {gitlab[:-9].lower()} in {gitlab}" if gitlab else ""
    )
    return Credentials(
        False,
        hint=(
            f"set {env_prefix}_PASSWORD (an API token; {env_prefix}_USERNAME defaults to "
            "__token__), or run in CI with trusted publishing (GitHub Actions: permissions: "
            f"id-token: write{also})"
        ),
    )


def index_upload_env(index: IndexConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """The credentials the twine upload to one index gets, on top of the scrubbed environment.

    :func:`releasekit.runtime.proc.run` starts every process without credentials; this is the one
    exception, made for one process: the index's own ``RELEASEKIT_<NAME>_PASSWORD`` as
    ``TWINE_USERNAME``/``TWINE_PASSWORD`` (the other index's never), else twine's own
    variables (``TWINE_*``: the user chose them for twine), and the CI's trusted-publishing
    identity for this index (GitHub's OIDC request pair, GitLab's ``<AUD>_ID_TOKEN`` of this
    index's audience only), which twine uses only when no password is set.
    """
    gitlab = _gitlab_variable(index.publish_url)
    env = {
        name: value
        for name, value in environ.items()
        if name.upper().startswith("TWINE_") or name in OIDC_VARIABLES or name == gitlab
    }
    env.update(twine_credentials(index, environ))
    return env


def npm_credentials(environ: Mapping[str, str]) -> Credentials:
    """Whether ``npm publish`` can authenticate: a token, or npm's trusted publishing."""
    if environ.get("NODE_AUTH_TOKEN"):
        return Credentials(True, how="token")
    if github_oidc(environ):
        return Credentials(True, how="trusted publishing (GitHub Actions)")
    return Credentials(
        False,
        hint=(
            "set NODE_AUTH_TOKEN to an npm automation token (actions/setup-node uses it), "
            "or publish from GitHub Actions with id-token: write (npm trusted publishing)"
        ),
    )

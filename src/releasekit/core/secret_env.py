"""Which environment variables hold a credential, stated once.

Every process releasekit starts gets the environment without them, except the one process
that uploads to a target, which gets that target's own (:mod:`releasekit.runtime.credentials`).
git is no exception: it runs programs a user configured (fsmonitor, credential helpers,
textconv, ``core.sshCommand``), and releasekit starts it hundreds of times in a workspace
release. Standard library only: the hatch build hook starts git too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["OIDC_VARIABLES", "is_secret", "scrub"]

# GitHub Actions' trusted publishing: with `id-token: write` the job gets a URL and a bearer
# token to ask for an OIDC token. Only the uploads need them (twine >= 6.1 and npm >= 11.5
# do the exchange themselves); to everything else they are a credential like any other.
OIDC_VARIABLES = ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL")
_RELEASEKIT_CREDENTIAL = re.compile(r"RELEASEKIT_\w+_(USERNAME|PASSWORD)")


def is_secret(name: str) -> bool:
    """Whether the environment variable ``name`` holds a credential no child should inherit.

    ``RELEASEKIT_<INDEX>_PASSWORD`` and ``_USERNAME``, every ``TWINE_*`` (twine's own
    resolution reads them: only twine upload may), anything ending in ``_TOKEN``,
    ``_PASSWORD`` or ``_JWT`` (``GITHUB_TOKEN``, ``NODE_AUTH_TOKEN``, ``PYPI_API_TOKEN``,
    GitLab's ``PYPI_ID_TOKEN`` and its ``CI_JOB_JWT``, ...), GitLab's ``CI_JOB_JWT_V1``/``_V2``
    and :data:`OIDC_VARIABLES`. Case-insensitive: Windows names are, and a lower-case
    ``pypi_token`` is a token too.
    """
    upper = name.upper()
    return (
        upper.startswith("TWINE_")
        or upper.endswith(("_TOKEN", "_PASSWORD", "_JWT"))
        or upper.startswith("CI_JOB_JWT")
        or upper in OIDC_VARIABLES
        or _RELEASEKIT_CREDENTIAL.fullmatch(upper) is not None
    )


def scrub(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``environ`` without the variables :func:`is_secret` names."""
    return {name: value for name, value in environ.items() if not is_secret(name)}

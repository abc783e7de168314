"""A PyPI-style index as a release target: what it holds, and whether we may write to it.

The adapter between the pure plan (:mod:`releasekit.plan`) and the simple-API reader
(:mod:`releasekit.index`): one read of the project's page becomes a :class:`TargetState`.
"""

from __future__ import annotations

from collections.abc import Mapping

from releasekit.config import IndexConfig
from releasekit.plan import RemoteView, TargetState

__all__ = ["has_credentials", "read_target"]

# Trusted publishing: GitHub Actions hands the job an OIDC request URL (with
# `permissions: id-token: write`); GitLab passes the ID token itself in a variable the job
# names, conventionally PYPI_ID_TOKEN / TESTPYPI_ID_TOKEN.
_OIDC_MARKERS = ("ACTIONS_ID_TOKEN_REQUEST_URL",)


def read_target(index: IndexConfig, project: str) -> TargetState:
    """What ``index`` serves for ``project`` now: files with sha256 (and upload time, and
    the project status, where the index serves them)."""
    from releasekit import index as index_api

    page = index_api.project_page(index.url, project)
    return TargetState(
        files={
            name: RemoteView(remote.sha256, remote.upload_time)
            for name, remote in page.files.items()
        },
        status=page.status,
        status_reason=page.status_reason,
    )


def has_credentials(index: IndexConfig, environ: Mapping[str, str]) -> bool:
    """Whether an upload to ``index`` can authenticate: a password for it (or twine's own
    variable), or a trusted-publishing identity in CI."""
    if environ.get(f"{index.env_prefix}_PASSWORD") or environ.get("TWINE_PASSWORD"):
        return True
    if any(environ.get(marker) for marker in _OIDC_MARKERS):
        return True
    return any(key.endswith("_ID_TOKEN") and value for key, value in environ.items())

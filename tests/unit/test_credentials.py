"""Which variable is a credential for which upload, and which process sees it."""

from __future__ import annotations

import pytest

from releasekit.core.config import IndexConfig
from releasekit.runtime.credentials import (
    index_credentials,
    index_upload_env,
    npm_credentials,
)

PYPI = IndexConfig("prod", "https://pypi.org/simple/", "https://upload.pypi.org/legacy/")
TESTPYPI = IndexConfig("test", "https://test.pypi.org/simple/", "https://test.pypi.org/legacy/")
OTHER = IndexConfig("prod", "https://pypi.example/simple/", "https://pypi.example/upload/")
GITHUB_OIDC = {
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc.example/t?x=1",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-token-1234",
}


@pytest.mark.parametrize(
    ("index", "environ", "present"),
    [
        (PYPI, {"RELEASEKIT_PROD_PASSWORD": "pypi-token"}, True),
        (PYPI, {"RELEASEKIT_TEST_PASSWORD": "pypi-token"}, False),  # the other index's
        (PYPI, {"TWINE_PASSWORD": "x"}, True),  # twine's own, the user's choice
        (PYPI, GITHUB_OIDC, True),  # trusted publishing in GitHub Actions
        (PYPI, {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc.example/t"}, False),  # half
        (PYPI, {"PYPI_ID_TOKEN": "gitlab"}, True),  # GitLab: aud pypi
        (TESTPYPI, {"PYPI_ID_TOKEN": "gitlab"}, False),  # not TestPyPI's audience
        (TESTPYPI, {"TESTPYPI_ID_TOKEN": "gitlab"}, True),
        (PYPI, {"TESTPYPI_ID_TOKEN": "gitlab"}, False),
        (OTHER, {"PYPI_ID_TOKEN": "gitlab"}, False),  # an index with no known audience
        (PYPI, {"SIGSTORE_ID_TOKEN": "signing"}, False),  # the signing identity
        (TESTPYPI, {"SIGSTORE_ID_TOKEN": "signing"}, False),
        (PYPI, {"RELEASEKIT_PROD_PASSWORD": ""}, False),  # an undefined CI secret
    ],
)
def test_what_counts_as_a_credential_for_an_index(
    index: IndexConfig, environ: dict[str, str], present: bool
) -> None:
    assert index_credentials(index, environ).present is present


def test_the_hint_says_what_to_set_for_that_index() -> None:
    hint = index_credentials(PYPI, {}).hint
    assert "RELEASEKIT_PROD_PASSWORD" in hint and "RELEASEKIT_PROD_USERNAME" in hint
    assert "id-token: write" in hint and "PYPI_ID_TOKEN" in hint and "aud pypi" in hint
    assert "PYPI_ID_TOKEN" not in index_credentials(OTHER, {}).hint


def test_each_gitlab_token_reaches_only_the_upload_to_its_own_index() -> None:
    environ = {
        "PYPI_ID_TOKEN": "for-pypi",
        "TESTPYPI_ID_TOKEN": "for-testpypi",
        "SIGSTORE_ID_TOKEN": "for-signing",
        **GITHUB_OIDC,
    }
    to_pypi = index_upload_env(PYPI, environ)
    to_test = index_upload_env(TESTPYPI, environ)
    assert to_pypi["PYPI_ID_TOKEN"] == "for-pypi" and "TESTPYPI_ID_TOKEN" not in to_pypi
    assert to_test["TESTPYPI_ID_TOKEN"] == "for-testpypi" and "PYPI_ID_TOKEN" not in to_test
    assert not {"SIGSTORE_ID_TOKEN"} & (set(to_pypi) | set(to_test))
    assert all(to_pypi[k] == v for k, v in GITHUB_OIDC.items())


def test_npm_takes_a_token_or_trusted_publishing() -> None:
    assert npm_credentials({"NODE_AUTH_TOKEN": "npm_x"}).present
    assert npm_credentials(GITHUB_OIDC).present
    missing = npm_credentials({"RELEASEKIT_PROD_PASSWORD": "x"})
    assert not missing.present and "NODE_AUTH_TOKEN" in missing.hint

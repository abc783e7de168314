"""The real ``hatch`` and uv-driven builds, set apart from this machine's configuration.

``hatch_env`` is session-scoped: hatch's data and cache dirs are made once per pytest process
(per xdist worker) and shared by every test that runs ``hatch``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping

import pytest

from tests.helpers.projects import Project


def isolated(build_env: Mapping[str, str]) -> dict[str, str]:
    """For uv-driven builds and installs: releasekit from the wheelhouse, no uv config files."""
    return {**build_env, "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never"}


@pytest.fixture(scope="session")
def hatch_env(
    build_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Environment for the real ``hatch``: its own data and cache dirs, shared by the session."""
    if shutil.which("hatch") is None:
        pytest.skip("hatch is not installed")
    home = tmp_path_factory.mktemp("hatch")
    (home / "config.toml").write_text("")  # hatch's defaults, not this machine's config
    return {
        **isolated(build_env),
        "HATCH_DATA_DIR": str(home / "data"),
        "HATCH_CACHE_DIR": str(home / "cache"),
        "HATCH_CONFIG": str(home / "config.toml"),
    }


def hatch(project: Project, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``hatch args`` in the project, stdout and stderr apart."""
    return subprocess.run(
        ["hatch", *args],
        cwd=project.path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )

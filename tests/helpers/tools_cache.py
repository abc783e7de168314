"""One cache of releasekit's locked tool venvs (twine, pypiserver) for the whole test run.

releasekit keeps those venvs under the user cache dir, keyed by the lock, and shares them
between projects; every test points ``RELEASEKIT_CACHE_DIR`` at one directory that all xdist
workers of the run share, so the hundreds of sample projects the suite releases install each
lock once per run (releasekit itself holds an ``flock`` while it makes one), and nothing is
written to the home directory of whoever runs the tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.shared import once_per_run


@pytest.fixture(scope="session")
def releasekit_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's ``RELEASEKIT_CACHE_DIR`` (filled by releasekit as the tests need it)."""
    return once_per_run(tmp_path_factory, "releasekit-cache", lambda _: None)


@pytest.fixture(autouse=True)
def _shared_tools_cache(releasekit_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test, and every nox it starts, uses the run's cache of locked venvs."""
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(releasekit_cache))

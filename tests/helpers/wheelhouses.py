"""Wheelhouses that hold only what a build needs, for installers that see nothing else.

``hatchling_wheelhouse`` holds hatchling and its dependencies as wheels, and no releasekit:
an index as a distro packager's or a plain PyPI mirror's would be for a project whose sdist
asks for nothing but its backend. Downloaded once per run under the same name as the smoke
tests' copy (``smoke-wheelhouse``), so the two share one download.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.shared import once_per_run


def download_hatchling(path: Path) -> None:
    """hatchling and its dependencies, wheels only, into ``path``."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary", ":all:",
         "--dest", str(path), "hatchling"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"cannot download hatchling into a wheelhouse: {result.stderr[-300:]}")


def hatchling_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of :func:`download_hatchling`, made once per run."""
    return once_per_run(tmp_path_factory, "smoke-wheelhouse", download_hatchling)

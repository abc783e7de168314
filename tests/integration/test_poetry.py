"""A poetry-core project with no [project] table: its name and version from its backend.

The metadata comes from poetry-core itself (``prepare_metadata_for_build_wheel`` in an
isolated environment of its build requirements, installed from the index), so ``version``,
``check`` and a rehearsal work without a ``[project]`` table; ``bump`` writes
``[tool.poetry].version``, where poetry-core reads it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from releasekit.cli import main

pytestmark = pytest.mark.slow

PYPROJECT = """\
[tool.poetry]
name = "poetry-demo"
version = "0.3.0"
description = "A poetry-core project"
authors = ["A <a@example.invalid>"]
readme = "README.md"
packages = [{ include = "poetry_demo" }]

[tool.poetry.dependencies]
python = ">=3.9"

[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Tester", "-c", "user.email=t@example.invalid", *args],
        cwd=root, check=True, capture_output=True,
    )  # fmt: skip


def test_a_poetry_project_s_name_and_version_come_from_its_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "poetry-demo"
    (root / "poetry_demo").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "poetry_demo" / "__init__.py").write_text("")
    (root / "README.md").write_text("# poetry demo\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    git(root, "tag", "0.3.0")

    assert main(["-C", str(root), "version"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "poetry-demo 0.3.0"
    assert "  tag:     0.3.0 (from git tag at HEAD) matches" in out
    assert "  source:  the build backend (poetry)" in out

    assert main(["-C", str(root), "bump", "patch"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "0.3.0 -> 0.3.1"
    assert out[-1] == "  next: commit, then `git tag 0.3.1`"  # the project's tag style
    assert 'version = "0.3.1"' in (root / "pyproject.toml").read_text()

"""Release sessions on sample projects: the project, the ``nox`` run, what the indexes hold.

Shared by the end-to-end tests of the release sessions, bad input, the lock and signals,
and workspaces, so each of them runs the same template noxfile against the same kind of
project instead of a copy of it.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from releasekit.cli.init import template_text
from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.projects import Project, run, write_project

# The changelog of a sample project: the released version (``{version}``) has its section.
CHANGELOG = """# Changelog

## [{version}] - 2026-11-21

- Something new.

## [1.1.0] - 2026-01-02

- Something old.
"""


@pytest.fixture(scope="session")
def nox_envdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One envdir for every nox run: the tool venvs (build, twine) are made once.

    Once per pytest process: under xdist each worker has its own, as two nox runs must not
    create the same venv at the same time.
    """
    return tmp_path_factory.mktemp("nox-envs")


def release_project(
    root: Path,
    indexes: dict[str, LocalIndex],
    *,
    version: str = "1.2.0",
    policy: str = "both",
    tag: str | None = "v1.2.0",
    changelog_version: str | None = None,
    keys: str = "",
) -> Project:
    """A sample project with a changelog, the template noxfile and both local indexes.

    ``keys``: more ``[tool.releasekit]`` lines (e.g. ``'check-sessions = ["tests"]\\n'``).
    """
    tables = "\n".join(
        f'[tool.releasekit.indexes.{name}]\nurl = "{server.url}"\n'
        f'publish-url = "{server.publish_url}"\n'
        for name, server in indexes.items()
    )
    project = write_project(
        root / "demo",
        version=version,
        releasekit_table=(
            f'[tool.releasekit]\n{keys}pre-release = "{policy}"\npropagation-timeout = 10\n\n'
            f'[tool.releasekit.smoke]\ncommands = ["demo --version"]\n\n{tables}'
        ),
        git=False,
    )
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "A sample project"',
            'description = "A sample project"\nreadme = "README.md"',
        )
    )
    project.write("README.md", "# demo\n\nA sample project.\n")
    project.write("noxfile.py", template_text())
    project.write("CHANGELOG.md", CHANGELOG.format(version=changelog_version or version))
    project.write(".gitignore", "dist/\n.nox/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    if tag:
        project.tag(tag)
    return project


def nox(
    project: Project,
    envdir: Path,
    build_env: dict[str, str],
    *args: str,
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Run ``python -m nox ARGS`` in the project: its exit code and its whole output.

    The shared ``envdir`` keeps the tool venvs between runs; ``build_env`` lets isolated
    builds find releasekit in the wheelhouse.
    """
    proc = run(
        sys.executable,
        "-m",
        "nox",
        "--envdir",
        envdir,
        "--no-color",
        *args,
        cwd=project.path,
        env={**build_env, **(env or {})},
        check=False,
    )
    return proc.returncode, proc.stdout


def served(server: LocalIndex) -> dict[str, str]:
    """filename -> sha256 of what the index holds on disk."""
    root = server.packages_dir
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.iterdir()
        if p.suffix in (".whl", ".gz")
    }


def creds(indexes: dict[str, LocalIndex], **override: str) -> dict[str, str]:
    """The credential variables a release reads for each index (``override``: a password)."""
    env = {}
    for name, server in indexes.items():
        env[f"RELEASEKIT_{name.upper()}_USERNAME"] = server.username
        env[f"RELEASEKIT_{name.upper()}_PASSWORD"] = override.get(name, server.password)
    return env

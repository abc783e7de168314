"""Monorepos like the Event-Forge checklist's, for the workspace tests: a Python member that
points at both local indexes, verdaccio shared with the rehearsal, and nox at the root."""

from __future__ import annotations

import sys
from pathlib import Path

from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.npm import verdaccio_cache
from tests.helpers.projects import Project, run, write_project
from tests.helpers.sessions import CHANGELOG


def index_tables(indexes: dict[str, LocalIndex]) -> str:
    """``[tool.releasekit.indexes.*]`` tables naming the local test and prod indexes."""
    return "\n".join(
        f'[tool.releasekit.indexes.{name}]\nurl = "{server.url}"\n'
        f'publish-url = "{server.publish_url}"\n'
        for name, server in indexes.items()
    )


def python_member(
    path: Path, indexes: dict[str, LocalIndex], *, version: str, keys: str = "",
    name: str = "evforge",
) -> Project:  # fmt: skip
    """A Python package with a changelog, a README and a console script, pointing at both
    local indexes (``keys``: more ``[tool.releasekit]`` lines)."""
    project = write_project(
        path,
        name=name,
        version=version,
        releasekit_table=(
            f"[tool.releasekit]\n{keys}propagation-timeout = 10\n\n"
            f'[tool.releasekit.smoke]\ncommands = ["{name} --version"]\n\n' + index_tables(indexes)
        ),
        git=False,
    )
    project.write("CHANGELOG.md", CHANGELOG.format(version=version))
    pyproject = path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "A sample project"',
            'description = "A sample project"\nreadme = "README.md"',
        )
    )
    project.write("README.md", f"# {name}\n\nA sample project.\n")  # twine check --strict
    return project


def share_verdaccio(root: Path) -> None:
    """The rehearsal installs verdaccio under .nox/releasekit; reuse the tests' install."""
    state = root / ".nox" / "releasekit" / "rehearsal"
    state.mkdir(parents=True, exist_ok=True)
    (verdaccio_cache() / "verdaccio").mkdir(parents=True, exist_ok=True)
    (state / "verdaccio").symlink_to(verdaccio_cache() / "verdaccio")


def nox(project: Project, envdir: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """``nox ARGS`` at the project's root with the tests' envdir: (exit code, output)."""
    proc = run(
        sys.executable, "-m", "nox", "--envdir", envdir, "--no-color", *args,
        cwd=project.path, env=env, check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout

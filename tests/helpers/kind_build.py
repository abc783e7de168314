"""The Python kind's build on a sample project without nox: what ``nox -s build`` runs.

Shared by the tests that compare the bytes of two builds (a rehearsal's and the tag's).
"""

from __future__ import annotations

import hashlib
import sys
import textwrap
from pathlib import Path

from releasekit.core import git
from releasekit.core.config import load_config
from releasekit.engine.runcontext import Options, Project
from releasekit.kinds import kind_of
from tests.helpers.projects import Project as SampleProject


class Steps:
    """What the Python kind asks of the release it runs in: a logger and the tools (this
    interpreter has twine). The build itself is real."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def logger(self, project: Project) -> object:
        return self.lines.append

    def tools(self, project: Project) -> list[str]:
        return [sys.executable]


def kind_project(sample: SampleProject, **options: object) -> Project:
    """``sample`` as the release engine's project, with session ``options``."""
    config = load_config(sample.path)
    dist = sample.path / "dist"
    return Project(config, sample.name, dist, kind_of("python"), Options(**options))  # type: ignore[arg-type]


def built_hashes(dist: Path) -> dict[str, str]:
    """file name -> sha256 of the sdists and wheels in ``dist``."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(dist.iterdir())
        if p.name.endswith((".whl", ".tar.gz"))
    }


def kind_build(sample: SampleProject, **options: object) -> tuple[dict[str, str], list[str]]:
    """The Python kind's build of ``sample``: the files' sha256 and what it said."""
    project = kind_project(sample, **options)
    steps = Steps()
    tag = git.release_tag(sample.path, project.config.tag_prefix)
    project.kind.build(project, steps, tag)  # type: ignore[arg-type]
    return built_hashes(project.dist_dir), steps.lines


def setuptools_scm_sample(path: Path) -> SampleProject:
    """A setuptools project whose version comes from git tags (``[tool.setuptools_scm]``),
    written but not committed: pluggy's and setuptools-scm's own shape."""
    sample = SampleProject(path, path.name)
    sample.write("pyproject.toml", textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=64", "setuptools-scm>=8"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{path.name}"
        dynamic = ["version"]
        description = "A setuptools-scm project"
        readme = "README.md"
        requires-python = ">=3.9"

        [tool.setuptools_scm]
        """))  # fmt: skip
    sample.write("README.md", f"# {path.name}\n\nA sample.\n")
    sample.write(f"src/{path.name}/__init__.py", f'"""{path.name}."""\n')
    return sample

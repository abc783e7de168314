"""Fixtures that make real sample projects in real git repositories, and build them.

A session-scoped wheelhouse holds releasekit's own wheel, so an isolated build of a sample
project (``python -m build``) can install ``releasekit`` as a build requirement the way a
user's build installs it from PyPI.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.shared import once_per_run

REPO = Path(__file__).resolve().parents[2]

# Variables that would make a test see a release tag it did not set.
TAG_VARIABLES = (
    "RELEASEKIT_TAG",
    "RELEASEKIT_REQUIRE_TAG",
    "GITHUB_REF",
    "GITHUB_REF_TYPE",
    "GITHUB_REF_NAME",
    "CI_COMMIT_TAG",
    "CIRCLE_TAG",
    "BUILDKITE_TAG",
    "RELEASEKIT_TEST_PASSWORD",
    "RELEASEKIT_PROD_PASSWORD",
    "RELEASEKIT_TEST_USERNAME",
    "RELEASEKIT_PROD_USERNAME",
    "TWINE_USERNAME",
    "TWINE_PASSWORD",
    "TWINE_REPOSITORY_URL",
    "SOURCE_DATE_EPOCH",
)
# The terminal's size: uv and pip wrap their messages to it, and tests assert on those
# messages. An xdist worker gets COLUMNS=80 and LINES=24 in its environment where a plain
# pytest run has none, so without this a test's expected text would depend on -n.
TERMINAL_VARIABLES = ("COLUMNS", "LINES")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


@pytest.fixture(autouse=True)
def _clean_release_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a tag, a credential, a terminal size or a git identity from the machine
    running it."""
    for name in (*TAG_VARIABLES, *TERMINAL_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)


def run(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capture its output, and show it all when ``check`` fails."""
    proc = subprocess.run(
        [os.fspath(a) for a in args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}")
    return proc


def build_releasekit_wheel(out: Path) -> None:
    """Build releasekit's wheel from this checkout into ``out``."""
    uv = shutil.which("uv")
    if uv:
        run(uv, "build", "--wheel", "--out-dir", out, REPO, env={"UV_NO_CONFIG": "1"})
    else:
        run(sys.executable, "-m", "build", "--wheel", "--outdir", out, REPO)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding releasekit's wheel, built once per run from this checkout.

    Only read (it is a ``--find-links`` directory), so xdist workers share one build.
    """
    return once_per_run(tmp_path_factory, "wheelhouse", build_releasekit_wheel)


@pytest.fixture(scope="session")
def build_env(wheelhouse: Path) -> dict[str, str]:
    """Environment for isolated builds and installs that may need releasekit itself."""
    links = " ".join(filter(None, [str(wheelhouse), os.environ.get("PIP_FIND_LINKS", "")]))
    return {"PIP_FIND_LINKS": links, "UV_FIND_LINKS": str(wheelhouse)}


def python_for(version: str) -> str | None:
    """A working interpreter for ``version`` (``"3.9"``), or ``None`` when there is none.

    Each candidate is run before it is trusted: a pyenv shim ``python3.9`` on PATH exists but
    fails unless ``PYENV_VERSION`` selects it, so after PATH the pyenv versions directory is
    searched directly.
    """
    candidates = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    pattern = os.path.join(pyenv_root, "versions", f"{version}*", "bin", f"python{version}")
    candidates += sorted(glob.glob(pattern), reverse=True)
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for candidate in candidates:
        try:
            proc = subprocess.run(
                [candidate, "-c", probe], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if proc.returncode == 0 and proc.stdout.strip() == version:
            return candidate
    return None


@dataclass
class Project:
    """A sample project in a real git repository."""

    path: Path
    name: str
    files: dict[str, str] = field(default_factory=dict)

    def git(self, *args: str, check: bool = True) -> str:
        return run("git", *args, cwd=self.path, check=check).stdout.strip()

    def write(self, relpath: str, text: str) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, annotated: bool = False) -> None:
        if annotated:
            self.git("tag", "-a", name, "-m", name)
        else:
            self.git("tag", name)

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")


def write_project(
    path: Path,
    *,
    name: str = "demo",
    version: str = "1.2.0",
    hook: bool = True,
    hook_options: str = "",
    version_source: str = "static",
    releasekit_table: str = "",
    extra_pyproject: str = "",
    build_requires: tuple[str, ...] = ("hatchling", "releasekit"),
    git: bool = True,
) -> Project:
    """Write a small pure-Python project (with a console script) and commit it.

    ``version_source``: ``static`` ([project].version), ``releasekit`` (our version source
    reading ``__init__.py``), ``vcs`` (hatch-vcs) or ``regex`` (hatchling's regex source).
    """
    path.mkdir(parents=True, exist_ok=True)
    project = Project(path, name)
    module = project.module
    if version_source == "static":
        version_line, version_table = f'version = "{version}"', ""
    else:
        version_line = 'dynamic = ["version"]'
        version_table = {
            "releasekit": '[tool.hatch.version]\nsource = "releasekit"\n',
            "vcs": '[tool.hatch.version]\nsource = "vcs"\n',
            "regex": f'[tool.hatch.version]\npath = "src/{module}/__init__.py"\n',
        }[version_source]
    if version_source == "vcs" and "hatch-vcs" not in build_requires:
        build_requires = (*build_requires, "hatch-vcs")  # a VCS version needs its plugin
    requires = ", ".join(f'"{r}"' for r in build_requires)
    hook_table = f"[tool.hatch.build.hooks.releasekit]\n{hook_options}\n" if hook else ""
    project.write(
        "pyproject.toml",
        textwrap.dedent(f"""\
        [build-system]
        requires = [{requires}]
        build-backend = "hatchling.build"

        [project]
        name = "{name}"
        {version_line}
        description = "A sample project"
        requires-python = ">=3.9"

        [project.scripts]
        {name} = "{module}.cli:main"

        [tool.hatch.build.targets.wheel]
        packages = ["src/{module}"]

        """)
        + version_table
        + "\n"
        + hook_table
        + "\n"
        + releasekit_table
        + "\n"
        + extra_pyproject,
    )
    init_version = version if version_source != "vcs" else "0"
    project.write(f"src/{module}/__init__.py", f'"""{name}."""\n\n__version__ = "{init_version}"\n')
    project.write(
        f"src/{module}/cli.py",
        textwrap.dedent(f"""\
        import sys

        from {module} import __version__


        def main() -> int:
            print("{name}", __version__)
            return 0


        if __name__ == "__main__":
            sys.exit(main())
        """),
    )
    if git:
        project.git("init", "-q", "-b", "main")
        project.commit("initial")
    return project


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[object]:
    """``make_project(**kwargs)`` -> :class:`Project` under this test's tmp_path."""
    counter = iter(range(1000))

    def factory(**kwargs: object) -> Project:
        return write_project(tmp_path / f"project{next(counter)}", **kwargs)  # type: ignore[arg-type]

    yield factory

"""Smoke installs for real: tiny projects built with hatchling, installed into real venvs.

The sample projects have no runtime dependencies, and the only thing fetched at install time
is hatchling (to build the sdist), from a wheelhouse made once per session. Installers run
with the machine's configuration switched off and no index, so nothing here depends on
what a developer machine's pip.conf happens to point at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from releasekit.core.config import SmokeConfig
from releasekit.engine.manifest import sha256_file
from releasekit.errors import SmokeError
from releasekit.kinds.python.smoke import _build_requires, smoke_sdist, smoke_wheel
from tests.helpers.projects import python_for
from tests.helpers.shared import once_per_run

pytestmark = pytest.mark.slow

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


def _write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")


def _pyproject(name: str, scripts: dict[str, str], extra: str = "") -> str:
    lines = "\n".join(f'{key} = "{value}"' for key, value in scripts.items())
    return (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "1.0.0"\nrequires-python = ">=3.9"\n\n'
        f"[project.scripts]\n{lines}\n{extra}"
    )


GOOD = {
    "pyproject.toml": _pyproject(
        "demo-pkg",
        {"demo": "demo_pkg.cli:main"},
        "\n[project.optional-dependencies]\ncli = []\n",
    ),
    "src/demo_pkg/__init__.py": '__version__ = "1.0.0"\n',
    "src/demo_pkg/cli.py": """\
        import sys

        def main():
            if "--fail" in sys.argv:
                print("starting")
                print("demo: failing on purpose", file=sys.stderr)
                sys.exit(3)
            print("demo-pkg 1.0.0")
        """,
    "src/demo_pkg/api.py": """\
        import sys

        if __name__ == "__main__":
            with open(sys.argv[1], "w") as handle:
                handle.write(sys.executable)
        """,
}

MISSING_IMPORT = {
    "pyproject.toml": _pyproject("broken-import", {"broken": "broken_import:main"}),
    "src/broken_import/__init__.py": """\
        from demo_helpers import helper

        def main():
            helper()
        """,
    # Importable in the source tree, but not part of the wheel: the classic mistake.
    "demo_helpers.py": "def helper(): pass\n",
}

BAD_ENTRY = {
    "pyproject.toml": _pyproject("bad-entry", {"bad": "bad_entry.cli:nope"}),
    "src/bad_entry/__init__.py": "",
    "src/bad_entry/cli.py": "def main(): pass\n",
}


def _logflux(
    name: str, version: str, modules: dict[str, str], packages: str = ""
) -> dict[str, str]:
    """A project whose version lives in ``version`` (a static one, or "dynamic": hatchling's
    regex source reads ``src/logflux/__init__.py``, and keeps its spelling in METADATA)."""
    if version == "dynamic":
        project = 'dynamic = ["version"]'
        tables = '[tool.hatch.version]\npath = "src/logflux/__init__.py"\n'
    else:
        project, tables = f'version = "{version}"', ""
    if packages:
        tables += f"[tool.hatch.build.targets.wheel]\npackages = [{packages}]\n"
    pyproject = (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\n{project}\nrequires-python = ">=3.9"\n\n{tables}'
    )
    return {"pyproject.toml": pyproject, **modules}


# METADATA and __version__ spell the version as semver does; PEP 440 reads it as 1.0.0b0.
BETA = _logflux("logflux", "dynamic", {"src/logflux/__init__.py": '__version__ = "1.0.0-beta"\n'})
# __version__ forgotten by a bump.
STALE_DUNDER = _logflux("logflux", "1.0.0", {"src/logflux/__init__.py": '__version__ = "1.0.1"\n'})
# The only top-level module is checked even when its name is not the distribution's.
STALE_ONLY_MODULE = _logflux(
    "logflux-cli",
    "1.0.0",
    {"src/logflux/__init__.py": '__version__ = "1.0.1"\n'},
    packages='"src/logflux"',
)
# Not checked: a __version__ that is not a str, and a second module that is not the
# distribution's.
IGNORED_DUNDERS = _logflux(
    "logflux-tools",
    "1.0.0",
    {
        "src/logflux_tools/__init__.py": "__version__ = (1, 0, 1)\n",
        "src/logflux_extra/__init__.py": '__version__ = "9.9"\n',
    },
    packages='"src/logflux_tools", "src/logflux_extra"',
)


PROJECTS = (
    ("good", GOOD, True),
    ("missing-import", MISSING_IMPORT, False),
    ("bad-entry", BAD_ENTRY, False),
    ("beta", BETA, False),
    ("stale-dunder", STALE_DUNDER, False),
    ("stale-only-module", STALE_ONLY_MODULE, False),
    ("ignored-dunders", IGNORED_DUNDERS, False),
)


def _build(root: Path, outdir: Path, *, sdist: bool = False) -> None:
    argv = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir)]
    if not sdist:
        argv.append("--wheel")
    subprocess.run([*argv, str(root)], check=True, capture_output=True)


def _built(outdir: Path) -> Built:
    wheel = next(outdir.glob("*.whl"))
    return Built(wheel, next(outdir.glob("*.tar.gz"), wheel))


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """The sample projects, each built once with hatchling through ``python -m build``.

    Only read (a test that changes a file copies it first), so xdist workers share one
    build of them (seven builds, about 2.5 s).
    """
    pytest.importorskip("build", reason="needs `pip install build`")
    pytest.importorskip("hatchling", reason="needs `pip install hatchling`")

    def make(base: Path) -> None:
        for key, files, sdist in PROJECTS:
            _write(base / key, files)
            _build(base / key, base / f"{key}-dist", sdist=sdist)

    base = once_per_run(tmp_path_factory, "smoke-projects", make)
    return {key: _built(base / f"{key}-dist") for key, _, _ in PROJECTS}


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hatchling and its dependencies as wheels, so the sdist builds without an index.

    Downloaded once per run: only read, so xdist workers share it.
    """

    def download(path: Path) -> None:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--only-binary",
                ":all:",
                "--dest",
                str(path),
                "hatchling",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot download hatchling into a wheelhouse: {result.stderr[-300:]}")

    return once_per_run(tmp_path_factory, "smoke-wheelhouse", download)


@pytest.fixture(autouse=True)
def offline_installers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No pip.conf/uv.toml, no index: only files and find-links the test names."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")  # uv has no environment variable for --no-index
    for name in (
        "PIP_FIND_LINKS",
        "UV_FIND_LINKS",
        "PIP_INDEX_URL",
        "UV_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "UV_EXTRA_INDEX_URL",
        "RELEASEKIT_NO_UV",
    ):
        monkeypatch.delenv(name, raising=False)
    yield


def _smoke(
    built: Built,
    tmp_path: Path,
    *,
    version: str = "1.0.0",
    name: str = "demo-pkg",
    python: str | None = None,
    config: SmokeConfig | None = None,
    log: list[str] | None = None,
) -> None:
    smoke_wheel(
        built.wheel,
        sha256=sha256_file(built.wheel),
        name=name,
        version=version,
        python=python,
        workdir=tmp_path,
        config=config or SmokeConfig(),
        install_index=None,
        log=(log if log is not None else []).append,
    )


def test_good_wheel_passes_and_runs_configured_commands(
    projects: dict[str, Built], tmp_path: Path
) -> None:
    marker = tmp_path / "ran-with"
    config = SmokeConfig(
        commands=("demo --version", f"python -m demo_pkg.api {marker}"),
        extras={"cli": ("demo --version",)},
    )
    _smoke(projects["good"], tmp_path / "work", config=config)
    # `python` in a command is the smoke venv's interpreter, not the one running the tests.
    ran_with = Path(marker.read_text())
    assert ran_with.parent == tmp_path / "work" / "smoke-current" / "bin"


def test_failing_command_names_command_exit_code_and_last_line(
    projects: dict[str, Built], tmp_path: Path
) -> None:
    config = SmokeConfig(commands=("demo --version", "demo --fail"))
    with pytest.raises(SmokeError) as info:
        _smoke(projects["good"], tmp_path, config=config)
    assert info.value.message == (
        f"smoke-install on Python {PY}: `demo --fail` failed (exit 3): demo: failing on purpose"
    )
    assert info.value.hint


def test_failing_extra_command_names_the_extra(projects: dict[str, Built], tmp_path: Path) -> None:
    config = SmokeConfig(extras={"cli": ("demo --fail",)})
    with pytest.raises(SmokeError, match=r"\(extra cli\): `demo --fail` failed \(exit 3\)"):
        _smoke(projects["good"], tmp_path, config=config)


def test_unknown_extra_is_refused_before_installing(
    projects: dict[str, Built], tmp_path: Path
) -> None:
    with pytest.raises(SmokeError) as info:
        _smoke(projects["good"], tmp_path, config=SmokeConfig(extras={"gui": ("demo",)}))
    assert "declares no extra gui (it has: cli)" in info.value.message
    assert not (tmp_path / "smoke-current").exists()


def test_wheel_importing_a_module_it_does_not_ship(
    projects: dict[str, Built], tmp_path: Path
) -> None:
    log: list[str] = []
    with pytest.raises(SmokeError) as info:
        _smoke(projects["missing-import"], tmp_path, name="broken-import", log=log)
    assert info.value.message.startswith(
        f"smoke-install on Python {PY}: `import broken_import` failed: "
        "ModuleNotFoundError: No module named 'demo_helpers'"
    )
    assert "includes" in info.value.hint
    assert any("`import broken_import` failed" in line for line in log)


def test_entry_point_pointing_at_a_missing_function(
    projects: dict[str, Built], tmp_path: Path
) -> None:
    with pytest.raises(SmokeError) as info:
        _smoke(projects["bad-entry"], tmp_path, name="bad-entry")
    message = info.value.message
    assert message.startswith(
        f"smoke-install on Python {PY}: console_scripts entry point `bad = bad_entry.cli:nope` "
        "does not load: AttributeError"
    )
    assert "nope" in message
    assert "[project.scripts]" in info.value.hint


@pytest.mark.parametrize("expected", ["1.0.1", "1.0"])
def test_wrong_expected_version(projects: dict[str, Built], tmp_path: Path, expected: str) -> None:
    with pytest.raises(SmokeError) as info:
        _smoke(projects["good"], tmp_path, version=expected)
    assert info.value.message == (
        f"smoke-install on Python {PY}: installed demo-pkg reports version 1.0.0, "
        f"expected {expected}"
    )


def test_tampered_wheel_is_refused_before_installing(
    projects: dict[str, Built], tmp_path: Path
) -> None:
    original = projects["good"].wheel
    tampered = tmp_path / original.name
    shutil.copy(original, tampered)
    with open(tampered, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(SmokeError) as info:
        smoke_wheel(
            tampered,
            sha256=sha256_file(original),
            name="demo-pkg",
            version="1.0.0",
            python=None,
            workdir=tmp_path / "work",
            config=SmokeConfig(),
            install_index=None,
            log=lambda _: None,
        )
    assert info.value.message.startswith(f"refusing to smoke-install {original.name}")
    assert not (tmp_path / "work").exists()


def test_sdist_builds_and_installs(
    projects: dict[str, Built], wheelhouse: Path, tmp_path: Path
) -> None:
    sdist = projects["good"].sdist
    assert sdist.name == "demo_pkg-1.0.0.tar.gz"
    kwargs = dict(
        sha256=sha256_file(sdist),
        name="demo-pkg",
        python=None,
        workdir=tmp_path,
        install_index=None,
        log=lambda _: None,
        find_links=[str(wheelhouse)],
    )
    smoke_sdist(sdist, version="1.0.0", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(SmokeError, match=r"reports version 1\.0\.0, expected 2\.0\.0"):
        smoke_sdist(sdist, version="2.0.0", **kwargs)  # type: ignore[arg-type]


def test_sdist_build_failure_is_a_smoke_error(projects: dict[str, Built], tmp_path: Path) -> None:
    # No wheelhouse and no index: hatchling cannot be found to build the sdist.
    sdist = projects["good"].sdist
    with pytest.raises(SmokeError) as info:
        smoke_sdist(
            sdist,
            sha256=sha256_file(sdist),
            name="demo-pkg",
            version="1.0.0",
            python=None,
            workdir=tmp_path,
            install_index=None,
            log=lambda _: None,
        )
    message = info.value.message
    assert message.startswith(
        f"smoke-install on Python {PY}: building and installing demo_pkg-1.0.0.tar.gz failed "
        "(exit 1): "
    )
    assert "hatchling" in message  # the installer's reason, not its closing note
    assert "[build-system]" in info.value.hint


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_wheel_that_does_not_install_here(
    projects: dict[str, Built], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installer: str
) -> None:
    if installer == "pip":
        monkeypatch.setenv("RELEASEKIT_NO_UV", "1")
    foreign = tmp_path / "demo_pkg-1.0.0-cp27-cp27m-win32.whl"
    shutil.copy(projects["good"].wheel, foreign)
    with pytest.raises(SmokeError) as info:
        smoke_wheel(
            foreign,
            sha256=sha256_file(foreign),
            name="demo-pkg",
            version="1.0.0",
            python=None,
            workdir=tmp_path,
            config=SmokeConfig(),
            install_index=None,
            log=lambda _: None,
        )
    message = info.value.message
    assert message.startswith(
        f"smoke-install on Python {PY}: installing {foreign.name} failed (exit "
    )
    assert "not a supported wheel" in message or "matching Python version tag" in message
    assert "tags" in info.value.hint


def test_pip_path_without_uv(
    projects: dict[str, Built], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASEKIT_NO_UV", "1")
    _smoke(projects["good"], tmp_path, config=SmokeConfig(commands=("demo --version",)))
    assert (tmp_path / "smoke-current" / "bin" / "pip").exists()  # made by venv, not uv


def _pyenv_env_for(version_prefix: str) -> dict[str, str] | None:
    """``PYENV_VERSION`` that makes pyenv's ``pythonX.Y`` shim resolve, or None."""
    pyenv = shutil.which("pyenv")
    if not pyenv:
        return None
    versions = subprocess.run(
        [pyenv, "versions", "--bare"], capture_output=True, text=True
    ).stdout.split()
    match = next((v for v in versions if v.startswith(f"{version_prefix}.")), None)
    if match is None:
        return None
    current = (
        os.environ.get("PYENV_VERSION")
        or subprocess.run([pyenv, "version-name"], capture_output=True, text=True).stdout.strip()
    )
    return {"PYENV_VERSION": ":".join(v for v in (current, match) if v)}


def _works(command: str, env: dict[str, str]) -> bool:
    try:
        subprocess.run(
            [command, "-c", "pass"], env={**os.environ, **env}, check=True, capture_output=True
        )
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def test_python_3_9(
    projects: dict[str, Built], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env: dict[str, str] = {}
    if not _works("python3.9", env):
        env = _pyenv_env_for("3.9") or {}
        if not env or not _works("python3.9", env):
            pytest.skip("no working python3.9 on PATH (nor a pyenv 3.9 to point a shim at)")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = SmokeConfig(
        commands=("demo --version", "python -c 'import sys; assert sys.version_info[:2] == (3, 9)'")
    )
    _smoke(projects["good"], tmp_path, python="3.9", config=config)
    with pytest.raises(SmokeError, match=r"^smoke-install on Python 3\.9: `import broken_import`"):
        _smoke(projects["missing-import"], tmp_path, python="3.9", name="broken-import")


# A server that forks a worker: the worker inherits stdout, so the pipe never closes.
SERVER = """\
import os, subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(sys.argv[1], "w") as handle:
    handle.write("%d %d" % (os.getpid(), worker.pid))
print("serving on 127.0.0.1:8000", flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie waiting for init to reap it does not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(os.name != "posix", reason="process groups")
@pytest.mark.parametrize("where", ["commands", "extras"])
def test_command_past_the_timeout_is_stopped_with_everything_it_started(
    projects: dict[str, Built], tmp_path: Path, where: str
) -> None:
    script, pids = tmp_path / "serve.py", tmp_path / "pids"
    script.write_text(SERVER)
    command = f"python {script} {pids}"
    if where == "commands":
        config = SmokeConfig(commands=(command,), timeout=1)
        prefix = f"smoke-install on Python {PY}"
    else:
        config = SmokeConfig(extras={"cli": (command,)}, timeout=1)
        prefix = f"smoke-install on Python {PY} (extra cli)"
    started = time.monotonic()
    with pytest.raises(SmokeError) as info:
        _smoke(projects["good"], tmp_path / "work", config=config)
    assert time.monotonic() - started < 30
    assert info.value.message == (
        f"{prefix}: `{command}` still running after 1 s: stopped "
        "(its last line: serving on 127.0.0.1:8000)"
    )
    assert "[tool.releasekit.smoke] timeout" in info.value.hint
    for pid in map(int, pids.read_text().split()):
        assert not _running(pid), f"process {pid} outlived the smoke command"


@pytest.mark.parametrize("expected", ["1.0.0-beta", "1.0.0b0", "1.0.0.beta0"])
def test_versions_are_compared_normalized(
    projects: dict[str, Built], tmp_path: Path, expected: str
) -> None:
    wheel = projects["beta"].wheel
    assert wheel.name == "logflux-1.0.0b0-py3-none-any.whl"
    log: list[str] = []
    _smoke(projects["beta"], tmp_path, name="logflux", version=expected, log=log)
    # what the smoke install says before its slow steps
    assert f"creating a Python {PY} venv for the smoke install…" in log
    assert f"smoke-install on Python {PY}: installing {wheel.name}…" in log


def test_wrong_version_is_still_refused_once_normalized(
    projects: dict[str, Built], tmp_path: Path
) -> None:
    with pytest.raises(SmokeError) as info:
        _smoke(projects["beta"], tmp_path, name="logflux", version="1.0.0b1")
    assert info.value.message == (
        f"smoke-install on Python {PY}: installed logflux reports version 1.0.0-beta, "
        "expected 1.0.0b1"
    )


@pytest.mark.parametrize(
    ("key", "name"), [("stale-dunder", "logflux"), ("stale-only-module", "logflux-cli")]
)
def test_stale_dunder_version(
    projects: dict[str, Built], tmp_path: Path, key: str, name: str
) -> None:
    with pytest.raises(SmokeError) as info:
        _smoke(projects[key], tmp_path, name=name)
    assert info.value.message == (
        f"smoke-install on Python {PY}: `import logflux`: __version__ is 1.0.1, "
        "the package version is 1.0.0"
    )
    assert "version-files" in info.value.hint


def test_dunder_versions_that_are_not_checked(projects: dict[str, Built], tmp_path: Path) -> None:
    _smoke(projects["ignored-dunders"], tmp_path, name="logflux-tools")


def test_sdist_build_requirements_are_named(projects: dict[str, Built]) -> None:
    assert _build_requires(projects["good"].sdist) == ["hatchling"]
    assert _build_requires(projects["good"].wheel) == []  # not an sdist: nothing to name


def test_python_3_9_without_selecting_it_in_pyenv(
    projects: dict[str, Built], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pyenv shim that is not selected is no obstacle: releasekit finds 3.9 itself."""
    if python_for("3.9") is None:
        pytest.skip("no Python 3.9 on this machine")
    monkeypatch.delenv("PYENV_VERSION", raising=False)
    config = SmokeConfig(
        commands=("python -c 'import sys; assert sys.version_info[:2] == (3, 9)'",)
    )
    log: list[str] = []
    _smoke(projects["good"], tmp_path, python="3.9", config=config, log=log)
    assert "creating a Python 3.9 venv for the smoke install…" in log

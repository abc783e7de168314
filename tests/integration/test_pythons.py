"""Finding real interpreters: Python 3.9 for smoke installs, >= 3.10 for the tools venv.

pyenv installs every version but selects one: ``python3.9`` on PATH is then a shim that
fails. These tests run with no ``PYENV_VERSION``, so they prove releasekit finds 3.9
anyway, and that nox running on 3.9 gets a tools venv Python that twine 7 accepts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from releasekit.errors import ReleasekitError
from releasekit.runtime import venvs
from tests.helpers.projects import REPO, python_for

pytestmark = pytest.mark.slow
CURRENT = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture(scope="module")
def python39() -> str:
    """A real 3.9 interpreter found independently of releasekit (skip when there is none)."""
    found = python_for("3.9")
    if found is None:
        pytest.skip("no Python 3.9 on this machine")
    # python_for may return a pyenv shim that works only while PYENV_VERSION selects 3.9
    # (as CI sets it): these tests unset it, so take the interpreter behind the shim.
    real = subprocess.run(
        [found, "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return real.stdout.strip()


@pytest.fixture(autouse=True)
def unselected(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever pyenv selects by default, nothing selects 3.9 for these tests."""
    monkeypatch.delenv("PYENV_VERSION", raising=False)
    monkeypatch.delenv("RELEASEKIT_NO_UV", raising=False)
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")


@pytest.mark.parametrize("uv", [True, False])
def test_find_python_3_9(python39: str, monkeypatch: pytest.MonkeyPatch, uv: bool) -> None:
    if not uv:
        monkeypatch.setenv("RELEASEKIT_NO_UV", "1")
    found = venvs.find_python("3.9")
    assert venvs._version_of(found) == (3, 9)
    assert os.path.isabs(found)


def test_find_python_on_path_only(
    python39: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3.9").symlink_to(python39)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("RELEASEKIT_NO_UV", "1")
    assert venvs.find_python("3.9") == str(bin_dir / "python3.9")


def test_create_a_3_9_venv(python39: str, tmp_path: Path) -> None:
    # uv only: the stdlib branch resolves the same way, and ensurepip on 3.9 costs ~7 s
    if venvs.find_uv() is None:
        pytest.skip("uv is not installed")
    log: list[str] = []
    venv = venvs.create(tmp_path / "v", "3.9", log=log.append, purpose="for the smoke install")
    assert venvs._version_of(str(venv.python)) == (3, 9)
    assert log[-1] == "creating a Python 3.9 venv for the smoke install…"


def test_tools_python_when_nox_runs_on_3_9(python39: str) -> None:
    path, why = venvs.tools_python(None, current=(3, 9))
    version = venvs._version_of(path)
    assert version is not None and version >= (3, 10)
    assert why == (
        f"tools venv uses Python {version[0]}.{version[1]} ({path}): twine needs >= 3.10 "
        "and nox runs on 3.9"
    )


def test_tools_python_under_a_real_3_9(python39: str) -> None:
    """The whole lookup, run by a real 3.9 (no uv package there, a shim on PATH)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from releasekit.runtime import venvs; "
        "path, why = venvs.tools_python(None); print(path); print(why)"
    )
    result = subprocess.run(
        [python39, "-I", "-c", code, str(REPO / "src")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    path, why = result.stdout.strip().splitlines()[-2:]
    version = venvs._version_of(path)
    assert version is not None and version >= (3, 10)
    assert why.endswith("twine needs >= 3.10 and nox runs on 3.9")


@pytest.mark.parametrize("how", ["version", "path"])
def test_tools_python_refuses_a_requested_python_that_is_too_old(python39: str, how: str) -> None:
    requested = "3.9" if how == "version" else python39
    with pytest.raises(ReleasekitError) as info:
        venvs.tools_python(requested, current=(3, 11))
    assert info.value.message.startswith(f"the tools venv Python {requested} (")
    assert info.value.message.endswith(") is 3.9: twine needs >= 3.10")
    assert "register()" in info.value.hint


def test_tools_python_uses_a_requested_python(python39: str) -> None:
    path, why = venvs.tools_python(sys.executable, current=(3, 9))
    assert path == sys.executable
    assert why == f"tools venv uses Python {CURRENT} ({sys.executable}): the noxfile asks for it"

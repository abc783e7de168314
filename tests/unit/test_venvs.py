"""venvs: finding a Python without passing on a pyenv shim's complaint, and saying what it does.

Real processes throughout: a fake ``python3.98`` on PATH is a real executable that behaves
like an unselected pyenv shim, and venvs are made for real (uv makes one in milliseconds).
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import zipfile
from pathlib import Path

import pytest

from releasekit.errors import ReleasekitError
from releasekit.runtime import venvs

CURRENT = f"{sys.version_info[0]}.{sys.version_info[1]}"

SHIM = """\
#!/bin/sh
echo "pyenv: python3.98: command not found" >&2
echo >&2
echo "The \\`python3.98' command exists in these Python versions:" >&2
echo "  3.98.1" >&2
exit 127
"""


@pytest.fixture
def shim_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH starts with a directory holding an unselected-shim ``python3.98``; pyenv's root
    is an empty directory."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "python3.98"
    shim.write_text(SHIM)
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    (tmp_path / "pyenv" / "versions").mkdir(parents=True)
    return bin_dir


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for the shim")
@pytest.mark.parametrize("uv", [True, False])
def test_missing_version_is_one_line_without_the_shims_text(
    shim_path: Path, monkeypatch: pytest.MonkeyPatch, uv: bool
) -> None:
    if not uv:
        monkeypatch.setenv("RELEASEKIT_NO_UV", "1")
    elif venvs.find_uv() is None:
        pytest.skip("uv is not installed")
    with pytest.raises(ReleasekitError) as info:
        venvs.find_python("3.98")
    looked = (
        "with uv python find, in pyenv's versions and on PATH"
        if uv
        else ("in pyenv's versions and on PATH")
    )
    assert info.value.message == f"Python 3.98 is not installed here (looked {looked})"
    assert info.value.hint == (
        "install it (`pyenv install 3.98` or `uv python install 3.98`), "
        "or remove it from [tool.releasekit.smoke] pythons"
    )
    assert "command not found" not in str(info.value)
    assert "pyenv:" not in str(info.value)


def test_a_path_is_used_as_it_is(tmp_path: Path) -> None:
    assert venvs.find_python(sys.executable) == sys.executable
    with pytest.raises(ReleasekitError) as info:
        venvs.find_python(str(tmp_path / "bin" / "python3.12"), where="register(python=...)")
    assert info.value.message == f"Python interpreter {tmp_path}/bin/python3.12 does not exist"
    assert "register(python=...)" in info.value.hint


def test_the_running_version_is_found() -> None:
    found = venvs.find_python(CURRENT)
    assert venvs._version_of(found) == sys.version_info[:2]


def test_tools_python_is_the_running_one_when_new_enough() -> None:
    path, why = venvs.tools_python(None, current=(3, 11))
    assert path == sys.executable
    assert why == f"tools venv uses the running Python 3.11 ({sys.executable})"


def test_tools_python_without_any_new_enough_python() -> None:
    with pytest.raises(ReleasekitError) as info:
        venvs.tools_python(None, minimum=(3, 99), current=(3, 9))
    assert info.value.message == (
        "no Python >= 3.99 found for the tools venv (twine needs it; nox runs on 3.9)"
    )
    assert "pyenv install" in info.value.hint


def test_no_uv_is_said_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELEASEKIT_NO_UV", raising=False)
    monkeypatch.setattr(venvs, "_no_uv_said", venvs.threading.Event())
    log: list[str] = []
    venvs._say_no_uv(log.append)
    venvs._say_no_uv(log.append)
    assert log == [
        "uv not found: using python -m venv and pip (slower); install uv to speed this up"
    ]


def _wheel(directory: Path, name: str = "tinydist") -> Path:
    """A minimal valid wheel, made by hand: installing it needs no index and no build."""
    path = directory / f"{name}-1.0-py3-none-any.whl"
    files = {
        f"{name}.py": b"VALUE = 1\n",
        f"{name}-1.0.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode()
        ),
        f"{name}-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for filename, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{filename},sha256={digest},{len(data)}")
    record.append(f"{name}-1.0.dist-info/RECORD,,")
    with zipfile.ZipFile(path, "w") as archive:
        for filename, data in files.items():
            archive.writestr(filename, data)
        archive.writestr(f"{name}-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    for name in ("PIP_FIND_LINKS", "UV_FIND_LINKS", "RELEASEKIT_NO_UV"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("offline")
def test_create_says_what_it_makes(tmp_path: Path) -> None:
    if venvs.find_uv() is None:
        pytest.skip("uv is not installed")
    log: list[str] = []
    venv = venvs.create(tmp_path / "v", CURRENT, log=log.append, purpose="for the smoke install")
    assert log == [f"creating a Python {CURRENT} venv for the smoke install…"]
    assert venvs._version_of(str(venv.python)) == sys.version_info[:2]


@pytest.mark.usefixtures("offline")
def test_ensure_says_so_when_it_installs_and_is_quiet_when_it_reuses(tmp_path: Path) -> None:
    uv = venvs.find_uv()
    if uv is None:
        pytest.skip("uv is not installed")
    wheel = str(_wheel(tmp_path))
    log: list[str] = []
    venv = venvs.ensure(tmp_path / "tools", [wheel], log=log.append, name="the tools venv")
    assert log[0] == f"installing the tools venv ({wheel}) with uv — once; reused afterwards"
    assert (venv.path / "releasekit-venv.json").is_file()
    log.clear()
    assert venvs.ensure(tmp_path / "tools", [wheel], log=log.append) == venv
    assert log == []

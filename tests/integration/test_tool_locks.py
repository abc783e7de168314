"""The tools venv comes from releasekit's lock, whatever the user's installer says.

Two real pypiservers: the "test index" serves a planted, higher-versioned copy of one of
twine's dependencies (``rfc3986``) whose code writes a marker file the moment any Python
starts in a venv that holds it (a ``.pth`` file) or imports it; the user's installer
configuration lists that index (``PIP_INDEX_URL``/``PIP_EXTRA_INDEX_URL``, a ``pip.conf``
through ``PIP_CONFIG_FILE``, ``UV_INDEX_URL``/``UV_EXTRA_INDEX_URL``, a ``uv.toml`` through
``UV_CONFIG_FILE``). The second server stands in for a company mirror in ``tools-index``
and holds the real locked wheels. Each venv is made for real by uv, and by pip.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from releasekit.errors import ReleasekitError
from releasekit.rehearsal.loopback import free_port
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.runtime import tool_locks, venvs
from tests.helpers.index import side_by_side
from tests.helpers.wheels import make_wheel

pytestmark = pytest.mark.slow

PLANTED = "rfc3986"  # twine requires it; the lock pins 2.0.0
PLANTED_CODE = """\
import os
with open({marker!r}, "a") as handle:
    handle.write("planted code ran\\n")
"""


@dataclass
class Trap:
    test_index: LocalIndex  # serves the planted package
    mirror: LocalIndex  # serves the locked wheels: what tools-index names
    marker: Path


@pytest.fixture
def trap(tmp_path: Path, locked_wheels: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Trap]:
    marker = tmp_path / "planted-code-ran"
    code = PLANTED_CODE.format(marker=str(marker))
    planted = tmp_path / "test-index"
    make_wheel(
        planted,
        PLANTED,
        "99.0.0",
        {f"{PLANTED}/__init__.py": code, "zz_planted.pth": f"import {PLANTED}\n"},
    )
    test_index = LocalIndex(planted, server_python=Path(sys.executable))
    mirror = LocalIndex(locked_wheels, server_python=Path(sys.executable))
    with side_by_side(test_index, mirror):
        pip_conf = tmp_path / "pip.conf"
        pip_conf.write_text(f"[global]\nextra-index-url = {test_index.url}\n")
        uv_toml = tmp_path / "uv.toml"
        uv_toml.write_text(f'extra-index-url = ["{test_index.url}"]\n')
        for name, value in {
            "PIP_INDEX_URL": test_index.url,
            "PIP_EXTRA_INDEX_URL": test_index.url,
            "PIP_CONFIG_FILE": str(pip_conf),
            "UV_INDEX_URL": test_index.url,
            "UV_EXTRA_INDEX_URL": test_index.url,
            "UV_CONFIG_FILE": str(uv_toml),
            "RELEASEKIT_CACHE_DIR": str(tmp_path / "cache"),
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("PIP_FIND_LINKS", "UV_FIND_LINKS", "UV_NO_CONFIG", "RELEASEKIT_NO_UV"):
            monkeypatch.delenv(name, raising=False)
        yield Trap(test_index, mirror, marker)


def installed(venv: venvs.Venv) -> dict[str, str]:
    """name -> version of every distribution in the venv, from its dist-info directories."""
    found = {}
    for info in venv.path.glob("lib*/python*/site-packages/*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        found[name.lower().replace("_", "-")] = version
    return found


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_package_planted_on_the_test_index_never_reaches_the_tools_venv(
    trap: Trap, installer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if installer == "pip":
        monkeypatch.setenv("RELEASEKIT_NO_UV", "1")
    elif venvs.find_uv() is None:
        pytest.skip("uv is not installed")
    log: list[str] = []
    venv = venvs.ensure_locked(tool_locks.TOOLS, index=trap.mirror.url, log=log.append)
    assert venv.uv == (venvs.find_uv() if installer == "uv" else None)
    held = installed(venv)
    assert held[PLANTED] == "2.0.0"
    for name, versions in tool_locks.TOOLS.pins().items():
        if name in held:
            assert held[name] in versions, name
    assert {"twine", "build", "requests", "urllib3"} <= set(held)
    assert not list(venv.path.rglob("zz_planted.pth"))
    # twine starts (and imports rfc3986) from the venv; no planted code ran, ever
    done = subprocess.run(
        [str(venv.python), "-c", "import twine.commands.upload, rfc3986; print(rfc3986.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(venv.path) in done.stdout
    assert not trap.marker.exists()
    assert any(f"--index-url {trap.mirror.url}" in line for line in log), log
    # reused, not installed again, while the lock is unchanged
    log.clear()
    assert venvs.ensure_locked(tool_locks.TOOLS, index=trap.mirror.url, log=log.append) == venv
    assert log == []


def test_the_trap_is_armed_for_an_installer_that_reads_the_user_configuration(
    trap: Trap, tmp_path: Path
) -> None:
    """Without releasekit's isolation, the same configuration installs the planted copy."""
    uv = venvs.find_uv()
    if uv is None:
        pytest.skip("uv is not installed")
    venv = venvs.create(tmp_path / "naive", None, uv=uv)
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv.python),
         "--index-url", trap.mirror.url, "twine"],
        check=True,
    )  # fmt: skip
    assert installed(venv)[PLANTED] == "99.0.0"
    subprocess.run([str(venv.python), "-c", "pass"], check=True)  # twine would start here
    assert trap.marker.exists()


def test_a_file_that_does_not_match_the_lock_is_refused_in_one_line(
    trap: Trap, tmp_path: Path, locked_wheels: Path
) -> None:
    """A mirror serving other bytes under a locked filename: the hash stops it, and says so."""
    if venvs.find_uv() is None:
        pytest.skip("uv is not installed")
    tampered = tmp_path / "tampered"
    shutil.copytree(locked_wheels, tampered)
    (original,) = tampered.glob(f"{PLANTED}-2.0.0-*.whl")
    with zipfile.ZipFile(original) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/__init__.py"))
    original.unlink()
    make_wheel(
        tampered, PLANTED, "2.0.0", {name: "raise SystemExit('tampered')\n"},
        filename=original.name,
    )  # fmt: skip
    with LocalIndex(tampered, server_python=Path(sys.executable)) as mirror:
        shown = mirror.url.rstrip("/")
        with pytest.raises(ReleasekitError) as info:
            venvs.ensure_locked(tool_locks.TOOLS, index=mirror.url)
    assert info.value.message == (
        f"installing twine, build from {shown}: a file it serves does not match the sha256 "
        "in releasekit's lock"
    )
    assert "tools-index" in info.value.hint and "never loosen the lock" in info.value.hint
    assert not trap.marker.exists()


def test_an_index_that_cannot_be_reached_is_one_line_naming_it(trap: Trap, tmp_path: Path) -> None:
    if venvs.find_uv() is None:
        pytest.skip("uv is not installed")
    url = f"http://127.0.0.1:{free_port()}/simple/"  # nothing listens there
    with pytest.raises(ReleasekitError) as info:
        venvs.ensure_locked(tool_locks.TOOLS, index=url)
    message = info.value.message
    assert message.startswith(f"installing twine, build from {url.rstrip('/')} failed: ")
    assert "\n" not in message
    assert "tools-index" in info.value.hint and "network" in info.value.hint

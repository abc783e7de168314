"""releasekit's locks of the tools that run with credentials: complete, pinned, hashed, shipped.

Read as files: every requirement line is an exact pin followed by sha256 hashes, the header
says how it was made, the top-level requirements are what the code asks for, and the wheel
of releasekit carries the locks (``[tool.hatch.build.targets.wheel]``).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from releasekit.core.config import ConfigError, parse_config
from releasekit.release import TOOLS
from releasekit.runtime import tool_locks
from releasekit.targets.pypi import attest

LOCKS = (tool_locks.TOOLS, tool_locks.TOOLS_ATTESTATIONS, tool_locks.PYPISERVER)


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.name)
def test_every_line_is_an_exact_pin_with_hashes(lock: tool_locks.ToolLock) -> None:
    text = lock.text
    assert "nox -s lock-tools" in text
    assert re.search(
        r"#    uv pip compile .*--universal --generate-hashes --python-version 3\.\d+", text
    )
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
    pinned = [e for e in entries if not e.startswith("#") and e.strip()]
    assert len(pinned) >= 5
    for entry in pinned:
        head = entry.splitlines()[0]
        assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==\S+", head), head
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), head
    assert "--index-url" not in text and "--extra-index-url" not in text and "-e " not in text


def test_the_locks_hold_what_the_code_asks_for() -> None:
    assert TOOLS is tool_locks.TOOLS
    assert tool_locks.TOOLS.requirements == ("twine>=7", "build>=1.2")
    assert tool_locks.TOOLS_ATTESTATIONS.requirements == (
        *tool_locks.TOOLS.requirements,
        *attest.REQUIREMENTS,
    )
    assert tool_locks.PYPISERVER.requirements == (
        "pypiserver[passlib]>=2.3",
        "readme-renderer>=37",
        "trove-classifiers>=2024.1.1",
    )
    assert {"twine", "build", "requests", "keyring"} <= set(tool_locks.TOOLS.pins())
    assert {"pypi-attestations", "sigstore", "twine"} <= set(tool_locks.TOOLS_ATTESTATIONS.pins())
    assert {"pypiserver", "passlib", "readme-renderer", "trove-classifiers"} <= set(
        tool_locks.PYPISERVER.pins()
    )
    # one version of twine everywhere (a dependency may differ by Python version)
    assert len(tool_locks.TOOLS.pins()["twine"]) == 1
    # for Windows and macOS too, not only the machine that made it
    assert "pywin32-ctypes" in tool_locks.TOOLS.pins()


@pytest.mark.slow
def test_the_wheel_ships_the_locks(wheelhouse: Path) -> None:
    (wheel,) = wheelhouse.glob("releasekit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for lock in LOCKS:
        assert f"releasekit/runtime/lockfiles/{lock.name}.txt" in names
        assert f"releasekit/runtime/lockfiles/{lock.name}.in" in names


def _tools_index(value: object, root: Path) -> str | None:
    config = parse_config({"tool": {"releasekit": {"tools-index": value}}}, root)
    return config.tools_index


def test_tools_index(tmp_path: Path) -> None:
    assert (
        _tools_index("https://mirror.example/simple", tmp_path) == "https://mirror.example/simple/"
    )
    assert (
        _tools_index("http://127.0.0.1:8080/simple/", tmp_path) == "http://127.0.0.1:8080/simple/"
    )
    assert _tools_index("file:///srv/simple", tmp_path) == "file:///srv/simple/"
    (tmp_path / "wheels").mkdir()
    assert _tools_index("wheels", tmp_path) == str(tmp_path / "wheels")
    assert parse_config({}, tmp_path).tools_index is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "http://mirror.example/simple/",
            "[tool.releasekit] tools-index 'http://mirror.example/simple/' uses http:// on a "
            "non-loopback host",
        ),
        (
            "https://user:tok@mirror.example/simple/",
            "[tool.releasekit] tools-index 'https://***@mirror.example/simple/' has credentials "
            "in it",
        ),
        (
            "no-such-dir",
            "[tool.releasekit] tools-index 'no-such-dir' is neither a URL nor a directory",
        ),
        (3, "[tool.releasekit] tools-index must be a URL string, not 3"),
    ],
)
def test_a_bad_tools_index_is_refused(tmp_path: Path, value: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _tools_index(value, tmp_path)
    assert info.value.message == message

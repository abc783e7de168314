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


# -- the locked tools venv: no user configuration, every hash, one index ---------------------

USER_CONFIG = {
    "PIP_INDEX_URL": "https://test.pypi.org/simple/",
    "PIP_EXTRA_INDEX_URL": "https://test.pypi.org/simple/",
    "PIP_FIND_LINKS": "/opt/wheels",
    "PIP_CONFIG_FILE": "/home/me/pip.conf",
    "PIP_CONSTRAINT": "/etc/constraints.txt",
    "PIP_TRUSTED_HOST": "evil.example",
    "UV_INDEX_URL": "https://test.pypi.org/simple/",
    "UV_EXTRA_INDEX_URL": "https://test.pypi.org/simple/",
    "UV_INDEX": "test=https://test.pypi.org/simple/",
    "UV_DEFAULT_INDEX": "https://test.pypi.org/simple/",
    "UV_FIND_LINKS": "/opt/wheels",
    "UV_CONFIG_FILE": "/home/me/uv.toml",
    "UV_INDEX_STRATEGY": "unsafe-best-match",
    "UV_INSECURE_HOST": "evil.example",
    "UV_NO_CONFIG": "0",
    "uv_extra_index_url": "https://test.pypi.org/simple/",  # Windows: names ignore case
    "UV_CACHE_DIR": "/cache/uv",
    "UV_HTTP_TIMEOUT": "60",
    "PATH": "/usr/bin",
    "HTTPS_PROXY": "http://proxy.example:3128",
}
LOCK = Path("/rk/lockfiles/tools.txt")


def _venv(uv: str | None) -> venvs.Venv:
    return venvs.Venv(Path("/cache/venvs/tools-1"), uv)


@pytest.mark.parametrize("uv", ["/bin/uv", None])
def test_a_locked_install_reads_no_user_configuration_and_requires_every_hash(
    uv: str | None, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    environ = {**USER_CONFIG, "SSL_CERT_FILE": str(bundle)}
    argv, env, unset = venvs.locked_install(_venv(uv), LOCK, environ=environ)
    python = str(_venv(uv).python)
    tail = ["--require-hashes", "--only-binary", ":all:"]
    tail += ["--index-url", "https://pypi.org/simple/", "-r", str(LOCK)]
    if uv:
        assert argv == [
            "/bin/uv", "pip", "install", "--python", python, "--quiet", "--no-config", *tail,
        ]  # fmt: skip
    else:
        assert argv == [
            python, "-I", "-m", "pip", "install", "--isolated", "--quiet",
            "--disable-pip-version-check", "--no-input", "--cert", str(bundle), *tail,
        ]  # fmt: skip
    # pip skips every config file (global and site too) only for the null device
    assert env == {"PIP_CONFIG_FILE": os.devnull, "UV_NO_CONFIG": "1", "SSL_CERT_FILE": str(bundle)}
    kept = {"UV_CACHE_DIR", "UV_HTTP_TIMEOUT", "PATH", "HTTPS_PROXY", "SSL_CERT_FILE"}
    assert sorted(unset) == sorted(set(USER_CONFIG) - kept - set(env))
    assert "uv_extra_index_url" in unset


@pytest.mark.parametrize(
    ("index", "source"),
    [
        ("https://pypi.example/simple/", ["--index-url", "https://pypi.example/simple/"]),
        ("file:///srv/simple/", ["--index-url", "file:///srv/simple/"]),
        ("/srv/wheels", ["--no-index", "--find-links", "/srv/wheels"]),
    ],
)
def test_a_locked_install_uses_the_tools_index_alone(index: str, source: list[str]) -> None:
    for uv in ("/bin/uv", None):
        argv, _, _ = venvs.locked_install(_venv(uv), LOCK, index, environ={})
        assert argv[-len(source) - 2 :] == [*source, "-r", str(LOCK)]
        assert argv.count("--index-url") + argv.count("--find-links") == 1
        assert "--extra-index-url" not in argv


def test_the_ca_bundle_is_ssl_cert_file_else_the_systems(tmp_path: Path) -> None:
    import ssl

    bundle = tmp_path / "proxy-ca.pem"
    bundle.write_text("")
    assert venvs.system_ca_bundle({"SSL_CERT_FILE": str(bundle)}) == str(bundle)
    system = ssl.get_default_verify_paths().cafile
    expected = system if system and os.path.isfile(system) else None
    assert venvs.system_ca_bundle({"SSL_CERT_FILE": str(tmp_path / "missing")}) == expected
    assert venvs.system_ca_bundle({}) == expected


def test_the_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert venvs.cache_dir({"RELEASEKIT_CACHE_DIR": str(tmp_path)}) == tmp_path
    if sys.platform.startswith("linux"):
        assert venvs.cache_dir({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/releasekit")
        assert venvs.cache_dir({}) == Path.home() / ".cache" / "releasekit"


def test_a_locked_venv_is_keyed_by_the_lock_the_interpreter_and_the_installer(
    tmp_path: Path,
) -> None:
    from releasekit.runtime import tool_locks

    one = venvs.locked_venv_path(tool_locks.TOOLS, sys.executable, True, tmp_path)
    assert one.parent == tmp_path and one.name.startswith("tools-")
    assert one == venvs.locked_venv_path(tool_locks.TOOLS, sys.executable, True, tmp_path)
    assert one != venvs.locked_venv_path(tool_locks.TOOLS, sys.executable, False, tmp_path)
    assert one != venvs.locked_venv_path(tool_locks.TOOLS, "/usr/bin/python3.99", True, tmp_path)
    attest = venvs.locked_venv_path(tool_locks.TOOLS_ATTESTATIONS, sys.executable, True, tmp_path)
    assert attest.name.startswith("tools-attestations-")


def test_install_failures_are_one_line_naming_the_index() -> None:
    from releasekit.runtime import tool_locks

    failed = ReleasekitError("installing twine, build failed (exit 1): Caused by: refused", "")
    error = venvs._install_failed(tool_locks.TOOLS, "https://m.example/simple/", "", failed)
    assert error.message == "installing twine, build from https://m.example/simple failed: refused"
    assert "tools-index" in error.hint and "network" in error.hint
    said = "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."
    error = venvs._install_failed(tool_locks.TOOLS, venvs.PYPI, said, failed)
    assert error.message == (
        "installing twine, build from https://pypi.org/simple: a file it serves does not "
        "match the sha256 in releasekit's lock"
    )

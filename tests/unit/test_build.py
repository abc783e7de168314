"""build: the sdist, then the wheel from the unpacked sdist, in one isolated build env.

Real builds with hatchling: the environment is made with uv (from its cache), the backend
runs in processes of its own. What is checked: both files come out, the wheel is built from
the sdist's files (not the checkout's), extra requirements a backend asks for are honoured,
and an sdist that would unpack outside its directory is refused.
"""

from __future__ import annotations

import io
import shlex
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from releasekit import _child
from releasekit.errors import BuildError
from releasekit.kinds.python import build
from releasekit.runtime import venvs

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "shared-env-demo"
version = "1.0.0"
requires-python = ">=3.9"

[tool.hatch.build.targets.wheel]
packages = ["src/demo"]
"""


def _project(root: Path, extra: str = "") -> Path:
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text('__version__ = "1.0.0"\n')
    (root / "pyproject.toml").write_text(PYPROJECT + extra)
    return root


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            'requires = ["hatchling"]\nbuild-backend = "hatchling.build"',
            (("hatchling",), "hatchling.build"),
        ),
        ('requires = []\nbuild-backend = " flit_core.buildapi "', ((), "flit_core.buildapi")),
        ('requires = ["setuptools"]', None),  # no backend: the setuptools default, uv build's job
        ('requires = []\nbuild-backend = "b"\nbackend-path = ["."]', None),  # in-tree backend
        ('requires = "hatchling"\nbuild-backend = "hatchling.build"', None),
        ('requires = [1]\nbuild-backend = "hatchling.build"', None),
    ],
)
def test_which_projects_get_the_shared_env(
    tmp_path: Path, table: str, expected: tuple[tuple[str, ...], str] | None
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[build-system]\n{table}\n")
    system = build._build_system(tmp_path)
    if expected is None:
        assert system is None
    else:
        assert system == build.BuildSystem(*expected)


def test_no_or_broken_pyproject_is_left_to_uv_build(tmp_path: Path) -> None:
    assert build._build_system(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text("[build-system\n")
    assert build._build_system(tmp_path) is None


def _sdist(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return path


def test_unpack_gives_the_directory_named_like_the_file(tmp_path: Path) -> None:
    sdist = _sdist(tmp_path / "demo-1.0.tar.gz", {"demo-1.0/pyproject.toml": b"x"})
    source = build._unpack_sdist(sdist, tmp_path / "out")
    assert source == tmp_path / "out" / "demo-1.0"
    assert (source / "pyproject.toml").read_bytes() == b"x"


@pytest.mark.parametrize(
    ("members", "links"),
    [
        ({"../evil.txt": b"x"}, None),
        ({"/tmp/evil.txt": b"x"}, None),
        ({"demo-1.0/pyproject.toml": b"x"}, {"demo-1.0/link": "/etc/passwd"}),
    ],
)
def test_unpack_refuses_what_would_land_outside(
    tmp_path: Path, members: dict[str, bytes], links: dict[str, str] | None
) -> None:
    sdist = _sdist(tmp_path / "demo-1.0.tar.gz", members, links)
    with pytest.raises(BuildError) as info:
        build._unpack_sdist(sdist, tmp_path / "out")
    assert info.value.message.startswith("cannot unpack demo-1.0.tar.gz") or "demo-1.0.tar.gz" in (
        info.value.message
    )
    assert not (tmp_path / "evil.txt").exists()


def test_unpack_wants_the_named_directory(tmp_path: Path) -> None:
    sdist = _sdist(tmp_path / "demo-1.0.tar.gz", {"other-2.0/pyproject.toml": b"x"})
    with pytest.raises(BuildError) as info:
        build._unpack_sdist(sdist, tmp_path / "out")
    assert info.value.message == "demo-1.0.tar.gz does not hold the directory demo-1.0/"


@pytest.fixture
def uv() -> str:
    found = venvs.find_uv()
    if found is None:
        pytest.skip("uv is not installed")
    return found


def test_sdist_then_wheel_from_it_in_one_env(tmp_path: Path, uv: str) -> None:
    source = _project(tmp_path / "src")
    (source / "NOT_IN_SDIST.txt").write_text("the wheel must not see this\n")
    (source / "pyproject.toml").write_text(
        PYPROJECT
        + textwrap.dedent("""\
            [tool.hatch.build.targets.sdist]
            exclude = ["NOT_IN_SDIST.txt"]

            [tool.hatch.build.targets.wheel.force-include]
            "NOT_IN_SDIST.txt" = "demo/NOT_IN_SDIST.txt"
            """)
    )
    log: list[str] = []
    system = build._build_system(source)
    assert system is not None
    with pytest.raises(BuildError) as info:  # the wheel is built from the sdist's files
        build.build_from_sdist(
            source, tmp_path / "out", system, uv=uv, work=tmp_path / "w1", env={}, log=log.append
        )
    assert info.value.message.startswith("building the wheel from the sdist failed (exit 1)")
    assert (tmp_path / "out" / "shared_env_demo-1.0.0.tar.gz").is_file()


def test_extra_requirements_of_the_backend_are_met(tmp_path: Path, uv: str) -> None:
    """A hatch build hook's ``dependencies`` come back from get_requires_for_build_wheel:
    satisfied (packaging is hatchling's own dependency), the step runs again and builds."""
    source = _project(
        tmp_path / "src",
        '\n[tool.hatch.build.hooks.custom]\npath = "hook.py"\ndependencies = ["packaging>=20"]\n',
    )
    (source / "hook.py").write_text(
        "from hatchling.builders.hooks.plugin.interface import BuildHookInterface\n\n"
        "class CustomBuildHook(BuildHookInterface):\n"
        "    def initialize(self, version, build_data):\n"
        "        import packaging\n"
    )
    system = build._build_system(source)
    assert system is not None
    log: list[str] = []
    out = tmp_path / "out"
    build.build_from_sdist(source, out, system, uv=uv, work=tmp_path / "w", env={}, log=log.append)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["shared_env_demo-1.0.0-py3-none-any.whl", "shared_env_demo-1.0.0.tar.gz"]
    with zipfile.ZipFile(out / names[0]) as wheel:
        assert "demo/__init__.py" in wheel.namelist()
    # each step was told the hook's requirement, found it met, and ran again to build
    backend = shlex.quote(str(_child.BACKEND))
    runs = [line.split()[3] for line in log if backend in line]
    assert runs == ["sdist", "sdist", "wheel", "wheel"]
    # one environment: the build requirements were installed once, before the sdist
    assert [line for line in log if line.startswith("installing the build requirements")] == [
        "installing the build requirements: hatchling"
    ]

"""Wheel and sdist inspection on archives written by hand (no build backend needed)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from releasekit.errors import BuildError
from releasekit.kinds.python.artifacts import (
    check_versions,
    check_wheel_contents,
    find_dists,
    inspect_sdist,
    inspect_wheel,
)


def metadata(name: str, version: str, *extra: str) -> str:
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}", *extra]
    return "\n".join(lines) + "\n\nThe long description.\nVersion: 9.9.9 (body, not a header)\n"


def make_wheel(
    directory: Path,
    filename: str,
    files: Mapping[str, str],
    *,
    name: str = "demo-pkg",
    version: str = "1.2.0",
    meta_extra: tuple[str, ...] = (),
    entry_points: str | None = None,
) -> Path:
    path = directory / filename
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in files.items():
            archive.writestr(member, content)
        archive.writestr(f"{dist_info}/METADATA", metadata(name, version, *meta_extra))
        archive.writestr(f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        if entry_points is not None:
            archive.writestr(f"{dist_info}/entry_points.txt", entry_points)
        archive.writestr(f"{dist_info}/RECORD", "")
    return path


def make_sdist(directory: Path, filename: str, *, name: str, version: str) -> Path:
    path = directory / filename
    top = filename[: -len(".tar.gz")]
    with tarfile.open(path, "w:gz") as archive:
        for member, content in {
            f"{top}/PKG-INFO": metadata(name, version),
            f"{top}/src/demo_pkg.egg-info/PKG-INFO": metadata(name, "0.0.0"),
            f"{top}/pyproject.toml": "[project]\n",
        }.items():
            data = content.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


GOOD_FILES = {
    "demo_pkg/__init__.py": "",
    "demo_pkg/cli.py": "def main(): pass\n",
    "demo_helpers.py": "",
    "_speedups.cpython-312-x86_64-linux-gnu.so": "",
    "_win.cp312-win_amd64.pyd": "",
    "nsroot/plugin/impl.py": "",
    "demo_pkg/data/logo.png": "",
    "just_data/readme.txt": "",
    "demo_pkg-1.2.0.data/scripts/tool": "",
    "demo_pkg-1.2.0.data/purelib/extra_mod.py": "",
}

ENTRY_POINTS = """\
[console_scripts]
demo = demo_pkg.cli:main
Demo-Upper = demo_pkg.cli:main

[gui_scripts]
demo-gui = demo_pkg.cli:gui

[demo.plugins]
x = demo_pkg.cli
"""


@pytest.fixture
def good_wheel(tmp_path: Path) -> Path:
    return make_wheel(
        tmp_path,
        "demo_pkg-1.2.0-py3-none-any.whl",
        GOOD_FILES,
        meta_extra=(
            "Requires-Dist: requests>=2",
            'Requires-Dist: rich; extra == "cli"',
            "Provides-Extra: cli",
        ),
        entry_points=ENTRY_POINTS,
    )


def test_inspect_good_wheel(good_wheel: Path) -> None:
    info = inspect_wheel(good_wheel)
    assert info.filename == "demo_pkg-1.2.0-py3-none-any.whl"
    assert info.name == "demo-pkg"
    assert info.version == "1.2.0"
    assert info.metadata_version == "2.4"
    assert info.top_level == (
        "_speedups",
        "_win",
        "demo_helpers",
        "demo_pkg",
        "extra_mod",
        "nsroot",
    )
    assert info.entry_points["console_scripts"] == {
        "demo": "demo_pkg.cli:main",
        "Demo-Upper": "demo_pkg.cli:main",
    }
    assert info.entry_points["gui_scripts"] == {"demo-gui": "demo_pkg.cli:gui"}
    assert info.entry_points["demo.plugins"] == {"x": "demo_pkg.cli"}
    assert info.requires_dist == ("requests>=2", 'rich; extra == "cli"')
    assert info.provides_extra == ("cli",)
    assert "demo_pkg/cli.py" in info.files
    assert not any(f.endswith("/") for f in info.files)
    assert check_wheel_contents(info) == []


def test_wheel_without_entry_points(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, "demo_pkg-1.2.0-py3-none-any.whl", {"demo_pkg/__init__.py": ""})
    assert inspect_wheel(path).entry_points == {}


def test_bytecode_is_reported(tmp_path: Path) -> None:
    path = make_wheel(
        tmp_path,
        "demo_pkg-1.2.0-py3-none-any.whl",
        {
            "demo/__init__.py": "",
            "demo/__pycache__/x.cpython-311.pyc": "",
            "demo/y.pyc": "",
        },
    )
    problems = check_wheel_contents(inspect_wheel(path))
    assert problems == ["ships bytecode: demo/__pycache__/x.cpython-311.pyc (and 1 more)"]


@pytest.mark.parametrize("top", ["tests", "test", "docs"])
def test_top_level_tests_or_docs_is_reported(tmp_path: Path, top: str) -> None:
    files = {"demo/__init__.py": "", f"{top}/__init__.py": "", f"{top}/test_x.py": ""}
    path = make_wheel(tmp_path, "demo_pkg-1.2.0-py3-none-any.whl", files)
    problems = check_wheel_contents(inspect_wheel(path))
    assert len(problems) == 1
    assert f"ships a top-level `{top}`" in problems[0]


@pytest.mark.parametrize("module", ["conftest.py", "setup.py", "src/demo/__init__.py"])
def test_project_files_at_top_level_are_reported(tmp_path: Path, module: str) -> None:
    files = {"demo/__init__.py": "", module: ""}
    path = make_wheel(tmp_path, "demo_pkg-1.2.0-py3-none-any.whl", files)
    top = module.split("/")[0].removesuffix(".py")
    assert check_wheel_contents(inspect_wheel(path)) == [
        f"ships a top-level `{top}`: it would be installed as site-packages/{top} "
        "and clash with every other project that does the same"
    ]


def test_top_level_docs_without_python_is_reported(tmp_path: Path) -> None:
    files = {"demo/__init__.py": "", "docs/index.md": ""}
    path = make_wheel(tmp_path, "demo_pkg-1.2.0-py3-none-any.whl", files)
    assert "ships a top-level `docs`" in check_wheel_contents(inspect_wheel(path))[0]


def test_empty_wheel_is_reported(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, "demo_pkg-1.2.0-py3-none-any.whl", {"demo_pkg/README.txt": ""})
    info = inspect_wheel(path)
    assert info.top_level == ()
    assert check_wheel_contents(info) == [
        "ships no importable module or package (only metadata and data)"
    ]


def test_broken_wheels(tmp_path: Path) -> None:
    not_zip = tmp_path / "demo-1.0.0-py3-none-any.whl"
    not_zip.write_bytes(b"not a zip")
    with pytest.raises(BuildError, match="not a readable wheel"):
        inspect_wheel(not_zip)
    no_meta = tmp_path / "demo-1.0.1-py3-none-any.whl"
    with zipfile.ZipFile(no_meta, "w") as archive:
        archive.writestr("demo/__init__.py", "")
    with pytest.raises(BuildError, match=r"no \.dist-info"):
        inspect_wheel(no_meta)
    with pytest.raises(BuildError, match="not found"):
        inspect_wheel(tmp_path / "missing-1.0-py3-none-any.whl")


def test_inspect_sdist_reads_top_level_pkg_info(tmp_path: Path) -> None:
    path = make_sdist(tmp_path, "demo_pkg-1.2.0.tar.gz", name="demo-pkg", version="1.2.0")
    info = inspect_sdist(path)
    assert (info.filename, info.name, info.version) == (
        "demo_pkg-1.2.0.tar.gz",
        "demo-pkg",
        "1.2.0",
    )


def test_inspect_broken_sdist(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0.0.tar.gz"
    path.write_bytes(b"garbage")
    with pytest.raises(BuildError, match="not a readable sdist"):
        inspect_sdist(path)


def test_check_versions_accepts_matching_files(tmp_path: Path, good_wheel: Path) -> None:
    sdist = make_sdist(tmp_path, "demo_pkg-1.2.0.tar.gz", name="demo_pkg", version="1.2.0")
    check_versions([sdist, good_wheel], "Demo.Pkg", "1.2.0")


def test_check_versions_catches_short_version_in_file_name(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo_pkg-1.2-py3-none-any.whl", {"d.py": ""}, version="1.2")
    with pytest.raises(BuildError) as info:
        check_versions([wheel], "demo-pkg", "1.2.0")
    assert info.value.message == (
        "demo_pkg-1.2-py3-none-any.whl carries version 1.2 in its file name, expected 1.2.0"
    )
    assert "rebuild from the tagged commit" in info.value.hint


def test_check_versions_catches_metadata_that_differs_from_file_name(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo_pkg-1.2.0-py3-none-any.whl", {"d.py": ""}, version="1.2")
    with pytest.raises(BuildError) as info:
        check_versions([wheel], "demo-pkg", "1.2.0")
    assert info.value.message == (
        "demo_pkg-1.2.0-py3-none-any.whl carries version 1.2 in its METADATA, expected 1.2.0"
    )


def test_check_versions_catches_sdist_pkg_info(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "demo_pkg-1.2.0.tar.gz", name="demo-pkg", version="1.2.1")
    with pytest.raises(BuildError, match=r"carries version 1.2.1 in its PKG-INFO, expected 1.2.0"):
        check_versions([sdist], "demo-pkg", "1.2.0")


def test_check_versions_compares_normalized_strings(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path, "demo_pkg-1.2.0rc1-py3-none-any.whl", {"d.py": ""}, version="1.2.0rc1"
    )
    check_versions([wheel], "demo-pkg", "1.2.0-RC1")
    with pytest.raises(BuildError) as info:
        check_versions([wheel], "demo-pkg", "1.2.0")
    assert info.value.message.endswith("carries version 1.2.0rc1 in its file name, expected 1.2.0")


def test_check_versions_catches_other_name(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "other-1.2.0.tar.gz", name="other", version="1.2.0")
    with pytest.raises(BuildError) as info:
        check_versions([sdist], "demo-pkg", "1.2.0")
    assert (
        info.value.message
        == "other-1.2.0.tar.gz carries name other in its file name, expected demo-pkg"
    )
    metadata_other = make_wheel(
        tmp_path, "demo_pkg-1.2.0-py3-none-any.whl", {"d.py": ""}, name="demo-other"
    )
    with pytest.raises(BuildError, match="carries name demo-other in its METADATA"):
        check_versions([metadata_other], "demo-pkg", "1.2.0")


def test_check_versions_refuses_other_files_and_nothing(tmp_path: Path) -> None:
    stray = tmp_path / "demo_pkg-1.2.0.zip"
    stray.write_bytes(b"")
    with pytest.raises(BuildError, match="neither a wheel"):
        check_versions([stray], "demo-pkg", "1.2.0")
    with pytest.raises(BuildError, match="no distribution files"):
        check_versions([], "demo-pkg", "1.2.0")


def test_find_dists(tmp_path: Path) -> None:
    for name in [
        "demo_pkg-1.2.0-py3-none-any.whl",
        "demo_pkg-1.2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        "demo_pkg-1.2.0.tar.gz",
        "releasekit-manifest.json",
        "demo_pkg-1.2.0.zip",
    ]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x-1.0-py3-none-any.whl").write_bytes(b"")
    assert [p.name for p in find_dists(tmp_path)] == [
        "demo_pkg-1.2.0.tar.gz",
        "demo_pkg-1.2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        "demo_pkg-1.2.0-py3-none-any.whl",
    ]
    assert find_dists(tmp_path / "missing") == []

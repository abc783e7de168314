"""[tool.releasekit] wheels: the declared matrix, how a wheel's tags cover an identifier, and
what a set of files lacks or holds in excess (releasekit.kinds.python.matrix)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import parse_wheel_filename

from releasekit.core.config import WheelsSpec, parse_config
from releasekit.errors import BuildError, ConfigError
from releasekit.kinds.python import matrix


def covered(entry: str, filename: str) -> bool:
    return matrix.covers(entry, parse_wheel_filename(filename)[3])


def wheels(value: Any) -> WheelsSpec | None:
    return parse_config({"tool": {"releasekit": {"wheels": value}}}, Path("/p")).wheels


def refused(value: Any) -> tuple[str, str]:
    with pytest.raises(ConfigError) as info:
        wheels(value)
    return info.value.message, info.value.hint


# -- how a wheel covers an identifier ----------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "filename"),
    [
        # PEP 600 tags, and the legacy names of the same policies, with compressed tag sets
        ("cp312-manylinux_x86_64", "d-1-cp312-cp312-manylinux_2_17_x86_64.whl"),
        (
            "cp312-manylinux_x86_64",
            "d-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ),
        ("cp39-manylinux_i686", "d-1-cp39-cp39-manylinux1_i686.whl"),
        ("cp312-manylinux_aarch64", "d-1-cp312-cp312-manylinux_2_28_aarch64.whl"),
        ("cp312-musllinux_x86_64", "d-1-cp312-cp312-musllinux_1_2_x86_64.whl"),
        ("cp312-macosx_arm64", "d-1-cp312-cp312-macosx_11_0_arm64.whl"),
        ("cp312-macosx_universal2", "d-1-cp312-cp312-macosx_10_13_universal2.whl"),
        ("cp312-win_amd64", "d-1-cp312-cp312-win_amd64.whl"),
        ("cp312-win32", "d-1-cp312-cp312-win32.whl"),
        ("cp313-ios_arm64_iphoneos", "d-1-cp313-cp313-ios_13_0_arm64_iphoneos.whl"),
        ("cp313-android_arm64_v8a", "d-1-cp313-cp313-android_24_arm64_v8a.whl"),
        ("cp313-pyodide_wasm32", "d-1-cp313-cp313-pyodide_2025_0_wasm32.whl"),
        ("cp313-pyodide_wasm32", "d-1-cp313-cp313-pyemscripten_2026_0_wasm32.whl"),
        # free-threaded: its own ABI
        ("cp313t-manylinux_x86_64", "d-1-cp313-cp313t-manylinux_2_17_x86_64.whl"),
        # one stable-ABI wheel covers its CPython and every later one
        ("cp310-manylinux_x86_64", "d-1-cp310-abi3-manylinux_2_17_x86_64.whl"),
        ("cp314-manylinux_x86_64", "d-1-cp310-abi3-manylinux_2_17_x86_64.whl"),
        # no ABI: a binary that needs no libpython
        ("cp312-win_amd64", "d-1-py3-none-win_amd64.whl"),
        ("cp312-win_amd64", "d-1-cp312-none-win_amd64.whl"),
        ("cp313t-win_amd64", "d-1-py3-none-win_amd64.whl"),
        # PyPy and GraalPy, as cibuildwheel names them
        ("pp311-manylinux_x86_64", "d-1-pp311-pypy311_pp73-manylinux_2_17_x86_64.whl"),
        (
            "gp312_250-manylinux_x86_64",
            "d-1-graalpy312-graalpy250_312_native-manylinux_2_28_x86_64.whl",
        ),
        # whole tags
        ("py3-none-any", "d-1-py3-none-any.whl"),
        ("py3-none-any", "d-1-py2.py3-none-any.whl"),
        (
            "cp39-abi3-manylinux_2_17_x86_64",
            "d-1-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ),
    ],
)  # fmt: skip
def test_the_wheel_of_an_identifier(entry: str, filename: str) -> None:
    assert covered(entry, filename)


@pytest.mark.parametrize(
    ("entry", "filename"),
    [
        ("cp312-manylinux_x86_64", "d-1-cp312-cp312-manylinux_2_17_aarch64.whl"),  # other arch
        ("cp312-manylinux_x86_64", "d-1-cp312-cp312-musllinux_1_2_x86_64.whl"),  # other libc
        ("cp312-manylinux_x86_64", "d-1-cp312-cp312-linux_x86_64.whl"),  # no policy at all
        ("cp312-manylinux_x86_64", "d-1-cp313-cp313-manylinux_2_17_x86_64.whl"),  # other Python
        ("cp312-macosx_arm64", "d-1-cp312-cp312-macosx_10_13_universal2.whl"),  # not arm64's own
        ("cp312-win_amd64", "d-1-cp312-cp312-win_arm64.whl"),
        ("cp312-win32", "d-1-cp312-cp312-win_amd64.whl"),
        # the stable ABI of a later CPython does not run on an earlier one
        ("cp39-manylinux_x86_64", "d-1-cp310-abi3-manylinux_2_17_x86_64.whl"),
        # and no free-threaded CPython takes the stable ABI, nor the GIL build's ABI
        ("cp313t-manylinux_x86_64", "d-1-cp310-abi3-manylinux_2_17_x86_64.whl"),
        ("cp313t-manylinux_x86_64", "d-1-cp313-cp313-manylinux_2_17_x86_64.whl"),
        ("cp313-manylinux_x86_64", "d-1-cp313-cp313t-manylinux_2_17_x86_64.whl"),
        # a pure wheel is no platform's wheel: a pure fallback is declared as py3-none-any
        ("cp312-win_amd64", "d-1-py3-none-any.whl"),
        ("py3-none-any", "d-1-cp312-cp312-win_amd64.whl"),
        ("pp311-manylinux_x86_64", "d-1-cp311-cp311-manylinux_2_17_x86_64.whl"),
        ("cp311-manylinux_x86_64", "d-1-pp311-pypy311_pp73-manylinux_2_17_x86_64.whl"),
        ("cp312-macosx_arm64", "d-1-py313-none-macosx_11_0_arm64.whl"),  # needs 3.13
    ],
)  # fmt: skip
def test_not_the_wheel_of_an_identifier(entry: str, filename: str) -> None:
    assert not covered(entry, filename)


# -- a set of files against the matrix ---------------------------------------------------------

DECLARED = (
    "cp311-manylinux_x86_64",
    "cp312-manylinux_x86_64",
    "cp313t-manylinux_x86_64",
    "cp312-win_amd64",
    "cp312-macosx_arm64",
    "py3-none-any",
)
FULL = [
    "demo-1.2.0.tar.gz",
    "demo-1.2.0-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "demo-1.2.0-cp313-cp313t-manylinux_2_17_x86_64.whl",
    "demo-1.2.0-cp312-cp312-win_amd64.whl",
    "demo-1.2.0-cp312-cp312-macosx_11_0_arm64.whl",
    "demo-1.2.0-py3-none-any.whl",
]


def test_the_whole_matrix_is_complete() -> None:
    report = matrix.missing_wheels(DECLARED, FULL)
    assert report.complete
    assert report.missing == report.unexpected == ()
    assert report.wheels == tuple(sorted(FULL[1:]))  # the sdist is no wheel
    assert report.describe() == "all 6 declared wheels"


def test_a_cancelled_job_and_a_stray_wheel_are_named_together() -> None:
    """The Windows job was cancelled; a local build's linux_x86_64 wheel slipped in."""
    files = [f for f in FULL if "win" not in f] + ["demo-1.2.0-cp312-cp312-linux_x86_64.whl"]
    report = matrix.missing_wheels(DECLARED, files)
    assert not report.complete
    assert report.missing == ("cp312-win_amd64",)
    assert report.unexpected == ("demo-1.2.0-cp312-cp312-linux_x86_64.whl",)
    assert report.describe() == (
        "lacks 1 of the 6 declared wheels: cp312-win_amd64; holds 1 wheel not declared: "
        "demo-1.2.0-cp312-cp312-linux_x86_64.whl"
    )
    assert report.hint("wheelhouse") == (
        "a wheel job was cancelled or failed: rerun it, then gather every job's wheels into "
        "one directory (download-artifact with pattern: files-* and merge-multiple: true); "
        "remove what is not to be released from wheelhouse; or change [tool.releasekit] wheels"
    )
    assert report.as_dict()["missing"] == ["cp312-win_amd64"]


def test_an_abi3_wheel_of_a_later_python_leaves_the_earlier_missing() -> None:
    files = ["demo-1.2.0-cp312-abi3-manylinux_2_17_x86_64.whl"]
    report = matrix.missing_wheels(("cp311-manylinux_x86_64", "cp312-manylinux_x86_64"), files)
    assert report.missing == ("cp311-manylinux_x86_64",)
    assert report.unexpected == ()


def test_every_missing_wheel_is_listed_and_nothing_at_all_is_everything_missing() -> None:
    report = matrix.missing_wheels(DECLARED, ["demo-1.2.0.tar.gz"])
    assert report.missing == DECLARED
    assert report.wheels == ()


def test_a_wheel_name_that_is_no_wheel_name_covers_nothing() -> None:
    report = matrix.missing_wheels(("py3-none-any",), ["demo-1.2.0-py3-none-any.whl", "x.whl"])
    assert report.missing == ()
    assert report.unexpected == ("x.whl",)


def test_what_status_asks_of_an_index() -> None:
    """``releasekit status``: the files an index holds for a version against the declared
    matrix; nothing to say for a project that declares none."""
    assert matrix.report(None, Path("/p"), FULL) is None
    spec = WheelsSpec(wheels=DECLARED)
    held = [f for f in FULL if "macosx" not in f]
    found = matrix.report(spec, Path("/p"), held)
    assert found is not None and found.missing == ("cp312-macosx_arm64",)
    assert found.as_dict() == {
        "complete": False,
        "expected": list(DECLARED),
        "wheels": sorted(held[1:]),
        "missing": ["cp312-macosx_arm64"],
        "unexpected": [],
    }


# -- the key in [tool.releasekit] -------------------------------------------------------------


def test_the_forms_of_the_key() -> None:
    assert wheels(None) is None
    assert parse_config({}, Path("/p")).wheels is None  # undeclared: any wheels, as before
    assert wheels(["cp312-manylinux_x86_64", "py3-none-any", "cp312-manylinux_x86_64"]) == (
        WheelsSpec(wheels=("cp312-manylinux_x86_64", "py3-none-any"))
    )
    table = {"python": ["cp312", "cp313t"], "platforms": ["manylinux_x86_64", "win_amd64"]}
    assert wheels({**table, "pure": True}) == WheelsSpec(
        wheels=(
            "cp312-manylinux_x86_64", "cp312-win_amd64", "cp313t-manylinux_x86_64",
            "cp313t-win_amd64", "py3-none-any",
        )
    )  # fmt: skip
    assert wheels({"cibuildwheel": ["linux", "macos:arm64,x86_64"]}) == WheelsSpec(
        cibuildwheel=("linux", "macos:arm64,x86_64")
    )


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        (
            ["cp312-manylinux_2_17_x86_64"],
            "[tool.releasekit] wheels entry 'cp312-manylinux_2_17_x86_64' is neither a "
            "cibuildwheel identifier nor a wheel tag",
            "write manylinux_x86_64: cibuildwheel's identifiers leave the glibc or macOS "
            "version out",
        ),
        (
            ["cp312"],
            "[tool.releasekit] wheels entry 'cp312' is neither a cibuildwheel identifier nor "
            "a wheel tag",
            "a cibuildwheel identifier is PYTHON-PLATFORM",
        ),
        (
            "cibuildwheel",
            "[tool.releasekit] wheels must be a list or a table, not 'cibuildwheel'",
            "name the platforms your wheel jobs build (and the archs of a runner that "
            '[tool.cibuildwheel] leaves them to): { cibuildwheel = ["linux", "macos:arm64", '
            '"windows"] }',
        ),
        ([], "[tool.releasekit] wheels declares no wheel", "e.g. wheels = "),
        ({"pure": False}, "[tool.releasekit] wheels declares no wheel", "e.g. wheels = "),
        (
            {"python": ["cp312"]},
            "[tool.releasekit] wheels has python but no platforms: the wheels are each python "
            "on each platform",
            "e.g. wheels = ",
        ),
        (
            {"python": ["3.12"], "platforms": ["win_amd64"]},
            "[tool.releasekit] wheels python '3.12' is not a cibuildwheel Python",
            "e.g. cp312 (CPython 3.12)",
        ),
        (
            {"python": ["cp312"], "platforms": ["macosx_11_0_arm64"]},
            "[tool.releasekit] wheels platforms 'macosx_11_0_arm64' is not a cibuildwheel platform",
            "write macosx_arm64: ",
        ),
        (
            {"python": ["cp312"], "platforms": ["linux_x86_64"]},
            "[tool.releasekit] wheels platforms 'linux_x86_64' is not a cibuildwheel platform",
            "one of manylinux_ARCH, musllinux_ARCH",
        ),
        (
            {"cibuildwheel": ["mac"]},
            "[tool.releasekit] wheels cibuildwheel 'mac' is not a cibuildwheel platform",
            "one of linux, macos, windows, ios, android, pyodide",
        ),
        (
            {"cibuildwheel": ["macos:"]},
            "[tool.releasekit] wheels cibuildwheel 'macos:' is not a cibuildwheel platform",
            "one of linux",
        ),
        (
            {"pure": "yes"},
            "[tool.releasekit] wheels pure must be true or false, not 'yes'",
            "write pure = true",
        ),
        (
            {"platform": ["win_amd64"]},
            "unknown key 'platform' in [tool.releasekit] wheels",
            "platforms",
        ),
        (
            [3],
            "[tool.releasekit] wheels must be a list of strings, not [3]",
            'write ["...", "..."]',
        ),
    ],
)
def test_a_bad_value_is_named_with_a_hint(value: Any, message: str, hint: str) -> None:
    said, told = refused(value)
    assert said.startswith(message), said
    assert hint in told, told


# -- cibuildwheel's own selection -------------------------------------------------------------

needs_cibuildwheel = pytest.mark.skipif(
    shutil.which("cibuildwheel") is None and importlib.util.find_spec("cibuildwheel") is None,
    reason="cibuildwheel is installed with the test extra on Python >= 3.11",
)


def _project(tmp_path: Path, cibuildwheel: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.2.0"\nrequires-python = ">=3.11"\n' + cibuildwheel,
        encoding="utf-8",
    )
    return tmp_path


@needs_cibuildwheel
def test_cibuildwheel_prints_the_identifiers(tmp_path: Path) -> None:
    """Its build/skip, the project's requires-python and the archs, as cibuildwheel reads
    them; a platform's archs after the colon are its --archs."""
    root = _project(
        tmp_path,
        '[tool.cibuildwheel]\nbuild = "cp311-* cp312-*"\nskip = "*-musllinux*"\n'
        '[tool.cibuildwheel.linux]\narchs = ["x86_64", "aarch64"]\n',
    )
    spec = WheelsSpec(wheels=("py3-none-any",), cibuildwheel=("linux", "macos:arm64"))
    said: list[str] = []
    expected = matrix.expected_wheels(spec, root, log=said.append)
    assert expected == (
        "py3-none-any",
        "cp311-manylinux_x86_64", "cp312-manylinux_x86_64",
        "cp311-manylinux_aarch64", "cp312-manylinux_aarch64",
        "cp311-macosx_arm64", "cp312-macosx_arm64",
    )  # fmt: skip
    assert said == [
        "[tool.releasekit] wheels: 7 wheels, with cibuildwheel's for linux, macos:arm64"
    ]


@needs_cibuildwheel
def test_archs_the_runner_decides_are_refused(tmp_path: Path) -> None:
    """cibuildwheel's default archs ("auto") are the machine's own: run in the check job,
    they would be the check job's, not the macOS runner's."""
    root = _project(tmp_path, '[tool.cibuildwheel.linux]\narchs = ["x86_64"]\n')
    with pytest.raises(BuildError) as info:
        matrix.expected_wheels(WheelsSpec(cibuildwheel=("linux", "macos")), root)
    assert info.value.message == (
        "[tool.releasekit] wheels cibuildwheel 'macos': cibuildwheel's archs for macos are "
        "'auto', which each runner decides"
    )
    assert info.value.hint.startswith('name the archs your macos runner builds: "macos:x86_64"')


@needs_cibuildwheel
def test_a_platform_cibuildwheel_builds_nothing_for_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path, '[tool.cibuildwheel]\nbuild = "cp311-*"\nskip = "cp311-*"\n')
    with pytest.raises(BuildError) as info:
        matrix.expected_wheels(WheelsSpec(cibuildwheel=("windows:AMD64",)), root)
    assert info.value.message == (
        "cibuildwheel selects no wheel for windows ([tool.releasekit] wheels cibuildwheel "
        "'windows:AMD64')"
    )


@needs_cibuildwheel
def test_cibuildwheel_refusing_its_configuration_is_named(tmp_path: Path) -> None:
    root = _project(tmp_path, '[tool.cibuildwheel]\nenable = ["no-such-group"]\n')
    with pytest.raises(BuildError) as info:
        matrix.expected_wheels(WheelsSpec(cibuildwheel=("linux:x86_64",)), root)
    assert "cibuildwheel --print-build-identifiers --platform linux" in info.value.message
    assert "no-such-group" in info.value.message
    assert info.value.hint.startswith("fix [tool.cibuildwheel]")


def test_without_cibuildwheel_the_hint_says_which_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no cibuildwheel on PATH
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "site-packages" not in p])
    importlib.invalidate_caches()
    root = _project(tmp_path, "")
    with pytest.raises(BuildError) as info:
        matrix.expected_wheels(WheelsSpec(cibuildwheel=("linux:x86_64",)), root)
    assert info.value.message == (
        "[tool.releasekit] wheels cibuildwheel needs cibuildwheel, which is not installed here"
    )
    assert "the cibuildwheel your wheel jobs pin" in info.value.hint

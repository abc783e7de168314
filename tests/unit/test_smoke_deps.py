"""Which Requires-Dist entries a smoke install needs, for a given interpreter and extras."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment

from releasekit.errors import SmokeError
from releasekit.kinds.python.interpreters import dependencies, install_set, marker_environment
from releasekit.kinds.python.smoke import needs_an_extra, version_failures, version_module


def env_for(python_version: str, sys_platform: str = "linux") -> dict[str, str]:
    env = {str(k): str(v) for k, v in default_environment().items()}
    env.update(
        python_version=python_version,
        python_full_version=f"{python_version}.0",
        sys_platform=sys_platform,
    )
    return env


REQUIRES = (
    "requests>=2.31",
    'tomli>=1.1; python_version < "3.11"',
    'pywin32>=300; sys_platform == "win32"',
    'rich[jupyter]>=13; extra == "cli"',
    'click; extra == "cli" and python_version >= "3.10"',
    'pytest; extra == "test"',
    "wheelthing @ https://example.invalid/wheelthing-1.0-py3-none-any.whl ; extra == 'Some.Extra'",
)


def test_no_extras_on_old_python() -> None:
    assert dependencies(REQUIRES, [], env_for("3.9")) == ["requests>=2.31", "tomli>=1.1"]


def test_no_extras_on_new_python() -> None:
    assert dependencies(REQUIRES, [], env_for("3.12")) == ["requests>=2.31"]


def test_platform_markers() -> None:
    assert "pywin32>=300" in dependencies(REQUIRES, [], env_for("3.12", "win32"))


def test_extras_and_python_version_combined() -> None:
    assert dependencies(REQUIRES, ["cli"], env_for("3.9")) == [
        "requests>=2.31",
        "tomli>=1.1",
        "rich[jupyter]>=13",
    ]
    assert dependencies(REQUIRES, ["cli"], env_for("3.12")) == [
        "requests>=2.31",
        "rich[jupyter]>=13",
        "click",
    ]


def test_several_extras_and_normalized_extra_names() -> None:
    assert dependencies(REQUIRES, ["test", "some_extra"], env_for("3.12")) == [
        "requests>=2.31",
        "pytest",
        "wheelthing @ https://example.invalid/wheelthing-1.0-py3-none-any.whl",
    ]


def test_unknown_extra_selects_nothing_extra() -> None:
    assert dependencies(REQUIRES, ["nope"], env_for("3.12")) == ["requests>=2.31"]


def test_duplicates_are_dropped() -> None:
    requires = ['foo>=1; extra == "a"', 'foo>=1; extra == "b"', "foo>=1"]
    assert dependencies(requires, ["a", "b"], env_for("3.12")) == ["foo>=1"]


def test_invalid_requirement() -> None:
    with pytest.raises(SmokeError, match="not a valid requirement"):
        dependencies(["foo >>> 1"], [], env_for("3.12"))


def test_self_referencing_extras_are_expanded_not_installed() -> None:
    requires = (
        "base",
        'demo-pkg[cli,test]; extra == "all"',
        'rich; extra == "cli"',
        'pytest; extra == "test"',
        'Demo_Pkg[cli]; extra == "test"',
    )
    assert install_set(requires, ["all"], env_for("3.12"), "demo.pkg") == [
        "base",
        "rich",
        "pytest",
    ]


def test_marker_environment_of_the_running_python() -> None:
    assert marker_environment(Path(sys.executable)) == default_environment()


def _python39() -> str | None:
    """A working Python 3.9 interpreter path: on PATH, or installed by pyenv."""
    for candidate in ("python3.9",):
        try:
            return subprocess.run(
                [candidate, "-c", "import sys; print(sys.executable)"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    pyenv = shutil.which("pyenv")
    if pyenv:
        versions = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True
        ).stdout.split()
        for version in versions:
            if version.startswith("3.9."):
                prefix = subprocess.run(
                    [pyenv, "prefix", version], capture_output=True, text=True
                ).stdout.strip()
                python = Path(prefix) / "bin" / "python3.9"
                if python.exists():
                    return str(python)
    return None


def test_marker_environment_of_another_python() -> None:
    python = _python39()
    if python is None:
        pytest.skip("no Python 3.9 interpreter (python3.9 on PATH or via pyenv)")
    env = marker_environment(Path(python))
    assert env["python_version"] == "3.9"
    assert env["python_full_version"].startswith("3.9.")
    assert set(env) == set(default_environment())


@pytest.mark.parametrize(
    ("name", "top_level", "module"),
    [
        ("demo-pkg", ("demo_pkg", "tests"), "demo_pkg"),
        ("Demo.Pkg", ("demo_pkg",), "demo_pkg"),
        ("logflux-cli", ("logflux",), "logflux"),  # the only one
        ("logflux-tools", ("logflux", "extra"), None),  # neither named so nor the only one
        ("logflux", (), None),
    ],
)
def test_version_module(name: str, top_level: tuple[str, ...], module: str | None) -> None:
    assert version_module(name, top_level) == module


def _report(version: object, module_version: object = None) -> dict[str, object]:
    return {"failures": [], "version": version, "module_version": module_version}


@pytest.mark.parametrize(
    ("version", "module_version"),
    [
        ("1.0.0-beta", "1.0.0-beta"),
        ("1.0.0b0", "1.0.0.beta0"),
        ("1.0.0b0", None),
        ("1.0.0b0", "not a version"),  # ignored: not PEP 440
    ],
)
def test_versions_that_agree(version: str, module_version: str | None) -> None:
    assert version_failures(_report(version, module_version), "logflux", "1.0.0b0", "logflux") == []


def test_versions_that_disagree() -> None:
    failures = version_failures(_report("1.0.0", "1.0.1"), "logflux", "1.0.0", "logflux")
    assert failures == [
        {"kind": "__version__", "what": "logflux", "error": "1.0.1", "package": "1.0.0"}
    ]
    # The distribution's own version is wrong: __version__ is compared with it, not with
    # the expected one, so a stale build is reported once.
    failures = version_failures(_report("1.0.0", "1.0.0"), "logflux", "1.0.1", "logflux")
    assert failures == [{"kind": "version", "what": "logflux", "error": "1.0.0"}]
    # Not a version at all: reported as written.
    failures = version_failures(_report("banana"), "logflux", "1.0.0", None)
    assert failures == [{"kind": "version", "what": "logflux", "error": "banana"}]


def test_no_distribution_no_version_failure() -> None:
    # The check script reports the missing distribution itself.
    assert version_failures(_report(None, "2.0"), "logflux", "1.0.0", "logflux") == []


def test_dunder_version_with_no_module_to_check_is_ignored() -> None:
    assert version_failures(_report("1.0.0", "2.0"), "logflux", "1.0.0", None) == []


BLACK_REQUIRES = [
    "click>=8.0.0",
    'aiohttp>=3.10; extra == "d"',
    'colorama>=0.4.3; extra == "colorama"',
    'tokenize-rt>=3.2.0; python_version < "3.11" and extra == "jupyter"',
]
BLACK_EXTRAS = ["colorama", "d", "jupyter"]


def test_a_module_that_needs_an_extra_is_a_note_not_a_failure() -> None:
    """black ships blackd, which needs aiohttp from black[d]: found on black 26.5.1."""
    failures = [
        {
            "kind": "import",
            "what": "blackd",
            "error": "ImportError: aiohttp dependency is not installed: No module named "
            "'aiohttp'. Please re-install black with the '[d]' extra install to proceed.",
        },
        {"kind": "import", "what": "black", "error": "ModuleNotFoundError: No module named 'attr'"},
    ]
    kept, notes = needs_an_extra(
        failures, BLACK_REQUIRES, BLACK_EXTRAS, [], env_for("3.12"), "black"
    )
    assert kept == [failures[1]]  # attr is no extra's: still a failure
    assert notes == [
        "`import blackd` skipped: it needs aiohttp from the extra [d], not installed (to test "
        "it: [tool.releasekit.smoke] extras = { d = [] })"
    ]


def test_a_module_of_an_installed_extra_stays_a_failure() -> None:
    failures = [{"kind": "import", "what": "blackd", "error": "No module named 'aiohttp'"}]
    kept, notes = needs_an_extra(
        failures, BLACK_REQUIRES, BLACK_EXTRAS, ["d"], env_for("3.12"), "black"
    )
    assert (kept, notes) == (failures, [])


def test_an_entry_point_that_names_an_extra_is_a_note() -> None:
    failures = [
        {
            "kind": "entry point",
            "group": "console_scripts",
            "what": "blackd = blackd:patched_main [d]",
            "error": "ImportError: aiohttp dependency is not installed",
        }
    ]
    kept, notes = needs_an_extra(
        failures, BLACK_REQUIRES, BLACK_EXTRAS, [], env_for("3.12"), "black"
    )
    assert kept == []
    assert notes == [
        "entry point `blackd = blackd:patched_main [d]` skipped: it needs the extra [d], not "
        "installed (to test it: [tool.releasekit.smoke] extras = { d = [] })"
    ]

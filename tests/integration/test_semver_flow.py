"""Issue 6 end to end: a project spelled the semver way is bumped, shown and built as such.

Real git repositories, the real ``releasekit`` command (in process) and a real hatchling
build with the releasekit build hook, at tags in either spelling.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from hatchling.builders.wheel import WheelBuilder

from releasekit.cli import main
from releasekit.project.changelog import check_changelog
from tests.helpers.hatch import hatch
from tests.helpers.projects import Project

MakeProject = Callable[..., Project]

ALL_FILES = """\
[tool.releasekit]
version-files = ["pyproject.toml", "src/demo/__init__.py", "package.json"]
"""


def semver_project(make_project: MakeProject, init: str = "1.0.0-beta") -> Project:
    """pyproject.toml and package.json at 1.0.0-beta, __init__.py at ``init``, committed."""
    project = make_project(version="1.0.0-beta", releasekit_table=ALL_FILES)
    project.write("src/demo/__init__.py", f'"""demo."""\n\n__version__ = "{init}"\n')
    project.write("package.json", json.dumps({"name": "demo", "version": "1.0.0-beta"}) + "\n")
    project.commit("semver")
    return project


def raws(project: Project) -> tuple[str, str, str]:
    pyproject = (project.path / "pyproject.toml").read_text()
    init = (project.path / "src/demo/__init__.py").read_text()
    package = json.loads((project.path / "package.json").read_text())
    return (
        pyproject.split('\nversion = "', 1)[1].split('"', 1)[0],
        init.split('__version__ = "', 1)[1].split('"', 1)[0],
        package["version"],
    )


def cli(capsys: pytest.CaptureFixture[str], project: Project, *args: str) -> tuple[int, str]:
    code = main(["-C", str(project.path), *args])
    out, err = capsys.readouterr()
    assert err == "" or code != 0, err
    return code, out


def test_releasekit_bump_keeps_semver_spelling(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = semver_project(make_project)

    code, out = cli(capsys, project, "bump", "b")
    assert code == 0
    assert out.splitlines()[0] == "1.0.0b0 -> 1.0.0b1"
    assert raws(project) == ("1.0.0-beta.1", "1.0.0-beta.1", "1.0.0-beta.1")
    assert sorted(project.git("diff", "--numstat").splitlines()) == [
        "1\t1\tpackage.json",
        "1\t1\tpyproject.toml",
        "1\t1\tsrc/demo/__init__.py",
    ]

    assert cli(capsys, project, "bump", "rc")[0] == 0
    assert raws(project) == ("1.0.0-rc.1", "1.0.0-rc.1", "1.0.0-rc.1")
    assert cli(capsys, project, "bump", "release")[0] == 0
    assert raws(project) == ("1.0.0", "1.0.0", "1.0.0")


def test_releasekit_bump_of_mixed_spellings(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = semver_project(make_project, init="1.0.0b0")

    assert cli(capsys, project, "bump", "beta")[0] == 0

    assert raws(project) == ("1.0.0-beta.1", "1.0.0b1", "1.0.0-beta.1")


@pytest.mark.slow
@pytest.mark.parametrize("tag", ["v1.0.0-beta", "v1.0.0b0"])
def test_version_and_build_agree_with_a_tag_in_either_spelling(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], tag: str
) -> None:
    project = semver_project(make_project, init="1.0.0b0")
    project.tag(tag)

    code, out = cli(capsys, project, "version")
    assert code == 0
    assert out.splitlines()[:3] == [
        "demo 1.0.0b0",
        "  channel: pre-release",
        f"  tag:     {tag} (from git tag at HEAD) matches",
    ]

    builder: Any = WheelBuilder(str(project.path))
    (wheel,) = builder.build(directory=str(project.path.parent / "dist"), versions=["standard"])
    assert Path(wheel).name == "demo-1.0.0b0-py3-none-any.whl"


def test_changelog_of_a_beta_is_satisfied_by_unreleased(make_project: MakeProject) -> None:
    project = semver_project(make_project)
    path = project.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n\n- Beta.\n")
    found = check_changelog(path, "1.0.0-beta")
    assert f"{path.name}: {found}" == (
        "CHANGELOG.md: section '[Unreleased]' (1.0.0b0 is a pre-release)"
    )


@pytest.mark.slow
def test_hatch_version_b_keeps_semver_spelling(
    make_project: MakeProject, request: pytest.FixtureRequest
) -> None:
    """``hatch version b`` computes 1.0.0b1 itself; releasekit's version source spells it."""
    env: dict[str, str] = request.getfixturevalue("hatch_env")
    project = make_project(
        version_source="releasekit",
        releasekit_table='[tool.releasekit]\nversion-files = ["src/demo/__init__.py", '
        '"package.json"]\n',
    )
    project.write("src/demo/__init__.py", '"""demo."""\n\n__version__ = "1.0.0-beta"\n')
    project.write("package.json", json.dumps({"name": "demo", "version": "1.0.0-beta"}) + "\n")
    project.commit("semver")

    bumped = hatch(project, env, "version", "b")

    assert bumped.returncode == 0, bumped.stderr
    assert "New: 1.0.0b1" in bumped.stderr + bumped.stdout
    assert (project.path / "src/demo/__init__.py").read_text() == (
        '"""demo."""\n\n__version__ = "1.0.0-beta.1"\n'
    )
    assert json.loads((project.path / "package.json").read_text())["version"] == "1.0.0-beta.1"

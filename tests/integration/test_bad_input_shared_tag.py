"""``releasekit bump --tag`` in a member that shares its tag with others (issue 19).

Event-Forge's workspace with both entries ``tag-prefix = "v"``: the tag ``v1.3.0`` releases
the npm package and the Python package, so a bump that moves only one of them is refused
before anything is written; one that moves both (the Python member's ``version-files``
carry core's ``package.json``) makes the one tag. Real git, real files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.cli import main
from tests.helpers.projects import Project


def workspace(tmp_path: Path, version_files: str) -> Project:
    root = tmp_path / "event-forge"
    core = root / "packages" / "core"
    core.mkdir(parents=True)
    (core / "package.json").write_text(
        json.dumps({"name": "@event-forge/core", "version": "1.2.0"}, indent=2) + "\n", "utf-8"
    )
    project = Project(root, "event-forge")
    project.write(
        "packages/python/pyproject.toml",
        '[project]\nname = "event-forge"\nversion = "1.2.0"\n\n'
        f"[tool.releasekit]\nversion-files = {version_files}\nchangelog = false\n",
    )
    project.write(
        "releasekit.toml",
        'members = [{ path = "packages/core", tag-prefix = "v" }, '
        '{ path = "packages/python", tag-prefix = "v" }]\n',
    )
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    return project


def bump(capsys: pytest.CaptureFixture[str], project: Project) -> tuple[int, str]:
    code = main(["-C", str(project.path / "packages" / "python"), "bump", "minor", "--tag"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_bump_that_leaves_a_member_of_the_tag_behind_is_refused_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = workspace(tmp_path, '["pyproject.toml"]')
    before = project.git("log", "--format=%H")
    code, out = bump(capsys, project)
    assert code == 1
    assert out == (
        "releasekit: the members released by one tag v<version> are at different versions: "
        "packages/core is at 1.2.0, packages/python is at 1.3.0 after this bump; nothing was "
        "written\n"
        "  hint: bump them together: list the other members' version files in this member's "
        "version-files (the first stays the truth), or bump without --tag and tag once all "
        "are at one version\n"
    )
    assert project.git("log", "--format=%H") == before
    assert project.git("tag", "--list") == ""
    assert project.git("status", "--porcelain") == ""


def test_a_bump_that_moves_the_whole_group_makes_its_one_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = workspace(tmp_path, '["pyproject.toml", "../core/package.json"]')
    code, out = bump(capsys, project)
    assert code == 0, out
    assert "tagged v1.3.0" in out
    assert project.git("tag", "--list") == "v1.3.0"
    core = json.loads((project.path / "packages/core/package.json").read_text())
    assert core["version"] == "1.3.0"

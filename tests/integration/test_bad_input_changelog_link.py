"""A changelog that leads out of the repository is never read: its text would be published."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from releasekit.cli import main
from tests.helpers.projects import write_project

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symlinks")


def test_check_and_notes_refuse_a_changelog_linked_out_of_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "elsewhere" / "notes.md"
    secret.parent.mkdir()
    secret.write_text("## [1.2.0]\n\n- private\n")
    project = write_project(tmp_path / "demo", version="1.2.0")
    os.symlink(secret, project.path / "CHANGELOG.md")
    project.commit("a committed symlink")

    code = main(["-C", str(project.path), "notes", "1.2.0"])

    out, err = capsys.readouterr()
    assert code == 1 and "private" not in out + err
    assert err.splitlines()[0] == (
        f"releasekit: changelog {project.path / 'CHANGELOG.md'} leads to "
        f"{secret.resolve().as_posix()}, outside the git repository "
        f"({project.path.as_posix()})"
    )
    assert err.splitlines()[1].startswith("  hint: keep the changelog in the project")


def test_a_changelog_linked_inside_the_repository_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "demo", version="1.2.0")
    project.write("docs/changes.md", "## [1.2.0]\n\n- shared\n")
    os.symlink("docs/changes.md", project.path / "CHANGELOG.md")
    project.commit("a changelog kept in docs/")

    assert main(["-C", str(project.path), "notes", "1.2.0"]) == 0
    assert "- shared" in capsys.readouterr().out

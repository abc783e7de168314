"""Bad input to ``releasekit status``: one line naming the bad value, a hint, exit 1, no
traceback, nothing changed (the project's files, and nothing read from an index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.cli import main
from tests.helpers.projects import Project, write_project
from tests.helpers.unchanged import assert_reported, assert_unchanged, snapshot

# indexes nobody listens on: a test that reached them would say "cannot be read"
NOWHERE = (
    '[tool.releasekit.indexes.test]\nurl = "http://127.0.0.1:9/simple/"\n'
    'publish-url = "http://127.0.0.1:9/"\n'
    '[tool.releasekit.indexes.prod]\nurl = "http://127.0.0.1:9/prod/simple/"\n'
    'publish-url = "http://127.0.0.1:9/prod/"\n'
)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return write_project(tmp_path / "demo", releasekit_table="[tool.releasekit]\n" + NOWHERE)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.err


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (
            ["status", "not-a-version"],
            "VERSION 'not-a-version' is not a version",
            "name a released version, e.g. `releasekit status 1.2.0`",
        ),
        (
            ["status", "--dist", "nowhere"],
            "--dist nowhere: no such directory",
            "point --dist at the directory the build wrote",
        ),
        (
            ["status", "--only", "packages/web"],
            "--only selects members of a workspace; this project declares none",
            "list them in [tool.releasekit] members",
        ),
    ],
)
def test_bad_arguments(
    capsys: pytest.CaptureFixture[str],
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
    hint: str,
) -> None:
    monkeypatch.chdir(project.path)
    before = snapshot(project.path)
    code, err = cli(capsys, *args)
    assert code == 1
    assert_reported(err, message, hint)
    assert_unchanged(before, snapshot(project.path))


def test_no_project(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = cli(capsys, "-C", str(tmp_path), "status")
    assert code == 1
    assert_reported(err, f"no pyproject.toml in {tmp_path}", "run releasekit from the project")
    code, err = cli(capsys, "status", "-C", str(tmp_path / "missing"))
    assert code == 1
    assert_reported(err, f"-C {tmp_path / 'missing'}: no such directory", "point -C at")


def test_an_unreadable_manifest_is_named(
    capsys: pytest.CaptureFixture[str], project: Project
) -> None:
    (project.path / "dist").mkdir()
    (project.path / "dist" / "releasekit-manifest.json").write_text("{cut short")
    before = snapshot(project.path)
    code, err = cli(capsys, "-C", str(project.path), "status", "--finish", "--yes")
    assert code == 1
    manifest = project.path / "dist" / "releasekit-manifest.json"
    assert_reported(err, f"the build manifest {manifest} is unreadable", "delete it")
    assert_unchanged(before, snapshot(project.path))


def test_a_target_that_cannot_be_read_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], project: Project
) -> None:
    code = main(["-C", str(project.path), "status", "1.2.0", "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.out + captured.err
    data = json.loads(captured.out)
    errors = {t["name"]: t["error"] for t in data["projects"][0]["targets"]}
    assert set(errors) == {"test", "prod"}
    assert all(e and "\n" not in e and "127.0.0.1" in e for e in errors.values()), errors

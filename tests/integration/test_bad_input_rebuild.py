"""Bad input to the reproducibility checks: one line naming the bad value, a hint, exit 1,
nothing built, nothing changed (``releasekit status --rebuild``, ``-- --check-reproducible``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.cli import main
from releasekit.engine.runcontext import parse_options
from releasekit.errors import ReleasekitError
from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.projects import write_project
from tests.helpers.unchanged import assert_reported, assert_unchanged, snapshot


def _prod(index: LocalIndex) -> str:
    return (
        f'[tool.releasekit.indexes.prod]\nurl = "{index.url}"\n'
        f'publish-url = "{index.publish_url}"\n'
    )


def test_status_rebuild_of_a_version_without_a_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "demo")
    project.tag("v1.2.0")
    before = snapshot(project.path)
    code = main(["-C", str(project.path), "status", "--rebuild", "1.3"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert_reported(
        err,
        f"releasekit: no release tag of 1.3 in {project.path} (looked for v1.3)",
        "fetch the tags (`git fetch --tags`)",
    )
    assert_unchanged(before, snapshot(project.path))


def test_status_rebuild_of_a_version_the_index_does_not_serve(
    tmp_path: Path, local_index: LocalIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before anything is built: the index is read first."""
    project = write_project(tmp_path / "demo", releasekit_table=_prod(local_index))
    project.tag("v1.2.0")
    before = snapshot(project.path)
    code = main(["-C", str(project.path), "status", "--rebuild", "1.2.0"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert_reported(
        err,
        f"releasekit: {local_index.url} serves no file of demo 1.2.0",
        "check the name, the version and the index",
    )
    assert "rebuilding" not in err
    assert_unchanged(before, snapshot(project.path))


def test_status_rebuild_and_finish_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "demo")
    code = main(["-C", str(project.path), "status", "--rebuild", "--finish", "1.2.0"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert_reported(err, "releasekit: --rebuild and --finish: one at a time", "run each alone")


def test_check_reproducible_takes_no_value() -> None:
    assert parse_options(["--check-reproducible"]).check_reproducible
    with pytest.raises(ReleasekitError) as caught:
        parse_options(["--check-reproducible=yes"])
    assert caught.value.message == (
        "bad session option: argument --check-reproducible: ignored explicit argument 'yes'"
    )
    assert caught.value.hint.endswith("--check-reproducible")

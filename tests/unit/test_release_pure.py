"""The pure parts of a release run: option parsing and the release summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.manifest import file_version as _file_version
from releasekit.engine.runcontext import parse_options as _options
from releasekit.engine.summary import Row, render_summary
from releasekit.errors import ReleasekitError


def test_options(tmp_path: Path) -> None:
    assert _options([]).rehearse is False
    opts = _options(["--rehearse", "--dry-run", "--yes", "--dist", str(tmp_path)])
    assert (opts.rehearse, opts.dry_run, opts.yes, opts.dist) == (True, True, True, tmp_path)


def test_dist_must_be_an_existing_directory(tmp_path: Path) -> None:
    with pytest.raises(ReleasekitError) as info:
        _options(["--dist", str(tmp_path / "wheelhouse")])
    assert info.value.message == f"--dist {tmp_path / 'wheelhouse'}: no such directory"
    assert not (tmp_path / "wheelhouse").exists()


def test_unknown_option_is_an_error_that_lists_the_options() -> None:
    with pytest.raises(ReleasekitError, match="unknown session option '--rehearsal'") as info:
        _options(["--rehearsal"])
    assert "--rehearse" in info.value.hint


@pytest.mark.parametrize(
    ("filename", "version"),
    [
        ("demo-1.2.0-py3-none-any.whl", "1.2.0"),
        ("demo-1.2.0.tar.gz", "1.2.0"),
        ("demo_pkg-1.0.0rc1.tar.gz", None),
        ("other-1.2.0.tar.gz", None),
        ("junk.txt", None),
    ],
)
def test_file_version_only_for_this_project(filename: str, version: str | None) -> None:
    assert _file_version(filename, "demo") == version


def test_summary_lists_files_indexes_and_times() -> None:
    manifest = Manifest(
        name="demo",
        version="1.2.0",
        tag="v1.2.0",
        commit="abc",
        files=(
            DistFile("demo-1.2.0.tar.gz", "a" * 64, 10, "sdist"),
            DistFile("demo-1.2.0-py3-none-any.whl", "b" * 64, 20, "wheel"),
        ),
    )
    text = render_summary(
        manifest,
        [
            Row("index", "test", "https://test.pypi.org/simple/", "2 uploaded"),
            Row("index", "prod", None, "not published: pre-release policy is test-only"),
            Row("release", "github", None, None),
        ],
        {"check": 0.5, "build": 1.25},
    )
    assert "version  demo 1.2.0" in text and "tag      v1.2.0" in text
    assert f"demo-1.2.0.tar.gz  sha256={'a' * 64}" in text
    assert "test https://test.pypi.org/simple/: 2 uploaded" in text
    assert "prod: not published: pre-release policy is test-only" in text
    assert "check 0.5s, build 1.2s" in text
    assert "  release  github: not run" in text  # a target its step did not write
    assert "rehearsal" in render_summary(manifest, [], {}, rehearsal=True)

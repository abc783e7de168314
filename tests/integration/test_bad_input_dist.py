"""Bad input in ``dist/`` and ``--dist``, through the real sessions: one clear line naming
the bad file, a hint, a failed session, no traceback, nothing changed, nothing uploaded
(issue 17, "Nothing half-written" and "No traceback").

The writes themselves (a full disk half-way, SIGTERM during the move) are in
``tests/unit/test_dist_atomic.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.sessions import creds, nox, release_project, served
from tests.helpers.unchanged import assert_reported, assert_unchanged, snapshot

pytestmark = pytest.mark.slow


def _refused(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
    dist: str,
    files: dict[str, bytes],
    args: tuple[str, ...],
) -> str:
    """Run ``nox ARGS`` in a sample project whose ``dist`` holds ``files``; its output,
    after checking that it failed, changed nothing and uploaded nothing."""
    project = release_project(tmp_path, indexes)
    (project.path / dist).mkdir()
    for name, data in files.items():
        (project.path / dist / name).write_bytes(data)
    before = snapshot(project.path)
    held = {name: served(server) for name, server in indexes.items()}
    code, out = nox(project, nox_envdir, build_env, *args, env=creds(indexes))
    assert code != 0, out
    assert "Traceback" not in out, out
    assert {name: served(server) for name, server in indexes.items()} == held
    after = snapshot(project.path)
    after.pop(f"{dist}/releasekit-steps.json", None)  # the timings of the steps that ran
    assert_unchanged(before, after)
    return out


def test_a_file_in_dist_that_is_no_archive_is_named(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """A wheel built elsewhere that is no zip: twine check showed its traceback and named
    no file."""
    wheel = "demo-1.2.0-py3-none-any.whl"
    out = _refused(
        tmp_path, indexes, nox_envdir, build_env, "wheelhouse",
        {wheel: b"<html>502 Bad Gateway</html>\n"},
        ("-s", "publish-test", "--", "--dist", "wheelhouse", "--yes"),
    )  # fmt: skip
    wheelhouse = tmp_path / "demo" / "wheelhouse"
    assert_reported(
        out,
        f"{wheelhouse}: {wheel} is not a readable wheel (zip) file: File is not a zip file",
        f"remove {wheel} from {wheelhouse} or put the file the build made there",
        prefix="nox > Session build aborted: ",
    )


def test_a_corrupt_manifest_is_named_not_its_files(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """releasekit's own build with its manifest cut short: it said "dist holds files
    releasekit did not build" and never named the manifest."""
    files = {
        "demo-1.2.0.tar.gz": b"sdist bytes",
        "demo-1.2.0-py3-none-any.whl": b"wheel bytes",
        "releasekit-manifest.json": b'{"name": "demo", "version": "1.2.0", "files": [',
    }
    out = _refused(tmp_path, indexes, nox_envdir, build_env, "dist", files, ("-s", "build"))
    dist = tmp_path / "demo" / "dist"
    assert_reported(
        out,
        f"the build manifest {dist / 'releasekit-manifest.json'} is unreadable (JSONDecodeError:",
        "delete releasekit-manifest.json and those files (or the whole directory) and build again",
        prefix="nox > Session build aborted: ",
    )
    assert (
        "releasekit cannot tell whether demo-1.2.0-py3-none-any.whl, demo-1.2.0.tar.gz in "
        f"{dist} are its own build"
    ) in out
    assert "did not build" not in out

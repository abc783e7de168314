"""Nothing half-written: what releasekit writes into ``dist/`` is whole or not there, and a
file releasekit wrote is always known as its own.

A full disk is faked where the bytes are written (the copy into ``dist/``, a record's
write) with ``OSError(ENOSPC)`` raised half-way, as the kernel raises it: naming no file.
A stop is a real SIGTERM to a real process with releasekit's signal handling installed.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from releasekit.engine import records
from releasekit.engine.handoff import Handoff
from releasekit.engine.journal import Journal
from releasekit.engine.manifest import MANIFEST_NAME, Manifest, describe
from releasekit.engine.plan import ReleasePlan
from releasekit.engine.records import PENDING_NAME, PublishRecord, StepTimes
from releasekit.errors import BuildError
from releasekit.kinds.python import artifacts, distdir

NAME = "demo"
OLD = ("demo-1.0.0.tar.gz", "demo-1.0.0-py3-none-any.whl")
NEW = ("demo-1.1.0.tar.gz", "demo-1.1.0-py3-none-any.whl")


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # no file name, as os.write


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """dist/ as releasekit's last build left it: two files and their manifest."""
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in OLD:
        (dist / name).write_bytes(name.encode() * 1000)
    Manifest(NAME, "1.0.0", tuple(describe(dist / n) for n in OLD)).save(dist)
    (dist / "releasekit-publish-test.json").write_text("{}")
    return dist


@pytest.fixture
def built(tmp_path: Path) -> list[Path]:
    """A new build's files, outside dist/ (where the build makes them)."""
    out = tmp_path / "work"
    out.mkdir()
    for name in NEW:
        (out / name).write_bytes(name.encode() * 50_000)
    return [out / name for name in NEW]


def test_a_full_disk_while_copying_leaves_dist_as_it_was(
    dist: Path, built: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(dist)
    copies: list[Path] = []

    def half_then_full(source: Path, target: Path) -> None:
        copies.append(target)
        data = source.read_bytes()
        if len(copies) == 2:  # the second file: half of it, then the disk is full
            target.write_bytes(data[: len(data) // 2])
            raise _enospc()
        target.write_bytes(data)

    monkeypatch.setattr(distdir, "_copy_file", half_then_full)
    with pytest.raises(BuildError) as failure:
        distdir.replace_dist(dist, built, NAME)
    message = failure.value.message
    assert message == (
        f"cannot write the build into {dist}: {dist / NEW[1]}: No space left on device "
        f"(nothing in {dist} was changed)"
    )
    assert "check the disk has space" in failure.value.hint
    assert _snapshot(dist) == before  # no truncated file under any name, no temp dir
    assert distdir.foreign_files(dist, NAME) == []


def test_a_full_disk_writing_the_pending_record_leaves_dist_as_it_was(
    dist: Path, built: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(dist)
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fd: int, mode: str) -> None:
            self.handle = real_fdopen(fd, mode)

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[:10])
            raise _enospc()

    monkeypatch.setattr(records.os, "fdopen", Full)
    with pytest.raises(BuildError) as failure:
        distdir.replace_dist(dist, built, NAME)
    assert f"{dist / PENDING_NAME}: No space left on device" in failure.value.message
    assert f"(nothing in {dist} was changed)" in failure.value.message
    assert _snapshot(dist) == before


def test_a_failure_half_way_through_the_renames_leaves_only_known_files(
    dist: Path, built: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    done: list[str] = []

    def second_fails(source: str | Path, target: str | Path) -> None:
        if str(target).endswith(".whl") and done:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        done.append(str(target))
        real_replace(source, target)

    monkeypatch.setattr(distdir.os, "replace", second_fails)
    with pytest.raises(BuildError) as failure:
        distdir.replace_dist(dist, built, NAME)
    assert "every file in it is still known as releasekit's: run the build again" in (
        failure.value.message
    )
    assert (dist / NEW[0]).is_file()  # moved in whole
    assert distdir.foreign_files(dist, NAME) == []  # so the rerun replaces it
    assert not [p for p in dist.iterdir() if p.name.startswith(records.TEMP_PREFIX)]
    monkeypatch.setattr(distdir.os, "replace", real_replace)
    distdir.replace_dist(dist, built, NAME)  # the rerun
    assert sorted(p.name for p in artifacts.find_dists(dist)) == sorted(NEW)


def test_files_moved_in_before_the_manifest_are_releasekits(dist: Path, built: list[Path]) -> None:
    """A build stopped after the move (SIGTERM or a full disk during twine check, before the
    manifest): the next run knows every file as its own; once the manifest is written, the
    pending record goes."""
    distdir.replace_dist(dist, built, NAME)
    assert not (dist / MANIFEST_NAME).exists()
    assert not (dist / "releasekit-publish-test.json").exists()
    assert sorted(p.name for p in artifacts.find_dists(dist)) == sorted(NEW)
    assert distdir.foreign_files(dist, NAME) == []
    assert distdir.foreign_files(dist, "other") == sorted(NEW)  # the record is demo's
    with open(dist / NEW[0], "ab") as handle:
        handle.write(b"edited")
    assert distdir.foreign_files(dist, NAME) == [f"{NEW[0]} (changed since it was built)"]


def test_a_stray_file_is_still_refused(dist: Path, built: list[Path]) -> None:
    distdir.replace_dist(dist, built, NAME)
    (dist / "demo-0.9.tar.gz").write_bytes(b"not ours")
    assert distdir.foreign_files(dist, NAME) == ["demo-0.9.tar.gz"]


def test_a_corrupt_manifest_is_named_with_what_to_do(dist: Path) -> None:
    (dist / MANIFEST_NAME).write_text('{"name": "demo", "files": [')
    with pytest.raises(BuildError) as failure:
        distdir.foreign_files(dist, NAME)
    manifest = dist / MANIFEST_NAME
    assert failure.value.message.startswith(f"the build manifest {manifest} is unreadable (")
    assert failure.value.message.endswith(
        f"releasekit cannot tell whether {', '.join(sorted(OLD))} in {dist} are its own build"
    )
    assert f"delete {MANIFEST_NAME} and those files" in failure.value.hint


@pytest.mark.parametrize("text", ["3", "[]", '{"files": 1}', "\xff"])
def test_a_manifest_of_another_shape_is_unreadable_not_a_traceback(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / MANIFEST_NAME).write_text(text, encoding="latin-1")
    with pytest.raises(BuildError, match="is unreadable"):
        Manifest.load(tmp_path)


def test_records_are_written_whole_and_a_full_disk_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = Manifest(NAME, "1.0.0", ())
    manifest.save(tmp_path)
    before = (tmp_path / MANIFEST_NAME).read_bytes()
    real_fdopen = os.fdopen

    def full(fd: int, mode: str) -> object:
        handle = real_fdopen(fd, mode)
        handle.close()
        raise _enospc()

    monkeypatch.setattr(records.os, "fdopen", full)
    with pytest.raises(OSError) as failure:
        Manifest(NAME, "2.0.0", ()).save(tmp_path)
    assert failure.value.filename == str(tmp_path / MANIFEST_NAME)
    with pytest.raises(OSError) as failure:
        PublishRecord("test", "2 uploaded").save(tmp_path)
    assert failure.value.filename == str(tmp_path / "releasekit-publish-test.json")
    with pytest.raises(OSError) as failure:
        StepTimes(tmp_path).record("build", 1.0)
    assert failure.value.filename == str(tmp_path / "releasekit-steps.json")
    with pytest.raises(OSError) as failure:
        ReleasePlan(NAME, "2.0.0", "final", None, "v2.0.0", (), ()).save(tmp_path)
    assert failure.value.filename == str(tmp_path / "releasekit-plan.json")
    with pytest.raises(OSError) as failure:
        Handoff(NAME, "python", {}, {}).save(tmp_path)
    assert failure.value.filename == str(tmp_path / "releasekit-project.json")
    assert (tmp_path / MANIFEST_NAME).read_bytes() == before  # the old one, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME]  # no temp files


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_on_the_journal_names_it(tmp_path: Path) -> None:
    """Right after an upload the journal's line is written: a real full device (Linux's
    /dev/full answers every write with ENOSPC) gave "No space left on device" alone."""
    (tmp_path / "releasekit-journal.jsonl").symlink_to("/dev/full")
    with pytest.raises(OSError) as failure:
        Journal(tmp_path).record("upload", "http://x/", "demo-1.0.tar.gz", "ab" * 32)
    assert failure.value.filename == str(tmp_path / "releasekit-journal.jsonl")
    assert failure.value.strerror == "No space left on device"


@pytest.mark.parametrize(
    ("filename", "said"),
    [
        ("demo-1.0-py3-none-any.whl", "is not a readable wheel (zip) file"),
        ("demo-1.0.tar.gz", "is not a readable sdist (tar.gz) file"),
    ],
)
def test_a_file_that_is_no_archive_is_named(tmp_path: Path, filename: str, said: str) -> None:
    (tmp_path / filename).write_bytes(b"this is no archive\n")
    with pytest.raises(BuildError) as failure:
        artifacts.check_archives([tmp_path / filename])
    assert failure.value.message.startswith(f"{tmp_path}: {filename} {said}: ")
    assert "\n" not in failure.value.message
    assert failure.value.hint == (
        f"remove {filename} from {tmp_path} or put the file the build made there"
    )


_STOPPED = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from releasekit.kinds.python import distdir
    from releasekit.runtime import signals

    signals.install()
    dist, built = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]

    def copy_then_stop(source, target):
        data = source.read_bytes()
        target.write_bytes(data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGTERM)  # a CI cancel, half-way through a file
        time.sleep(5)
        target.write_bytes(data)

    distdir._copy_file = copy_then_stop
    try:
        distdir.replace_dist(dist, built, "demo")
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


def test_sigterm_half_way_through_the_move_leaves_dist_as_it_was(
    dist: Path, built: list[Path]
) -> None:
    before = _snapshot(dist)
    done = subprocess.run(
        [sys.executable, "-c", _STOPPED, str(dist), *map(str, built)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 130, done.stdout + done.stderr
    assert "releasekit: SIGTERM received: stopping" in done.stderr
    assert _snapshot(dist) == before
    assert distdir.foreign_files(dist, NAME) == []


def test_a_killed_moves_leftovers_go_with_the_next_build(dist: Path, built: list[Path]) -> None:
    """SIGKILL skips every cleanup: the temporary directory it leaves is no distribution,
    and the next build removes it."""
    leftover = dist / f"{records.TEMP_PREFIX}abc"
    leftover.mkdir()
    (leftover / NEW[0]).write_bytes(b"half")
    assert distdir.foreign_files(dist, NAME) == []
    distdir.replace_dist(dist, built, NAME)
    assert not leftover.exists()
    pending = json.loads((dist / PENDING_NAME).read_text())
    assert pending["name"] == NAME and sorted(pending["files"]) == sorted({*OLD, *NEW})
    assert sorted(p.name for p in artifacts.find_dists(dist)) == sorted(NEW)


def test_an_error_names_the_record_not_its_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only dist/: mkstemp's error names a random temporary file the user never
    sees; the record is what to name."""

    def refused(dir: str, prefix: str, suffix: str) -> tuple[int, str]:
        name = os.path.join(dir, f"{prefix}x1y2z3{suffix}")
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)

    monkeypatch.setattr(records.tempfile, "mkstemp", refused)
    with pytest.raises(PermissionError) as failure:
        StepTimes(tmp_path).record("check", 1.0)
    assert failure.value.filename == str(tmp_path / "releasekit-steps.json")


def test_a_stop_during_the_cleanup_does_not_cut_it_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM while the build's temporary directory (a build env: thousands of files) was
    removed left the rest of it in /tmp: the removal finishes, then the stop goes on."""
    work = tmp_path / "releasekit-build-x"
    for n in range(20):
        (work / "env" / str(n)).mkdir(parents=True)
        (work / "env" / str(n) / "f.py").write_text("x")
    real_rmtree = distdir.shutil.rmtree
    calls: list[Path] = []

    def interrupted_once(path: Path, ignore_errors: bool = False) -> None:
        calls.append(path)
        if len(calls) == 1:
            real_rmtree(Path(path) / "env" / "0")
            raise KeyboardInterrupt
        real_rmtree(path, ignore_errors=ignore_errors)

    monkeypatch.setattr(distdir.shutil, "rmtree", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        distdir.remove_fully(work)
    assert not work.exists() and len(calls) == 2

"""A rehearsal's stand-in index holds only earlier rehearsals' uploads of the commit:
scratch space that never refuses this build (real strict LocalIndex, the real IndexTarget
as a stand-in reads it)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from releasekit.engine.manifest import DistFile, Manifest
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.targets.pypi import IndexTarget
from tests.helpers.dists import metadata, sdist, wheel
from tests.helpers.index import upload_file


def _manifest(*paths: Path) -> Manifest:
    files = tuple(
        DistFile(
            p.name,
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_size,
            "wheel" if p.name.endswith(".whl") else "sdist",
        )
        for p in paths
    )
    return Manifest(name="scratch", version="1.0.0", files=files, tag="v1.0.0")


def test_a_rehearsal_weeks_later_starts_afresh_instead_of_meeting_the_14_day_rule(
    tmp_path: Path,
) -> None:
    """The commit rehearsed again 15 days later, its wheel built anew with other bytes: the
    old sdist would make the release "older than 14 days", on the stand-in's own scratch."""
    first, again = tmp_path / "first", tmp_path / "again"
    old_sdist = sdist(first, "scratch-1.0.0.tar.gz", metadata("scratch"))
    old_wheel = wheel(first, "scratch-1.0.0-py3-none-any.whl", metadata("scratch"))
    new_wheel = wheel(
        again, "scratch-1.0.0-py3-none-any.whl", metadata("scratch"), files={"x.py": b"1\n"}
    )
    with LocalIndex(tmp_path / "packages", server_python=Path(sys.executable)) as index:
        for path in (old_sdist, old_wheel):
            assert upload_file(index, path).status == 200
        index.backdate("scratch", "1.0.0", 15)
        said: list[str] = []
        stand_in = IndexTarget(
            index.index_config("test"),
            project="scratch",
            environ=index.credentials("test"),
            rehearsal=True,
            stand_in_storage=index.packages_dir,
            log=said.append,
        )
        state = stand_in.read(_manifest(old_sdist, new_wheel))
        assert state.refusals == ()
        assert dict(state.files) == {}
        assert sorted(said) == [
            f"rehearsal test: dropped {name} (sha256 {digest[:12]}…), an earlier rehearsal's "
            "upload of this commit; they are older than PyPI's 14-day window for new files of "
            "a release, so the rehearsal starts afresh"
            for name, digest in sorted(
                (p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in (old_sdist, old_wheel)
            )
        ]
        # the index took them back as files gone from disk, not deleted: both upload again
        assert upload_file(index, old_sdist).status == 200
        assert upload_file(index, new_wheel).status == 200


def test_the_same_build_weeks_later_drops_nothing(tmp_path: Path) -> None:
    """Nothing to add: the old files are this build's bytes, and nothing is uploaded."""
    first = tmp_path / "first"
    old_sdist = sdist(first, "scratch-1.0.0.tar.gz", metadata("scratch"))
    with LocalIndex(tmp_path / "packages", server_python=Path(sys.executable)) as index:
        assert upload_file(index, old_sdist).status == 200
        index.backdate("scratch", "1.0.0", 15)
        stand_in = IndexTarget(
            index.index_config("test"),
            project="scratch",
            environ=index.credentials("test"),
            rehearsal=True,
            stand_in_storage=index.packages_dir,
        )
        state = stand_in.read(_manifest(old_sdist))
        assert state.refusals == () and list(state.files) == [old_sdist.name]

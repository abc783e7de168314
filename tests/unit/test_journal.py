"""The journal: appended as steps happen, read back despite a torn line, asked by sha256."""

from __future__ import annotations

import json
from pathlib import Path

from releasekit.engine.journal import (
    JOURNAL_NAME,
    Entry,
    Journal,
    Progress,
    Status,
    current_run_id,
    done,
    new_run_id,
    progress,
    summarize,
)
from releasekit.engine.manifest import DistFile

WHEEL = DistFile("demo-1.2.0-py3-none-any.whl", "a" * 64, 100, "wheel")
SDIST = DistFile("demo-1.2.0.tar.gz", "b" * 64, 200, "sdist")
URLS = {"test": "https://test.example/simple/", "prod": "https://prod.example/simple/"}
REHEARSAL = "http://127.0.0.1:8765/simple/"  # a rehearsal's stand-in, also named "prod"


def test_record_appends_one_line_per_step(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "dist", "run-1")
    journal.record("upload", "test", WHEEL.filename, WHEEL.sha256, version="1.2.0")
    journal.record("upload", "test", SDIST.filename, SDIST.sha256.upper(), version="1.2.0")
    lines = (tmp_path / "dist" / JOURNAL_NAME).read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["step"] == "upload" and first["target"] == "test"
    assert first["file"] == WHEEL.filename and first["sha256"] == WHEEL.sha256
    assert first["version"] == "1.2.0" and first["run"] == "run-1"
    assert first["time"].endswith("Z") and first["time"][10] == "T"
    assert json.loads(lines[1])["sha256"] == SDIST.sha256  # stored lower case
    entries = Journal.read(tmp_path / "dist")
    assert [e.file for e in entries] == [WHEEL.filename, SDIST.filename]
    assert entries[0].version == "1.2.0"
    assert entries == journal.entries()


def test_a_second_journal_appends_and_keeps_history(tmp_path: Path) -> None:
    Journal(tmp_path, "run-1").record("upload", "test", WHEEL.filename, WHEEL.sha256)
    Journal(tmp_path, "run-2").record("upload", "prod", WHEEL.filename, WHEEL.sha256)
    assert [e.run for e in Journal.read(tmp_path)] == ["run-1", "run-2"]


def test_later_kinds_fit_as_extra_fields(tmp_path: Path) -> None:
    journal = Journal(tmp_path, "run-1")
    entry = journal.record(
        "asset", "github", "demo-1.2.0.tar.gz", SDIST.sha256, release_url="https://x/1"
    )
    (read,) = Journal.read(tmp_path)
    assert read == entry
    assert read.extra == {"release_url": "https://x/1"} and read.version is None


def test_a_torn_last_line_is_skipped_and_the_next_record_starts_a_new_line(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path, "run-1")
    journal.record("upload", "test", WHEEL.filename, WHEEL.sha256)
    path = tmp_path / JOURNAL_NAME
    with open(path, "a") as handle:  # a crash in the middle of a write
        handle.write('{"time": "2026-11-21T10:42:07Z", "step": "upl')
    assert [e.file for e in Journal.read(tmp_path)] == [WHEEL.filename]
    journal.record("upload", "test", SDIST.filename, SDIST.sha256)
    assert [e.file for e in Journal.read(tmp_path)] == [WHEEL.filename, SDIST.filename]


def test_lines_that_are_not_entries_are_skipped(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_NAME).write_text(
        '\n[1, 2]\n{"step": "upload"}\nnot json\n'
        + Entry("t", "upload", "test", "f", "c" * 64, "r").to_json()
        + "\n"
    )
    assert [e.file for e in Journal.read(tmp_path)] == ["f"]


def test_no_journal_reads_empty(tmp_path: Path) -> None:
    assert Journal.read(tmp_path) == []


def test_done_matches_target_file_and_bytes(tmp_path: Path) -> None:
    journal = Journal(tmp_path, "run-1")
    test = URLS["test"]
    journal.record("upload", "test", WHEEL.filename, "f" * 64, url=test)  # other build
    journal.record("upload", "test", WHEEL.filename, WHEEL.sha256, url=test)
    entries = Journal.read(tmp_path)
    found = done(entries, test, WHEEL.filename, WHEEL.sha256.upper())
    assert found is not None and found.sha256 == WHEEL.sha256 and found.url == test
    assert done(entries, URLS["prod"], WHEEL.filename, WHEEL.sha256) is None
    assert done(entries, test, SDIST.filename, SDIST.sha256) is None
    assert done(entries, test, WHEEL.filename, WHEEL.sha256, step="asset") is None


def test_a_rehearsal_never_counts_for_the_real_index_of_the_same_name(tmp_path: Path) -> None:
    """Lines are keyed by the target's URL, not its name: "prod" in a rehearsal is a local
    pypiserver, and what it got says nothing of what PyPI holds."""
    Journal(tmp_path, "run-1").record("upload", "prod", WHEEL.filename, WHEEL.sha256, url=REHEARSAL)
    entries = Journal.read(tmp_path)
    assert done(entries, REHEARSAL, WHEEL.filename, WHEEL.sha256) is not None
    assert done(entries, URLS["prod"], WHEEL.filename, WHEEL.sha256) is None
    items = progress(
        entries, run_id="run-2", targets={"prod": URLS["prod"]}, files=[WHEEL], served={}
    )
    assert [p.status for p in items] == [Status.MISSING]


def test_a_line_without_a_url_matches_no_target(tmp_path: Path) -> None:
    """Written before lines were keyed by URL: which index it meant cannot be told."""
    Journal(tmp_path, "run-1").record("upload", "prod", WHEEL.filename, WHEEL.sha256)
    assert done(Journal.read(tmp_path), URLS["prod"], WHEEL.filename, WHEEL.sha256) is None


def test_done_gives_the_first_time(tmp_path: Path) -> None:
    test = URLS["test"]
    Journal(tmp_path, "run-1").record("upload", "test", WHEEL.filename, WHEEL.sha256, url=test)
    Journal(tmp_path, "run-2").record("upload", "test", WHEEL.filename, WHEEL.sha256, url=test)
    found = done(Journal.read(tmp_path), test, WHEEL.filename, WHEEL.sha256)
    assert found is not None and found.run == "run-1"


def _entry(target: str, item: DistFile, run: str, sha256: str | None = None) -> Entry:
    sha256 = sha256 or item.sha256
    extra = {"url": URLS[target]}
    return Entry("2026-11-21T10:00:00Z", "upload", target, item.filename, sha256, run, extra)


def test_progress_tells_this_run_from_an_earlier_one_and_missing() -> None:
    entries = [
        _entry("test", WHEEL, "old"),
        _entry("test", SDIST, "old"),
        _entry("prod", WHEEL, "now"),
        _entry("prod", SDIST, "old", sha256="0" * 64),  # an earlier build of the same name
    ]
    served = {
        "test": {WHEEL.filename: WHEEL.sha256, SDIST.filename: SDIST.sha256.upper()},
        "prod": {WHEEL.filename: WHEEL.sha256},
    }
    items = progress(entries, run_id="now", targets=URLS, files=[WHEEL, SDIST], served=served)
    got = {(p.target, p.file): p.status for p in items}
    assert got == {
        ("test", WHEEL.filename): Status.EARLIER_RUN,
        ("test", SDIST.filename): Status.EARLIER_RUN,
        ("prod", WHEEL.filename): Status.THIS_RUN,
        ("prod", SDIST.filename): Status.MISSING,
    }
    assert summarize(items) == "1 uploaded by this run, 2 by an earlier run, 1 missing"
    assert summarize(p for p in items if p.target == "test") == "2 uploaded by an earlier run"
    earlier = next(p for p in items if p.status is Status.EARLIER_RUN)
    assert earlier.entry is not None and earlier.entry.run == "old"


def test_the_target_is_the_truth() -> None:
    """Journaled but not served (or other bytes): missing. Served, never journaled: there."""
    entries = [_entry("test", WHEEL, "now")]
    served = {"test": {WHEEL.filename: "9" * 64, SDIST.filename: SDIST.sha256}}
    items = progress(
        entries, run_id="now", targets={"test": URLS["test"]}, files=[WHEEL, SDIST], served=served
    )
    assert [p.status for p in items] == [Status.MISSING, Status.NOT_JOURNALED]
    assert summarize(items) == "1 already there, 1 missing"


def test_a_target_not_read_is_answered_by_the_journal() -> None:
    items = progress(
        [_entry("prod", WHEEL, "now")],
        run_id="now",
        targets={"prod": URLS["prod"]},
        files=[WHEEL, SDIST],
        served={},
    )
    assert [p.status for p in items] == [Status.THIS_RUN, Status.MISSING]


def test_summarize_nothing() -> None:
    assert summarize([]) == "no files"
    one = Progress("github", "x", "a" * 64, Status.THIS_RUN)
    assert summarize([one], verb="attached") == "1 attached by this run"


def test_run_ids() -> None:
    assert current_run_id() == current_run_id()
    first, second = new_run_id(), new_run_id()
    assert first != second and first[8] == "T" and first[15] == "Z"
    assert Journal(Path("dist")).run_id == current_run_id()

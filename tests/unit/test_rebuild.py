"""Two builds of one file compared member by member (kinds/python/secondbuild.py): the first
difference in archive order, named; and the second build's conditions."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from releasekit.errors import BuildError
from releasekit.kinds.python import rebuild, secondbuild
from releasekit.kinds.python.secondbuild import Difference, compare_builds, first_difference

EPOCH = 1_700_000_000

Member = tuple[str, bytes, int, int]  # name, content, mode, mtime


def _members(**changes: Member) -> list[Member]:
    base = {
        "dir": ("demo-1.0/PKG-INFO", b"Metadata-Version: 2.4\nName: demo\n", 0o644, EPOCH),
        "code": ("demo-1.0/src/demo/__init__.py", b'"""demo."""\n', 0o644, EPOCH),
        "stamp": ("demo-1.0/src/demo/_stamp.py", b"STAMP = 1\n", 0o644, EPOCH),
    }
    base.update(changes)
    return list(base.values())


def _sdist(path: Path, members: Sequence[Member], *, gzip_mtime: int = EPOCH) -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data, mode, mtime in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, mtime
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(raw.getvalue(), mtime=gzip_mtime))
    return path


def _wheel(path: Path, members: Sequence[Member]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, data, mode, _ in members:
            info = zipfile.ZipInfo(name.split("/", 1)[1], date_time=(2020, 2, 2, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            whl.writestr(info, data)
    return path


def _pair(tmp_path: Path, suffix: str = ".tar.gz") -> tuple[Path, Path]:
    (tmp_path / "one").mkdir(exist_ok=True)
    (tmp_path / "two").mkdir(exist_ok=True)
    return tmp_path / "one" / f"demo-1.0{suffix}", tmp_path / "two" / f"demo-1.0{suffix}"


def test_the_same_bytes_are_no_difference(tmp_path: Path) -> None:
    one, two = _pair(tmp_path)
    _sdist(one, _members())
    _sdist(two, _members())
    assert first_difference(one, two) is None


def test_a_timestamp_in_a_file_is_named_by_member_and_content(tmp_path: Path) -> None:
    one, two = _pair(tmp_path)
    _sdist(one, _members())
    _sdist(two, _members(stamp=("demo-1.0/src/demo/_stamp.py", b"STAMP = 2\n", 0o644, EPOCH)))
    found = first_difference(one, two)
    assert found is not None
    assert (found.member, found.aspect) == ("demo-1.0/src/demo/_stamp.py", "content")
    assert found.first.startswith("sha256 ") and "(from byte 8)" in found.first
    assert "SOURCE_DATE_EPOCH" in found.hint


def test_the_first_difference_in_archive_order_is_the_one_named(tmp_path: Path) -> None:
    """The mode of the first member and the content of the third: the mode is named."""
    one, two = _pair(tmp_path)
    _sdist(one, _members())
    _sdist(
        two,
        _members(
            dir=("demo-1.0/PKG-INFO", b"Metadata-Version: 2.4\nName: demo\n", 0o664, EPOCH),
            stamp=("demo-1.0/src/demo/_stamp.py", b"STAMP = 2\n", 0o644, EPOCH),
        ),
    )
    assert first_difference(one, two) == Difference("demo-1.0/PKG-INFO", "mode", "0o644", "0o664")


def test_a_member_time_and_the_gzip_header_time(tmp_path: Path) -> None:
    one, two = _pair(tmp_path)
    _sdist(one, _members())
    _sdist(
        two, _members(code=("demo-1.0/src/demo/__init__.py", b'"""demo."""\n', 0o644, EPOCH + 60))
    )
    found = first_difference(one, two)
    assert found == Difference(
        "demo-1.0/src/demo/__init__.py", "mtime", "2023-11-14T22:13:20Z", "2023-11-14T22:14:20Z"
    )
    _sdist(two, _members(), gzip_mtime=EPOCH + 1)
    found = first_difference(one, two)
    assert found is not None and (found.member, found.aspect) == ("(gzip header)", "mtime")


def test_a_member_only_one_build_made(tmp_path: Path) -> None:
    one, two = _pair(tmp_path)
    _sdist(one, _members())
    extra = ("demo-1.0/src/demo/_built.py", b"", 0o644, EPOCH)
    _sdist(two, [*_members(), extra])
    assert first_difference(one, two) == Difference(
        "demo-1.0/src/demo/_built.py", "presence", "not in the first build", "in the second"
    )
    _sdist(two, [_members()[0], _members()[2]])
    assert first_difference(one, two) == Difference(
        "demo-1.0/src/demo/__init__.py", "presence", "in the first build", "not in the second"
    )


def test_another_order_is_named(tmp_path: Path) -> None:
    one, two = _pair(tmp_path)
    members = _members()
    _sdist(one, members)
    _sdist(two, [members[0], members[2], members[1]])
    found = first_difference(one, two)
    assert found is not None and found.aspect == "name"
    assert found.member == "demo-1.0/src/demo/__init__.py"


def test_wheels_member_by_member(tmp_path: Path) -> None:
    one, two = _pair(tmp_path, "-py3-none-any.whl")
    _wheel(one, _members())
    _wheel(two, _members())
    assert first_difference(one, two) is None
    _wheel(two, _members(stamp=("demo-1.0/src/demo/_stamp.py", b"STAMP = 2\n", 0o644, EPOCH)))
    found = first_difference(one, two)
    assert found is not None and (found.member, found.aspect) == ("src/demo/_stamp.py", "content")
    _wheel(two, _members(code=("demo-1.0/src/demo/__init__.py", b'"""demo."""\n', 0o664, EPOCH)))
    assert first_difference(one, two) == Difference(
        "src/demo/__init__.py", "mode", "0o100644", "0o100664"
    )


def test_compare_builds_names_each_differing_file_in_order(tmp_path: Path) -> None:
    one, two = _pair(tmp_path)
    _sdist(one, _members())
    _sdist(two, _members(stamp=("demo-1.0/src/demo/_stamp.py", b"STAMP = 2\n", 0o644, EPOCH)))
    whl_one, whl_two = _pair(tmp_path, "-py3-none-any.whl")
    _wheel(whl_one, _members())
    _wheel(whl_two, _members())
    only = tmp_path / "two" / "demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    _wheel(only, _members())
    found = compare_builds([one, whl_one], [whl_two, two, only])
    assert [(f.filename, f.difference.aspect) for f in found] == [
        ("demo-1.0.tar.gz", "content"),
        ("demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl", "files"),
    ]


def test_prove_reproducible_names_files_members_and_a_hint(tmp_path: Path) -> None:
    one, _ = _pair(tmp_path)
    _sdist(one, _members())
    said: list[str] = []

    def again(variant: secondbuild.Variant) -> list[Path]:
        assert variant.env == {"TZ": variant.tz}
        assert str(tmp_path) not in str(variant.checkout)
        stamp = ("demo-1.0/src/demo/_stamp.py", b"STAMP = 2\n", 0o644, EPOCH)
        return [_sdist(variant.work / one.name, _members(stamp=stamp))]

    with pytest.raises(BuildError) as caught:
        secondbuild.prove_reproducible(
            [one], again, root=tmp_path, commit="a" * 40, log=said.append
        )
    message = caught.value.message
    assert message.startswith(
        "not reproducible: 1 of 1 built files differ between two builds of commit aaaaaaaaaaaa "
        "(the second at "
    )
    assert message.endswith(": demo-1.0.tar.gz at demo-1.0/src/demo/_stamp.py (content)")
    assert "\n" not in message
    assert caught.value.hint.startswith(
        "a file written at build time carries the build's clock, path or environment"
    )
    assert caught.value.hint.endswith("; nothing was published")
    detail = "check-reproducible: demo-1.0.tar.gz at demo-1.0/src/demo/_stamp.py: content sha256 "
    assert any(line.startswith(detail) for line in said)


def test_prove_reproducible_passes_and_leaves_the_umask_alone(tmp_path: Path) -> None:
    """The second build varies the path and TZ; the umask is the build's own 022 for both
    (build.release_umask), so the second build is not started under another one."""
    one, _ = _pair(tmp_path)
    _sdist(one, _members())
    before = os.umask(0o027)
    seen: list[int] = []
    said: list[str] = []
    checkouts: list[Path] = []

    def again(variant: secondbuild.Variant) -> list[Path]:
        current = os.umask(0o027)
        seen.append(current)
        checkouts.append(variant.checkout)
        return [_sdist(variant.work / one.name, _members())]

    try:
        secondbuild.prove_reproducible([one], again, root=tmp_path, commit=None, log=said.append)
    finally:
        after = os.umask(before)
    assert seen == [0o027] and after == 0o027
    (checkout,) = checkouts
    tz = secondbuild.other_tz(time.localtime().tm_gmtoff)
    assert said[0] == f"check-reproducible: building again at {checkout}, TZ={tz}"
    assert said[-1].startswith(
        f"check-reproducible: demo-1.0.tar.gz built again at {checkout}, TZ={tz}: the same bytes ("
    )


def test_the_second_checkout_is_not_as_long_as_the_first(tmp_path: Path) -> None:
    """The first build's path is core.git's (stable_checkout_path), the second's another
    length, so a path written into the bytes shows."""
    from releasekit.core import git

    first = git.stable_checkout_path(tmp_path)
    assert first.name == "src" and first.parent.name == f"releasekit-checkout-{tmp_path.name}"
    with secondbuild.elsewhere(tmp_path) as variant:
        assert len(str(variant.checkout)) != len(str(first))
        assert variant.checkout.parent.is_dir()
    assert not variant.work.exists()


def test_the_second_builds_conditions_differ_from_the_first() -> None:
    assert secondbuild.other_tz(0) == "RKT-13:45"
    assert secondbuild.other_tz(3600) == "RKT-13:45"
    assert secondbuild.other_tz(13 * 3600 + 45 * 60) == "RKT+09:30"


def test_a_report_reads_as_one_table_and_as_json() -> None:
    same = rebuild.FileVerdict("demo-1.0.tar.gz", "same", "ab" * 32, "ab" * 32)
    differs = rebuild.FileVerdict(
        "demo-1.0-py3-none-any.whl", "differs", "cd" * 32, "ef" * 32,
        Difference("demo/_stamp.py", "content", "sha256 cdcd…", "sha256 efef…"),
    )  # fmt: skip
    other = rebuild.FileVerdict("demo-1.0-cp312-cp312-win_amd64.whl", "not rebuilt", "01" * 32)
    report = rebuild.RebuildReport(
        "demo", "1.0", "v1.0", "c" * 40, "http://127.0.0.1:1/simple/", (same, differs, other)
    )
    assert not report.ok
    assert report.lines()[0].startswith(
        "rebuild of demo 1.0 from v1.0 (cccccccccccc) against http://127.0.0.1:1/simple/: "
        "NOT reproduced"
    )
    assert report.lines()[2] == (
        "  demo-1.0-py3-none-any.whl: differs at demo/_stamp.py: content sha256 cdcd… served, "
        "sha256 efef… rebuilt"
    )
    assert report.as_json()["files"][1]["difference"]["member"] == "demo/_stamp.py"
    assert rebuild.RebuildReport("demo", "1.0", "v1.0", "c", "u", (same, other)).ok
    assert not rebuild.RebuildReport("demo", "1.0", "v1.0", "c", "u", (other,)).ok


def test_a_served_sdist_of_one_time_is_rebuilt_with_that_time(tmp_path: Path) -> None:
    """filelock 3.32.3 on PyPI: hatchling without SOURCE_DATE_EPOCH stamps every member
    2020-02-02 (1580601600); releasekit's rebuild takes the tag's commit time, so it differs
    first in a time, and is built again with the served one."""
    served = tmp_path / "served"
    served.mkdir()
    hatch_default = 1_580_601_600
    _sdist(served / "demo-1.0.tar.gz", [(n, d, m, hatch_default) for n, d, m, _ in _members()])

    def verdict(aspect: str) -> rebuild.FileVerdict:
        return rebuild.FileVerdict(
            "demo-1.0.tar.gz", "differs", "ab" * 32, "cd" * 32,
            Difference("demo-1.0/PKG-INFO", aspect, "served", "rebuilt"),
        )  # fmt: skip

    assert rebuild._served_epoch([verdict("mtime")], served, EPOCH) == hatch_default
    # the served time is the tag's: nothing to try again; a difference in content is real
    assert rebuild._served_epoch([verdict("mtime")], served, hatch_default) is None
    assert rebuild._served_epoch([verdict("content")], served, EPOCH) is None
    # members of several times: a build of its own clock, no one time to build with
    _sdist(served / "demo-1.0.tar.gz", _members(code=("demo-1.0/a.py", b"", 0o644, EPOCH + 1)))
    assert rebuild._served_epoch([verdict("mtime")], served, EPOCH - 9) is None
    report = rebuild.RebuildReport(
        "demo", "1.0", "v1.0", "c" * 40, "u", (verdict("mtime"),), epoch=hatch_default
    )
    assert report.lines()[0].endswith(
        f"; built with SOURCE_DATE_EPOCH={hatch_default}, the one time of every member of the "
        "served sdist (releasekit's own builds take the tag's commit time)"
    )
    assert report.as_json()["source_date_epoch"] == hatch_default


def test_diffoscope_on_path_reports_into_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in ``diffoscope`` (it is not installed here): its report is logged line by
    line, and the hint no longer asks to install it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "diffoscope"
    script.write_text('#!/bin/sh\necho "--- $4"\necho "+++ $5"\necho "-STAMP = 1"\nexit 1\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    one, _ = _pair(tmp_path)
    _sdist(one, _members())
    said: list[str] = []

    def again(variant: secondbuild.Variant) -> list[Path]:
        stamp = ("demo-1.0/src/demo/_stamp.py", b"STAMP = 2\n", 0o644, EPOCH)
        return [_sdist(variant.work / one.name, _members(stamp=stamp))]

    with pytest.raises(BuildError) as caught:
        secondbuild.prove_reproducible([one], again, root=tmp_path, commit=None, log=said.append)
    assert "diffoscope" not in caught.value.hint
    start = said.index(
        "check-reproducible: diffoscope demo-1.0.tar.gz (first build) vs the second:"
    )
    assert said[start + 1] == f"  --- {one}"
    assert said[start + 2].startswith("  +++ ") and said[start + 2].endswith("/demo-1.0.tar.gz")
    assert said[start + 3] == "  -STAMP = 1"


def test_without_uv_a_missing_build_package_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`status --rebuild` builds with releasekit's own interpreter, where `build` (no
    dependency of releasekit) may be missing: one line naming it, before anything runs."""
    import importlib.util
    import sys

    from releasekit.core.config import parse_config
    from releasekit.kinds.python import build

    real = importlib.util.find_spec
    monkeypatch.setattr(build, "find_uv", lambda: None)
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "build" else real(name, *a)
    )
    config = parse_config({"tool": {"releasekit": {"prepare-commands": ["false"]}}}, tmp_path)
    said: list[str] = []
    with pytest.raises(BuildError) as caught:
        build._build_checkout(
            config, tmp_path, tmp_path / "work", (sys.executable,), {}, None, None, said.append
        )
    assert caught.value.message == (
        "cannot build: uv is not on PATH and the build package is not installed for "
        f"{sys.executable}"
    )
    assert caught.value.hint == "install build (pip install build) or uv beside releasekit"
    assert said == []  # no prepare-command ran
    # a session's interpreter has it: asked of that interpreter, not of this one
    assert build._python_build(["/venv/bin/python"]) == ["/venv/bin/python", "-m", "build"]

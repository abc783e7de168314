"""An sdist's times settled to the commit's: the gzip header in place, member times clamped.

Archives made here with the standard library the way the backends make them (pdm-backend:
``tarfile.open(..., "w:gz")``; setuptools: a pax tar whose members carry file times).
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zlib
from pathlib import Path

import pytest

from releasekit.errors import BuildError
from releasekit.kinds.python.reproducible import settle_sdist

EPOCH = 1_700_000_000


def _sdist(path: Path, *, built_at: float, member_times: dict[str, float]) -> Path:
    """A .tar.gz as ``tarfile.open(path, "w:gz")`` writes it at time ``built_at``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, mtime in member_times.items():
            info = tarfile.TarInfo(name)
            if name.endswith("/"):
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
                continue
            data = f"the bytes of {name}\n".encode()
            info.size, info.mtime, info.mode = len(data), mtime, 0o644
            archive.addfile(info, io.BytesIO(data))
    with (
        path.open("wb") as handle,
        gzip.GzipFile(filename=path.name, mode="wb", fileobj=handle, mtime=int(built_at)) as zipped,
    ):
        zipped.write(raw.getvalue())
    return path


def _members(path: Path) -> list[tuple[str, int, int, bytes]]:
    with tarfile.open(path, "r:gz") as archive:
        return [
            (
                m.name,
                int(m.mtime),
                m.mode,
                (archive.extractfile(m) or io.BytesIO()).read() if m.isreg() else b"",
            )
            for m in archive
        ]


def test_only_the_gzip_header_time_when_the_members_have_the_commit_time(
    tmp_path: Path,
) -> None:
    """pdm-backend: members at SOURCE_DATE_EPOCH, the gzip header at the build's clock."""
    times = {"demo-1.0/": EPOCH, "demo-1.0/PKG-INFO": EPOCH, "demo-1.0/a.py": EPOCH - 5}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = _sdist(tmp_path / "one" / "demo-1.0.tar.gz", built_at=EPOCH + 100, member_times=times)
    two = _sdist(tmp_path / "two" / "demo-1.0.tar.gz", built_at=EPOCH + 731, member_times=times)
    tar_before = gzip.decompress(one.read_bytes())
    assert one.read_bytes() != two.read_bytes()

    said = settle_sdist(one, EPOCH)
    assert said == f"demo-1.0.tar.gz: the gzip header's time set to SOURCE_DATE_EPOCH={EPOCH}"
    settle_sdist(two, EPOCH)
    assert one.read_bytes() == two.read_bytes()
    assert struct.unpack("<I", one.read_bytes()[4:8]) == (EPOCH,)
    assert gzip.decompress(one.read_bytes()) == tar_before  # the tar is untouched
    assert one.read_bytes()[3] == 0x08 and one.read_bytes()[10:23] == b"demo-1.0.tar\0"
    assert settle_sdist(one, EPOCH) is None  # settled: nothing more to do


def test_file_times_after_the_commit_are_clamped(tmp_path: Path) -> None:
    """setuptools: every member carries the time the file was written, fractions included."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    older = EPOCH - 86_400.0
    a = _sdist(
        tmp_path / "a" / "demo-1.0.tar.gz",
        built_at=EPOCH + 60,
        member_times={"demo-1.0/": 0, "demo-1.0/old.py": older, "demo-1.0/PKG-INFO": EPOCH + 60.25},
    )
    b = _sdist(
        tmp_path / "b" / "demo-1.0.tar.gz",
        built_at=EPOCH + 999,
        member_times={"demo-1.0/": 0, "demo-1.0/old.py": older, "demo-1.0/PKG-INFO": EPOCH + 998.5},
    )
    before = _members(a)

    said = settle_sdist(a, EPOCH)
    assert said == (
        f"demo-1.0.tar.gz: 1 file time(s) after the commit clamped to "
        f"SOURCE_DATE_EPOCH={EPOCH}, and the gzip header's time set to it"
    )
    settle_sdist(b, EPOCH)
    assert a.read_bytes() == b.read_bytes()
    after = _members(a)
    # names, order, modes and bytes kept; a time after the commit becomes the commit's
    assert [(n, mode, data) for n, _, mode, data in after] == [
        (n, mode, data) for n, _, mode, data in before
    ]
    assert [t for _, t, _, _ in after] == [0, int(older), EPOCH]
    with tarfile.open(a, "r:gz") as archive:
        assert all("mtime" not in m.pax_headers for m in archive if m.mtime == EPOCH)
    assert struct.unpack("<I", a.read_bytes()[4:8]) == (EPOCH,)
    assert settle_sdist(a, EPOCH) is None


def test_a_header_crc_is_written_again(tmp_path: Path) -> None:
    """FHCRC (RFC 1952 2.3.1): the CRC16 of the header, which a new MTIME changes."""
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as archive:
        info = tarfile.TarInfo("demo-1.0/PKG-INFO")
        info.mtime = EPOCH
        archive.addfile(info, io.BytesIO(b""))
    data = tar.getvalue()
    header = b"\x1f\x8b\x08" + bytes([0x02 | 0x08]) + struct.pack("<I", EPOCH + 9) + b"\x02\xff"
    header += b"demo-1.0.tar\0"
    header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(header + body + trailer)

    assert settle_sdist(path, EPOCH) is not None
    settled = path.read_bytes()
    end = len(header)
    assert struct.unpack("<I", settled[4:8]) == (EPOCH,)
    assert settled[end - 2 : end] == struct.pack("<H", zlib.crc32(settled[: end - 2]) & 0xFFFF)
    assert settled[end:] == body + trailer
    assert gzip.decompress(settled) == data


def test_not_a_gzip_file_is_a_build_error(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(b"PK\x03\x04 a zip, not a tar.gz")
    with pytest.raises(BuildError) as exc:
        settle_sdist(path, EPOCH)
    assert exc.value.message.startswith("cannot settle the file times of demo-1.0.tar.gz: ")


def test_the_builders_owner_is_settled_to_nobodys(tmp_path: Path) -> None:
    """setuptools records who built it: MarkupSafe 3.0.2's sdist on PyPI says 1001:127
    (runner:docker), the same commit rebuilt as root 0:0 (root:root). Both settle to the
    same bytes, with hatchling's owner (0:0, no names); times already the commit's."""
    built = {}
    for who in ((1001, 127, "runner", "docker"), (0, 0, "root", "root")):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
            info = tarfile.TarInfo("demo-1.0/PKG-INFO")
            data = b"Metadata-Version: 2.1\n"
            info.size, info.mtime, info.mode = len(data), EPOCH - 5, 0o644
            info.uid, info.gid, info.uname, info.gname = who
            archive.addfile(info, io.BytesIO(data))
        path = tmp_path / who[2] / "demo-1.0.tar.gz"
        path.parent.mkdir()
        with (
            path.open("wb") as handle,
            gzip.GzipFile(filename=path.name, mode="wb", fileobj=handle, mtime=EPOCH) as zipped,
        ):
            zipped.write(raw.getvalue())
        said = settle_sdist(path, EPOCH)
        owner = f"{who[2]}:{who[3]}, {who[0]}:{who[1]}"
        assert said == (
            f"demo-1.0.tar.gz: the builder's owner ({owner}) set to 0:0 on every member, and "
            f"the gzip header's time set to SOURCE_DATE_EPOCH={EPOCH}"
        )
        built[who[2]] = path.read_bytes()
        with tarfile.open(path, "r:gz") as archive:
            (member,) = archive.getmembers()
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == EPOCH - 5 and member.mode == 0o644
        assert settle_sdist(path, EPOCH) is None
    assert built["runner"] == built["root"]


def test_a_large_sdist_is_streamed_to_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the in-memory limit the sdist is read through gzip member by member (a 90 MiB
    sdist took nox to 392 MiB unpacked at once); the settled bytes are the same."""
    from releasekit.kinds.python import reproducible

    times = {"demo-1.0/": 0, "demo-1.0/a.py": EPOCH + 5, "demo-1.0/PKG-INFO": EPOCH + 60.25}
    (tmp_path / "memory").mkdir()
    (tmp_path / "streamed").mkdir()
    memory = _sdist(
        tmp_path / "memory" / "demo-1.0.tar.gz", built_at=EPOCH + 60, member_times=times
    )
    streamed = _sdist(
        tmp_path / "streamed" / "demo-1.0.tar.gz", built_at=EPOCH + 60, member_times=times
    )
    assert settle_sdist(memory, EPOCH) is not None
    opened: list[object] = []
    real_open = reproducible.gzip.open
    monkeypatch.setattr(reproducible, "_IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(
        reproducible.gzip, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k)
    )
    assert settle_sdist(streamed, EPOCH) is not None
    assert opened and streamed.read_bytes() == memory.read_bytes()

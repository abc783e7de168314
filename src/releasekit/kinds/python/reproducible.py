"""An sdist whose bytes depend on the commit only, not on when it was built.

Backends honour ``SOURCE_DATE_EPOCH`` unevenly. hatchling does throughout. pdm-backend
stamps its tar members with it but opens the archive with ``tarfile.open(..., "w:gz")``,
which writes the build's clock into the gzip header (RFC 1952: MTIME, bytes 4-7, little
endian). setuptools reads it nowhere: every member carries the time the file was written
(the checkout's, or the build's own for PKG-INFO, setup.cfg and the egg-info), and the gzip
header the build's clock too; and it records who built it (uid, gid and their names: a CI
runner's, a maintainer's). So two builds of one commit differ, and a rehearsal's sdist is
never the bytes its tag then builds, although every file in it is.

releasekit publishes the bytes it built, so it settles the times itself, after the backend
and before anything reads the sdist (the wheel is built from the settled one): a gzip header
MTIME is set to ``SOURCE_DATE_EPOCH`` in place (the deflate stream is untouched, so the
archive gunzips to the same tar), and only when some member is newer than it or has an
owner is the tar written again with those times clamped to it and the owner 0:0 without
names (as GNU tar's ``--mtime --clamp-mtime --owner=0 --group=0 --numeric-owner`` does,
and hatchling itself), each member's name, mode, link and bytes kept, in the order the
backend wrote them.
An sdist that is already reproducible (hatchling's) is left byte for byte alone.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import struct
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

from releasekit.errors import BuildError

__all__ = ["settle_sdist"]

_GZIP_MAGIC = b"\x1f\x8b"
_FHCRC, _FEXTRA, _FNAME, _FCOMMENT = 0x02, 0x04, 0x08, 0x10
# pax records that carry a time: the clamped mtime replaces them (atime and ctime differ
# between any two builds and say nothing an installer reads)
_PAX_TIMES = ("mtime", "atime", "ctime")
# pax records of who built it: the settled owner replaces them
_PAX_OWNER = ("uid", "gid", "uname", "gname")
# The owner every member gets: hatchling's (normalize_tar_metadata), and GNU tar's
# ``--owner=0 --group=0 --numeric-owner``. setuptools writes the builder's: MarkupSafe
# 3.0.2's sdist on PyPI says 1001:127 (runner:docker), a rebuild as root 0:0 (root:root).
_OWNER = (0, 0, "", "")


def settle_sdist(path: Path, epoch: int) -> str | None:
    """Make the times in the sdist at ``path`` those of ``epoch`` (the commit's) and its
    members' owner nobody's; what was changed, for the log, or ``None`` when the sdist
    already had them."""
    try:
        tar = _tar_reader(path)
        newer, owned = _to_settle(tar, epoch)
        if newer or owned:
            _rewrite_clamped(path, tar, epoch)
            done = []
            if newer:
                done.append(
                    f"{newer} file time(s) after the commit clamped to SOURCE_DATE_EPOCH={epoch}"
                )
            if owned:
                done.append(f"the builder's owner ({owned}) set to 0:0 on every member")
            header = "set to it" if newer else f"set to SOURCE_DATE_EPOCH={epoch}"
            return f"{path.name}: {', '.join(done)}, and the gzip header's time {header}"
        if _set_gzip_mtime(path, epoch):
            return f"{path.name}: the gzip header's time set to SOURCE_DATE_EPOCH={epoch}"
    except (OSError, tarfile.TarError, zlib.error, EOFError, gzip.BadGzipFile) as exc:
        raise BuildError(
            f"cannot settle the file times of {path.name}: {exc}",
            "the backend wrote an sdist releasekit cannot read: check it with `tar tzf`",
        ) from None
    return None


# Up to this size (compressed) an sdist is unpacked in memory at once: zlib in one call, then
# tarfile seeking past the contents, takes about half the time of reading the members through
# gzip. A larger one (a bundled frontend, data files) is streamed, so memory stays about one
# member's size instead of four times the sdist's (a 90 MiB sdist took nox to 392 MiB).
_IN_MEMORY_LIMIT = 16 * 1024 * 1024


def _tar_reader(path: Path) -> Callable[[], io.BufferedIOBase]:
    """A function that opens the uncompressed tar of the sdist at ``path`` from its start."""
    if path.stat().st_size <= _IN_MEMORY_LIMIT:
        tar = gzip.decompress(path.read_bytes())
        return lambda: io.BytesIO(tar)
    return lambda: gzip.open(path, "rb")


def _to_settle(tar: Callable[[], io.BufferedIOBase], epoch: int) -> tuple[int, str]:
    """How many members are newer than ``epoch``, and the first owner other than
    :data:`_OWNER` (``uname:gname, uid:gid``; empty when every member has it)."""
    newer, owned = 0, ""
    with tar() as stream, tarfile.open(fileobj=stream, mode="r:") as archive:
        for member in archive:
            newer += member.mtime > epoch
            if not owned and (member.uid, member.gid, member.uname, member.gname) != _OWNER:
                owned = f"{member.uname}:{member.gname}, {member.uid}:{member.gid}"
    return newer, owned


def _header_end(head: bytes) -> int | None:
    """Where the gzip member header at the start of ``head`` ends (``None``: not gzip, or
    a header longer than ``head``)."""
    if len(head) < 10 or head[:2] != _GZIP_MAGIC or head[2] != 8:
        return None
    flags, end = head[3], 10
    try:
        if flags & _FEXTRA:
            (extra,) = struct.unpack("<H", head[end : end + 2])
            end += 2 + extra
        for flag in (_FNAME, _FCOMMENT):
            if flags & flag:
                end = head.index(b"\0", end) + 1
    except (struct.error, ValueError):
        return None
    if flags & _FHCRC:
        end += 2
    return end if end <= len(head) else None


def _set_gzip_mtime(path: Path, epoch: int) -> bool:
    """Set the MTIME of the sdist's gzip header to ``epoch`` in place; whether it changed.

    A header with FHCRC gets its CRC16 (the low half of the header's CRC32) again.
    """
    with path.open("r+b") as handle:
        head = handle.read(65536)
        end = _header_end(head)
        if end is None:
            raise BuildError(
                f"{path.name} does not start with a gzip header",
                "an sdist is a .tar.gz: check the build backend",
            )
        stamp = struct.pack("<I", epoch & 0xFFFFFFFF)
        if head[4:8] == stamp:
            return False
        header = bytearray(head[:end])
        header[4:8] = stamp
        if header[3] & _FHCRC:
            header[-2:] = struct.pack("<H", zlib.crc32(bytes(header[:-2])) & 0xFFFF)
        handle.seek(0)
        handle.write(header)
    return True


def _rewrite_clamped(path: Path, tar: Callable[[], io.BufferedIOBase], epoch: int) -> None:
    """Write the sdist again with every member time clamped to ``epoch`` and every owner
    :data:`_OWNER`: pax format (the
    default of Python's tarfile, which setuptools and pdm-backend write), gzip level 9 with
    the file's name and ``epoch`` in the header, as ``tarfile.open(..., "w:gz")`` does."""
    tmp = path.with_name(path.name + ".releasekit-tmp")
    try:
        with (
            tar() as stream,
            tarfile.open(fileobj=stream, mode="r:") as source,
            tmp.open("wb") as raw,
            gzip.GzipFile(
                filename=path.name, mode="wb", fileobj=raw, compresslevel=9, mtime=epoch
            ) as zipped,
            tarfile.open(
                fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT, pax_headers=source.pax_headers
            ) as target,
        ):
            for member in source:
                dropped: tuple[str, ...] = _PAX_OWNER
                if member.mtime > epoch:
                    member.mtime = epoch
                    dropped += _PAX_TIMES
                member.uid, member.gid, member.uname, member.gname = _OWNER
                member.pax_headers = {
                    key: value for key, value in member.pax_headers.items() if key not in dropped
                }
                data = source.extractfile(member) if member.isreg() else None
                target.addfile(member, data)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

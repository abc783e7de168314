"""The second build of a commit, and the comparison of two builds member by member.

releasekit builds with ``SOURCE_DATE_EPOCH`` = the commit's time and settles what a backend
leaves of the build's clock in an sdist (:mod:`releasekit.kinds.python.reproducible`), so
the bytes *should* depend on the commit only. Nothing proves it unless the commit is built
again where something else differs. ``-- --check-reproducible`` (or ``check-reproducible =
true``) builds the sdist and the wheel a second time, from a second clean checkout of the
same commit, and compares every byte before anything goes to ``dist/``:

- at another path (deeper, of another length): a build that writes its directory into a
  file (a bundler's module ids, a ``__file__`` baked into generated code) differs;
- not under another umask: releasekit pins umask 022 for every build, the first and the
  second (:func:`releasekit.kinds.python.build.release_umask`; setuptools copies the
  checkout's modes into its archives), so a maintainer's or a runner's umask never reaches
  the bytes, and a mode that differs comes from the build itself;
- in another time zone (``TZ``, 13 h 45 min east: an hour offset shared by no one nearby,
  and a quarter hour that no rounding hides): a time written as local time differs;
- with the same ``SOURCE_DATE_EPOCH``, the same backend and the same build requirements,
  which is what a reproducible build may depend on.

A difference is named: which files, and for each the first member where the two builds
part (archive order; name, type, mode, owner, mtime, size, then content), with what a
maintainer would change. When ``diffoscope`` is installed its text report goes to the log
too (it is never required). The error stops the build before ``dist/`` is replaced, so
nothing built that way is published.

The comparison is also what :mod:`releasekit.kinds.python.rebuild` uses for a published
version against its tag.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.errors import BuildError
from releasekit.runtime import proc

__all__ = [
    "Difference",
    "FileDifference",
    "Variant",
    "compare_builds",
    "elsewhere",
    "first_difference",
    "other_tz",
    "prove_reproducible",
]

# The second build's time zone: UTC+13:45 (POSIX spells offsets west of UTC as positive),
# or UTC-9:30 where the first build already ran at +13:45 (the Chatham Islands in summer).
_FAR_TZ = ("RKT-13:45", 13 * 3600 + 45 * 60)
_OTHER_TZ = ("RKT+09:30", -(9 * 3600 + 30 * 60))
# How much of diffoscope's report the log shows, and how long it may take
_DIFFOSCOPE_LINES = 200
_DIFFOSCOPE_TIMEOUT = 120.0

# What a maintainer changes, by the first aspect in which the builds differ
_HINTS = {
    "mtime": "a file's time is the build's clock: a file written at build time must take "
    "its time from SOURCE_DATE_EPOCH",
    "content": "a file written at build time carries the build's clock, path or "
    "environment: derive it from SOURCE_DATE_EPOCH and the sources only",
    "mode": "a file's mode differs although releasekit builds under umask 022: something in "
    "the build sets modes of its own (a chmod in a prepare-command or a build step); make "
    "them fixed",
    "owner": "the archive records who built it: the backend must write a fixed owner",
    "name": "the order or the names of the files depend on the machine: list files in a "
    "sorted order, and make none only sometimes",
    "presence": "a file is made by one build and not the other: make the build's files "
    "depend on the sources only",
    "archive": "the archives hold the same files but their own headers differ (compression "
    "or the gzip header's time): build with one backend version and SOURCE_DATE_EPOCH",
    "files": "the two builds made different files: make the build's output depend on the "
    "sources only",
}
_DIFFOSCOPE_HINT = (
    "; `diffoscope FIRST SECOND` shows the whole difference (installed, its report goes to the log)"
)


# -- comparing two archives ---------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """Where two builds of one file first part: the archive member (or ``(…)`` for the
    archive's own headers), the aspect, and the two values as shown to a person."""

    member: str
    aspect: str  # a key of _HINTS
    first: str
    second: str

    def describe(self) -> str:
        return f"{self.member}: {self.aspect} {self.first} vs {self.second}"

    @property
    def hint(self) -> str:
        return _HINTS.get(self.aspect, _HINTS["content"])


def first_difference(first: Path, second: Path) -> Difference | None:
    """The first difference between two builds of one file (an sdist or a wheel), member by
    member in archive order; ``None`` when their bytes are the same.

    Two files of another kind (or that do not open as their kind) are compared as bytes.
    """
    one, two = first.read_bytes(), second.read_bytes()
    if one == two:
        return None
    try:
        if first.name.endswith(".whl") or first.name.endswith(".zip"):
            return _zip_difference(one, two)
        if first.name.endswith((".tar.gz", ".tgz")):
            return _tar_gz_difference(one, two)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, zlib.error) as exc:
        return Difference("(archive)", "archive", "unreadable", f"({exc})")
    return _bytes_difference("(file)", one, two)


def _digest(data: bytes) -> str:
    return f"sha256 {hashlib.sha256(data).hexdigest()[:12]}…"


def _bytes_difference(member: str, one: bytes, two: bytes) -> Difference:
    if len(one) != len(two):
        return Difference(member, "size", f"{len(one)} bytes", f"{len(two)} bytes")
    offset = next(i for i, (a, b) in enumerate(zip(one, two)) if a != b)
    return Difference(member, "content", f"{_digest(one)} (from byte {offset})", _digest(two))


def _when(stamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(stamp, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _compare(
    member: str, pairs: Sequence[tuple[str, object, object, Callable[[Any], str]]]
) -> Difference | None:
    for aspect, a, b, shown in pairs:
        if a != b:
            return Difference(member, aspect, shown(a), shown(b))
    return None


def _count_difference(names_one: Sequence[str], names_two: Sequence[str]) -> Difference | None:
    """The first member that one archive holds and the other does not (by position)."""
    for a, b in zip(names_one, names_two):
        if a != b:
            if a not in names_two:
                return Difference(a, "presence", "in the first build", "not in the second")
            if b not in names_one:
                return Difference(b, "presence", "not in the first build", "in the second")
            return Difference(a, "name", f"{a!r} here", f"{b!r} (another order)")
    if len(names_one) > len(names_two):
        return Difference(names_one[len(names_two)], "presence", "in the first build",
                          "not in the second")  # fmt: skip
    if len(names_two) > len(names_one):
        return Difference(names_two[len(names_one)], "presence", "not in the first build",
                          "in the second")  # fmt: skip
    return None


def _tar_gz_difference(one: bytes, two: bytes) -> Difference | None:
    tar_one, tar_two = gzip.decompress(one), gzip.decompress(two)
    with (
        tarfile.open(fileobj=io.BytesIO(tar_one), mode="r:") as a,
        tarfile.open(fileobj=io.BytesIO(tar_two), mode="r:") as b,
    ):
        members_one, members_two = a.getmembers(), b.getmembers()
        for x, y in zip(members_one, members_two):
            if x.name != y.name:
                break  # said below, with which of the two holds what
            found = _compare(x.name, [
                ("type", x.type, y.type, lambda t: repr(t.decode(errors="replace"))),
                ("mode", x.mode, y.mode, oct),
                ("owner", (x.uid, x.gid, x.uname, x.gname), (y.uid, y.gid, y.uname, y.gname),
                 lambda o: "{}:{} ({}:{})".format(*o)),
                ("mtime", x.mtime, y.mtime, _when),
                ("size", x.size, y.size, lambda s: f"{s} bytes"),
                ("link", x.linkname, y.linkname, repr),
            ])  # fmt: skip
            if found is not None:
                return found
            if x.isreg():
                data_one = a.extractfile(x)
                data_two = b.extractfile(y)
                bytes_one = data_one.read() if data_one else b""
                bytes_two = data_two.read() if data_two else b""
                if bytes_one != bytes_two:
                    return _bytes_difference(x.name, bytes_one, bytes_two)
            if x.pax_headers != y.pax_headers:
                return Difference(x.name, "mtime" if _times(x, y) else "archive",
                                  _pax(x.pax_headers), _pax(y.pax_headers))  # fmt: skip
        counted = _count_difference([m.name for m in members_one], [m.name for m in members_two])
        if counted is not None:
            return counted
    if tar_one != tar_two:
        return Difference("(tar headers)", "archive", _digest(tar_one), _digest(tar_two))
    head_one, head_two = one[:10], two[:10]
    if head_one[4:8] != head_two[4:8]:
        return Difference(
            "(gzip header)", "mtime",
            _when(int.from_bytes(head_one[4:8], "little")),
            _when(int.from_bytes(head_two[4:8], "little")),
        )  # fmt: skip
    return Difference("(gzip stream)", "archive", _digest(one), _digest(two))


def _times(x: tarfile.TarInfo, y: tarfile.TarInfo) -> bool:
    keys = ("mtime", "atime", "ctime")
    return any(x.pax_headers.get(k) != y.pax_headers.get(k) for k in keys)


def _pax(headers: Mapping[str, str]) -> str:
    return "pax{" + ", ".join(f"{k}={v}" for k, v in sorted(headers.items())) + "}"


def _zip_difference(one: bytes, two: bytes) -> Difference | None:
    with zipfile.ZipFile(io.BytesIO(one)) as a, zipfile.ZipFile(io.BytesIO(two)) as b:
        infos_one, infos_two = a.infolist(), b.infolist()
        for x, y in zip(infos_one, infos_two):
            if x.filename != y.filename:
                break
            found = _compare(x.filename, [
                ("mode", x.external_attr >> 16, y.external_attr >> 16, oct),
                ("mtime", x.date_time, y.date_time,
                 lambda d: "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*d)),
                ("size", x.file_size, y.file_size, lambda s: f"{s} bytes"),
            ])  # fmt: skip
            if found is not None:
                return found
            if x.CRC != y.CRC:
                return _bytes_difference(x.filename, a.read(x), b.read(y))
            found = _compare(x.filename, [
                ("archive", x.compress_type, y.compress_type, lambda c: f"compression {c}"),
                ("archive", x.extra, y.extra, lambda e: f"extra field {e.hex() or 'empty'}"),
                ("archive", x.create_system, y.create_system, lambda s: f"made on system {s}"),
                ("archive", x.comment, y.comment, repr),
            ])  # fmt: skip
            if found is not None:
                return found
        counted = _count_difference(
            [i.filename for i in infos_one], [i.filename for i in infos_two]
        )
        if counted is not None:
            return counted
    return Difference("(zip headers)", "archive", _digest(one), _digest(two))


@dataclass(frozen=True)
class FileDifference:
    """One built file that differs between two builds, or that only one of them made
    (aspect ``files``)."""

    filename: str
    difference: Difference

    def describe(self) -> str:
        return f"{self.filename} at {self.difference.describe()}"


def compare_builds(first: Sequence[Path], second: Sequence[Path]) -> list[FileDifference]:
    """The files of two builds that differ, by file name, in the order of ``first`` (the
    sdist first where the build made it first); a file only one build made is one too."""
    by_name = {path.name: path for path in second}
    found = []
    for path in first:
        other = by_name.pop(path.name, None)
        if other is None:
            found.append(FileDifference(
                path.name, Difference(path.name, "files", "built first", "not built again")
            ))  # fmt: skip
            continue
        difference = first_difference(path, other)
        if difference is not None:
            found.append(FileDifference(path.name, difference))
    for name in by_name:
        found.append(
            FileDifference(name, Difference(name, "files", "not built first", "built again"))
        )
    return found


# -- the second build ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """What the second build changes: where it is made, and the time zone (the umask is
    releasekit's 022 for both builds)."""

    work: Path  # a fresh directory of the second build (its checkout, env, unpacked sdist)
    checkout: Path  # where its checkout goes: another path, of another length
    tz: str
    env: Mapping[str, str] = field(default_factory=dict)  # for the build's processes

    def describe(self) -> str:
        return f"at {self.checkout}, TZ={self.tz}"


def other_tz(utc_offset: int) -> str:
    """The second build's ``TZ`` (POSIX form: no tz database needed), given the first's
    offset east of UTC in seconds."""
    return _OTHER_TZ[0] if utc_offset == _FAR_TZ[1] else _FAR_TZ[0]


@contextlib.contextmanager
def elsewhere(root: Path) -> Iterator[Variant]:
    """The conditions of the second build, for the duration of the block: a fresh
    directory (removed afterwards, even on a stop) whose checkout path is not as long as the
    first build's (:func:`releasekit.core.git.stable_checkout_path`), and another ``TZ``.
    """
    from releasekit.core import git
    from releasekit.kinds.python import distdir

    work = Path(tempfile.mkdtemp(prefix="releasekit-rebuild-"))
    checkout = work / "at-another-path" / "src"
    if len(str(checkout)) == len(str(git.stable_checkout_path(root))):
        checkout = work / "at-another-path-" / "src"
    checkout.parent.mkdir(parents=True)
    tz = other_tz(time.localtime().tm_gmtoff)
    try:
        yield Variant(work, checkout, tz, {"TZ": tz})
    finally:
        distdir.remove_fully(work)


def prove_reproducible(
    built: Sequence[Path],
    rebuild: Callable[[Variant], Sequence[Path]],
    *,
    root: Path,
    commit: str | None,
    log: proc.Log,
) -> None:
    """Build again with ``rebuild`` (under :func:`elsewhere`) and compare with ``built``;
    :class:`BuildError` naming the files that differ and their first differing member.

    ``rebuild`` is the first build's procedure, given the variant: its checkout path, work
    directory and environment additions.
    """
    started = time.monotonic()
    with elsewhere(root) as variant:
        log(f"check-reproducible: building again {variant.describe()}")
        again = rebuild(variant)
        differences = compare_builds(built, again)
        if differences:
            for item in differences:
                log(f"check-reproducible: {item.describe()}")
            first = {p.name: p for p in built}
            second = {p.name: p for p in again}
            for item in differences:
                if item.filename in first and item.filename in second:
                    _diffoscope(first[item.filename], second[item.filename], log)
    shown = ", ".join(p.name for p in built)
    if not differences:
        log(
            f"check-reproducible: {shown} built again {variant.describe()}: the same bytes "
            f"({time.monotonic() - started:.1f}s)"
        )
        return
    which = f"commit {commit[:12]}" if commit else "HEAD"
    detail = "; ".join(f"{d.filename} at {d.difference.member} ({d.difference.aspect})"
                       for d in differences)  # fmt: skip
    raise BuildError(
        f"not reproducible: {len(differences)} of {len(built)} built files differ between "
        f"two builds of {which} (the second {variant.describe()}): {detail}",
        differences[0].difference.hint + _diffoscope_hint() + "; nothing was published",
    )


def _diffoscope_hint() -> str:
    return "" if shutil.which("diffoscope") else _DIFFOSCOPE_HINT


def _diffoscope(first: Path, second: Path, log: proc.Log) -> None:
    """diffoscope's text report of the two files into the log, when it is installed."""
    diffoscope = shutil.which("diffoscope")
    if diffoscope is None:
        return
    argv = [diffoscope, "--text", "-", "--no-progress", str(first), str(second)]
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
            timeout=_DIFFOSCOPE_TIMEOUT, env=proc.child_env(), check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        log(f"check-reproducible: diffoscope gave no report ({exc})")
        return
    lines = (done.stdout or done.stderr).splitlines()
    log(f"check-reproducible: diffoscope {first.name} (first build) vs the second:")
    for line in lines[:_DIFFOSCOPE_LINES]:
        log(f"  {line}")
    if len(lines) > _DIFFOSCOPE_LINES:
        log(f"  ... ({len(lines) - _DIFFOSCOPE_LINES} more lines)")

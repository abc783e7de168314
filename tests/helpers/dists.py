"""Wheels and sdists made with zipfile and tarfile in a test's directory: any name, any core
metadata, any tags, in milliseconds, to hold each of PyPI's upload rules against a file that
breaks it (and one that does not) without a build backend: in the rules' unit tests, at the
plan's preflight, and uploaded to the strict index (``tests.helpers.index.upload_file``).
The same arguments make the same bytes, so writing a file again and uploading it is PyPI's
"identical bytes" case, and a change of ``files`` is its "other bytes under that name".
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path


def metadata(
    name: str = "demo",
    version: str = "1.0.0",
    *,
    metadata_version: str = "2.4",
    extra: str = "",
    description: str | None = None,
) -> str:
    """Core metadata text (METADATA / PKG-INFO): the required fields, ``extra`` header lines
    (each ending in a newline), and ``description`` as the body."""
    text = f"Metadata-Version: {metadata_version}\nName: {name}\nVersion: {version}\n{extra}"
    if description is not None:
        text += "\n" + description
    return text


def wheel(
    directory: Path,
    filename: str,
    meta: str,
    *,
    info_dir: str | None = None,
    files: Mapping[str, bytes] = {},
    leave_out: tuple[str, ...] = (),
) -> Path:
    """A wheel named ``filename`` holding ``files`` (member path -> bytes) and a
    ``{name}-{version}.dist-info`` (as the filename spells them, or ``info_dir``) with
    ``meta`` as METADATA, a WHEEL whose Tag is the filename's and a RECORD; ``leave_out``
    names members not to write ("RECORD", "METADATA", "WHEEL"). Members are dated
    2020-01-01, so the bytes depend on the arguments alone."""
    parts = filename.split("-")
    info = info_dir or f"{parts[0]}-{parts[1]}.dist-info"
    tag = "-".join(parts[2:])[: -len(".whl")] if filename.endswith(".whl") else "py3-none-any"
    contents: dict[str, bytes] = {
        **files,
        f"{info}/METADATA": meta.encode(),
        f"{info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
        ),
    }
    record = []
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / filename
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in contents.items():
            if member.rsplit("/", 1)[-1] not in leave_out:
                stamp = zipfile.ZipInfo(member, (2020, 1, 1, 0, 0, 0))
                archive.writestr(stamp, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def sdist(
    directory: Path,
    filename: str,
    meta: str | None,
    *,
    top: str | None = None,
    files: Mapping[str, bytes] = {},
) -> Path:
    """A gzipped tar ``filename`` with one top directory (``top``, else the filename without
    ``.tar.gz``) holding ``meta`` as PKG-INFO (none when ``None``), a pyproject.toml and
    ``files``."""
    root = top if top is not None else filename[: -len(".tar.gz")]
    members = {"pyproject.toml": b"[project]\n", **files}
    if meta is not None:
        members["PKG-INFO"] = meta.encode()
    path = directory / filename
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(f"{root}/{member}" if root else member)
            info.size = len(data)
            info.mtime = 1700000000
            archive.addfile(info, io.BytesIO(data))
    return path


def retag(path: Path, platform: str, directory: Path) -> Path:
    """A copy of the wheel ``path`` in ``directory`` whose platform tag is ``platform`` (its
    name, WHEEL's Tag lines and RECORD's hashes rewritten), as ``auditwheel repair`` names a
    repaired wheel; the contents are otherwise the same bytes."""
    name, version, python, abi, _ = path.name[: -len(".whl")].split("-")
    info = f"{name}-{version}.dist-info"
    members: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as archive:
        for item in archive.infolist():
            members[item.filename] = archive.read(item)
    wheel_text = members[f"{info}/WHEEL"].decode()
    members[f"{info}/WHEEL"] = "".join(
        f"Tag: {python}-{abi}-{platform}\n" if line.startswith("Tag: ") else line
        for line in wheel_text.splitlines(keepends=True)
    ).encode()
    record = []
    for member, data in members.items():
        if member == f"{info}/RECORD":
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    members[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out = directory / f"{name}-{version}-{python}-{abi}-{platform}.whl"
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return out

"""Wheels made by hand or re-tagged, and the wheels of releasekit's tool locks fetched once per run.

``make_wheel`` writes a valid wheel (METADATA, WHEEL, RECORD) with any files, so a test can
plant a package on an index without a build backend; ``retag`` copies a built pure wheel as
a platform wheel (what a cibuildwheel job hands over). ``locked_wheels`` is a directory of the
files ``runtime/lockfiles/tools.txt`` pins for the running Python and platform, downloaded
once per run (``pip download --require-hashes``, so whatever index it came from, the bytes
are PyPI's): the stand-in for a company mirror in ``tools-index`` tests.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from releasekit.runtime import tool_locks
from tests.helpers.projects import run
from tests.helpers.shared import once_per_run


def make_wheel(
    directory: Path, name: str, version: str, files: Mapping[str, str], *, filename: str = ""
) -> Path:
    """``name-version-py3-none-any.whl`` (or ``filename``) in ``directory`` holding ``files``."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    contents = {
        **{path: text.encode() for path, text in files.items()},
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    wheel = directory / (filename or f"{dist}-{version}-py3-none-any.whl")
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def retag(wheel: Path, tag: str, dest: Path) -> Path:
    """A copy of a pure wheel re-tagged as a platform wheel (what cibuildwheel hands over)."""
    name, version = wheel.name.split("-")[:2]
    out = dest / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w") as dst:
        records = []
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith(".dist-info/WHEEL"):
                text = data.decode()
                text = re.sub(r"^Tag: .*$", f"Tag: {tag}", text, flags=re.M)
                data = text.replace("Root-Is-Purelib: true", "Root-Is-Purelib: false").encode()
            if item.filename.endswith(".dist-info/RECORD"):
                record_name = item.filename
                continue
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            records.append(f"{item.filename},sha256={digest.decode()},{len(data)}")
            dst.writestr(item, data)
        dst.writestr(record_name, "\n".join([*records, f"{record_name},,"]) + "\n")
    return out


def download_locked(directory: Path, lock: tool_locks.ToolLock = tool_locks.TOOLS) -> None:
    """The wheels ``lock`` pins for this interpreter, every hash checked by pip."""
    run(
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--require-hashes", "--only-binary", ":all:", "-r", lock.path, "-d", directory,
    )  # fmt: skip


@pytest.fixture(scope="session")
def locked_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The locked files of twine and build for this Python, fetched once per run. Read only."""
    return once_per_run(tmp_path_factory, "locked-wheels", download_locked)

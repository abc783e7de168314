"""Fixtures for publishing for real: a pypiserver per test, and one small built project.

``local_index`` is a started :class:`~releasekit.rehearsal.pypiserver.LocalIndex` (fresh, empty,
its own port and password) running on the interpreter that runs the tests. ``sample_dists`` is a
``demo 1.0.0`` sdist and wheel with their build manifest, built once per session: tests that
need to change files copy them first (see :func:`copy_dists`). :func:`upload_file` sends one
file as twine does and returns the index's answer, whatever it is (files made by hand, for the
strict index's rules, come from :mod:`tests.helpers.dists`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from releasekit.engine.manifest import Manifest, describe
from releasekit.rehearsal.pypiserver import LocalIndex

SOURCE_DATE_EPOCH = "1700000000"


@dataclass(frozen=True)
class SampleDists:
    """A built project: ``dist_dir`` holds its files and the saved manifest. Do not modify."""

    dist_dir: Path
    manifest: Manifest


def build_demo(
    workdir: Path, *, name: str = "demo", version: str = "1.0.0", body: str = "ANSWER = 42\n"
) -> SampleDists:
    """Write a one-module project under ``workdir`` and build its sdist and wheel.

    ``uv build`` is used when available (sdist, then the wheel from the sdist, like a real
    release); without build isolation, so no index is needed and it takes well under a second.
    """
    project = workdir / "project"
    dist_dir = workdir / "dist"
    module = name.replace("-", "_")
    (project / "src" / module).mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "{name}"
            version = "{version}"
            requires-python = ">=3.9"

            [tool.hatch.build.targets.wheel]
            packages = ["src/{module}"]
            """),
        encoding="utf-8",
    )
    (project / "src" / module / "__init__.py").write_text(body, encoding="utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "UV_NO_CONFIG": "1"}
    uv = shutil.which("uv")
    if uv:
        argv = [
            uv,
            "build",
            "--quiet",
            "--no-build-isolation",
            "--python",
            sys.executable,
            "--out-dir",
            str(dist_dir),
            str(project),
        ]
    else:
        argv = [
            sys.executable,
            "-m",
            "build",
            "--sdist",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist_dir),
            str(project),
        ]
    done = subprocess.run(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"building the sample project failed:\n{done.stdout}")
    # uv also writes a .gitignore into the out dir: only distributions go in the manifest.
    built = [*dist_dir.glob("*.whl"), *dist_dir.glob("*.tar.gz")]
    files = tuple(describe(path) for path in sorted(built))
    assert {f.kind for f in files} == {"sdist", "wheel"}, files
    manifest = Manifest(name=name, version=version, files=files)
    manifest.save(dist_dir)
    return SampleDists(dist_dir, manifest)


def copy_dists(sample: SampleDists, dest: Path) -> SampleDists:
    """A private copy of a build, for tests that change or delete files."""
    shutil.copytree(sample.dist_dir, dest)
    return SampleDists(dest, sample.manifest)


@pytest.fixture(scope="session")
def sample_dists(tmp_path_factory: pytest.TempPathFactory) -> SampleDists:
    """``demo 1.0.0`` (sdist + wheel + manifest), built once per test session."""
    return build_demo(tmp_path_factory.mktemp("sample-dists"))


@pytest.fixture
def local_index(tmp_path: Path) -> Iterator[LocalIndex]:
    """A fresh pypiserver on a loopback port, stopped after the test."""
    server = LocalIndex(tmp_path / "index-packages", server_python=Path(sys.executable))
    with server:
        yield server


@pytest.fixture
def plain_local_index(tmp_path: Path) -> Iterator[LocalIndex]:
    """pypiserver alone, without the strict front: an index that answers 400 "already
    exists" to the same bytes again (pypiserver, devpi and Artifactory do; PyPI says 200)."""
    server = LocalIndex(
        tmp_path / "index-packages", server_python=Path(sys.executable), strict=False
    )
    with server:
        yield server


@pytest.fixture
def indexes(tmp_path: Path) -> Iterator[dict[str, LocalIndex]]:
    """A test and a prod pypiserver, each with its own storage and password.

    Started side by side (as a rehearsal starts its two): each start mostly waits for its
    server to answer, and some sixty tests pay for the pair.
    """
    servers = {
        name: LocalIndex(tmp_path / f"{name}-index", server_python=Path(sys.executable))
        for name in ("test", "prod")
    }
    with side_by_side(*servers.values()):
        yield servers


@contextlib.contextmanager
def side_by_side(*servers: LocalIndex) -> Iterator[None]:
    """Start ``servers`` at once, as a rehearsal starts its two (each start mostly waits for
    its server to answer), and stop them all on the way out, also those started beside
    one that failed to start."""
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)  # idempotent
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            for started in [pool.submit(server.start) for server in servers]:
                started.result()
        yield


# --- uploads as twine sends them (the strict index's tests; files from tests/helpers/dists.py) --


@dataclass(frozen=True)
class Answer:
    """An index's answer to one upload: the status, its reason line, the headers."""

    status: int
    reason: str
    headers: dict[str, str]


def upload_file(
    index: LocalIndex,
    path: Path,
    *,
    name: str | None = None,
    version: str | None = None,
    digest: str | None = None,
) -> Answer:
    """POST ``path`` to ``index`` as twine does (``:action=file_upload``, multipart form,
    Basic auth, the sha256 of the file); the answer, whatever its status."""
    import base64
    import hashlib
    import urllib.error
    import urllib.request
    import uuid

    data = path.read_bytes()
    if name is None or version is None:
        stem = path.name[: -len(".tar.gz")] if path.name.endswith(".tar.gz") else path.stem
        parts = stem.split("-")
        name, version = name or parts[0], version or parts[1]
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": name,
        "version": version,
        "filetype": "bdist_wheel" if path.name.endswith(".whl") else "sdist",
        "metadata_version": "2.1",
        "sha256_digest": digest or hashlib.sha256(data).hexdigest(),
    }
    boundary = uuid.uuid4().hex
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    chunks.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
        f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    token = base64.b64encode(f"{index.username}:{index.password}".encode()).decode()
    request = urllib.request.Request(
        index.publish_url,
        data=b"".join(chunks),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Basic {token}",
        },
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return Answer(response.status, response.reason, dict(response.headers))
    except urllib.error.HTTPError as exc:
        exc.close()
        return Answer(exc.code, exc.reason, dict(exc.headers))

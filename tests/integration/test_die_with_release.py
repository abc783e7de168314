"""A twine upload dies with the release that started it, even when that release is killed
with SIGKILL (no handler, no cleanup): an upload that lands after the release died is in no
journal, and the release's lock is free for another run by then.

Real twine (releasekit's ``upload``, prestarted or not) uploads a real wheel to an index on
a loopback port that takes the whole request and never answers, so the upload is in flight
when the release is killed. Then twine's process must be gone within seconds and its
connection closed: it can neither land the file nor retry it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.wheels import make_wheel

_RELEASE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from releasekit.core.config import IndexConfig
    from releasekit.targets.pypi import upload

    wheel, url, prestarted = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
    index = IndexConfig("test", url + "simple/", url)
    twine = [sys.executable, "-m", "twine"]
    environ = {"RELEASEKIT_TEST_PASSWORD": "not-a-real-token"}
    if prestarted:
        upload.prestart_upload([wheel], index, twine=twine, environ=environ)
    upload.upload([wheel], index, twine=twine, environ=environ, log=print)
    """
)


class _SilentIndex:
    """Takes one upload request whole and never answers; tells when the client hung up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.received = threading.Event()
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        data = b""
        with conn:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(body) >= length:
                    self.received.set()
        self.closed.set()


@pytest.fixture
def silent_index() -> Iterator[_SilentIndex]:
    index = _SilentIndex()
    yield index
    index.sock.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if stat[1] == str(pid):
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("prestarted", [True, False], ids=["prestarted", "cold"])
def test_twine_dies_with_a_killed_release(
    tmp_path: Path, silent_index: _SilentIndex, prestarted: bool
) -> None:
    wheel = make_wheel(tmp_path / "dist", "demo", "1.0.0", {"demo/__init__.py": ""})
    release = subprocess.Popen(
        [sys.executable, "-c", _RELEASE, str(wheel), silent_index.url, "1" if prestarted else "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # what SIGKILL leaves stays in here
    )
    twine: list[int] = []
    try:
        assert silent_index.received.wait(60), "twine never sent the upload"
        twine = _children(release.pid)
        assert twine, "no twine process under the release"
        release.send_signal(signal.SIGKILL)
        release.wait(10)
        killed = time.monotonic()
        while any(map(_alive, twine)) and time.monotonic() - killed < 5:
            time.sleep(0.05)
        left = [pid for pid in twine if _alive(pid)]
        assert left == [], "twine outlived the release that started it"
        # its connection is closed: the index never gets to answer, nothing lands
        assert silent_index.closed.wait(5)
    finally:
        for pid in twine:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if release.poll() is None:
            release.kill()
            release.wait()

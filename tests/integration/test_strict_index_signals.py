"""The strict index (releasekit/_child/strict_index.py) stops at once on SIGINT and SIGTERM.

releasekit stops a rehearsal's index with SIGTERM, and a terminal's Ctrl-C sends SIGINT to
the whole foreground group, the index included. Whatever the index is doing (starting,
loading PyPI's rules, storing an upload, waiting for its state's file lock), it is gone
within a second, its state says what its files are, and it leaves no upload spool behind.
The stop itself (:func:`releasekit.rehearsal.loopback.terminate`) never waits without limit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit._child import index_state, strict_index
from releasekit.rehearsal import loopback
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.runtime import proc
from tests.helpers.index import SampleDists, upload_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

PROMPT = 1.0  # seconds from the signal to the process's end


def _spools() -> set[Path]:
    temp = Path(proc.children_tempdir() or os.environ.get("TMPDIR", "/tmp"))
    return set(temp.glob("releasekit-strict-index-*"))


def _stop_with(index: LocalIndex, signum: int) -> float:
    """Send ``signum`` to the index's process; the seconds it took to end."""
    process = index._process
    assert process is not None
    sent = time.monotonic()
    os.kill(process.pid, signum)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"the strict index outlived {signal.Signals(signum).name} by 10 s")
    return time.monotonic() - sent


def _assert_whole(index: LocalIndex) -> None:
    """The state file parses, and every distribution on disk is in it with its own bytes: no
    file half-stored, none stored without its record."""
    path = index_state.state_path(index.packages_dir)
    if not path.exists():
        assert not list(index.packages_dir.glob("*.*")), "files without a state"
        return
    state = json.loads(path.read_text(encoding="utf-8"))
    on_disk = {p.name: p for p in index.packages_dir.iterdir() if not p.name.startswith(".")}
    assert set(on_disk) == set(state["files"])
    for name, file in on_disk.items():
        assert state["files"][name]["sha256"] == index_state.sha256_of(file), name
        assert state["files"][name]["size"] == file.stat().st_size, name


_SPOOLS_BEFORE: dict[int, set[Path]] = {}


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LocalIndex]:
    server = LocalIndex(tmp_path / "packages", server_python=Path(sys.executable))
    _SPOOLS_BEFORE[id(server)] = _spools()  # the index makes its spool as it starts
    with server:
        yield server
    _SPOOLS_BEFORE.pop(id(server), None)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_during_uploads_ends_the_index_at_once_and_whole(
    index: LocalIndex, sample_dists: SampleDists, signum: int
) -> None:
    files = sorted(sample_dists.dist_dir.glob("demo-*"))
    stop = threading.Event()

    def uploads(path: Path) -> None:
        while not stop.is_set():
            try:
                upload_file(index, path)
            except OSError:  # the index is gone
                return

    threads = [threading.Thread(target=uploads, args=(f,), daemon=True) for f in files]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while not all((index.packages_dir / f.name).exists() for f in files):
        assert time.monotonic() < deadline, "the uploads were not stored"
        time.sleep(0.02)
    time.sleep(0.1)  # stored, and uploaded again: each a transaction under the lock
    took = _stop_with(index, signum)
    stop.set()
    assert took < PROMPT, f"{took:.2f}s"
    _assert_whole(index)
    assert _spools() - _SPOOLS_BEFORE[id(index)] == set(), "the upload spool stays behind"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_while_a_request_waits_for_the_state_lock_ends_the_index(
    index: LocalIndex, sample_dists: SampleDists, signum: int
) -> None:
    """Another process (releasekit setting a project's upload limit) holds the state's
    file lock: the request waiting for it does not hold the stop up."""
    assert upload_file(index, sorted(sample_dists.dist_dir.glob("demo-*"))[0]).status == 200
    lock = index_state.state_path(index.packages_dir).with_name(
        index.packages_dir.name + index_state.LOCK_SUFFIX
    )
    with index_state.file_lock(lock):
        waiting = threading.Thread(target=lambda: _read_quietly(f"{index.url}demo/"), daemon=True)
        waiting.start()
        time.sleep(0.2)  # the request is in its transaction, waiting for the lock
        took = _stop_with(index, signum)
    assert took < PROMPT, f"{took:.2f}s"
    _assert_whole(index)


def _read_quietly(url: str) -> None:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10):
            pass
    except OSError:
        pass


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15])
def test_a_stop_signal_while_the_index_starts_ends_it(tmp_path: Path, delay: float) -> None:
    """From the interpreter's start through the bind and the loading of PyPI's rules."""
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("user:{SHA}x\n", encoding="utf-8")
    argv = [sys.executable, str(strict_index.__file__), "--root", str(tmp_path / "packages")]
    argv += ["--port", str(loopback.free_port()), "--password-file", str(htpasswd)]
    for signum in (signal.SIGINT, signal.SIGTERM):
        process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=proc.child_env()
        )
        time.sleep(delay)
        sent = time.monotonic()
        process.send_signal(signum)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        took = time.monotonic() - sent
        assert took < PROMPT, f"{signal.Signals(signum).name} after {delay}s: {took:.2f}s"


def test_terminate_never_waits_without_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal handler's stop may have interrupted a wait for the same process, whose
    frame holds Popen's reaping lock: terminate gives up after its limits, not never."""
    monkeypatch.setattr(loopback, "STOP_TIMEOUT", 0.2)
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], stdin=subprocess.DEVNULL
    )
    try:
        process._waitpid_lock.acquire()  # type: ignore[attr-defined]  # the interrupted wait
        done = threading.Event()
        stopper = threading.Thread(
            target=lambda: (loopback.terminate(process), done.set()), daemon=True
        )
        stopper.start()
        assert done.wait(5), "terminate waited without limit"
    finally:
        process._waitpid_lock.release()  # type: ignore[attr-defined]
        process.kill()
        process.wait()

"""proc.run with real processes: output, failures, and time limits that stop a whole tree.

A smoke command that starts a server which forks a worker is the case that matters: the
worker inherits the output pipe, so waiting for the pipe to close would wait forever.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from releasekit import proc
from releasekit.errors import ReleasekitError, SmokeError

PY = sys.executable
# The command writes its own pid and its child's to argv[1], says it is serving, and waits.
SERVER = (
    "import os, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "open(sys.argv[1], 'w').write('%d %d' % (os.getpid(), child.pid))\n"
    "print('serving on 127.0.0.1:8000', flush=True)\n"
    "time.sleep(600)\n"
)
# The same, but the command itself exits at once and leaves its child holding stdout.
DAEMON = SERVER.rsplit("time.sleep(600)", 1)[0]


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (exited, not yet reaped by init) does not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill()
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _pids(path: Path) -> list[int]:
    deadline = time.monotonic() + 10
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, "the command never wrote its pids"
        time.sleep(0.01)
    return [int(p) for p in path.read_text().split()]


def test_output_is_returned() -> None:
    assert proc.run([PY, "-c", "print('hello')"], what="hello") == "hello\n"


def test_failure_names_what_exit_code_and_last_line() -> None:
    log: list[str] = []
    code = "import sys; print('working'); print('boom: no such file', file=sys.stderr); sys.exit(4)"
    with pytest.raises(SmokeError) as info:
        proc.run([PY, "-c", code], what="the tool", error=SmokeError, hint="fix it", log=log.append)
    assert info.value.message == "the tool failed (exit 4): boom: no such file"
    assert info.value.hint == "fix it"
    assert any("working" in line for line in log)


def test_missing_executable() -> None:
    with pytest.raises(ReleasekitError) as info:
        proc.run(["/nonexistent/tool"], what="x")
    assert info.value.message == "x failed: /nonexistent/tool not found"


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_timeout_stops_the_command_and_the_child_holding_its_output(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    log: list[str] = []
    started = time.monotonic()
    with pytest.raises(SmokeError) as info:
        proc.run(
            [PY, "-c", SERVER, pidfile],
            what="smoke-install on Python 3.12: `demo serve`",
            error=SmokeError,
            log=log.append,
            timeout=1,
            timeout_hint="make it exit, or raise [tool.releasekit.smoke] timeout",
        )
    assert time.monotonic() - started < 6
    assert info.value.message == (
        "smoke-install on Python 3.12: `demo serve` still running after 1 s: stopped "
        "(its last line: serving on 127.0.0.1:8000)"
    )
    assert info.value.hint == "make it exit, or raise [tool.releasekit.smoke] timeout"
    assert any("serving on 127.0.0.1:8000" in line for line in log)
    for pid in _pids(pidfile):
        assert not _alive(pid), f"process {pid} survived the time limit"


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_a_command_that_ignores_sigterm_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proc, "GRACE_SECONDS", 0.3)
    pidfile = tmp_path / "pids"
    stubborn = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + SERVER
    started = time.monotonic()
    with pytest.raises(ReleasekitError, match=r"still running after 0\.5 s: stopped"):
        proc.run([PY, "-c", stubborn, pidfile], what="`stubborn`", timeout=0.5)
    assert time.monotonic() - started < 0.5 + proc.GRACE_SECONDS + 3
    for pid in _pids(pidfile):
        assert not _alive(pid)


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_exiting_command_leaves_no_process_behind_and_does_not_hang(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    log: list[str] = []
    started = time.monotonic()
    output = proc.run([PY, "-c", DAEMON, pidfile], what="`demo start`", log=log.append)
    assert time.monotonic() - started < 5
    assert output == "serving on 127.0.0.1:8000\n"
    assert "note: `demo start` left processes running when it exited: stopped them" in log
    for pid in _pids(pidfile):
        assert not _alive(pid)


@pytest.mark.skipif(os.name != "posix", reason="sessions")
def test_a_process_that_left_the_group_does_not_hang_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daemon that starts a session of its own escapes the stop; its pipe is let go."""
    monkeypatch.setattr(proc, "GRACE_SECONDS", 0.3)
    pidfile = tmp_path / "pids"
    escaped = DAEMON.replace("time.sleep(600)'])", "time.sleep(600)'], start_new_session=True)")
    assert escaped != DAEMON
    log: list[str] = []
    started = time.monotonic()
    try:
        output = proc.run([PY, "-c", escaped, pidfile], what="`demo start`", log=log.append)
        assert time.monotonic() - started < 5
        assert output == "serving on 127.0.0.1:8000\n"
        note = "note: a process started by `demo start` still holds its output: not waiting for it"
        assert note in log
    finally:
        for pid in _pids(pidfile)[1:]:
            os.kill(pid, 9)


def test_fast_command_with_a_limit_is_not_slowed_down() -> None:
    started = time.monotonic()
    for _ in range(3):
        assert proc.run([PY, "-c", "print(1)"], what="one", timeout=60) == "1\n"
    assert time.monotonic() - started < 3


def test_secrets_are_redacted_from_a_timeout_message() -> None:
    code = "import time; print('token s3cr3t', flush=True); time.sleep(60)"
    with pytest.raises(ReleasekitError) as info:
        proc.run([PY, "-c", code], what="upload", timeout=0.5, secrets=["s3cr3t"])
    assert "s3cr3t" not in str(info.value)
    assert info.value.message.endswith("(its last line: token ***)")

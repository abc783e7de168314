"""One release at a time, and a CI cancel that cleans up: with real processes and signals.

The lock is held by one real process and tried by another; the holder is then SIGKILLed
to show that the kernel frees it. The cancel is a real ``nox -s release -- --rehearse``
on a sample project, sent SIGTERM while a command of its own sleeps, and then searched
for leftovers: processes, temporary directories, git worktrees.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.helpers.projects import REPO, Project
from tests.helpers.sessions import release_project

# One worker runs these one after another: each measures how fast a real process reacts (a
# lock refused "at once", a stop within 10 s), which two of them side by side would blur.
pytestmark = pytest.mark.xdist_group("signals")

HOLDER = textwrap.dedent("""\
    import sys, time
    from pathlib import Path
    from releasekit.runtime.lock import release_lock
    with release_lock(Path(sys.argv[1]), "nox -s release -- --rehearse"):
        print("locked", flush=True)
        time.sleep(120)
""")
TRY = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from releasekit.errors import ReleasekitError
    from releasekit.runtime.lock import release_lock
    try:
        with release_lock(Path(sys.argv[1]), "second"):
            print("got the lock")
    except ReleasekitError as exc:
        print(exc)
        sys.exit(3)
""")


def _python(code: str, *args: str | Path, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **kwargs,
    )


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A real process holding the release lock of ``tmp_path/state``."""
    process = _python(HOLDER, tmp_path / "state")
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "locked"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()
    process.stdout.close()


def test_a_second_release_fails_at_once_naming_the_first(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    second = _python(TRY, tmp_path / "state")
    out, _ = second.communicate(timeout=30)
    assert second.returncode == 3, out
    assert time.monotonic() - started < 10  # at once: a Python start, no waiting for the lock
    assert f"another release is running in this project (PID {holder.pid}, started " in out
    assert ": nox -s release -- --rehearse)" in out
    assert "hint: wait for it to finish" in out


def test_the_lock_goes_with_a_killed_holder(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    second = _python(TRY, tmp_path / "state")
    out, _ = second.communicate(timeout=30)
    assert second.returncode == 0, out
    assert "got the lock" in out


def test_the_lock_is_reentrant_in_one_process_and_released_after(tmp_path: Path) -> None:
    from releasekit.runtime.lock import release_lock

    with release_lock(tmp_path, "outer"), release_lock(tmp_path, "inner"):
        second = _python(TRY, tmp_path)
        out, _ = second.communicate(timeout=30)
        assert second.returncode == 3 and f"PID {os.getpid()}" in out, out
    second = _python(TRY, tmp_path)
    out, _ = second.communicate(timeout=30)
    assert second.returncode == 0, out


SIGNALS = textwrap.dedent("""\
    import os, signal, subprocess, sys, time
    from releasekit.runtime import signals
    stopped = []
    signals.install()
    signals.install()
    signals.on_stop(lambda: stopped.append(1))
    assert signal.getsignal(signal.SIGTERM) is signals._on_sigterm
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             start_new_session=True)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        print("not interrupted")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        os.kill(os.getpid(), signal.SIGTERM)  # a second one while cleaning up: ignored
        print("still here", stopped, signals.stopping(), child.wait(timeout=10))
""")


def test_sigterm_raises_keyboard_interrupt_once_and_stops_own_groups() -> None:
    process = _python(SIGNALS)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    assert "releasekit: SIGTERM received: stopping" in out
    assert f"interrupted\nstill here [1] True {-signal.SIGTERM}" in out


# --- SIGTERM in the middle of a release ------------------------------------------------------


def _processes() -> dict[int, str]:
    """Every live (not zombie) process: pid -> its command line, NULs as spaces."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found[int(entry)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def _wait_for(what: str, condition: object, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout}s; nox said:\n{log.read_text()}")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("stage", "how"),
    [("build", "sigterm"), ("smoke", "sigterm"), ("smoke", "ctrl-c")],
)
def test_a_stopped_release_leaves_nothing_behind(
    tmp_path: Path, build_env: dict[str, str], stage: str, how: str
) -> None:
    """A CI cancel (SIGTERM to nox alone) in the build (git worktree, build dir) or in the
    smoke test (a command run from a worker thread), and a terminal's Ctrl-C (SIGINT to the
    whole foreground process group): nox stops at once, and nothing it started remains."""
    marker = uuid.uuid4().hex
    sleeper = f"python -c \\\"import time; time.sleep(120); print('{marker}')\\\""
    dead = {  # two indexes (test and prod may not be one), neither reached: a rehearsal
        name: SimpleNamespace(
            url=f"http://127.0.0.1:9/{name}/simple/", publish_url=f"http://127.0.0.1:9/{name}/"
        )
        for name in ("test", "prod")
    }
    project: Project = release_project(tmp_path, dead, tag=None)
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text()
    if stage == "build":
        text = text.replace(
            "[tool.releasekit]\n", f'[tool.releasekit]\nprepare-commands = ["{sleeper}"]\n'
        )
    else:
        text = text.replace('commands = ["demo --version"]', f'commands = ["{sleeper}"]')
    assert marker in text
    pyproject.write_text(text)
    project.commit("sleep")
    project.tag("v1.2.0")
    temp = tmp_path / "tmp"
    temp.mkdir()
    storage = str((project.path / ".nox" / "releasekit" / "rehearsal").resolve())

    def servers() -> dict[int, str]:
        return {p: c for p, c in _processes().items() if storage in c and "pypiserver" in c}

    def sleepers() -> dict[int, str]:
        return {p: c for p, c in _processes().items() if marker in c}

    log = tmp_path / "nox.log"
    with open(log, "w") as out:
        nox = subprocess.Popen(
            [sys.executable, "-m", "nox", "--envdir", tmp_path / "envs", "--no-color",
             "-s", "release", "--", "--rehearse"],
            cwd=project.path, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, **build_env, "TMPDIR": str(temp)}, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for("the sleeping command", lambda: bool(sleepers()), 300, log)
        # started in the background by check; their venv may still be made from the lock
        _wait_for("the rehearsal's two servers", lambda: len(servers()) == 2, 60, log)
        if stage == "build":
            assert list(temp.glob("releasekit-checkout-*")), "the build is under way"
            assert project.git("worktree", "list", "--porcelain").count("worktree ") == 2
        sent = time.monotonic()
        if how == "sigterm":
            nox.send_signal(signal.SIGTERM)
        else:
            os.killpg(nox.pid, signal.SIGINT)
        try:
            code = nox.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - sent
    finally:
        left = {**servers(), **sleepers()}
        for pid in [nox.pid, *left]:  # a failed test must not leave them running either
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        nox.wait()
    output = log.read_text()
    assert left == {}, output
    assert code is not None and code != 0, output
    assert took < 10, f"stopping took {took:.1f}s:\n{output}"
    # nothing of releasekit's, and nothing its children made (uv's .tmp* of an install
    # stopped half-way): they make their temporary files in releasekit's own directory
    assert sorted(p.name for p in temp.iterdir()) == []
    worktrees = project.git("worktree", "list", "--porcelain")
    assert worktrees.count("worktree ") == 1, worktrees
    assert f"Session {stage if stage == 'build' else 'smoke-install'} interrupted" in output
    if how == "sigterm":
        assert "releasekit: SIGTERM received: stopping" in output

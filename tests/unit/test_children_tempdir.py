"""Every child makes its temporary files in a directory of releasekit's own, which goes
with releasekit: at exit (a stop by SIGTERM or Ctrl-C is an exit), and, after a SIGKILL
that skips every cleanup, at the next releasekit's start (no process holds its lock).

Real processes, each with ``TMPDIR`` in this test's own directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from releasekit.runtime import proc

pytestmark = pytest.mark.skipif(os.name != "posix", reason="flock and SIGKILL")

_MAKE = textwrap.dedent(
    """
    import subprocess, sys, time
    from releasekit.runtime import proc

    made = proc.children_tempdir()
    # a child's temporary file, left behind as a tool stopped half-way leaves it
    subprocess.run(
        [sys.executable, "-c", "import tempfile; tempfile.mkstemp(prefix='.tmp')"],
        env=proc.child_env(), check=True,
    )
    print(made, flush=True)
    if sys.argv[1] == "wait":
        time.sleep(60)
    """
)


def _start(temp: Path, how: str) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", _MAKE, how],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    made = Path(process.stdout.readline().strip())
    assert made.parent == temp and made.name.startswith("releasekit-children-")
    return process, made


def test_the_childrens_directory_goes_at_exit(tmp_path: Path) -> None:
    process, made = _start(tmp_path, "exit")
    assert process.wait(30) == 0
    assert not made.exists()
    assert list(tmp_path.iterdir()) == []  # the child's .tmp* went with it


def test_one_a_sigkill_left_goes_at_the_next_start_a_live_ones_stays(tmp_path: Path) -> None:
    killed, left = _start(tmp_path, "wait")
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    assert [p.name[:4] for p in left.iterdir()] == [".tmp"]  # SIGKILL: no cleanup
    alive, kept = _start(tmp_path, "wait")
    try:
        assert not left.exists()  # swept: no process held its lock
        assert kept.is_dir()
        other, third = _start(tmp_path, "exit")
        assert other.wait(30) == 0
        assert kept.is_dir()  # a live releasekit's directory is never swept
    finally:
        alive.kill()
        alive.wait()
    assert not third.exists()


def test_child_env_points_every_temporary_directory_there() -> None:
    env = proc.child_env()
    made = proc.children_tempdir()
    assert made is not None and os.path.isdir(made)
    assert env["TMPDIR"] == env["TEMP"] == env["TMP"] == made
    assert proc.child_env({"TMPDIR": "/given"})["TMPDIR"] == "/given"  # a caller's wins

"""Turn a CI cancel (SIGTERM) into the same clean stop as Ctrl-C.

A cancelled CI job gets SIGTERM, and Python's default for SIGTERM is to die on the spot:
no ``finally``, no context manager, no ``atexit``. The git worktree of the build stays
registered, temporary directories stay, the rehearsal's pypiservers keep running. With
:func:`install`, SIGTERM raises :class:`KeyboardInterrupt` in the main thread, exactly as
Ctrl-C does, so nox reports the session as interrupted (exit 130) and every cleanup runs.

Two things a ``KeyboardInterrupt`` in the main thread cannot reach, done by the handler
(for SIGTERM and for Ctrl-C alike) before it raises:

- commands that :func:`releasekit.runtime.proc.run` runs in a session of their own (a smoke
  command, an install) *from a worker thread*: the terminal's SIGINT does not reach them,
  and the thread waiting for one would hold the process up until it ends by itself. Their
  process groups get SIGTERM, then SIGKILL after :data:`releasekit.runtime.proc.GRACE_SECONDS`;
  ``proc.run`` sees its command end and cleans up as after any failure;
- callbacks registered with :func:`on_stop` (the rehearsal's local indexes), run once.

Nox's own SIGINT handling is kept: Ctrl-C still raises ``KeyboardInterrupt`` (the previous
handler is called after the above). A second SIGTERM while stopping is ignored, so it does
not cut the cleanup short; a second Ctrl-C interrupts as usual, and SIGKILL still kills.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import Any, Callable

from releasekit.core.secret_env import scrub

__all__ = ["install", "on_stop", "stopping"]

_Handler = Callable[[int, "FrameType | None"], Any]

_POSIX = os.name == "posix"
_installed = False
_stopping = False
_callbacks: list[Callable[[], None]] = []
_previous_sigint: _Handler | None = None


def install() -> None:
    """Install releasekit's signal handlers (idempotent; only from the main thread).

    SIGTERM is taken over only while it still has its default action (someone who set their
    own handler keeps it); Ctrl-C is wrapped only while it raises ``KeyboardInterrupt``, by
    Python's default handler or another Python-level one, which is then still called.
    """
    global _installed, _previous_sigint
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    previous = signal.getsignal(signal.SIGINT)
    if callable(previous) and previous is not _on_sigint:
        _previous_sigint = previous
        signal.signal(signal.SIGINT, _on_sigint)
    _installed = True


def on_stop(callback: Callable[[], None]) -> None:
    """Run ``callback`` once when releasekit is told to stop (SIGTERM or Ctrl-C).

    It runs in the signal handler, before ``KeyboardInterrupt`` unwinds the main thread:
    keep it short, make it safe to run while the main thread is anywhere, and idempotent
    (``atexit`` or a ``finally`` may run the same cleanup again).
    """
    if callback not in _callbacks:
        _callbacks.append(callback)


def stopping() -> bool:
    """Whether a stop signal has arrived: long waits can check it and give up early."""
    return _stopping


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    if not _begin_stop("SIGTERM"):
        return  # already stopping: let the cleanup finish
    raise KeyboardInterrupt


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _begin_stop(None)
    if _previous_sigint is not None:
        _previous_sigint(signum, frame)
    else:  # pragma: no cover - install() only wraps a callable handler
        raise KeyboardInterrupt


def _begin_stop(name: str | None) -> bool:
    """Stop what the main thread cannot reach; False when a stop was already under way."""
    global _stopping
    if _stopping:
        return False
    _stopping = True
    if name is not None:
        _say(f"releasekit: {name} received: stopping, cleaning up (SIGKILL skips the cleanup)")
    _signal_own_groups(signal.SIGTERM)
    if _POSIX:
        from releasekit.runtime.proc import GRACE_SECONDS

        timer = threading.Timer(GRACE_SECONDS, _signal_own_groups, (signal.SIGKILL,))
        timer.daemon = True
        timer.start()
    for callback in list(_callbacks):
        try:
            callback()
        except Exception as exc:  # one failed cleanup must not stop the rest
            _say(f"releasekit: cleanup failed while stopping: {exc!r}")
    return True


def _say(message: str) -> None:
    """Write to stderr without ``print``: the handler may interrupt a write to sys.stderr."""
    with contextlib.suppress(OSError):
        os.write(2, (message + "\n").encode(errors="replace"))


def _signal_own_groups(sig: signal.Signals) -> None:
    """Send ``sig`` to the process group of every child that leads a group of its own.

    Those are the commands :func:`releasekit.runtime.proc.run` started (``start_new_session``);
    the rest of our children share our process group and get a terminal's signals anyway.
    Looked up afresh each time, so a group whose leader was reaped (its PID free for reuse)
    is never signalled.
    """
    if not _POSIX:
        return
    for group in _own_session_children():
        with contextlib.suppress(OSError):
            os.killpg(group, sig)


def _own_session_children() -> list[int]:
    me = os.getpid()
    found: list[int] = []
    if sys.platform.startswith("linux"):
        from releasekit.runtime import proc

        stats = proc.process_stats() or []
        return [int(pid) for pid, fields in stats if fields[1] == str(me) and fields[2] == pid]
    try:  # macOS and the BSDs: no /proc
        listing = subprocess.run(
            ["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "pgid="],
            capture_output=True, text=True, check=False, timeout=5, env=scrub(os.environ),
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return found
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == str(me) and parts[0] == parts[2]:
            found.append(int(parts[0]))
    return found

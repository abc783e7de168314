"""A server process on 127.0.0.1 that releasekit starts, waits for, and always stops.

The rehearsal's stand-ins (pypiserver for a package index, verdaccio for an npm registry)
share one life: a free port, a log file, a health check until the server answers, one
retry when another process took the port first, and a stop that is idempotent, safe from a
signal handler or another thread, and also happens when the object is collected. Each kind
says how to launch it and how it answers; the rest lives here once.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Callable

from releasekit.errors import PublishError
from releasekit.runtime import net, proc

__all__ = ["LoopbackServer", "answers", "free_port"]

START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


class LoopbackServer:
    """The shared lifecycle; subclasses start the process with :meth:`_spawn`."""

    start_timeout = START_TIMEOUT  # seconds for the server to answer its health check

    def __init__(self, log_path: Path, log: proc.Log | None) -> None:
        self.log_path = log_path
        self._log = log or proc.no_log
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._private_dir: Path | None = None
        self._finalizer: weakref.finalize[[subprocess.Popen[bytes]], LoopbackServer] | None
        self._finalizer = None
        # start() and stop() may meet: a stop on SIGTERM (releasekit.runtime.signals) runs in the
        # main thread while a worker thread is starting this server.
        self._lifecycle = threading.RLock()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 5 s) and remove its private files.

        Idempotent, and safe from a signal handler or another thread (it waits for a start
        under way to finish, then stops it).
        """
        with self._lifecycle:
            self._halt()
            if self._private_dir is not None:
                shutil.rmtree(self._private_dir, ignore_errors=True)
                self._private_dir = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _halt(self) -> None:
        """Stop the server process only (a retry on another port reuses the private files)."""
        process, self._process = self._process, None
        self._port = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if process is not None:
            terminate(process)

    def _started_port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not started: call start() or use `with`")
        return self._port

    def _spawn(
        self,
        argv: Sequence[str],
        port: int,
        *,
        healthy: Callable[[int], bool],
        port_taken: str,
        what: str,
        hint: str,
        last_try: bool,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> bool:
        """Start ``argv`` on ``port`` and wait until ``healthy(port)``.

        False when the process died saying ``port_taken`` (another process bound the port
        first) and a retry may work; a :class:`PublishError` naming ``what`` and the log's
        last line for any other failure.
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file: IO[bytes]
        with open(self.log_path, "ab") as log_file:
            log_file.write(f"$ {' '.join(argv)}\n".encode())
            log_file.flush()
            offset = log_file.tell()
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=proc.child_env(env),
            )
            # Tracked at once: from here on an interrupt's stop() finds it.
            self._process, self._port = process, port
            self._finalizer = weakref.finalize(self, terminate, process)

        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = _tail(self.log_path, offset)
                self._halt()
                if not last_try and port_taken in tail.lower():
                    self._log(f"port {port} was taken before {what} bound it; retrying")
                    return False
                self._log(tail)
                raise PublishError(
                    f"{what} on port {port} exited with code {process.returncode} while "
                    f"starting: {_last_line(tail)}",
                    f"see {self.log_path}; {hint}",
                )
            if healthy(port):
                return True
            time.sleep(0.05)
        tail = _tail(self.log_path, offset)
        self._halt()
        self._log(tail)
        raise PublishError(
            f"{what} on port {port} did not answer within {self.start_timeout:g}s: "
            f"{_last_line(tail) or 'no output'}",
            f"see {self.log_path}",
        )


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def answers(port: int, path: str, body: bytes | None = None) -> bool:
    """Whether ``http://127.0.0.1:port/path`` answers 200 (with ``body``, when given).

    Through :func:`releasekit.runtime.net.open_url`: no proxy, and a redirect away from this machine
    is not followed (it is no answer from the server started here).
    """
    try:
        with net.open_url(f"http://127.0.0.1:{port}{path}", 1.0) as response:
            ok = response.status == 200
            return bool(ok and (body is None or response.read().strip() == body))
    except (PublishError, OSError, ValueError):  # URLError is an OSError
        return False


def terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT` seconds; never a wait without a limit.

    It runs from a signal handler (:func:`releasekit.rehearsal.stop_all`), which may have
    interrupted this thread inside a wait for the same process: Popen's lock on reaping is
    then held by the interrupted frame, and an unbounded ``wait()`` here would never return.
    The interrupted wait reaps the process when it resumes.
    """
    if process.poll() is not None:
        return
    with contextlib.suppress(OSError):
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)


def _tail(path: Path, offset: int, lines: int = 15) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _last_line(text: str) -> str:
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")

"""A real package index on a loopback port: pypiserver, for rehearsals and tests.

``--rehearse`` and the test suite publish to it exactly the way they publish to PyPI (twine
upload with a password, then reading the simple API for hashes), so a rehearsal exercises
the same code and the same failure modes: wrong password (403), file already there (400),
unknown project (404, because ``--disable-fallback`` stops the redirect to the real PyPI).

Each start makes a fresh username and password, written to an htpasswd file in a private
temporary directory; the password reaches the helper that writes it through the
environment, never a command line, and is never logged.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO

from releasekit import proc, venvs
from releasekit.config import IndexConfig
from releasekit.errors import PublishError

__all__ = ["PYPISERVER_REQUIREMENTS", "LocalIndex"]

# pypiserver >= 2.3 runs on Python 3.9-3.13 without setuptools (it falls back to
# importlib.resources, not pkg_resources); passlib reads the htpasswd file.
PYPISERVER_REQUIREMENTS = ("pypiserver[passlib]>=2.3",)

_START_TIMEOUT = 20.0
_STOP_TIMEOUT = 5.0


def _no_log(_: str) -> None:
    pass


class LocalIndex:
    """A pypiserver serving ``packages_dir`` on ``127.0.0.1``, uploads guarded by a password.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. ``server_python`` is
    an interpreter that already has ``pypiserver[passlib]``; otherwise one is made (and
    reused) in ``venv_dir``; with neither, the running interpreter is used if it has them.
    """

    def __init__(
        self,
        packages_dir: Path,
        *,
        server_python: Path | None = None,
        venv_dir: Path | None = None,
        log: proc.Log | None = None,
    ) -> None:
        self.packages_dir = Path(packages_dir)
        self.server_python = server_python
        self.venv_dir = venv_dir
        self.log_path = self.packages_dir.parent / f"{self.packages_dir.name}.pypiserver.log"
        self._log = log or _no_log
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._username = ""
        self._password = ""
        self._private_dir: Path | None = None
        self._finalizer: weakref.finalize[[subprocess.Popen[bytes]], LocalIndex] | None = None
        # start() and stop() may meet: a stop on SIGTERM (releasekit.signals) runs in the
        # main thread while a worker thread is starting this server.
        self._lifecycle = threading.RLock()

    # -- what a publisher needs ------------------------------------------------------------

    @property
    def url(self) -> str:
        """The simple API root, ``http://127.0.0.1:PORT/simple/``."""
        return f"http://127.0.0.1:{self._started_port()}/simple/"

    @property
    def publish_url(self) -> str:
        """The upload endpoint (twine's ``--repository-url``)."""
        return f"http://127.0.0.1:{self._started_port()}/"

    @property
    def username(self) -> str:
        self._started_port()
        return self._username

    @property
    def password(self) -> str:
        self._started_port()
        return self._password

    def index_config(self, name: str = "test") -> IndexConfig:
        """This server as the ``name`` index of a config, e.g. to stand in for TestPyPI."""
        return IndexConfig(name=name, url=self.url, publish_url=self.publish_url)

    def credentials(self, name: str = "test") -> dict[str, str]:
        """The environment variables that make publish use this server's credentials."""
        prefix = self.index_config(name).env_prefix
        return {f"{prefix}_USERNAME": self.username, f"{prefix}_PASSWORD": self.password}

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalIndex:
        """Start the server and wait until it answers ``/health``; idempotent.

        Interrupted (Ctrl-C, SIGTERM) or failed, it stops what it started before raising.
        """
        with self._lifecycle:
            return self._start()

    def _start(self) -> LocalIndex:
        if self.running:
            return self
        self.stop()
        try:
            python = self._python()
            self.packages_dir.mkdir(parents=True, exist_ok=True)
            self._private_dir = Path(tempfile.mkdtemp(prefix="releasekit-index-"))
            self._username = f"releasekit-{secrets.token_hex(4)}"
            self._password = secrets.token_urlsafe(24)
            htpasswd = self._private_dir / "htpasswd"
            _write_htpasswd(htpasswd, self._username, self._password)
            # One retry: another process may take the free port between our probe and
            # pypiserver's bind.
            for attempt in (1, 2):
                port = _free_port()
                if self._launch(python, htpasswd, port, last_try=attempt == 2):
                    break
        except BaseException:
            self.stop()
            raise
        self._log(f"local index at {self.url} (server log: {self.log_path})")
        return self

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 5 s) and remove the htpasswd file.

        Idempotent, and safe from a signal handler or another thread (it waits for a start
        under way to finish, then stops it).
        """
        with self._lifecycle:
            self._halt()
            if self._private_dir is not None:
                shutil.rmtree(self._private_dir, ignore_errors=True)
                self._private_dir = None

    def __enter__(self) -> LocalIndex:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"LocalIndex({str(self.packages_dir)!r}, {where})"

    # -- internals -------------------------------------------------------------------------

    def _halt(self) -> None:
        """Stop the server process only (a retry on another port reuses the htpasswd file)."""
        process, self._process = self._process, None
        self._port = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if process is not None:
            _terminate(process)

    def _started_port(self) -> int:
        if self._port is None:
            raise RuntimeError("LocalIndex is not started: call start() or use `with`")
        return self._port

    def _python(self) -> Path:
        """The interpreter that runs pypiserver."""
        if self.server_python is not None:
            return Path(self.server_python)
        if self.venv_dir is not None:
            venv = venvs.ensure(
                Path(self.venv_dir),
                list(PYPISERVER_REQUIREMENTS),
                log=self._log,
                name="the local index venv (pypiserver)",
            )
            return venv.python
        if importlib.util.find_spec("pypiserver") and importlib.util.find_spec("passlib"):
            return Path(sys.executable)
        raise PublishError(
            f"pypiserver[passlib] is not installed in {sys.executable}",
            "pass venv_dir= (releasekit makes a venv for it) or install 'pypiserver[passlib]'",
        )

    def _launch(self, python: Path, htpasswd: Path, port: int, *, last_try: bool) -> bool:
        """Start pypiserver on ``port``; False if the port was taken and another try may work."""
        argv = [
            str(python), "-m", "pypiserver", "run",
            "--interface", "127.0.0.1", "--port", str(port),
            "-P", str(htpasswd), "-a", "update",
            "--disable-fallback",
            str(self.packages_dir),
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file: IO[bytes]
        with open(self.log_path, "ab") as log_file:
            log_file.write(f"$ {' '.join(argv)}\n".encode())
            log_file.flush()
            offset = log_file.tell()
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=proc.child_env({"PYTHONUNBUFFERED": "1"}),
            )
            # Tracked at once: from here on an interrupt's stop() finds it.
            self._process, self._port = process, port
            self._finalizer = weakref.finalize(self, _terminate, process)

        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = _tail(self.log_path, offset)
                self._halt()
                if not last_try and "address already in use" in tail.lower():
                    self._log(f"port {port} was taken before pypiserver bound it; retrying")
                    return False
                self._log(tail)
                raise PublishError(
                    f"the local index (pypiserver on port {port}) exited with code "
                    f"{process.returncode} while starting: {_last_line(tail)}",
                    f"see {self.log_path}; the server needs pypiserver[passlib] in {python}",
                )
            if _healthy(port):
                return True
            time.sleep(0.05)
        tail = _tail(self.log_path, offset)
        self._halt()
        self._log(tail)
        raise PublishError(
            f"the local index (pypiserver on port {port}) did not answer /health within "
            f"{_START_TIMEOUT:g}s: {_last_line(tail) or 'no output'}",
            f"see {self.log_path}",
        )


def _write_htpasswd(path: Path, username: str, password: str) -> None:
    """An htpasswd line in the ``{SHA}`` scheme, which passlib (pypiserver) accepts.

    Written here rather than by passlib in the server's venv: it saves a Python start per
    server, and the password is a throwaway for one loopback server, readable only by us.
    """
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"{username}:{{SHA}}{digest}\n")


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/health", timeout=1.0) as response:
            return bool(response.status == 200 and response.read().strip() == b"Ok")
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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

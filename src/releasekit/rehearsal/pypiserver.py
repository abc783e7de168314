"""A real package index on a loopback port, as strict as PyPI: for rehearsals and tests.

``--rehearse`` and the test suite publish to it exactly the way they publish to PyPI (twine
upload with a password, then reading the simple API for hashes), so a rehearsal exercises
the same code and the same failure modes: wrong password (403), file already there (400),
unknown project (404: no fallback to the real PyPI), and every upload rule PyPI applies.

It is pypiserver (a well-kept index server, and already what releasekit ran) behind a
strict front, ``releasekit/_child/strict_index.py``, run in pypiserver's locked venv: the
front refuses what Warehouse refuses, with its status and words (a platform tag PyPI does
not take, a classifier, a README that does not render, a name once deleted, other bytes
under a name it holds, an archived project, a release older than 14 days, the new-project
rate limit, off for a rehearsal), and serves the PEP 691 JSON API with upload times (PEP
700) and the project's status (PEP 792). A devpi would have meant a second server to keep
and none of these rules; a server of releasekit's own, pypiserver's storage, HTML pages and
upload API written again. What it knows beyond its files is one JSON file beside the
packages directory; :meth:`LocalIndex.set_status`, :meth:`LocalIndex.backdate`,
:meth:`LocalIndex.delete` and :meth:`LocalIndex.set_upload_limit` put the index in the states
PyPI can be in, and :meth:`LocalIndex.set_pypi_rules` makes it stand in, for one project, for
an index that is not PyPI.

Each start makes a fresh username and password, written to an htpasswd file in a private
temporary directory; the password reaches the helper that writes it through the
environment, never a command line, and is never logged.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from releasekit import _child
from releasekit._child import index_state
from releasekit.core.config import IndexConfig
from releasekit.errors import PublishError
from releasekit.rehearsal.loopback import LoopbackServer, answers, free_port
from releasekit.runtime import proc, tool_locks, venvs

__all__ = ["LocalIndex", "server_python"]


def server_python(*, index: str | None = None, log: proc.Log = proc.no_log) -> Path:
    """The interpreter of pypiserver's venv: ``pypiserver[passlib]`` from releasekit's lock.

    pypiserver holds a rehearsal's upload passwords, so it comes from the lock like twine
    does (PyPI or ``tools-index`` only, every hash checked), made once and shared by every
    project (:func:`releasekit.runtime.venvs.ensure_locked`). It runs on the Python running
    releasekit (3.9 included: pypiserver >= 2.3 needs no setuptools there).
    """
    venv = venvs.ensure_locked(
        tool_locks.PYPISERVER, index=index, log=log, name="the local index venv (pypiserver)"
    )
    return venv.python


class LocalIndex(LoopbackServer):
    """A pypiserver serving ``packages_dir`` on ``127.0.0.1``, uploads guarded by a password.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. ``server_python`` is
    an interpreter that already has ``pypiserver[passlib]``; otherwise releasekit's locked
    venv of it is used (:func:`server_python`, made on first use from ``tools_index``, else
    PyPI).
    """

    start_timeout = 20.0  # pypiserver answers /health in well under a second

    def __init__(
        self,
        packages_dir: Path,
        *,
        server_python: Path | None = None,
        tools_index: str | None = None,
        log: proc.Log | None = None,
        rate_limit: bool = True,
        strict: bool = True,
        max_file_size: int | None = None,
    ) -> None:
        self.packages_dir = Path(packages_dir)
        # ``strict=False``: pypiserver alone, which answers 400 to the same bytes again as
        # devpi and Artifactory do (PyPI answers 200): for tests of that path only
        self.strict = strict
        # PyPI's new-project rate limit; off for a rehearsal's stand-in, to which every
        # project is new (the plan counts the new projects of the real index instead)
        self.rate_limit = rate_limit
        # the index's own upload limit per file in bytes, PyPI's 100 MiB unless given (tests
        # give a small one, to raise a project's limit above it with a small file)
        self.max_file_size = max_file_size
        self.server_python = server_python
        self.tools_index = tools_index
        super().__init__(self.packages_dir.parent / f"{self.packages_dir.name}.pypiserver.log", log)
        self._username = ""
        self._password = ""

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

    # -- the states PyPI can be in ----------------------------------------------------------

    def set_status(self, project: str, status: str, reason: str = "") -> None:
        """Give ``project`` a PEP 792 status ("active", "archived", "quarantined",
        "deprecated"), as PyPI's owners and admins do: served in the simple API at once, and
        an archived project refuses uploads. Works on a stopped index too."""
        index_state.set_status(self.packages_dir, project, status, reason)

    def set_upload_limit(self, project: str, limit: int | None) -> None:
        """Raise ``project``'s upload limit per file to ``limit`` bytes, as PyPI's admins do
        on request (``Project.upload_limit``; it never lowers the index's own); None: back
        to the default. Works on a stopped index too."""
        index_state.set_upload_limit(self.packages_dir, project, limit)

    def set_pypi_rules(self, project: str, on: bool) -> None:
        """Hold ``project``'s uploads to PyPI's rules (``on``, the default) or only to what
        any index needs: the stand-in of an index that is not PyPI (``pypi-rules =
        false``). Works on a stopped index too."""
        index_state.set_pypi_rules(self.packages_dir, project, on)

    def backdate(self, project: str, version: str, days: float) -> list[str]:
        """Make ``project``'s release ``version`` ``days`` older: its files' upload times move
        back (PyPI refuses new files for a release older than 14 days). The files moved."""
        return index_state.backdate(self.packages_dir, project, version, days)

    def delete(self, filename: str) -> None:
        """Delete one file through the index's API, as a maintainer deletes one on PyPI: it is
        no longer served, and its name is refused for good."""
        parsed = index_state.split_filename(filename)
        if parsed is None:
            raise PublishError(f"not a distribution's file name: {filename!r}", "name a file")
        fields = {
            ":action": "remove_pkg",
            "name": parsed[0],
            "version": parsed[1],
            "filename": filename,
        }
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request = urllib.request.Request(
            self.publish_url,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Authorization": f"Basic {token}"},
            method="POST",
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            raise PublishError(
                f"deleting {filename} from {self.publish_url} failed: HTTP {exc.code} {exc.reason}",
                f"see {self.log_path}",
            ) from None
        except (urllib.error.URLError, OSError) as exc:  # not answering: stopped, or died
            why = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise PublishError(
                f"deleting {filename} from {self.publish_url} failed: {why}",
                f"the local index does not answer; see {self.log_path}",
            ) from None

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
                port = free_port()
                if self._launch(python, htpasswd, port, last_try=attempt == 2):
                    break
        except BaseException:
            self.stop()
            raise
        self._log(f"local index at {self.url} (server log: {self.log_path})")
        return self

    def __enter__(self) -> LocalIndex:
        return self.start()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"LocalIndex({str(self.packages_dir)!r}, {where})"

    # -- internals -------------------------------------------------------------------------

    def _python(self) -> Path:
        """The interpreter that runs pypiserver."""
        if self.server_python is not None:
            return Path(self.server_python)
        return server_python(index=self.tools_index, log=self._log)

    def _launch(self, python: Path, htpasswd: Path, port: int, *, last_try: bool) -> bool:
        """Start the strict index on ``port``; False if the port was taken and another try
        may work."""
        argv = [
            str(python), str(_child.STRICT_INDEX),
            "--root", str(self.packages_dir), "--port", str(port),
            "--password-file", str(htpasswd),
            *(() if self.rate_limit else ("--no-rate-limit",)),
            *(("--max-file-size", str(self.max_file_size)) if self.max_file_size else ()),
        ]  # fmt: skip
        if not self.strict:
            argv = [
                str(python), "-m", "pypiserver", "run",
                "--interface", "127.0.0.1", "--port", str(port),
                "-P", str(htpasswd), "-a", "update",
                "--disable-fallback",
                str(self.packages_dir),
            ]  # fmt: skip
        return self._spawn(
            argv,
            port,
            healthy=lambda p: answers(p, "/health", b"Ok"),
            port_taken="address already in use",
            what="the local index (pypiserver)",
            hint=f"the server needs releasekit's lock of pypiserver in {python}",
            last_try=last_try,
            env={"PYTHONUNBUFFERED": "1", **venvs.WRITE_BYTECODE},
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

"""A real npm registry on a loopback port: verdaccio, for rehearsals and tests.

``--rehearse`` publishes npm packages to it exactly the way a release publishes them to
npmjs.org (``npm publish`` of the packed tarball with a token, then reading the packument
for the integrity), so a rehearsal runs the same code and meets the same refusals: no token
(401), the same version again (409), an unknown package (404, because there are no uplinks
and nothing is ever fetched from the internet).

verdaccio is installed once with npm under ``state_dir/verdaccio`` and reused while its
stamp (what was asked for, and the node that installed it) is unchanged. The registry from
which verdaccio itself installs here needs an ``overrides`` entry pinning ``node-fetch`` to
2.7.0 (a dependency asks for a dist-tag its copy lacks); see ``DESIGN.md``.

Each start makes a fresh user through verdaccio's REST API (``PUT
/-/user/org.couchdb.user:NAME``) and keeps the token it returns; the password and the token
travel in the request body and response, never on a command line, and are never logged. The
htpasswd file and the config live in a private temporary directory removed on stop.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from releasekit.errors import PublishError
from releasekit.rehearsal.loopback import LoopbackServer, answers, free_port
from releasekit.runtime import net, proc

__all__ = ["VERDACCIO_OVERRIDES", "VERDACCIO_SPEC", "LocalRegistry"]

# verdaccio 6 (node >= 18). The override is needed by the registry reachable here (see the
# module docstring); on npmjs.org it changes nothing that matters.
VERDACCIO_SPEC = "^6.1.0"
VERDACCIO_OVERRIDES = {"node-fetch": "2.7.0"}

_INSTALL_TIMEOUT = 600.0
_STAMP = ".releasekit-stamp"


class LocalRegistry(LoopbackServer):
    """A verdaccio serving ``storage`` on ``127.0.0.1``, publishing guarded by a token.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. ``state_dir`` is
    where verdaccio is installed (``state_dir/verdaccio``) and reused across starts and
    processes; ``storage`` holds the published packages and survives a stop, so a rerun on
    the same storage finds its earlier publishes.
    """

    def __init__(self, state_dir: Path, storage: Path, *, log: proc.Log | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.storage = Path(storage)
        self.install_dir = self.state_dir / "verdaccio"
        super().__init__(self.storage.parent / f"{self.storage.name}.verdaccio.log", log)
        self._token = ""
        self._username = ""

    # -- what a publisher needs ------------------------------------------------------------

    @property
    def url(self) -> str:
        """The registry URL, ``http://127.0.0.1:PORT/`` (npm's ``--registry``)."""
        return f"http://127.0.0.1:{self._started_port()}/"

    @property
    def token(self) -> str:
        """The token of this start's user: what ``NODE_AUTH_TOKEN`` holds for a publish."""
        self._started_port()
        return self._token

    @property
    def username(self) -> str:
        self._started_port()
        return self._username

    def credentials(self, token_env: str = "NODE_AUTH_TOKEN") -> dict[str, str]:
        """The environment that makes :func:`releasekit.kinds.npm.pack.publish` use this
        registry.
        """
        return {token_env: self.token}

    def start(self) -> LocalRegistry:
        """Install verdaccio if needed, start it, wait for ``/-/ping``, make a user.

        Idempotent. Interrupted (Ctrl-C, SIGTERM turned into one) or failed, it stops what it
        started before raising, so no server outlives a failed start.
        """
        with self._lifecycle:
            if self.running:
                return self
            self.stop()
            try:
                entry = ensure_verdaccio(self.install_dir, log=self._log)
                self.storage.mkdir(parents=True, exist_ok=True)
                self._private_dir = Path(tempfile.mkdtemp(prefix="releasekit-npm-"))
                config = self._write_config(self._private_dir)
                # One retry: another process may take the free port before verdaccio binds.
                for attempt in (1, 2):
                    if self._launch(entry, config, free_port(), last_try=attempt == 2):
                        break
                self._username = f"releasekit-{secrets.token_hex(4)}"
                self._token = _add_user(self._started_port(), self._username)
            except BaseException:
                self.stop()
                raise
        self._log(f"local npm registry at {self.url} (server log: {self.log_path})")
        return self

    def stop(self) -> None:
        """Stop the server and forget its token (see :meth:`LoopbackServer.stop`)."""
        with self._lifecycle:
            super().stop()
            self._token = ""

    def __enter__(self) -> LocalRegistry:
        return self.start()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"LocalRegistry({str(self.storage)!r}, {where})"

    # -- internals -------------------------------------------------------------------------

    def _write_config(self, private_dir: Path) -> Path:
        """verdaccio's config: local storage, htpasswd auth, no uplinks, publish by users.

        Written as JSON, which is YAML, so no value needs YAML quoting. Without an
        ``uplinks`` section and without ``proxy`` on any package, a name that is not in
        storage is a 404, never a fetch from npmjs.org.
        """
        rules = {"access": "$all", "publish": "$authenticated", "unpublish": "$authenticated"}
        config: dict[str, Any] = {
            "storage": str(self.storage.resolve()),
            "auth": {"htpasswd": {"file": str(private_dir / "htpasswd"), "max_users": 100}},
            "packages": {"@*/*": rules, "**": rules},
            "max_body_size": "200mb",
            "web": {"enable": False},
            "server": {"keepAliveTimeout": 60},
            "log": {"type": "stdout", "format": "pretty", "level": "warn"},
        }
        path = private_dir / "config.yaml"
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    def _launch(self, entry: Path, config: Path, port: int, *, last_try: bool) -> bool:
        """Start verdaccio on ``port``; False if the port was taken and a retry may work."""
        node = shutil.which("node") or "node"
        argv = [node, str(entry), "--config", str(config), "--listen", f"127.0.0.1:{port}"]
        return self._spawn(
            argv,
            port,
            healthy=lambda p: answers(p, "/-/ping"),
            port_taken="eaddrinuse",
            what="the local npm registry (verdaccio)",
            hint=f"delete {self.install_dir} to reinstall verdaccio",
            last_try=last_try,
            cwd=self._private_dir,
        )


def ensure_verdaccio(install_dir: Path, *, log: proc.Log = proc.no_log) -> Path:
    """verdaccio's entry script under ``install_dir``, installed with npm if needed.

    Reused while the stamp (the package.json asked for and the node version) is unchanged:
    installing takes about 15 s, starting takes about 1 s. An ``flock`` keeps two processes
    (parallel tests, two terminals) from installing into the same directory at once.
    """
    install_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": "releasekit-verdaccio",
        "private": True,
        "description": "verdaccio for releasekit's rehearsals (installed by releasekit)",
        "dependencies": {"verdaccio": VERDACCIO_SPEC},
        "overrides": VERDACCIO_OVERRIDES,
    }
    text = json.dumps(manifest, indent=2) + "\n"
    node = proc.run(
        ["node", "--version"],
        what="node --version",
        error=PublishError,
        hint="install Node.js (>= 18) to publish or rehearse npm packages",
    ).strip()
    stamp = hashlib.sha256(f"{text}\n{node}".encode()).hexdigest()
    entry = install_dir / "node_modules" / "verdaccio" / "bin" / "verdaccio"
    with _exclusive(install_dir / ".lock"):
        stamp_path = install_dir / _STAMP
        if entry.is_file() and _read(stamp_path) == stamp:
            log(f"reusing verdaccio {_installed_version(install_dir)} in {install_dir}")
            return entry
        log(f"installing verdaccio ({VERDACCIO_SPEC}) into {install_dir} with npm ...")
        started = time.monotonic()
        stamp_path.unlink(missing_ok=True)
        (install_dir / "package.json").write_text(text, encoding="utf-8")
        proc.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            what="npm install verdaccio",
            error=PublishError,
            hint="the npm registry must be reachable to install verdaccio once; "
            f"then it is reused from {install_dir}",
            cwd=install_dir,
            log=log,
            timeout=_INSTALL_TIMEOUT,
        )
        if not entry.is_file():
            raise PublishError(
                f"npm install verdaccio left no {entry}",
                f"delete {install_dir} and try again",
            )
        stamp_path.write_text(stamp, encoding="utf-8")
        log(
            f"installed verdaccio {_installed_version(install_dir)} in "
            f"{time.monotonic() - started:.1f}s (reused from now on)"
        )
    return entry


def _installed_version(install_dir: Path) -> str:
    try:
        data = json.loads(
            (install_dir / "node_modules" / "verdaccio" / "package.json").read_text("utf-8")
        )
    except (OSError, ValueError):
        return "?"
    return str(data.get("version", "?"))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _add_user(port: int, username: str) -> str:
    """Create ``username`` with a random password through verdaccio's REST API; its token.

    The same call ``npm adduser`` makes; with htpasswd auth verdaccio adds the user to the
    file and answers 201 with a token for ``//127.0.0.1:PORT/:_authToken``.
    """
    password = secrets.token_urlsafe(24)
    body = json.dumps(
        {"name": username, "password": password, "type": "user", "roles": []}
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/-/user/org.couchdb.user:{username}",
        data=body,
        method="PUT",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with net.open_url(request, 10.0) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        raise PublishError(
            f"the local npm registry refused to create a user (HTTP {error.code})",
            "see the verdaccio log next to its storage",
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise PublishError(
            f"the local npm registry did not create a user: {error}",
            "see the verdaccio log next to its storage",
        ) from None
    token = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise PublishError(
            "the local npm registry created a user but returned no token",
            "see the verdaccio log next to its storage",
        )
    return token


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (POSIX; elsewhere no lock, like lock.py)."""
    with open(path, "w", encoding="utf-8") as handle:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        yield

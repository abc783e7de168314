"""A real npm registry on a loopback port: verdaccio, for rehearsals and tests.

``--rehearse`` publishes npm packages to it exactly the way a release publishes them to
npmjs.org (``npm publish`` of the packed tarball with a token, then reading the packument
for the integrity), so a rehearsal runs the same code and meets the same refusals: no token
(401), the same version again (409), an unknown package (404).

A rehearsal's registry also serves the members' third-party dependencies, read-only, from
the registry the release publishes to (``upstream``, the workspace's ``npm-registry``): a
verdaccio uplink. The packages it releases (``own``) are never proxied: they come only from
what the rehearsal published, so a failed publish is never hidden by the real registry's
copy, and their publish needs no uplink (verdaccio asks its uplinks before publishing a
proxied name and refuses when one is down). Only the start's own user may publish, and only
those names; verdaccio never publishes to an uplink. Without ``upstream`` (tests) there are
no uplinks: a name not in storage is a 404, never a fetch from the internet.

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
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from releasekit.errors import PublishError
from releasekit.rehearsal.loopback import LoopbackServer, answers, free_port
from releasekit.runtime import net, proc

__all__ = [
    "UPLINK_LIMITS",
    "VERDACCIO_OVERRIDES",
    "VERDACCIO_SPEC",
    "LocalRegistry",
    "literal_pattern",
]

# verdaccio 6 (node >= 18). The override is needed by the registry reachable here (see the
# module docstring); on npmjs.org it changes nothing that matters.
VERDACCIO_SPEC = "^6.1.0"
VERDACCIO_OVERRIDES = {"node-fetch": "2.7.0"}

_INSTALL_TIMEOUT = 600.0
_STAMP = ".releasekit-stamp"
_UPLINK = "upstream"
# No user has this name (max_users is 1, and the one user is "releasekit-<hex>"): the names
# that are not the rehearsal's own can be read, never published.
_NOBODY = "releasekit-nobody"
# How long verdaccio waits for the upstream registry, and when it stops asking: a machine
# whose network swallows packets gets an answer within about 25 s (one 10 s timeout, npm's
# retry 10 s later, which verdaccio answers at once with the uplink marked offline), never
# npm's five-minute fetch timeout per request; a refused connection or an unknown host is
# answered at once. (request's timeout is for connecting and for silence, so a slow but
# flowing download is not cut.) The packuments it read are kept 10 minutes
# (a rehearsal's installs read each once) and the tarballs in storage.
UPLINK_LIMITS: dict[str, Any] = {
    "timeout": "10s",
    "max_fails": 1,
    "fail_timeout": "5m",
    "maxage": "10m",
    "cache": True,
}
# "@" is special only before "(", which is escaped
_MINIMATCH_SPECIAL = frozenset("*?[]{}()!+#\\")


def literal_pattern(name: str) -> str:
    """``name`` as a verdaccio ``packages`` pattern (minimatch) that matches only itself."""
    return "".join(f"\\{c}" if c in _MINIMATCH_SPECIAL else c for c in name)


class LocalRegistry(LoopbackServer):
    """A verdaccio serving ``storage`` on ``127.0.0.1``, publishing guarded by a token.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. ``state_dir`` is
    where verdaccio is installed (``state_dir/verdaccio``) and reused across starts and
    processes; ``storage`` holds the published packages and survives a stop, so a rerun on
    the same storage finds its earlier publishes.
    """

    def __init__(
        self,
        state_dir: Path,
        storage: Path,
        *,
        log: proc.Log | None = None,
        upstream: str | None = None,
        own: Collection[str] = (),
        uplink_timeout: str = UPLINK_LIMITS["timeout"],
    ) -> None:
        self.state_dir = Path(state_dir)
        self.storage = Path(storage)
        self.install_dir = self.state_dir / "verdaccio"
        super().__init__(self.storage.parent / f"{self.storage.name}.verdaccio.log", log)
        self._token = ""
        self._username = ""
        # the registry third-party packages are read from (None: no uplink), and the names
        # this registry takes publishes of and never proxies
        self.upstream = upstream.rstrip("/") + "/" if upstream else None
        self.own = tuple(sorted(set(own)))
        self.uplink_timeout = uplink_timeout  # how long one upstream request may be silent

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
                self._forget_proxied()
                self._private_dir = Path(tempfile.mkdtemp(prefix="releasekit-npm-"))
                # named before the config, which gives this user alone the right to publish
                self._username = f"releasekit-{secrets.token_hex(4)}"
                config = self._write_config(self._private_dir)
                # One retry: another process may take the free port before verdaccio binds.
                for attempt in (1, 2):
                    if self._launch(entry, config, free_port(), last_try=attempt == 2):
                        break
                self._token = _add_user(self._started_port(), self._username)
            except BaseException:
                self.stop()
                raise
        upstream = f", other packages read from {self.upstream}" if self.upstream else ""
        self._log(f"local npm registry at {self.url}{upstream} (server log: {self.log_path})")
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
        """verdaccio's config: local storage, htpasswd auth, the access rules, the uplink.

        Written as JSON, which is YAML, so no value needs YAML quoting. verdaccio applies
        the first ``packages`` pattern that matches a name (``**`` matches scoped names
        too), so the own names come first, each spelled literally (minimatch's special
        characters escaped), then ``@*/*`` and ``**``. Only the own names are publishable,
        by this start's user; every other name is read-only, proxied to ``upstream`` when
        there is one. Without ``upstream`` (and without ``own``) any user may publish any
        name and there is no ``uplinks`` section: a name not in storage is a 404.

        ``max_users: 1``: the start's user is the only one; nobody else on this machine
        registers a user on the loopback port and publishes.
        """
        config: dict[str, Any] = {
            "storage": str(self.storage.resolve()),
            "auth": {"htpasswd": {"file": str(private_dir / "htpasswd"), "max_users": 1}},
            "packages": self.package_rules(),
            "max_body_size": "200mb",
            "web": {"enable": False},
            "server": {"keepAliveTimeout": 60},
            "log": {"type": "stdout", "format": "pretty", "level": "warn"},
        }
        if self.upstream is not None:
            config["uplinks"] = {
                _UPLINK: {"url": self.upstream, **UPLINK_LIMITS, "timeout": self.uplink_timeout}
            }
        path = private_dir / "config.yaml"
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    def _forget_proxied(self) -> None:
        """Remove from storage each own name that an earlier start read from its uplink (a
        member left out of that run by ``--only`` is a dependency like any other): its
        copies of the real registry's versions would be served as if the rehearsal had
        published them. What a rehearsal published there goes too; the next publish puts
        it back."""
        for name in self.own:
            folder = self.storage / name
            try:
                record = json.loads((folder / "package.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and record.get("_uplinks"):
                shutil.rmtree(folder, ignore_errors=True)
                self._log(f"dropped {name} from storage: an earlier start read it from upstream")

    def package_rules(self) -> dict[str, dict[str, str]]:
        """verdaccio's ``packages`` section, in the order verdaccio tries the patterns."""
        user = self._username or "releasekit-user"
        rules: dict[str, dict[str, str]] = {
            literal_pattern(name): {"access": "$all", "publish": user, "unpublish": user}
            for name in self.own
        }
        anyone = self.upstream is None and not self.own  # a test's registry: any name
        writer = user if anyone else _NOBODY
        others = {"access": "$all", "publish": writer, "unpublish": writer}
        if self.upstream is not None:
            others["proxy"] = _UPLINK
        for pattern in ("@*/*", "**"):
            rules[pattern] = dict(others)
        return rules

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
    hint = "see the verdaccio log next to its storage"
    answer = net.read_json(
        request, "the local npm registry did not create a user", hint, timeout=10.0,
        refused=lambda status, _said: (
            f"the local npm registry refused to create a user (HTTP {status})", hint
        ),
    )  # fmt: skip
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

"""The embedded indexes that stand in for TestPyPI, PyPI (and npm's registry) in ``--rehearse``.

Two pypiserver processes on free loopback ports (one "test", one "prod"), with upload
authentication on and fallback to PyPI off, run from a virtualenv of their own that is
made once and reused. Their storage is kept per commit, so a rehearsal rerun on the same
commit finds its earlier uploads (and is a no-op), and a new commit starts from empty
indexes. A file an earlier rehearsal of the commit uploaded that the new build does not
reproduce byte for byte is dropped before the plan reads the stand-in, and uploaded again
(:func:`drop_earlier_files`): a rehearsal never refuses its own scratch space.

``nox -s release`` runs every session in one process: the servers start once, in parallel,
when the first session needs them, and stop when the process exits, or as soon as it is
told to stop (SIGTERM, Ctrl-C: :func:`releasekit.runtime.signals.on_stop`), so a cancelled CI job
leaves no server behind. A start that fails or is interrupted stops both servers first.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import threading
from collections.abc import Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from releasekit.core.config import IndexConfig
from releasekit.rehearsal.loopback import LoopbackServer
from releasekit.rehearsal.pypiserver import LocalIndex, server_python
from releasekit.runtime import proc, signals

__all__ = [
    "Rehearsal",
    "drop_earlier_files",
    "hold_project",
    "local_indexes",
    "local_npm_registry",
    "start_local_indexes",
    "stop_all",
]


@dataclass(frozen=True)
class Rehearsal:
    """The stand-in indexes and the environment that holds their (throwaway) credentials."""

    indexes: Mapping[str, IndexConfig]
    environ: Mapping[str, str]
    # where each stand-in keeps its files (pypiserver serves the directory as it is)
    storage: Mapping[str, Path] = field(default_factory=dict)


_running: dict[Path, Rehearsal] = {}
# started by check, waited for by the first session that needs the indexes (publish-test)
_starting: dict[Path, tuple[Future[Rehearsal], list[str]]] = {}
_registries: dict[Path, tuple[str, dict[str, str]]] = {}
_servers: list[LoopbackServer] = []
_hooked = False


def _stop_at_exit() -> None:
    global _hooked
    if not _hooked:
        atexit.register(stop_all)
        signals.on_stop(stop_all)
        _hooked = True


def start_local_indexes(state_dir: Path, key: str, *, tools_index: str | None = None) -> None:
    """Start the stand-ins for ``key`` in the background: the build runs meanwhile, and
    :func:`local_indexes` waits for them (and says what the start said) when needed."""
    storage = state_dir / "indexes" / key
    if storage in _running or storage in _starting:
        return
    _stopped.clear()
    said: list[str] = []
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="releasekit-rehearsal")
    _starting[storage] = (pool.submit(_start, state_dir, key, said.append, tools_index), said)
    pool.shutdown(wait=False)


def local_indexes(
    state_dir: Path, key: str, *, log: proc.Log, tools_index: str | None = None
) -> Rehearsal:
    """The running test and prod stand-ins for the build of ``key`` (a commit); pypiserver
    from releasekit's lock, fetched from ``tools_index`` (else PyPI) the first time."""
    storage = state_dir / "indexes" / key
    if storage in _starting:
        future, said = _starting.pop(storage)
        try:
            return future.result()
        finally:
            for line in said:
                log(line)
    if storage in _running:
        return _running[storage]
    _stopped.clear()
    return _start(state_dir, key, log, tools_index)


def _start(state_dir: Path, key: str, log: proc.Log, tools_index: str | None) -> Rehearsal:
    storage = state_dir / "indexes" / key
    _forget_other_commits(storage)
    python = server_python(index=tools_index, log=log)
    servers = {
        name: LocalIndex(
            storage / name, server_python=python, log=_prefixed(log, name), rate_limit=False
        )
        for name in ("test", "prod")
    }
    _stop_at_exit()
    if _stopped.is_set():  # stop_all ran while this start was on its way: start nothing
        raise KeyboardInterrupt
    _servers.extend(servers.values())
    log("rehearsal: starting a local test index and a local prod index (pypiserver)")
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(LocalIndex.start, servers.values()))
    except BaseException:  # one failed, or Ctrl-C/SIGTERM: the pool has waited for both
        for server in servers.values():
            server.stop()
        raise
    environ = dict(os.environ)
    indexes = {}
    for name, server in servers.items():
        index = IndexConfig(name=name, url=server.url, publish_url=server.publish_url)
        environ[f"{index.env_prefix}_USERNAME"] = server.username
        environ[f"{index.env_prefix}_PASSWORD"] = server.password
        indexes[name] = index
    _running[storage] = Rehearsal(
        indexes=indexes,
        environ=environ,
        storage={name: server.packages_dir for name, server in servers.items()},
    )
    return _running[storage]


def local_npm_registry(
    state_dir: Path,
    key: str,
    *,
    log: proc.Log,
    upstream: str | None = None,
    own: Collection[str] = (),
) -> tuple[str, dict[str, str]]:
    """The running stand-in for the npm registry (verdaccio) for ``key``'s build: its URL,
    and the environment holding its throwaway ``NODE_AUTH_TOKEN``.

    Started only by a rehearsal with an npm member. It takes publishes of the ``own``
    names (the npm members the rehearsal releases) and serves every other name read-only
    from ``upstream`` (the registry the release publishes to), never an own name from there
    (:class:`releasekit.rehearsal.verdaccio.LocalRegistry`). Its storage is kept per commit
    like the indexes', so a rerun on the same commit finds its earlier publishes.
    """
    from releasekit.rehearsal.verdaccio import LocalRegistry

    storage = state_dir / "npm" / key
    if storage in _registries:
        return _registries[storage]
    _forget_other_commits(storage)
    server = LocalRegistry(
        state_dir, storage, log=_prefixed(log, "npm"), upstream=upstream, own=own
    )
    _stop_at_exit()
    _servers.append(server)
    log("rehearsal: starting a local npm registry (verdaccio)")
    server.start()
    environ = {**os.environ, **server.credentials()}
    _registries[storage] = (server.url, environ)
    return _registries[storage]


def drop_earlier_files(packages_dir: Path, filenames: Collection[str]) -> list[str]:
    """Remove ``filenames`` from a stand-in index's storage: the files an earlier rehearsal
    of this commit uploaded, which this build does not reproduce byte for byte (``dist/``
    emptied and built again, the commit tagged since). A real index never takes a file
    back; a stand-in is this machine's scratch space, so the new build replaces its own
    earlier upload instead of being refused for it. The names removed, sorted."""
    dropped = []
    for name in sorted(filenames):
        path = packages_dir / name
        if path.parent == packages_dir and path.is_file():
            path.unlink()
            dropped.append(name)
    return dropped


def hold_project(
    packages_dir: Path, project: str, *, upload_limit: int | None, pypi_rules: bool
) -> None:
    """Make a stand-in index hold ``project`` to what the index it stands in for holds it
    to: the project's raised upload limit (bytes, None: the default), and PyPI's rules or
    only what any index takes (``pypi-rules = false``). Set per project in the stand-in's
    state, not on its command line: one pair of stand-ins serves every member of a
    workspace, whose configs may differ; set at every rehearsal, so a changed config is
    what the next one sees."""
    from releasekit._child import index_state

    index_state.set_upload_limit(packages_dir, project, upload_limit)
    index_state.set_pypi_rules(packages_dir, project, pypi_rules)


def _forget_other_commits(storage: Path) -> None:
    """Remove the storage of earlier commits' rehearsals beside ``storage``: of no further use."""
    if storage.parent.is_dir():
        for other in storage.parent.iterdir():
            if other != storage:
                shutil.rmtree(other, ignore_errors=True)


def _prefixed(log: proc.Log, name: str) -> proc.Log:
    return lambda message: log(f"rehearsal {name}: {message}")


_stopped = threading.Event()


def stop_all() -> None:
    """Stop every local index this process started (idempotent; safe from a signal handler)."""
    _stopped.set()
    for future, _ in list(_starting.values()):  # a start under way finishes first
        with contextlib.suppress(BaseException):
            future.result()
    _starting.clear()
    _running.clear()
    _registries.clear()
    stopping = []
    while _servers:  # each server taken once, even when a second stop_all comes meanwhile
        server = _servers.pop()
        thread = threading.Thread(target=server.stop, name="releasekit-stop", daemon=True)
        thread.start()
        stopping.append(thread)
    for thread in stopping:  # at once: a server that does not stop costs its own wait only
        thread.join()

"""Running the tools releasekit drives (build, twine, pip, uv, pypiserver, smoke commands).

One place that runs a command and turns a failure into a :class:`ReleasekitError` whose
message ends with the tool's last line of output, which is nearly always the line that says
what went wrong. Credentials reach tools through ``env`` only: nothing here ever puts them
on a command line, and :func:`redact` scrubs them out of any output that is shown.

A child gets the least environment it needs: :func:`scrub` takes every credential out of a
copy of ``os.environ`` (index passwords, ``TWINE_*``, anything named ``*_TOKEN`` or
``*_PASSWORD``, GitHub's OIDC request pair), and :func:`run` starts every command from that
copy. A build backend, a smoke command or a prepare-command is the project's own code and
its dependencies' code; none of it needs a token, and a token it never sees cannot end up
in a log, a wheel or a server. The one process that does need one, the twine upload to one
index, gets exactly that index's credentials through ``env`` (see
:func:`releasekit.targets.pypi.upload.upload_env`).

Every command runs in a session (process group) of its own, so that releasekit can stop
*everything* it started: a command past its ``timeout``, and whatever a command leaves
behind when it exits (a server it forked, still holding the output pipe, would otherwise
keep releasekit reading forever).
"""

from __future__ import annotations

import contextlib
import locale
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Callable

from releasekit import _child
from releasekit.core.secret_env import OIDC_VARIABLES, is_secret, scrub
from releasekit.errors import ReleasekitError

__all__ = [
    "OIDC_VARIABLES",
    "Log",
    "child_env",
    "children_tempdir",
    "drop_prestarted",
    "is_secret",
    "pep517_runner",
    "prestart",
    "redact",
    "remove_children_tempdir",
    "run",
    "scrub",
    "split_command",
]

Log = Callable[[str], None]

_POSIX = os.name == "posix"
_LINUX = sys.platform.startswith("linux")
# After SIGTERM a process gets this long to exit before SIGKILL.
GRACE_SECONDS = 2.0


# Every tool releasekit runs writes for a wide terminal: uv, pip and twine wrap their messages
# at $COLUMNS, and a failure is quoted by its last line, which must be whole.
WIDE = {"COLUMNS": "200"}
# Values shorter than this are not searched for in output: replacing every "1" or "yes"
# would garble messages, and no real token is that short.
_MIN_REDACTED = 6


def no_log(_: str) -> None:
    """A :data:`Log` that drops every line."""


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: ``os.environ`` scrubbed, then ``extra`` on top.

    For code that starts a process without :func:`run` (``subprocess.run``, nox's
    ``session.run(..., env=child_env(), include_outer_env=False)``). ``extra`` is taken as
    given: it is how a caller hands a credential to the one process that needs it.
    The temporary directory is :func:`children_tempdir` (``TMPDIR``, ``TEMP``, ``TMP``).
    """
    env = scrub(os.environ)
    temp = children_tempdir()
    if temp is not None:
        env.update(dict.fromkeys(_TEMP_VARIABLES, temp))
    if extra:
        env.update(extra)
    return env


_TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")
_CHILDREN_PREFIX = "releasekit-children-"
_children_temp: list[tuple[str, int | None]] = []  # (path, the fd holding its flock)
_children_temp_lock = threading.Lock()


def children_tempdir() -> str | None:
    """A directory of this process's own (``<tmp>/releasekit-children-*``) where every
    child makes its temporary files, removed when this process exits (after a Ctrl-C or
    a SIGTERM too: :mod:`releasekit.runtime.signals` turns both into a normal exit).

    A tool stopped half-way leaves its temporary directories where it made them (uv's
    ``.tmp*`` during an install stopped by a cancel): here they go with this one. The
    process holds an ``flock`` on it while it lives: one that SIGKILL left behind is
    removed by the next releasekit that makes its own (the kernel released the lock).
    ``None`` when it cannot be made (the children then use the system's, as before).
    """
    with _children_temp_lock:
        if _children_temp and os.path.isdir(_children_temp[0][0]):
            return _children_temp[0][0]
        import tempfile

        try:  # locked under a name no sweep looks at, then given its name
            new = tempfile.mkdtemp(prefix="." + _CHILDREN_PREFIX)
        except OSError:
            return None
        held = _hold(new)
        made = os.path.join(os.path.dirname(new), os.path.basename(new)[1:])
        try:
            os.rename(new, made)
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(new)
                if held is not None:
                    os.close(held)
            return None
        if not _children_temp:
            import atexit

            atexit.register(remove_children_tempdir)
            _sweep_children_tempdirs(os.path.dirname(made), keep=made)
        for _, fd in _children_temp:  # one removed under us (an emptied /tmp)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        _children_temp[:] = [(made, held)]
        return made


def _hold(path: str) -> int | None:
    """An open descriptor of ``path`` with an exclusive ``flock`` on it (POSIX), or None."""
    if not _POSIX:
        return None
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _sweep_children_tempdirs(parent: str, *, keep: str) -> None:
    """Remove the children's directories of releasekits that died without cleaning up
    (SIGKILL): ours (same owner), real directories, and no process holds their lock."""
    import shutil

    if not _POSIX:
        return
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(_CHILDREN_PREFIX)]
    except OSError:
        return
    for entry in entries:
        try:
            if entry.path == keep or not entry.is_dir(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        fd = _hold(entry.path)
        if fd is None:  # held: a live releasekit's
            continue
        try:
            shutil.rmtree(entry.path, ignore_errors=True)
        finally:
            os.close(fd)


def remove_children_tempdir() -> None:
    """Remove :func:`children_tempdir` and whatever a child left there (idempotent)."""
    import shutil

    with _children_temp_lock:
        made = list(_children_temp)
        _children_temp.clear()
    for path, fd in made:
        shutil.rmtree(path, ignore_errors=True)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def pep517_runner(
    cmd: Sequence[str],
    cwd: str | None = None,
    extra_environ: Mapping[str, str] | None = None,
) -> None:
    """``pyproject_hooks``' quiet subprocess runner, with the scrubbed environment.

    Pass it as ``BuildBackendHookCaller(..., runner=proc.pep517_runner)``: the default runner
    hands the build backend (the project's own code) all of ``os.environ``.
    """
    subprocess.check_output(
        list(cmd), cwd=cwd, env=child_env(extra_environ), stderr=subprocess.STDOUT
    )


def _environ_secrets() -> tuple[str, ...]:
    """Values of the credentials in ``os.environ``: never shown, whatever a tool prints."""
    return tuple(
        value
        for name, value in os.environ.items()
        if is_secret(name)
        and name.upper().endswith(("_TOKEN", "_PASSWORD"))
        and len(value) >= _MIN_REDACTED
    )


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text`` by ``***``.

    Longest first: a secret that contains another must not be left half shown.
    """
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


# Lines tools end their output with that say nothing of the cause (npm's pointer to its log)
_TRAILERS = ("A complete log of this run can be found in",)


def _last_line(output: str) -> str:
    """The last line that says something: what a failed command's message quotes."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    said = [line for line in lines if not any(t in line for t in _TRAILERS)]
    return (said or lines or [""])[-1]


def split_command(
    command: str,
    key: str,
    *,
    table: str = "[tool.releasekit]",
    error: type[ReleasekitError] = ReleasekitError,
    where: str = "",
) -> list[str]:
    """A command of the setting ``table`` ``key`` as argv, split as a shell would but run
    without one; bad quoting or an empty entry is ``error``, never a traceback."""
    prefix = f"{where}: " if where else ""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise error(
            f"{prefix}{key} entry {command!r} cannot be parsed: {exc}",
            f"fix the quoting in {table} {key}",
        ) from None
    if not argv:
        raise error(f"{prefix}{key} has an empty entry", f"remove it from {table} {key}")
    return argv


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    what: str,
    error: type[ReleasekitError] = ReleasekitError,
    hint: str = "",
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    log: Log = no_log,
    secrets: Iterable[str] = (),
    timeout: float | None = None,
    timeout_hint: str = "",
    unset: Iterable[str] = (),
    tied: bool = False,
) -> str:
    """Run ``args``, return its combined output; raise ``error`` naming ``what`` on failure.

    The command gets :func:`child_env`: the current environment without credentials, and
    ``env`` on top of it (a credential the command needs goes there, and in ``secrets``);
    the variables named in ``unset`` are left out (an installer's own configuration).
    Output is logged (redacted) only when the command fails, so a passing step stays quiet;
    ``secrets`` and the values of credentials in ``os.environ`` are redacted. Past
    ``timeout`` seconds the command and every process it started are stopped (SIGTERM, then
    SIGKILL) and ``error`` says so, with ``timeout_hint`` as its hint.

    ``tied`` (a ``python -m MODULE`` command whose effect must not outlive releasekit: a
    ``twine upload``): the command dies with releasekit even when releasekit is killed
    with SIGKILL, as a prestarted one does (it runs through releasekit/_child/warm.py, whose
    watchdog kills it when its stdin pipe from releasekit closes). Every other command is
    in a session of its own and stopped by releasekit when it stops normally.
    """
    argv = [os.fspath(a) for a in args]
    full_env = child_env({**WIDE, **(env or {})})
    for name in unset:
        full_env.pop(name, None)
    secrets = (*secrets, *_environ_secrets())
    log(redact(f"$ {shlex.join(argv)}", secrets))
    warm = _take_warm(argv, full_env, cwd)
    if warm is None and tied and len(argv) >= 3 and argv[1] == "-m":
        try:
            warm = _Warm(argv, (), full_env, cwd)
        except OSError:  # not there: the cold start below says so
            warm = None
    if warm is not None:
        child, reader = warm.go(argv[len(warm.argv) :])
    else:
        try:
            child = subprocess.Popen(
                argv,
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=_POSIX,
            )
        except FileNotFoundError:
            raise error(f"{what} failed: {argv[0]} not found", hint or "install it first") from None
        assert child.stdout is not None
        reader = _Reader(child.stdout.fileno())
    try:
        exited = _wait_unreaped(child, timeout)
        # Whatever is left in the command's group now is a leftover (a forked server, a
        # background job): stop it, so it neither holds the pipe open nor outlives the step.
        leftovers = _stop_group(child)
        child.wait()
    except BaseException:  # Ctrl-C: the children are in their own session, take them along
        _stop_group(child)
        child.wait()
        raise
    finally:  # only now: a prestarted child takes EOF here for its parent's death
        if child.stdin is not None:
            with contextlib.suppress(OSError):
                child.stdin.close()
    if reader.wait(GRACE_SECONDS):
        assert child.stdout is not None
        child.stdout.close()
    else:  # a process that left the group (setsid) holds the pipe: not worth a hang
        log(f"note: a process started by {what} still holds its output: not waiting for it")
    output = redact(reader.text(), secrets)
    if not exited:
        log(output.rstrip())
        last = _last_line(output)
        detail = f" (its last line: {last})" if last else ""
        raise error(
            f"{what} still running after {timeout:g} s: stopped{detail}",
            timeout_hint
            or "it may be waiting for input, a network or a lock: run it by hand to see",
        )
    if leftovers:
        log(f"note: {what} left processes running when it exited: stopped them")
    if child.returncode != 0:
        log(output.rstrip())
        last = _last_line(output)
        detail = f": {last}" if last else ""
        raise error(f"{what} failed (exit {child.returncode}){detail}", hint)
    return output


# --- processes started ahead of their run -------------------------------------------------


class _Warm:
    """``python -m MODULE ARGS...`` started ahead, its imports done, waiting to be told
    the rest of its arguments and to go (by releasekit/_child/warm.py, which says how)."""

    def __init__(
        self, argv: list[str], preload: Sequence[str], env: dict[str, str], cwd: Path | None
    ) -> None:
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.stamp = _stamp(argv[0])
        self.child = subprocess.Popen(
            [argv[0], str(_child.WARM), argv[2], *preload, "--", *argv[3:]],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=_POSIX,
        )
        assert self.child.stdout is not None
        self.reader = _Reader(self.child.stdout.fileno())

    def serves(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> bool:
        """Whether running ``argv`` with ``env`` in ``cwd`` now would start exactly this:
        the same command (this one's arguments first), environment, working directory and
        interpreter file."""
        return (
            list(argv[: len(self.argv)]) == self.argv
            and dict(env) == self.env
            and cwd == self.cwd
            and self.stamp is not None
            and self.stamp == _stamp(self.argv[0])
        )

    def go(self, more: Sequence[str]) -> tuple[subprocess.Popen[bytes], _Reader]:
        """Hand it the rest of its arguments. Its stdin stays open until :func:`run` has
        seen it exit: EOF before then tells it releasekit died, and it kills itself
        (releasekit/_child/warm.py)."""
        import json

        assert self.child.stdin is not None
        try:
            self.child.stdin.write((json.dumps(list(more)) + "\n").encode())
            self.child.stdin.flush()
        except OSError:  # it died meanwhile: run reports its exit status and output
            pass
        return self.child, self.reader

    def drop(self) -> None:
        if self.child.stdin is not None:
            with contextlib.suppress(OSError):
                self.child.stdin.close()
        _stop_group(self.child)
        self.child.wait()


_warm: list[_Warm] = []
_warm_lock = threading.Lock()
_warm_exit_hooked = False
_MAX_WARM = 4


def prestart(
    args: Sequence[str | os.PathLike[str]],
    *,
    preload: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> None:
    """Start ``args`` (``[python, "-m", module, ...]``) now, so that a later :func:`run` of
    it finds its imports done. ``preload``: the modules to import meanwhile.

    The run must be the same command (it may add arguments at the end: the files twine
    checks are not built yet), with the same ``env`` and ``cwd``, from an unchanged
    ``os.environ``; anything else starts afresh (and this process ends). The environment
    is fixed at the start, as :func:`run` would give it (``env`` on the scrubbed
    ``os.environ``): a credential for the one upload is in that one process only, as ever.

    For a tool whose start is slow (twine imports for ~0.3 s) and that runs after other
    work (twine check after the build, the next index's upload while the last one is
    verified): the import overlaps with that work. A process no run takes ends when
    releasekit exits.
    """
    global _warm_exit_hooked
    argv = [os.fspath(a) for a in args]
    if len(argv) < 3 or argv[1] != "-m":  # not a Python module run: nothing to prepare
        return
    full_env = child_env({**WIDE, **(env or {})})
    with _warm_lock:
        if any(w.serves(argv, full_env, cwd) and w.argv == argv for w in _warm):
            return
        while len(_warm) >= _MAX_WARM:
            _warm.pop(0).drop()
        try:
            _warm.append(_Warm(argv, preload, full_env, cwd))
        except OSError:  # not there: the run itself will say so
            return
        if not _warm_exit_hooked:
            import atexit

            atexit.register(drop_prestarted)
            _warm_exit_hooked = True


def drop_prestarted() -> None:
    """Stop every process :func:`prestart` started that no run took (idempotent)."""
    with _warm_lock:
        spares = list(_warm)
        _warm.clear()
    for spare in spares:
        spare.drop()


def _take_warm(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> _Warm | None:
    """The prestarted process that is exactly this run, if one waits; else ``None``."""
    if not _warm:
        return None
    with _warm_lock:
        found = next((w for w in _warm if w.serves(argv, env, cwd)), None)
        if found is None:
            return None
        _warm.remove(found)
    if found.child.poll() is None:
        return found
    found.drop()
    return None


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


class _Reader:
    """Collects a pipe's output in a thread, so waiting for the process can have a limit.

    Reads whatever is available (``os.read``), so the output so far is there even when a
    straggler keeps the pipe open past the end.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._chunks: list[bytes] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 65536)
            except OSError:
                return
            if not data:
                return
            self._chunks.append(data)

    def wait(self, seconds: float) -> bool:
        """Whether the pipe reached its end within ``seconds``."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def text(self) -> str:
        """What was read so far, decoded as ``text=True`` would (universal newlines)."""
        encoding = locale.getpreferredencoding(False)
        data = b"".join(list(self._chunks)).decode(encoding, errors="replace")
        return data.replace("\r\n", "\n").replace("\r", "\n")


def _wait_unreaped(child: subprocess.Popen[bytes], timeout: float | None) -> bool:
    """Wait until ``child`` exits (False when ``timeout`` passes first), *without* reaping it.

    An exited but unreaped child keeps its process ID, and so its process group ID, from
    being reused: signalling the group afterwards can only ever reach the command's own
    processes. Only on Linux: :func:`_group_running` tells a zombie from a live process
    there.
    """
    if not _LINUX:  # elsewhere a zombie still answers kill(): reap, then look at the group
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.001
    while True:
        flags = os.WEXITED | os.WNOWAIT | os.WNOHANG
        if os.waitid(os.P_PID, child.pid, flags) is not None:
            return True
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            delay = min(delay, remaining)
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _stop_group(child: subprocess.Popen[bytes]) -> bool:
    """Stop every process of ``child``'s group: SIGTERM, then SIGKILL after a grace period.

    Returns whether any process (other than an exited ``child``) was still running.
    """
    if not _POSIX:
        if child.poll() is None:
            subprocess.run(
                ["taskkill", "/F", "/T", "/PID", str(child.pid)],
                capture_output=True,
                check=False,
            )
            return True
        return False
    group = child.pid
    if not _group_running(group):
        return False
    for sig, wait in ((signal.SIGTERM, GRACE_SECONDS), (signal.SIGKILL, GRACE_SECONDS)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _group_running(group):
                return True
            time.sleep(0.02)
    return True


def _group_running(group: int) -> bool:
    """Whether a process of ``group`` is still running.

    Zombies don't count: they have exited and hold nothing (an orphan waits for init to
    reap it, which in a container may take a while).
    """
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not _LINUX:
        return True
    wanted = str(group)
    stats = process_stats()
    if stats is None:
        return True
    return any(fields[2] == wanted and fields[0] not in ("Z", "X") for _, fields in stats)


def process_stats() -> list[tuple[str, list[str]]] | None:
    """(pid, [state, ppid, pgrp, ...]) of every process, from /proc; ``None`` without it.

    The fields after the command name: "pid (comm) state ppid pgrp ..." where comm may
    hold spaces and parentheses.
    """
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    found = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 2:
            found.append((entry, fields))
    return found

"""Virtual environments that releasekit makes for itself, and the Pythons they are made from.

uv makes them in a fraction of the time of ``python -m venv`` + pip, so it is used whenever
it is on PATH (or installed as the ``uv`` Python package); the standard library is the
fallback. A uv-made environment has no pip, so installs go through ``uv pip --python``.

A Python asked for by version ("3.12") is looked up by :func:`find_python` and handed to
both backends as a path: a pyenv shim on PATH that is not selected exits with a long
"pyenv: python3.12: command not found" text, which would otherwise end up as the error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import ReleasekitError
from releasekit.runtime import proc
from releasekit.runtime.tool_locks import ToolLock

__all__ = [
    "PYPI",
    "WRITE_BYTECODE",
    "Venv",
    "cache_dir",
    "create",
    "ensure",
    "ensure_locked",
    "find_python",
    "find_uv",
    "locked_install",
    "locked_venv_path",
    "system_ca_bundle",
    "tools_python",
]

# Newest first: what tools_python tries when the running Python is too old.
TOOLS_PYTHONS = ("3.13", "3.12", "3.11", "3.10")
# Quiet, offline lookups: never download a Python, never read a project's uv.toml.
_UV_FIND_ENV = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1"}
_VERSION_SPEC = re.compile(r"(?:python)?(?P<major>\d+)\.(?P<minor>\d+)")
_PROBE = "import sys; print(sys.version_info[:2])"
_PROBE_SECONDS = 30.0


# For the tools run from releasekit's own kept environments (twine, pypiserver): let them
# write their ``.pyc`` files even where ``PYTHONDONTWRITEBYTECODE`` is set (CI images often
# set it). Otherwise every start compiles every module it imports again: twine starts in
# 0.8 s instead of 0.4 s. The files land in those environments under ``.nox``, nowhere else.
WRITE_BYTECODE = {"PYTHONDONTWRITEBYTECODE": ""}


def find_uv() -> str | None:
    """The uv executable, or None. ``RELEASEKIT_NO_UV=1`` forces the pip path (for tests)."""
    if os.environ.get("RELEASEKIT_NO_UV") == "1":
        return None
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


_no_uv_said = threading.Event()


def _say_no_uv(log: proc.Log) -> None:
    """Once per process: what releasekit does without uv, and that installing it helps."""
    if _no_uv_said.is_set():
        return
    _no_uv_said.set()
    if os.environ.get("RELEASEKIT_NO_UV") == "1":
        log("uv turned off (RELEASEKIT_NO_UV=1): using python -m venv and pip (slower)")
    else:
        log("uv not found: using python -m venv and pip (slower); install uv to speed this up")


def _bin(path: Path, name: str) -> Path:
    if sys.platform == "win32":
        return path / "Scripts" / f"{name}.exe"
    return path / "bin" / name


def _version_of(python: str) -> tuple[int, int] | None:
    """``(major, minor)`` of the interpreter ``python``, by running it; None if it doesn't run.

    Its output is only ever parsed, never shown: a pyenv shim's complaint is not an error
    message releasekit wants to pass on.
    """
    try:
        output = proc.run([python, "-c", _PROBE], what="probing", timeout=_PROBE_SECONDS)
    except ReleasekitError:
        return None
    match = re.fullmatch(r"\((\d+), (\d+)\)", output.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _uv_find(uv: str, spec: str) -> str | None:
    try:
        output = proc.run(
            [uv, "python", "find", "--system", spec],
            what="uv python find",
            env=_UV_FIND_ENV,
            timeout=_PROBE_SECONDS,
        )
    except ReleasekitError:  # not found, or a shim it could not query
        return None
    lines = output.strip().splitlines()
    path = lines[-1].strip() if lines else ""
    return path if path and os.path.isfile(path) else None


def _pyenv_find(major: int, minor: int) -> str | None:
    """The highest installed patch release of ``major.minor`` in pyenv's versions directory."""
    pyenv = shutil.which("pyenv")
    root = os.environ.get("PYENV_ROOT", "")
    if pyenv:
        try:
            root = proc.run([pyenv, "root"], what="pyenv root", timeout=_PROBE_SECONDS).strip()
        except ReleasekitError:
            pass
    versions = Path(root) / "versions" if root else None
    if versions is None or not versions.is_dir():
        return None
    found: list[tuple[int, Path]] = []
    for entry in versions.iterdir():
        match = re.fullmatch(rf"{major}\.{minor}\.(\d+)", entry.name)
        if match:
            found.append((int(match.group(1)), entry))
    for _, entry in sorted(found, reverse=True):
        candidate = _bin(entry, f"python{major}.{minor}")
        if candidate.is_file() and _version_of(str(candidate)) == (major, minor):
            return str(candidate)
    return None


def find_python(spec: str, *, where: str = "[tool.releasekit.smoke] pythons") -> str:
    """The interpreter for ``spec``: a version ("3.12") or a path, which is used as it is.

    A version is looked up with ``uv python find`` (never downloading), then among pyenv's
    installed versions (the highest patch release), then as ``python3.12`` on PATH, each
    candidate run to prove it is that version. ``where`` names the setting that asked for
    it, for the hint.
    """
    if os.sep in spec or "/" in spec:
        if os.path.isfile(spec):
            return spec
        raise ReleasekitError(
            f"Python interpreter {spec} does not exist", f"fix the path in {where}"
        )
    match = _VERSION_SPEC.fullmatch(spec)
    version = f"{match['major']}.{match['minor']}" if match else spec
    looked: list[str] = []
    uv = find_uv()
    if uv:
        looked.append("with uv python find")
        found = _uv_find(uv, version)
        if found:
            return found
    if match:
        looked.append("in pyenv's versions")
        found = _pyenv_find(int(match["major"]), int(match["minor"]))
        if found:
            return found
    looked.append("on PATH")
    command = f"python{version}" if match else spec
    on_path = shutil.which(command)
    if on_path:
        actual = _version_of(on_path)
        wanted = (int(match["major"]), int(match["minor"])) if match else actual
        if actual is not None and actual == wanted:
            return on_path
    where_looked = ", ".join(looked[:-1]) + " and " + looked[-1] if len(looked) > 1 else looked[0]
    raise ReleasekitError(
        f"Python {version} is not installed here (looked {where_looked})",
        f"install it (`pyenv install {version}` or `uv python install {version}`), "
        f"or remove it from {where}",
    )


def tools_python(
    requested: str | None,
    minimum: tuple[int, int] = (3, 10),
    *,
    current: tuple[int, int] = (sys.version_info[0], sys.version_info[1]),
) -> tuple[str, str]:
    """The interpreter of releasekit's tools venv, and one line saying why it is that one.

    twine 7 needs Python >= 3.10, while nox (and so releasekit) may run on 3.9: then the
    newest installed Python >= ``minimum`` is used. ``requested`` (the noxfile's
    ``register(python=...)``) wins, but must be new enough. ``current`` is the running
    Python's version.
    """
    need = f"{minimum[0]}.{minimum[1]}"
    if requested:
        path = find_python(requested, where="register(python=...) in noxfile.py")
        actual = _version_of(path)
        if actual is None or actual < minimum:
            shown = f"{actual[0]}.{actual[1]}" if actual else "an unknown version"
            raise ReleasekitError(
                f"the tools venv Python {requested} ({path}) is {shown}: twine needs >= {need}",
                f'pass python="{TOOLS_PYTHONS[0]}" (or any >= {need}) to register(), '
                "or leave it out to use the newest installed one",
            )
        shown = f"{actual[0]}.{actual[1]}"
        return path, f"tools venv uses Python {shown} ({path}): the noxfile asks for it"
    running = f"{current[0]}.{current[1]}"
    if current >= minimum:
        return sys.executable, f"tools venv uses the running Python {running} ({sys.executable})"
    for spec in TOOLS_PYTHONS:
        if _VERSION_SPEC.fullmatch(spec) and tuple(map(int, spec.split("."))) < minimum:
            continue
        try:
            path = find_python(spec)
        except ReleasekitError:
            continue
        return path, (
            f"tools venv uses Python {spec} ({path}): twine needs >= {need} "
            f"and nox runs on {running}"
        )
    raise ReleasekitError(
        f"no Python >= {need} found for the tools venv (twine needs it; nox runs on {running})",
        f"install one (`pyenv install {TOOLS_PYTHONS[0]}` or `uv python install "
        f"{TOOLS_PYTHONS[0]}`), or run nox with Python >= {need}",
    )


@dataclass(frozen=True)
class Venv:
    """A virtual environment and the installer that fills it."""

    path: Path
    uv: str | None

    @property
    def python(self) -> Path:
        return _bin(self.path, "python")

    def bin(self, name: str) -> Path:
        return _bin(self.path, name)

    def install(
        self,
        *requirements: str,
        index_url: str | None = None,
        options: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        log: proc.Log | None = None,
        error: type[ReleasekitError] = ReleasekitError,
        compile_bytecode: bool = False,
    ) -> None:
        """Install ``requirements``; ``index_url`` replaces the installer's default index.

        ``compile_bytecode``: write the ``.pyc`` files of everything installed now (pip
        always does; uv only when asked), for an environment made afresh whose tools start
        more than once (a build backend), wherever ``PYTHONDONTWRITEBYTECODE`` is set, as
        in many CI images. Environments kept between runs are better served by
        :data:`WRITE_BYTECODE` in the environment of their tools: only what is imported
        gets compiled, once.
        """
        if self.uv:
            argv = [self.uv, "pip", "install", "--python", str(self.python), "--quiet"]
            argv += ["--compile-bytecode"] if compile_bytecode else []
        else:
            argv = [
                str(self.python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ]
        if index_url:
            argv += ["--index-url", index_url]
        argv += [*options, *requirements]
        proc.run(
            argv,
            what=f"installing {' '.join(requirements)}",
            error=error,
            env=env,
            log=log or proc.no_log,
        )


def create(
    path: Path,
    python: str | None = None,
    *,
    uv: str | None = None,
    log: proc.Log = proc.no_log,
    purpose: str = "",
) -> Venv:
    """A fresh, empty environment at ``path`` (an existing one is removed first).

    ``python`` is a version ("3.12") or an interpreter path (see :func:`find_python`);
    ``None`` is the running one. ``log`` hears what is being made ("creating a Python 3.12
    venv for the smoke install…", ``purpose`` being "for the smoke install").
    """
    uv = uv if uv is not None else find_uv()
    interpreter = sys.executable if python is None else find_python(python)
    if path.exists():
        shutil.rmtree(path)
    if python is None:
        shown = f"{sys.version_info[0]}.{sys.version_info[1]}"
    else:
        shown = python
    hint = f"check that {interpreter} runs, or remove it from [tool.releasekit.smoke] pythons"
    if not uv:
        _say_no_uv(log)
    log(f"creating a Python {shown} venv{' ' + purpose if purpose else ''}…")
    if uv:
        argv = [uv, "venv", "--quiet", "--python", interpreter, str(path)]
        proc.run(
            argv,
            what=f"creating a Python {shown} venv",
            hint=hint,
            env=_UV_FIND_ENV,
        )
    else:
        proc.run(
            [interpreter, "-m", "venv", str(path)],
            what=f"creating a Python {shown} venv",
            hint=hint,
        )
    return Venv(path, uv)


def ensure(
    path: Path,
    requirements: Sequence[str],
    python: str | None = None,
    *,
    log: proc.Log = proc.no_log,
    name: str = "",
) -> Venv:
    """An environment with ``requirements`` installed, reused when an earlier call made it.

    A stamp file records what was asked for; a different request rebuilds the environment,
    and only then is ``log`` told (``name``: what the venv is for, e.g. "the tools venv").
    """
    uv = find_uv()
    stamp = path / "releasekit-venv.json"
    wanted = {
        "python": python or sys.executable,
        "requirements": list(requirements),
        "uv": bool(uv),
    }
    venv = Venv(path, uv)
    try:
        if json.loads(stamp.read_text()) == wanted and venv.python.exists():
            return venv
    except (OSError, ValueError):
        pass
    if not uv:
        _say_no_uv(log)
    log(
        f"installing {name or f'the venv {path.name}'} ({', '.join(requirements)}) with "
        f"{'uv' if uv else 'pip'} — once; reused afterwards"
    )
    venv = create(path, python, uv=uv)
    venv.install(*requirements, log=log)
    stamp.write_text(json.dumps(wanted))
    return venv


# -- the venvs of the tools that run with credentials: from releasekit's locks only -------------

# Where a locked install comes from unless [tool.releasekit] tools-index says otherwise.
PYPI = "https://pypi.org/simple/"
# The installers' settings that say nothing of where a package comes from or what it may be:
# a locked install keeps them. Every other PIP_* and UV_* variable (extra indexes,
# find-links, constraints, keyring, trusted hosts, ...) is left out of its environment.
_KEPT_INSTALLER_VARIABLES = frozenset(
    {
        "UV_CACHE_DIR",
        "UV_NO_CACHE",
        "UV_HTTP_TIMEOUT",
        "UV_HTTP_RETRIES",
        "UV_CONCURRENT_DOWNLOADS",
        "UV_CONCURRENT_INSTALLS",
        "UV_LINK_MODE",
        "UV_NO_PROGRESS",
        "UV_OFFLINE",
    }
)
_HASH_MISMATCH = (
    "do not match the hashes",  # pip: THESE PACKAGES DO NOT MATCH THE HASHES FROM ...
    "hash mismatch",  # uv
)
_STAMP = "releasekit-venv.json"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """releasekit's user cache directory: ``RELEASEKIT_CACHE_DIR``, else the platform's own
    (``$XDG_CACHE_HOME/releasekit`` or ``~/.cache/releasekit``, ``~/Library/Caches/releasekit``
    on macOS, ``%LOCALAPPDATA%\\releasekit\\Cache`` on Windows)."""
    environ = os.environ if environ is None else environ
    if environ.get("RELEASEKIT_CACHE_DIR"):
        return Path(environ["RELEASEKIT_CACHE_DIR"])
    if sys.platform == "win32" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"]) / "releasekit" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "releasekit"
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "releasekit"


def system_ca_bundle(environ: Mapping[str, str] | None = None) -> str | None:
    """The CA bundle a locked install trusts: ``SSL_CERT_FILE`` when it names a file, else the
    system's (OpenSSL's default file, e.g. /etc/ssl/certs/ca-certificates.crt), else None.

    The installer's own configuration is ignored, and with it a ``cert`` set there (the CA
    of a proxy in front of pypi.org); uv trusts only its bundled roots unless told, and the
    pip of an older venv only certifi's. The system's bundle keeps such a proxy working.
    Trust decides only whether the index is reached: what is installed is fixed by hashes.
    """
    import ssl

    environ = os.environ if environ is None else environ
    given = environ.get("SSL_CERT_FILE", "")
    if given and os.path.isfile(given):
        return given
    found = ssl.get_default_verify_paths().cafile
    return found if found and os.path.isfile(found) else None


def _is_installer_setting(name: str) -> bool:
    upper = name.upper()
    return upper.startswith(("PIP_", "UV_")) and upper not in _KEPT_INSTALLER_VARIABLES


def _source(index: str) -> list[str]:
    """An index URL (https, loopback http, file://), or a local directory of files."""
    if "://" in index:
        return ["--index-url", index]
    return ["--no-index", "--find-links", index]


def locked_install(
    venv: Venv, lock: Path, index: str = PYPI, *, environ: Mapping[str, str] | None = None
) -> tuple[list[str], dict[str, str], list[str]]:
    """The command that installs the lock file ``lock`` into ``venv`` from ``index`` alone,
    what its environment gets, and which variables it loses.

    Every file's sha256 must be in the lock (``--require-hashes``), and only wheels are
    taken (an sdist would run a build backend with unpinned build requirements). The user's
    installer configuration is not read: uv with ``--no-config``, pip with ``--isolated``,
    ``PIP_CONFIG_FILE`` set to the null device (which also skips the global and site files)
    and ``-I`` (no ``PYTHONPATH``, no user site); no ``PIP_*`` or ``UV_*`` variable that
    could name another index reaches it.
    """
    environ = os.environ if environ is None else environ
    cert = system_ca_bundle(environ)
    common = ["--require-hashes", "--only-binary", ":all:", *_source(index), "-r", str(lock)]
    env = {"PIP_CONFIG_FILE": os.devnull, "UV_NO_CONFIG": "1"}
    if cert:
        env["SSL_CERT_FILE"] = cert
    if venv.uv:
        argv = [venv.uv, "pip", "install", "--python", str(venv.python), "--quiet"]
        argv += ["--no-config", *common]
    else:
        argv = [str(venv.python), "-I", "-m", "pip", "install", "--isolated", "--quiet"]
        argv += ["--disable-pip-version-check", "--no-input"]
        argv += [*(["--cert", cert] if cert else []), *common]
    unset = sorted(n for n in environ if _is_installer_setting(n) and n.upper() not in env)
    return argv, env, unset


def _install_failed(
    lock: ToolLock, index: str, output: str, error: ReleasekitError
) -> ReleasekitError:
    """One line naming the index, and what to do: a hash mismatch is not a network error."""
    shown = index.rstrip("/")
    if any(marker in output.lower() for marker in _HASH_MISMATCH):
        return ReleasekitError(
            f"installing {lock.what} from {shown}: a file it serves does not match the sha256 "
            "in releasekit's lock",
            "the index serves other bytes under a locked name and version: if it is your "
            "mirror ([tool.releasekit] tools-index), have it serve PyPI's files; otherwise "
            "report it (never loosen the lock)",
        )
    detail = error.message.split(": ", 1)[1] if ": " in error.message else error.message
    detail = re.sub(r"^(caused by|cause|error):\s*", "", detail, flags=re.IGNORECASE)
    return ReleasekitError(
        f"installing {lock.what} from {shown} failed: {detail}",
        "check the network (a proxy's CA belongs in SSL_CERT_FILE), or set [tool.releasekit] "
        "tools-index to a mirror (or a directory) that serves the locked files",
    )


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` for the block (POSIX; elsewhere none): two nox
    runs of different projects may make the same shared venv at the same time."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def locked_venv_path(lock: ToolLock, interpreter: str, uv: bool, root: Path) -> Path:
    """Where the venv of ``lock`` for ``interpreter`` lives: one per lock content, base
    interpreter and installer, shared by every project of this user."""
    key = json.dumps([lock.digest, os.path.realpath(interpreter), uv])
    return root / f"{lock.name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def ensure_locked(
    lock: ToolLock,
    python: str | None = None,
    *,
    index: str | None = None,
    log: proc.Log = proc.no_log,
    name: str = "",
    root: Path | None = None,
) -> Venv:
    """A venv holding exactly ``lock``, made once and reused while the lock is unchanged.

    It lives under the user cache dir (``root``: elsewhere), keyed by the lock's sha256, the
    base interpreter and the installer, so every project (and every test project) shares
    one; a lock file is held while it is checked or made. ``index``: ``tools-index``, else
    PyPI. Installed by :func:`locked_install`; a failure is one line naming the index.
    """
    uv = find_uv()
    interpreter = sys.executable if python is None else find_python(python)
    path = locked_venv_path(lock, interpreter, bool(uv), root or cache_dir() / "venvs")
    wanted = {"lock": lock.digest, "python": interpreter, "uv": bool(uv)}
    venv = Venv(path, uv)
    with _exclusive(path.parent / f"{path.name}.lock"):
        try:
            if json.loads((path / _STAMP).read_text()) == wanted and venv.python.exists():
                return venv
        except (OSError, ValueError):
            pass
        if not uv:
            _say_no_uv(log)
        source = (index or PYPI).rstrip("/")
        log(
            f"installing {name or lock.what} from releasekit's lock ({lock.name}.txt, "
            f"{source}) with {'uv' if uv else 'pip'} into {path} — once; reused afterwards"
        )
        venv = create(path, python, uv=uv)
        argv, env, unset = locked_install(venv, lock.path, index or PYPI)
        said: list[str] = []

        def tee(line: str) -> None:
            said.append(line)
            log(line)

        try:
            proc.run(argv, what=f"installing {lock.what}", env=env, unset=unset, log=tee)
        except ReleasekitError as error:
            raise _install_failed(lock, index or PYPI, "\n".join(said), error) from None
        (path / _STAMP).write_text(json.dumps(wanted))
    return venv

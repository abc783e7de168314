"""The project's name and version as its own build computes them.

A version can come from many places: a static ``[project].version``, releasekit's version
source, hatchling's regex source, hatch-vcs, a metadata hook such as
hatch-fancy-pypi-readme, or a custom ``hatch_build.py``. Those plugins belong to the build
environment (``[build-system] requires``) and are not installed next to nox or the
``releasekit`` command, and never will be. So for a dynamic version releasekit asks the
project's own build backend, the way a build frontend does: PEP 517
``prepare_metadata_for_build_wheel`` in an isolated environment made from the project's
build requirements. What it says is what ``releasekit version``, ``nox -s check`` and every
later step use.

That costs an environment and a backend run, so the answer is cached under
``.nox/releasekit`` by everything it depends on (commit, tags at HEAD, uncommitted changes,
pyproject.toml, build requirements); a rerun on the same commit reads one small file.
Versions that need no backend (static, or releasekit's own version source) are read
in-process and never pay for an environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from releasekit.core import carriers, git
from releasekit.core.config import CarrierSpec, Config, load_pyproject
from releasekit.errors import BuildError, ConfigError
from releasekit.runtime import proc, venvs

__all__ = ["ProjectMetadata", "project_metadata", "static_name"]

CACHE_FILE = "metadata-cache.json"
_CACHE_LIMIT = 32  # entries kept: enough for a few branches, small enough to read at once
# Variables that change what a VCS version plugin computes (setuptools-scm, hatch-vcs).
_VERSION_ENV_PREFIXES = (
    "SETUPTOOLS_SCM_",
    "HATCH_VCS_",
    "VERSIONINGIT_",
    "DUNAMAI_",
    "PDM_BUILD_SCM_",
    "POETRY_DYNAMIC_VERSIONING_",
)


@dataclass(frozen=True)
class ProjectMetadata:
    """The distribution name and version, and where the version came from (for messages)."""

    name: str
    version: str
    source: str  # "pyproject.toml", "version-files", "the build backend (hatchling)"
    cached: bool = False


def static_name(root: Path, pyproject: Mapping[str, Any] | None = None) -> str | None:
    """``[project].name``: PEP 621 forbids a dynamic name, so no backend is needed; ``None``
    for a project with no ``[project]`` table (poetry-core's ``[tool.poetry]``, setuptools'
    ``setup.cfg``), whose name only its build backend knows.

    A ``[project]`` without a name is caught here, with a hint, rather than as a backend
    traceback in the middle of a build.
    """
    data = load_pyproject(root) if pyproject is None else pyproject
    project = data.get("project")
    if project is None:
        return None
    if not isinstance(project, Mapping):
        raise ConfigError(
            f"{root / 'pyproject.toml'} [project] is not a table",
            'make it one: [project] with name = "..." (and a version or dynamic = ["version"])',
        )
    name = project.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            f"{root / 'pyproject.toml'} [project] has no name"
            + ("" if name is None else f" (name = {name!r})"),
            'add name = "your-distribution-name" to [project]',
        )
    return name


def project_metadata(
    config: Config, *, log: proc.Log | None = None, env: Mapping[str, str] | None = None
) -> ProjectMetadata:
    """The name and version a build of ``config.root``'s working tree would produce.

    ``env``: variables for the backend's process only (a VCS plugin's pretend version,
    :mod:`releasekit.project.vcsversion`); part of the cache key.
    """
    root = config.root
    pyproject = load_pyproject(root)
    name = static_name(root, pyproject)
    if name is None:  # no [project]: the name and the version are the backend's
        if not isinstance(pyproject.get("build-system"), Mapping):
            raise ConfigError(
                f"{root / 'pyproject.toml'} has no [project] table and no [build-system]",
                'add [project] with name = "..." (and a version or dynamic = ["version"]), '
                "or the [build-system] whose backend knows them",
            )
        return _from_backend(root, pyproject, None, log or (lambda _: None), env or {})
    project = pyproject["project"]
    dynamic = project.get("dynamic") or []
    if "version" not in dynamic:
        if "version" not in project:
            raise ConfigError(
                f"{root / 'pyproject.toml'} [project] has no version and does not list it in "
                "dynamic",
                'add version = "0.1.0" to [project], or dynamic = ["version"] with a version '
                "source",
            )
        version = carriers.read_all((CarrierSpec("pyproject.toml"),), root)[0].raw
        return ProjectMetadata(name, version, "pyproject.toml")
    hatch_version = pyproject.get("tool", {}).get("hatch", {}).get("version", {})
    if isinstance(hatch_version, Mapping) and hatch_version.get("source") == "releasekit":
        if config.version_files:  # releasekit's own source: the same code, in-process
            version = carriers.check_consistent(config.version_files, root)
            return ProjectMetadata(name, version, "version-files")
    return _from_backend(root, pyproject, name, log or (lambda _: None), env or {})


def _from_backend(
    root: Path,
    pyproject: Mapping[str, Any],
    name: str | None,
    log: proc.Log,
    env: Mapping[str, str],
) -> ProjectMetadata:
    """The version (and, with no ``[project]`` table, the name) from the project's own
    backend's ``prepare_metadata_for_build_wheel``, cached per commit."""
    system = pyproject.get("build-system") or {}
    requires = [str(r) for r in system.get("requires") or ["setuptools>=40.8.0"]]
    backend = str(system.get("build-backend") or "setuptools.build_meta:__legacy__")
    backend_path = system.get("backend-path")
    # releasekit's hatch plugin is a version source and a build hook: neither is needed to
    # compute metadata unless it is the version source, which is read in-process above. It
    # may also not be on the index the environment installs from.
    requires = [r for r in requires if _requirement_name(r) != "releasekit"]
    state = root / ".nox" / "releasekit"
    key = _cache_key(root, requires, backend, env)
    cached = _cache_get(state, key) if key else None
    if cached is not None and (name or cached.get("name")):
        return ProjectMetadata(
            name or cached["name"], cached["version"], _source(backend), cached=True
        )
    env_hash = hashlib.sha256(json.dumps([sys.executable, requires]).encode()).hexdigest()[:16]
    what = "version" if name else "name and version"
    log(f"computing the {what} with the project's build backend ({backend}); cached afterwards")
    venv = venvs.ensure(state / "metadata-env" / env_hash, requires)
    metadata = _prepare_metadata(root, venv, backend, backend_path, log, env)
    built_name, version = metadata.get("Name", ""), metadata.get("Version", "")
    if not version or not (name or built_name) or built_name.upper() == "UNKNOWN":
        missing = "Version" if not version else "Name"
        raise BuildError(
            f"the build backend of {name or root.name} produced metadata without a {missing}",
            "check [project] dynamic and [tool.hatch.version]"
            if name
            else "check the name and version your build backend's configuration gives",
        )
    if key:
        _cache_put(state, key, {"name": built_name, "version": version})
    return ProjectMetadata(name or built_name, version, _source(backend))


def _source(backend: str) -> str:
    return f"the build backend ({backend.split('.')[0].split(':')[0]})"


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def _prepare_metadata(
    root: Path,
    venv: venvs.Venv,
    backend: str,
    backend_path: Sequence[str] | None,
    log: proc.Log,
    env: Mapping[str, str],
) -> dict[str, str]:
    """Run the backend's PEP 517 hooks in ``venv`` and read the METADATA they write."""
    from pyproject_hooks import BuildBackendHookCaller

    def runner(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        proc.pep517_runner(cmd, cwd, {**env, **(extra_environ or {})})

    caller = BuildBackendHookCaller(
        str(root),
        backend,
        backend_path=list(backend_path) if backend_path else None,
        python_executable=str(venv.python),
        runner=runner,  # quiet, and no credentials for the backend
    )
    try:
        extra = caller.get_requires_for_build_wheel()
        wanted = sorted(r for r in extra if _requirement_name(r) != "releasekit")
        stamp = venv.path / "releasekit-extra.json"
        if wanted and _read_json(stamp) != wanted:  # installed once per environment
            venv.install(*wanted, log=log, error=BuildError)
            stamp.write_text(json.dumps(wanted), encoding="utf-8")
        with tempfile.TemporaryDirectory(prefix="releasekit-metadata-") as out:
            dist_info = caller.prepare_metadata_for_build_wheel(out, _allow_fallback=True)
            text = (Path(out) / dist_info / "METADATA").read_text(encoding="utf-8")
    except subprocess.CalledProcessError as exc:
        output = exc.output.decode("utf-8", "replace") if exc.output else ""
        raise metadata_error(output, root) from None
    except Exception as exc:  # pyproject_hooks' BackendUnavailable, HookMissing, ...
        raise BuildError(
            f"the build backend {backend} could not compute the metadata: "
            f"{type(exc).__name__}: {exc}",
            "check [build-system] build-backend and requires in pyproject.toml",
        ) from None
    headers = HeaderParser().parsestr(text)
    return {key: str(value) for key, value in headers.items() if key in ("Name", "Version")}


_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line \d+')
_PLUMBING = ("hatchling", "pluggy", "pyproject_hooks", "_in_process", "setuptools/build_meta")


def metadata_error(output: str, root: Path) -> BuildError:
    """One line for a failed metadata computation: the plugin or file that failed, and why.

    The backend's traceback ends with the exception (the useful part); the deepest frame
    outside the backend's own plumbing and the standard library names who raised it: a
    plugin's package in the build environment, or a file of the project (``hatch_build.py``).
    """
    lines = [line for line in output.splitlines() if line.strip()]
    # "hatchling.plugin.exceptions.UnknownPluginError: ..." -> "UnknownPluginError: ..."
    last = re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", lines[-1].strip()) if lines else "no output"
    culprit = None
    for line in lines:
        match = _FRAME.match(line)
        if not match:
            continue
        path = match.group("path").replace(os.sep, "/")
        stdlib = "/lib/python3" in path and "site-packages/" not in path
        if stdlib or any(part in path for part in _PLUMBING):
            continue
        if "site-packages/" in path:
            culprit = path.split("site-packages/", 1)[1].split("/", 1)[0]
        else:
            culprit = carriers.display_path(root, Path(path))
    plugin = re.search(r"Unknown (?:metadata hook|version source|build hook): (\S+)", last)
    if plugin:
        return BuildError(
            f"computing the version failed: {last}",
            f"the {plugin.group(1)} plugin is not installed in the build environment: add its "
            "package (e.g. hatch-" + plugin.group(1) + ") to [build-system] requires",
        )
    where = f" in {culprit}" if culprit else ""
    return BuildError(
        f"computing the version failed{where}: {last}",
        "fix the configuration that the line names; `python -m build` shows the same error",
    )


# --- cache -----------------------------------------------------------------------------------


def _cache_key(
    root: Path, requires: Sequence[str], backend: str, env: Mapping[str, str]
) -> str | None:
    """Everything the backend's answer depends on, hashed; ``None``: don't cache.

    Outside a git repository releasekit cannot tell cheaply whether a file changed, so
    nothing is cached there.
    """
    head = git.head_commit(root)
    if head is None:
        return None
    digest = hashlib.sha256()
    for part in (
        sys.executable,
        backend,
        json.dumps(list(requires)),
        head,
        git.describe(root) or "",
        (root / "pyproject.toml").read_text(encoding="utf-8"),
        json.dumps(
            sorted((k, v) for k, v in os.environ.items() if k.startswith(_VERSION_ENV_PREFIXES))
        ),
        json.dumps(sorted(env.items())),
    ):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    changes = git.uncommitted_digest(root)
    if changes is None:
        return None
    digest.update(changes.encode())
    return digest.hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _cache_get(state: Path, key: str) -> dict[str, str] | None:
    data = _read_json(state / CACHE_FILE)
    entry = data.get(key) if isinstance(data, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("version"), str):
        return entry
    return None


def _cache_put(state: Path, key: str, entry: dict[str, str]) -> None:
    """Best effort: a cache that cannot be written only costs time."""
    path = state / CACHE_FILE
    data = _read_json(path)
    if not isinstance(data, dict):
        data = {}
    data.pop(key, None)
    data[key] = entry
    data = dict(list(data.items())[-_CACHE_LIMIT:])
    try:
        state.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass

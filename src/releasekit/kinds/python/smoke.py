"""Prove that a built distribution installs, imports and runs, before anyone else tries.

``twine check`` reads metadata; it cannot tell that a wheel imports a module it forgot to
ship, that a console script names a function that was renamed, or that the sdist does not
build. The only proof is to do what a user will do: install *these exact bytes* into a fresh
environment of the target Python and use them. So this module

- hashes the file again and refuses to touch it if it is not the one the build recorded;
- installs the wheel itself with ``--no-deps``, then its dependencies (as the *target*
  interpreter's markers select them) from the configured index, so the wheel can never be
  swapped for a same-named file from an index;
- runs a standard-library-only check script inside the venv (data passed as a JSON file,
  never formatted into code), isolated (``-I``) and from an empty directory so the project's
  source tree can never be imported instead of the installed package;
- compares the installed version, and the package's ``__version__``, with the expected one
  as PEP 440 versions (``1.0.0-beta`` is ``1.0.0b0``);
- runs the project's own smoke commands with the venv's executables first on PATH, each
  within ``[tool.releasekit.smoke] timeout``: past it, the command and every process it
  started are stopped.

Every failure is a :class:`SmokeError` naming the Python, the step and the last line of the
error, which is nearly always the line that says what is wrong.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from releasekit import _child
from releasekit.core.config import SmokeConfig
from releasekit.core.version import normalize, try_normalize
from releasekit.engine.manifest import sha256_file
from releasekit.errors import ReleasekitError, SmokeError
from releasekit.kinds.python.artifacts import inspect_wheel
from releasekit.kinds.python.interpreters import (
    dependencies,
    install_set,
    interpreter_tags,
    marker_environment,
    markers,
    pick_wheel,
)
from releasekit.runtime import proc, venvs

# dependencies, interpreter_tags, marker_environment and pick_wheel live in
# releasekit.kinds.python.interpreters, re-exported here, where the sessions ask for them
__all__ = [
    "dependencies",
    "interpreter_tags",
    "marker_environment",
    "pick_wheel",
    "smoke_sdist",
    "smoke_wheel",
    "version_failures",
    "version_module",
]


def _verify_hash(path: Path, sha256: str) -> None:
    """Refuse a file that is not byte for byte the one the build recorded."""
    if not path.is_file():
        raise SmokeError(f"{path} does not exist", "run `nox -s build` first")
    actual = sha256_file(path)
    if actual != sha256.lower():
        raise SmokeError(
            f"refusing to smoke-install {path.name}: its sha256 is {actual[:12]}…, "
            f"the build recorded {sha256[:12]}…",
            "the file changed since it was built: rebuild with `nox -s build` and check "
            "what touched dist/",
        )


def _venv_dir(workdir: Path, prefix: str, python: str | None) -> Path:
    """``workdir/smoke-3.12``; an interpreter path becomes one safe directory name."""
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", python or "current").strip("_") or "python"
    return workdir / f"{prefix}-{label}"


def _create(path: Path, python: str | None, log: proc.Log, purpose: str) -> venvs.Venv:
    """A fresh venv; venvs raises the base error, a smoke step raises ``SmokeError``."""
    try:
        return venvs.create(path, python, log=log, purpose=purpose)
    except SmokeError:
        raise
    except ReleasekitError as exc:
        raise SmokeError(f"smoke-install: {exc.message}", exc.hint) from None


def _label(env: Mapping[str, str], python: str | None) -> str:
    """How the messages name the target: "Python 3.12" (and the path, if one was given)."""
    label = f"Python {env.get('python_version', python or '?')}"
    if python and os.sep in python:
        label += f" ({python})"
    return label


def _find_links_env(find_links: Sequence[str]) -> dict[str, str]:
    """Extra local wheel directories for both installers (pip splits on spaces, uv on commas),
    before the user's own (which stay)."""
    if not find_links:
        return {}
    pip = [*find_links, os.environ.get("PIP_FIND_LINKS", "")]
    uv = [*find_links, os.environ.get("UV_FIND_LINKS", "")]
    return {
        "PIP_FIND_LINKS": " ".join(filter(None, pip)),
        "UV_FIND_LINKS": ",".join(filter(None, uv)),
    }


def _no_cache(venv: venvs.Venv) -> list[str]:
    """Install the file itself, never a cached build or unpacking of an earlier file."""
    return ["--no-cache"] if venv.uv else ["--no-cache-dir"]


# The line of an installer's output that says why it failed. pip and uv both end their
# output with a generic note ("This error originates from a subprocess", "hint: ..."), so
# the last line alone rarely helps: prefer the last "ERROR:" (pip) or "cause:" (uv) line.
_REASON = re.compile(r"^\s*(?:ERROR|error|cause|Caused by):\s*(?P<reason>.+)$")


def _reason(output: Sequence[str]) -> str | None:
    reasons = [m.group("reason").strip() for m in map(_REASON.match, output) if m]
    return reasons[-1] if reasons else None


def _install(
    venv: venvs.Venv,
    label: str,
    requirements: Sequence[str],
    *,
    what: str,
    hint: str,
    log: proc.Log,
    index_url: str | None = None,
    options: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> None:
    """``venv.install``, with a failure reworded as a smoke step and its real reason."""
    seen: list[str] = []

    def capture(text: str) -> None:
        seen.extend(text.splitlines())
        log(text)

    try:
        venv.install(
            *requirements,
            index_url=index_url,
            options=options,
            env=env,
            log=capture,
            error=SmokeError,
        )
    except SmokeError as exc:
        code = re.search(r"\(exit -?\d+\)", exc.message)
        reason = _reason(seen) or exc.message.rpartition("): ")[2]
        status = f" {code.group(0)}" if code else ""
        raise SmokeError(
            f"smoke-install on {label}: {what} failed{status}: {reason}", hint
        ) from None


def _run_check(
    venv: venvs.Venv, label: str, data: Mapping[str, Any], log: proc.Log, timeout: float | None
) -> dict[str, Any]:
    """Run the check script (releasekit/_child/check.py) in the venv, from an empty directory
    so the project's source tree is never imported instead of the installed package; return
    its report (failures and raw versions)."""
    run_dir = _run_dir(venv)
    request = run_dir / "check.json"
    result = run_dir / "result.json"
    request.write_text(json.dumps(data), encoding="utf-8")
    result.unlink(missing_ok=True)
    proc.run(
        [venv.python, "-I", _child.CHECK, request, result],
        what=f"smoke-install on {label}: the import check",
        error=SmokeError,
        hint="the check script itself crashed: an import may have killed the interpreter",
        cwd=run_dir,
        env={"PYTHONPATH": ""},
        log=log,
        timeout=timeout,
        timeout_hint="importing the package (or loading an entry point) does not return: "
        "an import must not wait for input, a server or the network",
    )
    report: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    return report


def version_module(name: str, top_level: Sequence[str]) -> str | None:
    """The module whose ``__version__`` must agree with the distribution's version.

    The top-level module named like the distribution (``demo-pkg`` -> ``demo_pkg``), or the
    only one there is; ``None`` when neither exists (``__version__`` is not checked then).
    """
    wanted = canonicalize_name(name)
    for module in top_level:
        if canonicalize_name(module) == wanted:
            return module
    return top_level[0] if len(top_level) == 1 else None


def version_failures(
    report: Mapping[str, Any], name: str, want: str, module: str | None
) -> list[dict[str, str]]:
    """Compare the raw version strings the check script found, as PEP 440 versions.

    ``1.0.0-beta`` in METADATA or ``__version__`` is the release ``1.0.0b0``: only a
    different version fails. A ``__version__`` that is not PEP 440 is not checked (some
    projects put a description there); one that is must be the installed distribution's.
    """
    failures: list[dict[str, str]] = []
    raw = report.get("version")
    if not isinstance(raw, str):
        return failures  # not installed: the script reported that
    installed = try_normalize(raw)
    if installed != want:
        failures.append({"kind": "version", "what": name, "error": raw})
    dunder = report.get("module_version")
    if module and isinstance(dunder, str):
        found = try_normalize(dunder)
        package = installed or want
        if found is not None and found != package:
            failures.append(
                {"kind": "__version__", "what": module, "error": dunder, "package": package}
            )
    return failures


_NO_MODULE = re.compile(r"No module named '(?P<module>[^'.]+)")
_EP_EXTRAS = re.compile(r"\[(?P<extras>[^\]]+)\]\s*$")


def needs_an_extra(
    failures: Sequence[Mapping[str, str]],
    requires_dist: Sequence[str],
    provides_extra: Sequence[str],
    installed_extras: Iterable[str],
    env: Mapping[str, str],
    name: str,
) -> tuple[list[Mapping[str, str]], list[str]]:
    """Split import failures into real ones and modules that need an extra not installed.

    A top-level module may exist only for an extra (black's ``blackd`` needs aiohttp from
    ``black[d]``, and its entry point says so: ``blackd:patched_main [d]``): importing it
    without the extra fails by design. Such a failure becomes a note saying how to test it
    (``[tool.releasekit.smoke] extras``); a missing module that no extra provides stays a
    failure.
    """
    installed = [canonicalize_name(extra) for extra in installed_extras]
    base = {
        canonicalize_name(Requirement(text).name)
        for text in install_set(requires_dist, installed, env, name)
    }
    provided: dict[str, str] = {}  # canonical requirement name -> the extra that brings it
    for extra in provides_extra:
        if canonicalize_name(extra) in installed:
            continue
        for text in install_set(requires_dist, [*installed, extra], env, name):
            requirement = canonicalize_name(Requirement(text).name)
            if requirement not in base:
                provided.setdefault(requirement, extra)
    kept: list[Mapping[str, str]] = []
    notes: list[str] = []
    for failure in failures:
        what = failure["what"]
        # an entry point may name its extras itself: "blackd = blackd:patched_main [d]"
        declared = _EP_EXTRAS.search(what) if failure["kind"] != "import" else None
        missing = [
            extra.strip()
            for extra in (declared.group("extras").split(",") if declared else [])
            if canonicalize_name(extra.strip()) not in installed
        ]
        match = _NO_MODULE.search(failure["error"])
        module = match.group("module") if match else None
        needed = missing[0] if missing else provided.get(canonicalize_name(module or ""))
        if needed is None:
            kept.append(failure)
            continue
        subject = f"`import {what}`" if failure["kind"] == "import" else f"entry point `{what}`"
        reason = f"{module} from the extra [{needed}]" if module else f"the extra [{needed}]"
        notes.append(
            f"{subject} skipped: it needs {reason}, not installed (to test it: "
            f"[tool.releasekit.smoke] extras = {{ {needed} = [] }})"
        )
    return kept, notes


def _run_dir(venv: venvs.Venv) -> Path:
    """An empty working directory: nothing in it can shadow the installed package."""
    path = venv.path / "releasekit-smoke"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _raise_failures(
    failures: Sequence[Mapping[str, str]], label: str, version: str, log: proc.Log
) -> None:
    """One ``SmokeError`` for the first failure; the log gets all of them."""
    if not failures:
        return
    messages = []
    for failure in failures:
        kind, what, error = failure["kind"], failure["what"], failure["error"]
        if kind == "missing":
            messages.append(
                (
                    f"no distribution named {what} is installed",
                    "the wheel's METADATA Name is not the project being released: "
                    "check [project] name",
                )
            )
        elif kind == "version":
            messages.append(
                (
                    f"installed {what} reports version {error}, expected {version}",
                    "the file was built from another version: rebuild from the tagged commit",
                )
            )
        elif kind == "__version__":
            messages.append(
                (
                    f"`import {what}`: __version__ is {error}, the package version is "
                    f"{failure['package']}",
                    f"make {what}.__version__ the project's version: list its file in "
                    "[tool.releasekit] version-files (releasekit bump then updates both), "
                    "or set it from importlib.metadata.version()",
                )
            )
        elif kind == "import":
            messages.append(
                (
                    f"`import {what}` failed: {error}",
                    "the package imports a module it doesn't ship or a dependency it doesn't "
                    "declare: check [tool.hatch.build] includes and [project] dependencies",
                )
            )
        else:
            messages.append(
                (
                    f"{failure.get('group', 'entry point')} entry point `{what}` does not "
                    f"load: {error}",
                    "fix [project.scripts] / [project.gui-scripts]: the target must be an "
                    "importable module and an existing attribute",
                )
            )
    for message, _ in messages:
        log(f"smoke-install on {label}: {message}")
    message, hint = messages[0]
    more = f" (+{len(messages) - 1} more, see the log)" if len(messages) > 1 else ""
    raise SmokeError(f"smoke-install on {label}: {message}{more}", hint)


def _command_env(venv: venvs.Venv) -> dict[str, str]:
    """The venv activated: its bin dir first on PATH, no inherited PYTHONPATH."""
    bin_dir = venv.bin("python").parent
    path = os.environ.get("PATH", "")
    return {
        "PATH": f"{bin_dir}{os.pathsep}{path}" if path else str(bin_dir),
        "VIRTUAL_ENV": str(venv.path),
        "PYTHONPATH": "",
    }


def _resolve(argv: list[str], venv: venvs.Venv) -> list[str]:
    """``python``/``demo`` -> the venv's own executables, so the installed code runs."""
    head = argv[0]
    if re.fullmatch(r"python(3(\.\d+)?)?", head):
        return [str(venv.python), *argv[1:]]
    if os.sep not in head and "/" not in head and venv.bin(head).exists():
        return [str(venv.bin(head)), *argv[1:]]
    return argv


def _run_command(
    venv: venvs.Venv,
    label: str,
    command: str,
    log: proc.Log,
    timeout: float,
    extra: str | None = None,
) -> None:
    """Run one configured command; past ``timeout`` it and all it started are stopped."""
    where = f"smoke-install on {label}" + (f" (extra {extra})" if extra else "")
    argv = proc.split_command(
        command, "commands", table="[tool.releasekit.smoke]", error=SmokeError, where=where
    )
    proc.run(
        _resolve(argv, venv),
        what=f"{where}: `{command}`",
        error=SmokeError,
        hint="run it in a fresh venv with the wheel installed to reproduce, or fix "
        "[tool.releasekit.smoke] commands",
        cwd=_run_dir(venv),
        env=_command_env(venv),
        log=log,
        timeout=timeout,
        timeout_hint="a smoke command must exit on its own (start a server with a one-shot "
        "option, or check it with --help/--version), or raise [tool.releasekit.smoke] timeout",
    )


def smoke_wheel(
    wheel: Path,
    *,
    sha256: str,
    name: str,
    version: str,
    python: str | None,
    workdir: Path,
    config: SmokeConfig,
    install_index: str | None,
    log: proc.Log,
    find_links: Sequence[str] = (),
    from_index: str | None = None,
) -> None:
    """Install ``wheel`` into a fresh venv of ``python``, import it, load its scripts, run
    the configured commands. ``SmokeError`` at the first step that fails.

    ``install_index`` serves the dependencies (``None``: the installer's own configuration,
    normally PyPI); the wheel itself comes from the file, with ``--no-deps``. With
    ``from_index`` it comes from that index instead, resolved by the installer as a user's
    install would be, but pinned to ``sha256`` and with ``--no-deps``: only the package
    comes from there, never a dependency (a test index invites dependency confusion).
    """
    want = normalize(version)
    _verify_hash(wheel, sha256)
    info = inspect_wheel(wheel)
    declared = {canonicalize_name(extra) for extra in info.provides_extra}
    unknown = [extra for extra in config.extras if canonicalize_name(extra) not in declared]
    if unknown:
        have = ", ".join(info.provides_extra) or "none"
        raise SmokeError(
            f"{wheel.name} declares no extra {', '.join(unknown)} (it has: {have})",
            "fix [tool.releasekit.smoke] extras or [project.optional-dependencies]",
        )
    purpose = "for the smoke install" + (f" from {from_index}" if from_index else "")
    venv = _create(_venv_dir(workdir, "smoke", python), python, log, purpose)
    env = markers(venv, python)
    label = _label(env, python)
    install_env = _find_links_env(find_links)
    if from_index is None:
        wanted, options, index_url = [str(wheel)], ["--no-deps", *_no_cache(venv)], None
    else:
        pinned = _run_dir(venv) / "pinned.txt"
        pinned.write_text(f"{name}=={want} --hash=sha256:{sha256}\n", encoding="utf-8")
        wanted = ["-r", str(pinned)]
        options = ["--no-deps", "--require-hashes", "--only-binary", ":all:", *_no_cache(venv)]
        # The index alone, with none of the installer's configuration: no local wheel stand-in
        # and no project setting of the user's (uvicorn's [tool.uv] exclude-newer hid the
        # file just uploaded).
        index_url, install_env = from_index, {"PIP_CONFIG_FILE": os.devnull}
        options += ["--no-config"] if venv.uv else []
    log(
        f"smoke-install on {label}: installing {wheel.name}"
        + (f" from {from_index}…" if from_index else "…")
    )
    _install(
        venv,
        label,
        wanted,
        what=f"installing {wheel.name}" + (f" from {from_index}" if from_index else ""),
        index_url=index_url,
        options=options,
        env=install_env,
        log=log,
        hint="the wheel does not install here: check its tags (python, abi, platform) and "
        "Requires-Python",
    )
    requirements = install_set(info.requires_dist, list(config.extras), env, info.name or name)
    if requirements:
        source = install_index or "the installer's default index"
        log(f"smoke-install on {label}: installing the dependencies {' '.join(requirements)}…")
        _install(
            venv,
            label,
            requirements,
            what=f"installing the dependencies {' '.join(requirements)}",
            index_url=install_index,
            env=install_env,
            log=log,
            hint=f"a dependency cannot be installed from {source}: check [project] "
            "dependencies and their markers",
        )
    module = version_module(info.name or name, info.top_level)
    request = {
        "name": name,
        "modules": list(info.top_level),
        "version_module": module,
        "entry_points": True,
    }
    report = _run_check(venv, label, request, log, config.timeout)
    failures, notes = needs_an_extra(
        report["failures"], info.requires_dist, info.provides_extra, config.extras, env,
        info.name or name,
    )  # fmt: skip
    for note in notes:
        log(f"smoke-install on {label}: {note}")
    _raise_failures(version_failures(report, name, want, module) + failures, label, want, log)
    for command in config.commands:
        _run_command(venv, label, command, log, config.timeout)
    for extra, commands in config.extras.items():
        for command in commands:
            _run_command(venv, label, command, log, config.timeout, extra=extra)


def smoke_sdist(
    sdist: Path,
    *,
    sha256: str,
    name: str,
    version: str,
    python: str | None,
    workdir: Path,
    install_index: str | None,
    log: proc.Log,
    find_links: Sequence[str] = (),
) -> None:
    """Build and install ``sdist`` in a fresh venv and check the version it installs.

    This proves the sdist carries everything its build needs (a user on a platform without
    a matching wheel builds from it). Build requirements come from ``install_index`` (or the
    installer's default); runtime dependencies are not installed (``--no-deps``): the wheel
    smoke covers them.
    """
    want = normalize(version)
    _verify_hash(sdist, sha256)
    venv = _create(_venv_dir(workdir, "smoke-sdist", python), python, log, "for the sdist build")
    env = markers(venv, python)
    label = _label(env, python)
    requires = _build_requires(sdist)
    needs = f" (installs its build requirements: {', '.join(requires)})" if requires else ""
    log(f"smoke-install on {label}: building {sdist.name} and installing it{needs}…")
    _install(
        venv,
        label,
        [str(sdist)],
        what=f"building and installing {sdist.name}",
        index_url=install_index,
        options=["--no-deps", *_no_cache(venv)],
        env=_find_links_env(find_links),
        log=log,
        hint="the sdist does not build: check [build-system] requires and that the sdist "
        "includes every file the build reads ([tool.hatch.build.targets.sdist])",
    )
    request: dict[str, Any] = {
        "name": name,
        "modules": [],
        "version_module": None,
        "entry_points": False,
    }
    report = _run_check(venv, label, request, log, None)
    failures = version_failures(report, name, want, None) + report["failures"]
    _raise_failures(failures, label, want, log)


def _build_requires(sdist: Path) -> list[str]:
    """``[build-system] requires`` of the sdist's pyproject.toml, for the progress line only
    (empty when it cannot be read: the installer reports the real problem)."""
    from releasekit._compat import tomllib

    try:
        with tarfile.open(sdist, "r:gz") as archive:
            member = next(
                (m for m in archive.getmembers() if re.fullmatch(r"[^/]+/pyproject\.toml", m.name)),
                None,
            )
            handle = archive.extractfile(member) if member is not None and member.isfile() else None
            if handle is None:
                return []
            data = tomllib.loads(handle.read().decode("utf-8"))
    except (OSError, tarfile.TarError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    system = data.get("build-system")
    requires = system.get("requires") if isinstance(system, dict) else None
    return [str(r) for r in requires] if isinstance(requires, list) else []

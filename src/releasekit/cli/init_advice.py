"""What ``releasekit init`` tells a project beyond the files it wrote: its backend, its
version files, its frontend hook.

Each piece of advice is pure (pyproject data and a few files in, lines out) so every
backend and shape is tested without building anything.

- :func:`backend_note`: one paragraph per PEP 517 backend, honest about what works there.
  The sessions work with any backend; the tag check lives in the build only with hatchling
  (the hook), elsewhere in ``nox -s check`` / ``nox -s build``; a version in files is
  written by ``releasekit bump``; a version from git tags is the tag itself.
- :func:`version_files_step`: the files that carry the version besides pyproject.toml
  (``__version__`` in a package module, ``package.json`` "version"), and any that has
  drifted from the project's version.
- :func:`frontend_steps`: for a hook that builds a JavaScript frontend inside every build
  (hatch-jupyter-builder), the route that builds it once per release.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from releasekit.project.vcsversion import build_requirements, table_at

__all__ = ["backend_note", "frontend_steps", "version_carriers", "version_files_step"]

# `__version__ = "1.2.0"` (or `__version__: str = ...`) at the start of a line.
_VERSION_LINE = re.compile(
    r"""^__version__(?:\s*:\s*str)?\s*=\s*["'](?P<version>[^"'\n]+)["']""", re.M
)
_MODULE_PATTERNS = ("src/*/__init__.py", "*/__init__.py", "src/*/_version.py", "*/_version.py",
                    "src/*/__about__.py", "*/__about__.py")  # fmt: skip
_NOT_PACKAGES = ("tests", "test", "docs", "build", "dist", "node_modules")

SESSIONS = (
    "the nox sessions (check, build, smoke-install, publish-test, publish, release) work "
    "as they are: they build through the PEP 517 backend"
)
_TAG_BY_SESSIONS = (
    "the build hook is hatch-only, so a plain `python -m build` does not compare the tag "
    "with the version; `nox -s check` and `nox -s build` do, with the version the backend "
    "reports (releasekit was not added to the build requirements)"
)
_FROM_GIT = (
    "the version comes from git tags ({plugin}): the tag is the version, so there is no "
    "file for `releasekit bump` to write: release by tagging the commit (git tag {tag})"
)
_BUMP = "`releasekit bump PART` writes {where}, and every file in [tool.releasekit] version-files"


def _dynamic_version(data: Mapping[str, Any]) -> bool:
    project = table_at(data, "project")
    return "version" in (project.get("dynamic") or []) or "version" not in project


def _hatch_note(data: Mapping[str, Any], tag: str) -> str | None:
    """hatchling gets the hook; only a version from git needs saying."""
    source = table_at(data, "tool", "hatch", "version").get("source")
    if source == "vcs":
        return (
            "note: hatchling with hatch-vcs: the build hook checks tag against version in "
            "every build; "
            + _FROM_GIT.format(plugin="hatch-vcs", tag=tag)
            + " (`hatch version X` cannot set it either)"
        )
    return None


def backend_note(data: Mapping[str, Any], tag_prefix: str | None = None) -> str | None:
    """What works on this project's backend, as one ``note:`` paragraph; ``None`` for a
    plain hatchling project (the hook is on, nothing to add). ``tag_prefix``: how the
    project spells its release tags (``None``: the default ``v``), for the example tag."""
    tag = f"{'v' if tag_prefix is None else tag_prefix}1.2.3"
    backend = str(table_at(data, "build-system").get("build-backend") or "")
    top = backend.split(".")[0].split(":")[0]
    tool = table_at(data, "tool")
    requires = build_requirements(data)
    dynamic = _dynamic_version(data)
    if top == "hatchling":
        return _hatch_note(data, tag)
    if not backend:
        what = "this project has no [build-system] build-backend (pip builds it with setuptools)"
        version = _BUMP.format(where="[project] version")
        return f"note: {what}: {SESSIONS}; {_TAG_BY_SESSIONS}; {version}"
    if top == "setuptools":
        if "setuptools_scm" in tool or "setuptools-scm" in tool or "setuptools-scm" in requires:
            version = _FROM_GIT.format(plugin="setuptools-scm", tag=tag)
        elif dynamic:
            version = (
                "the version is dynamic ([tool.setuptools.dynamic] attr/file): list the file "
                "that holds it in [tool.releasekit] version-files, and `releasekit bump PART` "
                "writes it"
            )
        else:
            version = _BUMP.format(where="[project] version")
        return f"note: setuptools ({backend}): {SESSIONS}; {_TAG_BY_SESSIONS}; {version}"
    if top == "flit_core":
        version = (
            "flit reads a dynamic version from the module's __version__: list that module in "
            "[tool.releasekit] version-files and `releasekit bump PART` writes it"
            if dynamic
            else _BUMP.format(where="[project] version")
        )
        return f"note: flit ({backend}): {SESSIONS}; {_TAG_BY_SESSIONS}; {version}"
    if top == "pdm":
        source = table_at(tool, "pdm", "version").get("source")
        if source == "scm":
            version = _FROM_GIT.format(plugin="pdm-backend's scm source", tag=tag)
        elif source == "file":
            path = table_at(tool, "pdm", "version").get("path") or "the file"
            version = (
                f"[tool.pdm.version] reads {path}: list it in [tool.releasekit] version-files "
                "and `releasekit bump PART` writes it"
            )
        else:
            version = _BUMP.format(where="[project] version")
        return f"note: pdm-backend ({backend}): {SESSIONS}; {_TAG_BY_SESSIONS}; {version}"
    if top == "poetry":
        if table_at(tool, "poetry-dynamic-versioning").get("enable") is True:
            version = _FROM_GIT.format(plugin="poetry-dynamic-versioning", tag=tag)
        else:
            where = "[tool.poetry] version" if "project" not in data else "[project] version"
            version = (
                f"{_BUMP.format(where=where)} (a project with only [tool.poetry] works: "
                "releasekit asks the backend for its name and version)"
            )
        return f"note: poetry-core ({backend}): {SESSIONS}; {_TAG_BY_SESSIONS}; {version}"
    if top in ("maturin", "scikit_build_core"):
        name = "maturin" if top == "maturin" else "scikit-build-core"
        return (
            f"note: {name} ({backend}) builds compiled wheels: {SESSIONS}, but `nox -s build` "
            "makes the sdist and a wheel for this machine only; build the platform wheels "
            "in a CI matrix (cibuildwheel, maturin-action) and let `nox -s release -- --dist "
            f"DIR` check and publish them (README: Platform wheels); {_TAG_BY_SESSIONS}; "
            + (
                "the version comes from Cargo.toml when [project] has none: list it in "
                'version-files with a pattern, e.g. { path = "Cargo.toml", pattern = '
                '\'(?m)^version = "(?P<version>[^"]+)"\' }'
                if top == "maturin" and dynamic
                else _BUMP.format(where="[project] version")
            )
        )
    return (
        f"note: this project builds with {backend}: {SESSIONS}; {_TAG_BY_SESSIONS}; list the "
        "files that carry the version in [tool.releasekit] version-files for `releasekit bump`"
    )


# --- version files -------------------------------------------------------------------------


def _module_version(path: Path) -> str | None:
    try:
        match = _VERSION_LINE.search(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return match.group("version") if match else None


def _package_json_version(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None


def version_carriers(root: Path) -> dict[str, str]:
    """Files besides pyproject.toml that carry a version, with the version each says:
    package modules that set ``__version__ = "..."`` and a top-level ``package.json``."""
    found: dict[str, str] = {}
    for pattern in _MODULE_PATTERNS:
        for path in sorted(root.glob(pattern)):
            top = path.relative_to(root).parts[0]
            if top.startswith(".") or top in _NOT_PACKAGES:
                continue
            version = _module_version(path)
            if version is not None:
                found[path.relative_to(root).as_posix()] = version
    version = _package_json_version(root / "package.json")
    if version is not None:
        found["package.json"] = version
    return found


def _same(a: str, b: str) -> bool:
    """Equal versions (1.0.0-beta.1 in package.json is 1.0.0b1 in Python)."""
    from releasekit.core.version import try_normalize

    return (try_normalize(a) or a) == (try_normalize(b) or b)


def _version_source(data: Mapping[str, Any], carriers: Mapping[str, str]) -> tuple[str, str] | None:
    """The file the build reads a version from that is written in it, and that version:
    pyproject.toml's ``[project]`` version, or poetry-core's ``[tool.poetry]`` version when
    there is no ``[project]`` table (as :mod:`releasekit.core.carriers` reads it), or the
    module a backend reads (hatchling's ``[tool.hatch.version] path``, pdm-backend's
    ``[tool.pdm.version] path``, setuptools' ``attr``); ``None``: from git, or unknown."""
    project = table_at(data, "project")
    if isinstance(project.get("version"), str):
        return "pyproject.toml", str(project["version"])
    poetry = table_at(data, "tool", "poetry")
    if not project and isinstance(poetry.get("version"), str):
        return "pyproject.toml", str(poetry["version"])
    paths = [
        table_at(data, "tool", "hatch", "version").get("path"),
        table_at(data, "tool", "pdm", "version").get("path"),
    ]
    attr = table_at(data, "tool", "setuptools", "dynamic", "version").get("attr")
    if isinstance(attr, str) and "." in attr:  # "pkg.__version__": pkg/__init__.py
        module = attr.rsplit(".", 1)[0].replace(".", "/")
        paths += [f"{module}/__init__.py", f"src/{module}/__init__.py", f"{module}.py"]
    for path in paths:
        if isinstance(path, str) and path in carriers:
            return path, carriers[path]
    return None


def version_files_step(root: Path, data: Mapping[str, Any]) -> list[str]:
    """Say so when files other than pyproject.toml carry the version but are not listed in
    ``version-files``, and when one of them has drifted from the project's version."""
    table = table_at(data, "tool", "releasekit")
    if table.get("version-files"):
        return []
    hatch_version = table_at(data, "tool", "hatch", "version")
    carriers = version_carriers(root)
    if hatch_version.get("source") == "releasekit":
        listed = ", ".join(json.dumps(f) for f in carriers) or '"src/PACKAGE/__init__.py"'
        return [
            f"next: set version-files = [{listed}] in [tool.releasekit]: "
            '[tool.hatch.version] source = "releasekit" reads the version from the first'
        ]
    source = _version_source(data, carriers)
    if source is not None:
        truth, version = source
    elif hatch_version.get("source") == "nodejs" and "package.json" in carriers:
        truth, version = "package.json", carriers["package.json"]  # hatch-nodejs-version
        if len(carriers) == 1:
            return [
                "next: the version lives in package.json (hatch-nodejs-version): set "
                '[tool.releasekit] version-files = ["package.json"] so that `releasekit bump` '
                "writes it"
            ]
    else:
        return []  # a version from git or a plugin: no file to keep in step
    others = {path: v for path, v in carriers.items() if path != truth}
    if not others:
        return []
    listed = ", ".join(json.dumps(f) for f in [truth, *others])
    names = ", ".join(others)
    lines = [
        f"next: {names} carr{'ies' if len(others) == 1 else 'y'} the version too: set "
        f"[tool.releasekit] version-files = [{listed}]"
    ]
    drifted = [f"{path} says {v}" for path, v in others.items() if not _same(v, version)]
    if drifted:
        lines.append(
            f"note: {', '.join(drifted)}, but {truth} says {version}: align "
            f"{'it' if len(drifted) == 1 else 'them'} before listing "
            f"{'it' if len(drifted) == 1 else 'them'} (`nox -s check` refuses version files "
            "that disagree)"
        )
    return lines


# --- a frontend built by a build hook ------------------------------------------------------

FRONTEND_HOOKS = ("jupyter-builder",)


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _common_dir(paths: Sequence[str]) -> str | None:
    """The deepest directory that holds every path (``None`` when they share none)."""
    parents = [PurePosixPath(p).parent.parts for p in paths]
    if not parents:
        return None
    common: list[str] = []
    for parts in zip(*parents):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    # the hook's own output directory, e.g. pkg/labextension, not pkg/labextension/static
    if len(common) > 2 and common[-1] == "static":
        common.pop()
    return "/".join(common) or None


def frontend_steps(data: Mapping[str, Any]) -> list[str]:
    """For hatch-jupyter-builder: the route that builds the frontend once per release.

    Through the hook alone a rehearsal builds the JavaScript three times (the sdist, the
    wheel built from it, smoke-install's sdist build). With hatchling's ``artifacts`` the
    (git-ignored) output ships in the sdist, and with the hook's ``skip-if-exists`` every
    later build takes it as it is: once, in the sdist's build, whose build environment has
    the JavaScript toolchain (measured on jupyterlab-filesystem-access: 161 s and three
    builds, against 65 s and one). ``prepare-commands`` would build it before the sdist
    instead, but need that toolchain (``jlpm``) on the PATH of every machine and CI job
    that builds the release, so they are only mentioned.
    """
    hooks = table_at(data, "tool", "hatch", "build", "hooks")
    lines = []
    for name in FRONTEND_HOOKS:
        hook = hooks.get(name)
        if not isinstance(hook, Mapping):
            continue
        kwargs = table_at(hook, "build-kwargs")
        npm = _strings(kwargs.get("npm")) or ["npm"]
        if isinstance(kwargs.get("npm"), str):
            npm = [str(kwargs["npm"])]
        build_cmd = kwargs.get("build_cmd") if isinstance(kwargs.get("build_cmd"), str) else None
        tool = " ".join(npm)
        commands = [f"{tool} install", f"{tool} run {build_cmd or 'build'}"]
        targets = _strings(hook.get("ensured-targets"))
        skip = _strings(hook.get("skip-if-exists"))
        output = _common_dir(targets) or "PACKAGE/labextension"
        sdist = table_at(data, "tool", "hatch", "build", "targets", "sdist")
        artifacts = _strings(sdist.get("artifacts")) + _strings(
            table_at(data, "tool", "hatch", "build").get("artifacts")
        )
        todo = []
        if not any(a.rstrip("/") == output or output.startswith(a.rstrip("/")) for a in artifacts):
            todo.append(
                f'[tool.hatch.build.targets.sdist] artifacts = ["{output}"] (git ignores '
                "it; the sdist must ship it)"
            )
        if not skip:
            wanted = targets[:1] or [f"{output}/package.json"]
            todo.append(
                f"skip-if-exists = {json.dumps(wanted)} in [tool.hatch.build.hooks.{name}] "
                "(the wheel built from the sdist, and a user's build of it, then reuse it)"
            )
        if not todo:
            lines.append(
                f"note: [tool.hatch.build.hooks.{name}]: the frontend is built once per release, "
                "in the sdist's build (artifacts and skip-if-exists are set)"
            )
            continue
        lines.append(
            f"next: [tool.hatch.build.hooks.{name}] builds the frontend inside every build: "
            "in a release that is the sdist, the wheel built from it and smoke-install's "
            "sdist build, each a full JavaScript build. Build it once per release, in the "
            "sdist's build:"
        )
        lines += [f"        {item}" for item in todo]
        if not table_at(data, "tool", "releasekit").get("prepare-commands"):
            lines.append(
                "        (or before the sdist, with [tool.releasekit] prepare-commands = "
                f"[{', '.join(json.dumps(c) for c in commands)}]: then {npm[0]} must be on "
                "the PATH of every machine and CI job that builds the release)"
            )
    return lines


def hook_order_note(data: Mapping[str, Any]) -> str | None:
    """releasekit's hook table after another hook's, where init could not move it (hooks
    written as dotted keys, ``build.hooks.vcs.x = ...``): say so, since hatchling runs the
    hooks in the order of their tables."""
    hooks = table_at(data, "tool", "hatch", "build", "hooks")
    names = list(hooks)
    if "releasekit" not in names or names[0] == "releasekit":
        return None
    before = ", ".join(f"[tool.hatch.build.hooks.{n}]" for n in names[: names.index("releasekit")])
    return (
        f"note: {before} run{'s' if len(before.split(', ')) == 1 else ''} before releasekit's "
        "hook (hatchling runs hooks in the order of their tables): a wrong tag is refused only "
        "after; move [tool.hatch.build.hooks.releasekit] above them by hand"
    )


def target_hook_note(data: Mapping[str, Any]) -> str | None:
    """releasekit's hook only in a target's table (``[tool.hatch.build.targets.wheel.hooks.
    releasekit]``): the sdist is built without the hook, so it cannot ship its pyproject.toml
    with the hook off, and the wheel built from it needs releasekit."""
    build = table_at(data, "tool", "hatch", "build")
    if "releasekit" in table_at(build, "hooks"):
        return None
    targets = [
        name
        for name, target in table_at(build, "targets").items()
        if "releasekit" in table_at(target, "hooks")
    ]
    if not targets or "sdist" in targets:
        return None
    tables = ", ".join(f"[tool.hatch.build.targets.{name}.hooks.releasekit]" for name in targets)
    return (
        f"note: releasekit's hook is on for {', '.join(targets)} only ({tables}): the sdist is "
        "built without it, so the sdist ships the hook on and needs releasekit to build; "
        "move the table to [tool.hatch.build.hooks.releasekit]"
    )

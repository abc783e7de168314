"""``releasekit init``: set a project up for releasekit, and say what is left to do.

It writes noxfile.py from the template, enables the build hook in pyproject.toml of a
hatchling project (``releasekit`` in ``[build-system] requires`` and a
``[tool.hatch.build.hooks.releasekit]`` table), appends a commented ``[tool.releasekit]``
table, and ignores ``dist/`` and ``.nox/`` in .gitignore. A second run changes nothing.

Every file is rendered and checked before the first one is written: a pyproject.toml that
releasekit cannot edit safely (invalid TOML, a ``[build-system]`` that is not a table, ...)
is one :class:`ConfigError` and leaves every file as it was. pyproject.toml keeps its
comments and layout: new tables are appended as text, the requirement is added with
tomlkit, and the result is parsed again and compared with the original.

The build hook is hatch-only. On any other backend (setuptools, flit, poetry, pdm) releasekit
is not added to the build requirements, where it would only be one more thing to install;
the nox sessions still work there, since they build through any PEP 517 backend.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from releasekit._compat import tomllib
from releasekit.config import hook_options, parse_config
from releasekit.errors import ConfigError

__all__ = [
    "CI_FILES",
    "IGNORED",
    "WHEELHOUSE",
    "direct_source",
    "init_project",
    "installed_from",
    "template_text",
    "write_ci",
]

# What `releasekit init` makes sure .gitignore ignores: built files and nox's virtualenvs.
IGNORED = ("dist/", ".nox/")
# Where the printed next step (and the README) put releasekit's own wheel for build frontends.
WHEELHOUSE = "$HOME/.cache/releasekit-wheels"

HOOK_TABLE = """
[tool.hatch.build.hooks.releasekit]
# Refuse a release build whose git tag and version disagree (see the releasekit README).
# require-tag = true    # or RELEASEKIT_REQUIRE_TAG=1 in the CI release job
# allow-dirty = false   # true: allow a tag build from a tree with uncommitted changes
"""

CONFIG_TABLE = """
[tool.releasekit]
# Written by `releasekit init`. Every key is optional; the comments show examples.
# The files that carry the version, checked and bumped together; the first is the truth:
# version-files = [{version_files}]
# tag-prefix = "v"                # default: an optional "v"; a monorepo uses e.g. "api-v"
# changelog = "CHANGELOG.md"      # a path, or false: no changelog check (default: CHANGELOG.md
#                                 # when present; `nox -s check` wants a section per version)
# pre-release = "both"            # or "test-only": rc/beta/alpha go to the test index only
# check-sessions = ["tests"]      # your own nox sessions that `nox -s check` requires
# check-commands = ["pytest -q"]  # commands `nox -s check` runs
# prepare-commands = ["npm ci"]   # run in the clean export of HEAD before the sdist is built
# version-from-tag = false        # true: a tag build writes the tag's version into the
#                                 # version files of the export (placeholders in git)
#
# [tool.releasekit.smoke]
# pythons = ["3.9", "3.13"]       # smoke-install with each (default: the Python running nox)
# commands = [{smoke_command}]{smoke_pad}# run in the smoke venv after installing the wheel
# timeout = 120                   # seconds a smoke command may take
"""

_HOOK_PATH = ("tool", "hatch", "build", "hooks", "releasekit")
# `__version__ = "1.2.0"` (or `__version__: str = ...`) at the start of a line.
_VERSION_LINE = re.compile(r"""^__version__(?:\s*:\s*str)?\s*=\s*["'][^"'\n]+["']""", re.M)
# A noxfile that already calls releasekit.sessions.register() needs no template.
_REGISTERS = re.compile(
    r"(\breleasekit\.sessions\b|\bfrom\s+releasekit\s+import\s+sessions\b)[\s\S]*\bregister\s*\("
)


def _template(name: str) -> str:
    """A template's text, from the installed package or this source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates" / name, here.parent.parent / "templates" / name):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise ConfigError(
        f"releasekit's template {name} is missing from this installation", "reinstall releasekit"
    )


def template_text() -> str:
    """The noxfile template."""
    return _template("noxfile.py")


# `releasekit init --ci KIND`: template -> where the project keeps it
CI_FILES = {
    "github": (
        ("github/release.yml", ".github/workflows/release.yml"),
        ("github/rehearse.yml", ".github/workflows/rehearse.yml"),
    ),
    "gitlab": (("gitlab/.gitlab-ci.yml", ".gitlab-ci.yml"),),
}


def write_ci(root: Path, kind: str, *, force: bool = False) -> list[str]:
    """Write the CI workflows of ``kind``; an existing different file only with ``force``.

    Every file is checked before the first is written, so a refusal changes nothing.
    """
    pending = []
    for name, dest in CI_FILES[kind]:
        text, target = _template(name), root / dest
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        if target.exists() and not force:
            raise ConfigError(
                f"{dest} exists and is not releasekit's template; nothing was changed",
                "merge releasekit's template into it by hand, or pass --force to replace it",
            )
        pending.append((target, text, dest))
    lines = []
    for target, text, dest in pending:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        lines.append(f"{dest}: written from releasekit's template")
    if not pending:
        lines.append(f"{kind} CI: unchanged")
    where = "the repository's variables" if kind == "github" else "the project's CI/CD variables"
    lines.append(
        f"next: set RELEASEKIT_SOURCE in {where} (where CI gets releasekit until it is on "
        "PyPI), create the environments testpypi and pypi, and add this workflow as a trusted "
        "publisher on TestPyPI and PyPI"
    )
    return lines


@dataclass(frozen=True)
class _Write:
    """A file to write, its new text, and the output line that says what changed."""

    path: Path
    text: str
    line: str


def init_project(
    root: Path, *, force: bool = False, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Set up ``root``; returns the lines to print: one per file changed, then next steps.

    ``environ`` (default ``os.environ``) is where ``PIP_FIND_LINKS`` and ``UV_FIND_LINKS``
    are looked up, to tell whether build frontends can find releasekit's wheel.
    """
    env = os.environ if environ is None else environ
    pyproject_path = root / "pyproject.toml"
    text = _read(pyproject_path, missing_hint="run `releasekit init` in the project's root")
    data = _parse(text)
    _check_shapes(data, root)

    backend = _backend(data)
    hatch = backend is not None and backend.split(".")[0] == "hatchling"
    writes = [
        w
        for w in (
            _plan_noxfile(root, force),
            _plan_gitignore(root),
            _plan_pyproject(pyproject_path, text, data, hatch, root),
        )
        if w is not None
    ]
    _check_writable(writes, root)
    _write_all(writes, root)

    lines = [w.line for w in writes]
    if not writes:
        lines.append(
            "nothing changed: noxfile.py, pyproject.toml and .gitignore are set up already"
        )
    if not hatch:
        lines.append(_not_hatch_note(backend))
    final = _parse(_read(pyproject_path, missing_hint="")) if writes else data
    return lines + _next_steps(root, final, env)


# --- reading and checking ------------------------------------------------------------------


def _read(path: Path, *, missing_hint: str) -> str:
    """The text of ``path`` exactly as stored (CRLF kept), or a ConfigError saying why not."""
    name = path.name
    if not path.exists():
        raise ConfigError(f"no {name} in {path.parent}", missing_hint)
    if path.is_dir():
        raise ConfigError(
            f"{name} in {path.parent} is a directory, not a file",
            f"move the directory away: releasekit init reads and writes {name} there",
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{name} is not UTF-8 text (byte {exc.start})", f"save {name} as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {name}: {exc.strerror}", f"make {name} readable (chmod u+r {name})"
        ) from None


def _parse(text: str) -> dict[str, Any]:
    """pyproject.toml as plain data, parsed as strictly as build frontends parse it."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"pyproject.toml is not valid TOML: {exc}",
            "fix the syntax there (pip and build refuse it too), then run releasekit init again",
        ) from None


def _describe(value: object) -> str:
    """A TOML value for a message: its kind and (shortened) value."""
    kinds: dict[type, str] = {bool: "a boolean", int: "an integer", float: "a float",
                              str: "a string", list: "an array", dict: "a table"}  # fmt: skip
    kind = kinds.get(type(value), f"a {type(value).__name__}")
    shown = json.dumps(value, default=str) if isinstance(value, (bool, list, dict)) else repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{kind} ({shown})"


def _check_shapes(data: Mapping[str, Any], root: Path) -> None:
    """Refuse every shape init would trip over, naming the value, before anything is rendered."""
    project = data.get("project")
    if project is not None and not isinstance(project, dict):
        raise ConfigError(
            f"[project] in pyproject.toml is {_describe(project)}, not a table",
            'write it as a table: [project] name = "..." version = "..." (PEP 621)',
        )
    build_system = data.get("build-system")
    if build_system is not None:
        if not isinstance(build_system, dict):
            raise ConfigError(
                f"[build-system] in pyproject.toml is {_describe(build_system)}, not a table",
                'write it as a table: [build-system] requires = ["hatchling"] '
                'build-backend = "hatchling.build"',
            )
        requires = build_system.get("requires")
        if requires is not None and not isinstance(requires, list):
            raise ConfigError(
                f"[build-system] requires is {_describe(requires)}, not an array of strings",
                'write it as an array: requires = ["hatchling"]',
            )
        for item in requires or []:
            if not isinstance(item, str):
                raise ConfigError(
                    f"[build-system] requires holds {_describe(item)}, not a requirement string",
                    'quote each requirement: requires = ["hatchling>=1.27"]',
                )
        backend = build_system.get("build-backend")
        if backend is not None and not isinstance(backend, str):
            raise ConfigError(
                f"[build-system] build-backend is {_describe(backend)}, not a string",
                'write it as a string: build-backend = "hatchling.build"',
            )
        if requires is None and isinstance(backend, str) and backend.startswith("hatchling"):
            raise ConfigError(
                "[build-system] has a build-backend but no requires",
                'add requires = ["hatchling"] (every build frontend needs it)',
            )
    node: object = data
    for depth, key in enumerate(_HOOK_PATH):
        if not isinstance(node, dict) or key not in node:
            break
        node = node[key]
        if not isinstance(node, dict):
            where = ".".join(_HOOK_PATH[: depth + 1])
            raise ConfigError(
                f"[{where}] in pyproject.toml is {_describe(node)}, not a table",
                f"write it as a [{where}] table (or remove it)",
            )
        if depth == len(_HOOK_PATH) - 1:  # the hook's own table: its typos stop init too
            hook_options(node, environ={})
    tool = data.get("tool", {})
    if "releasekit" in tool:
        if not isinstance(tool["releasekit"], dict):
            raise ConfigError(
                f"[tool.releasekit] in pyproject.toml is {_describe(tool['releasekit'])}, "
                "not a table",
                "write it as a [tool.releasekit] table (or remove it: init writes one)",
            )
        parse_config(data, root)  # an existing table: its typos are reported now, not later


def _backend(data: Mapping[str, Any]) -> str | None:
    build_system = data.get("build-system")
    backend = build_system.get("build-backend") if isinstance(build_system, dict) else None
    return backend if isinstance(backend, str) else None


def _requires(data: Mapping[str, Any]) -> list[str]:
    build_system = data.get("build-system")
    requires = build_system.get("requires") if isinstance(build_system, dict) else None
    return [r for r in requires if isinstance(r, str)] if isinstance(requires, list) else []


def _has_hook(data: Mapping[str, Any]) -> bool:
    """The hook is on for every target, or for one (``[tool.hatch.build.targets.wheel.hooks]``)."""
    build = data.get("tool", {}).get("hatch", {}).get("build", {})
    if "releasekit" in build.get("hooks", {}):
        return True
    targets = build.get("targets", {})
    return isinstance(targets, dict) and any(
        isinstance(t, dict) and isinstance(t.get("hooks"), dict) and "releasekit" in t["hooks"]
        for t in targets.values()
    )


# --- rendering -----------------------------------------------------------------------------


def _plan_noxfile(root: Path, force: bool) -> _Write | None:
    path = root / "noxfile.py"
    template = template_text()
    if not path.exists() and not path.is_symlink():
        return _Write(path, template, "noxfile.py: written from releasekit's template")
    current = _read(path, missing_hint="")
    if current == template or (not force and _REGISTERS.search(current)):
        return None  # the template, or the project's own noxfile that registers the sessions
    if not force:
        raise ConfigError(
            "noxfile.py exists and does not register releasekit's sessions; nothing was changed",
            "add `import releasekit.sessions` and `releasekit.sessions.register()` to it, "
            "or run `releasekit init --force` to replace it with releasekit's template",
        )
    return _Write(path, template, "noxfile.py: replaced by releasekit's template (--force)")


def _plan_gitignore(root: Path) -> _Write | None:
    path = root / ".gitignore"
    text = _read(path, missing_hint="") if path.exists() or path.is_symlink() else ""
    missing = [entry for entry in IGNORED if not _ignores(text, entry)]
    if not missing:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += newline
    new = text + "".join(entry + newline for entry in missing)
    verb = "added" if path.exists() else "created with"
    return _Write(path, new, f".gitignore: {verb} {' and '.join(missing)}")


def _ignores(text: str, entry: str) -> bool:
    """Whether a line of .gitignore already ignores the top directory ``entry``.

    ``dist``, ``dist/``, ``/dist/``, ``**/dist``, ``dist/*`` all do; a later ``!dist/``
    undoes it. Good enough for two fixed names, without asking git (which would also count
    a user's global excludes, which other clones of the project don't have).
    """
    name = entry.strip("/")
    ignored = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:] if negated else line
        pattern = pattern.removeprefix("**/").lstrip("/")
        for suffix in ("/**", "/*", "/"):
            pattern = pattern.removesuffix(suffix)
        if pattern == name:
            ignored = not negated
    return ignored


def _plan_pyproject(
    path: Path, text: str, data: dict[str, Any], hatch: bool, root: Path
) -> _Write | None:
    """The new pyproject.toml, checked to parse to the old data plus exactly our additions."""
    import tomlkit
    import tomlkit.exceptions

    done: list[str] = []
    new_text = text
    expected = copy.deepcopy(data)
    if hatch and not any(_req_name(r) == "releasekit" for r in _requires(data)):
        try:
            doc = tomlkit.parse(text)
            doc["build-system"]["requires"].append("releasekit")
            new_text = tomlkit.dumps(doc)
        except (tomlkit.exceptions.TOMLKitError, KeyError, AttributeError, TypeError) as exc:
            raise ConfigError(
                f"cannot add releasekit to [build-system] requires: {exc}",
                'add it by hand: requires = ["hatchling", "releasekit"]',
            ) from None
        expected["build-system"]["requires"].append("releasekit")
        done.append("releasekit added to [build-system] requires")
    if hatch and not _has_hook(data):
        new_text = _append_table(new_text, HOOK_TABLE, _HOOK_PATH, expected)
        done.append("[tool.hatch.build.hooks.releasekit] added")
    if "releasekit" not in data.get("tool", {}):
        block = _config_table(data, root)
        new_text = _append_table(new_text, block, ("tool", "releasekit"), expected)
        done.append("commented [tool.releasekit] added")
    if not done:
        return None
    return _Write(path, new_text, "pyproject.toml: " + "; ".join(done))


def _append_table(text: str, block: str, keys: Sequence[str], expected: dict[str, Any]) -> str:
    """``text`` with ``block`` (a new table) appended, proven to add that table and nothing else.

    ``expected`` (the data the result must parse to) gets the new table too.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    new_text = text.rstrip("\r\n") + newline + block.replace("\n", newline)
    _set_path(expected, keys)
    try:
        if tomllib.loads(new_text) == expected:
            return new_text
        why = "the result would read differently"
    except tomllib.TOMLDecodeError as exc:
        why = f"the result would not parse ({exc})"
    name = "[" + ".".join(keys) + "]"
    inline = _inline_prefix(text, keys)
    if inline:
        rest = ".".join(keys[len(inline.split(".")) :])
        raise ConfigError(
            f"cannot add {name} to pyproject.toml: [{inline}] is an inline table "
            "(written as { ... }); nothing was changed",
            f"write it as a [{inline}] section, or add {rest} = {{}} inside it by hand",
        )
    raise ConfigError(
        f"cannot add {name} to pyproject.toml: {why}; nothing was changed",
        "add the table by hand (see releasekit's README), then run releasekit init again",
    )


def _inline_prefix(text: str, keys: Sequence[str]) -> str | None:
    """The first of ``tool``, ``tool.hatch``, ... that is written as an inline table."""
    import tomlkit
    import tomlkit.items

    node: Any = tomlkit.parse(text)
    for depth, key in enumerate(keys[:-1]):
        node = node.get(key) if isinstance(node, Mapping) else None
        if node is None:
            return None
        if isinstance(node, tomlkit.items.InlineTable):
            return ".".join(keys[: depth + 1])
    return None


def _set_path(data: dict[str, Any], keys: Sequence[str]) -> None:
    for key in keys:
        data = data.setdefault(key, {})


def _config_table(data: Mapping[str, Any], root: Path) -> str:
    """The commented ``[tool.releasekit]``, its examples filled in from this project."""
    files = _version_carriers(root)
    static = isinstance(data.get("project"), dict) and "version" in data["project"]
    examples = (["pyproject.toml"] if static else []) + (files or ["src/PACKAGE/__init__.py"])
    project = data.get("project")
    scripts = project.get("scripts") if isinstance(project, dict) else None
    script = next(iter(scripts), None) if isinstance(scripts, dict) and scripts else None
    command = json.dumps(f"{script} --version" if script else "python -m PACKAGE --help")
    return CONFIG_TABLE.format(
        version_files=", ".join(json.dumps(f) for f in examples),
        smoke_command=command,
        smoke_pad=" " * max(1, 19 - len(command)),
    )


def _version_carriers(root: Path) -> list[str]:
    """Package modules that set ``__version__ = "..."``: likely version-files."""
    found = []
    for pattern in ("src/*/__init__.py", "*/__init__.py", "src/*/_version.py", "*/_version.py",
                    "src/*/__about__.py", "*/__about__.py"):  # fmt: skip
        for path in sorted(root.glob(pattern)):
            top = path.relative_to(root).parts[0]
            if top.startswith(".") or top in ("tests", "test", "docs", "build", "dist"):
                continue
            try:
                if _VERSION_LINE.search(path.read_text(encoding="utf-8")):
                    found.append(path.relative_to(root).as_posix())
            except (OSError, UnicodeDecodeError):
                continue
    return found


def _req_name(requirement: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return requirement


def _not_hatch_note(backend: str | None) -> str:
    builds_with = (
        f"this project builds with {backend}"
        if backend
        else "this project has no [build-system] (pip builds it with setuptools)"
    )
    return (
        f"note: the build hook is hatch-only and {builds_with}: releasekit was not added to "
        "its build requirements; the nox sessions work with any PEP 517 backend"
    )


# --- writing -------------------------------------------------------------------------------


def _check_writable(writes: Sequence[_Write], root: Path) -> None:
    """Fail before the first write when one of them could not be made."""
    for write in writes:
        name = write.path.name
        if write.path.exists():
            try:
                with open(write.path, "r+b"):
                    pass
            except OSError as exc:
                raise ConfigError(
                    f"cannot write {name}: {exc.strerror}; nothing was changed",
                    f"make it writable (chmod u+w {name}) and run releasekit init again",
                ) from None
        elif not os.access(root, os.W_OK | os.X_OK):
            raise ConfigError(
                f"cannot create {name} in {root}: the directory is not writable; "
                "nothing was changed",
                f"make the directory writable (chmod u+w {root}) and run releasekit init again",
            )


def _write_all(writes: Sequence[_Write], root: Path) -> None:
    """Write each file; a failure half-way names the files that were already written."""
    written: list[str] = []
    for write in writes:
        try:
            write.path.write_bytes(write.text.encode("utf-8"))
        except OSError as exc:
            already = ", ".join(written) if written else "none"
            raise ConfigError(
                f"writing {write.path.name} failed: {exc.strerror}; already written: {already}",
                "fix the cause and run releasekit init again: it adds only what is still missing",
            ) from None
        written.append(write.path.name)


# --- what is left to do --------------------------------------------------------------------


def _next_steps(root: Path, data: Mapping[str, Any], environ: Mapping[str, str]) -> list[str]:
    steps: list[str] = []
    for step in (_version_files_step(root, data), _readme_step(root, data)):
        if step:
            steps.append(step)
    if any(_req_name(r) == "releasekit" for r in _requires(data)):
        steps += _findable_steps(environ)
    steps += _commit_steps(root)
    steps.append(
        "next: nox -s release -- --rehearse   "
        "(the whole release against local indexes: nothing leaves this machine)"
    )
    return steps


def _version_files_step(root: Path, data: Mapping[str, Any]) -> str | None:
    """Say so when files other than pyproject.toml carry the version but are not listed."""
    table = data.get("tool", {}).get("releasekit", {})
    if table.get("version-files"):
        return None
    project = data.get("project")
    static = isinstance(project, dict) and "version" in project
    hatch_version = data.get("tool", {}).get("hatch", {}).get("version", {})
    own_source = isinstance(hatch_version, dict) and hatch_version.get("source") == "releasekit"
    files = _version_carriers(root)
    if own_source:
        listed = ", ".join(json.dumps(f) for f in files) or '"src/PACKAGE/__init__.py"'
        return (
            f"next: set version-files = [{listed}] in [tool.releasekit]: "
            '[tool.hatch.version] source = "releasekit" reads the version from the first'
        )
    if static and files:
        listed = ", ".join(json.dumps(f) for f in ["pyproject.toml", *files])
        return (
            f"next: {', '.join(files)} carr{'ies' if len(files) == 1 else 'y'} the version too: "
            f"set [tool.releasekit] version-files = [{listed}]"
        )
    return None


def _readme_step(root: Path, data: Mapping[str, Any]) -> str | None:
    """``nox -s build`` runs ``twine check --strict``, which fails without a description."""
    project = data.get("project")
    if not isinstance(project, dict) or "readme" in project:
        return None
    if "readme" in (project.get("dynamic") or []):
        return None
    readmes = sorted(p.name for p in root.glob("README*") if p.is_file())
    where = (
        f"readme = {json.dumps(readmes[0])}" if readmes else 'readme = "README.md" (and write it)'
    )
    return (
        f"next: set [project] {where}: `nox -s build` runs `twine check --strict`, which "
        "refuses a package without a long description"
    )


def installed_from() -> tuple[str, str] | None:
    """Where this releasekit was installed from, when that was not a package index.

    pip and uv record a direct install (a local checkout, a wheel file, a git URL) in
    ``direct_url.json`` (PEP 610). Such a releasekit is invisible to a build frontend that
    resolves the name ``releasekit`` from an index, so every build of the project fails until
    releasekit's wheel is somewhere they look. See :func:`direct_source`.
    """
    try:
        raw = importlib.metadata.distribution("releasekit").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    return direct_source(raw)


def direct_source(direct_url: str | None) -> tuple[str, str] | None:
    """The URL of a ``direct_url.json`` and what ``pip wheel`` builds that wheel from.

    ``None`` when there is no such file (an install from an index, or from a find-links
    folder, which build frontends search too) or it cannot be read.
    """
    try:
        info = json.loads(direct_url or "null")
    except ValueError:
        return None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        return None
    url: str = info["url"]
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
        commit = vcs.get("commit_id")
        return url, f"{vcs['vcs']}+{url}" + (f"@{commit}" if isinstance(commit, str) else "")
    if url.startswith("file:"):
        return url, unquote(urlparse(url).path)
    return url, url


def _wheel_dirs(value: str, separators: str) -> list[Path]:
    """The local directories among find-links entries (paths or ``file:`` URLs)."""
    dirs = []
    for entry in re.split(separators, value):
        if entry.startswith("file:"):
            entry = unquote(urlparse(entry).path)
        elif not entry or "://" in entry:
            continue
        path = Path(os.path.expandvars(entry)).expanduser()
        if path.is_dir():
            dirs.append(path)
    return dirs


def _findable_steps(environ: Mapping[str, str]) -> list[str]:
    """How to let pip, build and uv find a releasekit that was installed from a checkout."""
    source = installed_from()
    if source is None:
        return []
    url, argument = source
    holding = {
        variable: [
            d
            for d in _wheel_dirs(environ.get(variable, ""), sep)
            if any(d.glob("releasekit-*.whl"))
        ]
        for variable, sep in (("PIP_FIND_LINKS", r"\s+"), ("UV_FIND_LINKS", r"[,\s]+"))
    }
    missing = [variable for variable, dirs in holding.items() if not dirs]
    if not missing:
        return []
    found = [d for dirs in holding.values() for d in dirs]
    wheelhouse = str(found[0]) if found else WHEELHOUSE
    steps = [
        f"next: let this project's builds find releasekit (a build requirement now): it is "
        f"installed from {url}, where no build frontend looks; put its wheel where they do:"
    ]
    if not found:
        steps.append(
            f'        pip wheel --no-deps --wheel-dir "{wheelhouse}" {shlex.quote(argument)}'
        )
    exports = " ".join(f'{variable}="{wheelhouse}"' for variable in missing)
    steps.append(f"        export {exports}   # in your shell profile and CI too")
    return steps


def _and(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    listed = list(items)
    return ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else "".join(listed)


def _commit_steps(root: Path) -> list[str]:
    """Commit what init wrote: the release builds from HEAD and checks for a clean tree."""
    names = ("noxfile.py", "pyproject.toml", ".gitignore")
    try:
        proc = subprocess.run(
            ["git", "status", "--porcelain", "--", *names],
            cwd=root,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        proc = None
    if proc is None or proc.returncode != 0:
        return [
            "next: make the project a git repository and commit it (git init; git add; "
            "git commit): the release is built from a clean export of HEAD"
        ]
    # porcelain paths are relative to the repository's top, not to ``root`` (a monorepo)
    changed = {Path(line[3:].strip('"')).name for line in proc.stdout.splitlines() if line[3:]}
    if not changed:
        return []
    return [
        f"next: commit {_and(n for n in names if n in changed)} "
        "(the release is built from HEAD, and `nox -s check` wants a clean tree)"
    ]

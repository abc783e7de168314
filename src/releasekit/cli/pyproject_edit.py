"""pyproject.toml as ``releasekit init`` edits it: checked, changed, and proven.

Every shape init would trip over is refused first, naming the value (:func:`check_shapes`).
Then the file is edited as text, so it keeps its comments and layout: new tables are
appended, the build requirement is added with tomlkit, and the result is parsed again and
compared with the original data plus exactly the additions (:func:`edit`); anything else is
a :class:`ConfigError` and nothing is written.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from releasekit._compat import tomllib
from releasekit.core.config import hook_options, parse_config
from releasekit.errors import ConfigError

__all__ = [
    "CONFIG_TABLE",
    "HOOK_PATH",
    "HOOK_TABLE",
    "build_backend",
    "build_requires",
    "check_shapes",
    "edit",
    "has_hook",
    "parse",
    "req_name",
    "version_carriers",
]

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

HOOK_PATH = ("tool", "hatch", "build", "hooks", "releasekit")
# `__version__ = "1.2.0"` (or `__version__: str = ...`) at the start of a line.
_VERSION_LINE = re.compile(r"""^__version__(?:\s*:\s*str)?\s*=\s*["'][^"'\n]+["']""", re.M)


def parse(text: str) -> dict[str, Any]:
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


def check_shapes(data: Mapping[str, Any], root: Path) -> None:
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
    for depth, key in enumerate(HOOK_PATH):
        if not isinstance(node, dict) or key not in node:
            break
        node = node[key]
        if not isinstance(node, dict):
            where = ".".join(HOOK_PATH[: depth + 1])
            raise ConfigError(
                f"[{where}] in pyproject.toml is {_describe(node)}, not a table",
                f"write it as a [{where}] table (or remove it)",
            )
        if depth == len(HOOK_PATH) - 1:  # the hook's own table: its typos stop init too
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


def build_backend(data: Mapping[str, Any]) -> str | None:
    """``[build-system] build-backend``; ``None`` when unset (pip's setuptools default)."""
    build_system = data.get("build-system")
    backend = build_system.get("build-backend") if isinstance(build_system, dict) else None
    return backend if isinstance(backend, str) else None


def build_requires(data: Mapping[str, Any]) -> list[str]:
    """The strings of ``[build-system] requires``, to see whether releasekit is one."""
    build_system = data.get("build-system")
    requires = build_system.get("requires") if isinstance(build_system, dict) else None
    return [r for r in requires if isinstance(r, str)] if isinstance(requires, list) else []


def has_hook(data: Mapping[str, Any]) -> bool:
    """The hook is on for every target, or for one (``[tool.hatch.build.targets.wheel.hooks]``)."""
    build = data.get("tool", {}).get("hatch", {}).get("build", {})
    if "releasekit" in build.get("hooks", {}):
        return True
    targets = build.get("targets", {})
    return isinstance(targets, dict) and any(
        isinstance(t, dict) and isinstance(t.get("hooks"), dict) and "releasekit" in t["hooks"]
        for t in targets.values()
    )


def edit(text: str, data: dict[str, Any], hatch: bool, root: Path) -> tuple[str, list[str]]:
    """The new pyproject.toml text, checked to parse to the old data plus exactly our
    additions, and what was added (nothing: ``text`` itself and an empty list).

    ``hatch``: the project builds with hatchling, so the build hook is enabled too.
    """
    import tomlkit
    import tomlkit.exceptions

    done: list[str] = []
    new_text = text
    expected = copy.deepcopy(data)
    if hatch and not any(req_name(r) == "releasekit" for r in build_requires(data)):
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
    if hatch and not has_hook(data):
        new_text = _append_table(new_text, HOOK_TABLE, HOOK_PATH, expected)
        done.append("[tool.hatch.build.hooks.releasekit] added")
    if "releasekit" not in data.get("tool", {}):
        block = _config_table(data, root)
        new_text = _append_table(new_text, block, ("tool", "releasekit"), expected)
        done.append("commented [tool.releasekit] added")
    return new_text, done


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
    files = version_carriers(root)
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


def version_carriers(root: Path) -> list[str]:
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


def req_name(requirement: str) -> str:
    """A requirement's canonical name (``Release_Kit>=1`` -> ``release-kit``), or the text
    itself when it is not a valid requirement."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return requirement

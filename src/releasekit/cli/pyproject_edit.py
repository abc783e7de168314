"""pyproject.toml as ``releasekit init`` edits it: checked, changed, and proven.

Every shape init would trip over is refused first, naming the value (:func:`check_shapes`).
Then the file is edited as text, so it keeps its comments and layout: new tables are
appended, the build requirement is added with tomlkit, and the result is parsed again and
compared with the original data plus exactly the additions (:func:`edit`); anything else is
a :class:`ConfigError` and nothing is written.
"""

from __future__ import annotations

import copy
import importlib.metadata
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
# hatchling installs releasekit for this hook; the sdist releasekit builds ships the hook
# off (enable-by-default = false), so the published sdist builds without releasekit.
dependencies = [{requirement}]
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
# Tests: a nox session of your own in noxfile.py that installs the project and pytest
# (session.install(".", "pytest"); session.run("pytest")), listed here; `nox -s check`
# runs it before anything is built:
# check-sessions = ["tests"]
# check-commands = ["pre-commit run --all-files"]  # run in nox's own environment, where
#                                 # neither your project nor pytest is installed
# prepare-commands = ["npm ci"]   # run in the clean export of HEAD before the sdist is built
# version-from-tag = false        # true: a tag build writes the tag's version into the
#                                 # version files of the export (placeholders in git)
# check-reproducible = false      # true: every build is made twice (another path and
#                                 # TZ) and the bytes compared
# wheels = ["cp312-manylinux_x86_64", "cp312-win_amd64"]  # the wheel matrix a release holds
#                                 # (cibuildwheel's identifiers; default: what was built)
# install-index = "https://pypi.org/simple/"  # dependencies of smoke installs (default: your
#                                 # installer's own configuration)
# tools-index = "https://pypi.example/simple/"  # where the locked tools releasekit runs with
#                                 # credentials (twine, ...) come from (default: PyPI)
# propagation-timeout = 300       # seconds to wait for an index (its CDN) to serve new files
# github-release = false          # true: `nox -s release` ends with the tag's GitHub release
# attestations = true             # PEP 740 attestations (default: on with trusted publishing)
# members = ["packages/core"]     # at a workspace root only: the projects it releases
# npm-registry = "https://registry.npmjs.org/"  # a workspace's npm members publish there
# npm-publish = "stage"          # npm members staged for a human to approve (npm stage)
# npm-trusted-publishing = true  # OIDC where CI can mint an ID token (default: npmjs.org only)
# npm-provenance = true          # npm provenance where npm can sign (default: npmjs.org only)
#
# [tool.releasekit.indexes.test]  # default: TestPyPI
# url = "https://test.pypi.org/simple/"
# publish-url = "https://test.pypi.org/legacy/"
# upload-limit-mb = 100           # the file size limit PyPI shows for the project, if raised
# pypi-rules = true               # false: an index that is not PyPI (no PyPI upload rules)
#
# [tool.releasekit.indexes.prod]  # default: PyPI
# url = "https://pypi.org/simple/"
# publish-url = "https://upload.pypi.org/legacy/"
# upload-limit-mb = 100           # the file size limit PyPI shows for the project, if raised
# pypi-rules = true               # false: an index that is not PyPI (no PyPI upload rules)
#
# [tool.releasekit.smoke]
# pythons = ["3.9", "3.13"]       # smoke-install with each (default: the Python running nox)
# commands = [{smoke_command}]{smoke_pad}# run in the smoke venv after installing the wheel
# extras = {{ cli = [{smoke_command}] }}  # install the package with [cli], then run these
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


def releasekit_requirement() -> str:
    """``releasekit>=`` this releasekit's public version: the hook table's dependency (a
    build then gets a releasekit that ships the sdist's pyproject.toml without it)."""
    from packaging.version import InvalidVersion, Version

    try:
        installed = importlib.metadata.version("releasekit")
    except importlib.metadata.PackageNotFoundError:
        return "releasekit"
    try:
        return f"releasekit>={Version(installed).public}"
    except InvalidVersion:
        return "releasekit"


def hook_dependencies(data: Mapping[str, Any]) -> list[str]:
    """The ``dependencies`` of releasekit's hook tables (global and per target)."""
    found: list[str] = []
    for table in _hook_tables(data):
        dependencies = table.get("dependencies")
        if isinstance(dependencies, list):
            found += [d for d in dependencies if isinstance(d, str)]
    return found


def old_form(data: Mapping[str, Any]) -> bool:
    """releasekit in ``[build-system] requires``: the way init set a project up before the
    hook carried its own dependency; every sdist published so needs releasekit to build."""
    return any(req_name(r) == "releasekit" for r in build_requires(data))


def _hook_tables(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    build = data.get("tool", {}).get("hatch", {}).get("build", {})
    tables = []
    hooks = build.get("hooks", {}) if isinstance(build, dict) else {}
    if isinstance(hooks, dict) and isinstance(hooks.get("releasekit"), dict):
        tables.append(hooks["releasekit"])
    targets = build.get("targets", {}) if isinstance(build, dict) else {}
    for target in targets.values() if isinstance(targets, dict) else ():
        hooks = target.get("hooks") if isinstance(target, dict) else None
        if isinstance(hooks, dict) and isinstance(hooks.get("releasekit"), dict):
            tables.append(hooks["releasekit"])
    return tables


def hook_order(data: Mapping[str, Any]) -> list[str]:
    """The names of ``[tool.hatch.build.hooks.*]`` in the order hatchling runs them."""
    hooks = data.get("tool", {}).get("hatch", {}).get("build", {}).get("hooks", {})
    return list(hooks) if isinstance(hooks, dict) else []


def edit(text: str, data: dict[str, Any], hatch: bool, root: Path) -> tuple[str, list[str]]:
    """The new pyproject.toml text, checked to parse to the old data plus exactly our
    additions, and what was added (nothing: ``text`` itself and an empty list).

    ``hatch``: the project builds with hatchling, so the build hook is enabled too: its
    table first among the hooks (a wrong tag is refused before a long frontend build), with
    releasekit as the hook's ``dependencies``, never in ``[build-system] requires``. A
    project set up the old way (releasekit in ``requires``) is migrated.
    """
    done: list[str] = []
    new_text = text
    expected = copy.deepcopy(data)
    if hatch and has_hook(data):
        new_text = _migrate(new_text, expected, done)
        new_text = _hook_first(new_text, expected, done)
    if hatch and not has_hook(data):
        block = HOOK_TABLE.format(requirement=json.dumps(releasekit_requirement()))
        if old_form(data):
            new_text = _drop_build_requirement(new_text, expected)
            done.append("releasekit removed from [build-system] requires")
        new_text = _insert_hook_table(new_text, block, expected)
        done.append("[tool.hatch.build.hooks.releasekit] added")
    if "releasekit" not in data.get("tool", {}):
        block = _config_table(data, root)
        new_text = _append_table(new_text, block, ("tool", "releasekit"), expected)
        done.append("commented [tool.releasekit] added")
    return new_text, done


def _tomlkit_edit(text: str, change: Any, by_hand: str) -> str:
    """``text`` changed by ``change(document)`` through tomlkit (comments and layout kept)."""
    import tomlkit
    import tomlkit.exceptions

    try:
        doc = tomlkit.parse(text)
        change(doc)
        return tomlkit.dumps(doc)
    except (tomlkit.exceptions.TOMLKitError, KeyError, AttributeError, TypeError) as exc:
        raise ConfigError(
            f"cannot edit pyproject.toml: {exc}; nothing was changed", by_hand
        ) from None


def _drop_build_requirement(text: str, expected: dict[str, Any]) -> str:
    """``text`` without releasekit in ``[build-system] requires``."""

    def drop(doc: Any) -> None:
        requires = doc["build-system"]["requires"]
        for index in reversed(range(len(requires))):
            if req_name(str(requires[index])) == "releasekit":
                del requires[index]

    requires = expected["build-system"]["requires"]
    requires[:] = [r for r in requires if req_name(r) != "releasekit"]
    return _tomlkit_edit(
        text,
        drop,
        'remove releasekit from [build-system] requires by hand: requires = ["hatchling"]',
    )


def _migrate(text: str, expected: dict[str, Any], done: list[str]) -> str:
    """An old-form project: releasekit moves from ``[build-system] requires`` into the hook
    table's ``dependencies`` (added there too when the hook table lacks it)."""
    has_dependency = any(req_name(d) == "releasekit" for d in hook_dependencies(expected))
    if has_dependency and not old_form(expected):
        return text
    requirement = releasekit_requirement()
    if not has_dependency:
        table = _hook_tables(expected)[0]

        def add(doc: Any) -> None:
            for path in _hook_paths(doc):
                hook = doc
                for key in path:
                    hook = hook[key]
                if "dependencies" in hook:
                    hook["dependencies"].append(requirement)
                else:
                    hook["dependencies"] = [requirement]
                return

        by_hand = f'add dependencies = ["{requirement}"] to [tool.hatch.build.hooks.releasekit]'
        text = _tomlkit_edit(text, add, by_hand)
        table.setdefault("dependencies", []).append(requirement)
    if old_form(expected):
        text = _drop_build_requirement(text, expected)
        done.append(
            "releasekit moved from [build-system] requires to the dependencies of "
            "[tool.hatch.build.hooks.releasekit] (the published sdist then builds without it)"
        )
    else:
        done.append(
            f"{requirement} added to the dependencies of [tool.hatch.build.hooks.releasekit]"
        )
    return text


def _hook_paths(data: Any) -> list[tuple[str, ...]]:
    """Where releasekit's hook tables are, global first."""
    paths: list[tuple[str, ...]] = []
    build = data.get("tool", {}).get("hatch", {}).get("build", {})
    if "releasekit" in build.get("hooks", {}):
        paths.append(HOOK_PATH)
    for name, target in build.get("targets", {}).items():
        if "releasekit" in target.get("hooks", {}):
            paths.append(("tool", "hatch", "build", "targets", name, "hooks", "releasekit"))
    return paths


# A table header: `[a.b]` (not `[[a]]`), with what it names.
_HEADER = re.compile(r"^[ \t]*\[(?!\[)([^\]\n]*)\][ \t]*(?:#[^\n]*)?\r?$", re.M)


def _header_keys(inside: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in inside.split("."))


def _hook_headers(text: str) -> list[tuple[int, str]]:
    """Where each ``[tool.hatch.build.hooks.NAME]`` header starts (its comment lines just
    above included), with NAME, in file order."""
    found = []
    for match in _HEADER.finditer(text):
        keys = _header_keys(match.group(1))
        if len(keys) == 5 and keys[:4] == ("tool", "hatch", "build", "hooks"):
            found.append((_with_comments_above(text, match.start()), keys[4]))
    return found


def _with_comments_above(text: str, start: int) -> int:
    """``start`` moved up over the comment lines right above it."""
    lines = text[:start].splitlines(keepends=True)
    while lines and lines[-1].lstrip().startswith("#"):
        start -= len(lines.pop())
    return start


def _insert_hook_table(text: str, block: str, expected: dict[str, Any]) -> str:
    """The hook table before the first other hook table (hatchling runs hooks in the order
    of their tables), or appended when there is none."""
    others = _hook_headers(text)
    if not others:
        return _append_table(text, block, HOOK_PATH, expected)
    newline = "\r\n" if "\r\n" in text else "\n"
    at = others[0][0]
    new_text = text[:at] + block.lstrip("\n").replace("\n", newline) + newline + text[at:]
    hook_expected = copy.deepcopy(expected)
    _add_block(hook_expected, block, HOOK_PATH)
    try:
        parsed = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        parsed = None
    if parsed == hook_expected and hook_order(parsed)[:1] == ["releasekit"]:
        expected.clear()
        expected.update(hook_expected)
        return new_text
    return _append_table(text, block, HOOK_PATH, expected)  # at the end: it still guards


def _hook_first(text: str, expected: dict[str, Any], done: list[str]) -> str:
    """An existing ``[tool.hatch.build.hooks.releasekit]`` after other hook tables moved
    before them, when it is a plain ``[...]`` table that moves as a block of lines."""
    headers = _hook_headers(text)
    names = [name for _, name in headers]
    if "releasekit" not in names or names.index("releasekit") == 0:
        return text
    index = names.index("releasekit")
    start = headers[index][0]
    following = [m.start() for m in _HEADER.finditer(text) if m.start() > start]
    end = following[0] if following else len(text)
    end = _with_comments_above(text, end)  # the comments above the next table are its own
    block = text[start:end].rstrip("\r\n ") + ("\r\n" if "\r\n" in text else "\n")
    blank = "\r\n" if "\r\n" in text else "\n"
    first = headers[0][0]
    new_text = text[:first] + block + blank + text[first:start] + text[end:]
    try:
        parsed = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        parsed = None
    if parsed == expected and hook_order(parsed)[:1] == ["releasekit"]:
        done.append(
            "[tool.hatch.build.hooks.releasekit] moved before "
            f"[tool.hatch.build.hooks.{names[0]}] (hooks run in the order of their tables: "
            "a wrong tag is refused before the others run)"
        )
        return new_text
    return text


def _append_table(text: str, block: str, keys: Sequence[str], expected: dict[str, Any]) -> str:
    """``text`` with ``block`` (a new table) appended, proven to add that table and nothing else.

    ``expected`` (the data the result must parse to) gets the new table too.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    new_text = text.rstrip("\r\n") + newline + block.replace("\n", newline)
    _add_block(expected, block, keys)
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


def _add_block(expected: dict[str, Any], block: str, keys: Sequence[str]) -> None:
    """``expected`` with the table at ``keys`` that ``block`` (one table's text) holds."""
    table: Any = tomllib.loads(block)
    for key in keys:
        table = table[key]
    node = expected
    for key in keys:
        node = node.setdefault(key, {})
    node.update(table)


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

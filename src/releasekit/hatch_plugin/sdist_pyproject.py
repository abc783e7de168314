"""The pyproject.toml that goes into the sdist: one that builds without releasekit.

On the maintainer's checkout the hook is on by default and hatchling installs releasekit
for it (the hook table's ``dependencies``). The sdist is what strangers build: a distro or
conda-forge packager, ``pip install --no-binary``, a platform without a wheel, an index
without releasekit. Its pyproject.toml therefore says ``enable-by-default = false`` in
releasekit's hook table: hatchling then neither asks for the hook's ``dependencies``
(PEP 517 ``get_requires_for_build_*``) nor loads the plugin, and only the project's other
build requirements are needed. releasekit's own builds turn the hook back on with
``HATCH_BUILD_HOOK_ENABLE_RELEASEKIT=1`` for the wheel they build from that sdist, so the
tag guard still runs there.

A ``releasekit`` left in ``[build-system] requires`` (a project set up before the hook
carried its own dependency) moves in the copy into the hook table's ``dependencies``, for the
same reason: the sdist then needs releasekit only in a build that turns the hook on.
``[tool.hatch.version] source = "releasekit"`` is left alone: in an unpacked sdist hatchling
takes the version from PKG-INFO and never loads the version source.

The copy keeps comments and layout and is the same bytes for the same input (the sdist stays
reproducible): the usual case, a hook table written as ``[...]`` and no releasekit in
``requires``, gets one line under the table's header; anything else is edited with tomlkit.
Either result is parsed again and compared with the original data plus exactly these
changes before it is used.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, MutableMapping
from typing import Any

from releasekit.errors import ConfigError

__all__ = ["HOOK_NAME", "published_pyproject"]

HOOK_NAME = "releasekit"
_OFF_COMMENT = (
    "releasekit: the published sdist builds without releasekit; "
    "its own builds set HATCH_BUILD_HOOK_ENABLE_RELEASEKIT=1"
)


def _is_releasekit(requirement: object) -> bool:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(str(requirement)).name) == HOOK_NAME
    except InvalidRequirement:
        return False


def _hook_tables(data: MutableMapping[str, Any]) -> Iterator[MutableMapping[str, Any]]:
    """releasekit's hook tables: the global one and any per target."""
    build = data.get("tool", {}).get("hatch", {}).get("build", {})
    if not isinstance(build, MutableMapping):
        return
    hooks = build.get("hooks", {})
    if isinstance(hooks, MutableMapping) and isinstance(hooks.get(HOOK_NAME), MutableMapping):
        yield hooks[HOOK_NAME]
    targets = build.get("targets", {})
    for target in targets.values() if isinstance(targets, MutableMapping) else ():
        hooks = target.get("hooks") if isinstance(target, MutableMapping) else None
        if isinstance(hooks, MutableMapping) and isinstance(hooks.get(HOOK_NAME), MutableMapping):
            yield hooks[HOOK_NAME]


def _change(data: MutableMapping[str, Any], *, off: object) -> bool:
    """Turn releasekit's hook tables off and move releasekit from the build requirements
    into their ``dependencies`` (where a build that turns the hook on still gets it), in
    place (plain data or a tomlkit document); whether anything changed."""
    changed = False
    dropped: list[str] = []
    system = data.get("build-system")
    requires = system.get("requires") if isinstance(system, MutableMapping) else None
    if isinstance(requires, list):
        for index in reversed(range(len(requires))):
            if _is_releasekit(requires[index]):
                dropped.insert(0, str(requires[index]))
                del requires[index]
                changed = True
    for table in _hook_tables(data):
        if table.get("enable-by-default") is not False:
            table["enable-by-default"] = copy.copy(off)
            changed = True
        dependencies = table.get("dependencies")
        if dropped and not (
            isinstance(dependencies, list) and any(_is_releasekit(d) for d in dependencies)
        ):
            if isinstance(dependencies, list):
                dependencies.extend(dropped)
            else:
                table["dependencies"] = list(dropped)
    return changed


# The header of releasekit's hook table, global or per target: `[tool.hatch.build.hooks.releasekit]`
_HOOK_HEADER = re.compile(
    r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*hatch[ \t]*\.[ \t]*build[ \t]*\."
    r"(?:[ \t]*targets[ \t]*\.[ \t]*[\w\"'-]+[ \t]*\.)?"
    r"[ \t]*hooks[ \t]*\.[ \t]*[\"']?releasekit[\"']?[ \t]*\][ \t]*(?:#[^\r\n]*)?(\r?\n)",
    re.M,
)


def _with_lines(text: str) -> str:
    """``text`` with ``enable-by-default = false`` right under each header of releasekit's
    hook table: the common case, without importing tomlkit (about 10 ms of every sdist
    build); the caller proves the result and falls back to tomlkit."""
    return _HOOK_HEADER.sub(
        lambda m: f"{m.group(0)}enable-by-default = false  # {_OFF_COMMENT}{m.group(1)}", text
    )


def published_pyproject(text: str) -> str:
    """``text`` (a pyproject.toml) as the sdist ships it; ``text`` itself when it needs no
    change (no releasekit hook table, no releasekit build requirement)."""
    from releasekit._compat import tomllib

    try:
        expected: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # hatchling parsed it: not reached in a build
        raise ConfigError(f"pyproject.toml is not valid TOML: {exc}", "fix its syntax") from None
    if not _change(expected, off=False):
        return text
    fast = _with_lines(text)
    try:
        if tomllib.loads(fast) == expected:
            return fast
    except tomllib.TOMLDecodeError:
        pass  # e.g. the table already says enable-by-default = true: tomlkit changes it
    import tomlkit
    import tomlkit.exceptions

    try:
        doc = tomlkit.parse(text)
        off = tomlkit.item(False)
        off.comment(_OFF_COMMENT)
        off.trivia.comment_ws = "  "
        _change(doc, off=off)
        new_text = tomlkit.dumps(doc)
        same = tomllib.loads(new_text) == expected
    except (tomlkit.exceptions.TOMLKitError, tomllib.TOMLDecodeError) as exc:
        same, new_text = False, str(exc)
    if not same:
        raise ConfigError(
            "cannot write the sdist's pyproject.toml without releasekit: the edited copy "
            "would read differently",
            "add enable-by-default = false to [tool.hatch.build.hooks.releasekit] by hand "
            "and set HATCH_BUILD_HOOK_ENABLE_RELEASEKIT=1 where you build",
        )
    return new_text

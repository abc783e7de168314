"""towncrier news fragments as intent files: ``newsfragments/<issue>.<type>[.<n>][.md|.rst]``.

A Python project's fragments say its next version as changesets do for npm packages: each
fragment's type is a bump (:data:`releasekit.project.intent.TOWNCRIER_PARTS`), its text the
changelog entry, under the type's section title, in towncrier's order.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from releasekit.project.intent import TOWNCRIER_PARTS, Intent, bad_file

__all__ = ["read_towncrier", "towncrier_directory"]

_TOWNCRIER_IGNORED = (".gitignore", ".gitkeep", ".keep", "readme*", "template*")


def towncrier_directory(project: Path, pyproject: Mapping[str, Any]) -> tuple[Path, dict[str,
                        tuple[str, str]]]:  # fmt: skip
    """Where a Python project's fragments live, and its types (title, part) by name.

    ``[tool.towncrier] directory`` if set; else ``<package_dir>/<package>/newsfragments``
    when ``package`` is set (towncrier's default); else ``newsfragments``. Custom types
    (``[[tool.towncrier.type]]`` or ``[tool.towncrier.fragment.<name>]``) replace the
    defaults, as in towncrier; their bump is :data:`TOWNCRIER_PARTS`' for a known name,
    else a patch.
    """
    table = pyproject.get("tool", {}).get("towncrier", {})
    table = table if isinstance(table, Mapping) else {}
    directory = table.get("directory")
    if isinstance(directory, str):
        folder = project / directory
    elif isinstance(table.get("package"), str):
        base = project / str(table.get("package_dir", "."))
        folder = base / str(table["package"]).replace(".", "/") / "newsfragments"
    else:
        folder = project / "newsfragments"
    types: dict[str, tuple[str, str]] = {}
    custom = table.get("type")
    if isinstance(custom, list):
        for item in custom:
            if isinstance(item, Mapping) and isinstance(item.get("directory"), str):
                name = item["directory"]
                title = str(item.get("name", name))
                types[name] = (title, TOWNCRIER_PARTS.get(name, (title, "patch"))[1])
    fragments = table.get("fragment")
    if isinstance(fragments, Mapping):
        for name, item in fragments.items():
            title = str(item.get("name", name.capitalize())) if isinstance(item, Mapping) else name
            types[name] = (TOWNCRIER_PARTS.get(name, (title, "patch"))[0] if not (
                isinstance(item, Mapping) and "name" in item) else title,
                TOWNCRIER_PARTS.get(name, (title, "patch"))[1])  # fmt: skip
    return folder, types or dict(TOWNCRIER_PARTS)


def read_towncrier(project: Path, pyproject: Mapping[str, Any], package: str) -> list[Intent]:
    """The fragments of the Python project at ``project``, each an intent for ``package``.

    A file whose name has no known type is an error naming it (towncrier's ``check`` refuses
    it too), except README, .gitignore, .gitkeep and the template.
    """
    folder, types = towncrier_directory(project, pyproject)
    if not folder.is_dir():
        return []
    table = pyproject.get("tool", {}).get("towncrier", {})
    template = table.get("template") if isinstance(table, Mapping) else None
    found = []
    for path in sorted(folder.iterdir()):
        lower = path.name.lower()
        if not path.is_file() or any(fnmatch.fnmatch(lower, p) for p in _TOWNCRIER_IGNORED):
            continue
        if isinstance(template, str) and path.name == Path(template).name:
            continue
        parts = path.name.split(".")
        at = next((i for i in range(len(parts) - 1, 0, -1) if parts[i] in types), None)
        if at is None:
            raise bad_file(
                path,
                "is not a news fragment: no type in its name",
                f"name it <issue>.<type>.md with a type of {', '.join(types)} "
                "(e.g. 123.feature.md), or move it out of the fragments directory",
            )
        rest = parts[at + 1 :]
        if rest and rest[0].isdigit():
            rest = rest[1:]
        if len(rest) > 1:
            raise bad_file(path, "has more after its type than a counter and an extension",
                       "name it <issue>.<type>[.<counter>].md")  # fmt: skip
        issue = ".".join(parts[:at])
        title, part = types[parts[at]]
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise bad_file(path, f"not readable UTF-8 text ({exc})", "fix or remove it") from None
        shown = "" if issue.startswith("+") or not issue else issue
        found.append(Intent(path, ((package, part),), text, title, shown))
    return found

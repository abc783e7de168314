"""releasekit smoke check: is the installed distribution the one built, and does it import?

Runs as ``python -I check.py REQUEST RESULT`` inside the smoke venv (any Python >= 3.9,
without releasekit or packaging: standard library only), from an empty working directory.
REQUEST is a JSON file with what to check (``name``, ``modules``, ``version_module``,
``entry_points``); RESULT is where it writes what it found: the failures, and the raw
version strings (the installed distribution's, and ``__version__`` of ``version_module``),
which releasekit compares with packaging, not here. It never stops at the first failure,
so one run reports every broken import and entry point.

This script's directory is taken off ``sys.path`` first: its other scripts must not stand
in for the package's own top-level modules.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import traceback
from importlib import metadata
from typing import Any


def _drop_own_directory() -> None:
    """Take this script's directory off ``sys.path`` (Python < 3.11 puts it first even
    with ``-I``)."""
    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        del sys.path[0]


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def last_line(exc: BaseException) -> str:
    """The line of a traceback that says what went wrong."""
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def _installed(wanted: str) -> metadata.Distribution | None:
    """The installed distribution named ``wanted`` (canonical), if any."""
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"] or ""
        except Exception:
            continue
        if canonical(name) == wanted:
            return dist
    return None


def _entry_point_failures(found: metadata.Distribution) -> list[dict[str, str]]:
    """Every console or GUI script of ``found`` that does not load, with its error."""
    failures = []
    for ep in found.entry_points:
        if ep.group not in ("console_scripts", "gui_scripts"):
            continue
        try:
            ep.load()
        except (Exception, SystemExit) as exc:
            failures.append(
                {
                    "kind": "entry point",
                    "group": ep.group,
                    "what": ep.name + " = " + ep.value,
                    "error": last_line(exc),
                }
            )
    return failures


def check(data: dict[str, Any]) -> dict[str, Any]:
    """What the request asks about the installed distribution: failures and versions."""
    failures: list[dict[str, str]] = []
    report: dict[str, Any] = {"failures": failures, "version": None, "module_version": None}
    found = _installed(canonical(data["name"]))
    if found is None:
        failures.append({"kind": "missing", "what": data["name"], "error": ""})
        return report
    report["version"] = found.version
    for module in data["modules"]:
        try:
            imported = importlib.import_module(module)
        except (Exception, SystemExit) as exc:
            failures.append({"kind": "import", "what": module, "error": last_line(exc)})
            continue
        if module == data["version_module"]:
            try:
                value = getattr(imported, "__version__", None)
            except Exception:  # a lazy module __getattr__ that fails: nothing to compare
                value = None
            if isinstance(value, str):
                report["module_version"] = value
    if data["entry_points"]:
        failures.extend(_entry_point_failures(found))
    return report


def main(argv: list[str]) -> None:
    """Read the request, check, write the report."""
    with open(argv[0], encoding="utf-8") as handle:
        data = json.load(handle)
    report = check(data)
    with open(argv[1], "w", encoding="utf-8") as handle:
        json.dump(report, handle)


if __name__ == "__main__":
    _drop_own_directory()
    main(sys.argv[1:])

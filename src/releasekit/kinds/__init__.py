"""What is released: the kinds of package (see :mod:`releasekit.kinds.base`).

A workspace member's kind is decided by :mod:`releasekit.project.workspace` from the files in its
directory; :func:`kind_of` maps it to the object that checks, builds, reuses, smoke-tests
and installs that kind. A new kind is one module here and one line in :data:`KINDS`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.kinds.base import Kind

__all__ = ["KINDS", "kind_of"]

KINDS = {
    "python": "releasekit.kinds.python:PythonKind",
    "npm": "releasekit.kinds.npm:NpmKind",
}
_made: dict[str, Kind] = {}


def kind_of(key: str) -> Kind:
    """The kind registered as ``key`` (a workspace member's ``kind``; ``"python"`` for a
    single project)."""
    if key not in _made:
        module, _, name = KINDS[key].partition(":")
        _made[key] = getattr(importlib.import_module(module), name)()
    return _made[key]

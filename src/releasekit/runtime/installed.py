"""Import a library releasekit depends on from the installed packages, never from the
project being released.

``python -m nox`` (and a noxfile's own directory) put the project's root first on
``sys.path``. Released at its own tag, pydantic's repository has a ``pydantic/`` package
there: pypi-simple's ``import pydantic`` took the source tree instead of the installed
pydantic, and failed on its pydantic-core version (found on pydantic v2.13.4). The
libraries releasekit imports late (pypi-simple, githubkit and what they import) are loaded
with the project's directory left out, so they and their dependencies come from
site-packages; once in ``sys.modules`` they stay.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

__all__ = ["import_installed"]


def import_installed(name: str) -> ModuleType:
    """``importlib.import_module(name)`` with the current directory off ``sys.path``."""
    if name in sys.modules:
        return sys.modules[name]
    here = os.path.realpath(os.getcwd())
    saved = sys.path[:]
    sys.path[:] = [p for p in saved if os.path.realpath(p or ".") != here]
    try:
        return importlib.import_module(name)
    finally:
        sys.path[:] = saved

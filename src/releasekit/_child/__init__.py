"""Scripts releasekit runs in *other* interpreters, each as a file: ``python PATH ARGS``.

A build environment, a smoke venv, a target Python for its wheel tags or marker
environment, a tool started ahead of its run: none of them has releasekit installed, and
any of them may be Python 3.9. So each script here uses the standard library only, runs on
Python >= 3.9, imports nothing from releasekit (not even its siblings; the signing child
loads the package from the directory it is given, see ``attest.py``; the strict index
imports ``index_state.py``, a module of its own beside it), and takes its input
from its arguments or a file, never as code. Kept as modules rather than strings so that
ruff and mypy check them like the rest of the package.

This package's ``__init__`` only names the files; importing it imports no script.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ATTEST", "BACKEND", "CHECK", "MARKERS", "STRICT_INDEX", "TAGS", "WARM"]

_HERE = Path(__file__).resolve().parent

ATTEST = _HERE / "attest.py"  # PEP 740 signing in the tools venv
BACKEND = _HERE / "backend.py"  # one PEP 517 step in a build environment
CHECK = _HERE / "check.py"  # the smoke venv's import and entry point check
MARKERS = _HERE / "markers.py"  # an interpreter's PEP 508 marker environment
STRICT_INDEX = _HERE / "strict_index.py"  # the rehearsal's index: pypiserver + PyPI's rules
# not a script: index_state.py, the strict index's state, which it imports from beside itself
# and releasekit (LocalIndex) as releasekit._child.index_state
TAGS = _HERE / "tags.py"  # the wheel tags an interpreter accepts
WARM = _HERE / "warm.py"  # ``python -m MODULE`` started ahead, waiting for its arguments

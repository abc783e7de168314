"""One PEP 517 step in a build environment: ``get_requires_for_build_X``, then ``build_X``.

Runs as ``python backend.py PHASE OUT RESULT BACKEND SKIP`` in the build environment's
interpreter (any Python >= 3.9, without releasekit: standard library only), with the
source tree as its working directory: PHASE is ``sdist`` or ``wheel``, OUT the output
directory, RESULT the JSON file to write, BACKEND ``module:object``, and SKIP ``1`` not to
ask for requirements (they were just installed). Extra requirements are handed back in
RESULT (and the process ends) before anything is built, so releasekit installs them and
runs the step again.

Run from a file, as pyproject_hooks runs its helper: the source tree is the working
directory but not on ``sys.path`` (``-c`` would put it there, and a backend could import
the project instead of itself); nor is this script's directory, whose other scripts must
not stand in for a backend's modules.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any


def _drop_own_directory() -> None:
    """Take this script's directory off ``sys.path`` (Python puts it first)."""
    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        del sys.path[0]


def main(argv: list[str]) -> None:
    """Ask the backend for more requirements, or build; the answer goes to RESULT."""
    phase, out, result, name, skip = argv[:5]
    module, _, attrs = name.partition(":")
    backend: Any = importlib.import_module(module)
    for attr in filter(None, attrs.split(".")):
        backend = getattr(backend, attr)
    ask = getattr(backend, "get_requires_for_build_" + phase, None)
    if skip != "1" and ask is not None:
        requires = list(ask(None))
        if requires:
            with open(result, "w", encoding="utf-8") as handle:
                json.dump({"requires": requires}, handle)
            return
    built = getattr(backend, "build_" + phase)(out, None)
    with open(result, "w", encoding="utf-8") as handle:
        json.dump({"built": built}, handle)


if __name__ == "__main__":
    _drop_own_directory()
    main(sys.argv[1:])

"""``python -m MODULE ARGS...`` started ahead of its run, its imports done.

Runs as ``python warm.py MODULE PRELOAD... -- ARGS...`` in the tool's interpreter (any
Python >= 3.9, without releasekit: standard library only). It imports the modules the
tool needs (what takes most of a Python tool's start: twine imports for ~0.3 s), then
waits for one line on stdin: a JSON list of the arguments that follow ARGS (those not
known when it was started). Then it runs ``python -m MODULE ARGS MORE`` as that command
line would. EOF (the parent has exited, or dropped it) ends it without running anything.
The command line and the environment are fixed when it starts, so /proc and ps show what
runs, and a credential the run needs is in its environment from exec, as for any child.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import sys


def _as_dash_c() -> None:
    """``sys.path`` as ``python -c`` (and so the tool's ``-m``) starts it: the working
    directory first, in place of this script's directory."""
    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        sys.path[0] = ""


def main(argv: list[str]) -> None:
    """Preload, wait for the rest of the arguments, then run the module as ``-m`` would."""
    split = argv.index("--")
    module, preload, args = argv[0], argv[1:split], argv[split + 1 :]
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # the run itself reports what is wrong, as a cold start would
            pass
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    sys.argv = [module, *args, *json.loads(line)]
    sys.stdin.close()
    sys.stdin = open(os.devnull)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _as_dash_c()
    main(sys.argv[1:])

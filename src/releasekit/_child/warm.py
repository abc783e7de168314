"""``python -m MODULE ARGS...`` started ahead of its run, its imports done.

Runs as ``python warm.py MODULE PRELOAD... -- ARGS...`` in the tool's interpreter (any
Python >= 3.9, without releasekit: standard library only). It imports the modules the
tool needs (what takes most of a Python tool's start: twine imports for ~0.3 s), then
waits for one line on stdin: a JSON list of the arguments that follow ARGS (those not
known when it was started). Then it runs ``python -m MODULE ARGS MORE`` as that command
line would. EOF (the parent has exited, or dropped it) ends it without running anything.

The parent keeps the pipe open while the tool runs, and closes it only once the tool has
exited: EOF while the tool still runs means releasekit is gone (SIGKILL, a crash), and a
watchdog thread then kills the tool's whole process group at once. A prestarted
``twine upload`` never lands a file after the release that started it has died, when
nothing would journal it and the release's lock is free for another run.
The command line and the environment are fixed when it starts, so /proc and ps show what
runs, and a credential the run needs is in its environment from exec, as for any child.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import signal
import sys
import threading


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
    _watch_parent()
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def _watch_parent() -> None:
    """Kill this process (and its group) when the parent's end of stdin closes.

    The pipe moves to a descriptor of its own (not inherited: a child of the tool must not
    hold it open), and the tool's stdin becomes the null device, as for every command
    releasekit runs.
    """
    watched = os.dup(0)  # non-inheritable, as every descriptor Python makes
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull)

    def watch() -> None:
        while True:
            try:
                data = os.read(watched, 4096)
            except InterruptedError:
                continue
            except OSError:
                data = b""
            if not data:
                break
        group = os.getpgrp() if hasattr(os, "getpgrp") else None
        if group is not None and group == os.getpid():
            os.killpg(group, signal.SIGKILL)
        os._exit(137)

    threading.Thread(target=watch, daemon=True, name="releasekit-parent-watch").start()


if __name__ == "__main__":
    _as_dash_c()
    main(sys.argv[1:])

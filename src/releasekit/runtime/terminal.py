"""The one question releasekit asks a person: "upload now? [y/N]", at a terminal only.

Every front end that can upload (the nox sessions, ``releasekit publish``, ``releasekit
status --finish``) asks through :func:`ask`, so the answer means the same everywhere: only
``y`` or ``yes`` is a yes; Ctrl-D (end of input) is a no, said on a line of its own, never a
traceback; and without a terminal there is nobody to ask (``None``: the caller refuses and
names ``--yes``).
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["ask"]


def ask(question: str, *, out: TextIO | None = None) -> bool | None:
    """``question`` asked on ``out`` (default: stdout); whether the answer was yes, or
    ``None`` when stdin is not a terminal."""
    if not sys.stdin.isatty():
        return None
    out = out or sys.stdout
    print(question, end="", file=out, flush=True)
    answer = sys.stdin.readline()
    if not answer:  # end of input (Ctrl-D): no answer is not a yes
        print(file=out, flush=True)
        return False
    return answer.strip().lower() in ("y", "yes")

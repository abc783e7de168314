"""Turn a CI cancel (SIGTERM) into the same clean stop as Ctrl-C.

Filled in by the journal/lock work; ``install`` is called once by ``sessions.register``.
"""

from __future__ import annotations

__all__ = ["install"]


def install() -> None:
    """Install releasekit's signal handlers (idempotent)."""

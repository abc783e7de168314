"""Stopping a rehearsal's local servers: all of them, each once, at the same time.

A Ctrl-C or a cancelled CI job stops every server the process started
(``releasekit.rehearsal.stop_all``); a server slow to stop (its 5 s terminate, then kill)
must not make the others wait behind it, so they are stopped side by side.
"""

from __future__ import annotations

import threading

import pytest

from releasekit import rehearsal


class _Server:
    """Stops only once every server's stop has begun: stopped one after another, the first
    would wait in vain."""

    def __init__(self, name: str, together: threading.Barrier, stopped: list[str]) -> None:
        self.name, self.together, self.stopped = name, together, stopped

    def stop(self) -> None:
        try:
            self.together.wait()
        except threading.BrokenBarrierError:
            self.stopped.append(f"{self.name} alone")
            return
        self.stopped.append(self.name)


def test_every_server_is_stopped_once_and_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[str] = []
    together = threading.Barrier(3, timeout=5)
    servers = [_Server(name, together, stopped) for name in ("test", "prod", "npm")]
    monkeypatch.setattr(rehearsal, "_servers", list(servers))
    rehearsal.stop_all()
    assert sorted(stopped) == ["npm", "prod", "test"]
    rehearsal.stop_all()  # idempotent: nothing is stopped twice
    assert sorted(stopped) == ["npm", "prod", "test"]

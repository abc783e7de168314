"""The one question releasekit asks before a real upload: yes only for y/yes, Ctrl-D a no
(no traceback), nobody to ask without a terminal."""

from __future__ import annotations

import io

import pytest

from releasekit.runtime import terminal


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("typed", "answer"),
    [("y\n", True), ("YES\n", True), ("n\n", False), ("\n", False), ("", False)],
    ids=["y", "YES", "n", "enter", "ctrl-d"],
)
def test_only_y_or_yes_is_a_yes_and_ctrl_d_is_a_no(
    typed: str, answer: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _Tty(typed))
    out = io.StringIO()
    assert terminal.ask("upload 2 file(s) to prod? [y/N] ", out=out) is answer
    said = out.getvalue()
    assert said.startswith("upload 2 file(s) to prod? [y/N] ")
    assert said.endswith("\n") is (typed == "")  # Ctrl-D ends the line the prompt left open


def test_without_a_terminal_nobody_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    out = io.StringIO()
    assert terminal.ask("upload? ", out=out) is None
    assert out.getvalue() == ""

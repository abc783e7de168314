"""``once_per_run``: what xdist workers share is made once, whole, and only once.

Two workers (threads here, each with its own ``flock`` open, which excludes the other the
way a second process would) ask for the same directory at once: ``make`` runs once, and
neither sees it before it is complete.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.helpers.shared import once_per_run


class _Factory:
    """The two methods of ``pytest.TempPathFactory`` that ``once_per_run`` uses."""

    def __init__(self, basetemp: Path) -> None:
        self.basetemp = basetemp

    def getbasetemp(self) -> Path:
        return self.basetemp

    def mktemp(self, name: str) -> Path:
        path = self.basetemp / name
        path.mkdir(parents=True)
        return path


def test_workers_share_one_directory_made_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    calls: list[Path] = []
    seen: dict[str, list[str]] = {}

    def make(path: Path) -> None:
        calls.append(path)
        time.sleep(0.2)  # long enough for the other worker to be waiting on the lock
        (path / "releasekit-0.1.0-py3-none-any.whl").write_text("wheel")

    def worker(name: str) -> None:
        factory = _Factory(tmp_path / "pytest-1" / f"popen-{name}")
        factory.basetemp.mkdir(parents=True)
        made = once_per_run(factory, "wheelhouse", make)  # type: ignore[arg-type]
        seen[name] = sorted(p.name for p in made.iterdir())

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("gw0", "gw1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1, calls
    assert seen == {n: ["releasekit-0.1.0-py3-none-any.whl"] for n in ("gw0", "gw1")}
    assert (tmp_path / "pytest-1" / "wheelhouse").is_dir()
    assert not (tmp_path / "pytest-1" / "wheelhouse.partial").exists()


def test_a_failed_make_leaves_nothing_and_the_next_worker_tries_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    factory = _Factory(tmp_path / "pytest-1" / "popen-gw0")
    factory.basetemp.mkdir(parents=True)

    def fail(path: Path) -> None:
        (path / "half").write_text("")
        raise RuntimeError("the build failed")

    with pytest.raises(RuntimeError, match="the build failed"):
        once_per_run(factory, "wheelhouse", fail)  # type: ignore[arg-type]
    assert not (tmp_path / "pytest-1" / "wheelhouse").exists()

    made = once_per_run(factory, "wheelhouse", lambda p: (p / "ok").write_text(""))  # type: ignore[arg-type]
    assert sorted(p.name for p in made.iterdir()) == ["ok"]


def test_without_xdist_it_is_a_private_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    factory = _Factory(tmp_path / "pytest-1")
    factory.basetemp.mkdir(parents=True)

    made = once_per_run(factory, "wheelhouse", lambda p: (p / "ok").write_text(""))  # type: ignore[arg-type]

    assert made == tmp_path / "pytest-1" / "wheelhouse"
    assert sorted(p.name for p in made.iterdir()) == ["ok"]

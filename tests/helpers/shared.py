"""Made once per test run, whether pytest runs alone or as several xdist workers.

A session-scoped fixture runs once per *process*: under ``pytest -n 2`` each worker would
build its own copy. For inputs that are only read (releasekit's wheel, a wheelhouse of
downloaded wheels), :func:`once_per_run` makes the directory once in the directory all
workers of this run share (the parent of each worker's ``basetemp``), under an exclusive
``flock``; the other workers wait for it and reuse it. Anything a test may change stays
per worker (``tmp_path_factory.mktemp``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (POSIX; elsewhere, where xdist workers are
    not used by this suite, no lock), released by the kernel even if the holder dies."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """The directory ``name`` that ``make(directory)`` fills, made once for the whole run.

    Without xdist this is ``tmp_path_factory.mktemp(name)``. Under xdist the first worker to
    take the lock makes it in a private directory and renames it into place, so a worker
    never sees a half-made one, and one whose ``make`` failed leaves nothing behind: the
    next worker tries again and fails the same way, with its own message.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        path = tmp_path_factory.mktemp(name)
        make(path)
        return path
    root = tmp_path_factory.getbasetemp().parent  # pytest-N/, shared by gw0, gw1, ...
    target = root / name
    with exclusive(root / f"{name}.lock"):
        if not target.is_dir():
            partial = root / f"{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            make(partial)
            partial.rename(target)
    return target

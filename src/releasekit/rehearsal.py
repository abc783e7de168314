"""The embedded index that stands in for both TestPyPI and PyPI in ``--rehearse``.

Two pypiserver processes on free loopback ports (one "test", one "prod"), with upload
authentication on and fallback to PyPI off, run from a virtualenv of their own that is
made once and reused. Their storage is kept per commit, so a rehearsal rerun on the same
commit finds its earlier uploads (and is a no-op), and a new commit starts from empty
indexes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from releasekit import proc
from releasekit.config import IndexConfig
from releasekit.localindex import LocalIndex

__all__ = ["Rehearsal", "local_indexes"]


@dataclass(frozen=True)
class Rehearsal:
    """The stand-in indexes and the environment that holds their (throwaway) credentials."""

    indexes: Mapping[str, IndexConfig]
    environ: Mapping[str, str]


@contextlib.contextmanager
def local_indexes(state_dir: Path, key: str, *, log: proc.Log) -> Iterator[Rehearsal]:
    """Start the test and prod stand-ins for the build of ``key`` (a commit) and stop them."""
    storage = state_dir / "indexes" / key
    if storage.parent.is_dir():  # an earlier commit's rehearsal is of no further use
        for other in storage.parent.iterdir():
            if other != storage:
                shutil.rmtree(other, ignore_errors=True)
    venv_dir = state_dir / "pypiserver-venv"
    environ = dict(os.environ)
    indexes = {}
    with contextlib.ExitStack() as stack:
        for name in ("test", "prod"):
            server = stack.enter_context(
                LocalIndex(storage / name, venv_dir=venv_dir, log=log)
            )
            index = IndexConfig(name=name, url=server.url, publish_url=server.publish_url)
            environ[f"{index.env_prefix}_USERNAME"] = server.username
            environ[f"{index.env_prefix}_PASSWORD"] = server.password
            indexes[name] = index
            log(f"rehearsal: local {name} index at {server.url}")
        yield Rehearsal(indexes=indexes, environ=environ)

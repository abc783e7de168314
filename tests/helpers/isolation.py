"""What one test leaves in the pytest process that the next test must not find.

releasekit prestarts a child (``twine check``, ``twine upload``) so that it is warm when the
release reaches it; a test that builds or publishes in process and stops before that run
leaves the spare in the process-wide list of ``proc``. Which test runs next in the same
process depends on the order, and under xdist on the worker, so every test ends by stopping
the spares it left (``drop_prestarted``: idempotent, nothing to do when none wait).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

# Looked up among the loaded modules, not imported: a test that never loaded ``proc``
# cannot have prestarted anything.
_PROC = "releasekit.runtime.proc"


@pytest.fixture(autouse=True)
def _no_prestarted_processes_left() -> Iterator[None]:
    """After each test, stop the prestarted children no run took."""
    yield
    module = sys.modules.get(_PROC)
    if module is not None:
        module.drop_prestarted()

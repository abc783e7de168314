"""What the npm tests share: where verdaccio is installed once and reused across runs."""

from __future__ import annotations

import os
from pathlib import Path


def verdaccio_cache() -> Path:
    """``$RELEASEKIT_TEST_CACHE`` or ``~/.cache/releasekit-tests``: verdaccio is installed
    there once (about 15 s) and reused by every test run."""
    root = os.environ.get("RELEASEKIT_TEST_CACHE") or Path.home() / ".cache" / "releasekit-tests"
    return Path(root)

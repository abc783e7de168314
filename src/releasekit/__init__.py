"""releasekit: a release that cannot disagree with its tag, built once and published safely.

The hatch plugin imports this package in every build of a user's project, so it stays empty
of anything heavier than the standard library.
"""

from __future__ import annotations

__version__ = "0.1.0"

"""The wheel tags an interpreter accepts, most preferred first, as a JSON list on stdout.

Runs as ``python -I tags.py DIR`` on the *target* interpreter (any Python >= 3.9, without
releasekit: standard library only), where DIR holds the pure-Python ``packaging`` that
releasekit runs with: put on ``sys.path`` for this one question, so the target needs
nothing installed.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> None:
    """Print ``packaging.tags.sys_tags()`` of this interpreter."""
    sys.path.insert(0, argv[0])
    from packaging import tags

    print(json.dumps([str(tag) for tag in tags.sys_tags()]))


if __name__ == "__main__":
    main(sys.argv[1:])

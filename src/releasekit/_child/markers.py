"""An interpreter's PEP 508 marker environment, as one JSON object on stdout.

Runs as ``python -I markers.py`` on the *target* interpreter (any Python >= 3.9, without
releasekit or packaging: standard library only), so it mirrors
``packaging.markers.default_environment()``: dependencies are selected by the markers of
the Python that will run them.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from typing import Any


def full_version(info: Any) -> str:
    """``3.13.0`` or ``3.14.0b2``: a ``sys.version_info``-like value as markers spell it."""
    version = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def environment() -> dict[str, str]:
    """The marker variables of the running interpreter."""
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


if __name__ == "__main__":
    print(json.dumps(environment()))

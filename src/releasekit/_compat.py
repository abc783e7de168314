"""What differs between the Pythons releasekit supports (3.9 to 3.14), stated once.

``tomllib`` is in the standard library from Python 3.11; before that its original,
``tomli``, is a releasekit dependency (and a hatchling one, so it is there in every build
environment). Modules that parse TOML do ``from releasekit._compat import tomllib``, inside
the function that parses when the hatch plugin may import them: this module is on the
plugin's path, so it imports the standard library and ``tomli`` only.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # a releasekit (and hatchling) dependency on these Pythons
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["tomllib"]

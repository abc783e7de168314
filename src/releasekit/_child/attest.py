"""The PEP 740 signing child: load releasekit's signing module and sign.

Runs as ``python -I attest.py PACKAGE sign RESULT FILE...`` in releasekit's tools
virtualenv (where twine, sigstore and pypi-attestations are), which has no releasekit
installed. PACKAGE is releasekit's package directory: the ``releasekit`` package is loaded
from it without putting its parent (the nox environment's site-packages) on ``sys.path``,
then the signing module by its file, not as ``releasekit.targets.pypi.attest``: the
packages above it import what the tools venv lacks (``packaging``), and signing needs none
of it. Standard library only here; the module's ``_worker`` does the signing.
"""

from __future__ import annotations

import importlib.util
import os
import sys


def _load(name: str, path: str, search: list[str] | None = None) -> object:
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=search)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # a dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    package, *rest = argv
    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        del sys.path[0]  # a sibling script must never stand in for a module it imports
    _load("releasekit", os.path.join(package, "__init__.py"), [package])
    attest = _load("releasekit_attest", os.path.join(package, "targets", "pypi", "attest.py"))
    worker = getattr(attest, "_worker")  # noqa: B009 - a private entry point, by design
    return int(worker(rest))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

# /// script
# dependencies = ["nox>=2025.2.9", "releasekit[nox]"]
# ///
"""releasekit's own development sessions, and its release through its own sessions.

Run with::

    nox                             # tests, lint, typecheck
    nox -s release -- --rehearse    # releasekit released to a local index, end to end
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

try:
    import releasekit.sessions
except ImportError:  # nox installed on its own (pipx, uvx): use this checkout
    sys.path.insert(0, str(Path(__file__).parent / "src"))
    import releasekit.sessions

nox.needs_version = ">=2025.2.9"
nox.options.error_on_missing_interpreters = True
nox.options.default_venv_backend = "uv|virtualenv"
# Plain `nox` runs the development checks; the release sessions only run when named.
nox.options.sessions = ["tests", "lint", "typecheck"]

releasekit.sessions.register()


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit and integration) against this checkout."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


# What ruff checks and formats; .ci/run checks the same.
LINTED = ("src", "tests", "benchmarks", "noxfile.py")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and formatting) and the import contracts (lint-imports), as .ci/run."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)
    session.run("lint-imports", "--no-cache")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package and its child scripts, as .ci/run."""
    # the test extra brings what src imports for types: nox, githubkit, hatchling, ...
    session.install("-e", ".[test,lint]")
    session.run("mypy")

"""The fixtures every test can use, registered from ``tests/helpers`` (see its docstring)."""

from __future__ import annotations

pytest_plugins = [
    "tests.helpers.projects",
    "tests.helpers.index",
    "tests.helpers.sessions",
    "tests.helpers.hatch",
    "tests.helpers.isolation",
    "tests.helpers.wheels",
    "tests.helpers.tools_cache",
]

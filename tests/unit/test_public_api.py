"""The names users and their CI depend on, pinned: everything else in releasekit is internal.

The public surface is the noxfile API (``releasekit.sessions.register`` and the session
names), the ``releasekit`` command, the hatch plugin by its name ``releasekit`` and the
error family. Modules move (the layout of subpackages did); these must not.
"""

from __future__ import annotations

import importlib.metadata
import inspect

import releasekit
from releasekit import errors, sessions
from releasekit.cli import main


def test_the_package_exposes_only_its_version() -> None:
    """``releasekit/__init__`` is imported by the hook in every build: it holds nothing but
    ``__version__`` (its submodules show up as attributes once imported)."""
    defined = {
        name
        for name, value in vars(releasekit).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert defined == {"annotations"}  # from __future__ import annotations
    assert releasekit.__version__


def test_the_noxfile_api_and_the_session_names() -> None:
    assert list(inspect.signature(sessions.register).parameters) == ["python"]
    assert sessions.SESSIONS == (
        "check", "build", "smoke-install", "publish-test", "publish", "github-release", "release",
    )  # fmt: skip


def test_the_command_and_the_hatch_plugin_are_found_by_their_names() -> None:
    dist = importlib.metadata.distribution("releasekit")
    scripts = {e.name: e.value for e in dist.entry_points if e.group == "console_scripts"}
    assert scripts == {"releasekit": "releasekit.cli:main"}
    hatch = {e.name: e for e in dist.entry_points if e.group == "hatch"}
    plugin = hatch["releasekit"].load()
    assert plugin.hatch_register_build_hook().PLUGIN_NAME == "releasekit"
    assert plugin.hatch_register_version_source().PLUGIN_NAME == "releasekit"
    assert callable(main)


def test_every_expected_failure_is_a_releasekit_error_with_a_hint() -> None:
    failures = [
        value
        for value in vars(errors).values()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__ == errors.__name__
    ]
    assert errors.ReleasekitError in failures and len(failures) > 1
    assert all(issubclass(f, errors.ReleasekitError) for f in failures)
    error = errors.ReleasekitError("what is wrong", "what to do")
    assert (error.message, error.hint) == ("what is wrong", "what to do")

"""Registers releasekit's hatch plugins (the ``hatch`` entry point points here).

hatchling imports this module in every build that loads third-party plugins, so each plugin
module is imported only when hatchling asks for its kind: a build hook lookup does not import
the version source (and its file carriers), nor the other way round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hatchling.plugin import hookimpl

if TYPE_CHECKING:
    from releasekit.hatch_plugin.build_hook import ReleasekitBuildHook
    from releasekit.hatch_plugin.version_source import ReleasekitVersionSource


@hookimpl
def hatch_register_build_hook() -> type[ReleasekitBuildHook]:
    from releasekit.hatch_plugin.build_hook import ReleasekitBuildHook

    return ReleasekitBuildHook


@hookimpl
def hatch_register_version_source() -> type[ReleasekitVersionSource]:
    from releasekit.hatch_plugin.version_source import ReleasekitVersionSource

    return ReleasekitVersionSource

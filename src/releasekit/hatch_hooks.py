"""Registers releasekit's hatch plugins (the ``hatch`` entry point points here)."""

from __future__ import annotations

from hatchling.plugin import hookimpl

from releasekit.hatch_build_hook import ReleasekitBuildHook
from releasekit.hatch_version_source import ReleasekitVersionSource


@hookimpl
def hatch_register_build_hook() -> type[ReleasekitBuildHook]:
    return ReleasekitBuildHook


@hookimpl
def hatch_register_version_source() -> type[ReleasekitVersionSource]:
    return ReleasekitVersionSource

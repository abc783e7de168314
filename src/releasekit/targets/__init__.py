"""Where a release goes: the registry of target kinds (see :mod:`releasekit.targets.base`).

A new kind of destination is one module with a :class:`~releasekit.targets.base.Target`
subclass and one line here. Entries name ``module:Class`` and are imported only when a
release configures its targets, so nothing here weighs on the hatch plugin or the CLI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.engine.runcontext import Project
    from releasekit.targets.base import Target

__all__ = ["REGISTRY", "configure", "target_kinds"]

REGISTRY: list[str | type[Target]] = [
    "releasekit.targets.pypi:IndexTarget",
    "releasekit.targets.npm:NpmRegistryTarget",
    "releasekit.targets.github:GitHubReleaseTarget",
]


def target_kinds() -> list[type[Target]]:
    """The registered target classes, in registry order (the order a release writes the
    targets of one stage in)."""
    kinds = []
    for entry in REGISTRY:
        if isinstance(entry, str):
            module, _, name = entry.partition(":")
            entry = getattr(importlib.import_module(module), name)
        kinds.append(entry)
    return kinds


def configure(project: Project, *, withdrawing: bool = False) -> list[Target]:
    """Every target ``project`` goes to, by stage, then in registry order."""
    targets = [
        t for kind in target_kinds() for t in kind.configure(project, withdrawing=withdrawing)
    ]
    from releasekit.engine.remote import Stage

    stages = list(Stage)  # TEST, PROD, AFTER_PROD: the order a release writes them in
    return sorted(targets, key=lambda t: stages.index(t.stage))

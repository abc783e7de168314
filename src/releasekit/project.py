"""The project being released: its name and its current version.

The version comes from the version files when there are any (or a static
``[project].version``), else from hatchling itself for a dynamic version (hatch-vcs, the
regex source), so ``releasekit version`` and ``nox -s check`` agree with what a build makes.
"""

from __future__ import annotations

from pathlib import Path

from releasekit import carriers
from releasekit.config import Config, load_pyproject
from releasekit.errors import CarrierError

__all__ = ["project_name", "project_version"]


def project_name(root: Path) -> str:
    """``[project].name``, or the directory's name when it has none."""
    name = load_pyproject(root).get("project", {}).get("name")
    return str(name) if name else root.resolve().name


def project_version(config: Config) -> tuple[str, list[carriers.Reading]]:
    """The current version and every version file's reading (empty for a dynamic version)."""
    try:
        readings = carriers.read_all(config.carrier_specs(), config.root)
    except CarrierError:
        # Only a dynamic version is hatchling's to compute. A static [project].version that
        # fails to read (not PEP 440, not a string) keeps releasekit's message, which names
        # the file and the value, instead of hatchling's.
        if config.version_files or _has_static_version(config.root):
            raise
        return _hatchling_version(config.root), []
    return readings[0].version, readings


def _has_static_version(root: Path) -> bool:
    project = load_pyproject(root).get("project")
    return isinstance(project, dict) and "version" in project


def _hatchling_version(root: Path) -> str:
    """Ask hatchling for a dynamic version, when hatchling (and its plugin) is installed."""
    try:
        from hatchling.metadata.core import ProjectMetadata
        from hatchling.plugin.manager import PluginManager
    except ImportError:
        raise CarrierError(
            "pyproject.toml has no static [project].version and hatchling is not installed "
            "to compute the dynamic one",
            "set [tool.releasekit] version-files, or install hatchling (and your version "
            "source plugin) next to releasekit",
        ) from None
    try:
        return str(ProjectMetadata(str(root), PluginManager()).version)
    except Exception as exc:  # the plugin's own error, whatever its type
        raise CarrierError(
            f"hatchling could not compute the version: {exc}",
            "check [tool.hatch.version], or set [tool.releasekit] version-files",
        ) from None

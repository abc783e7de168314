"""The ``releasekit`` hatch version source: one version, written into every file that has it.

``[tool.hatch.version] source = "releasekit"`` reads the version from the first entry of
``[tool.releasekit] version-files`` and refuses to go on when another entry disagrees;
``hatch version minor`` then writes the new version into all of them (hatch-vcs cannot
write a version at all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.version.source.plugin.interface import VersionSourceInterface

from releasekit.core import carriers
from releasekit.core.config import CarrierSpec, load_config
from releasekit.errors import ConfigError

# [tool.hatch.version] is shared with hatchling's version scheme, which reads these keys
# itself (``validate-bump = false`` is how a project allows `hatch version` to go back).
_HATCHLING_KEYS = frozenset({"source", "scheme", "validate-bump"})


class ReleasekitVersionSource(VersionSourceInterface):
    """Version from ``version-files``; ``hatch version X`` writes all of them."""

    PLUGIN_NAME = "releasekit"

    def _specs(self) -> tuple[CarrierSpec, ...]:
        unknown = sorted(self.config.keys() - _HATCHLING_KEYS)
        # A third-party scheme takes options releasekit cannot know: only judge the standard one.
        if unknown and self.config.get("scheme", "standard") == "standard":
            raise ConfigError(
                f'[tool.hatch.version] takes no options with source = "releasekit", got {unknown}',
                "list the version files in [tool.releasekit] version-files",
            )
        specs = load_config(self.root).version_files
        if not specs:
            raise ConfigError(
                '[tool.hatch.version] source = "releasekit" needs [tool.releasekit] version-files',
                'e.g. version-files = ["src/pkg/__init__.py", "package.json"] '
                "(the first is the source of truth)",
            )
        return specs

    def get_version_data(self) -> dict[str, Any]:
        return {"version": carriers.check_consistent(self._specs(), Path(self.root))}

    def set_version(self, version: str, version_data: dict[str, Any]) -> None:
        carriers.write_all(self._specs(), Path(self.root), version)

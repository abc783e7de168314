"""The project being released: its name, its version, and the files that carry it.

The version is the one the project's own build computes (:mod:`releasekit.project.metadata`), so
``releasekit version`` and ``nox -s check`` agree with what a build makes, whatever
plugins compute it. ``version-files`` are then checked against it: a file that disagrees
with the build would ship a package whose ``__version__`` lies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from releasekit.core import carriers
from releasekit.core.config import Config
from releasekit.core.version import try_normalize
from releasekit.errors import CarrierError, ConfigError
from releasekit.project.metadata import ProjectMetadata, project_metadata, static_name
from releasekit.runtime import proc

__all__ = ["check_name", "project_name", "project_version", "release_metadata"]

# PEP 508's distribution name (the core metadata's Name): what every index accepts
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def check_name(name: str, root: Path) -> str:
    """``name``, when it is a valid distribution name; else a :class:`ConfigError` naming it.

    Said here, before anything is built: a name with a space (``my package``) otherwise
    surfaces later as a malformed index URL, or as a build backend's traceback.
    """
    if _NAME.match(name):
        return name
    raise ConfigError(
        f"{root / 'pyproject.toml'} [project] name {name[:100]!r} is not a valid distribution name",
        "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit "
        '(e.g. name = "my-package")',
    )


def project_name(root: Path) -> str:
    """``[project].name`` (never dynamic, so no build is needed); with no ``[project]``
    table, the name the project's build backend gives (computed once per commit)."""
    name = static_name(root)
    if name is not None:
        return check_name(name, root)
    from releasekit.core.config import load_config

    return check_name(project_metadata(load_config(root)).name, root)


def release_metadata(
    config: Config, *, log: proc.Log | None = None, env: Mapping[str, str] | None = None
) -> tuple[ProjectMetadata, list[carriers.Reading]]:
    """The build's name and version, and every version file's reading, checked to agree.

    ``env``: for the backend's process only (a VCS plugin's pretend version)."""
    meta = project_metadata(config, log=log, env=env)
    check_name(meta.name, config.root)
    if not config.version_files:
        return meta, []
    readings = carriers.read_all(config.version_files, config.root)
    version = try_normalize(meta.version) or meta.version
    wrong = [r for r in readings if r.version != version]
    if wrong:
        listed = ", ".join(r.describe() for r in wrong)
        raise CarrierError(
            f"the build computes version {meta.version} (from {meta.source}), but {listed}",
            _files_hint(config, version),
        )
    return meta, readings


def _files_hint(config: Config, version: str) -> str:
    """What to do when version files disagree with the build: write them (``releasekit
    bump``), or, where git tags are the version, stop listing files that only follow it."""
    from releasekit.core.config import load_pyproject
    from releasekit.project.vcsversion import vcs_source

    source = vcs_source(load_pyproject(config.root))
    if source is not None:
        return (
            f"the version comes from git tags ({source.plugin}), which `releasekit bump` "
            "cannot write: take the files it generates out of [tool.releasekit] version-files"
        )
    return (
        f"run `releasekit bump {version}` to write it into every file, or fix "
        "[tool.releasekit] version-files"
    )


def project_version(
    config: Config, *, log: proc.Log | None = None
) -> tuple[str, list[carriers.Reading]]:
    """The normalized version the build computes, and every version file's reading."""
    meta, readings = release_metadata(config, log=log)
    return try_normalize(meta.version) or meta.version, readings

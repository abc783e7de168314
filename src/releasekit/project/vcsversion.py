"""Versions that come from git tags, and the version the next tag will release.

With hatch-vcs, setuptools-scm, pdm-backend's ``scm`` source or poetry-dynamic-versioning
the tag *is* the version: one commit past ``v0.5.0`` the build says ``0.5.1.dev1+g<hash>``,
which no changelog section names and no index takes. A rehearsal (and ``check`` or
``releasekit version`` before the tag) works instead with the version the next tag will
release: given with ``--next-version``, else read from the changelog's top section, else
a patch bump of the last release tag (:func:`releasekit.core.version.next_version`).

That version is built with the plugin's own pretend mechanism, an environment variable
set for the build process only: nothing is written to the tree, and the files are byte
for byte what the tag will build (same commit, same ``SOURCE_DATE_EPOCH``, same version).
A real publish never uses it: a release is still made from a tag.

The hints for such a project speak its version source: "tag the commit", never ``hatch
version X`` (hatch-vcs has no setter) or ``releasekit bump`` (there are no files to write).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from releasekit.core import git
from releasekit.core.config import Config
from releasekit.core.version import NextVersion, next_version, tag_for, try_normalize
from releasekit.errors import VersionError

__all__ = [
    "VcsSource",
    "build_requirements",
    "next_release",
    "set_version_hint",
    "table_at",
    "vcs_source",
]


@dataclass(frozen=True)
class VcsSource:
    """The plugin that computes a project's version from git tags, and how it is told a
    version instead (its documented pretend variable)."""

    plugin: str  # "hatch-vcs", "setuptools-scm", ...
    # the pretend variables; "{NAME}" is the normalized distribution name
    variables: tuple[str, ...]

    def pretend_env(self, dist_name: str, version: str) -> dict[str, str]:
        """The environment that makes the plugin compute ``version`` for ``dist_name``."""
        name = _scm_dist_name(dist_name)
        return {variable.replace("{NAME}", name): version for variable in self.variables}


# setuptools-scm reads SETUPTOOLS_SCM_PRETEND_VERSION_FOR_<NAME> before the global
# SETUPTOOLS_SCM_PRETEND_VERSION: the per-distribution form touches no other package that
# setuptools-scm versions in the same build (a build requirement built from its sdist).
# setuptools passes the distribution's name; hatch-vcs (0.5) does not, so setuptools-scm
# only reads the global form there: it is set too, for the build backend's process only
# (build requirements are installed by another process, without it).
_PER_DIST = "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{NAME}"
HATCH_VCS = VcsSource("hatch-vcs", (_PER_DIST, "SETUPTOOLS_SCM_PRETEND_VERSION"))
SETUPTOOLS_SCM = VcsSource("setuptools-scm", (_PER_DIST,))
PDM_SCM = VcsSource("pdm-backend (scm)", ("PDM_BUILD_SCM_VERSION",))
POETRY_DYNAMIC = VcsSource("poetry-dynamic-versioning", ("POETRY_DYNAMIC_VERSIONING_BYPASS",))


def _scm_dist_name(name: str) -> str:
    """setuptools-scm's normalization: runs of ``-_.`` become ``_``, upper-cased."""
    return re.sub(r"[-_.]+", "_", name).upper()


def table_at(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """The table at ``keys`` of a parsed pyproject.toml; ``{}`` where any level is missing
    or not a table."""
    for key in keys:
        value = data.get(key) if isinstance(data, Mapping) else None
        data = value if isinstance(value, Mapping) else {}
    return data


def build_requirements(pyproject: Mapping[str, Any]) -> set[str]:
    """The normalized names in ``[build-system] requires``."""
    requires = table_at(pyproject, "build-system").get("requires") or []
    names = set()
    for requirement in requires if isinstance(requires, list) else []:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", str(requirement))
        if match:
            names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


def vcs_source(pyproject: Mapping[str, Any]) -> VcsSource | None:
    """The plugin that derives this project's version from git tags, or ``None`` (a static
    version, version files, or a version source releasekit knows no pretend variable of)."""
    project = table_at(pyproject, "project")
    if project and "version" not in (project.get("dynamic") or []):
        return None  # a static [project].version: no plugin computes it
    tool = table_at(pyproject, "tool")
    backend = str(table_at(pyproject, "build-system").get("build-backend") or "")
    hatch_source = table_at(tool, "hatch", "version").get("source")
    if backend.startswith("hatchling") and hatch_source == "vcs":
        return HATCH_VCS
    pdm_source = table_at(tool, "pdm", "version").get("source")
    if backend.startswith("pdm.backend") and pdm_source == "scm":
        return PDM_SCM
    if table_at(tool, "poetry-dynamic-versioning").get("enable") is True:
        return POETRY_DYNAMIC
    if backend.startswith("setuptools") and (
        "setuptools_scm" in tool
        or "setuptools-scm" in tool
        or {"setuptools-scm", "setuptools-scm-git-archive"} & build_requirements(pyproject)
    ):
        return SETUPTOOLS_SCM
    return None


def next_release(config: Config, requested: str | None) -> NextVersion:
    """The version the next tag of ``config``'s project releases, and why (see
    :func:`releasekit.core.version.next_version`): from ``requested``, the changelog's top
    section, or a patch bump of the last release tag in HEAD's history."""
    prefix = git.tag_prefix(config.root, config.tag_prefix)  # hatch-v: learned from its tags
    last = git.last_release_tag(config.root, prefix)
    top = None
    path = config.changelog_path()
    if path is not None and path.is_file():
        from releasekit.project.changelog import top_version

        top = top_version(path.read_text(encoding="utf-8", errors="replace"))
    try:
        return next_version((last.name, last.version) if last else None, top, requested)
    except VersionError as exc:
        other = _tag_of_another_form(config, prefix) if last is None else None
        if other is None:
            raise
        raise VersionError(
            exc.message,
            f"HEAD is tagged {other[0]}: if that is this project's release tag, set "
            f'tag-prefix = "{other[1]}" in [tool.releasekit]; otherwise {exc.hint}',
        ) from None


def _tag_of_another_form(config: Config, prefix: str | None) -> tuple[str, str] | None:
    """A tag at HEAD of a release form other than ``prefix``'s, and its prefix: the tag the
    project is released by, when ``tag-prefix`` (or its default) is not how it is spelled."""
    from releasekit.core.tagprefix import split_tag
    from releasekit.core.version import version_from_tag

    for name in git.tags_at_head(config.root) or ():
        found = split_tag(name)
        if found is not None and version_from_tag(name, prefix) is None:
            return name, found[0]
    return None


def set_version_hint(source: VcsSource | None, version: str, tag_prefix: str | None) -> str:
    """How to give the project ``version``, in its own version source's terms.

    From git tags: tag the commit (spelled as the project tags). Otherwise ``releasekit
    bump`` (which writes every version file), or ``hatch version`` where hatch's own
    source holds it.
    """
    shown = try_normalize(version) or version
    if source is not None:
        return (
            f"the version comes from git tags ({source.plugin}): tag the commit: "
            f"git tag {tag_for(shown, tag_prefix)}"
        )
    return f"set the version to {shown} (`releasekit bump {shown}` or `hatch version {shown}`)"

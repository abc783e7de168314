"""The ``releasekit`` hatch build hook: no release build whose tag and version disagree.

Enabled with ``[tool.hatch.build.hooks.releasekit]``. It runs in every build of the user's
project, so it costs one git call on an untagged build (two on a tag build, to see whether
the tree is dirty) and imports nothing beyond the standard library and ``packaging``.

``python -m build`` builds the wheel from the unpacked sdist, where there is no ``.git`` and
hatchling reads the version from PKG-INFO. So on a tag build the sdist carries a small stamp
(``.releasekit-tag.json``: the tag it was checked against) and the wheel step checks the
PKG-INFO version against the stamp, or against ``RELEASEKIT_TAG``: a mismatched release
cannot slip through the wheel step, and ``require-tag`` still holds there. CI tag variables
are not read there: in a CI job at a tag, pip may build some dependency's sdist, which is
not the release being tagged.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

from releasekit import git, guard
from releasekit.config import hook_options, parse_config
from releasekit.errors import TagError
from releasekit.git import ReleaseTag

STAMP_NAME = ".releasekit-tag.json"


class ReleasekitBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Refuses a release build whose release tag and package version disagree."""

    PLUGIN_NAME = "releasekit"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":  # pip install -e . is development, never a release
            return
        config = parse_config(self.metadata.config, self.root)
        options = hook_options(self.config)
        root = Path(self.root)
        package_version = self.metadata.version
        from_sdist = (root / "PKG-INFO").is_file()

        if from_sdist:
            # RELEASEKIT_TAG and the stamp only. A CI tag variable names the tag of the CI's
            # checkout: an sdist pip builds into a wheel there (a dependency with no wheel)
            # is not that release, and must not fail because its version is another.
            explicit = {"RELEASEKIT_TAG": os.environ.get("RELEASEKIT_TAG", "")}
            tag = git.release_tag_from_env(config.tag_prefix, explicit) or _read_stamp(root)
        else:
            tag = git.release_tag(root, config.tag_prefix)

        if tag is None:
            if options.require_tag:
                why = (
                    "RELEASEKIT_REQUIRE_TAG is set"
                    if options.require_tag_from_env
                    else "require-tag = true"
                )
                where = (
                    "no RELEASEKIT_TAG, no tag stamp in the sdist"
                    if from_sdist
                    else ("no RELEASEKIT_TAG, no CI tag variable, no release tag at HEAD")
                )
                raise guard.missing_tag_error(
                    package_version,
                    config.tag_prefix,
                    shallow=not from_sdist and git.is_shallow(root),
                    why=f"{why}; {where}",
                )
            return

        dirty = [] if from_sdist else git.dirty_files(root)
        try:
            guard.check_release_build(
                package_version, tag, dirty_files=dirty, allow_dirty=options.allow_dirty
            )
        except TagError as exc:
            if config.version_from_tag and tag.version != package_version:
                raise TagError(
                    exc.message,
                    "version-from-tag = true: `nox -s build` writes the tag's version into "
                    "its own checkout before building; a plain build builds what the files say",
                ) from None
            raise
        if not from_sdist and config.version_files:
            from releasekit import carriers

            carriers.check_consistent(config.version_files, root)
        if self.target_name == "sdist":
            build_data["force_include"][self._write_stamp(tag)] = STAMP_NAME

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        stamp_dir = getattr(self, "_stamp_dir", None)
        if stamp_dir is not None:
            stamp_dir.cleanup()

    def _write_stamp(self, tag: ReleaseTag) -> str:
        self._stamp_dir = tempfile.TemporaryDirectory(prefix="releasekit-")
        path = os.path.join(self._stamp_dir.name, STAMP_NAME)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"tag": tag.name, "version": tag.version}, handle)
        return path


def _read_stamp(root: Path) -> ReleaseTag | None:
    try:
        data = json.loads((root / STAMP_NAME).read_text(encoding="utf-8"))
        return ReleaseTag(
            name=data["tag"], version=data["version"], source=f"{STAMP_NAME} in the sdist"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None

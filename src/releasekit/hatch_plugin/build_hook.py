"""The ``releasekit`` hatch build hook: no release build whose tag and version disagree.

Enabled with ``[tool.hatch.build.hooks.releasekit]``. It runs in every build of the user's
project, so it is built to cost little: it imports nothing beyond the standard library and
``packaging``, reads the tags at HEAD from ``.git`` without starting git where it can
(:mod:`releasekit.core.gitdir`), and starts git only on what may be a release build, to see
whether the tree is dirty, while it parses its configuration. One ``hatchling build``
process builds the sdist and then the wheel from the same tree: git is asked once per
invocation (its shared project metadata), and the second target reuses the answers.

``python -m build`` builds the wheel from the unpacked sdist, where there is no ``.git`` and
hatchling reads the version from PKG-INFO. That version was checked against the tag when the
sdist was built, so the wheel step cannot mislabel a release. Nothing about the tag is written
into the sdist: the same commit builds the same bytes whether or not the tag exists yet (a
file uploaded to a test index before tagging must be the file published after). On that
step the hook checks the version against ``RELEASEKIT_TAG`` when it is set, and a CI tag
variable only *satisfies* ``require-tag`` when it names this version: in a CI job at a tag,
pip may build some dependency's sdist, which is not the release being tagged and must not
fail because its version is another.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

if TYPE_CHECKING:
    from releasekit.core import git

# hatchling imports this module whenever it collects build hooks, including builds that
# enable another plugin's hook and not this one: what the checks need is imported when
# initialize() runs, so such a build pays for one small module.


class _GitAnswers:
    """What git said during one ``hatchling build`` invocation (one ``ProjectMetadata``,
    shared by its sdist and wheel targets): a new invocation, even in the same process,
    asks again, so a tree edited between two builds is seen.

    The tags at HEAD are read first, from ``.git`` (no process). When the build may be a
    release (a tag at HEAD, or a tag named by the environment), ``git status`` starts at
    once and runs while the hook imports and parses its configuration.
    """

    def __init__(self, root: Path) -> None:
        from releasekit.core import git

        self.root = root
        self.tags = git.tags_at_head(root) or []
        maybe_release = (
            self.tags or os.environ.get("RELEASEKIT_TAG", "").strip() or git.ci_tag(os.environ)
        )
        self.dirty: git.DirtyCheck | None = git.DirtyCheck(root) if maybe_release else None

    def named_tags(self) -> list[str]:
        """The tags this build may be for: the environment's, then those at HEAD."""
        from releasekit.core import git

        ci = git.ci_tag(os.environ)
        return [os.environ.get("RELEASEKIT_TAG", "").strip(), ci[0] if ci else "", *self.tags]

    def dirty_files(self) -> list[str]:
        if self.dirty is None:  # a release after all (the environment changed): ask now
            from releasekit.core import git

            self.dirty = git.DirtyCheck(self.root)
        return self.dirty.files()

    def done(self) -> None:
        """Stop ``git status`` when nothing asked for it."""
        if self.dirty is not None:
            self.dirty.cancel()


_ANSWERS: weakref.WeakKeyDictionary[Any, _GitAnswers] = weakref.WeakKeyDictionary()


def _answers(metadata: Any, root: Path) -> _GitAnswers:
    try:
        answers = _ANSWERS.get(metadata)
    except TypeError:  # not weak-referenceable: ask git every time
        return _GitAnswers(root)
    if answers is None:
        answers = _ANSWERS[metadata] = _GitAnswers(root)
    return answers


class ReleasekitBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Refuses a release build whose release tag and package version disagree."""

    PLUGIN_NAME = "releasekit"

    _published: str | None = None  # the directory of the sdist's pyproject.toml copy

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":  # pip install -e . is development, never a release
            return
        root = Path(self.root)
        from_sdist = (root / "PKG-INFO").is_file()
        answers = None if from_sdist else _answers(self.metadata, root)
        try:
            self._check(root, answers)
        finally:
            if answers is not None:
                answers.done()
        if self.target_name == "sdist":
            self._publish_pyproject(build_data)

    def _publish_pyproject(self, build_data: dict[str, Any]) -> None:
        """Ship the sdist a pyproject.toml that builds without releasekit
        (:mod:`releasekit.hatch_plugin.sdist_pyproject`).

        hatchling puts pyproject.toml into the sdist through ``build_data["force_include"]``;
        its entry is swapped, in place and in the same position (the archive's order stays),
        for a copy in a temporary directory that :meth:`finalize` removes. The copy's mode
        is the original's; hatchling normalizes mode and mtime of a reproducible sdist.
        """
        force_include = build_data.get("force_include")
        source = os.path.join(self.root, "pyproject.toml")
        if not isinstance(force_include, dict) or force_include.get(source) != "pyproject.toml":
            return  # hatchling did not include it from the project: nothing of ours to swap
        from releasekit.hatch_plugin.sdist_pyproject import published_pyproject

        with open(source, "rb") as handle:
            text = handle.read().decode("utf-8")
        published = published_pyproject(text)
        if published == text:
            return
        import shutil
        import tempfile

        self._cleanup()
        self._published = tempfile.mkdtemp(prefix="releasekit-sdist-")
        copy = os.path.join(self._published, "pyproject.toml")
        with open(copy, "wb") as handle:
            handle.write(published.encode("utf-8"))
        shutil.copymode(source, copy)
        entries = [(copy if path == source else path, to) for path, to in force_include.items()]
        force_include.clear()
        force_include.update(entries)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        self._cleanup()

    def _cleanup(self) -> None:
        if self._published is not None:
            import shutil

            shutil.rmtree(self._published, ignore_errors=True)
            self._published = None

    def _version_hint(self) -> str | None:
        """How this project's version moves, when it is not by writing a file: hatch-vcs
        takes it from a tag (``hatch version X`` raises there). ``None``: the default hint."""
        # the [tool.hatch.version] table itself: hatchling's ``hatch.version`` raises for a
        # project without one (a static version)
        table = self.metadata.hatch.config.get("version")
        if not isinstance(table, dict) or table.get("source") != "vcs":
            return None
        return (
            "the version comes from git tags here (hatch-vcs): it moves by tagging, not by "
            "writing a file; check which tag hatch-vcs read (two tags at HEAD, its tag-pattern)"
        )

    def _check(self, root: Path, answers: _GitAnswers | None) -> None:
        """The checks of :meth:`initialize`; ``answers`` is ``None`` when building from an
        unpacked sdist (no ``.git`` there)."""
        from releasekit.core import git, guard
        from releasekit.core.config import hook_options, parse_config
        from releasekit.core.version import try_normalize
        from releasekit.errors import TagError

        config = parse_config(self.metadata.config, self.root)
        options = hook_options(self.config)
        package_version = self.metadata.version

        if answers is None:
            # RELEASEKIT_TAG is checked; a CI tag variable only counts when it is this
            # version's tag (an sdist of some dependency, built in a tag job, is not it).
            explicit = {"RELEASEKIT_TAG": os.environ.get("RELEASEKIT_TAG", "")}
            prefix = config.tag_prefix
            if prefix is None:  # a workspace member's prefix is not in its sdist
                prefix = git.prefix_of(explicit["RELEASEKIT_TAG"], package_version)
            tag = git.release_tag_from_env(prefix, explicit)
            ci = None if tag else git.release_tag_from_env(config.tag_prefix)
            if ci is not None and ci.version == try_normalize(package_version):
                tag = ci
        else:
            prefix = config.tag_prefix
            if prefix is None:  # a prefix of the project's own (hatch-v): a tag names this version
                prefix = git.own_prefix(answers.named_tags(), package_version)
            tag = git.release_tag_from_env(prefix) or git.release_tag_among(answers.tags, prefix)

        if tag is None:
            if options.require_tag:
                why = (
                    "RELEASEKIT_REQUIRE_TAG is set"
                    if options.require_tag_from_env
                    else "require-tag = true"
                )
                where = (
                    "building from an sdist: no RELEASEKIT_TAG, no CI tag for this version"
                    if answers is None
                    else ("no RELEASEKIT_TAG, no CI tag variable, no release tag at HEAD")
                )
                raise guard.missing_tag_error(
                    package_version,
                    config.tag_prefix,
                    shallow=answers is not None and git.is_shallow(root),
                    why=f"{why}; {where}",
                )
            return

        dirty = [] if answers is None else answers.dirty_files()
        try:
            guard.check_release_build(
                package_version, tag, dirty_files=dirty, allow_dirty=options.allow_dirty,
                hint=self._version_hint(),
            )  # fmt: skip
        except TagError as exc:
            if config.version_from_tag and tag.version != package_version:
                raise TagError(
                    exc.message,
                    "version-from-tag = true: `nox -s build` writes the tag's version into "
                    "its own checkout before building; a plain build builds what the files say",
                ) from None
            raise
        if answers is not None and config.version_files:
            from releasekit.core import carriers

            carriers.check_consistent(config.version_files, root)

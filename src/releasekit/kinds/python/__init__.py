"""A Python distribution: an sdist and the wheels built from it.

- ``check``: the version the backend reports (or the version files carry) against the
  release tag, on a clean tree (:mod:`releasekit.core.guard`);
- ``build``: sdist from a clean export of HEAD, then the wheel from the unpacked sdist, in
  an isolated build environment (:mod:`releasekit.kinds.python.build`); or a ``--dist`` directory of
  files built elsewhere, checked and adopted;
- ``smoke``: for each Python of ``[tool.releasekit.smoke] pythons``, the wheel its installer
  would choose and the sdist, each into a fresh venv: import, entry points, commands
  (:mod:`releasekit.kinds.python.smoke`), two at a time;
- ``install_from``: the wheel pinned by sha256 from an index, so the index must serve
  exactly that file and the installer must take it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable

from releasekit.core import git, guard
from releasekit.core.config import load_pyproject, validate_project
from releasekit.core.version import NextVersion, normalize, tag_for, try_normalize
from releasekit.engine.remote import PackageFormat
from releasekit.errors import BuildError, ReleasekitError, TagError
from releasekit.kinds.base import Kind
from releasekit.project import vcsversion

if TYPE_CHECKING:
    from releasekit.core.config import Config
    from releasekit.engine.manifest import Manifest
    from releasekit.engine.runcontext import Project
    from releasekit.engine.status import TargetReading
    from releasekit.kinds.python.rebuild import RebuildReport
    from releasekit.project.workspace import Member
    from releasekit.release import Release
    from releasekit.targets.base import Target

__all__ = ["PythonKind"]


class PythonKind(Kind):
    key = "python"
    format = PackageFormat.PYTHON
    dist_name = "dist"
    noun = "files"

    def member_config(self, member: Member) -> Config:
        config = validate_project(load_pyproject(member.path), member.path)
        return config._replace(tag_prefix=member.tag_prefix)

    def check(self, project: Project, release: Release) -> str:
        from releasekit.project.identity import release_metadata

        log = release.logger(project)
        _warn_old_setup(project, release)
        prefix = project.tag_prefix
        tag = git.release_tag(project.root, prefix)
        source, upcoming = _next_release(project, tag)
        pretend = None
        if source is not None and upcoming is not None:
            project.next_version = upcoming
            log(f"next version {upcoming.version}: {upcoming.reason}")
            if project.options.rehearse:  # the build computes it: prove the plugin takes it
                pretend = source.pretend_env(project.name, upcoming.version)
        meta, readings = release_metadata(project.config, log=log, env=pretend)
        version = normalize(meta.version)
        log(
            f"{meta.name} {version} (from {meta.source}"
            + (", cached" if meta.cached else "")
            + (f", with {_shown(pretend)}" if pretend else "")
            + ")"
            + "".join(f"; {r.describe()}" for r in readings)
        )
        if source is not None and upcoming is not None:
            if pretend and version != upcoming.version:
                raise BuildError(
                    f"with {_shown(pretend)} the build backend still computes {version}: "
                    f"{source.plugin} did not take the pretend version",
                    "check the plugin's version (and its configuration) in [build-system] "
                    "requires; or rehearse at a tagged commit",
                )
            if not pretend:
                log(f"{version} is what git says now; the checks use {upcoming.version}")
            version = upcoming.version
        hint = None  # the guard's own: write the version files
        if source is not None and tag is not None:  # tags are the version: tag the commit
            hint = vcsversion.set_version_hint(source, tag.version, project.new_tag_prefix)
        if project.config.version_from_tag and tag is not None and tag.version != version:
            log(
                f"version-from-tag: the build writes {tag.version} from {tag.name} into the "
                f"version files of its checkout (the files here say {version})"
            )
            version = tag.version
        dirty = git.dirty_files(project.root)
        if dirty and project.options.rehearse:
            release.warn(
                project,
                f"uncommitted changes ({', '.join(dirty[:5])}) are not in the rehearsal: it "
                "builds HEAD",
            )
            dirty = []
        if tag is not None:
            guard.check_release_build(version, tag, dirty_files=dirty, hint=hint)
            log(f"tag {tag.name} (from {tag.source}) matches version {version}")
        else:
            _refuse_required_tag(project, version)
            would_be = tag_for(version, project.new_tag_prefix)  # as the project spells tags
            if dirty:  # no tag yet: say so, rather than name a tag as if it existed
                shown = ", ".join(dirty[:5]) + (", ..." if len(dirty) > 5 else "")
                raise TagError(
                    f"untagged build of {version} from a tree with uncommitted changes: {shown}",
                    f"commit or stash them: a release is built from a commit, which tag "
                    f"{would_be} (not created yet) will name; `--rehearse` builds HEAD "
                    "without them",
                )
            told = f": tag the commit: git tag {would_be}" if source is not None else ""
            taken = None
            if source is None and not project.config.version_from_tag:
                taken = git.released_elsewhere(project.root, prefix, version)
            if taken is not None:
                release.warn(project, f"untagged: {taken}")
            else:
                log(f"untagged: {version} would be released by tag {would_be} (not created){told}")
        if project.options.dist is not None:
            _check_dist_matrix(project, release, log)
        return version

    def next_version_env(self, project: Project, tag: git.ReleaseTag | None) -> dict[str, str]:
        """The pretend variable of a rehearsal build of an untagged git-derived version
        (empty otherwise): only a rehearsal builds a version that no tag names yet."""
        if tag is not None or not project.options.rehearse:
            return {}
        source, upcoming = _next_release(project, tag)
        if source is None or upcoming is None:
            return {}
        return source.pretend_env(project.name, upcoming.version)

    def reusable(self, project: Project) -> Manifest | None:
        from releasekit.kinds.python import build

        manifest = build.reusable_manifest(project.root, project.dist_dir, project.name)
        # the proof is two builds of the commit with the same bytes: made by this build's
        # run (its manifest says so), or made now
        if manifest is not None and _checks_reproducible(project) and not manifest.reproduced:
            return None
        if manifest is None or manifest.tag is not None:
            return manifest
        # Untagged, with a version from git: the files were built either with the next
        # tag's version (a rehearsal) or with git's dev version. Never the one for the other.
        source = vcsversion.vcs_source(load_pyproject(project.root))
        if source is None:
            return manifest
        try:
            env = self.next_version_env(project, None)
            expected = next(iter(env.values())) if env else normalize(self.current_version(project))
        except ReleasekitError:
            return None
        return manifest if manifest.version == expected else None

    def build(self, project: Project, release: Release, tag: git.ReleaseTag | None) -> Manifest:
        from releasekit.kinds.python import build

        log = release.logger(project)
        pretend = self.next_version_env(project, tag) if project.options.dist is None else {}
        if pretend:
            version = next(iter(pretend.values()))
            log(f"building {version}, the version of the next tag (nothing is written to the tree)")
        if project.options.dist is not None:
            if _checks_reproducible(project):
                log(
                    f"check-reproducible: not for --dist {project.options.dist} (built "
                    "elsewhere); the CI job that builds them can check"
                )
            manifest = build.adopt_prebuilt(
                project.config, project.dist_dir, tools=release.tools(project),
                name=project.name, tag=tag, log=log,
            )  # fmt: skip
            log(f"checked prebuilt files in {project.dist_dir}")
            return manifest
        manifest = build.build_release(
            project.config, project.dist_dir, tools=release.tools(project), name=project.name,
            tag=tag, log=log, version_env=pretend,
            check_reproducible=_checks_reproducible(project),
        )  # fmt: skip
        if pretend and manifest.version != next(iter(pretend.values())):
            raise BuildError(
                f"built {manifest.version} with {_shown(pretend)}: the version plugin did "
                "not take the pretend version",
                "check the plugin's version in [build-system] requires; or rehearse at a "
                "tagged commit",
            )
        return manifest

    def smoke(self, project: Project, release: Release, needed: Sequence[Project]) -> None:
        from releasekit.engine.manifest import Manifest
        from releasekit.kinds.python import smoke

        log = release.logger(project)
        manifest = Manifest.load(project.dist_dir)
        manifest.verified_paths(project.dist_dir)
        # the members it needs are not published yet: their new builds come from their dist
        find_links = [str(other.dist_dir) for other in needed]
        pythons: Sequence[str | None] = project.config.smoke.pythons or (None,)
        checks: list[tuple[Callable[[], None], str]] = []
        tested: set[str] = set()
        for python in pythons:
            label = python or f"{sys.version_info[0]}.{sys.version_info[1]} (current)"
            common: dict[str, Any] = dict(
                name=manifest.name, version=manifest.version, python=python,
                workdir=project.work_dir / "smoke", install_index=project.config.install_index,
                log=log, find_links=find_links,
            )  # fmt: skip
            # The wheel this Python's installer would take: one per Python, so a wheelhouse
            # of cp310/cp311/cp312 wheels has each tested where it can run.
            picked = smoke.pick_wheel(manifest.wheels, smoke.interpreter_tags(python))
            if picked is None:
                release.warn(
                    project,
                    f"Python {label}: none of the wheels installs here (their tags don't fit)",
                )
            for wheel in [picked] if picked else []:
                tested.add(wheel.filename)
                check = functools.partial(
                    smoke.smoke_wheel,
                    project.dist_dir / wheel.filename,
                    sha256=wheel.sha256,
                    config=project.config.smoke,
                    **common,
                )
                checks.append(
                    (check, f"Python {label}: {wheel.filename} installs, imports and runs")
                )
            for sdist in manifest.sdists:
                check = functools.partial(
                    smoke.smoke_sdist,
                    project.dist_dir / sdist.filename,
                    sha256=sdist.sha256,
                    **common,
                )
                checks.append((check, f"Python {label}: {sdist.filename} builds and installs"))
        for wheel in manifest.wheels:
            if wheel.filename not in tested:
                log(
                    f"not smoke-tested: {wheel.filename} (no Python here takes it; "
                    "[tool.releasekit.smoke] pythons names the ones to try)"
                )
        # Each check is its own venv and processes: two at a time halve the wait on two
        # cores. Results are reported, and the first failure raised, in order.
        with ThreadPoolExecutor(max_workers=2) as pool:
            running = [(pool.submit(check), done) for check, done in checks]
            for future, done in running:
                future.result()
                log(done)

    def refusals(self, project: Project) -> list[tuple[str, str]]:
        """A build that is not the declared wheel matrix: releasekit's own (one wheel, for
        this machine) or a ``--dist`` changed since the check."""
        from releasekit.engine.manifest import Manifest
        from releasekit.kinds.python import matrix

        if project.config.wheels is None:
            return []
        names = [f.filename for f in Manifest.load(project.dist_dir).files]
        where = f"--dist {project.dist_dir}" if project.options.dist else str(project.dist_dir)
        refused = matrix.refusal(project.config.wheels, project.root, names, where)
        if refused is not None and project.options.dist is None:  # no wheel job to rerun
            refused = (
                refused[0],
                "build the declared wheels (cibuildwheel; templates/github/release-wheels.yml) "
                "and publish them with `-- --dist DIR`, or change [tool.releasekit] wheels",
            )
        return [refused] if refused is not None else []

    def current_version(self, project: Project) -> str:
        from releasekit.project.metadata import project_metadata

        try:
            return project_metadata(project.config, log=lambda _: None).version
        except ReleasekitError:  # its version unknown here: its release tag still counts
            return ""

    def normalize_version(self, version: str) -> str:
        """PEP 440's normal form (``1.0.0-rc.1`` is ``1.0.0rc1``), which an index files a
        version under; a string that is no version stays as written."""
        return try_normalize(version) or version

    def asked_version(self, project: Project, asked: str) -> str:
        """PEP 440's normal form of ``asked``, however the project's files spell it: its
        files' version is not read (that may run the build backend)."""
        return normalize(asked)

    def status_notes(self, project: Project, readings: Sequence[TargetReading]) -> list[str]:
        """``[tool.releasekit] wheels``: each target installers fetch Python distributions
        from that holds files of the version but not the declared matrix (a cancelled wheel
        job), one line each. A GitHub release's attached files are no such target."""
        spec = project.config.wheels
        if spec is None:
            return []
        from releasekit.kinds.python import matrix

        said = []
        for reading in readings:
            observed = reading.observed
            # what an index serves to installers; a target that holds nothing is "lacks" already
            if observed is None or not observed.files or not reading.required:
                continue
            if reading.serves is not self.format:
                continue
            try:
                report = matrix.report(spec, project.root, observed.files)
            except ReleasekitError as exc:
                said.append(
                    f"{reading.name}: the declared wheel matrix cannot be read: {exc.message}"
                )
                continue
            if report is not None and not report.complete:
                said.append(f"{reading.name}: {report.describe()} ([tool.releasekit] wheels)")
        return said

    def rebuild_from_tag(
        self, project: Project, version: str, log: Callable[[str], None]
    ) -> RebuildReport | str:
        """The tag's build against the prod index
        (:func:`~releasekit.kinds.python.rebuild.rebuild_check`), in a clone of the
        repository: the version is rebuilt from its tag."""
        from releasekit.kinds.python import rebuild

        if not git.is_repository(project.root):
            raise ReleasekitError(
                f"--rebuild: {project.root} is not a git checkout",
                "run it in a clone of the repository: the version is rebuilt from its tag",
            )
        return rebuild.rebuild_check(project.config, project.name, version, log=log)

    def install_from(
        self, project: Project, release: Release, manifest: Manifest, target: Target
    ) -> None:
        from releasekit.kinds.python import smoke

        source = target.install_source()
        chosen = smoke.pick_wheel(manifest.wheels, smoke.interpreter_tags(None))
        if source is None or chosen is None:
            return
        smoke.smoke_wheel(
            project.dist_dir / chosen.filename,
            sha256=chosen.sha256,
            name=manifest.name,
            version=manifest.version,
            python=None,
            workdir=project.work_dir / f"smoke-{target.name}",
            config=project.config.smoke,
            install_index=project.config.install_index,
            log=release.logger(project),
            from_index=source,
        )
        release.log(
            project,
            f"{target.name}: {manifest.name}=={manifest.version} installs from the "
            f"index (pinned by sha256: {chosen.filename}) and imports",
        )


def _refuse_required_tag(project: Project, version: str) -> None:
    """Refuse an untagged HEAD when the build hook will: ``require-tag = true`` or
    ``RELEASEKIT_REQUIRE_TAG`` set, with releasekit's hook in the build.

    Said here in one line, before anything is built, rather than as the hook's traceback
    text out of the build. A rehearsal is refused too: it builds HEAD with the same hook,
    which fails the same way (the hint says how to rehearse anyway).
    """
    from releasekit.core import config as config_module

    hooks = load_pyproject(project.root).get("tool", {}).get("hatch", {}).get("build", {})
    table = hooks.get("hooks", {}) if isinstance(hooks, dict) else {}
    if not isinstance(table, dict) or "releasekit" not in table:
        return  # without the hook nothing requires a tag
    options = config_module.hook_options(table["releasekit"])
    if not options.require_tag:
        return
    why = "RELEASEKIT_REQUIRE_TAG is set" if options.require_tag_from_env else "require-tag = true"
    error = guard.missing_tag_error(
        version,
        project.new_tag_prefix,
        shallow=git.is_shallow(project.root),
        why=f"{why}; no release tag at HEAD",
    )
    if project.options.rehearse and options.require_tag_from_env:
        error = TagError(
            error.message,
            f"{error.hint}; to rehearse an untagged commit, unset RELEASEKIT_REQUIRE_TAG",
        )
    raise error


def _checks_reproducible(project: Project) -> bool:
    """``-- --check-reproducible`` or ``check-reproducible = true``."""
    return project.options.check_reproducible or project.config.check_reproducible


def _check_dist_matrix(project: Project, release: Release, log: Callable[[str], None]) -> None:
    """A ``--dist`` that is not the declared wheel matrix is refused at the check, before
    anything is read, built or uploaded: every missing and every undeclared wheel at once.
    Platform wheels with no matrix declared are said to be unchecked."""
    from releasekit.kinds.python import artifacts, matrix

    names = [path.name for path in artifacts.find_dists(project.dist_dir)]
    if not names:  # none at all: the build says so, as for any --dist
        return
    if project.config.wheels is None:
        platform = [n for n in names if n.endswith(".whl") and not n.endswith("-any.whl")]
        if platform:
            release.warn(
                project,
                f"--dist holds {len(platform)} platform wheel{'s' if len(platform) > 1 else ''}"
                " and [tool.releasekit] wheels declares none: one missing (a cancelled wheel "
                "job) would go unnoticed; declare the matrix (releasekit's README: Platform "
                "wheels)",
            )
        return
    where = f"--dist {project.dist_dir}"
    matrix.check_matrix(project.config.wheels, project.root, names, where, log)


def _shown(env: dict[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in env.items())


def _next_release(
    project: Project, tag: git.ReleaseTag | None
) -> tuple[vcsversion.VcsSource | None, NextVersion | None]:
    """The plugin that derives ``project``'s version from git tags, and (when HEAD has no
    release tag) the version the next tag releases, with the reason.

    ``--next-version`` is for exactly that case: on a project whose files carry the version
    it is an error (the files are the version), and at a tag it must name the tag's version.
    """
    source = vcsversion.vcs_source(load_pyproject(project.root))
    requested = project.options.next_version
    if source is None:
        if requested is not None:
            raise TagError(
                f"--next-version {requested}: {project.name}'s version does not come from git tags",
                "write the version into its files instead (`releasekit bump "
                f"{requested}`), then rehearse",
            )
        return None, None
    if tag is not None:
        if requested is not None and try_normalize(requested) != tag.version:
            raise TagError(
                f"--next-version {requested}: HEAD already has the release tag {tag.name} "
                f"({tag.version})",
                "leave out --next-version: at a tag the tag is the version",
            )
        return source, None
    return source, vcsversion.next_release(project.config, requested)


def _warn_old_setup(project: Project, release: Release) -> None:
    """releasekit in ``[build-system] requires`` (how init set projects up before the hook
    carried its own ``dependencies``): every sdist published so needs releasekit to build."""
    from packaging.requirements import InvalidRequirement, Requirement

    system = load_pyproject(project.root).get("build-system")
    requires = system.get("requires") if isinstance(system, dict) else None
    for text in requires if isinstance(requires, list) else []:
        try:
            named = Requirement(str(text)).name.lower() == "releasekit"
        except InvalidRequirement:
            continue
        if named:
            release.warn(
                project,
                "releasekit is in [build-system] requires, so the published sdist needs "
                "releasekit to build (on any index without it, it fails); `releasekit init` "
                "moves it to the dependencies of [tool.hatch.build.hooks.releasekit]",
            )
            return

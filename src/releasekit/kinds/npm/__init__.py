"""An npm package: one tarball, packed once (:mod:`releasekit.kinds.npm.member` does each step).

- ``check``: package.json's version is semver and agrees with the member's release tag; a
  package marked ``"private": true`` is refused here (npm would refuse to publish it, after
  the Python members of the release went out);
- ``build``: packed once (npm, or the pnpm/yarn its workspace declares) from a clean
  checkout of HEAD after the member's ``prepare-commands``, then the tarball's checks, into
  ``releasekit-dist/``;
- ``smoke``: the tarball (and those of the members it needs) installed into a fresh
  project and loaded, or as the member's ``smoke`` says;
- ``install_from``: the version installed from the registry and proved the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from releasekit.core.config import Config
from releasekit.engine.remote import PackageFormat
from releasekit.errors import ConfigError, SmokeError
from releasekit.kinds.base import Kind

if TYPE_CHECKING:
    from releasekit.core.git import ReleaseTag
    from releasekit.engine.manifest import Manifest
    from releasekit.engine.runcontext import Project
    from releasekit.project.workspace import Member
    from releasekit.release import Release
    from releasekit.targets.base import Target

__all__ = ["NpmKind"]


class NpmKind(Kind):
    key = "npm"
    format = PackageFormat.NPM
    dist_name = "releasekit-dist"  # not dist/, which an npm package's `files` usually ships
    noun = "tarball"

    def member_config(self, member: Member) -> Config:
        return Config(
            root=member.path,
            tag_prefix=member.tag_prefix,
            check_commands=member.check_commands,
            prepare_commands=member.prepare_commands,
        )

    def check(self, project: Project, release: Release) -> str:
        from releasekit.kinds.npm import member as npm_member
        from releasekit.project.workspace import read_package_json

        member = project.member
        assert member is not None
        if read_package_json(member.path).get("private") is True:
            raise ConfigError(
                f'{member.rel}/package.json says "private": true: npm refuses to publish it',
                'remove "private": true to release it, or take it out of the workspace\'s members',
            )
        log = release.logger(project)
        version, tag = npm_member.check(member, rehearse=project.options.rehearse, log=log)
        log(f"{project.name} {version} (from package.json)")
        if tag is not None:
            log(f"tag {tag.name} (from {tag.source}) matches version {version}")
        else:
            would_be = f"{project.config.tag_prefix or 'v'}{version}"
            log(f"untagged: {version} would be released by tag {would_be}")
        return version

    def reusable(self, project: Project) -> Manifest | None:
        from releasekit.kinds.npm import member as npm_member

        assert project.member is not None
        return npm_member.reusable(project.member, project.dist_dir)

    def build(self, project: Project, release: Release, tag: ReleaseTag | None) -> Manifest:
        from releasekit.kinds.npm import member as npm_member

        assert project.member is not None
        registry = release.targets(project)[0].publish_url  # `npm publish --dry-run` there
        return npm_member.build(
            project.member, project.dist_dir, tag=tag, registry_url=registry,
            log=release.logger(project),
        )  # fmt: skip

    def smoke(self, project: Project, release: Release, needed: Sequence[Project]) -> None:
        from releasekit.engine.manifest import Manifest
        from releasekit.kinds.npm import member as npm_member

        manifest = Manifest.load(project.dist_dir)
        manifest.verified_paths(project.dist_dir)
        beside = [
            other.dist_dir / f.filename
            for other in needed
            for f in Manifest.load(other.dist_dir).files
        ]
        npm_member.smoke(
            manifest, project.dist_dir, beside=beside, mode=project.npm_smoke,
            log=release.logger(project),
        )  # fmt: skip

    def current_version(self, project: Project) -> str:
        from releasekit.project.workspace import read_package_json

        version = read_package_json(project.root).get("version")
        return version if isinstance(version, str) else ""

    def spell_version(self, current: str, asked: str) -> str:
        from releasekit.core.version import normalize, try_normalize

        return current if try_normalize(current) == normalize(asked) else asked

    def spelled(self, project: Project, version: str) -> str:
        return f"{project.name}@{version} on {project.npm_registry}"

    def normalize_version(self, version: str) -> str:
        """As written: npm files a version as package.json spells it (semver), never in
        PEP 440's form."""
        return version

    def install_from(
        self, project: Project, release: Release, manifest: Manifest, target: Target
    ) -> None:
        from releasekit.kinds.npm import pack as npm

        source = target.install_source()
        if source is None:
            return
        mode = project.npm_smoke  # the entry's, or the one the build handed on
        try:
            npm.install_and_import(
                source, manifest.name, manifest.version, log=release.logger(project), smoke=mode
            )
        except SmokeError as exc:  # a rehearsal's registry without its upstream: say so
            _offline_upstream(target, f"{manifest.name}@{manifest.version}", exc)
            raise
        proved = "and loads" if mode == "import" else "(smoke: install only)"
        if not isinstance(mode, str):
            proved = "and passes its smoke commands"
        release.log(
            project, f"{manifest.name}@{manifest.version} installs from {target.name} {proved}"
        )


def _offline_upstream(target: Target, spec: str, failed: SmokeError) -> None:
    """Raise a :class:`SmokeError` naming the registry when an install from a rehearsal's
    stand-in failed because the registry its third-party packages come from does not
    answer (npm says only "404 Not Found" for the first dependency); else return."""
    from releasekit.targets.npm import NpmRegistryTarget

    if not isinstance(target, NpmRegistryTarget) or target.upstream is None:
        return
    problem = target.upstream_problem()
    if problem is None:
        return
    raise SmokeError(
        f"{spec} did not install from the rehearsal's npm registry: its third-party "
        f"dependencies are read from {target.upstream}, which does not answer ({problem})",
        f"connect this machine to {target.upstream} (or set npm-registry to a registry it "
        "reaches) and rehearse again; npm said: " + failed.message,
    ) from None

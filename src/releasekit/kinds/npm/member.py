"""An npm member of a workspace, step by step: check, build (pack), smoke, publish.

The sessions call these for a member whose directory holds a ``package.json``, where they
call the Python steps for a ``pyproject.toml``; the guarantees are the same (see
:mod:`releasekit.kinds.npm.pack` for how each is kept in npm's terms):

- ``check``: package.json's version is a semver version and agrees with the member's
  release tag; the changelog has it; what the registry already holds; the member's
  ``check-commands`` (lint, tests) in its directory;
- ``build``: packed once (by the workspace's package manager: npm, pnpm or yarn, see
  :mod:`releasekit.kinds.npm.manager`), from a clean checkout of HEAD after the member's
  ``prepare-commands`` (``npm ci``, a build), then the tarball's checks (``files``, entry
  points, no ``workspace:``/``link:``/``file:``/``catalog:`` range left, ``npm publish
  --dry-run``). The tarball and a manifest with its sha256 and sha512
  integrity go to the member's ``releasekit-dist/`` (not ``dist/``, which is the build
  output an npm package's ``files`` usually ships);
- ``smoke``: the tarball installed into a fresh project, with the tarballs of the members it
  depends on beside it, and loaded (``require``/``import``), or as the member's ``smoke``
  says (``"install"`` only, or commands);
- publishing that exact tarball is the npm registry target's
  (:mod:`releasekit.targets.npm`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from releasekit.core import git
from releasekit.core.version import try_normalize
from releasekit.engine.manifest import MANIFEST_NAME, DistFile, Manifest
from releasekit.errors import BuildError, TagError
from releasekit.kinds.npm import pack as npm
from releasekit.kinds.npm.quoting import run_explained, thrown
from releasekit.project.workspace import Member, read_package_json
from releasekit.runtime import proc
from releasekit.targets.npm import registry

__all__ = ["DIST_NAME", "build", "check", "read_version", "reusable", "smoke"]

DIST_NAME = "releasekit-dist"


def dist_dir(member: Member) -> Path:
    return member.path / DIST_NAME


def read_version(member: Member) -> str:
    """package.json's version, which must be semver (npm refuses anything else)."""
    version = read_package_json(member.path).get("version")
    if not isinstance(version, str) or not version:
        raise BuildError(f"{member.rel}/package.json has no version", 'set "version"')
    npm.dist_tag_for(version)  # raises a VersionError naming a non-semver version
    return version


def check(member: Member, *, rehearse: bool, log: proc.Log) -> tuple[str, git.ReleaseTag | None]:
    """The version and release tag of ``member``, checked to agree."""
    version = read_version(member)
    tag = git.release_tag(member.path, member.tag_prefix)
    if tag is not None and try_normalize(version) != tag.version:
        raise TagError(
            f"{member.rel}/package.json says {version}, but release tag {tag.name} is "
            f"{tag.version}",
            f"set the version with `npm version {tag.version} --no-git-tag-version`, commit "
            "and move the tag, or tag the version package.json has",
        )
    dirty = git.dirty_files(member.path)
    if tag is not None and dirty and not rehearse:
        raise TagError(
            f"{member.rel} has uncommitted changes at release tag {tag.name}: "
            f"{', '.join(dirty[:5])}",
            "commit or stash them: the release is built from the tagged commit",
        )
    return version, tag


def _thrown(output: str) -> tuple[str, str] | None:
    line = thrown(output)
    return None if line is None else (line, "")


def reusable(member: Member, out: Path) -> Manifest | None:
    """The manifest in ``out`` when it was packed from HEAD and its tarball is intact."""
    try:
        manifest = Manifest.load(out)
        manifest.verified_paths(out)
    except BuildError:
        return None
    if manifest.commit != git.head_commit(member.path) or manifest.name != member.name:
        return None
    return manifest


def build(
    member: Member,
    out: Path,
    *,
    tag: git.ReleaseTag | None,
    registry_url: str,
    log: proc.Log,
) -> Manifest:
    """Pack the member from a clean checkout of HEAD into ``out``, check it, record it."""
    commit = git.head_commit(member.path)
    if commit is None:
        raise BuildError(f"{member.path} has no commit", "commit first: releasekit packs HEAD")
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.tgz"), out / MANIFEST_NAME]:
        old.unlink(missing_ok=True)  # releasekit's own: this directory is releasekit's
    with git.clean_checkout(member.path) as checkout:
        for command in member.prepare_commands:
            log(f"prepare-commands: {command}  (in the build checkout)")
            run_explained(  # quotes what a build script threw, not npm's epilogue
                proc.split_command(command, "prepare-commands"),
                what=f"prepare-commands: {command}",
                error=BuildError,
                explain=_thrown,
                cwd=checkout,
                log=log,
                hint="the same command fails in a fresh clone too; fix it there",
            )
        artifact = npm.pack(checkout, out, log=log)
        npm.check(checkout, artifact, registry_url=registry_url, log=log)
    if tag is not None and try_normalize(artifact.version) != tag.version:
        raise TagError(
            f"{artifact.filename} is {artifact.version}, release tag {tag.name} is {tag.version}",
            "tag the commit whose package.json has the version",
        )
    manifest = Manifest(
        name=artifact.name,
        version=artifact.version,
        files=(
            DistFile(artifact.filename, artifact.sha256, artifact.size, "npm", artifact.integrity),
        ),
        tag=tag.name if tag else None,
        commit=commit,
    )
    manifest.save(out)
    return manifest


def smoke(
    manifest: Manifest,
    out: Path,
    *,
    beside: Sequence[Path] = (),
    mode: str | Sequence[str] = "import",
    log: proc.Log,
) -> None:
    """Install the tarball (and ``beside``: the tarballs of members it needs) and prove it
    as the member's ``smoke`` says (load it in Node, install only, or its commands)."""
    artifact = registry.artifact_of(manifest, out)
    npm.install_and_import(
        None, manifest.name, manifest.version,
        tarballs=[artifact.path, *beside], log=log, smoke=mode,
    )  # fmt: skip

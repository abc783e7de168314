"""Build once, from a clean checkout of HEAD, and record exactly what was built.

The sdist is built first and the wheel from the unpacked sdist (what ``python -m build``
does), so a file missing from the sdist shows up as a broken wheel now rather than as a
broken install from PyPI later. ``SOURCE_DATE_EPOCH`` is the commit's time, so building
the same commit again gives the same bytes, and a rerun of the release can prove that
what an index serves is what this commit builds.

Before the sdist is built, the checkout may be prepared: ``prepare-commands`` make files
that are not committed (a frontend bundle), and ``version-from-tag`` writes the tag's
version into the version files. Both change the temporary checkout only, never the
user's tree.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

from releasekit import artifacts, carriers, git, proc
from releasekit.config import CarrierSpec, Config
from releasekit.errors import BuildError
from releasekit.git import ReleaseTag
from releasekit.guard import check_tag_matches
from releasekit.manifest import MANIFEST_NAME, Manifest, describe, sha256_file
from releasekit.venvs import find_uv
from releasekit.version import normalize

__all__ = ["adopt_prebuilt", "build_release", "reusable_manifest"]


def reusable_manifest(root: Path, dist_dir: Path, name: str) -> Manifest | None:
    """The manifest in ``dist_dir`` when it was built from HEAD for ``name`` and its files
    are intact and still carry its name and version.

    A rerun of the release then uploads the very bytes the first run built and checked; a
    manifest is never trusted on its word (a hand-edited one, another project's dist/).
    """
    try:
        manifest = Manifest.load(dist_dir)
        paths = manifest.verified_paths(dist_dir)
        if canonicalize_name(manifest.name) != canonicalize_name(name):
            return None
        artifacts.check_versions(paths, manifest.name, manifest.version)
    except BuildError:
        return None
    head = git.head_commit(root)
    if head is None or manifest.commit != head:
        return None
    return manifest


def build_release(
    config: Config,
    dist_dir: Path,
    *,
    tools: Sequence[str],
    name: str,
    tag: ReleaseTag | None,
    log: proc.Log,
) -> Manifest:
    """Build sdist and wheel from a clean checkout of HEAD into ``dist_dir``; check them.

    ``tools`` is an interpreter with ``build`` and ``twine`` installed (the session's).
    """
    root = config.root
    foreign = _foreign_files(dist_dir, name)
    if foreign:
        raise BuildError(
            f"{dist_dir} holds files releasekit did not build: {', '.join(foreign)}",
            "move or delete them (releasekit never deletes files it did not make), or "
            "build elsewhere with `-- --dist DIR`",
        )
    commit = git.head_commit(root)
    if commit is None:
        raise BuildError(
            f"{root} is not a git repository with a commit",
            "releasekit builds from a commit: `git init` and commit first",
        )
    epoch = git.commit_timestamp(root)
    env = {"SOURCE_DATE_EPOCH": str(epoch)} if epoch is not None else {}
    if tag is not None:  # the wheel is built from the sdist: hand the hook the tag
        env["RELEASEKIT_TAG"] = tag.name
    with (
        tempfile.TemporaryDirectory(prefix="releasekit-build-") as tmp,
        git.clean_checkout(root) as export,
    ):
        out = Path(tmp) / "dist"
        if config.version_from_tag and tag is not None:
            stamp_version(config, export, tag.version, log=log)
        prepare(config, export, log=log)
        uv = find_uv()
        if uv:  # the same sdist-then-wheel-from-sdist build, in a fraction of the time
            # --python: a .python-version file in the project must not make uv look for
            # (or download) another interpreter just to run the build backend
            argv = [uv, "build", "--python", sys.executable, "--out-dir", str(out), str(export)]
        else:
            argv = [*tools, "-m", "build", "--outdir", str(out), str(export)]
        tool = "uv build" if uv else "python -m build"
        log(f"building the sdist, then the wheel from the sdist ({tool})")
        proc.run(
            argv,
            what="building the sdist, then the wheel from the sdist",
            error=BuildError,
            env=env,
            log=log,
            hint="read the build output above; the same command fails locally too",
        )
        built = artifacts.find_dists(out)
        _replace_dist(dist_dir, built)
    return check_and_record(
        config, dist_dir, tools=tools, name=name, tag=tag, commit=commit, epoch=epoch, log=log
    )


def stamp_version(config: Config, export: Path, version: str, *, log: proc.Log) -> None:
    """``version-from-tag``: write the tag's version into the checkout's version files.

    Each file keeps its own spelling (semver in package.json). Only the temporary checkout
    is written; the user's tree stays as committed.
    """
    specs = config.version_files or (CarrierSpec("pyproject.toml"),)
    written = carriers.write_all(specs, export, version)
    git.keep_out_of_status(export, written)
    shown = ", ".join(carriers.display_path(export, path) for path in written)
    log(f"version-from-tag: wrote {version} into {shown} (in the build checkout only)")


def prepare(config: Config, export: Path, *, log: proc.Log) -> None:
    """Run ``prepare-commands`` in the checkout, in order, before the sdist is built.

    They make what is not committed but must ship (a frontend built by npm): hatchling
    packages it when ``[tool.hatch.build] artifacts`` names it. Each runs with the checkout
    as its working directory, without a shell, and stops the build when it fails.
    """
    for command in config.prepare_commands:
        argv = proc.split_command(command, "prepare-commands", error=BuildError)
        log(f"prepare: {command}  (in the clean checkout of HEAD)")
        proc.run(
            argv,
            what=f"prepare-commands `{command}`",
            error=BuildError,
            cwd=export,
            env={"RELEASEKIT_PREPARE": "1", "PWD": os.fspath(export)},
            log=log,
            hint="run it in a fresh clone to reproduce; it must work from a clean checkout",
        )


def adopt_prebuilt(
    config: Config,
    dist_dir: Path,
    *,
    tools: Sequence[str],
    name: str,
    tag: ReleaseTag | None,
    log: proc.Log,
) -> Manifest:
    """Check files built elsewhere (a CI matrix, cibuildwheel) and record them for publishing."""
    return check_and_record(
        config,
        dist_dir,
        tools=tools,
        name=name,
        tag=tag,
        commit=git.head_commit(config.root),
        epoch=git.commit_timestamp(config.root),
        log=log,
    )


def check_and_record(
    config: Config,
    dist_dir: Path,
    *,
    tools: Sequence[str],
    name: str,
    tag: ReleaseTag | None,
    commit: str | None,
    epoch: int | None,
    log: proc.Log,
) -> Manifest:
    """twine check, version and content checks, then the manifest: the build's record."""
    files = artifacts.find_dists(dist_dir)
    if not files:
        raise BuildError(
            f"no .whl or .tar.gz files in {dist_dir}",
            "build first (`nox -s build`) or point --dist at the built files",
        )
    proc.run(
        [*tools, "-m", "twine", "check", "--strict", *map(str, files)],
        what="twine check --strict",
        error=BuildError,
        log=log,
        env={"NO_COLOR": "1"},
        hint="fix the package metadata (often the README's markup or a missing field)",
    )
    sdists = [f for f in files if f.name.endswith(".tar.gz")]
    wheels = [artifacts.inspect_wheel(f) for f in files if f.name.endswith(".whl")]
    if not wheels:
        raise BuildError(f"no wheel in {dist_dir}", "build a wheel as well as the sdist")
    version = normalize(wheels[0].version)  # METADATA may say 1.0.0-beta; files say 1.0.0b0
    artifacts.check_versions(files, name, version)
    if tag is not None:
        check_tag_matches(version, tag)
    problems = [f"{w.filename} {p}" for w in wheels for p in artifacts.check_wheel_contents(w)]
    if problems:
        raise BuildError(
            "wheel contents: " + "; ".join(problems),
            'exclude them in [tool.hatch.build.targets.wheel] (e.g. packages = ["src/pkg"])',
        )
    if not sdists:
        log(f"note: no sdist in {dist_dir}; only wheels will be published")
    manifest = Manifest(
        name=wheels[0].name,
        version=version,
        tag=tag.name if tag else None,
        commit=commit,
        source_date_epoch=epoch,
        files=tuple(describe(f) for f in files),
    )
    manifest.save(dist_dir)
    return manifest


def _foreign_files(dist_dir: Path, name: str) -> list[str]:
    """Distribution files in ``dist_dir`` that releasekit did not build for ``name``.

    A file counts as releasekit's only when the manifest there lists it, the manifest is
    ``name``'s (another project's dist/, copied or shared, is not ours to empty), and the
    file still has the bytes the manifest records (a file rebuilt by hand or edited since is
    not what releasekit built). Each other file is named with why it is not ours.
    """
    if not dist_dir.is_dir():
        return []
    try:
        manifest: Manifest | None = Manifest.load(dist_dir)
    except BuildError:
        manifest = None
    ours = {f.filename: f.sha256 for f in manifest.files} if manifest is not None else {}
    owner = manifest.name if manifest is not None else name
    foreign = []
    for path in artifacts.find_dists(dist_dir):
        if path.name not in ours:
            foreign.append(path.name)
        elif canonicalize_name(owner) != canonicalize_name(name):
            foreign.append(f"{path.name} (built for {owner})")
        elif sha256_file(path) != ours[path.name]:
            foreign.append(f"{path.name} (changed since it was built)")
    return sorted(foreign)


def _replace_dist(dist_dir: Path, built: list[Path]) -> None:
    """Make ``dist_dir`` hold exactly the new build: old files would be published too.

    Only files of releasekit's previous build are removed (the caller refused to start
    when others were there). A dist/ that cannot be written is a clear error.
    """
    try:
        dist_dir.mkdir(parents=True, exist_ok=True)
        for old in artifacts.find_dists(dist_dir):
            old.unlink()
        from releasekit.attest import attestation_files

        old_records = [
            dist_dir / MANIFEST_NAME,
            *dist_dir.glob("releasekit-publish-*.json"),
            *attestation_files(dist_dir),  # they sign the files just replaced
        ]
        for record in old_records:
            record.unlink(missing_ok=True)
        for path in built:
            shutil.move(str(path), dist_dir / path.name)
    except OSError as exc:
        raise BuildError(
            f"cannot write the build into {dist_dir}: {exc.strerror or exc}",
            "make it writable (and check the disk has space), or pass `-- --dist DIR`",
        ) from None

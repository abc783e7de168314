"""Build once, from a clean checkout of HEAD, and record exactly what was built.

The sdist is built first and the wheel from the unpacked sdist (what ``python -m build``
does), so a file missing from the sdist shows up as a broken wheel now rather than as a
broken install from PyPI later. ``SOURCE_DATE_EPOCH`` is the commit's time, so building
the same commit again gives the same bytes, and a rerun of the release can prove that
what an index serves is what this commit builds; where a backend puts the build's clock
into the sdist anyway, its times are settled to the commit's
(:mod:`releasekit.kinds.python.reproducible`). A rehearsal of a setuptools-scm version
before its tag builds in a throwaway clone where that tag is made (:func:`tagged_clone`).

Before the sdist is built, the checkout may be prepared: ``prepare-commands`` make files
that are not committed (a frontend bundle), and ``version-from-tag`` writes the tag's
version into the version files. Both change the temporary checkout only, never the
user's tree.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from releasekit import _child
from releasekit.core import carriers, git
from releasekit.core.config import CarrierSpec, Config
from releasekit.core.git import ReleaseTag
from releasekit.core.guard import check_tag_matches
from releasekit.core.version import normalize, tag_for, try_normalize
from releasekit.engine import records
from releasekit.engine.manifest import (
    Manifest,
    describe,
    filename_parts,
)
from releasekit.engine.records import PENDING_NAME
from releasekit.errors import BuildError, ReleasekitError
from releasekit.kinds.python import artifacts, distdir, reproducible, secondbuild
from releasekit.runtime import proc, venvs
from releasekit.runtime.venvs import find_uv

__all__ = ["adopt_prebuilt", "build_release", "build_tag", "reusable_manifest", "tagged_clone"]


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
    version_env: Mapping[str, str] | None = None,
    check_reproducible: bool = False,
) -> Manifest:
    """Build sdist and wheel from a clean checkout of HEAD into ``dist_dir``; check them.

    ``tools`` is an interpreter with ``build`` and ``twine`` installed (the session's).
    ``version_env``: a VCS plugin's pretend version (:mod:`releasekit.project.vcsversion`),
    for the build processes only. ``check_reproducible``: build a second time elsewhere and
    compare the bytes before ``dist_dir`` is touched (:mod:`releasekit.kinds.python.secondbuild`).
    """
    root = config.root
    foreign = distdir.foreign_files(dist_dir, name)
    if foreign:
        raise BuildError(
            f"{dist_dir} holds files releasekit did not build: {', '.join(foreign)}",
            "move or delete them (releasekit never deletes files it did not make): the release "
            "builds dist/ itself, from a clean checkout of HEAD; your own build can go "
            "elsewhere (`python -m build --outdir DIR`), and `-- --dist DIR` publishes files "
            "built elsewhere instead of building",
        )
    commit = git.head_commit(root)
    if commit is None:
        raise BuildError(
            f"{root} is not a git repository with a commit",
            "releasekit builds from a commit: `git init` and commit first",
        )
    # twine check runs after the build: its (slow) start overlaps with the build
    _prestart_twine(tools)
    epoch = git.commit_timestamp(root)
    env = _build_env(epoch, tag)
    pretend = dict(version_env or {})
    next_tag = _next_tag_to_make(config, pretend)
    with _work_dir("releasekit-build-") as work:
        built = _build_commit(config, commit, work, tools, env, tag, epoch, log, pretend, next_tag)
        if check_reproducible:  # a difference stops here: dist/ stays as it was

            def again(variant: secondbuild.Variant) -> list[Path]:
                return _build_commit(
                    config, commit, variant.work, tools, {**env, **variant.env}, tag, epoch,
                    log, pretend, next_tag, checkout_at=variant.checkout,
                )  # fmt: skip

            secondbuild.prove_reproducible(built, again, root=root, commit=commit, log=log)
        distdir.replace_dist(dist_dir, built, name)
    return check_and_record(
        config, dist_dir, tools=tools, name=name, tag=tag, commit=commit, epoch=epoch, log=log,
        reproduced=check_reproducible,
    )  # fmt: skip


# The umask of every release build: its checkout's files and what the backend writes get
# the modes a fresh CI clone gives them, whatever the maintainer's shell has. setuptools
# copies the checkout's modes into the sdist and the wheel (hatchling normalizes its own),
# so under umask 002 the same commit built other bytes (Reproducible Builds: "set a fixed
# umask"). The second build of --check-reproducible runs under it too: it varies the path
# and TZ, not what releasekit fixes for every build.
RELEASE_UMASK = 0o022


@contextlib.contextmanager
def release_umask() -> Iterator[None]:
    """The process umask :data:`RELEASE_UMASK` for the block (git's checkout and the build
    processes inherit it), the caller's again afterwards: the build step runs one build at
    a time, and nothing else of releasekit's writes files meanwhile."""
    previous = os.umask(RELEASE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def _build_env(epoch: int | None, tag: ReleaseTag | None) -> dict[str, str]:
    """The variables of a release build: ``SOURCE_DATE_EPOCH`` (the commit's time), the
    hook on, and the tag for the hook."""
    env = {"SOURCE_DATE_EPOCH": str(epoch)} if epoch is not None else {}
    # The sdist ships releasekit's hook off (it builds without releasekit anywhere else);
    # this build turns it on again, so the tag guard also checks the wheel built from it.
    env["HATCH_BUILD_HOOK_ENABLE_RELEASEKIT"] = "1"
    if tag is not None:  # the wheel is built from the sdist: hand the hook the tag
        env["RELEASEKIT_TAG"] = tag.name
    return env


@release_umask()
def _build_commit(
    config: Config,
    commit: str,
    work: Path,
    tools: Sequence[str],
    env: Mapping[str, str],
    tag: ReleaseTag | None,
    epoch: int | None,
    log: proc.Log,
    pretend: Mapping[str, str],
    next_tag: tuple[str, str] | None,
    *,
    checkout_at: Path | None = None,
) -> list[Path]:
    """One build of ``commit`` (HEAD) under ``work``: in a tagged throwaway clone for a
    setuptools-scm rehearsal, else in a clean checkout (at ``checkout_at`` when given, else
    at the one stable path); the built files."""
    root = config.root
    built: list[Path] | None = None
    if next_tag is not None:
        # setuptools-scm records what git says (scm_version.json) only at a real tag:
        # the tag is made in a throwaway clone, so the build is the tag's own
        with tagged_clone(root, commit, next_tag, work / "clone", log=log) as clone:
            if clone is not None:
                log(
                    f"building {next_tag[1]} in a throwaway clone tagged {next_tag[0]} "
                    "(as the tag will build it; the repository's tags are not touched)"
                )
                built = _build_checkout(config, clone, work / "tagged", tools, env, tag, epoch, log)
        if built is not None and not _all_of_version(built, next_tag[1]):
            log(
                f"setuptools-scm did not read {next_tag[1]} from the tag {next_tag[0]} "
                "(a tag_regex of its own?): building with the pretend variable instead"
            )
            built = None
    if built is None:
        if pretend:
            shown = ", ".join(f"{name}={value}" for name, value in pretend.items())
            log(f"building with {shown} (in the build's environment only)")
        with git.clean_checkout(root, at=checkout_at) as export:
            built = _build_checkout(config, export, work / "build", tools,
                                    {**env, **pretend}, tag, epoch, log)  # fmt: skip
    return built


def build_tag(
    config: Config,
    tag: ReleaseTag,
    work: Path,
    *,
    tools: Sequence[str],
    log: proc.Log,
    epoch: int | None = None,
) -> list[Path]:
    """Build the release tag ``tag`` again under ``work`` as its release built it: a clean
    checkout of the tag at the stable path, ``SOURCE_DATE_EPOCH`` of its commit (or
    ``epoch``), the tag's own ``prepare-commands`` and ``version-from-tag`` (its
    pyproject.toml's, when it reads; else ``config``'s); the built files
    (:func:`releasekit.kinds.python.rebuild.rebuild_check`).
    """
    from releasekit.core.config import load_config

    root = config.root
    if epoch is None:
        epoch = git.commit_timestamp(root, tag.name)
    with release_umask(), git.clean_checkout(root, tag.name) as export:
        try:
            at_tag = load_config(export)._replace(tag_prefix=config.tag_prefix)
        except ReleasekitError:
            at_tag = config._replace(root=export)
        return _build_checkout(at_tag, export, work, tools, _build_env(epoch, tag), tag, epoch, log)


_BUILD_HINT = "read the build output above; the same command fails locally too"


@contextlib.contextmanager
def _work_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory, removed whole at the end even when a stop interrupts."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        distdir.remove_fully(path)


def _build_checkout(
    config: Config,
    export: Path,
    work: Path,
    tools: Sequence[str],
    env: Mapping[str, str],
    tag: ReleaseTag | None,
    epoch: int | None,
    log: proc.Log,
) -> list[Path]:
    """Prepare the checkout ``export`` and build its sdist, then the wheel from the sdist,
    under ``work``; the built files. The sdist's times are the commit's
    (:mod:`releasekit.kinds.python.reproducible`) before anything reads it."""
    out = work / "dist"
    work.mkdir(parents=True, exist_ok=True)
    uv = find_uv()
    frontend = [] if uv else _python_build(tools)  # refused before a prepare-command runs
    if config.version_from_tag and tag is not None:
        stamp_version(config, export, tag.version, log=log)
    prepare(config, export, log=log)
    system = _build_system(export) if uv else None
    if uv and system is not None:
        log("building the sdist, then the wheel from the sdist (one isolated build env)")
        build_from_sdist(export, out, system, uv=uv, work=work, env=env, log=log, epoch=epoch)
        return artifacts.find_dists(out)
    if uv:  # an in-tree backend, or no [build-system]: uv build knows the defaults
        # --python: a .python-version file in the project must not make uv look
        # for (or download) another interpreter just to run the build backend
        argv = [uv, "build", "--python", sys.executable, "--out-dir", str(out), str(export)]
    else:
        argv = [*frontend, "--outdir", str(out), str(export)]
    tool = "uv build" if uv else "python -m build"
    log(f"building the sdist, then the wheel from the sdist ({tool})")
    proc.run(
        argv,
        what="building the sdist, then the wheel from the sdist",
        error=BuildError,
        env=env,
        log=log,
        hint=_BUILD_HINT,
    )
    built = artifacts.find_dists(out)
    if epoch is not None:  # the wheel was built from the sdist as the backend wrote it
        for path in built:
            if path.name.endswith(".tar.gz"):
                _settle(path, epoch, log)
    return built


def _python_build(tools: Sequence[str]) -> list[str]:
    """``python -m build``, the front end where uv is not installed. A session's ``tools``
    have it; releasekit's own interpreter (``status --rebuild``) may not: ``build`` is no
    dependency of releasekit, so its absence is named here, not as ``No module named build``
    after the checkout."""
    if list(tools) == [sys.executable] and importlib.util.find_spec("build") is None:
        raise BuildError(
            f"cannot build: uv is not on PATH and the build package is not installed for "
            f"{sys.executable}",
            "install build (pip install build) or uv beside releasekit",
        )
    return [*tools, "-m", "build"]


def _settle(sdist: Path, epoch: int, log: proc.Log) -> None:
    said = reproducible.settle_sdist(sdist, epoch)
    if said:
        log(f"reproducible sdist: {said}")


def _next_tag_to_make(config: Config, pretend: Mapping[str, str]) -> tuple[str, str] | None:
    """(tag, version) when a rehearsal of a setuptools-scm project builds the next tag's
    version: the build is made at that tag in a throwaway clone instead of with the pretend
    variable. setuptools-scm (>= 10) writes ``scm_version.json`` into the sdist for a build
    at a real tag and never for a pretended one, so only the tag builds the tag's bytes.
    ``None`` for every other case (hatch-vcs and pdm-backend build the same files with their
    pretend variables)."""
    if not pretend:
        return None
    from releasekit.core.config import load_pyproject
    from releasekit.project import vcsversion

    try:
        source = vcsversion.vcs_source(load_pyproject(config.root))
    except ReleasekitError:
        return None
    if source is not vcsversion.SETUPTOOLS_SCM:
        return None
    version = next(iter(pretend.values()))
    return tag_for(version, git.new_tag_prefix(config.root, config.tag_prefix)), version


def _all_of_version(built: Sequence[Path], version: str) -> bool:
    """Whether every built file carries ``version`` in its name."""
    want = try_normalize(version)
    return bool(built) and all(
        try_normalize(filename_parts(path.name)[1]) == want for path in built
    )


# Variables that would point git at another repository than the one it is asked about
_GIT_LOCATING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
                 "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")  # fmt: skip


@contextlib.contextmanager
def tagged_clone(
    root: Path, commit: str, tag: tuple[str, str], where: Path, *, log: proc.Log
) -> Iterator[Path | None]:
    """A throwaway clone of ``root``'s repository at ``commit``, with ``tag[0]`` made there
    (lightweight) and nowhere else; yields where ``root`` is inside it, or ``None`` (said in
    the log) when git could not make it (the caller then builds as before).

    ``--shared``: the clone borrows the repository's objects (no copy), and it takes every
    tag of the repository, so a version plugin counts as in a fresh CI clone. HEAD is
    detached, as in :func:`releasekit.core.git.clean_checkout`, so what a plugin records of
    the branch is what the tag's own build records. The user's hooks do not run.
    """
    top = git.toplevel(root)
    hooks = ["-c", f"core.hooksPath={os.devnull}"]
    steps = [
        ["clone", "--quiet", "--shared", "--no-checkout", str(top), str(where)],
        ["-C", str(where), "fetch", "--quiet", "origin", "+refs/tags/*:refs/tags/*"],
        ["-C", str(where), "checkout", "--quiet", "--detach", commit],
        ["-C", str(where), "tag", tag[0], commit],
    ]
    try:
        made = top is not None
        for argv in steps if made else []:
            try:
                proc.run(
                    ["git", *hooks, *argv], error=BuildError,
                    what=f"git {argv[2] if argv[0] == '-C' else argv[0]}",
                    env={"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}, unset=_GIT_LOCATING,
                )  # fmt: skip
            except BuildError as exc:
                log(
                    f"no throwaway clone to tag ({exc.message}): building with the pretend "
                    "variable instead"
                )
                made = False
                break
        if not made or top is None:
            yield None
        else:
            prefix = os.path.relpath(root.resolve(), Path(top).resolve())
            yield where if prefix == "." else where / prefix
    finally:
        distdir.remove_fully(where)


@dataclass(frozen=True)
class BuildSystem:
    """A project's ``[build-system]``: what its backend needs, and which backend."""

    requires: tuple[str, ...]
    backend: str


def _build_system(source: Path) -> BuildSystem | None:
    """``[build-system]`` of ``source``'s pyproject.toml when releasekit can run the backend
    itself; ``None`` (let ``uv build`` decide) for anything else: no table, no backend
    (the setuptools default), an in-tree backend (``backend-path``), or a file that does not
    parse (uv then says what is wrong with it)."""
    from releasekit._compat import tomllib

    try:
        data = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    table = data.get("build-system")
    if not isinstance(table, dict) or "backend-path" in table:
        return None
    requires, backend = table.get("requires"), table.get("build-backend")
    if not isinstance(backend, str) or not backend.strip() or not isinstance(requires, list):
        return None
    if not all(isinstance(r, str) for r in requires):
        return None
    return BuildSystem(tuple(requires), backend.strip())


class _BuildEnv:
    """One isolated build environment: a fresh venv with the build requirements only.

    ``python -m build`` and ``uv build`` make one for the sdist and another for the wheel
    built from it; when the sdist declares the same ``[build-system]`` as the checkout (a
    backend copies it unchanged), the second would hold exactly what the first holds, so
    both steps run here, each in a process of its own. Compiled at install: the backend
    starts twice.
    """

    def __init__(self, path: Path, system: BuildSystem, *, uv: str, log: proc.Log) -> None:
        self.system = system
        self.log = log
        self.venv = venvs.create(path, None, uv=uv)
        if system.requires:
            self._install(system.requires)

    def _install(self, requires: Sequence[str]) -> None:
        self.log(f"installing the build requirements: {', '.join(requires)}")
        self.venv.install(*requires, error=BuildError, log=self.log, compile_bytecode=True)

    def _missing(self, requires: Sequence[str]) -> list[str]:
        """The requirements the environment does not satisfy (one with extras counts as
        missing: the installer sorts it out)."""
        from importlib import metadata

        from packaging.requirements import InvalidRequirement, Requirement

        sites = [str(p) for p in self.venv.path.glob("lib*/python*/site-packages")]
        sites += [str(p) for p in self.venv.path.glob("Lib/site-packages")]
        have = {
            canonicalize_name(d.metadata["Name"] or ""): d.version
            for d in metadata.distributions(path=sites)
        }
        missing = []
        for text in requires:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                missing.append(text)  # the installer says what is wrong with it
                continue
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue
            version = have.get(canonicalize_name(requirement.name))
            if (
                version is None
                or requirement.extras
                or not requirement.specifier.contains(version, prereleases=True)
            ):
                missing.append(text)
        return missing

    def build(self, phase: str, source: Path, out: Path, env: Mapping[str, str]) -> Path:
        """Run the backend's ``build_sdist``/``build_wheel`` in ``source``; the built file."""
        result = self.venv.path.parent / f"releasekit-{phase}-result.json"
        what = "building the sdist" if phase == "sdist" else "building the wheel from the sdist"
        bin_dir = str(self.venv.bin("python").parent)
        child = {
            **env,
            "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
            "VIRTUAL_ENV": str(self.venv.path),
        }
        # A script file, as pyproject_hooks runs its helper: the source tree is the working
        # directory but not on sys.path (``-c`` would put it there, and a backend could
        # import the project instead of itself); see releasekit/_child/backend.py
        skip = "0"
        while True:
            result.unlink(missing_ok=True)
            proc.run(
                [self.venv.python, _child.BACKEND, phase, out, result, self.system.backend, skip],
                what=what, error=BuildError, cwd=source, env=child, log=self.log,
                hint=_BUILD_HINT,
            )  # fmt: skip
            try:
                answer = json.loads(result.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise BuildError(
                    f"{what} failed: the backend {self.system.backend} reported no result",
                    _BUILD_HINT,
                ) from None
            if "built" in answer:
                return out / str(answer["built"])
            requires = [str(r) for r in answer.get("requires", [])]
            missing = self._missing(requires)
            if missing:
                self._install(missing)
            skip = "1"


def build_from_sdist(
    source: Path,
    out: Path,
    system: BuildSystem,
    *,
    uv: str,
    work: Path,
    env: Mapping[str, str],
    log: proc.Log,
    epoch: int | None = None,
) -> None:
    """The sdist of ``source``, then the wheel from the unpacked sdist, into ``out``.

    What ``python -m build`` does, with one isolated environment for both steps when the
    sdist's ``[build-system]`` is the checkout's (otherwise a second one for the wheel).
    With ``epoch``, the sdist's times are settled to it first (the wheel is built from the
    sdist that is published).
    """
    out.mkdir(parents=True, exist_ok=True)
    build_env = _BuildEnv(work / "build-env", system, uv=uv, log=log)
    sdist = build_env.build("sdist", source, out, env)
    if epoch is not None:
        _settle(sdist, epoch, log)
    unpacked = _unpack_sdist(sdist, work / "sdist")
    wheel_system = _build_system(unpacked)
    if wheel_system is None:
        raise BuildError(
            f"{sdist.name} has no usable [build-system] in its pyproject.toml",
            "the sdist must ship pyproject.toml: check [tool.hatch.build.targets.sdist]",
        )
    if wheel_system != system:
        log("the sdist declares another [build-system]: a second build env for the wheel")
        build_env = _BuildEnv(work / "build-env-wheel", wheel_system, uv=uv, log=log)
    build_env.build("wheel", unpacked, out, env)


def _unpack_sdist(sdist: Path, where: Path) -> Path:
    """Unpack ``sdist`` under ``where``; the directory the wheel is built from.

    As ``python -m build`` does: the ``data`` extraction filter (nothing lands outside
    ``where``), and the source is the directory named like the file (``demo-1.0.tar.gz``
    holds ``demo-1.0/``).
    """
    where.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(where, filter="data")
            else:  # Python < 3.9.17: plain files and directories inside ``where`` only
                for member in archive.getmembers():
                    parts = member.name.split("/")
                    if (
                        member.name.startswith("/")
                        or ".." in parts
                        or not (member.isfile() or member.isdir())
                    ):
                        raise BuildError(
                            f"{sdist.name} holds {member.name!r}, which is not a plain file "
                            "inside the archive",
                            "check what [tool.hatch.build.targets.sdist] includes",
                        )
                archive.extractall(where)
    except (OSError, tarfile.TarError) as exc:
        raise BuildError(f"cannot unpack {sdist.name}: {exc}", _BUILD_HINT) from None
    source = where / sdist.name[: -len(".tar.gz")]
    if not source.is_dir():
        raise BuildError(
            f"{sdist.name} does not hold the directory {source.name}/",
            "an sdist holds its files under {name}-{version}/: check the build backend",
        )
    return source


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
    reproduced: bool = False,
) -> Manifest:
    """twine check, version and content checks, then the manifest: the build's record
    (``reproduced``: built twice with the same bytes)."""
    files = artifacts.find_dists(dist_dir)
    if not files:
        raise BuildError(
            f"no .whl or .tar.gz files in {dist_dir}",
            "build first (`nox -s build`) or point --dist at the built files",
        )
    artifacts.check_archives(files)  # twine check shows a traceback for a broken one
    proc.run(
        [*tools, "-m", "twine", "check", "--strict", *map(str, files)],
        what="twine check --strict",
        error=BuildError,
        log=log,
        env=_TWINE_CHECK_ENV,
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
        reproduced=reproduced,
    )
    manifest.save(dist_dir)
    try:  # the manifest now says which files are releasekit's
        (dist_dir / PENDING_NAME).unlink(missing_ok=True)
    except OSError as exc:
        raise records.named_oserror(exc, dist_dir / PENDING_NAME) from None
    return manifest


# What twine check imports before it can check (most of its start-up, ~0.3 s); and the
# upload command's modules, which the uploads later import from the .pyc files this
# writes (the first release from a new tools venv compiles them here, in the background)
_TWINE_CHECK_PRELOAD = ("twine.__main__", "twine.commands.check", "twine.commands.upload")
_TWINE_CHECK_ENV = {"NO_COLOR": "1", **venvs.WRITE_BYTECODE}


def _prestart_twine(tools: Sequence[str]) -> None:
    """Start twine check now, to run after the build (see
    :func:`releasekit.runtime.proc.prestart`).
    """
    if len(tools) == 1:
        argv = [tools[0], "-m", "twine", "check", "--strict"]  # the files: when built
        proc.prestart(argv, preload=_TWINE_CHECK_PRELOAD, env=_TWINE_CHECK_ENV)

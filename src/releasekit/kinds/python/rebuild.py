"""A published version rebuilt from its release tag and compared with what the index serves
(``releasekit status --rebuild VERSION``).

The version's release tag is checked out clean and built as the release built it
(:func:`releasekit.kinds.python.build.build_tag`); each file the index serves for the
version is compared by the sha256 the index gives, and where they differ the served file is
downloaded (its bytes proved against that sha256) and compared member by member
(:func:`releasekit.kinds.python.secondbuild.first_difference`). The build step's own proof,
two builds of one commit, is :mod:`releasekit.kinds.python.secondbuild`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.engine.manifest import file_version, sha256_file
from releasekit.errors import ReleasekitError
from releasekit.kinds.python.secondbuild import Difference, first_difference
from releasekit.runtime import proc

if TYPE_CHECKING:
    from releasekit.core.config import Config
    from releasekit.core.git import ReleaseTag

__all__ = ["FileVerdict", "RebuildReport", "rebuild_check", "release_tag_of"]


@dataclass(frozen=True)
class FileVerdict:
    """One file of a published version: what the index serves against what its tag builds.

    ``verdict``: ``same`` (sha256 equal), ``differs`` (``difference`` says where),
    ``not rebuilt`` (the index serves it; this machine's build makes no such file: a
    platform wheel of another machine), ``not served`` (built here, not on the index), or
    ``unverifiable`` (the index gives no sha256).
    """

    filename: str
    verdict: str
    served_sha256: str | None = None
    rebuilt_sha256: str | None = None
    difference: Difference | None = None

    def describe(self) -> str:
        said = {
            "same": "the tag builds the bytes the index serves",
            "differs": "differs",
            "not rebuilt": "served, not built here (another platform's wheel?)",
            "not served": "built from the tag, not on the index",
            "unverifiable": "the index gives no sha256",
        }[self.verdict]
        if self.difference is not None:
            d = self.difference
            said += f" at {d.member}: {d.aspect} {d.first} served, {d.second} rebuilt"
        return f"{self.filename}: {said}"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "filename": self.filename,
            "verdict": self.verdict,
            "served_sha256": self.served_sha256,
            "rebuilt_sha256": self.rebuilt_sha256,
        }
        if self.difference is not None:
            out["difference"] = {
                "member": self.difference.member,
                "aspect": self.difference.aspect,
                "served": self.difference.first,
                "rebuilt": self.difference.second,
            }
        return out


@dataclass(frozen=True)
class RebuildReport:
    """What :func:`rebuild_check` found: every file of the version, on the index or built."""

    name: str
    version: str
    tag: str
    commit: str
    index_url: str
    files: tuple[FileVerdict, ...]
    seconds: float = 0.0
    # the SOURCE_DATE_EPOCH of the build compared, when not the tag's commit time: the one
    # time every member of the served sdist carries (a release built by other means)
    epoch: int | None = None

    @property
    def ok(self) -> bool:
        """Every file the tag builds here that the index serves is the same bytes, and
        there is at least one such file."""
        verdicts = [f.verdict for f in self.files]
        return "same" in verdicts and "differs" not in verdicts

    def lines(self) -> list[str]:
        head = (
            f"rebuild of {self.name} {self.version} from {self.tag} ({self.commit[:12]}) "
            f"against {self.index_url}: "
            + ("reproduced" if self.ok else "NOT reproduced")
            + f" ({self.seconds:.1f}s)"
        )
        if self.epoch is not None:
            head += (
                f"; built with SOURCE_DATE_EPOCH={self.epoch}, the one time of every member of "
                "the served sdist (releasekit's own builds take the tag's commit time)"
            )
        return [head, *(f"  {f.describe()}" for f in self.files)]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "index": self.index_url,
            "reproduced": self.ok,
            "source_date_epoch": self.epoch,
            "files": [f.as_json() for f in self.files],
        }


def release_tag_of(root: Path, prefix: str | None, version: str) -> ReleaseTag:
    """The release tag of ``version`` in ``root``'s repository (of ``prefix``'s form)."""
    from releasekit.core import git
    from releasekit.core.version import normalize, tag_for

    wanted = normalize(version)
    name = git.release_tag_named(root, prefix, wanted)
    if name is not None:
        return git.ReleaseTag(name, wanted, "git tag")
    raise ReleasekitError(
        f"no release tag of {wanted} in {root} (looked for {tag_for(wanted, prefix)})",
        "fetch the tags (`git fetch --tags`); the rebuild checks out the tag the version "
        "was released from",
    )


def rebuild_check(
    config: Config,
    name: str,
    version: str,
    *,
    index_url: str | None = None,
    tools: Sequence[str] = (sys.executable,),
    log: proc.Log = proc.no_log,
    timeout: float = 60.0,
) -> RebuildReport:
    """Rebuild the published ``version`` of ``name`` from its release tag and compare it
    with what the index at ``index_url`` serves (default: the prod index).

    The tag is checked out clean and built as the release built it (the same checkout path,
    ``SOURCE_DATE_EPOCH`` of the tag's commit, the tag handed to releasekit's hook, the
    tag's ``prepare-commands`` and ``version-from-tag``). Each served file of the version
    is compared by the sha256 the index gives; a differing one is downloaded (its bytes
    proved against that sha256) and compared member by member. Expected failures (no tag,
    nothing served, a build that fails) raise :class:`ReleasekitError`.
    """
    from releasekit.core import git
    from releasekit.kinds.python import build, distdir
    from releasekit.targets.pypi import simple

    started = time.monotonic()
    root = config.root
    prefix = git.tag_prefix(root, config.tag_prefix)
    tag = release_tag_of(root, prefix, version)
    commit = git.ask(root, "rev-parse", "--verify", "--quiet", f"{tag.name}^{{commit}}") or ""
    url = index_url or config.prod_index.url
    listed = simple.project_files(url, name, timeout=timeout)
    served = {
        filename: remote
        for filename, remote in listed.items()
        if file_version(filename, name) == tag.version
    }
    if not served:
        raise ReleasekitError(
            f"{url} serves no file of {name} {tag.version}",
            "check the name, the version and the index (--rebuild compares a published "
            "version with its tag's build)",
        )
    work = Path(tempfile.mkdtemp(prefix="releasekit-rebuild-"))
    epoch: int | None = None
    try:
        log(f"rebuilding {name} {tag.version} from {tag.name} ({commit[:12]})")
        built = build.build_tag(config, tag, work / "build", tools=tools, log=log)
        verdicts = _verdicts(built, served, work / "served", timeout=timeout)
        epoch = _served_epoch(verdicts, work / "served", git.commit_timestamp(root, tag.name))
        if epoch is not None:
            log(
                f"the served sdist's members all carry one time, {epoch} (not the tag's "
                f"commit time): building {tag.name} again with SOURCE_DATE_EPOCH={epoch}"
            )
            built = build.build_tag(
                config, tag, work / "build-at-epoch", tools=tools, log=log, epoch=epoch
            )
            verdicts = _verdicts(built, served, work / "served-again", timeout=timeout)
    finally:
        distdir.remove_fully(work)
    return RebuildReport(
        name=name, version=tag.version, tag=tag.name, commit=commit.strip(), index_url=url,
        files=tuple(verdicts), seconds=time.monotonic() - started, epoch=epoch,
    )  # fmt: skip


def _served_epoch(
    verdicts: Sequence[FileVerdict], served_dir: Path, tag_epoch: int | None
) -> int | None:
    """The one time every member of the served sdist carries, when the rebuild differs
    from it first in a time and that time is not the tag's commit's; else ``None``.

    A release built by other means than releasekit (hatchling without SOURCE_DATE_EPOCH
    stamps 2020-02-02, a CI job its own commit's time) is reproducible with that time, and
    built again with it the comparison says so, instead of failing on every member's time.
    """
    import tarfile

    for verdict in verdicts:
        if not verdict.filename.endswith(".tar.gz") or verdict.difference is None:
            continue
        if verdict.difference.aspect != "mtime":
            return None
        try:
            with tarfile.open(served_dir / verdict.filename, "r:gz") as archive:
                times = {int(member.mtime) for member in archive}
        except (OSError, tarfile.TarError, EOFError):
            return None
        if len(times) == 1 and times != {tag_epoch}:
            return times.pop()
    return None


def _verdicts(
    built: Sequence[Path], served: Mapping[str, Any], where: Path, *, timeout: float
) -> list[FileVerdict]:
    from releasekit.targets.pypi import simple

    verdicts = []
    rebuilt = {path.name: path for path in built}
    for filename in sorted(set(rebuilt) | set(served), key=_sdist_first):
        path, remote = rebuilt.get(filename), served.get(filename)
        mine = sha256_file(path) if path else None
        theirs = remote.sha256 if remote is not None else None
        if remote is None:
            verdicts.append(FileVerdict(filename, "not served", None, mine))
        elif path is None:
            verdicts.append(FileVerdict(filename, "not rebuilt", theirs, None))
        elif theirs is None:
            verdicts.append(FileVerdict(filename, "unverifiable", None, mine))
        elif theirs == mine:
            verdicts.append(FileVerdict(filename, "same", theirs, mine))
        else:
            copy = simple.download(remote, where, expected_sha256=theirs, timeout=timeout)
            difference = first_difference(copy, path)
            verdicts.append(FileVerdict(filename, "differs", theirs, mine, difference))
    return verdicts


def _sdist_first(filename: str) -> tuple[int, str]:
    return (0 if filename.endswith(".tar.gz") else 1, filename)

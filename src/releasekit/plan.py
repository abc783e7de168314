"""The release plan: everything the release will do, decided before it does anything.

Made once, right before the first irreversible step, from the build manifest and one read of
every target index: for each target, the policy's verdict (:mod:`releasekit.policy`) and,
for each built file, whether the target already holds it (missing / identical /
conflicting). Every reason to stop — a conflict on *any* index, a missing credential for an
index that will be written, an archived project, a release too old for new files — is a
refusal, and refusals stop the release before anything is uploaded anywhere: a conflict on
prod is no longer found after the test index was changed.

:func:`make_plan` is pure (values in, a plan out); the sessions read the indexes, call it,
print the plan first, write it to ``dist/releasekit-plan.json`` and then execute it.
"""

from __future__ import annotations

import datetime
import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from releasekit.config import IndexConfig
from releasekit.errors import PublishError
from releasekit.manifest import DistFile, Manifest
from releasekit.policy import Decision, Verdict, decide
from releasekit.version import channel, tag_for

__all__ = [
    "PLAN_NAME",
    "FileState",
    "Holding",
    "ReleasePlan",
    "TargetPlan",
    "TargetState",
    "conflict_message",
    "file_state",
    "make_plan",
]

PLAN_NAME = "releasekit-plan.json"
REPLACE_HINT = (
    "a published file can't be replaced: bump the version (e.g. `releasekit bump post`) and "
    "rebuild; yank the old one on the index's web page if it is broken"
)
NEW_FILES_WINDOW = datetime.timedelta(days=14)  # PyPI refuses new files for older releases
_CLOSED_STATUSES = ("archived", "quarantined")


class Holding(str, enum.Enum):
    """What a target holds under one built file's name."""

    MISSING = "missing"
    IDENTICAL = "identical"
    CONFLICTING = "conflicting"
    UNVERIFIABLE = "unverifiable"  # there, but the index gives no sha256 to compare


@dataclass(frozen=True)
class RemoteView:
    """What an index says about one file (the fields :func:`make_plan` uses)."""

    sha256: str | None
    upload_time: datetime.datetime | None = None
    integrity: str | None = None  # npm: what the registry serves for the version


@dataclass(frozen=True)
class TargetState:
    """One read of a target: its files of this project, and its project status (PEP 792)."""

    files: Mapping[str, RemoteView] = field(default_factory=dict)
    status: str | None = None
    status_reason: str | None = None


@dataclass(frozen=True)
class FileState:
    filename: str
    sha256: str  # ours, as ``digest`` names it
    holding: Holding
    remote_sha256: str | None = None  # theirs, the same kind of digest
    digest: str = "sha256"  # "integrity" for an npm tarball: the sha512 a registry serves


@dataclass(frozen=True)
class TargetPlan:
    """One target: the verdict, each file's state, and what stops it."""

    name: str
    url: str
    publish_url: str
    verdict: Verdict
    reason: str = ""
    files: tuple[FileState, ...] = ()
    refusals: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()

    @property
    def uploads(self) -> tuple[str, ...]:
        """The file names this target will be sent."""
        if self.verdict is not Verdict.PUBLISH:
            return ()
        return tuple(f.filename for f in self.files if f.holding is Holding.MISSING)

    def describe(self) -> str:
        if self.verdict is Verdict.SKIP:
            return f"skipped: {self.reason}"
        if self.verdict is Verdict.REFUSE:
            return f"refused: {self.reason}"
        if self.refusals:
            return "refused: " + "; ".join(self.refusals)
        counts: dict[str, int] = {}
        for state in self.files:
            counts[state.holding.value] = counts.get(state.holding.value, 0) + 1
        held = ", ".join(f"{n} {what}" for what, n in counts.items())
        todo = f"upload {len(self.uploads)} file(s)" if self.uploads else "nothing to upload"
        return f"{todo} ({held})"


@dataclass(frozen=True)
class ReleasePlan:
    """What this release will do, and whether it may."""

    name: str
    version: str
    channel: str
    tag: str | None  # the build's release tag
    would_tag: str  # the tag that releases this version (made by the user, never by us)
    files: tuple[DistFile, ...]
    targets: tuple[TargetPlan, ...]
    rehearse: bool = False

    @property
    def refusals(self) -> list[tuple[str, str]]:
        """(message, hint) for everything that stops the release, in target order."""
        found = []
        for target in self.targets:
            if target.verdict is Verdict.REFUSE:
                found.append((f"{target.name}: {target.reason}", target.hints[0]))
            for message, hint in zip(target.refusals, target.hints):
                found.append((f"{target.name}: {message}", hint))
        return found

    def target(self, name: str) -> TargetPlan | None:
        return next((t for t in self.targets if t.name == name), None)

    def render(self) -> list[str]:
        """The plan as lines: printed first, and all that ``--dry-run`` prints."""
        tag = self.tag or f"none yet (would be {self.would_tag})"
        mode = " (rehearsal: local stand-in indexes)" if self.rehearse else ""
        lines = [f"release plan{mode}: {self.name} {self.version} ({self.channel}), tag {tag}"]
        for item in self.files:
            lines.append(f"  file   {item.filename}  sha256={item.sha256[:16]}…")
        for target in self.targets:
            lines.append(f"  {target.name:<6} {target.url}: {target.describe()}")
        if self.refusals:
            lines.append("  => refused: nothing will be uploaded anywhere")
        elif not any(t.uploads for t in self.targets):
            lines.append("  => nothing to upload: every target already has these files")
        return lines

    def check(self) -> None:
        """Raise one :class:`PublishError` for every refusal, before anything is uploaded."""
        refusals = self.refusals
        if not refusals:
            return
        message = "; ".join(message for message, _ in refusals)
        raise PublishError(
            f"the release is refused, nothing was uploaded: {message}", refusals[0][1]
        )

    # -- the record under dist/ ---------------------------------------------------------------

    def save(self, dist_dir: Path) -> Path:
        path = dist_dir / PLAN_NAME
        path.write_text(json.dumps(_jsonable(self), indent=2) + "\n", encoding="utf-8")
        return path


def make_plan(
    manifest: Manifest,
    targets: Sequence[IndexConfig],
    read: Callable[[IndexConfig], TargetState],
    *,
    tag_prefix: str | None,
    pre_release: str,
    rehearse: bool,
    credentials: Mapping[str, bool],
    now: datetime.datetime,
) -> ReleasePlan:
    """The plan for ``manifest`` on ``targets``.

    ``read`` is called once for each target the policy would publish to (never for one it
    skips or refuses), and is the only I/O. ``credentials`` says, per target name, whether
    an upload there has credentials (a password in the environment, or a trusted-publishing
    identity).
    """
    plans = []
    for index in targets:
        decision = decide(
            index.name,
            manifest.version,
            tagged=manifest.tag is not None,
            rehearse=rehearse,
            pre_release=pre_release,
            tag_prefix=tag_prefix,
        )
        state = read(index) if decision.verdict is Verdict.PUBLISH else None
        plans.append(_target_plan(index, decision, state, manifest, credentials, now))
    return ReleasePlan(
        name=manifest.name,
        version=manifest.version,
        channel=channel(manifest.version).value,
        tag=manifest.tag,
        would_tag=tag_for(manifest.version, tag_prefix),
        files=manifest.files,
        targets=tuple(plans),
        rehearse=rehearse,
    )


def _target_plan(
    index: IndexConfig,
    decision: Decision,
    state: TargetState | None,
    manifest: Manifest,
    credentials: Mapping[str, bool],
    now: datetime.datetime,
) -> TargetPlan:
    if decision.verdict is not Verdict.PUBLISH or state is None:
        return TargetPlan(
            index.name,
            index.url,
            index.publish_url,
            decision.verdict,
            decision.reason,
            hints=(decision.hint,) if decision.hint else (),
        )
    files = tuple(file_state(item, state.files.get(item.filename)) for item in manifest.files)
    refusals: list[tuple[str, str]] = []
    bad = [f for f in files if f.holding in (Holding.CONFLICTING, Holding.UNVERIFIABLE)]
    if bad:
        refusals.append(
            (
                "; ".join(conflict_message(f) for f in bad),
                REPLACE_HINT,
            )
        )
    uploads = [f for f in files if f.holding is Holding.MISSING]
    if uploads and state.status in _CLOSED_STATUSES:
        why = f": {state.status_reason}" if state.status_reason else ""
        refusals.append(
            (
                f"the project is {state.status} on this index (PEP 792){why}; it takes no uploads",
                "ask the index's admins or the project's owners; nothing can be uploaded there",
            )
        )
    oldest = _oldest_upload(manifest.version, manifest.name, state.files)
    if uploads and oldest is not None and now - oldest > NEW_FILES_WINDOW:
        age = (now - oldest).days
        refusals.append(
            (
                f"{manifest.version} was first uploaded {oldest:%Y-%m-%d} ({age} days ago); "
                "PyPI refuses new files for a release more than 14 days old",
                "release the missing files under a new version (e.g. `releasekit bump post`)",
            )
        )
    if uploads and not credentials.get(index.name, False):
        env = index.env_prefix
        hint = (
            f"set {env}_PASSWORD (an API token; {env}_USERNAME defaults to __token__), or "
            "run in CI with trusted publishing (GitHub Actions: permissions: id-token: write)"
        )
        if index.name == "npm":
            hint = (
                "set NODE_AUTH_TOKEN to an npm automation token (actions/setup-node uses it), "
                "or publish from GitHub Actions with id-token: write (npm trusted publishing)"
            )
        refusals.append((f"no credentials to upload to {index.publish_url}", hint))
    return TargetPlan(
        index.name,
        index.url,
        index.publish_url,
        decision.verdict,
        decision.reason,
        files=files,
        refusals=tuple(message for message, _ in refusals),
        hints=tuple(hint for _, hint in refusals),
    )


def file_state(item: DistFile, remote: RemoteView | None) -> FileState:
    """What a target holds under ``item``'s name: compared by sha256, or for an npm tarball
    by the sha512 integrity a registry serves."""
    if remote is None:
        return FileState(item.filename, item.sha256, Holding.MISSING)
    if item.integrity is not None:
        ours, theirs, digest = item.integrity, remote.integrity, "integrity"
        same = theirs == ours
    else:
        ours, theirs, digest = item.sha256, remote.sha256, "sha256"
        same = theirs is not None and theirs.lower() == ours.lower()
    if theirs is None:
        return FileState(item.filename, ours, Holding.UNVERIFIABLE, digest=digest)
    holding = Holding.IDENTICAL if same else Holding.CONFLICTING
    return FileState(item.filename, ours, holding, theirs, digest)


def conflict_message(state: FileState) -> str:
    """Why a conflicting or unverifiable file stops the release."""
    width = 20 if state.digest == "integrity" else 12
    if state.holding is Holding.UNVERIFIABLE:
        return (
            f"{state.filename} is already there but the index gave no {state.digest} to "
            f"compare with ours ({state.sha256[:width]}…)"
        )
    return (
        f"{state.filename} is already there with {state.digest} "
        f"{(state.remote_sha256 or '')[:width]}…, ours is {state.sha256[:width]}…"
    )


def _oldest_upload(
    version: str, name: str, files: Mapping[str, RemoteView]
) -> datetime.datetime | None:
    """The earliest upload time of this version's files on the index (PEP 700), if served."""
    from releasekit.artifacts import file_version

    times = [
        remote.upload_time
        for filename, remote in files.items()
        if remote.upload_time is not None and file_version(filename, name) == version
    ]
    return min(times) if times else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def states_from_files(files: Iterable[tuple[str, str | None]]) -> TargetState:
    """A :class:`TargetState` from (filename, sha256) pairs, for callers with no more."""
    return TargetState(files={name: RemoteView(sha256) for name, sha256 in files})

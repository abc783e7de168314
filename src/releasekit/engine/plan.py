"""The release plan: everything the release will do, decided before it does anything.

Made once, right before the first irreversible step, from the build manifest and one read of
every target (:mod:`releasekit.targets`: the indexes, an npm registry, a GitHub release):
for each target, the policy's verdict for its stage (:mod:`releasekit.engine.policy`) and, for
each built file, whether the target already holds it (missing / identical / conflicting).
Every reason to stop — a conflict on *any* target, a missing credential for a target that
will be written, a target that cannot be read, what the target's own rules refuse (its read's
``refusals``: an archived project or a release too old for new files on an index, an
immutable GitHub release; its preflight's: PyPI's upload rules) — is a refusal, and
refusals stop the release before anything is uploaded anywhere: a conflict on prod or on
GitHub is no longer found after the test index was changed.

:func:`make_plan` calls each target's ``read`` and ``credentials`` and is otherwise pure;
the release prints the plan first, writes it to ``dist/releasekit-plan.json`` and then
executes it.
"""

from __future__ import annotations

import datetime
import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.core.version import channel, tag_for
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.policy import Decision, Verdict, decide
from releasekit.engine.records import PLAN_NAME, write_atomic
from releasekit.engine.remote import (
    REPLACE_HINT,
    FileState,
    Holding,
    RemoteView,
    TargetState,
    conflict_message,
    file_state,
)
from releasekit.errors import PublishError, ReleasekitError

if TYPE_CHECKING:
    from releasekit.targets.base import Target

__all__ = [
    "PLAN_NAME",
    "REPLACE_HINT",
    "FileState",
    "Holding",
    "ReleasePlan",
    "RemoteView",
    "TargetPlan",
    "TargetState",
    "conflict_message",
    "file_state",
    "make_plan",
    "new_project_refusals",
]


@dataclass(frozen=True)
class TargetPlan:
    """One target: the verdict, each file's state, and what stops it."""

    name: str
    url: str
    publish_url: str
    verdict: Verdict
    reason: str = ""
    stage: str = "test"  # the target's Stage, by value
    files: tuple[FileState, ...] = ()
    refusals: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    new_project: bool = False  # the target does not know the project: its uploads create it
    via: str = ""  # how the uploads will go, where the target says (Credentials.said)

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
        return f"{todo} ({held})" + (f"; {self.via}" if self.uploads and self.via else "")


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

    def check(self, already_out: str = "") -> None:
        """Raise one :class:`PublishError` for every refusal, before anything is uploaded.

        ``already_out`` says what earlier steps of this run put out already (a re-plan of
        prod after the test upload): the message must not claim that nothing was uploaded.
        """
        refusals = self.refusals
        if not refusals:
            return
        message = "; ".join(message for message, _ in refusals)
        if already_out:
            raise PublishError(
                f"the release stops here, with {already_out} out already: {message}",
                refusals[0][1],
            )
        raise PublishError(
            f"the release is refused, nothing was uploaded: {message}", refusals[0][1]
        )

    # -- the record under dist/ ---------------------------------------------------------------

    def save(self, dist_dir: Path) -> Path:
        path = dist_dir / PLAN_NAME
        write_atomic(path, json.dumps(_jsonable(self), indent=2) + "\n")  # whole, named
        return path


def make_plan(
    manifest: Manifest,
    targets: Sequence[Target],
    *,
    tag_prefix: str | None,
    pre_release: str,
    rehearse: bool,
    dist_dir: Path,
) -> ReleasePlan:
    """The plan for ``manifest`` (its files in ``dist_dir``) on ``targets``.

    Each target the policy would publish to (never one it skips or refuses) is read once
    (:meth:`~releasekit.targets.base.Target.read`, the only I/O), asked whether its
    credentials are there, and given the files it is to be sent for its preflight
    (:meth:`~releasekit.targets.base.Target.preflight`: PyPI's upload rules, for an index);
    a read that fails is that target's refusal, so one plan shows every problem of every
    target.
    """
    plans = []
    for target in targets:
        decision = decide(
            target.stage,
            manifest.version,
            tagged=manifest.tag is not None,
            rehearse=rehearse,
            pre_release=pre_release,
            tag_prefix=tag_prefix,
        )
        state: TargetState | None = None
        unread: ReleasekitError | None = None
        if decision.verdict is Verdict.PUBLISH:
            try:
                state = target.read(manifest)
            except ReleasekitError as exc:
                unread = exc
        plans.append(_target_plan(target, decision, state, unread, manifest, dist_dir))
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
    target: Target,
    decision: Decision,
    state: TargetState | None,
    unread: ReleasekitError | None,
    manifest: Manifest,
    dist_dir: Path,
) -> TargetPlan:
    where = (target.name, target.url, target.publish_url)
    if decision.verdict is not Verdict.PUBLISH:
        return TargetPlan(
            *where,
            decision.verdict,
            decision.reason,
            stage=target.stage.value,
            hints=(decision.hint,) if decision.hint else (),
        )
    refusals: list[tuple[str, str]] = []
    files: tuple[FileState, ...] = ()
    if state is None:
        assert unread is not None
        refusals.append((f"cannot be read: {unread.message}", unread.hint))
        state = TargetState()
    else:
        files = tuple(file_state(item, state.files.get(item.filename)) for item in manifest.files)
    bad = [f for f in files if f.holding in (Holding.CONFLICTING, Holding.UNVERIFIABLE)]
    if bad:
        refusals.append(("; ".join(conflict_message(f) for f in bad), REPLACE_HINT))
    uploads = unread is not None or any(f.holding is Holding.MISSING for f in files)
    refusals += state.refusals  # the target's own rules on what it holds (its read)
    if uploads:  # unread: every built file, as all of them would be sent
        sent = [f.filename for f in files if f.holding is Holding.MISSING] if files else []
        names = sent if unread is None else [f.filename for f in manifest.files]
        refusals += target.preflight(dist_dir, manifest, names)
    credentials = target.credentials()
    if uploads and not credentials.present:
        refusals.append((f"no credentials to upload to {target.publish_url}", credentials.hint))
    return TargetPlan(
        *where,
        decision.verdict,
        decision.reason,
        stage=target.stage.value,
        files=files,
        refusals=tuple(message for message, _ in refusals),
        hints=tuple(hint for _, hint in refusals),
        new_project=state.new_project and uploads,
        via=credentials.said if uploads and credentials.present else "",
    )


def new_project_refusals(
    planned: Iterable[tuple[str, Target, TargetPlan]],
) -> list[tuple[str, str]]:
    """The projects that one run would create on a target past the number its users may
    create a day (:attr:`~releasekit.targets.base.Target.new_projects_per_day`, the
    target's number: PyPI's, for an index held to its rules), from every plan of the run:
    (project name, target, its part of the plan). A workspace's first release is refused
    before its fifth new project is refused half-way, with four already out."""
    # by the index's URL: members may name different indexes "prod", and each counts its own
    new: dict[str, list[str]] = {}
    limits: dict[str, tuple[int, str, str]] = {}
    for name, target, target_plan in planned:
        limit = target.new_projects_per_day
        if limit is None or not target_plan.new_project:
            continue
        new.setdefault(target.url, []).append(name)
        limits[target.url] = (limit, target.name, target.noun)
    refusals = []
    for url, names in new.items():
        limit, target_name, noun = limits[url]
        if len(names) > limit:
            refusals.append(
                (
                    f"{target_name}: the {noun}'s new-project rate limit: this release would "
                    f"create {len(names)} projects on {url} ({', '.join(names)}); an account "
                    f"may create {limit} a day",
                    f"release the workspace in batches of {limit} new members a day "
                    f"(--only PATH, repeated), or create the projects first (e.g. a pending "
                    "trusted publisher for each, or ask the index's admins for a higher limit)",
                )
            )
    return refusals


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

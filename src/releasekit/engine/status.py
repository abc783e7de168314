"""``releasekit status``: what is where, for one version, and what disagrees.

After a release half-happened (a CI job cancelled, a token expired, GitHub down), the
question is the same every time: which indexes hold which files, with which bytes; is the
tag on the remote; is the GitHub release a draft; does npm have the package; what does the
journal say was done. The release layer (:mod:`releasekit.release.status`) reads each
target once (:meth:`~releasekit.targets.base.Target.observe`), the tag in git and on the
remote, and the journal; this module turns those readings into one verdict per project,
pure, so it is tested with fake readings:

- the **files** the release is made of: the build's manifest when ``dist/`` holds this
  version, else every file some target holds of it (compared among the targets);
- per target and file a :class:`~releasekit.engine.remote.Holding`, the same comparison the
  plan makes (sha256; an npm tarball's sha512 integrity);
- the **disagreements**: a file with other bytes, a file missing where the policy sends it,
  a draft release, a tag not pushed, a target that could not be read;
- **complete** only when nothing disagrees, and the **stages** a ``--finish`` would write.

Rendered as a table (:func:`render_table`) and as JSON (:func:`as_json`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from releasekit.engine.journal import Entry
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.remote import (
    FileState,
    Holding,
    PackageFormat,
    RemoteView,
    Stage,
    file_state,
)

__all__ = [
    "Observed",
    "ProjectStatus",
    "TagReading",
    "TargetReading",
    "as_json",
    "assess",
    "render_table",
]

_CELL = {
    Holding.IDENTICAL: "ok",
    Holding.MISSING: "MISSING",
    Holding.CONFLICTING: "OTHER BYTES",
    Holding.UNVERIFIABLE: "no digest",
}


@dataclass(frozen=True)
class Observed:
    """What one target says it holds of one version: the answer of
    :meth:`~releasekit.targets.base.Target.observe`.

    ``files`` by name (sha256, upload time, npm integrity); ``state`` in a word where the
    target has one (a GitHub release: ``"draft"`` or ``"published"``; an index: its PEP 792
    project status); ``details``: lines worth showing (dist-tags, yanked files);
    ``problems``: what disagrees that is not about one file (a draft release, another
    build's ``SHA256SUMS``), each incomplete until fixed.
    """

    files: Mapping[str, RemoteView] = field(default_factory=dict)
    state: str | None = None
    details: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    # what waits for a human before the target serves the version (a staged npm version:
    # the line names the stage and its approve command): not served, yet not missing
    awaiting: tuple[str, ...] = ()
    # the target's list of what awaits a human was read (then an empty ``awaiting`` means
    # nothing does, whatever the journal recorded: a stage since rejected)
    awaiting_read: bool = False


@dataclass(frozen=True)
class TargetReading:
    """One target of the project, and what reading it gave.

    ``required``: whether the release policy sends this version there (else ``skipped``
    says why, e.g. a pre-release under ``pre-release = "test-only"``); ``error``: one line
    on why the target could not be read (then ``observed`` is ``None``); ``serves``: the
    format installers fetch from it (an index serves Python distributions, a registry an
    npm tarball; a GitHub release's attached files install from nowhere: ``None``), which
    is what a kind's own checks of the files held ask of a target, never its name."""

    name: str
    noun: str
    url: str
    stage: Stage
    observed: Observed | None = None
    error: str | None = None
    required: bool = True
    skipped: str = ""
    serves: PackageFormat | None = None


@dataclass(frozen=True)
class TagReading:
    """The release tag of the version in git and on the remote."""

    name: str
    commit: str | None = None  # the commit the local tag names; None: no such tag here
    remote: str | None = None  # the remote asked (None: the repository has none)
    remote_commit: str | None = None  # what the remote's tag names; None: not there
    remote_error: str | None = None  # the remote could not be read: one line why
    build_commit: str | None = None  # the commit the manifest says the build was made from

    @property
    def pushed(self) -> bool:
        return self.remote_commit is not None and self.remote_commit == self.commit


@dataclass(frozen=True)
class Cell:
    """One file on one target."""

    target: str
    state: FileState | None  # None: the target was not read
    upload_time: datetime.datetime | None = None
    journaled: bool = False
    staged: bool = False  # not served: awaiting a human's approval (a staged npm version)


@dataclass(frozen=True)
class ProjectStatus:
    """The verdict for one project (a workspace member) at one version."""

    label: str
    name: str
    version: str
    source: str  # where the list of files comes from: the manifest, or the targets
    files: tuple[DistFile, ...]
    tag: TagReading | None
    targets: tuple[TargetReading, ...]
    cells: Mapping[str, tuple[Cell, ...]]  # by file name, one cell per target
    journal: tuple[Entry, ...]
    disagreements: tuple[str, ...]
    unfinished: tuple[Stage, ...]  # the stages that miss something a publish can add
    blocked: tuple[str, ...]  # why --finish cannot add it (other bytes, an unread target)
    has_manifest: bool
    # staged where a human approves it (npm stage approve): neither failed nor complete
    awaiting: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.disagreements and not self.awaiting

    @property
    def verdict(self) -> str:
        """``complete``, ``INCOMPLETE``, or ``staged, awaiting approval``."""
        if self.disagreements:
            return "INCOMPLETE"
        return "staged, awaiting approval" if self.awaiting else "complete"


def assess(
    *,
    label: str,
    name: str,
    version: str,
    manifest: Manifest | None,
    tag: TagReading | None,
    targets: Sequence[TargetReading],
    journal: Sequence[Entry],
    also: Sequence[str] = (),
) -> ProjectStatus:
    """What is where for ``version``, and what disagrees. Pure: no I/O.

    ``manifest`` is the build of this very version (``None``: ``dist/`` holds no build of
    it); ``journal`` the entries of ``dist/``'s journal (any version: only those about
    this build's files on these targets count); ``also``: what else disagrees, found by
    the caller (a declared wheel matrix an index holds only part of).
    """
    if manifest is not None:
        files = manifest.files
        source = "the build in dist/"
    else:
        files = _files_on_targets(targets)
        source = "the files the targets hold (no build of this version in dist/)"
    ours = {(f.filename, f.sha256.lower()) for f in files}
    urls = {t.url for t in targets}
    relevant = tuple(
        e
        for e in journal
        if e.url in urls and ((e.file, e.sha256.lower()) in ours or e.version == version)
    )
    disagree: list[str] = []
    blocked: list[str] = []
    unfinished: list[Stage] = []
    awaiting: list[str] = []
    cells: dict[str, list[Cell]] = {f.filename: [] for f in files}
    # the tag matters where a tagged build is required: prod and what follows it
    if tag is not None and any(t.required and t.stage is not Stage.TEST for t in targets):
        disagree += _tag_disagreements(tag)
    for target in targets:
        if target.observed is None:
            for item in files:
                cells[item.filename].append(Cell(target.name, None))
            if target.required or target.error:
                disagree.append(f"{target.name}: cannot be read: {target.error}")
                blocked.append(f"{target.name} could not be read")
            continue
        staged = _awaiting(target, target.observed, files, relevant)
        awaiting += staged
        row, said, stops, missing = _on_target(
            target, target.observed, files, [e for e in relevant if e.awaiting is None], manifest
        )
        for filename, cell in row.items():
            if staged and cell.state is not None and cell.state.holding is Holding.MISSING:
                cell = Cell(cell.target, cell.state, staged=True)
            cells[filename].append(cell)
        if staged:  # not served because a human has yet to approve: not "lacks"
            said = [line for line in said if not line.startswith(f"{target.name}: lacks ")]
            missing = []
        disagree += said
        blocked += stops
        if target.required and (missing or target.observed.problems):
            if target.stage not in unfinished:
                unfinished.append(target.stage)
    disagree += also
    order = list(Stage)
    return ProjectStatus(
        label=label,
        name=name,
        version=version,
        source=source,
        files=tuple(files),
        tag=tag,
        targets=tuple(targets),
        cells={name: tuple(row) for name, row in cells.items()},
        journal=relevant,
        disagreements=tuple(dict.fromkeys(disagree)),
        unfinished=tuple(sorted(unfinished, key=order.index)),
        blocked=tuple(dict.fromkeys(blocked)),
        has_manifest=manifest is not None,
        awaiting=tuple(dict.fromkeys(awaiting)),
    )


def _awaiting(
    target: TargetReading, observed: Observed, files: Sequence[DistFile], journal: Sequence[Entry]
) -> list[str]:
    """What waits for a human on ``target`` (files it does not serve yet): the target's own
    word (its stage list), else, when that list could not be read, the journal's (a stage
    recorded with its approve command)."""
    if any(observed.files.get(f.filename) is not None for f in files):
        return []
    if observed.awaiting or observed.awaiting_read:
        return [f"{target.name}: {line}" for line in observed.awaiting]
    ours = {(f.filename, f.sha256.lower()) for f in files}
    return [
        f"{target.name}: {e.file} staged (journal, {e.time}), awaiting approval: {e.awaiting}"
        for e in journal
        if e.awaiting is not None and e.url == target.url and (e.file, e.sha256.lower()) in ours
    ]


def _on_target(
    target: TargetReading,
    observed: Observed,
    files: Sequence[DistFile],
    journal: Sequence[Entry],
    manifest: Manifest | None,
) -> tuple[dict[str, Cell], list[str], list[str], list[str]]:
    """One target that was read: its cell for each file, what disagrees there, what of it
    ``--finish`` cannot fix, and the files it lacks that the release sends it."""
    cells: dict[str, Cell] = {}
    disagree: list[str] = []
    blocked: list[str] = []
    missing: list[str] = []
    for item in files:
        remote = observed.files.get(item.filename)
        state = file_state(item, remote)
        journaled = any(
            e.url == target.url
            and e.file == item.filename
            and e.sha256.lower() == item.sha256.lower()
            for e in journal
        )
        cells[item.filename] = Cell(
            target.name, state, remote.upload_time if remote else None, journaled
        )
        if state.holding is Holding.CONFLICTING:
            theirs = (state.remote_sha256 or "")[:16]
            disagree.append(
                f"{target.name}: {item.filename} has {state.digest} {theirs}…, "
                f"{_whose(manifest)} is {state.sha256[:16]}…"
            )
            blocked.append(f"{item.filename} on {target.name} has other bytes")
        elif state.holding is Holding.UNVERIFIABLE:
            disagree.append(
                f"{target.name}: {item.filename} is there without a {state.digest} to compare"
            )
        elif state.holding is Holding.MISSING:
            if target.required:
                missing.append(item.filename)
            if journaled:
                disagree.append(
                    f"{target.name}: the journal says {item.filename} was put there, but it "
                    "is not served (removed, or not visible yet)"
                )
    if missing:
        others = "the build has" if manifest is not None else "other targets hold"
        disagree.append(f"{target.name}: lacks {', '.join(missing)} ({others})")
    disagree += [f"{target.name}: {problem}" for problem in observed.problems]
    return cells, disagree, blocked, missing


def _whose(manifest: Manifest | None) -> str:
    return "the build's" if manifest is not None else "the first target's"


def _files_on_targets(targets: Sequence[TargetReading]) -> tuple[DistFile, ...]:
    """Without a build: every file some target holds, each with the digest of the first
    target (in release order) that holds it, so the others are compared with that."""
    found: dict[str, DistFile] = {}
    for target in targets:
        if target.observed is None:
            continue
        for filename, view in sorted(target.observed.files.items()):
            if filename in found:
                continue
            kind = (
                "npm"
                if view.integrity is not None
                else ("wheel" if filename.endswith(".whl") else "sdist")
            )
            found[filename] = DistFile(
                filename, (view.sha256 or "").lower(), 0, kind, integrity=view.integrity
            )
    return tuple(found.values())


def _tag_disagreements(tag: TagReading) -> list[str]:
    said = []
    if tag.commit is None:
        build = tag.build_commit
        at = f" (the build's commit: git tag {tag.name} {build[:12]})" if build else ""
        said.append(f"tag {tag.name} does not exist in this repository{at}")
    elif tag.build_commit and tag.commit != tag.build_commit:
        said.append(
            f"tag {tag.name} names {tag.commit[:12]}, the build was made from "
            f"{tag.build_commit[:12]}"
        )
    if tag.remote is None:
        if tag.commit is not None:
            said.append(f"tag {tag.name}: the repository has no remote to push it to")
    elif tag.remote_error is not None:
        said.append(f"tag {tag.name}: {tag.remote} cannot be read: {tag.remote_error}")
    elif tag.remote_commit is None:
        if tag.commit is not None:
            said.append(f"tag {tag.name} is not on {tag.remote} (not pushed)")
    elif tag.commit is not None and tag.remote_commit != tag.commit:
        said.append(
            f"tag {tag.name} on {tag.remote} names {tag.remote_commit[:12]}, here {tag.commit[:12]}"
        )
    elif tag.commit is None:
        said.append(f"tag {tag.name} is on {tag.remote} but not here (git fetch --tags)")
    return said


# -- rendering -------------------------------------------------------------------------------


def render_table(statuses: Sequence[ProjectStatus]) -> str:
    """The plain-text answer: per project, one row per file with a column per target, then
    each target's line, the tag, the journal, and what disagrees."""
    out: list[str] = []
    for status in statuses:
        out += _render_one(status)
    complete = all(s.complete for s in statuses)
    if len(statuses) > 1:
        done = sum(1 for s in statuses if s.complete)
        out.append(f"workspace: {done} of {len(statuses)} member(s) complete")
    if not complete:
        stages = {stage for s in statuses for stage in s.unfinished}
        if stages and not any(s.blocked for s in statuses if s.unfinished):
            out.append("=> `releasekit status --finish` publishes what is missing")
    return "\n".join(out)


def _render_one(status: ProjectStatus) -> list[str]:
    head = (
        f"{status.label} {status.version}"
        if status.label != status.name
        else (f"{status.name} {status.version}")
    )
    verdict = status.verdict
    lines = [f"{head}: {verdict}  (files: {status.source})"]
    if status.tag is not None:
        lines.append(f"  tag      {_tag_line(status.tag)}")
    names = [t.name for t in status.targets]
    if status.files:
        width = max(len(f.filename) for f in status.files)
        rows = {
            item.filename: [
                _cell_text(c, t) for c, t in zip(status.cells[item.filename], status.targets)
            ]
            for item in status.files
        }
        columns = [
            max([len(n), *(len(row[i]) for row in rows.values())]) for i, n in enumerate(names)
        ]
        header = (
            "  "
            + "file".ljust(width)
            + "  "
            + "  ".join(n.ljust(w) for n, w in zip(names, columns))
        )
        lines.append(header.rstrip())
        for filename, row in rows.items():
            text = "  ".join(cell.ljust(w) for cell, w in zip(row, columns))
            lines.append(f"  {filename.ljust(width)}  {text}".rstrip())
    else:
        lines.append("  files    none: no build of this version, and no target holds a file of it")
    for target in status.targets:
        lines.append(f"  {target.name:<8} {_target_line(target, status)}")
    if status.journal:
        counts: dict[str, int] = {}
        for entry in status.journal:
            counts[entry.target] = counts.get(entry.target, 0) + 1
        said = ", ".join(f"{name} {n}" for name, n in counts.items())
        last = status.journal[-1].time
        count = len(status.journal)
        lines.append(f"  journal  {count} line(s) for this build ({said}); last {last}")
    else:
        lines.append("  journal  nothing journaled for this build")
    if status.awaiting:
        lines.append("  staged, awaiting approval (the registry serves it once approved):")
        lines += [f"    - {line}" for line in status.awaiting]
    if status.disagreements:
        lines.append("  disagrees:")
        lines += [f"    - {line}" for line in status.disagreements]
    return lines


def _cell_text(cell: Cell, target: TargetReading) -> str:
    if cell.state is None:
        return "?" if target.required or target.error else "-"
    if cell.state.holding is Holding.MISSING and not target.required:
        return "-"
    if cell.staged:
        return "STAGED"
    text = _CELL[cell.state.holding]
    if cell.state.holding is Holding.IDENTICAL and not cell.journaled:
        text += " (unjournaled)"
    return text


def _target_line(target: TargetReading, status: ProjectStatus) -> str:
    parts = [target.url]
    if target.error is not None:
        parts.append(f"cannot be read: {target.error}")
    elif not target.required:
        parts.append(f"not a target of this version ({target.skipped})")
    observed = target.observed
    if observed is not None:
        if observed.state:
            parts.append(observed.state)
        mine = [
            c.upload_time for row in status.cells.values() for c in row
            if c.target == target.name and c.upload_time is not None
        ]  # fmt: skip
        if mine:
            parts.append(f"first upload {min(mine):%Y-%m-%d %H:%M} UTC")
        parts += observed.details
    return "; ".join(parts)


def _tag_line(tag: TagReading) -> str:
    here = f"here {tag.commit[:12]}" if tag.commit else "not here"
    if tag.remote is None:
        there = "no remote"
    elif tag.remote_error is not None:
        there = f"{tag.remote}: unread ({tag.remote_error})"
    elif tag.remote_commit is None:
        there = f"{tag.remote}: not pushed"
    elif tag.remote_commit == tag.commit:
        there = f"{tag.remote}: pushed"
    else:
        there = f"{tag.remote}: {tag.remote_commit[:12]}"
    return f"{tag.name}  {here}; {there}"


def as_json(statuses: Sequence[ProjectStatus]) -> dict[str, Any]:
    """The same answer for machines (``--json``): stable keys, digests in full."""
    return {
        "complete": all(s.complete for s in statuses),
        "projects": [_project_json(s) for s in statuses],
    }


def _project_json(status: ProjectStatus) -> dict[str, Any]:
    tag = status.tag
    return {
        "name": status.name,
        "label": status.label,
        "version": status.version,
        "complete": status.complete,
        "verdict": status.verdict,
        "awaiting": list(status.awaiting),
        "files_from": "manifest" if status.has_manifest else "targets",
        "files": [
            {
                "filename": f.filename,
                "sha256": f.sha256,
                **({"integrity": f.integrity} if f.integrity else {}),
            }
            for f in status.files
        ],
        "tag": None
        if tag is None
        else {
            "name": tag.name,
            "commit": tag.commit,
            "remote": tag.remote,
            "remote_commit": tag.remote_commit,
            "remote_error": tag.remote_error,
            "pushed": tag.pushed,
        },
        "targets": [_target_json(t, status) for t in status.targets],
        "journal": [_entry_json(e) for e in status.journal],
        "disagreements": list(status.disagreements),
        "unfinished_stages": [s.value for s in status.unfinished],
    }


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "time": entry.time,
        "step": entry.step,
        "target": entry.target,
        "file": entry.file,
        "sha256": entry.sha256,
        "run": entry.run,
    }


def _target_json(target: TargetReading, status: ProjectStatus) -> dict[str, Any]:
    observed = target.observed
    files: dict[str, Any] = {}
    for filename, row in status.cells.items():
        cell = next((c for c in row if c.target == target.name), None)
        if cell is None or cell.state is None:
            continue
        files[filename] = {
            "holding": cell.state.holding.value,
            "digest": cell.state.digest,
            "served": cell.state.remote_sha256
            if cell.state.holding is not Holding.IDENTICAL
            else cell.state.sha256,
            "upload_time": cell.upload_time.isoformat() if cell.upload_time else None,
            "journaled": cell.journaled,
            **({"staged": True} if cell.staged else {}),
        }
    return {
        "name": target.name,
        "kind": target.noun,
        "url": target.url,
        "stage": target.stage.value,
        "required": target.required,
        "skipped": target.skipped or None,
        "read": observed is not None,
        "error": target.error,
        "state": observed.state if observed else None,
        "details": list(observed.details) if observed else [],
        "problems": list(observed.problems) if observed else [],
        "awaiting": list(observed.awaiting) if observed else [],
        "files": files,
    }

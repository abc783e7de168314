"""The table ``nox -s release`` ends with: what was released, where, and how long it took."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from releasekit.engine.journal import Journal, current_run_id, progress, summarize
from releasekit.engine.manifest import Manifest
from releasekit.engine.records import PublishRecord, StepTimes

if TYPE_CHECKING:
    from releasekit.targets.base import Target

__all__ = ["Row", "project_summary", "render_summary"]

_STEPS = ("check", "build", "smoke-install", "publish-test", "publish", "github-release")


class Row(NamedTuple):
    """One target's line: what it is (``index``, ``registry``, ``release``), its name, where
    it is, and what happened there (``None``: the step did not write it)."""

    noun: str
    name: str
    url: str | None
    result: str | None


def render_summary(
    manifest: Manifest,
    rows: Sequence[Row],
    steps: Mapping[str, float],
    *,
    rehearsal: bool = False,
    dry_run: bool = False,
) -> str:
    """A plain-text table; pure, so it is tested without running a release."""
    mode = " (rehearsal: local indexes, nothing left the machine)" if rehearsal else ""
    mode += " (dry run: nothing uploaded)" if dry_run else ""
    lines = [
        f"release summary{mode}",
        f"  version  {manifest.name} {manifest.version}",
        f"  tag      {manifest.tag or '(none: untagged build)'}",
        f"  commit   {manifest.commit or '(unknown)'}",
    ]
    for item in manifest.files:
        lines.append(f"  file     {item.filename}  sha256={item.sha256}")
    for row in rows:
        result = row.result if row.result is not None else ("dry run" if dry_run else "not run")
        where = f" {row.url}" if row.url and row.result is not None else ""
        lines.append(f"  {row.noun:<9}{row.name}{where}: {result}")
    timed = [f"{step} {steps[step]:.1f}s" for step in _STEPS if step in steps]
    if timed:
        lines.append(f"  time     {', '.join(timed)}")
    return "\n".join(lines)


def project_summary(
    dist_dir: Path, targets: Sequence[Target], *, rehearsal: bool, dry_run: bool
) -> str:
    """The table of one project: each target's row from its publish record, and for a
    record with files who did what (this run, an earlier one) from the journal."""
    manifest = Manifest.load(dist_dir)
    entries = Journal.read(dist_dir)
    rows = []
    for target in targets:
        record = PublishRecord.load(dist_dir, target.name)
        result = record.result if record is not None else None
        if record is not None and record.files:
            served = {target.name: {f.filename: f.sha256 for f in record.files}}
            done = progress(
                entries, run_id=current_run_id(), targets={target.name: target.url},
                files=manifest.files, served=served,
            )  # fmt: skip
            result = summarize(done, target.verb)
        url = record.url if record is not None else None
        rows.append(Row(target.noun, target.name, url, result))
    return render_summary(
        manifest, rows, StepTimes(dist_dir).read(), rehearsal=rehearsal, dry_run=dry_run
    )

"""The table ``nox -s release`` ends with: what was released, where, and how long it took."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from releasekit.engine.manifest import Manifest

__all__ = ["Row", "render_summary"]

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

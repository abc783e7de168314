"""The table ``nox -s release`` ends with: what was released, where, and how long it took."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from releasekit.manifest import Manifest

__all__ = ["render_summary"]

_STEPS = ("check", "build", "smoke-install", "publish-test", "publish", "github-release")


def render_summary(
    manifest: Manifest,
    records: Mapping[str, Mapping[str, Any]],
    steps: Mapping[str, float],
    *,
    rehearsal: bool = False,
    dry_run: bool = False,
    targets: Sequence[str] = ("test", "prod"),
) -> str:
    """A plain-text table; pure, so it is tested without running a release.

    ``targets``: where this project goes (an npm package: ``("npm",)``)."""
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
    for name in targets:
        record = records.get(name)
        if record is None:
            result = "not run" if not dry_run else "dry run"
            lines.append(f"  {_label(name)}{name}: {result}")
        else:
            where = f" {record['url']}" if record.get("url") else ""
            lines.append(f"  {_label(name)}{name}{where}: {record.get('result', '?')}")
    github = records.get("github")
    if github is not None:
        lines.append(f"  github   {github.get('url') or ''}: {github.get('result', '?')}")
    timed = [f"{step} {steps[step]:.1f}s" for step in _STEPS if step in steps]
    if timed:
        lines.append(f"  time     {', '.join(timed)}")
    return "\n".join(lines)


def _label(target: str) -> str:
    return "registry " if target == "npm" else "index    "

"""After a failure past the first upload: where every file of the build is now.

Read from the journal alone (what was really done, by any run, on these very targets: its
lines are matched by each target's URL), so it tells the truth after a crash as well as after
a refusal, and in a rehearsal never counts what a real index holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from releasekit.core.version import tag_for
from releasekit.engine.journal import Journal
from releasekit.engine.manifest import Manifest
from releasekit.engine.records import JOURNAL_NAME
from releasekit.engine.runcontext import Project
from releasekit.errors import ReleasekitError

if TYPE_CHECKING:
    from releasekit.targets.base import Target

__all__ = ["playbook"]


def playbook(project: Project, targets: Sequence[Target]) -> list[str]:
    """After a failure past the first upload: where every file is now, and what to run next.

    Read from the journal (what was really done, by any run, on these very targets: lines
    are matched by each target's URL); empty when nothing of this build was published
    anywhere yet, because then a rerun is all there is to it.
    """
    try:
        manifest = Manifest.load(project.dist_dir)
    except ReleasekitError:
        return []
    ours = {(f.filename, f.sha256) for f in manifest.files}
    entries = Journal.read(project.dist_dir)
    done: dict[str, list[str]] = {}
    for target in targets:
        for entry in entries:
            if entry.url == target.url and (entry.file, entry.sha256) in ours:
                files = done.setdefault(target.name, [])
                if entry.file not in files:
                    files.append(entry.file)
    if not done:
        return []
    lines = [f"where {manifest.name} {manifest.version} is now (from {JOURNAL_NAME}):"]
    for target in targets:
        files = done.get(target.name, [])
        missing = len(manifest.files) - len(files)
        shown = ", ".join(files) if files else "nothing yet"
        lines.append(
            f"  {target.name:<6} {shown}" + (f" ({missing} missing)" if files and missing else "")
        )
    lines.append(
        "next: fix the cause below, then run the same command again: it uploads only what "
        "is missing and never a file twice"
    )
    lines.append(
        f'  or, to withdraw what is out: releasekit yank {manifest.version} --reason "..." '
        f"(says what each target allows: the index's yank page, npm deprecate, the GitHub "
        f"release of {manifest.tag or tag_for(manifest.version, project.new_tag_prefix)} "
        "marked [YANKED])"
    )
    return lines

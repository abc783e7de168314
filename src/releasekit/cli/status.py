"""``releasekit status [VERSION] [--json] [--finish] [--rebuild]``: what is where, and
finishing it: the command line, the printing and the exit status.

One read of everything a release of VERSION touches, for the project or for each member of
a workspace: the release tag here and on the remote, every target the release configures
(the test and prod indexes, npm, the GitHub release) and the journal under ``dist/``, all
at once. The reading, the finishing and the rebuild are the release layer's
(:mod:`releasekit.release.status`); this module prints the table (or ``--json``) that
:mod:`releasekit.engine.status` renders, and exits 0 when the release is complete, 1 when
something is missing or disagrees (and 1, with one line, for bad input).

``--finish`` runs the release's own steps (:class:`~releasekit.release.Release`: the plan,
the same bytes from ``dist/`` checked against the manifest, each file journaled, the
target read until it serves them, the install from it) for exactly the stages that miss
something; where it cannot (no build of the version in ``dist/``, a tag not on the remote,
a file with other bytes) it names the command that will.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from releasekit.errors import ReleasekitError
from releasekit.runtime import terminal

if TYPE_CHECKING:
    from releasekit.engine.status import ProjectStatus
    from releasekit.kinds.python.rebuild import RebuildReport
    from releasekit.release.status import ReleaseStatus

__all__ = ["StatusRequest", "add_command", "status"]


@dataclass(frozen=True)
class StatusRequest:
    """What was asked on the command line."""

    root: Path
    version: str | None = None
    only: Sequence[str] = ()
    dist: Path | None = None
    json: bool = False
    finish: bool = False
    yes: bool = False
    rebuild: bool = False  # rebuild from the tag, compare with the prod index


def status(request: StatusRequest) -> int:
    """Print what is where; with ``finish``, complete it. The exit status: 0 complete."""
    out = sys.stdout
    log = sys.stderr if request.json else sys.stdout  # --json: stdout holds the JSON alone
    # the release layer is imported here, not with the parser every command builds
    from releasekit.release.status import ReleaseStatus, StatusScope

    scope = StatusScope(request.root, request.version, request.only, request.dist)
    release_status = ReleaseStatus.open(scope)
    if request.rebuild:  # a question of its own: does the tag build what the index serves?
        if request.finish:
            raise ReleasekitError("--rebuild and --finish: one at a time", "run each alone")
        return _rebuild(release_status, as_machine=request.json, out=out, log=log)
    statuses = release_status.read()
    if not request.finish:
        _print(statuses, release_status.notes, request.json, out)
        return 0 if all(s.complete for s in statuses) else 1
    if all(s.complete for s in statuses):
        _print(statuses, release_status.notes, request.json, out)
        print(
            "nothing to finish: "
            + ", ".join(f"{s.label} {s.version}" for s in statuses)
            + " is complete everywhere",
            file=log,
        )
        return 0
    finishing = release_status.finishing(statuses)
    for line in finishing.advice:
        print(line, file=log)
    if finishing.runnable:
        release_status.finish(finishing, _Console(log), yes=request.yes)
        statuses = release_status.read()
    _print(statuses, release_status.notes, request.json, out)
    return 0 if all(s.complete for s in statuses) else 1


def add_command(sub: Any) -> None:
    """Add ``status`` to the ``releasekit`` parser's subcommands ``sub``."""
    command = sub.add_parser(
        "status",
        help="what of a release is where (tag, indexes, npm, GitHub, journal), and "
        "--finish to complete it",
        description="Read every target of the release of VERSION (the tag here and on the "
        "remote, the test and prod indexes, npm, the GitHub release, the journal in dist/) "
        "and print what is where and what disagrees. Exit status: 0 when the release is "
        "complete, 1 when something is missing or disagrees (or on bad input).",
    )
    command.add_argument(
        "version",
        nargs="?",
        help="the version (default: the build in dist/, else the project's current version)",
    )
    command.add_argument("--json", action="store_true", help="print the status as JSON")
    command.add_argument(
        "--finish",
        action="store_true",
        help="publish what is missing with the release's own steps (the build in dist/, "
        "checked, planned, journaled, verified), or name the command that will",
    )
    command.add_argument(
        "--yes", "-y", action="store_true", help="--finish: no confirmation prompt at a terminal"
    )
    command.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATH",
        help="in a workspace: the member to report on (repeatable; default: every member)",
    )
    command.add_argument(
        "--dist",
        type=Path,
        metavar="DIR",
        help="the build's directory (default: ./dist); a build job's artifact works alone",
    )
    command.add_argument(
        "--rebuild",
        action="store_true",
        help="build VERSION again from its release tag and compare the bytes with what the "
        "prod index serves, member by member where they differ (exit 0: reproduced)",
    )
    command.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return status(
        StatusRequest(
            root=args.root,
            version=args.version,
            only=args.only,
            dist=args.dist,
            json=args.json,
            finish=args.finish,
            yes=args.yes,
            rebuild=args.rebuild,
        )
    )


def _print(
    statuses: Sequence[ProjectStatus], notes: Sequence[str], as_machine: bool, out: TextIO
) -> None:
    from releasekit.engine.status import as_json, render_table

    if as_machine:
        print(json.dumps(as_json(statuses), indent=2), file=out)
        return
    for note in notes:
        print(f"note: {note}: the files are compared among the targets", file=out)
    print(render_table(statuses), file=out)


def _rebuild(release_status: ReleaseStatus, *, as_machine: bool, out: TextIO, log: TextIO) -> int:
    """``--rebuild``: each project's report printed (``as_machine``: one JSON document on
    ``out``, the build's progress on ``log``); the exit status, 0 when every one is
    reproduced.

    The build's commands (``$ ...`` lines) are left out of ``log``: a failing one is named
    by the error, with its output.
    """

    def progress(line: str) -> None:
        if not line.startswith("$ "):
            print(line, file=log)

    reports = release_status.rebuild(progress)
    reproduced = _all_reproduced(reports)
    if as_machine:
        document = {"reproduced": reproduced, "projects": [r.as_json() for r in reports]}
        print(json.dumps(document, indent=2), file=out)
    else:
        for report in reports:
            print("\n".join(report.lines()), file=out)
    return 0 if reproduced else 1


def _all_reproduced(reports: Sequence[RebuildReport]) -> bool:
    return bool(reports) and all(r.ok for r in reports)


class _Console:
    """The release's console for ``--finish``: its log to ``stream`` (stderr under
    ``--json``), the upload question asked at a terminal (``--yes``: never)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def log(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)

    def run(self, argv: Sequence[str], *, cwd: Path) -> None:  # pragma: no cover - unused
        raise ReleasekitError("status --finish runs no project command", "")

    def ask(self, question: str) -> bool | None:
        return terminal.ask(question, out=sys.stderr)

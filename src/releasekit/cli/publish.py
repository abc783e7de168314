"""``releasekit publish-test | publish | verify-install | github-release --dist DIR``.

The publishing steps of a CI release, run from the build job's artifact alone. PyPA's trust
model keeps the jobs that hold ``id-token: write`` (or an upload token) free of project code:
no checkout, no noxfile, no build backend, no install of what was built. These commands need
only the artifact (the files, ``releasekit-manifest.json`` and ``releasekit-project.json``)
and do what the nox sessions of the same names do, minus everything that runs the project:

- ``publish-test``, ``publish``: check the files against the manifest, plan, upload (with
  PEP 740 attestations under trusted publishing, signed once), and wait until the index
  serves every sha256;
- ``verify-install``: in a job *without* credentials, install the release from each index
  that serves it, pinned by sha256, and run the smoke commands;
- ``github-release``: the GitHub release of the tag, with ``GITHUB_TOKEN``.

The nox sessions stay the way to release from a maintainer's machine and to rehearse.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.errors import ReleasekitError
from releasekit.runtime import terminal

if TYPE_CHECKING:
    from releasekit.release import Release

__all__ = ["add_commands"]

_COMMANDS = {
    "publish-test": "upload the artifact's files to the test index and check what it serves",
    "publish": "upload the artifact's files to the real index and check what it serves",
    "verify-install": "install the published release from each index and run the smoke "
    "commands (run it without credentials)",
    "github-release": "make the GitHub release of the tag with the artifact's files",
}


def add_commands(sub: Any) -> None:
    """Add the artifact commands to the ``releasekit`` parser's subcommands ``sub``."""
    for name, summary in _COMMANDS.items():
        command = sub.add_parser(
            name,
            help=f"CI, from the build's artifact: {summary}",
            description=f"{summary[0].upper()}{summary[1:]}. Reads only --dist: the built "
            "files, releasekit-manifest.json and releasekit-project.json, as `nox -s build` "
            "left them; runs no project code and needs no checkout.",
        )
        command.add_argument(
            "--dist",
            type=Path,
            action="append",
            default=[],
            metavar="DIR",
            help="the build job's artifact (default: ./dist); in a workspace, each member's "
            "build directory, repeated in release order",
        )
        if name == "verify-install":
            command.add_argument(
                "--from",
                dest="targets",
                action="append",
                default=[],
                metavar="INDEX",
                help="the index to install from: test or prod (repeatable; default: every "
                "index that serves the release)",
            )
        else:
            command.add_argument(
                "--dry-run", action="store_true", help="plan and say what would be done"
            )
            command.add_argument(
                "--yes", "-y", action="store_true", help="no confirmation prompt at a terminal"
            )
        command.set_defaults(func=_run, step=name)


def _run(args: argparse.Namespace) -> int:
    from releasekit.release import Release

    release: Release | None = None
    console = _Console()
    try:
        release = Release.from_artifact(
            console,
            args.dist or [Path("dist")],
            args.step,
            yes=getattr(args, "yes", False),
            dry_run=getattr(args, "dry_run", False),
        )
        if args.step == "publish-test":
            release.publish_test()
        elif args.step == "publish":
            release.publish()
        elif args.step == "github-release":
            release.github_release()
        else:
            release.verify_install(args.targets)
    except ReleasekitError:
        if release is not None:
            for project, line in release.after_failure(args.step):
                release.log(project, line)
        raise
    return 0


class _Console:
    """The release's :class:`~releasekit.engine.runcontext.Console` on a terminal or a CI log."""

    def log(self, message: str) -> None:
        print(message, flush=True)

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)

    def run(self, argv: Sequence[str], *, cwd: Path) -> None:
        from releasekit.runtime import proc

        code = subprocess.run(list(argv), cwd=cwd, env=proc.child_env(), check=False).returncode
        if code:
            raise ReleasekitError(f"`{' '.join(argv)}` exited with {code}", "see its output above")

    def ask(self, question: str) -> bool | None:
        return terminal.ask(question)

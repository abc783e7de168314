"""The ``releasekit`` command: ``version``, ``notes``, ``yank`` and ``init`` here; ``bump`` in
:mod:`releasekit.cli.bump`, the others in modules of their own.

A thin front end: it parses arguments, calls the core and prints the result. An expected
failure is printed as ``releasekit: <what is wrong>`` plus a hint line, with exit status 1
and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from releasekit import __version__
from releasekit.cli.bump import add_command as add_bump
from releasekit.core import carriers, git, guard
from releasekit.core.config import Config, load_config, load_pyproject, validate_project
from releasekit.core.version import NextVersion, channel, tag_for, try_normalize
from releasekit.errors import CarrierError, ChangelogError, ReleasekitError, TagError
from releasekit.project.metadata import project_metadata
from releasekit.project.vcsversion import VcsSource, next_release, set_version_hint, vcs_source

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 0
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except ReleasekitError as exc:
        for problem in getattr(exc, "problems", None) or [exc]:
            print(f"releasekit: {problem.message}", file=sys.stderr)
            if problem.hint:
                print(f"  hint: {problem.hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("releasekit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `releasekit version | head -1`: the reader has what it wanted. Point stdout at
        # devnull so the interpreter's final flush does not print a traceback either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors in releasekit's form: the problem, then the usage as
    the hint (exit status 2, as argparse has it). Subcommands inherit the class."""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split())
        self.exit(2, f"releasekit: {message}\n  hint: {usage}; --help says more\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="releasekit",
        description="Release a Python package whose tag, version and files agree.",
    )
    parser.add_argument("--version", action="version", version=f"releasekit {__version__}")
    parser.add_argument(
        "-C",
        "--root",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the project directory (default: the current one)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    version = sub.add_parser(
        "version",
        help="show the version, its release tag and channel, and files that disagree",
        description="Print the project's name and version, then one line each: its channel "
        "(final, pre-release, dev, local); the tag that would release it (not created yet), "
        "or the tag found and whether it matches; where the version comes from when not "
        "pyproject.toml; each version file and the version it holds. Exits 1 when a version "
        "file or the tag disagrees with the version.",
    )
    version.add_argument(
        "--next-version",
        metavar="VERSION",
        help="with a version from git tags (hatch-vcs, setuptools-scm, ...) before its tag: "
        "the version the next tag releases, or major/minor/patch of the last tag "
        "(default: the changelog's top section if newer, else a patch bump)",
    )
    version.set_defaults(func=_cmd_version)
    from releasekit.cli.intent import bump_command as bump_from_intents

    add_bump(sub, bump_from_intents)

    notes = sub.add_parser(
        "notes",
        help="print the changelog section of a version (default: the current one)",
        description="Print the release notes of VERSION: the body of the changelog section "
        "that releases it (its own, its final version's, or Unreleased for a pre-release).",
    )
    notes.add_argument("version", nargs="?", help="a version (default: the project's)")
    notes.set_defaults(func=_cmd_notes)

    yank = sub.add_parser(
        "yank",
        help="what to do to withdraw a bad release: each index's yank page, the GitHub "
        "release marked",
        description="No index API can yank a file: releasekit prints the page of each index "
        "where it is done, and marks the GitHub release of the tag as yanked when "
        "GITHUB_TOKEN is set. At a workspace root, each npm member at VERSION is deprecated "
        "on its registry (npm deprecate, with NODE_AUTH_TOKEN). Nothing is ever deleted.",
    )
    yank.add_argument("version", help="the version to withdraw, e.g. 1.2.0")
    yank.add_argument("--reason", default="", help="why: shown on the index, on GitHub and by npm")
    yank.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATH",
        help="in a workspace: the member to yank VERSION of (repeatable); default: each "
        "member at VERSION or with a release tag for it. npm members are deprecated with "
        "`npm deprecate` (NODE_AUTH_TOKEN)",
    )
    yank.set_defaults(func=_cmd_yank)

    init = sub.add_parser(
        "init",
        help="write noxfile.py and the build hook into this project",
        description="Write noxfile.py from releasekit's template and enable the build hook "
        "in pyproject.toml. Running it twice changes nothing.",
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing noxfile.py")
    init.add_argument(
        "--ci",
        choices=("github", "gitlab"),
        help="also write the CI workflows: GitHub Actions or GitLab CI",
    )
    init.set_defaults(func=_cmd_init)

    from releasekit.cli.intent import add_command as add_intent
    from releasekit.cli.publish import add_commands
    from releasekit.cli.status import add_command as add_status
    from releasekit.cli.tag import add_command as add_tag

    add_intent(sub)
    add_tag(sub)
    add_status(sub)
    add_commands(sub)
    # `releasekit init -C DIR` as well as `releasekit -C DIR init`: each subcommand takes
    # -C too. SUPPRESS leaves the top level's value (or its default) alone unless -C is
    # given after the subcommand.
    commands = list(sub.choices.values())
    for command in commands:
        commands += [  # and the actions of a command that has some (intent add, intent status)
            action
            for nested in command._actions
            if isinstance(nested, argparse._SubParsersAction)
            for action in nested.choices.values()
        ]
        command.add_argument(
            "-C",
            "--root",
            type=Path,
            default=argparse.SUPPRESS,
            metavar="DIR",
            help="the project directory (default: the current one)",
        )
    return parser


def _cmd_version(args: argparse.Namespace) -> int:
    config = validate_project(load_pyproject(args.root), args.root)
    meta = project_metadata(config, log=_progress)
    version = try_normalize(meta.version) or meta.version
    print(f"{meta.name} {version}")
    print(f"  channel: {channel(version).value}")
    # a prefix of the project's own (hatch-v) is learned from its tags; a tag naming this
    # version is the strongest evidence
    prefix = git.tag_prefix(config.root, config.tag_prefix, version)
    tag = git.release_tag(config.root, prefix)
    new_prefix = git.new_tag_prefix(config.root, config.tag_prefix, version)
    source, upcoming = _next_release(config, tag, args.next_version)
    expected = tag_for(upcoming.version if upcoming else version, new_prefix)
    if upcoming is not None:  # git says a dev version: what the next tag releases
        print(f"  next:    {upcoming.version} ({upcoming.reason})")
        print(f"  tag:     {expected} (not created yet): tag the commit: git tag {expected}")
    elif tag is None:
        taken = (
            None
            if config.version_from_tag
            else git.released_elsewhere(config.root, prefix, version)
        )
        print(f"  tag:     {taken or f'{expected} (not created yet)'}")
    elif tag.version == version:
        print(f"  tag:     {tag.name} (from {tag.source}) matches")
    elif config.version_from_tag:
        print(f"  tag:     {tag.name} (from {tag.source}): the build writes {tag.version} "
              "(version-from-tag)")  # fmt: skip
    else:
        print(
            f"  tag:     {tag.name} (from {tag.source}) is {tag.version}: DISAGREES, "
            f"expected {expected}"
        )
    if meta.source != "pyproject.toml":
        print(f"  source:  {meta.source}" + (" (cached)" if meta.cached else ""))
    readings = carriers.read_all(config.version_files, config.root) if config.version_files else []
    for reading in readings:
        print(f"  file:    {reading.carrier.display_path} = {reading.raw}")
    bad = [r for r in readings if r.version != version]
    if bad:
        listed = ", ".join(f"{r.carrier.display_path} has {r.raw}" for r in bad)
        raise CarrierError(
            f"version files disagree with {version}: {listed}",
            f"`releasekit bump {version}` writes {version} into every file"
            if source is None
            else f"the version comes from git tags ({source.plugin}), which `releasekit bump` "
            "cannot write: take the files it generates out of [tool.releasekit] version-files",
        )
    if tag is not None and tag.version != version and not config.version_from_tag:
        hint = set_version_hint(source, tag.version, new_prefix) if source is not None else None
        guard.check_tag_matches(version, tag, hint=hint)  # raises: message and hint on stderr
    return 0


def _next_release(
    config: Config, tag: git.ReleaseTag | None, requested: str | None
) -> tuple[VcsSource | None, NextVersion | None]:
    """The plugin that takes the version from git tags, and, untagged, the next tag's
    version (``--next-version``, else derived); ``--next-version`` elsewhere is an error."""
    source = vcs_source(load_pyproject(config.root))
    if source is None or tag is not None:
        if requested is not None:
            why = (
                f"HEAD already has the release tag {tag.name}"
                if tag is not None and source is not None
                else "the version does not come from git tags"
            )
            raise TagError(
                f"--next-version {requested}: {why}",
                "leave it out; it names the version of a tag that does not exist yet",
            )
        return source, None
    return source, next_release(config, requested)


def _progress(message: str) -> None:
    """Slow steps say what they do, on stderr, so ``releasekit version | head -1`` works."""
    print(f"releasekit: {message}", file=sys.stderr)


def _cmd_notes(args: argparse.Namespace) -> int:
    from releasekit.project.changelog import release_notes

    config = load_config(args.root)
    version = args.version or project_metadata(config, log=_progress).version
    version = try_normalize(version) or version
    path = config.changelog_path()
    if path is None or not path.is_file():
        raise ChangelogError(
            "no changelog to read notes from",
            "keep a CHANGELOG.md (or set [tool.releasekit] changelog)",
        )
    notes = release_notes(path.read_text(encoding="utf-8"), version)
    if notes is None:
        raise ChangelogError(
            f"{path.name} has no section for {version}",
            f"add a heading such as `## [{version}] - YYYY-MM-DD`",
        )
    print(notes)
    return 0


def _cmd_yank(args: argparse.Namespace) -> int:
    from releasekit.cli.yank import yank

    return yank(args.root, args.version, args.reason, args.only)


def _cmd_init(args: argparse.Namespace) -> int:
    from releasekit.cli import init

    for line in init.init_project(args.root, force=args.force):
        print(line)
    if args.ci:
        for line in init.write_ci(args.root, args.ci, force=args.force):
            print(line)
    return 0

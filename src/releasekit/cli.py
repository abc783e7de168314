"""The ``releasekit`` command: ``version``, ``bump PART`` and ``init``.

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

from releasekit import __version__, carriers, git, guard
from releasekit.config import load_config, load_pyproject, validate_project
from releasekit.errors import CarrierError, ConfigError, ReleasekitError
from releasekit.metadata import project_metadata
from releasekit.project import project_name
from releasekit.version import BUMP_PARTS, bump, channel, tag_for, try_normalize

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="releasekit",
        description="Release a Python package whose tag, version and files agree.",
    )
    parser.add_argument("--version", action="version", version=f"releasekit {__version__}")
    parser.add_argument(
        "-C",
        "--root",
        type=Path,
        default=Path("."),
        help="the project directory (default: the current one)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    version = sub.add_parser(
        "version", help="show the version, its release tag and channel, and files that disagree"
    )
    version.set_defaults(func=_cmd_version)

    bump_cmd = sub.add_parser(
        "bump",
        help="write the next version into every version file",
        description="Write the next version into every file of [tool.releasekit] version-files.",
    )
    bump_cmd.add_argument(
        "part",
        help=f"one of {', '.join(BUMP_PARTS)}, several joined by commas (minor,rc), "
        "or an explicit version",
    )
    bump_cmd.add_argument(
        "--force", action="store_true", help="allow a version that does not move forward"
    )
    bump_cmd.add_argument("--dry-run", action="store_true", help="show, write nothing")
    bump_cmd.set_defaults(func=_cmd_bump)

    init = sub.add_parser(
        "init",
        help="write noxfile.py and the build hook into this project",
        description="Write noxfile.py from releasekit's template and enable the build hook "
        "in pyproject.toml. Running it twice changes nothing.",
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing noxfile.py")
    init.set_defaults(func=_cmd_init)
    return parser


def _cmd_version(args: argparse.Namespace) -> int:
    config = validate_project(load_pyproject(args.root), args.root)
    meta = project_metadata(config, log=_progress)
    version = try_normalize(meta.version) or meta.version
    print(f"{meta.name} {version}")
    print(f"  channel: {channel(version).value}")
    tag = git.release_tag(config.root, config.tag_prefix)
    expected = tag_for(version, config.tag_prefix)
    if tag is None:
        print(f"  tag:     {expected} (not created yet)")
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
            f"`releasekit bump {version}` writes {version} into every file",
        )
    if tag is not None and tag.version != version and not config.version_from_tag:
        guard.check_tag_matches(version, tag)  # raises: the message and hint on stderr
    return 0


def _progress(message: str) -> None:
    """Slow steps say what they do, on stderr, so ``releasekit version | head -1`` works."""
    print(f"releasekit: {message}", file=sys.stderr)


def _cmd_bump(args: argparse.Namespace) -> int:
    config = load_config(args.root)
    if not config.version_files and _dynamic_version(config.root):
        raise ConfigError(
            f"{project_name(config.root)} has a dynamic version ([project] dynamic, "
            "[tool.hatch.version]) and no [tool.releasekit] version-files to write it into",
            "with a VCS version source the tag is the version (`git tag v<version>`); "
            "otherwise list the files that carry the version in [tool.releasekit] version-files",
        )
    specs = config.carrier_specs()
    readings = carriers.read_all(specs, config.root)
    current = readings[0].version
    if try_normalize(args.part) == current and carriers.disagreements(readings):
        new = current  # bringing the other files in line with the first
    else:
        new = bump(current, args.part, force=args.force)
    if args.dry_run:
        print(f"{current} -> {new} (dry run: nothing written)")
        return 0
    written = carriers.write_all(specs, config.root, new)
    print(f"{current} -> {new}")
    for path in written:
        print(f"  wrote {carriers.display_path(config.root, path)}")
    print(f"  next: commit, then `git tag {tag_for(new, config.tag_prefix)}`")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from releasekit import init

    for line in init.init_project(args.root, force=args.force):
        print(line)
    return 0


def _dynamic_version(root: Path) -> bool:
    project = load_pyproject(root).get("project")
    return isinstance(project, dict) and "version" in (project.get("dynamic") or [])

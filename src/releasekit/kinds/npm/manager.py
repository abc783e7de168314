"""Which package manager packs an npm member, and how it is run.

pnpm and yarn (2 and later) rewrite a workspace's own ranges when they pack: ``workspace:^``
becomes ``^1.0.0`` (and pnpm's ``catalog:`` the catalog's range); ``npm pack`` copies them
as written, and the tarball then fails to install anywhere ("Unsupported URL Type
workspace:"). So a member is packed by the tool its workspace declares:

- ``packageManager`` in the member's ``package.json``, else in the nearest enclosing
  directory's ``package.json`` that has one (``pnpm@10.34.9``, ``yarn@4.18.1``);
- else a lockfile or workspace file in the nearest enclosing directory that has one:
  ``pnpm-lock.yaml``/``pnpm-workspace.yaml`` (pnpm), ``yarn.lock`` (yarn; a lockfile with
  ``__metadata`` is yarn 2+'s, ``# yarn lockfile v1`` is classic yarn's), ``package-lock.json``
  (npm);
- else npm. The search stops at the repository's top (a directory holding ``.git``).

Yarn 1 (classic) knows no ``workspace:`` protocol and its ``yarn pack`` packs what ``npm
pack`` packs, so a yarn 1 member is packed by npm.

The tool is the one on ``PATH``. corepack is not used: the one Node 20.20 ships (0.34.6)
refused to fetch pnpm from the npm registry here ("No compatible signature found in package
metadata"), Node 25 no longer ships it, and a tool that may download another tool during a
release is not predictable. A declared version whose major differs from the tool's is
refused, since what a pack rewrites changes between majors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from releasekit.errors import BuildError
from releasekit.kinds.npm.quoting import failure_line, run_explained
from releasekit.runtime import proc

__all__ = [
    "PackageManager",
    "detect",
    "pack_argv",
    "read_report",
    "tool_version",
]

Tool = Literal["npm", "pnpm", "yarn"]

_DECLARED = re.compile(r"^(npm|pnpm|yarn)@(\d+)(\.\d+\.\d+\S*)?$")
_INSTALL_HINT = {
    "pnpm": "install pnpm {version} on PATH (npm install -g pnpm@{version})",
    "yarn": "install yarn {version} on PATH (npm install -g @yarnpkg/cli-dist@{version})",
    "npm": "install npm {version} on PATH (npm install -g npm@{version})",
}


@dataclass(frozen=True)
class PackageManager:
    """The tool that packs a member, and why that one."""

    tool: Tool
    version: str | None  # as declared (packageManager), else None
    source: str  # what declared it: "package.json packageManager", ...; "" for none

    @property
    def rewrites(self) -> bool:
        """Whether its pack rewrites ``workspace:`` ranges (pnpm, yarn 2+)."""
        return self.tool != "npm"

    def describe(self) -> str:
        spelled = f"{self.tool}@{self.version}" if self.version else self.tool
        return f"{spelled} (from {self.source})" if self.source else f"{spelled} (the default)"


def detect(package_dir: Path) -> PackageManager:
    """The package manager that packs the package in ``package_dir`` (see the module)."""
    package_dir = Path(package_dir).resolve()
    chain = [package_dir, *package_dir.parents]
    top = next((d for d in chain if (d / ".git").exists()), None)
    for directory in chain[: chain.index(top) + 1] if top is not None else chain:
        found = _declared_in(directory, _spelled(directory, top))
        if found is not None:
            return found
    return PackageManager("npm", None, "")  # no packageManager, no lockfile


def _spelled(directory: Path, top: Path | None) -> str:
    """``directory`` as its repository names it (a build checkout's path says nothing)."""
    if top is None:
        return str(directory)
    return directory.relative_to(top).as_posix()


def _declared_in(directory: Path, spelled: str) -> PackageManager | None:
    prefix = "" if spelled == "." else f"{spelled}/"
    manifest = _read_json(directory / "package.json")
    declared = manifest.get("packageManager") if manifest else None
    if isinstance(declared, str) and declared:
        match = _DECLARED.match(declared.split("+", 1)[0].strip())
        if match is None:
            raise BuildError(
                f"{prefix}package.json packageManager {declared!r} is not npm@, pnpm@ or "
                "yarn@ and a version",
                'e.g. "packageManager": "pnpm@10.34.9"',
            )
        tool, major, rest = match.group(1), match.group(2), match.group(3) or ""
        source = f"{prefix}package.json packageManager"
        if tool == "yarn" and major == "1":
            return PackageManager("npm", None, f"{source} {declared}: yarn 1 packs as npm does")
        return PackageManager(_tool(tool), major + rest, source)
    for name, tool in (
        ("pnpm-lock.yaml", "pnpm"),
        ("pnpm-workspace.yaml", "pnpm"),
        ("yarn.lock", "yarn"),
        ("package-lock.json", "npm"),
    ):
        file = directory / name
        if not file.is_file():
            continue
        if tool == "yarn" and "__metadata:" not in file.read_text(
            encoding="utf-8", errors="replace"
        ):
            return PackageManager("npm", None, f"{prefix}{name}: yarn 1's, which packs as npm does")
        return PackageManager(_tool(tool), None, f"{prefix}{name}")
    return None


def _tool(name: str) -> Tool:
    assert name in ("npm", "pnpm", "yarn")
    return name  # type: ignore[return-value]


def _read_json(file: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def tool_version(manager: PackageManager, cwd: Path, *, log: proc.Log) -> str:
    """The version of the tool on PATH, checked against the declared major."""
    hint = _INSTALL_HINT[manager.tool].format(version=manager.version or "")
    hint = hint.replace(" @", "@").replace("@)", ")").replace("  ", " ")
    output = run_explained(  # pnpm 10 refusing to switch to the declared version says why
        [manager.tool, "--version"],
        what=f"{manager.tool} --version",
        error=BuildError,
        hint=f"{manager.describe()} packs this member: {hint}",
        explain=lambda text: (line, "") if (line := failure_line(text)) else None,
        cwd=cwd,
        log=log,
        timeout=60,
    )
    found = next((w for w in reversed(output.split()) if re.match(r"^v?\d+\.", w)), "")
    found = found.lstrip("v")
    if not found:
        raise BuildError(f"{manager.tool} --version printed no version: {output.strip()!r}", hint)
    if manager.version and found.split(".")[0] != manager.version.split(".")[0]:
        raise BuildError(
            f"{manager.describe()} packs this member, but {manager.tool} on PATH is {found}",
            hint,
        )
    return found


def pack_argv(manager: PackageManager, out: Path) -> list[str]:
    """The pack command; ``out`` is the tarball's path (yarn) or its directory (npm, pnpm)."""
    if manager.tool == "pnpm":  # no --json: pnpm 9.10 (anywidget's) has none
        return ["pnpm", "pack", "--pack-destination", str(out)]
    if manager.tool == "yarn":
        return ["yarn", "pack", "--json", "--out", str(out)]
    return ["npm", "pack", "--json", "--pack-destination", str(out)]


def read_report(manager: PackageManager, output: str) -> dict[str, Any]:
    """What the pack printed about its tarball: ``filename`` (a name or a path) and, from
    npm only, ``integrity``.

    npm prints a one-entry JSON array, yarn one JSON object a line (the last with
    ``output``: the tarball's path), pnpm (without ``--json``, which pnpm 9.10 lacks) the
    tarball's path as its last line, in every version; a ``prepack`` script may print
    before any of them.
    """
    if manager.tool == "pnpm":
        last = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "")
        if last.endswith(".tgz"):
            return {"filename": last}
    decoder = json.JSONDecoder()
    opener = r"(?m)^\[" if manager.tool == "npm" else r"(?m)^\{"
    for match in re.finditer(opener, output):
        try:
            value, _ = decoder.raw_decode(output, match.start())
        except ValueError:
            continue
        if manager.tool == "npm":
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
                return value[0]
        elif (
            manager.tool == "yarn"
            and isinstance(value, dict)
            and isinstance(value.get("output"), str)
        ):
            return {"filename": value["output"]}
    last = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "")
    flag = "" if manager.tool == "pnpm" else " --json"
    raise BuildError(
        f"{manager.tool} pack{flag} printed no report",
        f"its output ended with: {last or 'nothing'}",
    )

"""The wheels a release must hold (``[tool.releasekit] wheels``), and what a set of files lacks.

A project that builds its wheels on many CI runners (cibuildwheel, one job per platform)
publishes a partial matrix when one job is cancelled or fails and the gathering step takes
what is there: the release goes out without, say, its Windows wheels, and since a version's
files can only be added for 14 days (and never replaced), it may stay without them. So
the maintainer declares the matrix once, and releasekit refuses a set of files that lacks a
declared wheel or holds one nobody declared, before anything is uploaded.

The matrix is written as cibuildwheel's build identifiers (``cp312-manylinux_x86_64``,
``cp313t-win_amd64``, ``pp311-macosx_arm64``), because that is how the builds are named
and selected; a whole wheel tag (``py3-none-any``) names a wheel no identifier describes. An
identifier is *covered* by a wheel that an installer on that Python and platform takes:

- the platform: the identifier's family and architecture with any version the tag adds
  (``manylinux_x86_64`` is ``manylinux_2_17_x86_64`` or the legacy ``manylinux2014_x86_64``;
  ``macosx_arm64`` is ``macosx_11_0_arm64``; ``pyodide_wasm32`` is also PEP 783's
  ``pyemscripten_2026_0_wasm32``); ``any`` covers no platform identifier (a pure fallback
  wheel is declared as ``py3-none-any``);
- the Python: its own ABI (``cp312-cp312``), the stable ABI of an older or equal CPython
  (one ``cp310-abi3`` wheel covers cp310 up to the newest CPython, but never a
  free-threaded ``cp313t``, which has no stable ABI), or no ABI (``py3-none``,
  ``cp312-none``).

With ``{ cibuildwheel = ["linux", "macos:arm64"] }`` the identifiers are the ones the
project's own cibuildwheel prints (``cibuildwheel --print-build-identifiers --platform P``):
its selection (``build``, ``skip``, ``enable``, ``requires-python``, the Pythons of its
version) is cibuildwheel's and changes with its releases, so it is asked, never
re-implemented, and it must be the cibuildwheel the wheel jobs pin. Which architectures a
runner builds by default (``archs = "auto"``) only the runner knows: such a platform
names them after a colon (cibuildwheel's ``--archs``).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.tags import Tag, parse_tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from releasekit.core.config import WheelsSpec
from releasekit.core.validate import load_pyproject
from releasekit.errors import BuildError
from releasekit.runtime import proc

__all__ = [
    "MatrixReport",
    "check_matrix",
    "covers",
    "expected_wheels",
    "missing_wheels",
    "refusal",
    "report",
]

# A runner decides what these build: releasekit cannot tell from here which it is.
_RUNNER_ARCHS = frozenset({"auto", "auto64", "auto32", "native"})
_PYTHON = re.compile(r"(cp|pp|gp)3(\d+)(t?)(?:_(\d+))?")
_PLATFORM_ALIASES = {
    # PEP 600's manylinux_X_Y and the legacy names of the same glibc policies
    "manylinux": ("manylinux", "manylinux1", "manylinux2010", "manylinux2014"),
    # Pyodide's wheels: emscripten_X_Y_Z (before Pyodide 0.27), pyodide_YYYY_N, PEP 783
    "pyodide": ("pyodide", "pyemscripten", "emscripten"),
}
_CIBUILDWHEEL_TIMEOUT = 120.0


@dataclass(frozen=True)
class MatrixReport:
    """The declared wheels against a set of filenames (a ``--dist`` directory, an index)."""

    expected: tuple[str, ...]  # identifiers and tags, as declared or printed by cibuildwheel
    wheels: tuple[str, ...]  # the wheel filenames looked at (sdists and the rest left out)
    missing: tuple[str, ...]  # expected entries no wheel covers
    unexpected: tuple[str, ...]  # wheel filenames that cover no expected entry

    @property
    def complete(self) -> bool:
        return not self.missing and not self.unexpected

    def describe(self) -> str:
        """One line: what is missing and what is extra (or that all is there)."""
        if self.complete:
            return f"all {len(self.expected)} declared wheels"
        said = []
        if self.missing:
            said.append(
                f"lacks {len(self.missing)} of the {len(self.expected)} declared wheels: "
                + ", ".join(self.missing)
            )
        if self.unexpected:
            count = len(self.unexpected)
            said.append(
                f"holds {count} wheel{'s' if count != 1 else ''} not declared: "
                + ", ".join(self.unexpected)
            )
        return "; ".join(said)

    def hint(self, where: str) -> str:
        """What to do about it; ``where``: the directory (or index) that holds the files."""
        said = []
        if self.missing:
            said.append(
                "a wheel job was cancelled or failed: rerun it, then gather every job's wheels "
                "into one directory (download-artifact with pattern: files-* and "
                "merge-multiple: true)"
            )
        if self.unexpected:
            said.append(f"remove what is not to be released from {where}")
        said.append("or change [tool.releasekit] wheels")
        return "; ".join(said)

    def as_dict(self) -> dict[str, Any]:
        """For ``--json`` output."""
        return {
            "complete": self.complete,
            "expected": list(self.expected),
            "wheels": list(self.wheels),
            "missing": list(self.missing),
            "unexpected": list(self.unexpected),
        }


def missing_wheels(expected: Sequence[str], filenames: Iterable[str]) -> MatrixReport:
    """Which of ``expected`` (identifiers and wheel tags) no wheel of ``filenames`` covers,
    and which wheels cover none of them. Names that are no wheel (sdists, records) are left
    out; a ``.whl`` whose name is no valid wheel name covers nothing."""
    wheels = sorted({name for name in filenames if name.endswith(".whl")})
    tags = {name: _wheel_tags(name) for name in wheels}
    missing = tuple(e for e in expected if not any(covers(e, t) for t in tags.values()))
    unexpected = tuple(n for n in wheels if not any(covers(e, tags[n]) for e in expected))
    return MatrixReport(tuple(expected), tuple(wheels), missing, unexpected)


def covers(entry: str, tags: Iterable[Tag]) -> bool:
    """Whether a wheel with ``tags`` is the wheel of ``entry``: an identifier (its Python
    and platform take one of the tags) or a whole tag (one of the tags is it)."""
    tags = frozenset(tags)
    if entry.count("-") == 2:
        return bool(parse_tag(entry) & tags)
    python, _, platform = entry.partition("-")
    return any(_takes(python, tag) and _on(platform, tag.platform) for tag in tags)


def _wheel_tags(filename: str) -> frozenset[Tag]:
    try:
        return parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return frozenset()


def _takes(python: str, tag: Tag) -> bool:
    """Whether an installer on the identifier's Python takes ``tag``'s interpreter and ABI
    (as ``packaging.tags.sys_tags`` ranks them: own ABI, abi3 of an older CPython, none)."""
    interpreter, abi = tag.interpreter, tag.abi
    match = _PYTHON.fullmatch(python)
    if match is None:  # a Python this module does not know: its own tag only
        return interpreter == python
    kind, minor, free, graal = match.group(1), int(match.group(2)), match.group(3), match.group(4)
    own = {"cp": f"cp3{minor}", "pp": f"pp3{minor}", "gp": f"graalpy3{minor}"}[kind]
    if abi == "none":
        return interpreter == own or _generic(interpreter, minor)
    if kind == "cp" and free:  # free-threaded: its own ABI only, no stable ABI
        return interpreter == own and abi == f"cp3{minor}t"
    if kind == "cp":
        if abi == "abi3":
            older = re.fullmatch(r"cp3(\d+)", interpreter)
            return older is not None and int(older.group(1)) <= minor
        return interpreter == own and abi == own
    if kind == "pp":  # pp310-pypy310_pp73
        return interpreter == own and abi.startswith(f"pypy3{minor}_")
    return interpreter == own and abi.startswith(f"graalpy{graal}_3{minor}_")  # graalpy311_242


def _generic(interpreter: str, minor: int) -> bool:
    """``py3`` or ``py3N`` with N at most ``minor``: any Python 3 (of that minor or later)."""
    match = re.fullmatch(r"py3(\d*)", interpreter)
    return match is not None and (not match.group(1) or int(match.group(1)) <= minor)


def _on(platform: str, tag_platform: str) -> bool:
    """Whether a wheel's platform tag is the identifier's ``platform``: the same family and
    architecture, with whatever version (glibc, macOS, API level) the tag adds."""
    if tag_platform == platform:
        return True
    family, _, arch = platform.partition("_")
    if not arch:  # win32
        return False
    return any(
        re.fullmatch(rf"{name}(?:_\d+)+_{re.escape(arch)}", tag_platform)
        or re.fullmatch(rf"{name}_{re.escape(arch)}", tag_platform)
        for name in _PLATFORM_ALIASES.get(family, (family,))
    )


# -- what is declared --------------------------------------------------------------------------


def expected_wheels(
    spec: WheelsSpec, root: Path, *, log: proc.Log = proc.no_log
) -> tuple[str, ...]:
    """The identifiers and tags ``spec`` declares for the project at ``root``, with those
    its cibuildwheel prints for each of ``spec.cibuildwheel``'s platforms."""
    if not spec.cibuildwheel:
        return spec.wheels
    pyproject = root / "pyproject.toml"
    try:
        stamp = pyproject.stat()
        key = (stamp.st_mtime_ns, stamp.st_size)
    except OSError:
        key = (0, 0)
    expected = _expected(spec, root.resolve(), key)
    log(
        f"[tool.releasekit] wheels: {len(expected)} wheels, with cibuildwheel's for "
        + ", ".join(spec.cibuildwheel)
    )
    return expected


@functools.lru_cache(maxsize=16)
def _expected(spec: WheelsSpec, root: Path, _stamp: tuple[int, int]) -> tuple[str, ...]:
    """:func:`expected_wheels`, once per project and pyproject.toml: the check, the build
    and the plan of one run ask cibuildwheel once, for every platform at the same time."""
    table = load_pyproject(root).get("tool", {}).get("cibuildwheel", {})
    for entry in spec.cibuildwheel:  # refused before anything runs
        platform, _, archs = entry.partition(":")
        if not archs:
            _refuse_runner_archs(platform, table if isinstance(table, Mapping) else {})
    command = _cibuildwheel()
    with ThreadPoolExecutor(max_workers=4) as pool:
        printed = list(pool.map(lambda e: _identifiers(command, e, root), spec.cibuildwheel))
    found = dict.fromkeys(spec.wheels)
    for identifiers in printed:
        found.update(dict.fromkeys(identifiers))
    return tuple(found)


def _identifiers(command: Sequence[str], entry: str, root: Path) -> list[str]:
    """What ``cibuildwheel --print-build-identifiers`` prints for one platform entry."""
    platform, _, archs = entry.partition(":")
    argv = [*command, "--print-build-identifiers", "--platform", platform]
    argv += ["--archs", archs] if archs else []
    output = proc.run(
        [*argv, str(root)],
        what=f"cibuildwheel --print-build-identifiers --platform {platform}",
        error=BuildError,
        hint="fix [tool.cibuildwheel] as cibuildwheel says, or the platform in "
        "[tool.releasekit] wheels cibuildwheel",
        cwd=root,
        timeout=_CIBUILDWHEEL_TIMEOUT,
        unset=[name for name in os.environ if name.startswith("CIBW_")],
    )
    printed = [line for line in output.split() if re.fullmatch(r"\w+-\w+", line)]
    if not printed:
        raise BuildError(
            f"cibuildwheel selects no wheel for {platform} ([tool.releasekit] wheels "
            f"cibuildwheel {entry!r})",
            "check [tool.cibuildwheel] build, skip and archs and the project's "
            f"requires-python, or leave {platform} out of [tool.releasekit] wheels",
        )
    return printed


def _cibuildwheel() -> list[str]:
    """The project's cibuildwheel: on PATH, or importable where releasekit runs."""
    on_path = shutil.which("cibuildwheel")
    if on_path:
        return [on_path]
    if importlib.util.find_spec("cibuildwheel") is not None:
        return [sys.executable, "-m", "cibuildwheel"]
    raise BuildError(
        "[tool.releasekit] wheels cibuildwheel needs cibuildwheel, which is not installed here",
        "install the cibuildwheel your wheel jobs pin beside releasekit (pip install "
        "cibuildwheel==X.Y.Z): its version decides which wheels it builds",
    )


def _refuse_runner_archs(platform: str, table: Mapping[str, Any]) -> None:
    """Refuse a platform whose archs cibuildwheel leaves to the runner (``auto``, the
    default): run here, cibuildwheel would print this machine's, not the runner's."""
    if platform == "pyodide":  # wasm32 wherever it is built
        return
    own = table.get(platform, {})
    value = own.get("archs") if isinstance(own, Mapping) and "archs" in own else None
    value = table.get("archs", "auto") if value is None else value
    archs = value if isinstance(value, list) else re.split(r"[\s,]+", str(value).strip())
    runner = sorted(_RUNNER_ARCHS & {str(a) for a in archs})
    if runner:
        raise BuildError(
            f"[tool.releasekit] wheels cibuildwheel {platform!r}: cibuildwheel's archs for "
            f"{platform} are {runner[0]!r}, which each runner decides",
            f'name the archs your {platform} runner builds: "{platform}:x86_64" (or arm64, '
            f"...; cibuildwheel's --archs), or set [tool.cibuildwheel.{platform}] archs",
        )


def report(spec: WheelsSpec | None, root: Path, filenames: Iterable[str]) -> MatrixReport | None:
    """The declared matrix (``Config.wheels``) against ``filenames`` (what an index holds for
    a version, for ``releasekit status``); ``None`` when the project declares none."""
    if spec is None:
        return None
    return missing_wheels(expected_wheels(spec, root), filenames)


# -- the check ---------------------------------------------------------------------------------


def refusal(
    spec: WheelsSpec, root: Path, filenames: Iterable[str], where: str, log: proc.Log = proc.no_log
) -> tuple[str, str] | None:
    """The refusal of ``filenames`` in ``where`` against ``spec``: (message, hint), or
    ``None`` when they are the declared matrix."""
    report = missing_wheels(expected_wheels(spec, root, log=log), filenames)
    if report.complete:
        return None
    return f"{where} {report.describe()}", report.hint(where)


def check_matrix(
    spec: WheelsSpec, root: Path, filenames: Iterable[str], where: str, log: proc.Log
) -> None:
    """Raise :class:`BuildError` with :func:`refusal`'s message and hint (every missing and
    every undeclared wheel); else log that ``where`` holds the matrix."""
    refused = refusal(spec, root, list(filenames), where, log)
    if refused is not None:
        raise BuildError(*refused)
    count = len(expected_wheels(spec, root))  # asked again of the cache: cibuildwheel ran once
    log(f"{where} holds all {count} declared wheels ([tool.releasekit] wheels)")

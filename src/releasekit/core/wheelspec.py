"""``[tool.releasekit] wheels``: the wheel matrix every release of a project holds, parsed.

Apart from :mod:`releasekit.core.config`, which reads the key through :func:`parse_wheels`:
the forms (cibuildwheel's build identifiers, whole wheel tags, a python x platforms table,
the platforms cibuildwheel itself expands) and their one-line errors are a subject of their
own. Matching a declared matrix with built or served wheels is
:mod:`releasekit.kinds.python.matrix`'s. Standard library only, and the patterns compiled
on first use: this module is on the hatch plugin's import path through the config.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from releasekit.core.validate import reject_unknown, str_list
from releasekit.errors import ConfigError

__all__ = ["WheelsSpec", "parse_wheels"]

_WHEELS_KEYS = ("python", "platforms", "cibuildwheel", "pure")


class WheelsSpec(NamedTuple):
    """``[tool.releasekit] wheels``: the wheels every release of the project holds.

    Checked here for form only (the hook reads this module in every build);
    :mod:`releasekit.kinds.python.matrix` expands it and matches it against files.
    """

    # cibuildwheel build identifiers (cp312-manylinux_x86_64) and whole wheel tags
    # (py3-none-any), in the order written; the python x platforms product is in here
    wheels: tuple[str, ...] = ()
    # platforms whose identifiers cibuildwheel prints: "linux", or "macos:arm64" (its --archs)
    cibuildwheel: tuple[str, ...] = ()


# cibuildwheel's build identifiers (https://cibuildwheel.pypa.io/en/stable/options/#build-skip):
# a Python (cp312, cp313t free-threaded, pp311 PyPy, gp312_250 GraalPy) and a platform
# family with its architecture, without the glibc, macOS or API level a wheel's tag adds.
_WHEEL_PYTHON = r"cp3\d{1,2}t?|pp3\d{1,2}|gp3\d{1,2}_\d+"
_WHEEL_PLATFORM = (
    r"(?:manylinux|musllinux)_(?:x86_64|i686|aarch64|ppc64le|s390x|armv7l|riscv64)"
    r"|macosx_(?:x86_64|arm64|universal2)|win32|win_amd64|win_arm64"
    r"|ios_(?:arm64_iphoneos|arm64_iphonesimulator|x86_64_iphonesimulator)"
    r"|android_(?:arm64_v8a|x86_64)|pyodide_wasm32"
)
# a whole wheel tag: python-abi-platform, each part possibly a dotted set (py2.py3-none-any)
_WHEEL_TAG = r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*(?:-[a-z0-9_]+(?:\.[a-z0-9_]+)*){2}"


class _WheelPatterns(NamedTuple):
    python: re.Pattern[str]
    platform: re.Pattern[str]
    tag: re.Pattern[str]


@functools.lru_cache(maxsize=1)
def _wheel_patterns() -> _WheelPatterns:
    """The patterns of ``wheels``' entries, compiled the first time a ``wheels`` key is read:
    the hatch hook imports this module in every build of the project, and a build has no
    use for them."""
    return _WheelPatterns(
        re.compile(_WHEEL_PYTHON), re.compile(_WHEEL_PLATFORM), re.compile(_WHEEL_TAG)
    )


_CIBW_PLATFORMS = ("linux", "macos", "windows", "ios", "android", "pyodide")
_WHEELS_HINT = (
    'e.g. wheels = { python = ["cp312", "cp313"], platforms = ["manylinux_x86_64", '
    '"win_amd64"] }, a list of cibuildwheel identifiers ("cp312-macosx_arm64") and wheel '
    'tags ("py3-none-any"), or wheels = { cibuildwheel = ["linux", "macos:arm64"] }'
)


def parse_wheels(value: object, where: str) -> WheelsSpec | None:
    """``wheels``: a list of identifiers and tags, or a table of ``python`` x ``platforms``,
    ``cibuildwheel`` platforms and ``pure``. Every entry is checked for its form, so a typo
    (``cp312-manylinux_2_17_x86_64``, a wheel's tag where cibuildwheel's identifier was
    meant) is named here rather than reported as a wheel missing from every release."""
    if value is None:
        return None
    if isinstance(value, list):
        entries = dict.fromkeys(_wheel_entry(e, where) for e in str_list(value, where))
        if not entries:
            raise ConfigError(f"{where} declares no wheel", _WHEELS_HINT)
        return WheelsSpec(wheels=tuple(entries))
    if not isinstance(value, Mapping):
        hint = _WHEELS_HINT
        if value == "cibuildwheel":  # which runners, and their archs, only the workflow knows
            hint = (
                "name the platforms your wheel jobs build (and the archs of a runner that "
                '[tool.cibuildwheel] leaves them to): { cibuildwheel = ["linux", '
                '"macos:arm64", "windows"] }'
            )
        raise ConfigError(f"{where} must be a list or a table, not {value!r}", hint)
    reject_unknown(value, _WHEELS_KEYS, where)
    wheels = _wheels_product(value, where)
    cibuildwheel = str_list(value.get("cibuildwheel", []), f"{where} cibuildwheel")
    for entry in cibuildwheel:
        platform, _, archs = entry.partition(":")
        bad_archs = ":" in entry and not re.fullmatch(r"\w+(,\w+)*", archs)
        if platform not in _CIBW_PLATFORMS or bad_archs:
            raise ConfigError(
                f"{where} cibuildwheel {entry!r} is not a cibuildwheel platform",
                f"one of {', '.join(_CIBW_PLATFORMS)}, with the runner's archs after a colon "
                'when [tool.cibuildwheel] leaves them to it: "macos:arm64", "linux:x86_64,aarch64"',
            )
    pure = value.get("pure", False)
    if not isinstance(pure, bool):
        raise ConfigError(f"{where} pure must be true or false, not {pure!r}", "write pure = true")
    if pure:
        wheels.append("py3-none-any")
    if not wheels and not cibuildwheel:
        raise ConfigError(f"{where} declares no wheel", _WHEELS_HINT)
    return WheelsSpec(wheels=tuple(wheels), cibuildwheel=tuple(cibuildwheel))


def _wheels_product(value: Mapping[str, Any], where: str) -> list[str]:
    """``python`` x ``platforms``: every Python on every platform, as identifiers."""
    pythons = str_list(value.get("python", []), f"{where} python")
    platforms = str_list(value.get("platforms", []), f"{where} platforms")
    if bool(pythons) != bool(platforms):
        given, missing = ("python", "platforms") if pythons else ("platforms", "python")
        raise ConfigError(
            f"{where} has {given} but no {missing}: the wheels are each python on each platform",
            _WHEELS_HINT,
        )
    patterns = _wheel_patterns()
    for python in pythons:
        if not patterns.python.fullmatch(python):
            raise ConfigError(
                f"{where} python {python!r} is not a cibuildwheel Python",
                "e.g. cp312 (CPython 3.12), cp313t (free-threaded), pp311 (PyPy)",
            )
    for platform in platforms:
        if not patterns.platform.fullmatch(platform):
            raise ConfigError(
                f"{where} platforms {platform!r} is not a cibuildwheel platform",
                _platform_hint(platform),
            )
    return [f"{python}-{platform}" for python in pythons for platform in platforms]


def _wheel_entry(entry: str, where: str) -> str:
    patterns = _wheel_patterns()
    python, _, platform = entry.partition("-")
    if patterns.python.fullmatch(python) and patterns.platform.fullmatch(platform):
        return entry
    if entry.count("-") == 2 and patterns.tag.fullmatch(entry):
        return entry
    if entry.count("-") == 1 and patterns.python.fullmatch(python):
        hint = _platform_hint(platform)
    else:
        hint = (
            "a cibuildwheel identifier is PYTHON-PLATFORM (cp312-manylinux_x86_64, "
            "cp313t-win_amd64, pp311-macosx_arm64); a wheel tag is python-abi-platform "
            "(py3-none-any, cp39-abi3-manylinux_2_17_x86_64)"
        )
    raise ConfigError(
        f"{where} entry {entry!r} is neither a cibuildwheel identifier nor a wheel tag", hint
    )


def _platform_hint(platform: str) -> str:
    family = re.match(r"(manylinux|musllinux|macosx)_\d+_\d+_(\w+)$", platform)
    if family:  # a wheel's platform tag: the identifier leaves the glibc/macOS version out
        return (
            f"write {family.group(1)}_{family.group(2)}: cibuildwheel's identifiers leave "
            "the glibc or macOS version out"
        )
    return (
        "one of manylinux_ARCH, musllinux_ARCH (x86_64, i686, aarch64, ppc64le, s390x, "
        "armv7l, riscv64), macosx_x86_64, macosx_arm64, macosx_universal2, win32, win_amd64, "
        "win_arm64, ios_..., android_..., pyodide_wasm32"
    )

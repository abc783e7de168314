"""What the built files really contain, read from the bytes on disk.

The build backend is trusted to build, not to build the *right thing*: a wheel can carry
bytecode, a stray top-level ``tests`` package that clashes with every other project doing
the same, or nothing importable at all; a file name can say one version while its metadata
says another (a stale file left in ``dist/``, a renamed file, a version source that disagrees
with the tag). Every check here reads the archive itself, with the standard library only, so
what is checked is exactly what would be uploaded.

Versions are compared as PEP 440 *normalized strings*, never with ``Version ==``:
``1.2`` and ``1.2.0`` are equal as versions but are different files on an index.
"""

from __future__ import annotations

import configparser
import re
import tarfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from releasekit.core.version import normalize
from releasekit.engine.manifest import filename_parts
from releasekit.errors import BuildError

__all__ = [
    "SdistInfo",
    "WheelInfo",
    "check_archives",
    "check_versions",
    "check_wheel_contents",
    "find_dists",
    "inspect_sdist",
    "inspect_wheel",
]

# Top-level names that are never meant to be installed into site-packages: they clash with
# every other project that ships the same mistake. ``src`` is a src-layout misconfiguration;
# ``conftest``, ``setup`` and ``noxfile`` are project files swept in by a too-wide include.
_MISPLACED = ("tests", "test", "docs", "src", "conftest", "setup", "noxfile")
# Extension modules carry an ABI tag: demo.cpython-312-x86_64-linux-gnu.so, demo.abi3.so,
# demo.cp312-win_amd64.pyd. The module name is everything before the first dot.
_MODULE_SUFFIXES = (".py", ".so", ".pyd")
_STALE_HINT = (
    "the version source and the tag disagree, or dist/ holds a stale or renamed file: "
    "empty dist/ and rebuild from the tagged commit"
)


@dataclass(frozen=True)
class WheelInfo:
    """What a wheel declares (its METADATA) and what it would install (its file list)."""

    filename: str
    name: str  # as written in METADATA
    version: str  # as written in METADATA
    top_level: tuple[str, ...]  # importable top-level modules and packages
    entry_points: dict[str, dict[str, str]]  # group -> name -> "module:attr"
    requires_dist: tuple[str, ...]
    metadata_version: str
    files: tuple[str, ...]
    provides_extra: tuple[str, ...] = ()  # extras the wheel declares, as written


@dataclass(frozen=True)
class SdistInfo:
    """What an sdist declares in its top-level PKG-INFO."""

    filename: str
    name: str
    version: str


def _parse_metadata(data: bytes) -> Message:
    """Core metadata is an RFC 822 header block (the body, the description, is ignored)."""
    return HeaderParser().parsestr(data.decode("utf-8", errors="replace"))


def _module_name(filename: str) -> str | None:
    """``demo.py`` -> ``demo``; ``_speed.cpython-312-x86_64-linux-gnu.so`` -> ``_speed``."""
    if not filename.endswith(_MODULE_SUFFIXES):
        return None
    name = filename.split(".", 1)[0]
    if not name.isidentifier() or name == "__init__":
        return None
    return name


def _install_paths(files: Iterable[str]) -> Iterator[tuple[str, ...]]:
    """Each file's path relative to site-packages; metadata and non-library data dropped.

    ``*.data/purelib`` and ``*.data/platlib`` are installed into site-packages like the root
    of the wheel, so they count; ``*.data/scripts``, ``headers`` and ``data`` do not.
    """
    for name in files:
        parts = tuple(name.split("/"))
        if parts[0].endswith(".dist-info"):
            continue
        if parts[0].endswith(".data"):
            if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                yield parts[2:]
            continue
        yield parts


def _top_level(files: Iterable[str]) -> tuple[str, ...]:
    """Importable top-level names: modules, and directories holding Python code.

    A directory counts when it holds a module anywhere below it: with ``__init__.py`` it is
    a regular package, without it a namespace package, and both import.
    """
    names: set[str] = set()
    for parts in _install_paths(files):
        if len(parts) == 1:
            module = _module_name(parts[0])
            if module:
                names.add(module)
        elif (
            parts[0].isidentifier()
            and "__pycache__" not in parts
            and parts[-1].endswith(_MODULE_SUFFIXES)
        ):
            names.add(parts[0])
    return tuple(sorted(names))


def _entry_points(text: str) -> dict[str, dict[str, str]]:
    """Parse ``entry_points.txt`` the way importlib.metadata does (INI, ``=`` only, case kept)."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return {group: dict(parser[group]) for group in parser.sections()}


def _dist_info_dir(names: Sequence[str], filename: str) -> str:
    """The wheel's ``.dist-info`` directory: the one matching the file name, else the only one."""
    dirs = sorted({n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")})
    if len(dirs) == 1:
        return dirs[0]
    prefix = canonicalize_name(filename.split("-", 1)[0])
    for candidate in dirs:
        if canonicalize_name(candidate.split("-", 1)[0]) == prefix:
            return candidate
    raise BuildError(
        f"{filename} has {len(dirs)} .dist-info directories and none matches its name"
        if dirs
        else f"{filename} has no .dist-info directory",
        "this is not a wheel a build backend made: rebuild it",
    )


def inspect_wheel(path: Path) -> WheelInfo:
    """Read a wheel's metadata, entry points and file list; ``BuildError`` if it is broken."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            dist_info = _dist_info_dir(names, path.name)
            try:
                metadata = _parse_metadata(archive.read(f"{dist_info}/METADATA"))
            except KeyError:
                raise BuildError(
                    f"{path.name} has no {dist_info}/METADATA",
                    "this is not a wheel a build backend made: rebuild it",
                ) from None
            try:
                entry_text = archive.read(f"{dist_info}/entry_points.txt").decode("utf-8")
            except KeyError:
                entry_text = ""
    except FileNotFoundError:
        raise BuildError(f"wheel {path} not found", "run the build first") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BuildError(
            f"{path.name} is not a readable wheel (zip) file: {exc}", "rebuild it"
        ) from None
    try:
        entry_points = _entry_points(entry_text)
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise BuildError(
            f"{path.name} has an unreadable entry_points.txt: {first}", "rebuild it"
        ) from None
    files = tuple(n for n in names if not n.endswith("/"))
    return WheelInfo(
        filename=path.name,
        name=metadata.get("Name", ""),
        version=metadata.get("Version", ""),
        top_level=_top_level(files),
        entry_points=entry_points,
        requires_dist=tuple(metadata.get_all("Requires-Dist") or ()),
        metadata_version=metadata.get("Metadata-Version", ""),
        files=files,
        provides_extra=tuple(metadata.get_all("Provides-Extra") or ()),
    )


def inspect_sdist(path: Path) -> SdistInfo:
    """Read the name and version from an sdist's top-level ``PKG-INFO``."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = next(
                (
                    m
                    for m in archive.getmembers()
                    if m.isfile() and re.fullmatch(r"[^/]+/PKG-INFO", m.name)
                ),
                None,
            )
            if member is None:
                raise BuildError(
                    f"{path.name} has no top-level PKG-INFO",
                    "this is not an sdist a build backend made: rebuild it",
                )
            handle = archive.extractfile(member)
            data = handle.read() if handle is not None else b""
    except FileNotFoundError:
        raise BuildError(f"sdist {path} not found", "run the build first") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BuildError(
            f"{path.name} is not a readable sdist (tar.gz) file: {exc}", "rebuild it"
        ) from None
    metadata = _parse_metadata(data)
    return SdistInfo(path.name, metadata.get("Name", ""), metadata.get("Version", ""))


def check_wheel_contents(info: WheelInfo) -> list[str]:
    """Problems with what the wheel would install, each a short sentence naming the files."""
    problems: list[str] = []
    paths = list(_install_paths(info.files))
    bytecode = [
        "/".join(p) for p in paths if p[-1].endswith((".pyc", ".pyo")) or "__pycache__" in p
    ]
    if bytecode:
        more = f" (and {len(bytecode) - 1} more)" if len(bytecode) > 1 else ""
        problems.append(f"ships bytecode: {bytecode[0]}{more}")
    for name in _MISPLACED:
        if any(len(p) > 1 and p[0] == name for p in paths) or name in info.top_level:
            problems.append(
                f"ships a top-level `{name}`: it would be installed as site-packages/{name} "
                "and clash with every other project that does the same"
            )
    if not info.top_level:
        problems.append("ships no importable module or package (only metadata and data)")
    return problems


def _compare(filename: str, where: str, name: str, version: str, want: tuple[str, str]) -> None:
    """Raise ``BuildError`` unless ``name``/``version`` are the expected ones."""
    want_name, want_version = want
    if canonicalize_name(name) != canonicalize_name(want_name):
        raise BuildError(
            f"{filename} carries name {name or '(none)'!s} in {where}, expected {want_name}",
            "check [project] name in pyproject.toml, and remove other projects' files from dist/",
        )
    try:
        carried = str(Version(version))
    except InvalidVersion:
        raise BuildError(
            f"{filename} carries version {version or '(none)'} in {where}, which is not "
            f"PEP 440; expected {want_version}",
            _STALE_HINT,
        ) from None
    if carried != want_version:
        raise BuildError(
            f"{filename} carries version {version} in {where}, expected {want_version}",
            _STALE_HINT,
        )


def check_versions(files: Sequence[Path], name: str, version: str) -> None:
    """Every file's name *and* metadata carry exactly ``name`` and ``version``.

    Names compare PEP 503-normalized (``demo_pkg`` in a file name is ``demo-pkg``); versions
    compare as normalized strings, so ``1.2`` is not ``1.2.0``. ``BuildError`` names the
    first file that disagrees, what it carries and what was expected.
    """
    want = (name, normalize(version))
    if not files:
        raise BuildError(
            f"no distribution files to check for {name} {want[1]}", "run the build first"
        )
    for path in files:
        file_name, file_version = filename_parts(path.name)
        _compare(path.name, "its file name", file_name, file_version, want)
        if path.name.endswith(".whl"):
            wheel = inspect_wheel(path)
            _compare(path.name, "its METADATA", wheel.name, wheel.version, want)
        else:
            sdist = inspect_sdist(path)
            _compare(path.name, "its PKG-INFO", sdist.name, sdist.version, want)


def check_archives(files: Sequence[Path]) -> None:
    """Every file opens as what its name says (a wheel as a zip with its metadata, an sdist
    as a tar.gz with PKG-INFO), before any tool reads it: twine shows a traceback for a
    file that is not, and names no file. ``BuildError`` names the first one that does not,
    with where it is and what to do (a file built elsewhere and passed with ``--dist`` may
    be anything)."""
    for path in files:
        try:
            if path.name.endswith(".whl"):
                inspect_wheel(path)
            else:
                inspect_sdist(path)
        except BuildError as exc:
            raise BuildError(
                f"{path.parent}: {exc.message}",
                f"remove {path.name} from {path.parent} or put the file the build made there",
            ) from None


def find_dists(dist_dir: Path) -> list[Path]:
    """The wheels and sdists directly in ``dist_dir``, sdists first, then by name.

    A missing directory holds no files (the caller decides whether that is an error).
    Nothing else in the directory (the manifest, logs, a stray ``.zip``) is a distribution.
    """
    if not dist_dir.is_dir():
        return []
    found = [
        p
        for p in dist_dir.iterdir()
        if p.is_file() and (p.name.endswith(".whl") or p.name.endswith(".tar.gz"))
    ]
    return sorted(found, key=lambda p: (not p.name.endswith(".tar.gz"), p.name))

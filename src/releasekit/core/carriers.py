"""Read and write the version in every file that carries it.

A project lists those files in ``[tool.releasekit] version-files``; the first is the source of
truth. Each entry becomes a :class:`Carrier` that knows how to find the version in one kind of
file (pyproject.toml, a Python module, package.json, or any text file with a regex) and how to
replace it while leaving every other byte alone: a version bump must show up in a diff as the
version and nothing else.

Writing is two-phase (:func:`write_all` renders every file before writing any), so a bad entry
leaves the tree as it was instead of half-bumped.

Each file keeps its own *spelling* of versions (:meth:`Carrier.spelling`): package.json is
always semver (``1.0.0-rc.1``), any other file is semver when its current value is
(``1.0.0-beta``, see :func:`releasekit.core.version.is_semver_spelling`) and PEP 440 (``1.0.0rc1``)
otherwise. Versions are only ever *compared* normalized, so ``1.0.0-beta`` in one file and
``1.0.0b0`` in another agree.

This module is imported by the hatch build hook in every build of every project that uses
releasekit: standard library at import time only; ``tomlkit`` is imported where the
pyproject.toml carrier needs it.
"""

from __future__ import annotations

import abc
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from releasekit.core import gitdir
from releasekit.core import version as _version
from releasekit.core.config import CarrierSpec
from releasekit.core.jsonspan import json_value_span
from releasekit.errors import CarrierError, VersionError

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

__all__ = [
    "Carrier",
    "PackageJsonCarrier",
    "PyprojectCarrier",
    "PythonCarrier",
    "Reading",
    "RegexCarrier",
    "carrier_for",
    "check_consistent",
    "disagreements",
    "read_all",
    "write_all",
]


class Carrier(abc.ABC):
    """One file that carries the version.

    Subclasses say where the version is in the file's text (:meth:`_raw_in`) and how to put a
    new one there (:meth:`_replace`); reading the file, normalizing, and checking that what was
    written reads back as the version asked for live here, once.
    """

    kind: ClassVar[str] = "version file"

    def __init__(self, spec: CarrierSpec, root: Path) -> None:
        self.spec = spec
        self.root, self.path = _locate(spec, root)

    @property
    def display_path(self) -> str:
        """The path as messages show it: relative to the root, with forward slashes."""
        return display_path(self.root, self.path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.display_path!r})"

    def read(self) -> str:
        """The version, PEP 440 normalized; a value that is not PEP 440 is an error."""
        return self._normalize(self.raw())

    def raw(self) -> str:
        """The value exactly as written in the file (``1.0.0-rc.1`` in package.json)."""
        return self._raw_in(_without_bom(self._load()))

    def render(self, version: str) -> str:
        """The whole new text of the file with ``version`` in it; nothing is written.

        Callers render every carrier first and write only when all succeeded.
        """
        return self._render_text(self._load(), version)

    def spelling(self, version: str) -> str:
        """``version`` as this file would write it: semver or PEP 440, as the file does now.

        ``1.0.0b1`` is ``1.0.0-beta.1`` in package.json and in a file that says
        ``1.0.0-beta`` today, and ``1.0.0b1`` in one that says ``1.0.0b0`` or ``1.0.0``. A
        semver file that already holds ``version`` keeps its own text (``1.0.0-beta`` stays,
        rather than becoming ``1.0.0-beta.0``), so stamping a file with the version it already
        has (say, a tag's version into an export) changes nothing. :class:`CarrierError` when
        the file's spelling cannot express ``version``.
        """
        return self._spell(self._raw_in(_without_bom(self._load())), _version.normalize(version))

    # -- for subclasses -------------------------------------------------------------------

    @abc.abstractmethod
    def _raw_in(self, text: str) -> str:
        """The raw version value in ``text``, or :class:`CarrierError` when there is none."""

    @abc.abstractmethod
    def _replace(self, text: str, value: str) -> str:
        """``text`` with ``value`` (already spelled, see :meth:`_spell`) where the version is."""

    def _spelled_semver(self, raw: str) -> bool:
        """Whether a file whose version reads ``raw`` spells versions the semver way."""
        return _version.is_semver_spelling(raw)

    def _semver_way_out(self, raw: str) -> str:
        """The other way out when the file's semver spelling cannot express a version."""
        return (
            f"write a PEP 440 version into {self.display_path} by hand (it keeps the semver "
            f"spelling of its {raw} otherwise)"
        )

    # -- shared machinery -----------------------------------------------------------------

    def _load(self) -> str:
        """The file's text, line endings untouched, so a rewrite changes only the version."""
        try:
            with open(self.path, encoding="utf-8", newline="") as handle:
                return handle.read()
        except FileNotFoundError:
            raise CarrierError(
                f"version file {self.display_path} does not exist",
                "fix the path in [tool.releasekit] version-files (relative to the project root)"
                " or create the file",
            ) from None
        except UnicodeDecodeError as exc:
            raise CarrierError(
                f"version file {self.display_path} is not UTF-8 text ({exc.reason} at byte "
                f"{exc.start})",
                "save the file as UTF-8, or remove it from [tool.releasekit] version-files",
            ) from None
        except OSError as exc:
            raise CarrierError(
                f"cannot read version file {self.display_path}: {exc.strerror or exc}",
                "check that the path in [tool.releasekit] version-files is a readable file",
            ) from None

    def _normalize(self, raw: str) -> str:
        """``raw`` as a normalized PEP 440 version, read the way the file spells it.

        A semver-spelled value is read with :func:`releasekit.core.version.from_semver`, which
        refuses a semver pre-release PEP 440 cannot express or would misread (``1.0.0-1`` is
        a pre-release in semver but ``1.0.0.post1`` in PEP 440).
        """
        if raw != raw.strip():
            # packaging would strip it, so every tool would read 1.2.0 while the module's
            # __version__ (or the metadata) says "1.2.0 ": refused, not silently mended
            raise CarrierError(
                f"{self.display_path} has version {raw!r}, with whitespace around it",
                f"write {raw.strip()!r} into {self.display_path}, without the spaces",
            )
        semver = self._spelled_semver(raw)
        try:
            return _version.from_semver(raw) if semver else _version.normalize(raw)
        except VersionError as exc:
            if semver and _version.semver_prerelease(raw) is not None:
                raise CarrierError(
                    f"{self.display_path}: {exc.message}",
                    f"{exc.hint} in {self.display_path}",
                ) from None
            raise CarrierError(
                f"{self.display_path} has version {_version_shown(raw)}, which is not a "
                "PEP 440 version",
                f"write a version such as 1.2.0 or 1.2.0rc1 into {self.display_path}",
            ) from None

    def _spell(self, raw: str, wanted: str) -> str:
        """The text to write for the normalized ``wanted`` into a file that now says ``raw``."""
        if not self._spelled_semver(raw):
            return wanted
        try:
            if _version.is_semver_spelling(raw) and self._normalize(raw) == wanted:
                return raw  # already says it, in its own words: 1.0.0-beta stays 1.0.0-beta
        except CarrierError:
            pass  # what it says now is not readable: it is replaced, not kept
        try:
            semver = _version.to_semver(wanted)
        except VersionError as exc:
            raise CarrierError(
                f"{self.display_path} cannot carry {wanted}: it has no semver spelling "
                f"({exc.message})",
                f"choose a version semver can express, or {self._semver_way_out(raw)}",
            ) from None
        if _version.try_normalize(semver) != wanted:
            # semver pads 1.2 to 1.2.0: a different release on an index, so the files would
            # disagree right after the bump.
            raise CarrierError(
                f"{self.display_path} cannot carry {wanted}: semver spells it {semver}, "
                "which is a different version",
                f"use a three-part version such as {_version.normalize(semver)}, or "
                + self._semver_way_out(raw),
            )
        return semver

    def _render_text(self, text: str, version: str) -> str:
        """Replace the version in ``text`` and prove the result reads back as that version.

        The new value is spelled the way the file spells it (:meth:`_spell`). The read-back
        catches a carrier that would write something it cannot read again, e.g. a pattern
        whose ``version`` group is too narrow for ``1.3.0rc1`` or ``1.3.0-rc.1``: better to
        refuse the bump than to leave a file that disagrees with itself.
        """
        if text.startswith(_BOM):  # a BOM (a Windows editor's) is kept, and never parsed
            return _BOM + self._render_text(text[len(_BOM) :], version)
        wanted = _version.normalize(version)
        value = self._spell(self._raw_in(text), wanted)
        new_text = self._replace(text, value)
        back: str | None = None
        try:
            back = self._raw_in(new_text)
            ok = self._normalize(back) == wanted
        except CarrierError:
            ok = False
        if not ok:
            found = "nothing" if back is None else repr(back)
            shown = wanted if value == wanted else f"{value} ({wanted})"
            raise CarrierError(
                f"{self.display_path}: after writing {shown} the version would read back as "
                f"{found}",
                self._readback_hint(),
            )
        return new_text

    def _readback_hint(self) -> str:
        return "report this as a releasekit bug, with the file's version line"


class PyprojectCarrier(Carrier):
    """``[project].version`` of a pyproject.toml, edited with tomlkit to keep its formatting."""

    kind = "pyproject.toml"

    def _parse(self, text: str) -> TOMLDocument:
        import tomlkit
        from tomlkit.exceptions import TOMLKitError

        try:
            return tomlkit.parse(text)
        except TOMLKitError as exc:
            raise CarrierError(
                f"{self.display_path} is not valid TOML: {exc}", "fix the syntax error"
            ) from None

    def _project(self, doc: TOMLDocument) -> Any:
        """The ``[project]`` table holding a static version, or :class:`CarrierError`.

        With no ``[project]`` table, poetry-core's ``[tool.poetry]``, where a poetry project
        keeps its version."""
        project = doc.get("project")
        poetry = doc.get("tool", {}).get("poetry") if project is None else None
        if isinstance(poetry, dict) and isinstance(poetry.get("version"), str):
            return poetry
        if not isinstance(project, dict):
            why = "there is no [project] table"
        elif "version" in project:
            return project
        elif "version" in (project.get("dynamic") or []):
            why = "it is in dynamic"
        else:
            why = "there is no version key"
        raise CarrierError(
            f"{self.display_path} has no static [project].version ({why})",
            f"remove {self.display_path} from version-files, or list the file the version "
            "source reads first",
        )

    def _raw_in(self, text: str) -> str:
        value = self._project(self._parse(text))["version"]
        if not isinstance(value, str):
            raise CarrierError(
                f"{self.display_path} [project].version must be a string, not {value!r}",
                'write it as version = "1.2.0"',
            )
        return str(value)  # a tomlkit String is a str subclass; hand out a plain one

    def _replace(self, text: str, value: str) -> str:
        import tomlkit
        from tomlkit.items import String

        doc = self._parse(text)
        project = self._project(doc)
        old = project["version"]
        if isinstance(old, String):
            # Same quote style and the same comment after it: only the value changes.
            quotes = getattr(old, "type", None) or old._t  # tomlkit < 0.12 has only _t
            new = String.from_raw(value, quotes)
            for name in ("indent", "comment_ws", "comment", "trail"):
                setattr(new.trivia, name, getattr(old.trivia, name))
            project["version"] = new
        else:
            project["version"] = value
        return tomlkit.dumps(doc)


# At line start: __version__ = "...", __version__: str = "...", VERSION = "..." (either quote).
_PYTHON_RE = re.compile(
    r"""^(?:__version__(?:[ \t]*:[ \t]*[A-Za-z_][\w.\[\]]*)?|VERSION)[ \t]*=[ \t]*"""
    r"""(?P<quote>["'])(?P<version>(?:(?!(?P=quote))[^\\\r\n])*)(?P=quote)""",
    re.MULTILINE,
)
_PYTHON_FORMS = '__version__ = "...", __version__: str = "..." or VERSION = "..."'


class PythonCarrier(Carrier):
    """The ``__version__`` (or ``VERSION``) string literals at line start in a module.

    A module may say it twice (``__version__ = "1.2.0"`` and ``VERSION = "1.2.0"``): while
    they agree, a bump rewrites both, so they go on agreeing. Two that disagree are refused,
    naming both lines: which one is the version is the maintainer's call, and rewriting one
    would leave the other saying an old version nobody notices.
    """

    kind = "Python file"

    def _matches(self, text: str) -> list[re.Match[str]]:
        matches = list(_PYTHON_RE.finditer(text))
        if not matches:
            raise CarrierError(
                f"{self.display_path} has no version assignment at line start (looked for "
                f"{_PYTHON_FORMS})",
                f'add __version__ = "X" to {self.display_path}, or give '
                f'{{ path = "{self.spec.path}", pattern = "...(?P<version>...)..." }}',
            )
        first = matches[0]
        for other in matches[1:]:
            if other.group("version") != first.group("version"):
                raise CarrierError(
                    f"{self.display_path} has two version assignments that disagree: "
                    f"{_line_of(text, first)} and {_line_of(text, other)}",
                    "keep one (e.g. VERSION = __version__), or give "
                    f'{{ path = "{self.spec.path}", pattern = "...(?P<version>...)..." }} '
                    "matching the line that carries the version",
                )
        return matches

    def _raw_in(self, text: str) -> str:
        return self._matches(text)[0].group("version")

    def _replace(self, text: str, value: str) -> str:
        for match in reversed(self._matches(text)):  # from the end: earlier spans stay put
            start, end = match.span("version")
            text = text[:start] + value + text[end:]
        return text


def _line_of(text: str, match: re.Match[str]) -> str:
    """``line 3 (__version__ = "1.2.0")``: where a match is, and what it says, for a message."""
    number = text.count("\n", 0, match.start()) + 1
    return f"line {number} ({match.group(0).strip()})"


class PackageJsonCarrier(Carrier):
    """The top-level ``"version"`` of a package.json, in semver spelling.

    npm wants ``1.0.0-rc.1`` where PEP 440 says ``1.0.0rc1``: reads convert to PEP 440, writes
    to semver. The value is replaced in place rather than by re-dumping the JSON, so the
    indentation, key order and trailing newline stay exactly as the project wrote them, and a
    ``"version"`` nested in e.g. ``"engines"`` is never touched.
    """

    kind = "package.json"

    def _parse(self, text: str) -> dict[str, Any]:
        try:
            doc = json.loads(text.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            raise CarrierError(
                f"{self.display_path} is not valid JSON: {exc}", "fix the syntax error"
            ) from None
        if not isinstance(doc, dict):
            raise CarrierError(
                f"{self.display_path} is not a JSON object (it is a {type(doc).__name__})",
                'a package.json is an object with a top-level "version" key',
            )
        return doc

    def _raw_in(self, text: str) -> str:
        doc = self._parse(text)
        if "version" not in doc:
            raise CarrierError(
                f'{self.display_path} has no top-level "version"',
                f'add "version": "1.2.0" to {self.display_path}, or remove it from version-files',
            )
        value = doc["version"]
        if not isinstance(value, str):
            raise CarrierError(
                f'{self.display_path} top-level "version" must be a string, not '
                f"{json.dumps(value)}",
                'write it as "version": "1.2.0"',
            )
        return value

    def _spelled_semver(self, raw: str) -> bool:
        return True  # npm takes nothing else, whatever the file says today

    def _semver_way_out(self, raw: str) -> str:
        return f"remove {self.display_path} from version-files"

    def _replace(self, text: str, value: str) -> str:
        self._raw_in(text)  # validates: an object with a top-level string "version"
        span = json_value_span(text, ["version"])
        assert span is not None  # _raw_in found it
        return text[: span[0]] + json.dumps(value) + text[span[1] :]


class RegexCarrier(Carrier):
    """Any text file, with a user's regex whose ``version`` group is the version.

    Only that group's span of the first match is rewritten, so the pattern can anchor on as
    much context as it needs without that context ever being edited.
    """

    kind = "pattern"

    def __init__(self, spec: CarrierSpec, root: Path) -> None:
        super().__init__(spec, root)
        pattern = spec.pattern or ""
        try:
            self.regex = re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            raise CarrierError(
                f"version-files pattern {pattern!r} for {self.display_path} is not a valid "
                f"regex: {exc}",
                "fix the regex; remember TOML basic strings need \\\\ for a backslash, or "
                "use a '...' literal string",
            ) from None
        if "version" not in self.regex.groupindex:
            raise CarrierError(
                f"version-files pattern {pattern!r} for {self.display_path} has no group "
                "named version",
                'wrap the version in (?P<version>...), e.g. \'release = "(?P<version>[^"]+)"\'',
            )

    def _match(self, text: str) -> re.Match[str]:
        """The first match whose group is a version, else the first match at all.

        Skipping non-versions matters when the pattern's own text is in the file: a
        pattern for pyproject.toml, written in pyproject.toml's ``[tool.releasekit]``,
        matches itself (``(?P<version>[^``) before the line it is meant for.
        """
        matches = [m for m in self.regex.finditer(text) if m.group("version") is not None]
        valid = [m for m in matches if _version.try_normalize(m.group("version"))]
        if not matches:
            raise CarrierError(
                f"{self.display_path} has no match for pattern {self.regex.pattern!r}",
                f"fix the pattern for {self.display_path} in version-files, or put the "
                "version line back into the file",
            )
        return (valid or matches)[0]

    def _span(self, text: str) -> tuple[int, int]:
        """The version group's span without whitespace around it: a pattern such as
        ``version: (?P<version>.+)$`` takes a CRLF file's ``\\r`` into the group, and a
        rewrite must keep it."""
        start, end = self._match(text).span("version")
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return start, end

    def _raw_in(self, text: str) -> str:
        start, end = self._span(text)
        return text[start:end]

    def _replace(self, text: str, value: str) -> str:
        start, end = self._span(text)
        return text[:start] + value + text[end:]

    def _readback_hint(self) -> str:
        return "make the pattern's version group match the whole version, e.g. (?P<version>[^\"']+)"


def carrier_for(spec: CarrierSpec, root: Path) -> Carrier:
    """The carrier for one ``version-files`` entry: a pattern wins, else the file name decides.

    A bad pattern or an unknown kind of file fails here, before any file is read.
    """
    if spec.pattern is not None:
        return RegexCarrier(spec, root)
    name = Path(spec.path).name
    if name == "pyproject.toml":
        return PyprojectCarrier(spec, root)
    if name == "package.json":
        return PackageJsonCarrier(spec, root)
    if name.endswith(".py"):
        return PythonCarrier(spec, root)
    absolute_root, path = _locate(spec, root)
    if path.is_dir():
        raise CarrierError(
            f"version file {display_path(absolute_root, path)} is a directory, not a file",
            "list the file that carries the version (e.g. src/pkg/__init__.py) in "
            "[tool.releasekit] version-files",
        )
    raise CarrierError(
        f"don't know how to find the version in {display_path(absolute_root, path)}",
        f'give {{ path = "{spec.path}", pattern = "...(?P<version>...)..." }} in version-files',
    )


def _locate(spec: CarrierSpec, root: Path) -> tuple[Path, Path]:
    """The absolute root and the absolute path of the entry's file.

    normpath, not resolve(): a symlinked carrier is written through, not replaced, and
    messages show the path the user wrote. A path that leaves the git repository holding
    the project (``../x.py`` from a repository's top, an absolute path elsewhere), or the
    project itself where there is no repository, is refused: a bump must never write a
    file that is not the project's. Inside the repository is fine (a monorepo package may
    share a ``VERSION`` file at the top).
    """
    absolute_root = Path(os.path.abspath(root))
    path = Path(os.path.normpath(absolute_root / spec.path))
    boundary, what = gitdir.boundary(absolute_root)
    if path != boundary and boundary not in path.parents:
        raise CarrierError(
            f"version file {spec.path} is outside {what} ({boundary.as_posix()})",
            f"list only files inside {what.replace('the git ', 'the ')} in [tool.releasekit] "
            "version-files (paths are relative to the project root)",
        )
    return absolute_root, path


def _refuse_outside(carrier: Carrier) -> None:
    """Refuse writing through a symlink (the file's, or a directory's on its path) to a file
    outside the repository: :func:`_locate` checks the path as written, this where it leads.

    A committed ``pyproject.toml -> /home/x/.bashrc`` or ``src/pkg -> /etc`` would have a
    bump write a file that is not the project's. Both sides are resolved, so a project
    reached through a symlinked directory (``/tmp`` on macOS) is still inside.
    """
    outside = gitdir.outside_boundary(carrier.path, carrier.root)
    if outside is not None:
        real, boundary, what = outside
        raise CarrierError(
            f"version file {carrier.display_path} leads to {real.as_posix()} through a "
            f"symlink, outside {what} ({boundary.as_posix()}); nothing was written",
            f"replace the symlink with the file itself, or take {carrier.display_path} out "
            "of [tool.releasekit] version-files: a bump writes only the project's own files",
        )


_BOM = "\ufeff"


def _without_bom(text: str) -> str:
    """``text`` without a leading UTF-8 byte order mark, which no carrier's format allows
    before its first token (``^__version__`` would not match on line 1)."""
    return text[len(_BOM) :] if text.startswith(_BOM) else text


def _version_shown(raw: str) -> str:
    """A file's version value for a message, shortened when absurdly long."""
    return repr(raw) if len(raw) <= 80 else f"{raw[:20]!r}... ({len(raw)} characters)"


def display_path(root: Path, path: Path) -> str:
    """``path`` as messages show it: relative to ``root``, with forward slashes."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return path.as_posix()


@dataclass(frozen=True)
class Reading:
    """What one carrier holds: the normalized ``version`` and the ``raw`` text behind it."""

    carrier: Carrier
    version: str
    raw: str

    def describe(self) -> str:
        """``package.json has 1.0.0-rc.1 (1.0.0rc1)``: the raw value, normalized if different."""
        shown = self.raw if self.raw == self.version else f"{self.raw} ({self.version})"
        return f"{self.carrier.display_path} has {shown}"


def read_all(specs: Sequence[CarrierSpec], root: Path) -> list[Reading]:
    """Read every carrier, in ``version-files`` order; the first is the source of truth."""
    readings = []
    for spec in specs:
        carrier = carrier_for(spec, root)
        raw = carrier.raw()
        readings.append(Reading(carrier, carrier._normalize(raw), raw))
    return readings


def disagreements(readings: Sequence[Reading]) -> list[Reading]:
    """The readings whose version differs from the first's.

    Compared as normalized strings, not as :class:`packaging.version.Version`: ``1.2`` and
    ``1.2.0`` are equal versions but different file names on an index.
    """
    if not readings:
        return []
    first = readings[0].version
    return [reading for reading in readings[1:] if reading.version != first]


def check_consistent(specs: Sequence[CarrierSpec], root: Path) -> str:
    """The version every carrier agrees on, or one error naming every one that does not."""
    readings = read_all(specs, root)
    if not readings:
        raise CarrierError(
            "no version files to read",
            "list the files that carry the version in [tool.releasekit] version-files",
        )
    first = readings[0]
    others = disagreements(readings)
    if others:
        raise CarrierError(
            f"version files disagree: {first.describe()}, but "
            + ", ".join(reading.describe() for reading in others),
            f"run `releasekit bump {first.version}` (or `hatch version {first.version}`) to "
            "write one version into every file",
        )
    return first.version


def write_all(specs: Sequence[CarrierSpec], root: Path, version: str) -> list[Path]:
    """Write ``version`` into every carrier: all files, or none when any of them fails.

    Each file gets the version in its own spelling (:meth:`Carrier.spelling`): package.json
    ``1.0.0-rc.1`` next to ``__init__.py`` ``1.0.0rc1``. Everything is rendered before the
    first write. Two entries naming the same file (say,
    two patterns) are applied one after the other to that file's text, not both to the
    original, so neither edit is lost. Returns the paths written, each once, in order.
    """
    wanted = _version.normalize(version)
    pending: dict[Path, str] = {}
    for spec in specs:
        carrier = carrier_for(spec, root)
        _refuse_outside(carrier)
        text = pending[carrier.path] if carrier.path in pending else carrier._load()
        pending[carrier.path] = carrier._render_text(text, wanted)
    return _write_together(pending, Path(os.path.abspath(root)))


def _write_together(pending: Mapping[Path, str], root: Path) -> list[Path]:
    """Write each file its new text: all of them, or none.

    First every file is opened for appending, which writes nothing, so a read-only file
    (or file system) fails before any file changes. A write can still fail half-way (a
    full disk): then every file already written, and the one that failed, get their old
    bytes and mtime back.
    """
    saved: dict[Path, tuple[bytes, os.stat_result]] = {}
    for path in pending:
        try:
            saved[path] = (path.read_bytes(), path.stat())
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        except OSError as exc:
            raise _write_error(root, path, exc, []) from None
    written: list[Path] = []
    for path, text in pending.items():
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            raise _write_error(root, path, exc, _restore([*written, path], saved)) from None
        written.append(path)
    return written


def _restore(
    paths: Sequence[Path], saved: Mapping[Path, tuple[bytes, os.stat_result]]
) -> list[Path]:
    """Put back the saved bytes and mtime of ``paths``; the ones that could not be."""
    failed = []
    for path in paths:
        data, stat = saved[path]
        try:
            if path.read_bytes() == data:
                continue  # never opened for writing (the open itself failed): untouched
            with open(path, "wb") as handle:
                handle.write(data)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        except OSError:
            failed.append(path)
    return failed


def _write_error(root: Path, path: Path, exc: OSError, unrestored: Sequence[Path]) -> CarrierError:
    shown = display_path(root, path)
    if not unrestored:
        return CarrierError(
            f"cannot write version file {shown}: {exc.strerror or exc}; nothing was changed",
            "free some space or make the file writable, then run the bump again",
        )
    left = ", ".join(display_path(root, p) for p in unrestored)
    return CarrierError(
        f"cannot write version file {shown}: {exc.strerror or exc}; and could not put back "
        f"the old text of {left}",
        f"restore them (`git checkout -- {left}`), free some space or make the files "
        "writable, then run the bump again",
    )

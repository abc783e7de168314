"""Does the changelog have a section for the version being released?

A release whose changelog still says "Unreleased" (or says nothing) is the most common
"forgot a step" in a hand-written RELEASE.md, and it is cheap to catch before anything is
built or uploaded. The check only looks for a *heading*: what the section says is the
maintainer's business.

Real changelogs are written in many dialects (Keep a Changelog, towncrier, hand-rolled
markdown, reStructuredText with any underline), so headings are recognised by shape, and the
version in a heading is compared with the release version as a PEP 440 *normalized string*:
``1.0.0-rc.1`` in a heading is the section for ``1.0.0rc1``, but ``1.2`` is not the section
for ``1.2.0`` (they are different files on an index) and ``1.2.0rc1`` never is.

A pre-release or dev release (``1.2.0rc1``, ``1.2.0.dev3``) is usually cut before its notes
are final, so it is satisfied by a section for itself, for its final version (``1.2.0``), or
by an "Unreleased" section; a final version always needs its own (:func:`section_for`).

Everything but :func:`check_changelog` is pure: text in, values out.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from releasekit.core.version import Channel, channel, normalize
from releasekit.errors import ChangelogError

__all__ = [
    "ChangelogSection",
    "check_changelog",
    "find_section",
    "insert_section",
    "release_notes",
    "section_for",
    "top_version",
]

# An ATX heading: up to three spaces, 1-6 "#", then the title (closing "#"s are dropped).
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
# A setext / reStructuredText adornment line: one punctuation character repeated.
_ADORNMENT = re.compile(r"^([=\-~^*+#\"'`.:_])\1+[ \t]*$")
# A markdown code fence; headings inside one are code, not structure.
_FENCE = re.compile(r"^ {0,3}(```|~~~)")

# The version token of a heading: optional "v", then something PEP 440 may accept. It is
# deliberately greedy ("1.2.0rc1", "1.2.0.post1", "1.0.0-rc.1" are one token) so that a
# longer version is never mistaken for a shorter one.
_TOKEN = r"[vV]?\d[\w.!+-]*"
# What may follow the version in a heading: nothing, or a separator and anything.
_REST = r"(?P<rest>(?:[ \t]*[-\u2013\u2014:(,\[]|[ \t]).*)?"
# The title of a heading that names a version. Forms, for 1.2.0:
#   1.2.0 | v1.2.0 | [1.2.0] | [1.2.0](url) | Version 1.2.0 | Release v1.2.0
#   each optionally followed by " - 2026-01-02", " (2026-01-02)", ": codename", ...
_TITLE = re.compile(
    r"^(?:(?:version|release)[ \t]+)?"
    rf"(?:\[(?P<bracketed>{_TOKEN})\](?:\([^)]*\))?|(?P<bare>{_TOKEN}))"
    rf"{_REST}$",
    re.IGNORECASE,
)
# towncrier's default title, "name 1.2.0 (2026-01-02)": a project name is accepted before
# the version only when a date-like part follows, so "Since 1.1.0" is not a section.
_NAMED_TITLE = re.compile(
    rf"^[A-Za-z][\w.-]*[ \t]+(?P<bare>{_TOKEN})(?P<rest>[ \t]+(?:\(|[-\u2013\u2014][ \t]).*)$"
)
# An unmarked line that is still used as a heading by some projects: "Version 1.2.0".
_BARE_LINE = re.compile(
    rf"^(?:version|release)[ \t]+(?P<bare>{_TOKEN})"
    r"(?P<rest>(?:[ \t]*[-\u2013\u2014:(,\[].*)?)$",
    re.IGNORECASE,
)
_UNRELEASED = re.compile(r"\bunreleased\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Heading:
    """One heading of the changelog, where its body starts, and the version it names."""

    start: int  # index of the first line of the heading (overline included)
    body: int  # index of the first line after the heading (underline included)
    rank: int  # lower is more important; a section ends at a heading of rank <= its own
    title: str
    version: str | None  # normalized, or None when the title names no version
    unreleased: bool  # the title says "unreleased": not a release section yet


def _title_version(title: str, *, bare_line: bool = False) -> tuple[str | None, bool]:
    """The normalized version a heading title names (or None), and whether it is unreleased."""
    title = title.strip()
    patterns = (_BARE_LINE,) if bare_line else (_TITLE, _NAMED_TITLE)
    for pattern in patterns:
        match = pattern.match(title)
        if not match:
            continue
        groups = match.groupdict()
        token = (groups.get("bracketed") or groups.get("bare") or "").rstrip(".-_")
        try:
            version = str(Version(token))
        except InvalidVersion:
            continue
        return version, bool(_UNRELEASED.search(groups.get("rest") or ""))
    return None, bool(_UNRELEASED.search(title))


def _headings(lines: list[str]) -> Iterator[_Heading]:
    """Every heading in ``lines``: ATX, setext/rst underlined (or overlined), "Version X"."""
    # reStructuredText has no fixed levels: the first adornment style seen is level 1, the
    # next new one level 2, and so on. Markdown setext ("=" then "-") fits the same rule.
    styles: dict[tuple[str, bool], int] = {}
    in_fence = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if _FENCE.match(line):
            in_fence = not in_fence
            index += 1
            continue
        if in_fence or not line.strip():
            index += 1
            continue
        atx = _ATX.match(line)
        if atx:
            title = atx.group(2) or ""
            version, unreleased = _title_version(title)
            yield _Heading(index, index + 1, len(atx.group(1)), title, version, unreleased)
            index += 1
            continue
        # Overlined title: adornment, title, the same adornment.
        if (
            _ADORNMENT.match(line)
            and index + 2 < len(lines)
            and lines[index + 1].strip()
            and not _ADORNMENT.match(lines[index + 1])
            and lines[index + 2].rstrip() == line.rstrip()
        ):
            key = (line.strip()[0], True)
            rank = styles.setdefault(key, len(styles) + 1)
            title = lines[index + 1]
            version, unreleased = _title_version(title)
            yield _Heading(index, index + 3, rank, title.strip(), version, unreleased)
            index += 3
            continue
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        underline = _ADORNMENT.match(next_line)
        if underline and not _ADORNMENT.match(line) and not line.startswith((" ", "\t")):
            key = (underline.group(1), False)
            rank = styles.setdefault(key, len(styles) + 1)
            version, unreleased = _title_version(line)
            yield _Heading(index, index + 2, rank, line.strip(), version, unreleased)
            index += 2
            continue
        previous_blank = index == 0 or not lines[index - 1].strip()
        version, unreleased = _title_version(line, bare_line=True)
        if version is not None and previous_blank and not line[0].isspace():
            # "Version 1.2.0" alone on a line: a section that ends at the next version heading.
            yield _Heading(index, index + 1, 99, line.strip(), version, unreleased)
        index += 1


def _body(lines: list[str], headings: list[_Heading], position: int) -> str:
    """The text under ``headings[position]`` up to the next heading that closes it.

    A section closes at a heading of the same or a higher level, or at the next heading that
    names a version (whatever its level: changelogs are not always consistent about levels).
    """
    heading = headings[position]
    end = len(lines)
    for following in headings[position + 1 :]:
        if following.rank <= heading.rank or following.version is not None:
            end = following.start
            break
    return "\n".join(lines[heading.body : end]).strip("\n")


def find_section(text: str, version: str) -> str | None:
    """The body of the changelog section for ``version``, or ``None`` when there is none.

    A heading alone is enough (the body may be empty). A heading marked unreleased, a
    version mentioned in body text, and another version's heading whose link merely mentions
    ``version`` do not count. ``VersionError`` when ``version`` is not PEP 440.
    """
    wanted = normalize(version)
    lines = text.splitlines()
    headings = list(_headings(lines))
    for position, heading in enumerate(headings):
        if heading.version == wanted and not heading.unreleased:
            return _body(lines, headings, position)
    return None


# towncrier's marker: a new section goes right after it when no version heading follows
_MARKER = re.compile(r"^\s*(?:\.\. |<!-- )towncrier release notes start")


def insert_section(
    text: str,
    version: str,
    groups: list[tuple[str, str]],
    *,
    rst: bool = False,
    date: str = "",
    default_title: str = "{version}",
) -> str:
    """``text`` with a section for ``version`` above its newest one, in the file's dialect.

    The heading copies the newest version heading's shape (level, ``[1.2.0] - date``,
    ``1.2.0 (date)`` or bare, an rst underline character); ``default_title`` when the file
    has none yet. ``groups`` are ``(title, body)`` subsections one level down (changesets'
    "Minor Changes", towncrier's "Features"). Without a version heading the section goes
    after towncrier's "release notes start" marker, else at the end. Pure.
    """
    lines = text.splitlines()
    headings = list(_headings(lines))
    top = next((h for h in headings if h.version is not None), None)
    title = default_title.format(version=version, date=date)
    hashes, underline = "##", "="
    if top is not None:
        old = top.title
        if old.startswith("["):
            title = f"[{version}]" + (f" - {date}" if _DATE.search(old) else "")
        elif _DATE.search(old):
            title = f"{version} ({date})" if "(" in old else f"{version} - {date}"
        else:
            title = version
        atx = _ATX.match(lines[top.start])
        if atx:
            hashes = atx.group(1)
        elif top.body - 1 > top.start and _ADORNMENT.match(lines[top.body - 1]):
            underline = lines[top.body - 1].strip()[0]
    block: list[str] = []
    if rst:
        sub = "-" if underline != "-" else "~"
        block += [title, underline * len(title), ""]
        for name, body in groups:
            block += [name, sub * len(name), "", body, ""]
    else:
        block += [f"{hashes} {title}", ""]
        for name, body in groups:
            block += [f"{hashes}# {name}", "", body, ""]
    if top is not None:
        at = top.start
    else:
        marker = next((i for i, line in enumerate(lines) if _MARKER.match(line)), None)
        at = len(lines) if marker is None else marker + 1
        if at > 0 and lines[at - 1].strip():
            block.insert(0, "")
    new = lines[:at] + block + lines[at:]
    while new and not new[-1].strip():
        new.pop()
    return "\n".join(new) + "\n"


def top_version(text: str) -> str | None:
    """The version the first heading that names one names (normalized), or ``None``: the
    release the maintainer wrote notes for last, "Unreleased" sections skipped."""
    for heading in _headings(text.splitlines()):
        if heading.version is not None:
            return heading.version
    return None


_OWN_VERSION = "own version"
_UNRELEASED_REASON = "Unreleased"


@dataclass(frozen=True)
class ChangelogSection:
    """The section that satisfied the changelog check for ``version``, and why it counts.

    ``reason`` is ``"own version"``, ``"final version 1.2.0"`` (a pre-release's final) or
    ``"Unreleased"``; ``title`` is the heading as written, for the log line.
    """

    title: str
    reason: str
    version: str  # the normalized version being released

    def describe(self) -> str:
        """``section '1.2.0' (the final version of 1.2.0rc1)``: what a session logs."""
        shown = f"section {self.title!r}"
        if self.reason == _OWN_VERSION:
            return shown
        if self.reason == _UNRELEASED_REASON:
            dev = _release_channel(self.version) is Channel.DEV
            kind = "a dev release" if dev else "a pre-release"
            return f"{shown} ({self.version} is {kind})"
        return f"{shown} (the final version of {self.version})"

    def __str__(self) -> str:  # a log line shows the description, not the dataclass
        return self.describe()


def _release_channel(version: str) -> Channel:
    """The channel of ``version``'s public part: ``1.2.1.dev3+g1a2b`` is a dev release.

    A VCS version source adds a local part off the tag; the changelog rule goes by what the
    release would be without it.
    """
    return channel(Version(version).public)


def _final_version(version: str) -> str:
    """The final release a pre-release or dev release leads to: ``1.2.0rc1.dev2`` -> ``1.2.0``.

    A post-release is kept (``1.2.0.post1.dev1`` leads to ``1.2.0.post1``).
    """
    parsed = Version(version)
    post = "" if parsed.post is None else f".post{parsed.post}"
    return str(Version(parsed.base_version + post))


def section_for(text: str, version: str) -> ChangelogSection | None:
    """The section that lets ``version`` be released, or ``None`` when there is none.

    A final version needs a section of its own, not marked unreleased. A pre-release or dev
    release (:func:`releasekit.core.version.channel`) may also be covered by a section for its final
    version, or by a heading that says "Unreleased" (``## [Unreleased]``, or one for this
    version or its final marked unreleased), first found in that order: pre-release notes are
    often written under the final version's heading before it is out. ``VersionError`` when
    ``version`` is not PEP 440.
    """
    wanted = normalize(version)
    headings = list(_headings(text.splitlines()))
    own = next((h for h in headings if h.version == wanted and not h.unreleased), None)
    if own is not None:
        return ChangelogSection(own.title, _OWN_VERSION, wanted)
    if _release_channel(wanted) not in (Channel.PRE, Channel.DEV):
        return None
    final = _final_version(wanted)
    if final != wanted:
        for heading in headings:
            if heading.version == final and not heading.unreleased:
                return ChangelogSection(heading.title, f"final version {final}", wanted)
    for heading in headings:
        if heading.unreleased and heading.version in (None, wanted, final):
            return ChangelogSection(heading.title, _UNRELEASED_REASON, wanted)
    return None


def release_notes(text: str, version: str) -> str | None:
    """The notes of ``version``: the body of the section that lets it be released (its own,
    its final version's, or Unreleased), stripped; ``None`` when there is none.

    What ``releasekit notes`` prints and what a GitHub release gets as its body.
    """
    lines = text.splitlines()
    headings = list(_headings(lines))
    section = section_for(text, version)
    if section is None:
        return None
    for position, heading in enumerate(headings):
        if heading.title == section.title:
            return _body(lines, headings, position).strip()
    return None


def _suggestion(path: Path, version: str) -> str:
    """A heading for ``version`` in the dialect of the file, dated today."""
    today = datetime.date.today().isoformat()
    if path.suffix.lower() in (".rst", ".txt"):
        title = f"{version} ({today})"
        return f"add a section titled `{title}` underlined with `{'-' * len(title)}`"
    return f"add a heading like `## [{version}] - {today}` (Keep a Changelog)"


def _read(path: Path, wanted: str) -> str:
    """The changelog's text, or a one-line :class:`ChangelogError` naming the path."""
    if path.is_dir():
        raise ChangelogError(
            f"changelog {path} is a directory, not a file (releasing {wanted})",
            'set [tool.releasekit] changelog to the file, e.g. changelog = "CHANGELOG.md", '
            "or changelog = false to skip the check",
        )
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChangelogError(
            f"changelog {path} not found (releasing {wanted})",
            f"create it and {_suggestion(path, wanted)}, or set [tool.releasekit] changelog",
        ) from None
    except UnicodeDecodeError as exc:
        raise ChangelogError(
            f"changelog {path} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            "save it as UTF-8",
        ) from None
    except OSError as exc:
        raise ChangelogError(
            f"cannot read changelog {path}: {exc.strerror or type(exc).__name__}",
            "make it a readable file, or set [tool.releasekit] changelog to the right one "
            "(changelog = false skips the check)",
        ) from None


# A date in a heading: "## [1.2.0] - 2026-01-02", "1.2.0 (2026-01-02)"
_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
# How far ahead of today (UTC) a heading's date may be: the maintainer's day may be ahead of
# UTC (up to UTC+14); more is a typo (2062 for 2026), not a time zone.
_FUTURE_SLACK = datetime.timedelta(days=1)


def _check_section(path: Path, text: str, found: ChangelogSection) -> None:
    """Refuse a section that would mislead once released, each naming its line:

    - two sections for the version (which notes are the release's?);
    - a date in its heading that is no date (2026-02-30) or is in the future;
    - no notes at all in its own section: the GitHub release and ``releasekit notes`` would
      be empty.
    """
    lines = text.splitlines()
    headings = list(_headings(lines))
    position = next(i for i, h in enumerate(headings) if h.title == found.title)
    heading = headings[position]
    if found.reason == _OWN_VERSION:
        same = [h for h in headings if h.version == found.version and not h.unreleased]
        if len(same) > 1:
            raise ChangelogError(
                f"changelog {path} has two sections for {found.version}: line "
                f"{same[0].start + 1} `{same[0].title}` and line {same[1].start + 1} "
                f"`{same[1].title}`",
                "merge them into one: the release's notes are one section",
            )
    date = _DATE.search(heading.title)
    if date is not None:
        try:
            day = datetime.date(*(int(part) for part in date.groups()))
        except ValueError:
            raise ChangelogError(
                f"changelog {path} line {heading.start + 1}: {date.group(0)} in "
                f"`{heading.title}` is not a date",
                f"write the release's date, e.g. {datetime.date.today().isoformat()}",
            ) from None
        today = datetime.datetime.now(datetime.timezone.utc).date()
        if day > today + _FUTURE_SLACK:
            raise ChangelogError(
                f"changelog {path} line {heading.start + 1}: {date.group(0)} in "
                f"`{heading.title}` is in the future (today is {today.isoformat()})",
                f"date the section with the release's day, e.g. {today.isoformat()}",
            )
    # a pre-release may borrow its final version's or an Unreleased section, notes or not
    if found.reason == _OWN_VERSION and not _body(lines, headings, position).strip():
        raise ChangelogError(
            f"changelog {path} line {heading.start + 1}: the section `{heading.title}` is "
            "empty (the release notes would be empty)",
            "write what changed under the heading",
        )


def check_changelog(path: Path, version: str) -> ChangelogSection:
    """The section of the changelog at ``path`` that lets ``version`` be released.

    :class:`ChangelogError` when there is none (the rules are :func:`section_for`'s), when
    the section misleads (two for one version, a date that is impossible or in the future,
    no notes: :func:`_check_section`), or the file cannot be read. The hint proposes the
    heading to add, and points at an "Unreleased" section when there is one, because renaming
    it is nearly always what the maintainer forgot. Callers that only need the check may
    ignore the result.
    """
    wanted = normalize(version)
    text = _read(path, wanted)
    found = section_for(text, wanted)
    if found is not None:
        _check_section(path, text, found)
        return found
    hint = _suggestion(path, wanted)
    if _release_channel(wanted) in (Channel.PRE, Channel.DEV):
        final = _final_version(wanted)
        raise ChangelogError(
            f"changelog {path} has no section for {wanted}, its final version {final}, "
            "or Unreleased",
            f"{hint}; before the final release a section for {final} or an "
            "Unreleased one (`## [Unreleased]`) does as well",
        )
    headings = list(_headings(text.splitlines()))
    marked = next((h for h in headings if h.version == wanted and h.unreleased), None)
    unreleased = next((h for h in headings if h.unreleased and h.version is None), None)
    if marked is not None:
        hint = f"the heading `{marked.title}` still says unreleased: {hint}"
    elif unreleased is not None:
        hint = f"rename the `{unreleased.title}` section: {hint}"
    raise ChangelogError(f"changelog {path} has no section for {wanted}", hint)

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

Everything but :func:`check_changelog` is pure: text in, values out.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from releasekit.errors import ChangelogError
from releasekit.version import normalize

__all__ = ["check_changelog", "find_section"]

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


def _suggestion(path: Path, version: str) -> str:
    """A heading for ``version`` in the dialect of the file, dated today."""
    today = datetime.date.today().isoformat()
    if path.suffix.lower() in (".rst", ".txt"):
        title = f"{version} ({today})"
        return f"add a section titled `{title}` underlined with `{'-' * len(title)}`"
    return f"add a heading like `## [{version}] - {today}` (Keep a Changelog)"


def check_changelog(path: Path, version: str) -> None:
    """Raise ``ChangelogError`` unless the changelog at ``path`` has a section for ``version``.

    The hint proposes the heading to add, and points at an "Unreleased" section when there is
    one, because renaming it is nearly always what the maintainer forgot.
    """
    wanted = normalize(version)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChangelogError(
            f"changelog {path} not found (releasing {wanted})",
            f"create it and {_suggestion(path, wanted)}, or set [tool.releasekit] changelog",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ChangelogError(
            f"changelog {path} is unreadable (releasing {wanted}): {exc}",
            "make it a UTF-8 text file",
        ) from None
    if find_section(text, wanted) is not None:
        return
    headings = list(_headings(text.splitlines()))
    hint = _suggestion(path, wanted)
    marked = next((h for h in headings if h.version == wanted and h.unreleased), None)
    unreleased = next((h for h in headings if h.unreleased and h.version is None), None)
    if marked is not None:
        hint = f"the heading `{marked.title}` still says unreleased: {hint}"
    elif unreleased is not None:
        hint = f"rename the `{unreleased.title}` section: {hint}"
    raise ChangelogError(f"changelog {path} has no section for {wanted}", hint)

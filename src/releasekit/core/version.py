"""Version arithmetic: PEP 440 normalization, release tags, channels and bumps.

Everything here is pure (values in, values out, no git, no files), so the rules that decide
whether a release may happen are tested without any I/O. The one rule that matters most:
versions are compared as *normalized strings*, never with ``Version ==``, because
``Version("1.2") == Version("1.2.0")`` is true while an index treats ``1.2`` and ``1.2.0`` as
two different releases with different files.

Imported by the hatch plugin: standard library and ``packaging`` only.
"""

from __future__ import annotations

import enum
import re
from typing import NamedTuple

from packaging.version import InvalidVersion, Version

from releasekit.errors import TagError, VersionError

__all__ = [
    "BUMP_PARTS",
    "MAX_VERSION_LENGTH",
    "Channel",
    "NextVersion",
    "bump",
    "channel",
    "from_semver",
    "is_semver_spelling",
    "next_version",
    "normalize",
    "parse_release_tag",
    "refuse_local",
    "same_version",
    "semver_prerelease",
    "tag_for",
    "to_semver",
    "try_normalize",
    "version_from_tag",
]


class Channel(str, enum.Enum):
    """What kind of release a version is; the release policy differs per channel."""

    FINAL = "final"
    PRE = "pre-release"
    DEV = "dev"
    LOCAL = "local"

    def __str__(self) -> str:  # messages show "pre-release", not "Channel.PRE"
        return self.value


BUMP_PARTS: tuple[str, ...] = ("major", "minor", "patch", "a", "b", "rc", "post", "dev", "release")
"""The parts :func:`bump` knows; ``alpha`` and ``beta`` are accepted for ``a`` and ``b``."""

_PART_ALIASES = {"alpha": "a", "beta": "b"}
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}
_RELEASE_INDEX = {"major": 0, "minor": 1, "patch": 2}
_SEMVER_PRE = {"a": "alpha", "b": "beta", "rc": "rc"}
_VERSION_HINT = "use a PEP 440 version such as 1.2.3, 1.2.3rc1, 1.2.3.post1 or 1.2.3.dev1"


MAX_VERSION_LENGTH = 256
"""The longest version text read as a version (npm's semver takes no longer either).

Without a cap a number of more than 4,300 digits reaches ``int()`` inside ``packaging`` and
fails with Python's integer-string limit, a traceback in every front end; anything this
long is a mistake or an attack, never a release."""


def _shown(text: str) -> str:
    """``text`` for a message: whole when short, else its start and its length."""
    if len(text) <= 80:
        return repr(text)
    return f"{text[:20]!r}... ({len(text)} characters)"


def _parse(text: str, what: str = "version") -> Version:
    """Parse or raise the one :class:`VersionError` every function here uses for bad input."""
    if isinstance(text, str) and len(text) > MAX_VERSION_LENGTH:
        raise VersionError(
            f"{what} {_shown(text)} is too long to be a version (at most "
            f"{MAX_VERSION_LENGTH} characters)",
            _VERSION_HINT,
        )
    try:
        return Version(text)
    except (InvalidVersion, TypeError, ValueError):
        # ValueError: a number too long for int() (Python's integer-string limit)
        raise VersionError(
            f"{what} {_shown(text)} is not a PEP 440 version", _VERSION_HINT
        ) from None


def normalize(text: str) -> str:
    """Return the PEP 440 normalized form of ``text`` (``str(Version(text))``).

    The semver spellings people tag with (``1.0.0-beta.1``, ``1.0.0-rc.2``, ``1.0.0-alpha``,
    ``1.0.0+build.5``) are accepted too: PEP 440's normalization rules already map their
    separators away, so ``1.0.0-beta.1`` becomes ``1.0.0b1``.
    """
    return str(_parse(text))


def try_normalize(text: str) -> str | None:
    """Like :func:`normalize`, but ``None`` for text that is not a version."""
    try:
        return normalize(text)
    except VersionError:
        return None


def same_version(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name the same release *on an index*.

    Compares normalized strings: ``1.2`` and ``1.2.0`` are equal as ``Version`` objects but
    are different file names, so a tag ``v1.2`` does not release a package at ``1.2.0``.
    """
    return normalize(a) == normalize(b)


def _tag_rest(tag: str, prefix: str | None) -> str | None:
    """The part of ``tag`` after its prefix, or ``None`` when the prefix does not match."""
    if prefix is None:
        return tag[1:] if tag.startswith("v") else tag
    if not tag.startswith(prefix):
        return None
    return tag[len(prefix) :]


def version_from_tag(tag: str, prefix: str | None) -> str | None:
    """The normalized version a tag releases, or ``None`` when it is not a release tag.

    ``prefix`` ``None`` means an optional ``v`` (``v1.2.3`` and ``1.2.3``). A configured
    prefix such as ``api-v`` is required exactly, so in a monorepo ``web-v1.2.0`` is not a
    tag of the ``api`` package. What follows the prefix must start with a digit: ``packaging``
    would otherwise accept a second ``v`` or surrounding whitespace (``vv1.2``).
    """
    rest = _tag_rest(tag, prefix)
    if not rest or not ("0" <= rest[0] <= "9") or rest != rest.strip():
        return None
    return try_normalize(rest)


def _tag_form_hint(prefix: str | None) -> str:
    if prefix is None:
        return "tags look like v1.2.3 (or 1.2.3)"
    return f'this project\'s tags start with "{prefix}", e.g. {prefix}1.2.3'


def parse_release_tag(tag: str, prefix: str | None) -> str:
    """Like :func:`version_from_tag`, but a tag that is not a release tag is an error.

    Used when the user named the tag explicitly (``RELEASEKIT_TAG``): there, a typo must
    stop the build rather than silently fall back to "no tag".
    """
    version = version_from_tag(tag, prefix)
    if version is not None:
        return version
    expected = "v<version>" if prefix is None else f"{prefix}<version>"
    if prefix is not None and not tag.startswith(prefix):
        raise TagError(
            f"tag {_shown(tag)} does not start with the tag prefix {prefix!r} (expected "
            f"{expected})",
            _tag_form_hint(prefix),
        )
    too_long = (
        f" of at most {MAX_VERSION_LENGTH} characters" if len(tag) > MAX_VERSION_LENGTH else ""
    )
    raise TagError(
        f"tag {_shown(tag)} is not a release tag (expected {expected}, a PEP 440 "
        f"version{too_long})",
        _tag_form_hint(prefix),
    )


def tag_for(version: str, prefix: str | None) -> str:
    """The tag that releases ``version``: ``v`` + version by default, else prefix + version."""
    return ("v" if prefix is None else prefix) + normalize(version)


def channel(version: str) -> Channel:
    """Classify a version. Local wins over dev wins over pre (``1.0.0rc1.dev2`` is DEV)."""
    parsed = _parse(version)
    if parsed.local is not None:
        return Channel.LOCAL
    if parsed.dev is not None:
        return Channel.DEV
    if parsed.pre is not None:
        return Channel.PRE
    return Channel.FINAL


def _render(
    epoch: int,
    release: tuple[int, ...],
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> Version:
    text = f"{epoch}!" if epoch else ""
    text += ".".join(str(n) for n in release)
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return Version(text)


def _bump_one(current: Version, part: str) -> Version | None:
    """Apply one named part to ``current`` (local part dropped); ``None`` if not a part name."""
    epoch, release = current.epoch, current.release
    if part in _RELEASE_INDEX:
        index = _RELEASE_INDEX[part]
        padded = release + (0,) * (index + 1 - len(release))
        bumped = (*padded[:index], padded[index] + 1) + (0,) * (len(padded) - index - 1)
        return _render(epoch, bumped)
    if part in _PRE_ORDER:
        number = 1
        if current.pre is not None and current.pre[0] == part:
            number = current.pre[1] + 1
        return _render(epoch, release, (part, number))
    if part == "post":
        post = 1 if current.post is None else current.post + 1
        return _render(epoch, release, current.pre, post)
    if part == "dev":  # the first development version is .dev0, as hatch makes it
        dev = 0 if current.dev is None else current.dev + 1
        return _render(epoch, release, current.pre, current.post, dev)
    if part == "release":
        return _render(epoch, release, None, current.post)
    return None


def bump(current: str, part: str, *, force: bool = False) -> str:
    """The version after bumping ``part`` of ``current``; the result is normalized.

    ``part`` is one of :data:`BUMP_PARTS` (``alpha``/``beta`` accepted), an explicit version,
    or a comma-separated list applied left to right (``minor,rc``: 1.2.3 -> 1.3.0rc1). Only
    the final result is checked: it must be later than ``current`` (a release that moves back
    would be hidden behind the one already published), unless ``force``. A local part on
    ``current`` is dropped; the comparison uses its public version.
    """
    start = _parse(current, "current version")
    base = Version(start.public)
    pieces = [piece.strip() for piece in part.split(",")]
    _refuse_repeated(pieces, part)
    result = base
    explicit_only = True
    for piece in pieces:
        name = _PART_ALIASES.get(piece.lower(), piece.lower())
        bumped = _bump_one(Version(result.public), name)
        if bumped is not None:
            explicit_only = False
            result = bumped
            continue
        explicit = try_normalize(piece) if piece else None
        if explicit is None:
            raise VersionError(
                f"unknown bump part {_shown(piece)} in {_shown(part)}: not a part name and "
                "not a version"
                + (
                    f" (a version is at most {MAX_VERSION_LENGTH} characters)"
                    if len(piece) > MAX_VERSION_LENGTH
                    else ""
                ),
                f"use one of {', '.join(BUMP_PARTS)} (comma-separated, e.g. 'minor,rc') "
                "or an explicit version such as 1.2.3",
            )
        result = Version(explicit)
    new = str(result)
    shown = ",".join(pieces)  # one line, whatever whitespace the user typed
    refuse_local(new, f"bump {shown}")
    if not force and result == base:
        raise VersionError(
            f"already at {normalize(current)}: bump {shown} gives {new}, the same version",
            "name a later part or version (e.g. 'patch'), or pass --force to write it anyway",
        )
    if not force and result < base:
        hint = (
            f"give a version later than {base}, or pass --force"
            if explicit_only
            else "bump a release part first, e.g. 'minor,rc', or pass --force"
        )
        raise VersionError(f"bump {shown} would move {normalize(current)} back to {new}", hint)
    return new


def _refuse_repeated(pieces: list[str], part: str) -> None:
    """A part named twice (``major,major``) is a typo, not a request for +2."""
    seen: set[str] = set()
    for piece in pieces:
        name = _PART_ALIASES.get(piece.lower(), piece.lower())
        if name and name in seen:
            raise VersionError(
                f"bump part {piece!r} is given twice in {_shown(part)}",
                "name each part once (e.g. 'major' or 'minor,rc'), or give the version "
                "itself such as 2.0.0",
            )
        seen.add(name)


def refuse_local(version: str, what: str) -> None:
    """Refuse writing a version with a local label (``1.1.0+local``).

    No public index accepts a local version (PEP 440 keeps them for builds that never leave
    the machine), and the build hook refuses the tag that would release it: a bump to one
    only leaves files and a tag nobody can publish.
    """
    parsed = _parse(version)
    if parsed.local is not None:
        raise VersionError(
            f"{what} gives {parsed}, a local version (+{parsed.local}) that no package "
            "index accepts",
            f"bump to the public version {parsed.public}; local labels are for builds "
            "that never leave your machine",
        )


class NextVersion(NamedTuple):
    """The version the next release tag will release, and why (one line for the log)."""

    version: str
    reason: str
    guessed: bool = False  # a patch bump of the last tag: nothing named this version


_NEXT_HINT = "give it: -- --next-version 1.2.3 (or major, minor, patch)"


def next_version(
    last_tag: tuple[str, str] | None, changelog_top: str | None, requested: str | None
) -> NextVersion:
    """The version the next tag releases, for a project whose version comes from git tags.

    ``last_tag`` is the newest release tag behind HEAD as (name, version); ``changelog_top``
    the version the changelog's first versioned section names; ``requested`` what the user
    gave (``--next-version``): a version, or a bump part applied to the last tag.

    Without ``requested``: the changelog's top section when it names a version newer than
    the last tag (the maintainer has written the notes of the next release), else a patch
    bump of the last tag (what a VCS version plugin's guess-next-dev computes).
    """
    last_name, last = last_tag if last_tag is not None else (None, None)
    if requested is not None and requested.strip():
        given = requested.strip()
        explicit = try_normalize(given) if given[:1].isdigit() else None
        if explicit is not None:
            if last is not None and Version(explicit) <= Version(last):
                raise VersionError(
                    f"--next-version {given}: the last release tag {last_name} already "
                    f"released {last}",
                    f"give a version later than {last}",
                )
            return NextVersion(explicit, f"given with --next-version {given}")
        if last is None:
            raise VersionError(
                f"--next-version {given}: there is no release tag to bump",
                "give the version itself: -- --next-version 0.1.0",
            )
        return NextVersion(
            bump(last, given), f"--next-version {given}: a {given} bump of {last_name}"
        )
    top = try_normalize(changelog_top) if changelog_top else None
    if top is not None and (last is None or Version(top) > Version(last)):
        newer = "" if last is None else f", newer than the last release tag {last_name}"
        return NextVersion(top, f"the changelog's top section names {top}{newer}")
    if last is None:
        raise VersionError(
            "no release tag yet and no changelog section naming the first version: "
            "cannot tell which version the next tag releases",
            _NEXT_HINT,
        )
    said = f"; the changelog's top section names {top}" if top is not None else ""
    return NextVersion(
        bump(last, "patch"),
        f"a patch bump of the last release tag {last_name}{said}; --next-version chooses another",
        guessed=True,
    )


def to_semver(version: str) -> str:
    """The semver spelling of a PEP 440 version, for carriers such as ``package.json``.

    ``1.0.0rc1`` -> ``1.0.0-rc.1``, ``1.0.0a0`` -> ``1.0.0-alpha.0``, ``1.2`` -> ``1.2.0``,
    ``1.0.0.dev3`` -> ``1.0.0-dev.3``, ``1.0.0.post1`` -> ``1.0.0-post.1``, local ``+abc``
    -> build metadata ``+abc``. :func:`from_semver` reads every result back to ``version``'s
    normalized form (up to the release padding). Epochs and more than three release segments
    have no semver spelling and raise :class:`VersionError`.

    The pre-release number is always written, even when it is 0: ``1.0.0b0`` ->
    ``1.0.0-beta.0``, not ``1.0.0-beta``. Both read back as ``1.0.0b0``, but semver orders
    ``1.0.0-beta`` *before* ``1.0.0-beta.0``, and only the numbered form keeps npm's order
    the same as PEP 440's for every later ``-beta.N``. A file that already says
    ``1.0.0-beta`` is not rewritten for the same version (see ``Carrier.spelling``), so users
    see ``-beta`` -> ``-beta.1`` on the next bump.
    """
    parsed = _parse(version)
    if parsed.epoch:
        raise VersionError(
            f"version {parsed} has an epoch, which semver cannot express",
            "drop the epoch, or carry this version only in files that take PEP 440",
        )
    if len(parsed.release) > 3:
        raise VersionError(
            f"version {parsed} has more than three release numbers, which semver cannot express",
            "use MAJOR.MINOR.PATCH, or carry this version only in files that take PEP 440",
        )
    release = parsed.release + (0,) * (3 - len(parsed.release))
    text = ".".join(str(n) for n in release)
    identifiers: list[str] = []
    if parsed.pre is not None:
        identifiers += [_SEMVER_PRE[parsed.pre[0]], str(parsed.pre[1])]
    if parsed.post is not None:
        identifiers += ["post", str(parsed.post)]
    if parsed.dev is not None:
        identifiers += ["dev", str(parsed.dev)]
    if identifiers:
        text += "-" + ".".join(identifiers)
    if parsed.local is not None:
        text += "+" + parsed.local
    return text


# MAJOR.MINOR.PATCH-PRERELEASE[+BUILD] as semver.org writes it (an optional leading "v", as
# people write it too). Only versions *with* a pre-release are matched: a plain 1.2.3 is
# spelled the same both ways, so it says nothing about which spelling a file uses.
# A pattern string, not a compiled pattern: ``re`` compiles it on first use and caches it, so
# the build hook, which imports this module and never matches semver, does not compile it.
_SEMVER_PRERELEASE = (
    r"^[vV]?\d+\.\d+\.\d+"
    r"-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
_SEMVER_HINT = (
    "PEP 440 reads the semver pre-releases -alpha.N, -beta.N, -rc.N and -dev.N "
    "(1.0.0-rc.1 is 1.0.0rc1); use one of them, or a PEP 440 version such as 1.0.0rc1"
)


def semver_prerelease(text: str) -> str | None:
    """The pre-release part of a semver version (``rc.1`` of ``1.0.0-rc.1+b5``), else ``None``.

    ``None`` also for text that is not semver with a pre-release: ``1.0.0``, ``1.0.0rc1``,
    ``1.0-beta``. Whether PEP 440 can read the pre-release is not checked here.
    """
    match = re.match(_SEMVER_PRERELEASE, text)
    return None if match is None else match.group("pre")


def is_semver_spelling(text: str) -> bool:
    """Whether ``text`` is a version spelled the semver way: ``1.0.0-beta``, ``1.0.0-rc.1``.

    That is MAJOR.MINOR.PATCH, a hyphen, and a pre-release that starts with a letter. A
    carrier whose file says so keeps that spelling when a new version is written into it.
    ``1.0.0-1`` does not count: PEP 440 spells a post-release that way, and a file other
    than package.json that says it has always been read as ``1.0.0.post1``. A final
    ``1.2.3`` does not count either: both spellings agree on it.
    """
    pre = semver_prerelease(text)
    return pre is not None and pre[0].isalpha()


def from_semver(text: str) -> str:
    """The normalized PEP 440 version of a semver string (``1.0.0-rc.1`` -> ``1.0.0rc1``).

    PEP 440 text passes through (``1.0.0rc1``, ``1.2``). A semver pre-release is refused
    when PEP 440 has no equivalent (``1.0.0-SNAPSHOT``, ``1.0.0-alpha.beta``) and when PEP 440
    would read it as something else: ``1.0.0-1``, ``1.0.0-r.1`` are pre-releases *before*
    1.0.0 in semver, but post-releases *after* it in PEP 440. ``-post.N`` is accepted, since
    :func:`to_semver` writes post-releases that way.
    """
    pre = semver_prerelease(text)
    if pre is None:
        return normalize(text)
    normalized = try_normalize(text)
    if normalized is None:
        raise VersionError(f"semver version {text!r} has no PEP 440 equivalent", _SEMVER_HINT)
    parsed = Version(normalized)
    said_post = pre.lower().startswith("post")
    if parsed.pre is None and parsed.dev is None and not said_post:
        raise VersionError(
            f"semver version {text!r} is a pre-release, but PEP 440 reads it as the "
            f"post-release {normalized}",
            _SEMVER_HINT,
        )
    return normalized

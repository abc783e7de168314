"""Unit tests of releasekit.core.version: pure version arithmetic, tags, channels and bumps."""

from __future__ import annotations

import pytest
from packaging.version import Version

from releasekit.core.version import (
    BUMP_PARTS,
    Channel,
    bump,
    channel,
    from_semver,
    is_semver_spelling,
    normalize,
    parse_release_tag,
    same_version,
    semver_prerelease,
    tag_for,
    to_semver,
    try_normalize,
    version_from_tag,
)
from releasekit.errors import ReleasekitError, TagError, VersionError


def _assert_error(exc: pytest.ExceptionInfo[ReleasekitError], *names: str) -> None:
    """The message is one line naming every value; the hint says what to do."""
    err = exc.value
    assert "\n" not in err.message
    for name in names:
        assert name in err.message, (name, err.message)
    assert err.hint.strip()


# --- normalize / try_normalize -------------------------------------------------------------

NORMALIZE_CASES = [
    ("1.2.3", "1.2.3"),
    ("1.2", "1.2"),
    ("1.2.0", "1.2.0"),
    ("v1.2.3", "1.2.3"),
    ("1.0.0RC1", "1.0.0rc1"),
    ("1.0.0c1", "1.0.0rc1"),
    ("1.0.0-beta.1", "1.0.0b1"),
    ("1.0.0-rc.2", "1.0.0rc2"),
    ("1.0.0.beta0", "1.0.0b0"),
    ("1.0.0-alpha", "1.0.0a0"),
    ("1.0.0-alpha.1", "1.0.0a1"),
    ("1.0.0-rc1", "1.0.0rc1"),
    ("1.0.0+build.5", "1.0.0+build.5"),
    ("1.0.0+build-5", "1.0.0+build.5"),
    ("1.0.0-dev.3", "1.0.0.dev3"),
    ("1.0.0-post.1", "1.0.0.post1"),
    ("1.0.0-1", "1.0.0.post1"),
    ("1.0.0-rc.1.dev.2", "1.0.0rc1.dev2"),
    ("1!2.0", "1!2.0"),
    ("2024.01.05", "2024.1.5"),
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZE_CASES)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected
    assert try_normalize(text) == expected


BAD_VERSIONS = ["", "latest", "1.x", "release-x9", "1.0.0-alpha.beta", "1.2.3 4", "v", "..."]


@pytest.mark.parametrize("text", BAD_VERSIONS)
def test_normalize_rejects_non_versions(text: str) -> None:
    with pytest.raises(VersionError) as exc:
        normalize(text)
    _assert_error(exc, repr(text))
    assert try_normalize(text) is None


def test_normalize_error_message_is_one_line_for_multiline_input() -> None:
    with pytest.raises(VersionError) as exc:
        normalize("1.2\n3")
    _assert_error(exc, "'1.2\\n3'")


# --- same_version ----------------------------------------------------------------------------

SAME_VERSION_CASES = [
    ("1.2.3", "1.2.3", True),
    ("1.2.3", "v1.2.3", True),
    ("1.0.0-rc.1", "1.0.0rc1", True),
    ("1.0.0RC1", "1.0.0rc1", True),
    ("1.2", "1.2.0", False),  # equal as Version, different files on an index
    ("1.2.3", "1.2.3+local", False),
    ("1.2.3", "1.2.4", False),
    ("1.2.3", "1.2.3.post0", False),
]


@pytest.mark.parametrize(("a", "b", "expected"), SAME_VERSION_CASES)
def test_same_version(a: str, b: str, expected: bool) -> None:
    assert same_version(a, b) is expected
    assert same_version(b, a) is expected


def test_same_version_rejects_non_version() -> None:
    with pytest.raises(VersionError) as exc:
        same_version("1.2.3", "nope")
    _assert_error(exc, "'nope'")


# --- version_from_tag / parse_release_tag ----------------------------------------------------

TAG_CASES = [
    # tag, prefix, version or None
    ("v1.2.3", None, "1.2.3"),
    ("1.2.3", None, "1.2.3"),
    ("v1.0.0-rc.1", None, "1.0.0rc1"),
    ("v1.0.0rc1", None, "1.0.0rc1"),
    ("v1.2", None, "1.2"),
    ("v1.2.3+build.5", None, "1.2.3+build.5"),
    ("release-x9", None, None),
    ("latest", None, None),
    ("v1.x", None, None),
    ("vv1.2.3", None, None),
    ("V1.2.3", None, None),
    ("v", None, None),
    ("", None, None),
    ("v 1.2.3", None, None),
    ("v1.2.3 ", None, None),
    ("api-v1.2.0", None, None),
    ("api-v1.2.0", "api-v", "1.2.0"),
    ("api-v1.0.0-beta.2", "api-v", "1.0.0b2"),
    ("v1.2.0", "api-v", None),
    ("web-v1.2.0", "api-v", None),
    ("1.2.0", "api-v", None),
    ("api-v", "api-v", None),
    ("api-vlatest", "api-v", None),
    ("api-vv1.2.0", "api-v", None),
    ("1.2.0", "", "1.2.0"),
    ("v1.2.0", "", None),
    ("release/1.2.0", "release/", "1.2.0"),
]


@pytest.mark.parametrize(("tag", "prefix", "expected"), TAG_CASES)
def test_version_from_tag(tag: str, prefix: str | None, expected: str | None) -> None:
    assert version_from_tag(tag, prefix) == expected


@pytest.mark.parametrize(
    ("tag", "prefix", "expected"), [case for case in TAG_CASES if case[2] is not None]
)
def test_parse_release_tag_accepts_release_tags(
    tag: str, prefix: str | None, expected: str
) -> None:
    assert parse_release_tag(tag, prefix) == expected


@pytest.mark.parametrize(
    ("tag", "prefix", "hint_part"),
    [
        ("latest", None, "v1.2.3"),
        ("v1.x", None, "v1.2.3"),
        ("release-x9", None, "v1.2.3"),
        ("vv1.2.3", None, "v1.2.3"),
        ("", None, "v1.2.3"),
        ("api-v1.2.0", None, "v1.2.3"),
        ("api-vlatest", "api-v", '"api-v"'),
        ("api-v", "api-v", '"api-v"'),
    ],
)
def test_parse_release_tag_rejects_malformed(tag: str, prefix: str | None, hint_part: str) -> None:
    with pytest.raises(TagError) as exc:
        parse_release_tag(tag, prefix)
    expected_form = "v<version>" if prefix is None else f"{prefix}<version>"
    _assert_error(exc, repr(tag), expected_form)
    assert hint_part in exc.value.hint


@pytest.mark.parametrize("tag", ["v1.2.0", "web-v1.2.0", "1.2.0"])
def test_parse_release_tag_rejects_wrong_prefix(tag: str) -> None:
    with pytest.raises(TagError) as exc:
        parse_release_tag(tag, "api-v")
    _assert_error(exc, repr(tag), "'api-v'", "api-v<version>")
    assert 'start with "api-v"' in exc.value.hint


# --- tag_for ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "prefix", "expected"),
    [
        ("1.2.3", None, "v1.2.3"),
        ("1.0.0-rc.1", None, "v1.0.0rc1"),
        ("1.2.0", "api-v", "api-v1.2.0"),
        ("1.2.0", "", "1.2.0"),
        ("1.2", None, "v1.2"),
    ],
)
def test_tag_for(version: str, prefix: str | None, expected: str) -> None:
    assert tag_for(version, prefix) == expected
    assert version_from_tag(expected, prefix) == normalize(version)


def test_tag_for_rejects_non_version() -> None:
    with pytest.raises(VersionError) as exc:
        tag_for("next", None)
    _assert_error(exc, "'next'")


# --- channel ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.0.0", Channel.FINAL),
        ("1.0.0.post1", Channel.FINAL),
        ("1!1.0", Channel.FINAL),
        ("1.0.0a1", Channel.PRE),
        ("1.0.0b2", Channel.PRE),
        ("1.0.0rc1", Channel.PRE),
        ("1.0.0rc1.post1", Channel.PRE),
        ("1.0.0.dev1", Channel.DEV),
        ("1.0.0rc1.dev2", Channel.DEV),
        ("1.0.0.post1.dev1", Channel.DEV),
        ("1.0.0+local", Channel.LOCAL),
        ("1.0.0rc1.dev2+local", Channel.LOCAL),
    ],
)
def test_channel(version: str, expected: Channel) -> None:
    assert channel(version) is expected


def test_channel_values_and_str() -> None:
    assert [c.value for c in Channel] == ["final", "pre-release", "dev", "local"]
    assert str(Channel.PRE) == "pre-release"
    assert Channel("dev") is Channel.DEV
    assert Channel.FINAL == "final"


def test_channel_rejects_non_version() -> None:
    with pytest.raises(VersionError) as exc:
        channel("soon")
    _assert_error(exc, "'soon'")


# --- bump ------------------------------------------------------------------------------------

BUMP_CASES = [
    # release parts
    ("1.2.3", "major", "2.0.0"),
    ("1.2.3", "minor", "1.3.0"),
    ("1.2.3", "patch", "1.2.4"),
    ("1.2", "patch", "1.2.1"),
    ("1.2", "minor", "1.3"),
    ("1", "patch", "1.0.1"),
    ("1.2.3.4", "minor", "1.3.0.0"),
    ("1!1.2.3", "major", "1!2.0.0"),
    ("1.2.3rc1", "patch", "1.2.4"),
    ("1.2.3.dev1", "patch", "1.2.4"),
    ("1.2.3.post2", "patch", "1.2.4"),
    ("1.2.3+local", "patch", "1.2.4"),
    # pre-releases
    ("1.2.3", "minor,rc", "1.3.0rc1"),
    ("1.3.0rc1", "rc", "1.3.0rc2"),
    ("1.3.0b2", "rc", "1.3.0rc1"),
    ("1.3.0a1", "b", "1.3.0b1"),
    ("1.3.0a1", "a", "1.3.0a2"),
    ("1.3.0a1", "beta", "1.3.0b1"),
    ("1.2.3", "major,alpha", "2.0.0a1"),
    ("1.2.3", "Minor,RC", "1.3.0rc1"),
    ("1.2.3", "minor, rc", "1.3.0rc1"),
    ("1.3.0rc1.dev2", "rc", "1.3.0rc2"),
    # post
    ("1.2.3", "post", "1.2.3.post1"),
    ("1.2.3.post1", "post", "1.2.3.post2"),
    ("1.2.3rc1", "post", "1.2.3rc1.post1"),
    # dev
    ("1.2.4.dev1", "dev", "1.2.4.dev2"),
    ("1.2.3", "patch,dev", "1.2.4.dev0"),
    ("1.3.0rc1", "rc,dev", "1.3.0rc2.dev0"),
    ("1.2.3.post1", "post,dev", "1.2.3.post2.dev0"),
    # release
    ("1.3.0rc2", "release", "1.3.0"),
    ("1.3.0.dev4", "release", "1.3.0"),
    ("1.3.0rc2.dev1", "release", "1.3.0"),
    ("1.2.3.post1.dev1", "release", "1.2.3.post1"),
    # explicit versions
    ("1.2.3", "2.0.0", "2.0.0"),
    ("1.2.3", "v2.0.0", "2.0.0"),
    ("1.2.3", "2.0.0-rc.1", "2.0.0rc1"),
    ("1.2.3", "1.2.3.post1", "1.2.3.post1"),
    ("1.2.3", "2.0.0,rc", "2.0.0rc1"),
]


@pytest.mark.parametrize(("current", "part", "expected"), BUMP_CASES)
def test_bump(current: str, part: str, expected: str) -> None:
    result = bump(current, part)
    assert result == expected
    assert result == normalize(result)
    assert Version(result) > Version(Version(current).public)


@pytest.mark.parametrize(
    ("current", "part", "backwards_to"),
    [
        ("1.2.3", "rc", "1.2.3rc1"),
        ("1.2.3", "dev", "1.2.3.dev0"),
        ("1.3.0rc1", "a", "1.3.0a1"),
        ("1.3.0rc1", "dev", "1.3.0rc1.dev0"),
        ("1.2.3.post1", "rc", "1.2.3rc1"),
        ("1.2.3", "1.0.0", "1.0.0"),
        ("1.2.3", "patch,1.0.0", "1.0.0"),
    ],
)
def test_bump_refuses_to_move_back(current: str, part: str, backwards_to: str) -> None:
    with pytest.raises(VersionError) as exc:
        bump(current, part)
    assert exc.value.message == f"bump {part} would move {current} back to {backwards_to}"
    _assert_error(exc)
    assert "--force" in exc.value.hint
    assert bump(current, part, force=True) == backwards_to


def test_bump_backwards_message_and_hint_exact() -> None:
    with pytest.raises(VersionError) as exc:
        bump("1.2.3", "rc")
    assert exc.value.message == "bump rc would move 1.2.3 back to 1.2.3rc1"
    assert exc.value.hint == "bump a release part first, e.g. 'minor,rc', or pass --force"


@pytest.mark.parametrize(
    ("current", "part", "forced"),
    [
        ("1.2.3", "1.2.3", "1.2.3"),
        ("1.2.3", "v1.2.3", "1.2.3"),
        ("1.2", "1.2.0", "1.2.0"),  # the same Version, but "already at" it all the same
        ("1.2.3", "release", "1.2.3"),
        ("1.2.3.post1", "release", "1.2.3.post1"),
    ],
)
def test_bump_refuses_same_version(current: str, part: str, forced: str) -> None:
    with pytest.raises(VersionError) as exc:
        bump(current, part)
    _assert_error(exc, f"already at {current}", part)
    assert bump(current, part, force=True) == forced


def test_bump_message_stays_one_line() -> None:
    with pytest.raises(VersionError) as exc:
        bump("1.2.3", " rc ,\n\tdev ")
    assert exc.value.message == "bump rc,dev would move 1.2.3 back to 1.2.3rc1.dev0"


def test_bump_only_checks_the_final_result() -> None:
    # "dev" alone on a final moves back; after "patch" it moves forward.
    assert bump("1.2.3", "patch,dev") == "1.2.4.dev0"
    # an intermediate result that moves back is fine when the final one does not
    assert bump("1.2.3", "rc,major") == "2.0.0"


@pytest.mark.parametrize("part", ["huge", "", "minor,", "minor,,rc", "pre", "c", "1.x"])
def test_bump_unknown_part(part: str) -> None:
    with pytest.raises(VersionError) as exc:
        bump("1.2.3", part)
    _assert_error(exc, repr(part))
    for name in BUMP_PARTS:
        assert name in exc.value.hint


def test_bump_bad_current_version() -> None:
    with pytest.raises(VersionError) as exc:
        bump("not-a-version", "patch")
    _assert_error(exc, "'not-a-version'")


def test_bump_parts_constant() -> None:
    assert BUMP_PARTS == ("major", "minor", "patch", "a", "b", "rc", "post", "dev", "release")


# --- to_semver / from_semver -----------------------------------------------------------------

SEMVER_CASES = [
    ("1.0.0rc1", "1.0.0-rc.1"),
    ("1.0.0a0", "1.0.0-alpha.0"),
    ("1.0.0b2", "1.0.0-beta.2"),
    ("1.0.0b0", "1.0.0-beta.0"),  # the 0 is written: semver orders 1.0.0-beta before -beta.0
    ("1.0.0b1", "1.0.0-beta.1"),
    ("1.2", "1.2.0"),
    ("1", "1.0.0"),
    ("1.2.3", "1.2.3"),
    ("1.0.0.dev3", "1.0.0-dev.3"),
    ("1.0.0.post1", "1.0.0-post.1"),
    ("1.0.0+abc", "1.0.0+abc"),
    ("1.0.0rc1+abc.5", "1.0.0-rc.1+abc.5"),
    ("1.0.0rc1.dev2", "1.0.0-rc.1.dev.2"),
    ("1.0.0rc1.post2.dev3", "1.0.0-rc.1.post.2.dev.3"),
    ("1.0.0-RC1", "1.0.0-rc.1"),
]


@pytest.mark.parametrize(("version", "expected"), SEMVER_CASES)
def test_to_semver(version: str, expected: str) -> None:
    assert to_semver(version) == expected


@pytest.mark.parametrize(("version", "semver"), SEMVER_CASES)
def test_from_semver_round_trips(version: str, semver: str) -> None:
    parsed = Version(version)
    padded = ".".join(str(n) for n in (*parsed.release, 0, 0)[:3])
    expected = normalize(version).replace(parsed.base_version, padded, 1)
    assert from_semver(semver) == expected


@pytest.mark.parametrize(
    ("semver", "expected"),
    [
        ("1.0.0-beta.1", "1.0.0b1"),
        ("1.0.0-rc.2", "1.0.0rc2"),
        ("1.0.0-alpha", "1.0.0a0"),
        ("1.0.0-alpha.1", "1.0.0a1"),
        ("1.0.0+build.5", "1.0.0+build.5"),
        ("1.0.0-dev.3", "1.0.0.dev3"),
    ],
)
def test_from_semver(semver: str, expected: str) -> None:
    assert from_semver(semver) == expected


@pytest.mark.parametrize(
    ("version", "named"),
    [("1!1.0.0", "1!1.0.0"), ("1.2.3.4", "1.2.3.4"), ("1.2.3.4rc1", "1.2.3.4rc1")],
)
def test_to_semver_refuses_what_semver_cannot_express(version: str, named: str) -> None:
    with pytest.raises(VersionError) as exc:
        to_semver(version)
    _assert_error(exc, named)


def test_to_semver_and_from_semver_reject_non_versions() -> None:
    with pytest.raises(VersionError) as exc:
        to_semver("x.y.z")
    _assert_error(exc, "'x.y.z'")
    with pytest.raises(VersionError) as exc:
        from_semver("1.0.0-alpha.beta")
    _assert_error(exc, "'1.0.0-alpha.beta'")


@pytest.mark.parametrize(
    ("semver", "expected"),
    [
        ("1.0.0-post.1", "1.0.0.post1"),  # what to_semver writes for a post-release
        ("v1.0.0-beta", "1.0.0b0"),
        ("1.0.0-RC1", "1.0.0rc1"),
        ("1.0.0-preview.2", "1.0.0rc2"),
        ("1.0.0-beta.1+exp.sha.5114f85", "1.0.0b1+exp.sha.5114f85"),
    ],
)
def test_from_semver_more_spellings(semver: str, expected: str) -> None:
    assert from_semver(semver) == expected


@pytest.mark.parametrize(
    ("semver", "message"),
    [
        ("1.0.0-SNAPSHOT", "semver version '1.0.0-SNAPSHOT' has no PEP 440 equivalent"),
        ("1.0.0-x.7.z.92", "semver version '1.0.0-x.7.z.92' has no PEP 440 equivalent"),
        (
            "1.0.0-1",
            "semver version '1.0.0-1' is a pre-release, but PEP 440 reads it as the "
            "post-release 1.0.0.post1",
        ),
        (
            "1.0.0-r.2",
            "semver version '1.0.0-r.2' is a pre-release, but PEP 440 reads it as the "
            "post-release 1.0.0.post2",
        ),
    ],
)
def test_from_semver_refuses_what_pep440_cannot_say(semver: str, message: str) -> None:
    with pytest.raises(VersionError) as exc:
        from_semver(semver)
    _assert_error(exc, repr(semver))
    assert exc.value.message == message
    assert "-alpha.N, -beta.N, -rc.N and -dev.N" in exc.value.hint


def test_normalize_still_reads_a_hyphen_number_as_pep440_post_release() -> None:
    # from_semver refuses it; plain PEP 440 text (and tags) keep PEP 440's reading
    assert normalize("1.0.0-1") == "1.0.0.post1"


@pytest.mark.parametrize(
    ("text", "pre", "semver_spelled"),
    [
        ("1.0.0-beta", "beta", True),
        ("1.0.0-rc.1", "rc.1", True),
        ("2.0.0-alpha.3", "alpha.3", True),
        ("v1.0.0-beta", "beta", True),
        ("1.0.0-RC1", "RC1", True),
        ("1.0.0-dev.3+build.5", "dev.3", True),
        ("1.0.0-SNAPSHOT", "SNAPSHOT", True),
        ("1.0.0-1", "1", False),  # PEP 440's post-release spelling
        ("1.0.0-0.3.7", "0.3.7", False),
        ("1.0.0", None, False),
        ("1.0.0b0", None, False),
        ("1.0.0rc1", None, False),
        ("1.0-beta", None, False),  # not MAJOR.MINOR.PATCH
        ("1.0.0.0-beta", None, False),
        ("1.0.0-", None, False),
        ("1.0.0-beta..1", None, False),
        ("", None, False),
    ],
)
def test_semver_spelling_detection(text: str, pre: str | None, semver_spelled: bool) -> None:
    assert semver_prerelease(text) == pre
    assert is_semver_spelling(text) is semver_spelled


def test_the_next_development_version_starts_at_dev0() -> None:
    """As hatch does: after 0.2.0, `bump minor,dev` is 0.3.0.dev0."""
    assert bump("0.2.0", "minor,dev") == "0.3.0.dev0"
    assert bump("0.3.0.dev0", "dev") == "0.3.0.dev1"

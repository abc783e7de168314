"""The changelog check: every heading dialect real projects use, and none of the near misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.errors import ChangelogError, VersionError
from releasekit.project.changelog import (
    ChangelogSection,
    check_changelog,
    find_section,
    section_for,
)

BODY = "- Added the frobnicator."


@pytest.mark.parametrize(
    "heading",
    [
        "## [1.2.0] - 2026-01-02",
        "## 1.2.0 (2nd January, 2026)",
        "## [1.2.0](https://github.com/o/r/compare/1.1.0...1.2.0) - 2026-01-02",
        "## v1.2.0",
        "# 1.2.0",
        "### [1.2.0]",
        "1.2.0\n=====",
        "1.2.0\n-----",
        "1.2.0\n~~~~~",
        "1.2.0\n^^^^^",
        "1.2.0 (2026-01-02)\n------------------",
        "=====\n1.2.0\n=====",
        "Version 1.2.0",
        "Version 1.2.0\n-------------",
        "## Version 1.2.0 - the big one",
        "## Release v1.2.0",
        "## 1.2.0 ##",
        "demo 1.2.0 (2026-01-02)\n=======================",
        "## [v1.2.0] — 2026-01-02",
    ],
)
def test_heading_forms_match(heading: str) -> None:
    text = (
        f"# Changelog\n\n## [Unreleased]\n\n{heading}\n\n{BODY}\n\n"
        "## [1.1.0] - 2025-12-01\n\n- Old.\n"
    )
    assert find_section(text, "1.2.0") == BODY


def test_prerelease_heading_matches_by_normalized_version() -> None:
    text = "## 1.0.0-rc.1\n\n- First candidate.\n"
    assert find_section(text, "1.0.0rc1") == "- First candidate."
    assert find_section(text, "1.0.0") is None


@pytest.mark.parametrize(
    "heading",
    [
        "## 1.2.0rc1",
        "## [1.2.0rc1] - 2026-01-02",
        "## 1.2.01",
        "## 11.2.0",
        "## 1.2.0.post1",
        "## 1.2",
        "## [1.3.0](https://github.com/o/r/compare/1.2.0...1.3.0) - 2026-01-02",
        "## [Unreleased]",
        "## 1.2.0 (unreleased)",
        "## [1.2.0] - Unreleased",
        "## Since 1.2.0",
    ],
)
def test_near_misses_do_not_match(heading: str) -> None:
    text = f"# Changelog\n\n{heading}\n\n- Fixed a regression from 1.2.0.\n"
    assert find_section(text, "1.2.0") is None


def test_mentions_in_body_text_do_not_count() -> None:
    text = (
        "# Changelog\n\n## 1.3.0\n\n"
        "Version 1.2.0 fixes are included here.\n"
        "- 1.2.0\n"
        "  Version 1.2.0\n"
        "```\n# 1.2.0\n```\n"
        "See [1.2.0]: https://example.invalid\n"
    )
    assert find_section(text, "1.2.0") is None


def test_link_reference_definitions_are_not_headings() -> None:
    text = "## [1.3.0]\n\n- New.\n\n[1.3.0]: https://github.com/o/r/compare/1.2.0...1.3.0\n"
    assert find_section(text, "1.2.0") is None


def test_body_stops_at_next_version_heading_of_any_level() -> None:
    text = (
        "# Changelog\n\n## 1.2.0\n\n### Added\n\n- A.\n\n### Fixed\n\n- B.\n\n### 1.1.0\n\n- Old.\n"
    )
    assert find_section(text, "1.2.0") == "### Added\n\n- A.\n\n### Fixed\n\n- B."


def test_rst_body_stops_at_same_level() -> None:
    text = (
        "Changelog\n=========\n\n1.2.0 (2026-01-02)\n------------------\n\n"
        "Features\n^^^^^^^^\n\n- A.\n\n1.1.0 (2025-01-01)\n------------------\n\n- Old.\n"
    )
    assert find_section(text, "1.2.0") == "Features\n^^^^^^^^\n\n- A."


def test_heading_alone_is_enough() -> None:
    assert find_section("## [1.2.0] - 2026-01-02\n## [1.1.0]\n- Old.\n", "1.2.0") == ""
    assert find_section("## 1.2.0", "1.2.0") == ""


def test_version_argument_is_normalized() -> None:
    assert find_section("## 1.0.0rc1\n\nbody\n", "1.0.0-RC1") == "body"
    assert find_section("## v1.2.0\n\nbody\n", "v1.2.0") == "body"


def test_invalid_version_argument() -> None:
    with pytest.raises(VersionError, match="not-a-version"):
        find_section("## 1.2.0\n", "not-a-version")


def test_crlf_line_endings() -> None:
    assert find_section("1.2.0\r\n=====\r\n\r\nbody\r\n", "1.2.0") == "body"


def test_check_changelog_passes(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\n## [1.2.0] - 2026-01-02\n\n- A.\n", encoding="utf-8")
    found = check_changelog(path, "1.2.0")
    assert found == ChangelogSection("[1.2.0] - 2026-01-02", "own version", "1.2.0")
    assert str(found) == "section '[1.2.0] - 2026-01-02'"


def test_check_changelog_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    assert str(path) in info.value.message
    assert "1.2.0" in info.value.message
    assert "## [1.2.0] - " in info.value.hint


def test_check_changelog_missing_section(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\n## [1.1.0] - 2025-01-01\n\n- Old.\n", encoding="utf-8")
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    assert info.value.message == f"changelog {path} has no section for 1.2.0"
    assert "add a heading like `## [1.2.0] - " in info.value.hint
    assert "(Keep a Changelog)" in info.value.hint


def test_check_changelog_points_at_unreleased_section(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\n## [Unreleased]\n\n- New.\n", encoding="utf-8")
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    assert "1.2.0" in info.value.message
    assert "rename the `[Unreleased]` section" in info.value.hint


def test_check_changelog_heading_marked_unreleased(tmp_path: Path) -> None:
    path = tmp_path / "CHANGES.md"
    path.write_text("## 1.2.0 (unreleased)\n\n- New.\n", encoding="utf-8")
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    assert "still says unreleased" in info.value.hint


def test_check_changelog_rst_hint(tmp_path: Path) -> None:
    path = tmp_path / "CHANGES.rst"
    path.write_text("Changelog\n=========\n", encoding="utf-8")
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    assert "CHANGES.rst" in info.value.message
    assert "underlined with" in info.value.hint


# -- pre-releases: own version, final version or Unreleased ---------------------------------

PRE_RELEASES = ["1.2.0rc1", "1.2.0a2", "1.2.0b1", "1.2.0.dev3", "1.2.0rc1.dev2"]
OLD = "## [1.1.0] - 2025-01-01\n\n- Old.\n"


def changelog(*headings: str) -> str:
    return "# Changelog\n\n" + "".join(f"{h}\n\n- Note.\n\n" for h in headings) + OLD


@pytest.mark.parametrize("version", PRE_RELEASES)
def test_pre_release_own_section(version: str) -> None:
    text = changelog("## [Unreleased]", f"## [{version}] - 2026-01-02", "## 1.2.0")
    assert section_for(text, version) == ChangelogSection(
        f"[{version}] - 2026-01-02", "own version", version
    )


@pytest.mark.parametrize("version", PRE_RELEASES)
def test_pre_release_final_version_section(version: str) -> None:
    text = changelog("## [Unreleased]", "## [1.2.0] - 2026-01-09")
    found = section_for(text, version)
    assert found == ChangelogSection("[1.2.0] - 2026-01-09", "final version 1.2.0", version)
    assert found.describe() == f"section '[1.2.0] - 2026-01-09' (the final version of {version})"


@pytest.mark.parametrize("version", PRE_RELEASES)
@pytest.mark.parametrize(
    "heading",
    ["## [Unreleased]", "## Unreleased", "Unreleased\n----------", "## [1.2.0] - Unreleased"],
)
def test_pre_release_unreleased_section(version: str, heading: str) -> None:
    text = changelog(heading)
    title = heading.split("\n")[0].lstrip("# ")
    found = section_for(text, version)
    assert found == ChangelogSection(title, "Unreleased", version)
    kind = "a dev release" if "dev" in version else "a pre-release"
    assert str(found) == f"section {title!r} ({version} is {kind})"


def test_pre_release_own_heading_marked_unreleased_counts_as_unreleased() -> None:
    text = changelog("## 1.2.0rc1 (unreleased)")
    assert section_for(text, "1.2.0rc1") == ChangelogSection(
        "1.2.0rc1 (unreleased)", "Unreleased", "1.2.0rc1"
    )


def test_pre_release_prefers_own_then_final_then_unreleased() -> None:
    own = changelog("## [Unreleased]", "## 1.2.0", "## 1.2.0rc1")
    assert section_for(own, "1.2.0rc1") == ChangelogSection("1.2.0rc1", "own version", "1.2.0rc1")
    final = changelog("## [Unreleased]", "## 1.2.0")
    assert section_for(final, "1.2.0rc1") == ChangelogSection(
        "1.2.0", "final version 1.2.0", "1.2.0rc1"
    )


@pytest.mark.parametrize(
    "heading",
    [
        "## 1.2",  # not 1.2.0: a different release on an index
        "## 1.2.0rc2",  # another candidate
        "## 1.3.0",
        "## 1.3.0 (unreleased)",  # unreleased, but another version's
        "## 1.2.0.post1",
        "## Since 1.2.0",
    ],
)
def test_pre_release_near_misses(tmp_path: Path, heading: str) -> None:
    assert section_for(changelog(heading), "1.2.0rc1") is None
    path = tmp_path / "CHANGELOG.md"
    path.write_text(changelog(heading), encoding="utf-8")
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0rc1")
    assert info.value.message == (
        f"changelog {path} has no section for 1.2.0rc1, its final version 1.2.0, or Unreleased"
    )
    assert "add a heading like `## [1.2.0rc1] - " in info.value.hint
    assert "a section for 1.2.0 or an Unreleased one (`## [Unreleased]`)" in info.value.hint


def test_dev_release_of_a_post_release_leads_to_the_post_release() -> None:
    text = changelog("## 1.2.0.post1")
    assert section_for(text, "1.2.0.post1.dev1") == ChangelogSection(
        "1.2.0.post1", "final version 1.2.0.post1", "1.2.0.post1.dev1"
    )
    assert section_for(changelog("## 1.2.0"), "1.2.0.post1.dev1") is None


def test_a_vcs_dev_version_with_a_local_part_follows_the_dev_rules() -> None:
    # hatch-vcs one commit past v1.2.0: 1.2.1.dev1+g1a2b3c4
    found = section_for(changelog("## [Unreleased]"), "1.2.1.dev1+g1a2b3c4")
    assert found == ChangelogSection("[Unreleased]", "Unreleased", "1.2.1.dev1+g1a2b3c4")
    assert section_for(changelog("## 1.2.1"), "1.2.1.dev1+g1a2b3c4") == ChangelogSection(
        "1.2.1", "final version 1.2.1", "1.2.1.dev1+g1a2b3c4"
    )


@pytest.mark.parametrize(
    "heading", ["## [Unreleased]", "## 1.2.0rc1", "## [1.2.0] - Unreleased", "## 1.2.0a1"]
)
def test_final_version_needs_its_own_section(tmp_path: Path, heading: str) -> None:
    assert section_for(changelog(heading), "1.2.0") is None
    path = tmp_path / "CHANGELOG.md"
    path.write_text(changelog(heading), encoding="utf-8")
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    assert info.value.message == f"changelog {path} has no section for 1.2.0"
    assert "add a heading like `## [1.2.0] - " in info.value.hint


def test_final_version_with_own_section_and_unreleased() -> None:
    text = changelog("## [Unreleased]", "## [1.2.0] - 2026-01-02")
    assert section_for(text, "1.2.0") == ChangelogSection(
        "[1.2.0] - 2026-01-02", "own version", "1.2.0"
    )


def test_check_changelog_returns_what_satisfied_it(tmp_path: Path) -> None:
    path = tmp_path / "CHANGES.rst"
    path.write_text("Changelog\n=========\n\n1.2.0 (2026-01-02)\n------------------\n")
    found = check_changelog(path, "1.2.0-rc.1")
    assert found == ChangelogSection("1.2.0 (2026-01-02)", "final version 1.2.0", "1.2.0rc1")
    assert f"{path.name}: {found}" == (
        "CHANGES.rst: section '1.2.0 (2026-01-02)' (the final version of 1.2.0rc1)"
    )


# -- a changelog that cannot be read --------------------------------------------------------


def _assert_one_line(error: ChangelogError, path: Path) -> None:
    assert "\n" not in error.message
    assert str(path) in error.message
    assert error.hint.strip()


def test_check_changelog_directory(tmp_path: Path) -> None:
    # what `changelog = ""` gives: the project root itself
    with pytest.raises(ChangelogError) as info:
        check_changelog(tmp_path, "1.2.0")
    _assert_one_line(info.value, tmp_path)
    assert info.value.message == (
        f"changelog {tmp_path} is a directory, not a file (releasing 1.2.0)"
    )
    assert 'changelog = "CHANGELOG.md"' in info.value.hint
    assert "changelog = false" in info.value.hint


def test_check_changelog_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_bytes(b"# Changelog\n\n## 1.2.0\n\n- caf\xe9\n")
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    _assert_one_line(info.value, path)
    assert info.value.message == (
        f"changelog {path} is not UTF-8 text (invalid continuation byte at byte 28)"
    )
    assert info.value.hint == "save it as UTF-8"


def test_check_changelog_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("## 1.2.0\n", encoding="utf-8")

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    _assert_one_line(info.value, path)
    assert info.value.message == f"cannot read changelog {path}: Permission denied"
    assert "changelog = false" in info.value.hint


NOTES = """# Changes

## [Unreleased]

- wip

## [1.2.0] - 2026-01-01

- Shiny.
- More.

## 1.1.0

- Old.
"""


def test_release_notes_are_the_body_of_the_section_that_releases_the_version() -> None:
    from releasekit.project.changelog import release_notes

    assert release_notes(NOTES, "1.2.0") == "- Shiny.\n- More."
    assert release_notes(NOTES, "1.2.0rc1") == "- Shiny.\n- More."  # its final version's
    assert release_notes(NOTES, "1.3.0rc1") == "- wip"  # Unreleased
    assert release_notes(NOTES, "2.0.0") is None

"""The changelog check: every heading dialect real projects use, and none of the near misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.changelog import check_changelog, find_section
from releasekit.errors import ChangelogError, VersionError

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
    check_changelog(path, "1.2.0")


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

"""Intent files, pure: changesets' format read and written, towncrier fragments, npm ranges,
the release plan (largest bump, dependents, fixed/linked groups, ignore, follows), the
changelog section and where it goes."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from pathlib import Path

import pytest

from releasekit.cli.intent import _edit_json
from releasekit.core.version import to_semver
from releasekit.errors import ConfigError
from releasekit.project.changelog import find_section, insert_section
from releasekit.project.changeset_names import changeset_name
from releasekit.project.intent import (
    ChangesetConfig,
    Intent,
    IntentPackage,
    Release,
    changelog_entry,
    normalized,
    parse_changeset,
    plan_releases,
    read_changeset_config,
    read_changesets,
    render_changeset,
    write_changeset,
)
from releasekit.project.npmrange import satisfies
from releasekit.project.towncrier import read_towncrier

# --- changesets' files ---------------------------------------------------------------------


def test_render_is_changesets_exact_format_and_reads_back() -> None:
    text = render_changeset([("@scope/a", "minor"), ("b", "patch")], "Add x\n\nMore.\n")
    assert text == '---\n"@scope/a": minor\n"b": patch\n---\n\nAdd x\n\nMore.\n'
    intent = parse_changeset(text, Path("x.md"))
    assert intent.releases == (("@scope/a", "minor"), ("b", "patch"))
    assert intent.summary == "Add x\n\nMore."


def test_parse_takes_unquoted_and_single_quoted_names_and_comments() -> None:
    text = "---\npkg-a: major\n'pkg-b': none # why not\n\n---\nSummary\n"
    assert parse_changeset(text, Path("x.md")).releases == (("pkg-a", "major"), ("pkg-b", "none"))


def test_an_empty_changeset_names_nothing() -> None:
    assert parse_changeset("---\n---\n", Path("e.md")).releases == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no front matter between --- lines"),
        ("just text\n", "no front matter between --- lines"),
        ('---\n"a": minor\nno end\n', "no front matter between --- lines"),
        ('---\n"a": huge\n---\n\nx\n', "line 2: 'huge' for a is not a bump part"),
        ('---\n"a" minor\n---\n\nx\n', 'line 2 \'"a" minor\' is not "package": part'),
        ('---\n"a": minor\n"a": patch\n---\n\nx\n', "line 3 names a twice"),
    ],
)
def test_malformed_changesets_name_the_file(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_changeset(text, Path("/r/.changeset/bad.md"))
    assert caught.value.message == f"/r/.changeset/bad.md: {message}"


def test_names_are_three_words_and_avoid_taken_ones() -> None:
    name = changeset_name(rng=random.Random(1))
    assert len(name.split("-")) == 3
    assert changeset_name({name}, rng=random.Random(1)) != name


def test_write_then_read_skips_the_readme(tmp_path: Path) -> None:
    (tmp_path / ".changeset").mkdir()
    (tmp_path / ".changeset" / "README.md").write_text("# Changesets\n", encoding="utf-8")
    path = write_changeset(tmp_path, [("a", "patch")], "Fix")
    assert path.parent == tmp_path / ".changeset" and path.suffix == ".md"
    assert [i.releases for i in read_changesets(tmp_path)] == [(("a", "patch"),)]


def test_config_json_groups_ignore_and_bad_values(tmp_path: Path) -> None:
    folder = tmp_path / ".changeset"
    folder.mkdir()
    config = folder / "config.json"
    config.write_text(
        '{"fixed": [["a", "b"]], "linked": [["@s/*"]], "ignore": ["docs"], '
        '"updateInternalDependencies": "minor"}',
        encoding="utf-8",
    )
    assert read_changeset_config(tmp_path) == ChangesetConfig(
        (("a", "b"),), (("@s/*",),), ("docs",), "minor"
    )
    config.write_text('{"linked": ["a"]}', encoding="utf-8")
    with pytest.raises(ConfigError, match="linked must be a list of lists of package names"):
        read_changeset_config(tmp_path)
    assert read_changeset_config(tmp_path / "none") == ChangesetConfig()


# --- towncrier ---------------------------------------------------------------------------------


def test_towncrier_fragments_map_types_to_parts(tmp_path: Path) -> None:
    folder = tmp_path / "newsfragments"
    folder.mkdir()
    for name, text in {
        "12.feature.md": "New API.",
        "13.bugfix.1.rst": "Fixed.",
        "+orphan.removal.md": "Dropped.",
        "7.doc": "Docs.",
        "README.md": "about",
        ".gitignore": "!.gitignore",
    }.items():
        (folder / name).write_text(text, encoding="utf-8")
    found = read_towncrier(tmp_path, {}, "demo")
    assert {(i.path.name, i.releases[0][1], i.section, i.issue) for i in found} == {
        ("12.feature.md", "minor", "Features", "12"),
        ("13.bugfix.1.rst", "patch", "Bugfixes", "13"),
        ("+orphan.removal.md", "major", "Deprecations and Removals", ""),
        ("7.doc", "patch", "Improved Documentation", "7"),
    }


def test_towncrier_directory_and_custom_types(tmp_path: Path) -> None:
    (tmp_path / "changes").mkdir()
    (tmp_path / "changes" / "1.breaking.md").write_text("Broke.", encoding="utf-8")
    (tmp_path / "changes" / "2.added.md").write_text("Added.", encoding="utf-8")
    table = {
        "directory": "changes",
        "type": [
            {"directory": "breaking", "name": "Breaking", "showcontent": True},
            {"directory": "added", "name": "Added", "showcontent": True},
        ],
    }
    found = read_towncrier(tmp_path, {"tool": {"towncrier": table}}, "demo")
    assert [(i.releases[0][1], i.section) for i in found] == [
        ("major", "Breaking"),
        ("patch", "Added"),
    ]


def test_a_file_without_a_type_is_named(tmp_path: Path) -> None:
    (tmp_path / "newsfragments").mkdir()
    (tmp_path / "newsfragments" / "12.featur.md").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_towncrier(tmp_path, {}, "demo")
    assert caught.value.message == (
        f"{tmp_path / 'newsfragments' / '12.featur.md'}: is not a news fragment: no type in "
        "its name"
    )


# --- npm ranges --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "text", "expected"),
    [
        ("1.3.0", "^1.2.0", True),
        ("2.0.0", "^1.2.0", False),
        ("0.3.0", "^0.2.3", False),
        ("0.0.4", "^0.0.3", False),
        ("1.2.9", "~1.2.0", True),
        ("1.3.0", "~1.2.0", False),
        ("1.0.1", "1.0.0", False),
        ("9.0.0", "*", True),
        ("1.9.0", "1.x", True),
        ("2.0.0", "1", False),
        ("1.4.0", ">=1.2.0 <2", True),
        ("3.1.0", "1.x || >=3", True),
        ("1.4.9", "1.2.3 - 1.4", True),
        ("1.5.0", "1.2.3 - 1.4", False),
        ("1.0.0-rc.1", "^1.0.0", False),
        ("1.0.0-rc.2", "^1.0.0-rc.1", True),
        ("1.0.0", "latest", None),
        ("1.0.0", "npm:other@1", None),
    ],
)
def test_satisfies(version: str, text: str, expected: bool | None) -> None:
    assert satisfies(version, text) is expected


# --- the plan ----------------------------------------------------------------------------------


def intent(name: str, *releases: tuple[str, str], summary: str = "x") -> Intent:
    return Intent(Path(f"/r/.changeset/{name}.md"), tuple(releases), summary)


def npm(name: str, version: str, **deps: dict[str, str]) -> IntentPackage:
    return IntentPackage(name, version, "npm", deps)


def versions(plan: Mapping[str, Release]) -> dict[str, tuple[str, str]]:
    return {n: (r.part, r.new) for n, r in plan.items()}


def test_the_largest_bump_named_wins() -> None:
    plan = plan_releases(
        [npm("a", "1.2.3")], [intent("x", ("a", "patch")), intent("y", ("a", "minor"))]
    )
    assert versions(plan) == {"a": ("minor", "1.3.0")}
    assert [i.path.stem for i, _ in plan["a"].intents] == ["x", "y"]


def test_a_dependent_out_of_range_gets_a_patch_and_its_range() -> None:
    packages = [
        npm("core", "1.0.0"),
        npm("in-range", "2.0.0", dependencies={"core": "^1.0.0"}),
        npm("pinned", "3.0.0", dependencies={"core": "1.0.0"}),
        npm("pinned-dev", "4.0.0", devDependencies={"core": "1.0.0"}),
        npm("on-pinned", "5.0.0", dependencies={"pinned": "~3.0.0"}),
    ]
    plan = plan_releases(packages, [intent("x", ("core", "minor"))])
    assert versions(plan) == {
        "core": ("minor", "1.1.0"),
        "pinned": ("patch", "3.0.1"),
        "pinned-dev": ("none", "4.0.0"),  # its range only
    }  # in-range: still satisfied, not released (changesets); on-pinned: 3.0.1 is in ~3.0.0
    assert [(e.dep_type, e.old, e.new) for e in plan["pinned"].edits] == [
        ("dependencies", "1.0.0", "1.1.0")
    ]
    assert [(e.dep_type, e.new) for e in plan["pinned-dev"].edits] == [("devDependencies", "1.1.0")]
    assert plan["pinned"].reasons == ["depends on core"]


def test_a_released_dependent_gets_every_range_updated_at_the_default_patch() -> None:
    packages = [npm("core", "1.0.0"), npm("app", "2.0.0", dependencies={"core": "^1.0.0"})]
    plan = plan_releases(packages, [intent("x", ("core", "patch"), ("app", "patch"))])
    assert [e.new for e in plan["app"].edits] == ["^1.0.1"]
    config = ChangesetConfig(update_internal_dependencies="minor")
    plan = plan_releases(packages, [intent("x", ("core", "patch"), ("app", "patch"))], config)
    assert plan["app"].edits == []


def test_workspace_ranges() -> None:
    packages = [
        npm("core", "1.0.0"),
        npm("star", "1.0.0", dependencies={"core": "workspace:*"}),
        npm("caret", "1.0.0", dependencies={"core": "workspace:^"}),
        npm("explicit", "1.0.0", dependencies={"core": "workspace:^1.0.0"}),
    ]
    plan = plan_releases(packages, [intent("x", ("core", "major"))])
    assert versions(plan) == {
        "core": ("major", "2.0.0"),
        "star": ("patch", "1.0.1"),
        "caret": ("patch", "1.0.1"),
        "explicit": ("patch", "1.0.1"),
    }
    assert [e.new for e in plan["explicit"].edits] == ["workspace:^2.0.0"]
    assert plan["star"].edits == plan["caret"].edits == []  # pnpm writes those at pack


def test_fixed_groups_move_together_from_the_highest_version() -> None:
    packages = [npm("a", "1.0.0"), npm("b", "1.4.0"), npm("c", "0.1.0")]
    config = ChangesetConfig(fixed=(("a", "b"),))
    plan = plan_releases(packages, [intent("x", ("a", "minor"))], config)
    assert versions(plan) == {"a": ("minor", "1.5.0"), "b": ("minor", "1.5.0")}


def test_linked_groups_with_globs_align_released_members_only() -> None:
    packages = [npm("@s/a", "1.0.0"), npm("@s/b", "1.4.0"), npm("@s/c", "1.2.0")]
    config = ChangesetConfig(linked=(("@s/*",),))
    plan = plan_releases(
        packages, [intent("x", ("@s/a", "patch")), intent("y", ("@s/c", "minor"))], config
    )
    assert versions(plan) == {"@s/a": ("minor", "1.5.0"), "@s/c": ("minor", "1.5.0")}


def test_ignored_packages_are_not_released_but_their_ranges_follow() -> None:
    packages = [npm("a", "1.0.0"), npm("docs", "1.0.0", dependencies={"a": "1.0.0"})]
    config = ChangesetConfig(ignore=("docs",))
    plan = plan_releases(packages, [intent("x", ("a", "minor"))], config)
    assert versions(plan) == {"a": ("minor", "1.1.0"), "docs": ("none", "1.0.0")}
    assert [e.new for e in plan["docs"].edits] == ["1.1.0"]  # as changesets 2.31 does
    plan = plan_releases(packages, [intent("y", ("docs", "minor"))], config)
    assert plan == {}


def test_changesets_2_makes_peer_dependents_major() -> None:
    packages = [npm("core", "1.0.0"), npm("peer", "0.4.0", peerDependencies={"core": "^1.0.0"})]
    old = ChangesetConfig(peer_dependents_major=True)
    assert versions(plan_releases(packages, [intent("x", ("core", "minor"))], old)) == {
        "core": ("minor", "1.1.0"),
        "peer": ("major", "1.0.0"),
    }
    assert versions(plan_releases(packages, [intent("x", ("core", "patch"))], old)) == {
        "core": ("patch", "1.0.1"),
    }
    assert versions(plan_releases(packages, [intent("x", ("core", "minor"))])) == {
        "core": ("minor", "1.1.0"),  # changesets 3: in range, so not released
    }


def test_the_peer_rule_comes_from_the_declared_changesets(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        '{"devDependencies": {"@changesets/cli": "^2.29.4"}}', encoding="utf-8"
    )
    assert read_changeset_config(tmp_path).peer_dependents_major
    (tmp_path / "package.json").write_text(
        '{"devDependencies": {"@changesets/cli": "^3.0.3"}}', encoding="utf-8"
    )
    assert not read_changeset_config(tmp_path).peer_dependents_major


def test_a_follower_takes_its_leaders_version_and_pulls_it_along() -> None:
    packages = [
        npm("core", "1.2.0"),
        IntentPackage("ef-python", "1.2.0", "python", {}, "core"),
    ]
    plan = plan_releases(packages, [intent("x", ("core", "minor"))])
    assert versions(plan) == {"core": ("minor", "1.3.0"), "ef-python": ("minor", "1.3.0")}
    assert plan["ef-python"].reasons == ["released with core", "version follows core"]
    plan = plan_releases(packages, [intent("y", ("ef_python", "patch"))])  # a Python name
    assert versions(plan) == {"core": ("patch", "1.2.1"), "ef-python": ("patch", "1.2.1")}


def test_a_follower_of_a_linked_package_at_other_versions_ends_as_changesets_does() -> None:
    """Event-Forge at 2a42fa10: core in a linked group whose highest version (1.1.2) is not
    core's (1.1.0), and the Python package following core. The plan looped forever, the
    follower pair and the linked group setting core's old version in turn; changesets
    2.31.1 gives every linked package 1.2.0, and so does this."""
    ws = {"dependencies": {"@ef/core": "workspace:*"}}
    packages = [
        npm("@ef/core", "1.1.0"),
        npm("@ef/typeorm", "1.1.0", **ws),
        npm("@ef/rabbitmq", "1.1.2", **ws),
        IntentPackage("ef-python", "1.1.0", "python", {}, "@ef/core"),
    ]
    config = ChangesetConfig(linked=(("@ef/*",),))
    plan = plan_releases(packages, [intent("x", ("@ef/core", "minor"))], config)
    assert versions(plan) == {
        "@ef/core": ("minor", "1.2.0"),
        "@ef/typeorm": ("minor", "1.2.0"),
        "@ef/rabbitmq": ("minor", "1.2.0"),
        "ef-python": ("minor", "1.2.0"),
    }


def test_a_pre_release_is_finalized_as_changesets_does() -> None:
    """node-semver's inc, which changeset version uses: a pre-release whose part is at or
    below the bump is finalized (1.3.0-rc.1 + patch or minor -> 1.3.0), else the part moves
    on (1.3.1-rc.1 + minor -> 1.4.0). The expected values are what changeset version of
    @changesets/cli 2.31.1 wrote on a workspace of these packages; a Python member takes the
    same rule on its PEP 440 pre-release (1.3.0rc1 + patch -> 1.3.0, releasekit's own bump
    said 1.3.1)."""
    cases = {  # name: (version, part, changesets' new version)
        "a": ("1.3.0-rc.1", "patch", "1.3.0"),
        "b": ("1.3.0-rc.1", "minor", "1.3.0"),
        "c": ("1.3.0-rc.1", "major", "2.0.0"),
        "d": ("1.0.0-rc.1", "major", "1.0.0"),
        "e": ("1.3.1-rc.1", "minor", "1.4.0"),
        "f": ("1.3.1-rc.1", "patch", "1.3.1"),
        "g": ("2.0.0-beta.2", "minor", "2.0.0"),
        "k": ("0.2.0-alpha.0", "patch", "0.2.0"),
    }
    packages = [npm(n, normalized(v)) for n, (v, _, _) in cases.items()]
    packages.append(npm("h", "0.1.0", dependencies={"d": "1.0.0-rc.1", "a": "^1.3.0-rc.1"}))
    packages.append(IntentPackage("py", "1.3.0rc1", "python"))
    packages.append(IntentPackage("py-post", "1.3.0.post1", "python"))
    found = [intent(n, (n, part)) for n, (_, part, _) in cases.items()]
    found += [intent("py", ("py", "patch")), intent("py-post", ("py-post", "patch"))]
    plan = plan_releases(packages, found)
    assert {n: to_semver(r.new) for n, r in plan.items()} == {
        **{n: new for n, (_, _, new) in cases.items()},
        "h": "0.1.1",  # d's 1.0.0 leaves h's exact 1.0.0-rc.1
        "py": "1.3.0",
        "py-post": "1.3.1",  # a post-release is no pre-release: the patch moves on
    }
    assert [(e.name, e.new) for e in plan["h"].edits] == [("d", "1.0.0"), ("a", "^1.3.0")]


def test_an_unknown_package_names_the_file() -> None:
    with pytest.raises(ConfigError) as caught:
        plan_releases([npm("a", "1.0.0")], [intent("oops", ("b", "minor"))])
    assert caught.value.message == "/r/.changeset/oops.md: no package named 'b'"
    assert caught.value.hint == "packages here: a"


# --- changelogs --------------------------------------------------------------------------------


def test_entry_groups_like_changesets_with_commits_and_dependencies() -> None:
    packages = [npm("core", "1.0.0"), npm("app", "1.0.0", dependencies={"core": "1.0.0"})]
    feature = intent("f", ("core", "minor"), summary="New thing\nsecond line")
    fix = intent("g", ("core", "patch"), ("app", "patch"), summary="Fix")
    plan = plan_releases(packages, [feature, fix])
    commits = {feature.path: "abc1234"}
    assert changelog_entry(plan["core"], plan, commits=commits) == [
        ("Minor Changes", "- abc1234: New thing\n  second line"),
        ("Patch Changes", "- Fix"),
    ]
    assert changelog_entry(plan["app"], plan, packages[1], commits=commits) == [
        ("Patch Changes", "- Fix\n- Updated dependencies [abc1234]\n- Updated dependencies\n"
         "  - core@1.1.0"),
    ]  # fmt: skip


def test_entry_of_a_package_with_no_change_of_its_own_says_why() -> None:
    packages = [npm("core", "1.0.0"), IntentPackage("py", "1.0.0", "python", {}, "core")]
    plan = plan_releases(packages, [intent("x", ("core", "patch"))])
    assert changelog_entry(plan["py"], plan) == [
        ("Patch Changes", "- Released with core; version follows core")
    ]


def test_towncrier_entries_keep_their_titles_and_issues() -> None:
    fragment = Intent(Path("/n/12.feature.md"), (("demo", "minor"),), "New.", "Features", "12")
    plan = plan_releases([IntentPackage("demo", "1.0.0", "python")], [fragment])
    assert changelog_entry(plan["demo"], plan) == [("Features", "- New. (#12)")]


def test_insert_section_copies_the_newest_heading() -> None:
    old = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-02\n\n- First.\n"
    text = insert_section(old, "1.1.0", [("Minor Changes", "- New.")], date="2026-12-08")
    assert text == (
        "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-12-08\n\n### Minor Changes\n\n"
        "- New.\n\n## [1.0.0] - 2026-01-02\n\n- First.\n"
    )
    assert find_section(text, "1.1.0") == "### Minor Changes\n\n- New."
    bare = insert_section("# pkg\n\n## 1.0.0\n\n- a\n", "1.0.1", [("Patch Changes", "- b")])
    assert bare.startswith("# pkg\n\n## 1.0.1\n\n### Patch Changes\n\n- b\n\n## 1.0.0\n")


def test_insert_section_in_a_new_file_and_in_rst() -> None:
    assert insert_section("# @s/a\n", "1.0.0", [("Patch Changes", "- x")]) == (
        "# @s/a\n\n## 1.0.0\n\n### Patch Changes\n\n- x\n"
    )
    rst = "Changes\n=======\n\n.. towncrier release notes start\n\n1.0 (2026-01-01)\n----\n\n- a\n"
    text = insert_section(rst, "1.1", [("Features", "- b")], rst=True, date="2026-12-08")
    assert "start\n\n1.1 (2026-12-08)\n----------------\n\nFeatures\n~~~~~~~~\n\n- b\n\n1.0" in text
    assert find_section(text, "1.1") is not None


def test_edit_json_changes_one_string_and_nothing_else() -> None:
    text = '{\n  "name": "a",\n  "dependencies": {"core": "^1.0.0", "x": "1"},\n' \
        '  "devDependencies": {\n    "core": "^1.0.0"\n  }\n}\n'  # fmt: skip
    edited = _edit_json(text, ["devDependencies", "core"], "^1.1.0")
    assert edited == text.replace('"core": "^1.0.0"\n', '"core": "^1.1.0"\n')


def test_edit_json_takes_the_last_of_a_duplicated_key_as_json_parse_does() -> None:
    """npm (JSON.parse) and the plan (json.loads) read the last "core" and the last
    "dependencies"; the edit took the first, leaving the range npm reads as it was."""
    text = '{"dependencies": {"core": "1.0.0"},\n "dependencies": {"core": "^0.9.0", ' \
        '"core": "^1.0.0"}}\n'  # fmt: skip
    edited = _edit_json(text, ["dependencies", "core"], "^1.1.0")
    assert json.loads(edited)["dependencies"]["core"] == "^1.1.0"
    assert edited == text.replace('"^1.0.0"', '"^1.1.0"')
    with pytest.raises(ConfigError) as caught:
        _edit_json(text, ["devDependencies", "core"], "^1.1.0")
    assert caught.value.message == "package.json has no devDependencies.core to update"


def test_dependency_list_as_changesets_2_31_writes_it() -> None:
    """Checked against @changesets/cli 2.31.1 on the same workspace: a workspace:* dependency
    is listed (its range stays), and a dependency released with no changeset of its own
    gives the list without an "Updated dependencies" line."""
    packages = [
        npm("core", "1.2.0"),
        npm("peer", "0.4.0", peerDependencies={"core": "1.2.0"}),
        npm("ws", "0.1.0", dependencies={"core": "workspace:*"}),
        npm("on-peer", "2.0.0", dependencies={"peer": "^0.4.0"}),
    ]
    config = ChangesetConfig(peer_dependents_major=True)
    one = intent("aaa", ("core", "minor"))
    plan = plan_releases(packages, [one], config)
    assert versions(plan) == {
        "core": ("minor", "1.3.0"),
        "peer": ("major", "1.0.0"),
        "ws": ("patch", "0.1.1"),
        "on-peer": ("patch", "2.0.1"),
    }
    commits = {one.path: "3e91c95"}
    entry = changelog_entry(plan["ws"], plan, packages[2], commits=commits, config=config)
    assert entry == [("Patch Changes", "- Updated dependencies [3e91c95]\n  - core@1.3.0")]
    assert plan["ws"].edits == []
    entry = changelog_entry(plan["on-peer"], plan, packages[3], commits=commits, config=config)
    assert entry == [("Patch Changes", "- peer@1.0.0")]

"""The tag prefix learned from a repository's tags: the pure rules of
:func:`releasekit.core.tagprefix.learn_tag_prefix`, without git."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.core.git import own_prefix
from releasekit.core.tagprefix import TagEvidence, evidence, learn_tag_prefix, split_tag

HATCH_TAGS = ("0.23.0", "hatchling-v1.27.0", "hatch-v1.17.0", "hatch-v1.18.0", "hatchling-v1.28.0")


@pytest.mark.parametrize(
    ("tag", "split"),
    [
        ("hatch-v1.18.0", ("hatch-v", "1.18.0")),
        ("v1.2", ("v", "1.2")),
        ("1.0.0-rc.1", ("", "1.0.0rc1")),
        ("py-v2.0.0", ("py-v", "2.0.0")),
        ("nightly", None),
        ("build-7z", None),
    ],
)
def test_split_tag(tag: str, split: tuple[str, str] | None) -> None:
    assert split_tag(tag) == split


def test_a_tag_naming_the_version_at_head_is_the_strongest_evidence() -> None:
    found = learn_tag_prefix(HATCH_TAGS, TagEvidence(version="1.18.0"), at_head=["hatch-v1.18.0"])
    assert found == "hatch-v"
    # hatchling's version names its own tag, anywhere in the history
    assert learn_tag_prefix(HATCH_TAGS, TagEvidence(version="1.28.0")) == "hatchling-v"


def test_the_plugins_match_and_the_tag_it_counts_from() -> None:
    assert learn_tag_prefix(HATCH_TAGS, TagEvidence(match="hatch-v")) == "hatch-v"
    dynamic = TagEvidence(from_tags=True)
    assert learn_tag_prefix(HATCH_TAGS, dynamic, nearest="hatch-v1.18.0") == "hatch-v"
    # the nearest tag counts only for a version from git tags: elsewhere it is no evidence
    assert learn_tag_prefix(HATCH_TAGS, TagEvidence(), nearest="hatch-v1.18.0") == ""


@pytest.mark.parametrize(
    ("tags", "style"),
    [
        ((), None),
        (("nightly", "api-v2.0.0"), None),  # another form, and nothing says it is this one's
        (("v1.0.0", "v1.1.0"), "v"),
        (("v0.9.0", "1.0.0"), ""),  # the newest release decides
        (("1.10.0", "v1.9.0"), ""),
    ],
)
def test_without_evidence_the_default_form_speaks(tags: tuple[str, ...], style: str | None) -> None:
    assert learn_tag_prefix(tags, TagEvidence()) == style


def test_a_workspace_members_prefix_is_never_the_root_projects() -> None:
    members = TagEvidence(version="0.1.0", from_tags=True, others=frozenset({"js-sdk-v"}))
    tags = ("js-sdk-v0.1.0",)
    assert learn_tag_prefix(tags, members, at_head=tags, nearest="js-sdk-v0.1.0") is None


def test_two_forms_naming_the_version_say_nothing_of_their_own() -> None:
    both = TagEvidence(version="1.0.0")
    assert learn_tag_prefix(("a-v1.0.0", "b-v1.0.0", "v0.9.0"), both) == "v"


def test_own_prefix_is_a_tag_naming_the_build_version() -> None:
    assert own_prefix(["", "hatch-v1.18.0"], "1.18.0") == "hatch-v"
    assert own_prefix(["hatch-v1.17.0"], "1.18.0") is None
    assert own_prefix(["v1.18.0", "1.18.0"], "1.18.0") is None  # the default form: no prefix


def test_evidence_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
        'build-backend = "hatchling.build"\n'
        '[project]\nname = "hatch"\ndynamic = ["version"]\n'
        '[tool.hatch.version]\nsource = "vcs"\n'
        "[tool.hatch.version.raw-options]\n"
        'git_describe_command = ["git", "describe", "--dirty", "--tags", "--long", '
        '"--match", "hatch-v*"]\n'
        '[tool.releasekit]\nmembers = [{ path = "js", tag-prefix = "js-v" }, "backend"]\n',
        encoding="utf-8",
    )
    assert evidence(tmp_path) == TagEvidence(
        None, "hatch-v", True, frozenset({"js-v", "backend-v"})
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "tomlkit"\nversion = "0.15.1"\n', encoding="utf-8"
    )
    assert evidence(tmp_path) == TagEvidence("0.15.1", None, False, frozenset())
    assert evidence(tmp_path, "0.16.0").version == "0.16.0"  # a computed version wins

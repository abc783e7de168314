"""A tag prefix of the project's own (pypa/hatch tags ``hatch-v1.18.0``), learned from real
git repositories in tmp dirs without ``tag-prefix``: the tag at HEAD, the last release tag,
the next tag, init's advice and CI globs; and init offering the files that carry a
``[tool.poetry]`` version."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.cli import init_advice, main
from releasekit.cli.init import write_ci
from releasekit.core import git
from releasekit.core.config import load_config
from releasekit.errors import TagError, VersionError
from releasekit.project.vcsversion import next_release
from tests.helpers.projects import Project, write_project

HATCH_VCS = """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "hatch"
dynamic = ["version"]

[tool.hatch.version]
source = "vcs"
"""


def repo(tmp_path: Path, pyproject: str, name: str = "demo") -> Project:
    project = Project(tmp_path / name, name)
    project.path.mkdir()
    project.git("init", "-q", "-b", "main")
    project.write("pyproject.toml", pyproject)
    project.commit("initial")
    return project


def hatch_like(tmp_path: Path, pyproject: str = HATCH_VCS) -> Project:
    """pypa/hatch's tags: two old ones without a prefix, hatchling's and hatch's own."""
    project = repo(tmp_path, pyproject, "hatch")
    project.tag("0.23.0")
    project.commit("backend")
    project.tag("hatchling-v1.28.0")
    project.commit("release")
    project.tag("hatch-v1.18.0")
    return project


def test_a_version_from_git_tags_learns_the_prefix_of_the_tag_it_counts_from(
    tmp_path: Path,
) -> None:
    project = hatch_like(tmp_path)
    root = project.path

    assert git.tag_style(root) == "hatch-v"
    assert git.tag_prefix(root, None) == "hatch-v"
    assert git.new_tag_prefix(root, None) == "hatch-v"
    found = git.release_tag(root, git.tag_prefix(root, None), {})
    assert found is not None and (found.name, found.version) == ("hatch-v1.18.0", "1.18.0")
    assert git.tag_prefix(root, "v") == "v"  # tag-prefix, when set, wins

    project.commit("one past the tag")
    assert git.release_tag(root, git.tag_prefix(root, None), {}) is None
    upcoming = next_release(load_config(root), None)
    assert upcoming.version == "1.18.1"
    assert "hatch-v1.18.0" in upcoming.reason


def test_the_plugins_match_names_the_prefix_before_any_tag_of_it(tmp_path: Path) -> None:
    pyproject = HATCH_VCS + (
        "[tool.hatch.version.raw-options]\n"
        'git_describe_command = ["git", "describe", "--tags", "--long", "--match", "hatch-v*"]\n'
    )
    project = repo(tmp_path, pyproject, "hatch")
    project.tag("hatchling-v1.28.0")  # nearer, but not what hatch-vcs counts from
    assert git.new_tag_prefix(project.path, None) == "hatch-v"


def test_a_configured_prefix_that_misses_the_tag_at_head_is_named_in_the_hint(
    tmp_path: Path,
) -> None:
    project = repo(tmp_path, HATCH_VCS + '\n[tool.releasekit]\ntag-prefix = "v"\n', "hatch")
    project.tag("hatch-v1.18.0")

    with pytest.raises(VersionError) as caught:
        next_release(load_config(project.path), None)

    assert "no release tag yet and no changelog section" in caught.value.message
    assert caught.value.hint.startswith(
        "HEAD is tagged hatch-v1.18.0: if that is this project's release tag, set "
        'tag-prefix = "hatch-v"'
    )


def test_a_static_version_is_matched_bumped_and_tagged_with_its_own_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = repo(tmp_path, '[project]\nname = "pkg"\nversion = "1.0.0"\n', "pkg")
    project.tag("lib-v0.9.0")  # another package of the repository, older
    project.commit("release 1.0.0")
    project.tag("pkg-v1.0.0")

    assert main(["-C", str(project.path), "version"]) == 0
    out = capsys.readouterr().out
    assert "tag:     pkg-v1.0.0 (from git tag at HEAD) matches" in out

    assert main(["-C", str(project.path), "bump", "patch", "--tag"]) == 0
    out = capsys.readouterr().out
    assert "tagged pkg-v1.0.1" in out
    assert project.git("tag", "--points-at", "HEAD") == "pkg-v1.0.1"


def test_a_workspace_members_tags_teach_the_root_nothing(tmp_path: Path) -> None:
    pyproject = (
        HATCH_VCS
        + '\n[tool.releasekit]\nmembers = [{ path = "js-sdk", tag-prefix = "js-sdk-v" }]\n'
    )
    project = repo(tmp_path, pyproject, "pixel")
    project.tag("js-sdk-v0.1.0")
    assert git.tag_style(project.path) is None
    assert git.new_tag_prefix(project.path, None) is None
    project.tag("0.5.0")
    assert git.new_tag_prefix(project.path, None) == ""


def test_init_advises_and_writes_ci_for_the_learned_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = hatch_like(tmp_path)

    assert main(["-C", str(project.path), "init"]) == 0
    out = capsys.readouterr().out
    assert "release by tagging the commit (git tag hatch-v1.2.3)" in out

    lines = write_ci(project.path, "github")
    workflow = (project.path / ".github" / "workflows" / "release.yml").read_text()
    assert 'tags: ["hatch-v*"]' in workflow
    assert "startsWith(github.event.release.tag_name, 'hatch-v')" in workflow
    assert any("release on tags hatch-v*" in line for line in lines)


def test_init_offers_the_files_that_carry_a_tool_poetry_version(tmp_path: Path) -> None:
    """python-poetry/tomlkit 0.15.1: [tool.poetry] only, __version__ in tomlkit/__init__.py."""
    (tmp_path / "tomlkit").mkdir()
    (tmp_path / "tomlkit" / "__init__.py").write_text('__version__ = "0.15.1"\n')
    data = {"tool": {"poetry": {"name": "tomlkit", "version": "0.15.1"}}}
    assert init_advice.version_files_step(tmp_path, data) == [
        "next: tomlkit/__init__.py carries the version too: set [tool.releasekit] "
        'version-files = ["pyproject.toml", "tomlkit/__init__.py"]'
    ]
    (tmp_path / "tomlkit" / "__init__.py").write_text('__version__ = "0.15.0"\n')
    assert init_advice.version_files_step(tmp_path, data)[1].startswith(
        "note: tomlkit/__init__.py says 0.15.0, but pyproject.toml says 0.15.1"
    )


@pytest.mark.parametrize(
    ("tool", "truth"),
    [
        (
            {"pdm": {"version": {"source": "file", "path": "src/pkg/__init__.py"}}},
            "src/pkg/__init__.py",
        ),
        (
            {"setuptools": {"dynamic": {"version": {"attr": "pkg.__version__"}}}},
            "src/pkg/__init__.py",
        ),
    ],
)
def test_init_offers_the_other_files_of_a_version_a_backend_reads_from_a_module(
    tmp_path: Path, tool: dict[str, object], truth: str
) -> None:
    for path in ("src/pkg/__init__.py", "src/pkg/_version.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text('__version__ = "2.0.0"\n')
    data = {"project": {"name": "pkg", "dynamic": ["version"]}, "tool": tool}
    assert init_advice.version_files_step(tmp_path, data) == [
        f"next: src/pkg/_version.py carries the version too: set [tool.releasekit] "
        f'version-files = ["{truth}", "src/pkg/_version.py"]'
    ]


def test_one_commit_past_a_static_versions_tag_says_the_version_must_move_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pallets/click one commit past 8.5.0: not "would be released by tag 8.5.0"."""
    project = repo(tmp_path, '[project]\nname = "click"\nversion = "8.5.0"\n', "click")
    project.tag("8.5.0", annotated=True)
    tagged = project.git("rev-parse", "HEAD")
    project.commit("one past the release")

    assert main(["-C", str(project.path), "version"]) == 0
    out = capsys.readouterr().out
    assert (
        f"tag:     8.5.0 exists on another commit ({tagged[:12]}): 8.5.0 is released there, "
        "so this commit's version must move on: releasekit bump patch"
    ) in out
    assert git.released_elsewhere(project.path, "v", "8.5.0") is None  # not v8.5.0's form

    project.git("tag", "-d", "8.5.0")
    assert main(["-C", str(project.path), "version"]) == 0
    assert "tag:     v8.5.0 (not created yet)" in capsys.readouterr().out  # no tags: v


def build_wheel(project: Project) -> Path:
    """The project's wheel, built in this process (releasekit's hook runs in it)."""
    from hatchling.builders.wheel import WheelBuilder

    (artifact,) = WheelBuilder(str(project.path)).build(
        directory=str(project.path.parent / "dist"), versions=["standard"]
    )
    return Path(artifact)


def test_the_build_hook_takes_a_tag_of_its_own_form_that_names_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tag job of a project tagged demo-v1.2.0 (RELEASEKIT_REQUIRE_TAG=1, and the tag
    that releasekit's build hands the hook), with no tag-prefix."""
    project = write_project(tmp_path / "demo")
    monkeypatch.setenv("RELEASEKIT_REQUIRE_TAG", "1")
    project.tag("demo-v1.2.0")
    assert build_wheel(project).name == "demo-1.2.0-py3-none-any.whl"
    monkeypatch.setenv("RELEASEKIT_TAG", "demo-v1.2.0")
    assert build_wheel(project).name == "demo-1.2.0-py3-none-any.whl"

    project.git("tag", "-d", "demo-v1.2.0")
    project.tag("demo-v1.2.1")  # names another version: not taken for this one's tag
    monkeypatch.delenv("RELEASEKIT_TAG")
    with pytest.raises(TagError, match="no release tag at HEAD"):
        build_wheel(project)

"""The last mile on the command line: bump with commit, tag and push; notes; init --ci.

Real git: a project repository whose upstream is a real bare repository in a tmp dir.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.cli import main
from tests.helpers.projects import Project, run, write_project

CHANGELOG = """# Changelog

## [1.3.0] - 2026-11-22

- Shiny new thing.

## [1.2.0] - 2026-01-02

- Old thing.
"""


def cli(capsys: pytest.CaptureFixture[str], project: Project, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(project.path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project at 1.2.0 with two version files, a changelog, and a bare upstream."""
    project = write_project(
        tmp_path / "demo",
        releasekit_table=(
            '[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo/__init__.py"]\n'
        ),
    )
    project.write(
        "CHANGELOG.md", CHANGELOG.replace("## [1.3.0] - 2026-11-22\n\n- Shiny new thing.\n\n", "")
    )
    project.commit("changelog")
    remote = tmp_path / "remote.git"
    run("git", "init", "-q", "--bare", "-b", "main", remote)
    project.git("remote", "add", "origin", str(remote))
    project.git("push", "-q", "--set-upstream", "origin", "main")
    return project


def remote_git(project: Project, *args: str) -> str:
    remote = project.path.parent / "remote.git"
    return run("git", "--git-dir", remote, *args).stdout.strip()


def test_bump_commit_tag_push(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("CHANGELOG.md", CHANGELOG)  # the maintainer wrote the notes
    code, out, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "1.2.0 -> 1.3.0"
    assert lines[3].startswith("  committed ") and lines[3].endswith(
        ": pyproject.toml, src/demo/__init__.py, CHANGELOG.md"
    )
    assert lines[4:] == ["  tagged v1.3.0", "  pushed main and v1.3.0 to origin"]
    assert project.git("status", "--porcelain") == ""
    assert project.git("log", "-1", "--format=%s") == "Release 1.3.0"
    changed = project.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(changed) == ["CHANGELOG.md", "pyproject.toml", "src/demo/__init__.py"]
    assert project.git("cat-file", "-t", "v1.3.0") == "tag"  # annotated
    assert project.git("tag", "-l", "--format=%(contents)", "v1.3.0").strip() == (
        "Release 1.3.0\n\n- Shiny new thing."
    )
    assert remote_git(project, "rev-parse", "main") == project.git("rev-parse", "HEAD")
    assert remote_git(project, "rev-parse", "v1.3.0^{commit}") == project.git("rev-parse", "HEAD")


def test_bump_commit_only(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = cli(capsys, project, "bump", "patch", "--commit")
    assert code == 0
    assert project.git("log", "-1", "--format=%s") == "Bump version to 1.2.1"
    assert project.git("tag", "-l") == ""
    assert remote_git(project, "rev-parse", "main") != project.git("rev-parse", "HEAD")


@pytest.mark.parametrize(
    ("setup", "args", "message", "hint"),
    [
        (
            lambda p: p.write("README.md", "edited\n"),
            ["--commit"],
            "other tracked files have uncommitted changes: README.md",
            "commit or stash them first",
        ),
        (
            lambda p: p.git("tag", "v1.3.0"),
            ["--tag"],
            "tag v1.3.0 already exists",
            "git tag -d v1.3.0",
        ),
        (
            lambda p: p.git("checkout", "-q", "--detach"),
            ["--commit"],
            "HEAD is detached: the release commit would belong to no branch",
            "git switch main",
        ),
        (
            lambda p: p.git("branch", "--unset-upstream"),
            ["--push"],
            "the current branch has no upstream to push to",
            "git push --set-upstream origin",
        ),
    ],
    ids=["dirty", "tag exists", "detached", "no upstream"],
)
def test_bump_refuses_with_nothing_changed(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    setup: object,
    args: list[str],
    message: str,
    hint: str,
) -> None:
    (project.path / "README.md").write_text("hello\n", encoding="utf-8")
    project.commit("readme")
    setup(project)  # type: ignore[operator]
    before = {
        p: p.read_bytes() for p in project.path.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    head = project.git("rev-parse", "HEAD")
    code, _, err = cli(capsys, project, "bump", "minor", *args)
    assert code == 1
    assert err.splitlines()[0] == f"releasekit: {message}"
    assert hint in err.splitlines()[1]
    after = {
        p: p.read_bytes() for p in project.path.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    assert after == before
    assert project.git("rev-parse", "HEAD") == head


def test_bump_writes_where_hatch_keeps_the_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No version-files: [tool.hatch.version] path, as `hatch version` writes it."""
    project = write_project(tmp_path / "demo", version_source="regex")
    code, out, err = cli(capsys, project, "bump", "minor,dev")
    assert code == 0, err
    assert out.splitlines()[:2] == ["1.2.0 -> 1.3.0.dev0", "  wrote src/demo/__init__.py"]
    assert '__version__ = "1.3.0.dev0"' in (project.path / "src/demo/__init__.py").read_text()


def test_notes(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("CHANGELOG.md", CHANGELOG)
    assert cli(capsys, project, "notes", "1.3.0")[:2] == (0, "- Shiny new thing.\n")
    assert cli(capsys, project, "notes")[:2] == (0, "- Old thing.\n")  # the current version
    assert cli(capsys, project, "notes", "1.3.0rc1")[:2] == (0, "- Shiny new thing.\n")
    code, _, err = cli(capsys, project, "notes", "2.0.0")
    assert code == 1
    assert err.splitlines() == [
        "releasekit: CHANGELOG.md has no section for 2.0.0",
        "  hint: add a heading such as `## [2.0.0] - YYYY-MM-DD`",
    ]


def test_init_ci_writes_the_workflows_once(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, project, "init", "--ci", "github")
    assert code == 0, err
    assert ".github/workflows/release.yml: written from releasekit's template" in out
    assert ".github/workflows/rehearse.yml: written from releasekit's template" in out
    release = (project.path / ".github/workflows/release.yml").read_text()
    repo_template = Path(__file__).resolve().parents[2] / "templates/github/release.yml"
    assert release == repo_template.read_text()
    code, out, _ = cli(capsys, project, "init", "--ci", "github")
    assert "github CI: unchanged" in out

    (project.path / ".gitlab-ci.yml").write_text("stages: [test]\n")
    code, _, err = cli(capsys, project, "init", "--ci", "gitlab")
    assert code == 1
    assert "releasekit: .gitlab-ci.yml exists and is not releasekit's template" in err
    assert (project.path / ".gitlab-ci.yml").read_text() == "stages: [test]\n"


def test_yank_prints_each_index_page_and_marks_the_github_release(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("githubkit")
    from tests.helpers.github_fake import FakeGitHub

    token = "ghs_" + "y" * 36
    with FakeGitHub(token) as fake:
        fake.add_release("v1.2.0", name="v1.2.0", body="- Old thing.")
        monkeypatch.setenv("GITHUB_TOKEN", token)
        monkeypatch.setenv("GITHUB_REPOSITORY", f"{fake.owner}/{fake.repo}")
        monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
        code, out, err = cli(capsys, project, "yank", "1.2.0", "--reason", "breaks imports")
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0] == (
            'yanking demo 1.2.0 with the reason "breaks imports": nothing is deleted; installs '
            "that pin it still work"
        )
        assert lines[1].startswith(
            "  test: open https://test.pypi.org/manage/project/demo/release/1.2.0/ and choose"
        )
        assert lines[2].startswith(
            "  prod: open https://pypi.org/manage/project/demo/release/1.2.0/ and choose"
        )
        assert lines[3].endswith("marked [YANKED], the reason first in its notes")
        release = fake.release_for("v1.2.0")
        assert release is not None
        assert release.name == "[YANKED] v1.2.0"
        assert release.body == "**Yanked:** breaks imports\n\n- Old thing."
        assert token not in out + err
        cli(capsys, project, "yank", "1.2.0", "--reason", "breaks imports")  # idempotent
        assert release.name == "[YANKED] v1.2.0" and len(fake.writes()) == 1
        assert fake.schema_errors == []


# -- the project's own tag style ---------------------------------------------------------------


def test_bump_tags_as_the_project_spells_its_tags(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """filelock, structlog, httpx: release tags without a `v`. With no tag-prefix set, a
    new tag is spelled as the newest release tag is, not `v1.3.0`."""
    project.git("tag", "v0.9.0", "HEAD~1")  # an older style, long ago
    project.git("tag", "1.2.0")
    project.write("CHANGELOG.md", CHANGELOG)
    code, out, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 0, err
    assert out.splitlines()[4:] == ["  tagged 1.3.0", "  pushed main and 1.3.0 to origin"]
    assert project.git("tag", "-l", "v1.3.0") == ""
    code, out, _ = cli(capsys, project, "version")
    assert "  tag:     1.3.0 (from git tag at HEAD) matches" in out


def test_version_suggests_the_tag_in_the_project_s_style(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.git("tag", "1.1.0", "HEAD~1")
    code, out, _ = cli(capsys, project, "version")
    assert code == 0
    assert "  tag:     1.2.0 (not created yet)" in out


def test_init_ci_fires_on_the_project_s_tags(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    from ruamel.yaml import YAML

    project.git("tag", "1.1.0", "HEAD~1")
    code, out, err = cli(capsys, project, "init", "--ci", "github")
    assert code == 0, err
    assert "the workflows release on tags [0-9]* (tag-prefix, or how this repository" in out
    release = (project.path / ".github/workflows/release.yml").read_text()
    assert 'tags: ["[0-9]*"]' in release and 'tags: ["v*"]' not in release
    assert "startsWith(github.event.release.tag_name, '')" in release
    assert YAML(typ="safe").load(release)["on"]["push"]["tags"] == ["[0-9]*"]
    code, out, err = cli(capsys, project, "init", "--ci", "gitlab")
    assert code == 0, err
    gitlab = (project.path / ".gitlab-ci.yml").read_text()
    assert "$CI_COMMIT_TAG =~ /^[0-9]/" in gitlab and "$CI_COMMIT_TAG =~ /^v/" not in gitlab


def test_a_configured_tag_prefix_wins_over_the_repository_s_style(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.releasekit]\n", '[tool.releasekit]\ntag-prefix = "demo-v"\n'
        )
    )
    project.commit("tag-prefix")
    project.git("tag", "1.1.0", "HEAD~1")
    code, out, err = cli(capsys, project, "init", "--ci", "github")
    assert code == 0, err
    assert "the workflows release on tags demo-v*" in out
    release = (project.path / ".github/workflows/release.yml").read_text()
    assert 'tags: ["demo-v*"]' in release
    assert "startsWith(github.event.release.tag_name, 'demo-v')" in release

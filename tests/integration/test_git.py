"""Integration tests of releasekit.core.git against real repositories made in tmp dirs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.core.git import (
    DirtyCheck,
    ReleaseTag,
    clean_checkout,
    commit_timestamp,
    describe,
    dirty_files,
    head_commit,
    is_dirty,
    is_repository,
    is_shallow,
    new_tag_prefix,
    release_tag,
    tag_style,
    uncommitted_digest,
)
from releasekit.errors import BuildError, TagError

TAG_VARS = (
    "RELEASEKIT_TAG",
    "GITHUB_REF",
    "GITHUB_REF_TYPE",
    "GITHUB_REF_NAME",
    "CI_COMMIT_TAG",
    "CIRCLE_TAG",
    "BUILDKITE_TAG",
)
REPO_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX")
COMMIT_DATE = 1_700_000_000  # 2023-11-14T22:13:20Z


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Neither the CI's tag variables nor the user's git config may reach these tests."""
    for var in (*TAG_VARS, *REPO_VARS):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)  # no gpg signing, no hooksPath, ...
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # tmp may sit inside a repo
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Release Tester")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "tester@example.invalid")
        monkeypatch.setenv(f"GIT_{who}_DATE", f"@{COMMIT_DATE} +0000")
    yield


def git(cwd: Path, *args: str, **env: str) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def commit(repo: Path, name: str = "README.md", text: str = "hello\n", **env: str) -> str:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"change {name}", **env)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one commit."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path)
    return path


@pytest.fixture
def no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH holds only an empty directory: no git to run."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# --- release_tag -----------------------------------------------------------------------------


def test_lightweight_tag_at_head(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    assert release_tag(repo, None, {}) == ReleaseTag("v1.2.0", "1.2.0", "git tag at HEAD")


def test_annotated_tag_at_head(repo: Path) -> None:
    git(repo, "tag", "-a", "v1.3.0rc1", "-m", "release candidate")
    assert release_tag(repo, None, {}) == ReleaseTag("v1.3.0rc1", "1.3.0rc1", "git tag at HEAD")


def test_semver_spelled_tag_is_normalized(repo: Path) -> None:
    git(repo, "tag", "v2.0.0-beta.1")
    assert release_tag(repo, None, {}) == ReleaseTag("v2.0.0-beta.1", "2.0.0b1", "git tag at HEAD")


def test_tag_on_an_older_commit_is_not_this_release(repo: Path) -> None:
    git(repo, "tag", "v1.0.0")
    commit(repo, text="more\n")
    assert release_tag(repo, None, {}) is None


def test_no_tag_is_none(repo: Path) -> None:
    assert release_tag(repo, None, {}) is None


def test_non_release_tags_at_head_are_ignored(repo: Path) -> None:
    for name in ("latest", "nightly", "release-x9", "v1.x"):
        git(repo, "tag", name)
    assert release_tag(repo, None, {}) is None
    git(repo, "tag", "v1.4.0")
    assert release_tag(repo, None, {}) == ReleaseTag("v1.4.0", "1.4.0", "git tag at HEAD")


def test_two_release_tags_with_different_versions(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    git(repo, "tag", "-a", "v1.3.0", "-m", "oops")
    with pytest.raises(TagError) as exc:
        release_tag(repo, None, {})
    assert "v1.2.0" in exc.value.message
    assert "v1.3.0" in exc.value.message
    assert "\n" not in exc.value.message
    assert "git tag -d" in exc.value.hint


def test_two_tags_for_the_same_version(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    git(repo, "tag", "1.2.0")
    found = release_tag(repo, None, {})
    assert found is not None
    assert found.version == "1.2.0"
    assert found.name in ("v1.2.0", "1.2.0")
    assert found.source == "git tag at HEAD"


def test_monorepo_prefix(repo: Path) -> None:
    package = repo / "api"
    commit(repo, "api/pyproject.toml", "[project]\n")
    git(repo, "tag", "web-v2.0.0")
    git(repo, "tag", "v9.0.0")
    assert release_tag(package, "api-v", {}) is None
    git(repo, "tag", "api-v1.2.0")
    expected = ReleaseTag("api-v1.2.0", "1.2.0", "git tag at HEAD")
    assert release_tag(package, "api-v", {}) == expected
    # the web package's tag in CI is not this package's: fall through to the tags at HEAD
    env = {"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "web-v2.0.0"}
    assert release_tag(package, "api-v", env) == expected
    # two packages released from one commit do not conflict with each other
    git(repo, "tag", "web-v2.0.1")
    assert release_tag(package, "api-v", {}) == expected


def test_environment_wins_over_git(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    env = {"CI_COMMIT_TAG": "v1.2.0"}
    assert release_tag(repo, None, env) == ReleaseTag("v1.2.0", "1.2.0", "CI_COMMIT_TAG")
    env = {"RELEASEKIT_TAG": "v1.5.0"}
    assert release_tag(repo, None, env) == ReleaseTag("v1.5.0", "1.5.0", "RELEASEKIT_TAG")
    with pytest.raises(TagError):
        release_tag(repo, None, {"RELEASEKIT_TAG": "latest"})


def test_release_tag_reads_os_environ_by_default(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "tag", "v1.2.0")
    assert release_tag(repo, None) == ReleaseTag("v1.2.0", "1.2.0", "git tag at HEAD")
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v1.2.0")
    assert release_tag(repo, None) == ReleaseTag("v1.2.0", "1.2.0", "GITHUB_REF")


def test_inherited_git_dir_does_not_redirect_queries(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A git hook exports GIT_DIR; the question is still about ``root``."""
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    commit(other)
    git(other, "tag", "v9.9.9")
    git(repo, "tag", "v1.2.0")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert release_tag(repo, None, {}) == ReleaseTag("v1.2.0", "1.2.0", "git tag at HEAD")


# --- outside a repository, and without git ---------------------------------------------------


def test_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "README.md").write_text("hi\n", encoding="utf-8")
    assert release_tag(plain, None, {}) is None
    assert is_repository(plain) is False
    assert is_dirty(plain) is None
    assert dirty_files(plain) == []
    assert is_shallow(plain) is False
    assert head_commit(plain) is None
    assert commit_timestamp(plain) is None
    with pytest.raises(BuildError) as exc, clean_checkout(plain):
        pass
    assert "not a git repository" in exc.value.message
    assert str(plain) in exc.value.message
    assert exc.value.hint


def test_git_missing(repo: Path, tmp_path: Path, no_git: None) -> None:
    git_tag_would_be_found = repo / ".git"
    assert git_tag_would_be_found.is_dir()
    assert release_tag(repo, None, {}) is None
    assert release_tag(repo, None, {"CIRCLE_TAG": "v1.0.0"}) == ReleaseTag(
        "v1.0.0", "1.0.0", "CIRCLE_TAG"
    )
    assert is_repository(repo) is False
    assert is_dirty(repo) is None
    assert dirty_files(repo) == []
    assert is_shallow(repo) is False
    assert head_commit(repo) is None
    assert commit_timestamp(repo) is None
    with pytest.raises(BuildError) as exc, clean_checkout(repo):
        pass
    assert "git is not installed" in exc.value.message
    assert exc.value.hint


def test_repository_without_commits(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    assert is_repository(empty) is True
    assert head_commit(empty) is None
    assert commit_timestamp(empty) is None
    assert release_tag(empty, None, {}) is None
    assert is_shallow(empty) is False
    with pytest.raises(BuildError) as exc, clean_checkout(empty):
        pass
    assert "no commit" in exc.value.message
    assert exc.value.hint


# --- dirty, shallow, commits -----------------------------------------------------------------


def test_clean_repository(repo: Path) -> None:
    assert is_repository(repo) is True
    assert is_dirty(repo) is False
    assert dirty_files(repo) == []


def test_untracked_files_do_not_make_it_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("scratch\n", encoding="utf-8")
    assert is_dirty(repo) is False
    assert dirty_files(repo) == []


def test_modified_tracked_file_is_dirty(repo: Path) -> None:
    (repo / "README.md").write_text("changed\n", encoding="utf-8")
    assert is_dirty(repo) is True
    assert dirty_files(repo) == ["README.md"]


def test_staged_deleted_and_renamed_files(repo: Path) -> None:
    commit(repo, "src/my file.py", "x = 1\n")
    commit(repo, "old.txt", "old\n")
    (repo / "src" / "my file.py").write_text("x = 2\n", encoding="utf-8")
    git(repo, "add", "src/my file.py")
    git(repo, "mv", "old.txt", "new.txt")
    (repo / "README.md").unlink()
    assert is_dirty(repo) is True
    assert sorted(dirty_files(repo)) == ["README.md", "new.txt", "src/my file.py"]


def test_dirty_check_started_early_answers_like_dirty_files(repo: Path) -> None:
    check = DirtyCheck(repo)  # git status runs from here on
    (repo / "README.md").write_text("changed\n", encoding="utf-8")
    early = DirtyCheck(repo)
    assert early.files() == ["README.md"]
    assert early.files() == ["README.md"]  # asked once, kept
    check.cancel()  # stopped before its answer was read...
    assert check.files() == ["README.md"]  # ...so it asks again: never "clean" by default


def test_dirty_is_scoped_to_the_package_directory(repo: Path) -> None:
    commit(repo, "api/pyproject.toml", "[project]\n")
    commit(repo, "web/package.json", "{}\n")
    (repo / "web" / "package.json").write_text('{"version": "2"}\n', encoding="utf-8")
    assert is_dirty(repo / "api") is False
    assert is_dirty(repo) is True
    (repo / "api" / "pyproject.toml").write_text("[project]\nname = 'api'\n", encoding="utf-8")
    assert dirty_files(repo / "api") == ["api/pyproject.toml"]


def test_shallow_clone(repo: Path, tmp_path: Path) -> None:
    commit(repo, text="second\n")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    assert is_shallow(clone) is True
    assert is_shallow(repo) is False
    assert head_commit(clone) == head_commit(repo)


def test_head_commit(repo: Path) -> None:
    assert head_commit(repo) == git(repo, "rev-parse", "HEAD")
    second = commit(repo, text="two\n")
    assert head_commit(repo) == second
    assert head_commit(repo / "sub-does-not-exist") is None


def test_commit_timestamp(repo: Path) -> None:
    assert commit_timestamp(repo) == COMMIT_DATE
    git(repo, "tag", "-a", "v1.0.0", "-m", "one")
    later = COMMIT_DATE + 86_400
    # the author date differs on purpose: SOURCE_DATE_EPOCH is the committer time
    commit(
        repo,
        text="two\n",
        GIT_COMMITTER_DATE=f"@{later} +0200",
        GIT_AUTHOR_DATE=f"@{COMMIT_DATE - 5} +0000",
    )
    assert commit_timestamp(repo) == later
    assert commit_timestamp(repo, "HEAD") == later
    assert commit_timestamp(repo, "v1.0.0") == COMMIT_DATE  # an annotated tag peels to its commit
    assert commit_timestamp(repo, "HEAD~1") == COMMIT_DATE
    assert commit_timestamp(repo, "no-such-ref") is None
    assert commit_timestamp(repo, "--all") is None
    assert commit_timestamp(repo, "") is None


# --- clean_checkout ----------------------------------------------------------------------------


def _files(dest: Path) -> list[str]:
    return sorted(
        p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file() and p.name != ".git"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_clean_checkout_is_at_one_path_per_repository_unless_it_is_taken(
    tmp_path: Path, repo: Path
) -> None:
    """A bundler that writes its input's path into the output (webpack) builds the same bytes
    in a rehearsal and at the tag: every build of the repository uses one path, and a second
    build running at the same time gets a directory of its own."""
    clone = tmp_path / f"unique-{tmp_path.name}"
    shutil.copytree(repo, clone)
    with clean_checkout(clone) as first:
        assert first.name == "src"
        assert first.parent.name == f"releasekit-checkout-{clone.name}"
        with clean_checkout(clone) as second:  # taken: a path of its own
            assert second != first and second.exists()
    assert not first.parent.exists()  # nothing left behind
    with clean_checkout(clone) as again:
        assert again == first

    # a build killed half-way left its worktree there: taken over, emptied
    first.parent.mkdir(mode=0o700)
    first.mkdir()
    (first / "left-over").write_text("x")
    with clean_checkout(clone) as again:
        assert again == first and not (again / "left-over").exists()
    # a directory of that name others may write to is not used
    first.parent.mkdir(mode=0o777)
    first.parent.chmod(0o777)
    with clean_checkout(clone) as elsewhere:
        assert elsewhere.parent != first.parent
    first.parent.rmdir()


def test_clean_checkout_holds_head_only_and_is_removed(repo: Path) -> None:
    commit(repo, "src/pkg/__init__.py", "__version__ = '1.0.0'\n")
    (repo / "untracked.txt").write_text("secret\n", encoding="utf-8")
    (repo / "src" / "pkg" / "__init__.py").write_text("__version__ = 'dirty'\n", encoding="utf-8")
    with clean_checkout(repo) as dest:
        assert not (dest / "untracked.txt").exists()
        assert (dest / "README.md").read_text(encoding="utf-8") == "hello\n"
        assert (dest / "src" / "pkg" / "__init__.py").read_text(encoding="utf-8") == (
            "__version__ = '1.0.0'\n"
        )
        assert _files(dest) == ["README.md", "src/pkg/__init__.py"]
        # the tags are there: a VCS version plugin computes the same version inside
        git(repo, "tag", "v9.9.9")
        assert describe(dest) == describe(repo)
        assert uncommitted_digest(dest) == ""
    assert not dest.exists()
    assert "releasekit-checkout" not in git(repo, "worktree", "list")
    # the user's edit is untouched
    assert (repo / "src" / "pkg" / "__init__.py").read_text(encoding="utf-8") == (
        "__version__ = 'dirty'\n"
    )
    assert uncommitted_digest(repo) not in ("", None)


def test_clean_checkout_from_a_package_directory_sees_its_neighbours(repo: Path) -> None:
    commit(repo, "api/pyproject.toml", "[project]\n")
    commit(repo, "web/package.json", "{}\n")
    with clean_checkout(repo / "api") as dest:
        assert dest.name == "api"
        assert _files(dest) == ["pyproject.toml"]
        assert (dest.parent / "web" / "package.json").is_file()


def test_clean_checkout_is_removed_when_the_build_fails(repo: Path) -> None:
    with pytest.raises(RuntimeError), clean_checkout(repo) as dest:
        raise RuntimeError("build failed")
    assert not dest.exists()
    assert len(git(repo, "worktree", "list").strip().splitlines()) == 1


def test_git_gets_no_credential(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git runs programs a user configured (fsmonitor, credential helpers, textconv): the
    release's tokens must not be in its environment, whichever git call it is."""
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True)
    shim = tmp_path / "bin"
    shim.mkdir()
    dumps = tmp_path / "env"
    dumps.mkdir()
    (shim / "git").write_text(
        f'#!/bin/sh\nenv > "{dumps}/$$"\nexec {real.stdout.strip()} "$@"\n', encoding="utf-8"
    )
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    tokens = {
        "RELEASEKIT_PROD_PASSWORD": "prod-pw-1234",
        "GITHUB_TOKEN": "ghs_token1234",
        "NODE_AUTH_TOKEN": "npm_token1234",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-1234",
        "TWINE_PASSWORD": "twine-1234",
    }
    for name, value in tokens.items():
        monkeypatch.setenv(name, value)
    assert head_commit(repo) is not None
    assert dirty_files(repo) == []
    seen = [p.read_text() for p in dumps.iterdir()]
    assert len(seen) >= 2  # each call was a git of the shim
    for environ in seen:
        assert not any(value in environ for value in tokens.values()), environ
        assert "GIT_TERMINAL_PROMPT=0" in environ


@pytest.mark.parametrize(
    ("tags", "style"),
    [
        ((), None),
        (("nightly", "api-v2.0.0"), None),  # no release tag of this project's form
        (("v1.0.0", "v1.1.0"), "v"),
        (("1.0.0", "1.1.0"), ""),
        (("v0.9.0", "1.0.0"), ""),  # the newest release decides: the project changed style
        (("1.0.0", "v2.0.0rc1"), "v"),
        (("1.10.0", "v1.9.0"), ""),  # by version, not by name
    ],
)
def test_tag_style_is_how_the_newest_release_was_tagged(
    repo: Path, tags: tuple[str, ...], style: str | None
) -> None:
    for name in tags:
        git(repo, "tag", name)
    assert tag_style(repo) == style
    assert new_tag_prefix(repo, None) == ("" if style == "" else None)
    assert new_tag_prefix(repo, "core-v") == "core-v"  # tag-prefix, when set, wins

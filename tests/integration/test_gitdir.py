"""releasekit.core.gitdir against real git: the same tags at HEAD as ``git tag --points-at HEAD``,
or ``None`` (ask git) where the layout is one it does not read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from releasekit.core import git as rk_git
from releasekit.core import gitdir


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Release Tester")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "tester@example.invalid")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def commit(repo: Path, message: str) -> None:
    (repo / "file.txt").write_text(message)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits; the first tagged ``v0.9.0`` (lightweight) and ``v0.9.1`` (annotated)."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, "one")
    git(path, "tag", "v0.9.0")
    git(path, "tag", "-a", "v0.9.1", "-m", "old")
    commit(path, "two")
    return path


def same_as_git(root: Path) -> list[str]:
    """The reader's answer, which must be git's; fails when the reader asked git instead."""
    read = gitdir.tags_at_head(root)
    assert read is not None, "the reader fell back to git"
    assert read == git(root, "tag", "--points-at", "HEAD").splitlines()
    return read


def test_no_tag_at_head(repo: Path) -> None:
    assert same_as_git(repo) == []


def test_lightweight_and_annotated_tags_at_head(repo: Path) -> None:
    git(repo, "tag", "v1.0.0")
    git(repo, "tag", "-a", "1.0.0", "-m", "annotated")
    assert same_as_git(repo) == ["1.0.0", "v1.0.0"]


def test_a_tag_of_a_tag_at_head_is_at_head(repo: Path) -> None:
    """As git 2.42 and later answer (older git lists only tags one step from HEAD)."""
    git(repo, "tag", "-a", "1.0.0", "-m", "annotated")
    git(repo, "tag", "-a", "release/1.0", "-m", "a tag of a tag", "1.0.0")
    assert gitdir.tags_at_head(repo) == ["1.0.0", "release/1.0"]
    git(repo, "pack-refs", "--all")
    assert gitdir.tags_at_head(repo) == ["1.0.0", "release/1.0"]


def test_packed_refs_are_read_with_their_peeled_lines(repo: Path) -> None:
    git(repo, "tag", "-a", "v1.0.0", "-m", "annotated")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "tags" / "v1.0.0").exists()
    assert same_as_git(repo) == ["v1.0.0"]


def test_a_gc_clone_is_read_without_git(repo: Path, tmp_path: Path) -> None:
    """CI's case: a fresh clone has every ref packed and every object in a pack."""
    git(repo, "tag", "-a", "v1.0.0", "-m", "annotated")
    git(tmp_path, "clone", "-q", str(repo), "clone")
    clone = tmp_path / "clone"
    git(clone, "checkout", "-q", "v1.0.0")  # detached HEAD, as CI checks out a tag
    assert same_as_git(clone) == ["v1.0.0"]


def test_a_loose_ref_overrides_its_packed_copy(repo: Path) -> None:
    git(repo, "tag", "v1.0.0", "HEAD~1")
    git(repo, "pack-refs", "--all")
    git(repo, "tag", "-f", "v1.0.0", "HEAD")  # moved: loose now, stale in packed-refs
    assert same_as_git(repo) == ["v1.0.0"]
    git(repo, "tag", "-f", "v1.0.0", "HEAD~1")
    assert same_as_git(repo) == []


def test_a_project_in_a_subdirectory_finds_the_repository(repo: Path) -> None:
    member = repo / "packages" / "api"
    member.mkdir(parents=True)
    git(repo, "tag", "api-v1.0.0")
    assert same_as_git(member) == ["api-v1.0.0"]


def test_symlinked_path_is_walked_as_git_walks_it(repo: Path, tmp_path: Path) -> None:
    (repo / "pkg").mkdir()
    link = tmp_path / "elsewhere" / "link"
    link.parent.mkdir()
    link.symlink_to(repo / "pkg")
    git(repo, "tag", "v1.0.0")
    assert same_as_git(link) == ["v1.0.0"]


def test_a_tag_object_inside_a_pack_is_left_to_git(repo: Path) -> None:
    git(repo, "tag", "-a", "v1.0.0", "-m", "annotated")
    git(repo, "repack", "-a", "-d", "-q")  # objects packed, the tag's ref still loose
    git(repo, "prune-packed")
    assert gitdir.tags_at_head(repo) is None
    assert rk_git.tags_at_head(repo) == ["v1.0.0"]


def test_a_worktree_is_left_to_git(repo: Path, tmp_path: Path) -> None:
    git(repo, "tag", "v1.0.0")
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "wt"), "HEAD")
    assert gitdir.tags_at_head(tmp_path / "wt") is None
    assert rk_git.tags_at_head(tmp_path / "wt") == ["v1.0.0"]


def test_packed_refs_without_peeled_lines_are_left_to_git(repo: Path) -> None:
    git(repo, "tag", "-a", "v1.0.0", "-m", "annotated")
    git(repo, "pack-refs", "--all")
    packed = repo / ".git" / "packed-refs"
    lines = packed.read_text().splitlines()
    packed.write_text("\n".join(line for line in lines if not line.startswith("#")) + "\n")
    assert gitdir.tags_at_head(repo) is None
    assert rk_git.tags_at_head(repo) == ["v1.0.0"]


def test_many_loose_tags_elsewhere_are_left_to_git(repo: Path) -> None:
    for number in range(40):
        git(repo, "tag", f"old-{number}", "HEAD~1")
    assert gitdir.tags_at_head(repo) is None
    git(repo, "tag", "v1.0.0")
    assert rk_git.tags_at_head(repo) == ["v1.0.0"]


def test_a_ref_being_written_is_not_a_tag(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    (repo / ".git" / "refs" / "tags" / "v1.0.0.lock").write_text(head + "\n")
    assert same_as_git(repo) == []


def test_ceiling_directories_stop_the_walk(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    member = repo / "pkg"
    member.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(repo))
    assert gitdir.tags_at_head(member) is None  # git does not look into repo either
    assert rk_git.tags_at_head(member) is None


def test_no_repository_and_no_commit(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert gitdir.tags_at_head(tmp_path / "plain") is None
    git(tmp_path, "init", "-q", "unborn")
    assert gitdir.tags_at_head(tmp_path / "unborn") is None
    assert rk_git.tags_at_head(tmp_path / "unborn") is None


def test_a_repository_owned_by_someone_else_is_left_to_git(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(repo).st_uid + 1)
    assert gitdir.tags_at_head(repo) is None

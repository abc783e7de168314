"""``releasekit tag``: the release tags a merged release pull request's versions lack.

Real git repositories: a workspace of an npm package and a Python package whose version
follows it, and a bare remote to push to.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.npm import write_cjs
from tests.helpers.projects import Project, run, write_project


def releasekit(cwd: Path, *args: str) -> tuple[int, str]:
    done = run("releasekit", *args, cwd=cwd, check=False)
    return done.returncode, done.stdout


def workspace(root: Path, version: str = "1.2.0") -> Project:
    write_cjs(root / "packages" / "core", "evforge-core", version)
    write_project(
        root / "packages" / "python",
        name="evforge",
        version=version,
        releasekit_table=(
            '[tool.releasekit]\nversion-files = ["../core/package.json", "pyproject.toml"]\n'
        ),
        git=False,
    )
    project = Project(root, "ws")
    project.write(
        "releasekit.toml",
        'members = ["packages/core", { path = "packages/python", tag-prefix = "py-v" }]\n',
    )
    project.write("packages/core/CHANGELOG.md", f"# Changelog\n\n## {version}\n\n- The core.\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    return project


def test_tags_each_untagged_version_once_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    project = workspace(tmp_path / "ws")
    remote = tmp_path / "remote.git"
    run("git", "init", "-q", "--bare", str(remote), cwd=tmp_path)
    project.git("remote", "add", "origin", str(remote))
    project.git("push", "-q", "-u", "origin", "main")
    project.tag("core-v1.1.0")  # an older release: not this one

    code, out = releasekit(project.path, "tag", "--dry-run")
    assert code == 0, out
    assert "would tag core-v1.2.0 (packages/core)" in out
    assert project.git("tag", "--list").split() == ["core-v1.1.0"]

    code, out = releasekit(project.path, "tag", "--push")
    assert code == 0, out
    assert "tagged core-v1.2.0 (packages/core)" in out and "tagged py-v1.2.0" in out
    head = project.git("rev-parse", "HEAD").strip()
    for name in ("core-v1.2.0", "py-v1.2.0"):
        assert project.git("rev-list", "-n1", name).strip() == head
        assert run("git", "rev-parse", f"refs/tags/{name}", cwd=remote).returncode == 0
    message = project.git("tag", "--list", "--format=%(contents)", "core-v1.2.0")
    assert "Release 1.2.0" in message and "- The core." in message

    code, out = releasekit(project.path, "tag", "--push")
    assert code == 0, out
    assert "nothing to tag" in out


def test_a_dirty_tree_or_a_failed_push_leaves_no_tag(tmp_path: Path) -> None:
    project = workspace(tmp_path / "ws")
    project.write("packages/core/lib/index.js", "module.exports = {};\n")
    code, out = releasekit(project.path, "tag")
    assert code == 1 and "uncommitted changes: packages/core/lib/index.js" in out
    assert "Traceback" not in out and project.git("tag", "--list") == ""

    project.commit("change")
    project.git("remote", "add", "origin", str(tmp_path / "no-such-remote"))
    code, out = releasekit(project.path, "tag", "--push")
    assert code == 1, out
    assert "the tags made (core-v1.2.0, py-v1.2.0) were deleted again" in out
    assert (
        "hint: fix what git says (access to the remote?), then run `releasekit tag --push`" in out
    )
    assert project.git("tag", "--list") == "" and "Traceback" not in out

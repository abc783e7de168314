"""Bad inputs to ``releasekit bump`` that used to burn a version or write where they must not
(issue 17): everything is checked before the first file is written, and a failure after the
release commit undoes it. Real git: a project whose upstream is a bare repository in a tmp dir.

Each case asserts the message, the exit status, and that git's log, tags and status (and the
files) are as they were, or, where the fix is to finish the job, what was pushed.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.cli import main
from releasekit.core import gitwrite
from tests.helpers.projects import Project, run, write_project

VERSION_FILES = '[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo/__init__.py"]\n'
LONG = "1" * 5000


def cli(capsys: pytest.CaptureFixture[str], project: Project, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(project.path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make(tmp_path: Path, table: str = VERSION_FILES) -> Project:
    """A project at 1.2.0 with a changelog and a bare upstream holding main."""
    project = write_project(tmp_path / "demo", releasekit_table=table)
    project.write("CHANGELOG.md", "# Changelog\n\n## [1.2.0] - 2026-01-02\n\n- Old thing.\n")
    project.commit("changelog")
    remote = tmp_path / "remote.git"
    run("git", "init", "-q", "--bare", "-b", "main", remote)
    project.git("remote", "add", "origin", str(remote))
    project.git("push", "-q", "--set-upstream", "origin", "main")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make(tmp_path)


def remote_git(project: Project, *args: str) -> str:
    return run("git", "--git-dir", project.path.parent / "remote.git", *args).stdout.strip()


def state(project: Project) -> tuple[object, ...]:
    """What must not change when a bump is refused or undone."""
    files = {
        p: p.read_bytes() for p in project.path.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    return (
        project.git("log", "--format=%H %s", "--all"),
        project.git("tag", "-l"),
        project.git("status", "--porcelain"),
        remote_git(project, "for-each-ref"),
        files,
    )


@pytest.fixture
def unchanged(project: Project) -> Iterator[None]:
    before = state(project)
    yield
    assert state(project) == before


def refused(err: str, message: str, hint: str) -> None:
    lines = err.splitlines()
    assert lines[0] == f"releasekit: {message}", err
    assert lines[1].startswith("  hint: ") and hint in lines[1], err
    assert len(lines) == 2, err
    assert "Traceback" not in err


# --- validated before anything is written --------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [("rel ease-", "it contains ' '"), ("../", "it contains '..'"), ("-v", "git tag reads")],
)
def test_a_tag_prefix_git_refuses_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prefix: str, reason: str
) -> None:
    project = make(tmp_path, VERSION_FILES + f'tag-prefix = "{prefix}"\n')
    before = state(project)
    for args in (("bump", "minor", "--tag"), ("bump", "minor", "--push"), ("version",)):
        code, out, err = cli(capsys, project, *args)
        assert code == 1
        assert out == ""
        assert err.startswith(
            f"releasekit: [tool.releasekit] tag-prefix {prefix!r} cannot start a git tag name "
            f"({reason}"
        ), err
        assert "git check-ref-format refuses such tags" in err
    assert state(project) == before


def test_an_unreachable_upstream_is_found_before_the_commit(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = project.path.parent / "gone.git"
    project.git("remote", "set-url", "origin", str(gone))
    before = state(project)
    code, out, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 1
    assert out == ""
    refused(
        err,
        f"cannot reach origin: fatal: '{gone}' does not appear to be a git repository; "
        "nothing was written",
        "check `git ls-remote origin` works without a prompt",
    )
    assert state(project) == before
    code, _, _ = cli(capsys, project, "bump", "minor", "--push")  # again: still nothing burned
    assert code == 1
    assert state(project) == before


def test_an_upstream_that_never_answers_is_given_up_on(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host that never answers (here an ssh that sleeps): the bump gives up after the
    timeout, kills git and its ssh, and has written nothing."""
    monkeypatch.setattr(gitwrite, "REMOTE_TIMEOUT", 1.0)
    monkeypatch.setenv("GIT_SSH_COMMAND", "sleep 60; true")
    project.git("remote", "set-url", "origin", "ssh://git@example.invalid/demo.git")
    before = state(project)
    started = time.monotonic()
    code, out, err = cli(capsys, project, "bump", "minor", "--push")
    assert time.monotonic() - started < 10
    assert code == 1
    assert out == ""
    refused(
        err,
        "cannot reach origin: no answer within 1 s; nothing was written",
        "check `git ls-remote origin` answers (without a prompt)",
    )
    assert state(project) == before


def test_an_upstream_holding_the_tag_or_ahead_is_refused(
    project: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    run("git", "clone", "-q", tmp_path / "remote.git", other)
    run("git", "commit", "-q", "--allow-empty", "-m", "elsewhere", cwd=other)
    run("git", "push", "-q", "origin", "main", cwd=other)
    before = state(project)
    code, _, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 1
    theirs = remote_git(project, "rev-parse", "main")
    refused(
        err,
        f"origin/main has commits this branch lacks (it is at {theirs[:12]}); nothing was written",
        "git pull origin main",
    )
    run("git", "tag", "v1.3.0", cwd=other)
    run("git", "push", "-q", "origin", "v1.3.0", cwd=other)
    code, _, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 1
    refused(err, "origin already has tag v1.3.0; nothing was written", "git fetch origin --tags")
    assert state(project)[:3] == before[:3]


def test_no_git_identity_is_found_before_anything_is_written(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.delenv(f"GIT_{who}_NAME", raising=False)
        monkeypatch.delenv(f"GIT_{who}_EMAIL", raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    project.git("config", "user.useConfigOnly", "true")
    before = state(project)
    code, _, err = cli(capsys, project, "bump", "minor", "--tag")
    assert code == 1
    assert err.startswith("releasekit: git has no identity to commit with (fatal: "), err
    assert err.splitlines()[0].endswith("; nothing was written")
    assert "set user.name and user.email" in err
    assert state(project) == before


# --- a failure after the commit undoes it ------------------------------------------------------


def test_a_tag_that_fails_after_the_commit_is_rolled_back(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.git("config", "tag.gpgSign", "true")
    project.git("config", "gpg.program", "false")  # signing fails: git tag fails
    before = state(project)
    code, out, err = cli(capsys, project, "bump", "minor", "--tag")
    assert code == 1
    assert "  committed " in out
    first = err.splitlines()[0]
    assert first.startswith("releasekit: git tag v1.3.0 failed: "), err
    assert first.endswith(
        "; rolled back: the release commit "
        f"{out.split('committed ')[1][:12]} is undone, the version files are as before; "
        "nothing else changed"
    ), err
    assert "tag.gpgSign" in err.splitlines()[1]
    assert state(project) == before


def test_a_push_the_remote_refuses_is_rolled_back(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = project.path.parent / "remote.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = state(project)
    code, out, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 1
    assert "  tagged v1.3.0" in out
    first = err.splitlines()[0]
    assert first.startswith(
        "releasekit: git push origin HEAD:main refs/tags/v1.3.0 failed: ! [remote rejected] "
        "HEAD -> main (pre-receive hook declined); "
    ), err  # the line that says why, not git's last ("failed to push some refs")
    assert "; origin has neither, so nothing was pushed; rolled back: the release commit " in first
    assert first.endswith(
        " and tag v1.3.0 are undone, the version files are as before; nothing else changed"
    )
    assert "run the same command again" in err.splitlines()[1]
    assert state(project) == before
    hook.unlink()
    code, out, err = cli(capsys, project, "bump", "minor", "--push")  # fixed: the same command
    assert code == 0, err
    assert out.splitlines()[0] == "1.2.0 -> 1.3.0"
    assert remote_git(project, "rev-parse", "v1.3.0^{commit}") == project.git("rev-parse", "HEAD")


def test_a_rerun_after_a_push_that_may_have_failed_pushes_what_exists(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """The remote goes away during the push: releasekit cannot tell what it holds, keeps the
    commit and tag, and the same command run again pushes them instead of burning 1.4.0."""
    remote = project.path.parent / "remote.git"
    away = project.path.parent / "away.git"
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nmv '{remote}' '{away}'\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    code, out, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 1
    head = project.git("rev-parse", "HEAD")
    assert err.splitlines()[0].endswith(
        f"; could not tell what it holds, so the release commit {head[:12]} and tag v1.3.0 are kept"
    ), err
    assert "run the same command again once origin is reachable" in err.splitlines()[1]
    assert project.git("log", "-1", "--format=%s") == "Release 1.3.0"
    shutil.move(away, remote)
    (remote / "hooks" / "pre-receive").unlink()
    code, out, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 0, err
    assert out.splitlines() == [
        f"1.3.0 is committed and tagged v1.3.0 at HEAD ({head[:12]}) but origin has not got "
        "them: pushing them instead of bumping again",
        "  pushed main and v1.3.0 to origin",
    ]
    assert project.git("rev-parse", "HEAD") == head
    assert project.git("tag", "-l") == "v1.3.0"
    assert remote_git(project, "rev-parse", "main") == head
    assert remote_git(project, "rev-parse", "v1.3.0^{commit}") == head


def test_bump_tag_then_bump_push_pushes_the_tagged_release(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, project, "bump", "minor", "--tag")
    assert code == 0
    assert "(or rerun with --push)" in out
    head = project.git("rev-parse", "HEAD")
    code, out, err = cli(capsys, project, "bump", "minor", "--push", "--dry-run")
    assert code == 0, err
    assert out.splitlines()[-1] == "  (dry run: nothing pushed)"
    assert remote_git(project, "tag", "-l") == ""
    code, out, err = cli(capsys, project, "bump", "minor", "--push")
    assert code == 0, err
    assert "pushing them instead of bumping again" in out
    assert remote_git(project, "rev-parse", "v1.3.0^{commit}") == head
    code, out, err = cli(capsys, project, "bump", "minor", "--push")  # pushed: a new release
    assert code == 0, err
    assert out.splitlines()[0] == "1.3.0 -> 1.4.0"


# --- what bump writes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "message", "hint"),
    [
        (
            "1.3.0+local",
            "bump 1.3.0+local gives 1.3.0+local, a local version (+local) that no package "
            "index accepts",
            "bump to the public version 1.3.0",
        ),
        ("major,major", "bump part 'major' is given twice in 'major,major'", "name each part"),
        (
            LONG,
            "unknown bump part '11111111111111111111'... (5000 characters) in "
            "'11111111111111111111'... (5000 characters): not a part name and not a version "
            "(a version is at most 256 characters)",
            "use one of major",
        ),
    ],
    ids=["local", "repeated", "long"],
)
@pytest.mark.usefixtures("unchanged")
def test_bump_refuses_what_no_index_takes(
    project: Project, capsys: pytest.CaptureFixture[str], part: str, message: str, hint: str
) -> None:
    for extra in ((), ("--push",)):
        code, out, err = cli(capsys, project, "bump", part, *extra)
        assert code == 1
        assert out == ""
        refused(err, message, hint)


@pytest.mark.parametrize("link", ["src/demo/__init__.py", "pyproject.toml"])
def test_bump_never_writes_through_a_symlink_out_of_the_repository(
    project: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path, link: str
) -> None:
    victim = tmp_path / "victim" / Path(link).name
    victim.parent.mkdir()
    shutil.copy(project.path / link, victim)
    (project.path / link).unlink()
    os.symlink(victim, project.path / link)
    project.commit("a committed symlink")
    before, victim_text = state(project), victim.read_bytes()
    code, out, err = cli(capsys, project, "bump", "minor", "--commit")
    assert code == 1
    assert out == ""
    refused(
        err,
        f"version file {link} leads to {victim.resolve().as_posix()} through a symlink, "
        f"outside the git repository ({project.path.as_posix()}); nothing was written",
        "replace the symlink with the file itself",
    )
    assert state(project) == before
    assert victim.read_bytes() == victim_text


def test_a_symlink_inside_the_repository_commits_the_file_it_leads_to(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("shared/version.py", '__version__ = "1.2.0"\n')
    (project.path / "src/demo/__init__.py").unlink()
    os.symlink("../../shared/version.py", project.path / "src/demo/__init__.py")
    project.commit("the version lives in shared/")
    code, out, err = cli(capsys, project, "bump", "minor", "--commit")
    assert code == 0, err
    assert out.splitlines()[3].endswith(": pyproject.toml, src/demo/__init__.py, shared/version.py")
    assert project.git("status", "--porcelain") == ""
    assert project.git("show", "HEAD:shared/version.py") == '__version__ = "1.3.0"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '__version__ = "1.2.0"\nVERSION = "1.1.0"\n',
            "src/demo/__init__.py has two version assignments that disagree: line 1 "
            '(__version__ = "1.2.0") and line 2 (VERSION = "1.1.0")',
        ),
        (
            '__version__ = "1.2.0 "\n',
            "src/demo/__init__.py has version '1.2.0 ', with whitespace around it",
        ),
        (
            f'__version__ = "{LONG}"\n',
            "src/demo/__init__.py has version '11111111111111111111'... (5000 characters), "
            "which is not a PEP 440 version",
        ),
    ],
    ids=["two-lines", "trailing-space", "long"],
)
def test_a_version_file_that_misleads_is_refused_by_bump_and_version(
    project: Project, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    project.write("src/demo/__init__.py", text)
    project.commit("edit")
    before = state(project)
    for args in (("bump", "minor", "--commit"), ("version",)):
        code, _, err = cli(capsys, project, *args)
        assert code == 1
        assert f"releasekit: {message}" in err.splitlines(), err
        assert "Traceback" not in err
    assert state(project) == before


def test_a_bom_and_crlf_version_file_is_bumped_and_kept(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    data = '\ufeff__version__ = "1.2.0"\r\n"""demo."""\r\n'.encode()
    (project.path / "src/demo/__init__.py").write_bytes(data)
    project.commit("windows")
    code, out, err = cli(capsys, project, "bump", "minor", "--commit")
    assert code == 0, err
    assert out.splitlines()[0] == "1.2.0 -> 1.3.0"
    assert (project.path / "src/demo/__init__.py").read_bytes() == data.replace(b"1.2.0", b"1.3.0")
    assert project.git("status", "--porcelain") == ""


def test_a_long_release_tag_is_one_clear_line(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASEKIT_TAG", "v" + LONG)
    code, _, err = cli(capsys, project, "version")
    assert code == 1
    assert "releasekit: tag 'v1111111111111111111'... (5001 characters) is not a release tag" in err
    assert len(err) < 500


def test_bump_lives_in_its_own_module_with_its_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """cli/__init__.py had grown to 735 lines with the bump in it: the bump (its parser, the
    commit, tag and push, their undoing) is cli/bump.py, and `releasekit bump` is the same."""
    import releasekit.cli
    import releasekit.cli.bump

    assert main(["bump", "--help"]) == 0
    shown = capsys.readouterr().out
    for option in ("--force", "--dry-run", "--commit", "--tag", "--push", "--no-commit"):
        assert option in shown
    source = Path(releasekit.cli.__file__).read_text(encoding="utf-8")
    assert len(source.splitlines()) < 700
    assert "def _cmd_bump(" in Path(releasekit.cli.bump.__file__).read_text(encoding="utf-8")

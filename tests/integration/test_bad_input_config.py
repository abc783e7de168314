"""Bad input in the configuration, the changelog, GitHub's variables and the workspace:
one clear line naming the bad value, a hint, exit 1, no traceback, nothing changed (issue 17).

Real sample projects in real git repositories (:mod:`tests.helpers.projects`); ``nox -s
check`` only where the session is the point (``RELEASEKIT_REQUIRE_TAG``), the functions the
sessions call otherwise.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from releasekit.cli import main
from releasekit.core.config import IndexConfig, load_config
from releasekit.errors import ChangelogError, ConfigError, ReleasekitError
from releasekit.project.changelog import check_changelog
from releasekit.project.identity import project_name
from releasekit.project.workspace import find_workspace
from releasekit.targets.github.settings import GitHubError, Settings
from releasekit.targets.pypi import upload
from tests.helpers.projects import Project, write_project
from tests.helpers.sessions import nox, release_project
from tests.helpers.unchanged import assert_reported, assert_unchanged, snapshot


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def _one_line(output: str) -> None:
    """Only releasekit's message and its hint: no traceback, no stray line."""
    assert "Traceback" not in output, output
    lines = output.splitlines()
    assert len(lines) == 2 and lines[0].startswith("releasekit: "), output
    assert lines[1].startswith("  hint: "), output


def _project(tmp_path: Path, table: str = "") -> Project:
    return write_project(tmp_path / "demo", releasekit_table=table)


# -- RELEASEKIT_REQUIRE_TAG on an untagged HEAD: check refuses, not the build's hook ---------


@pytest.mark.slow
@pytest.mark.parametrize("rehearse", [False, True], ids=["check", "check --rehearse"])
def test_require_tag_on_an_untagged_head_is_refused_by_check(
    rehearse: bool, tmp_path: Path, nox_envdir: Path, build_env: dict[str, str]
) -> None:
    project = release_project(tmp_path, {}, tag=None)
    before = snapshot(project.path)
    args = ("-s", "check", *(("--", "--rehearse") if rehearse else ()))
    env = {"RELEASEKIT_REQUIRE_TAG": "1", "PYTHONDONTWRITEBYTECODE": "1"}

    code, out = nox(project, nox_envdir, build_env, *args, env=env)

    assert code != 0, out
    assert "Traceback" not in out, out
    assert_reported(
        out,
        "no release tag for version 1.2.0 (RELEASEKIT_REQUIRE_TAG is set; no release tag at HEAD)",
        "tag the release commit (`git tag v1.2.0`) or set RELEASEKIT_TAG=v1.2.0"
        + ("; to rehearse an untagged commit, unset RELEASEKIT_REQUIRE_TAG" if rehearse else ""),
        prefix="nox > Session check aborted: ",
    )
    assert "building" not in out.lower(), out  # refused before any build
    kept = {k: v for k, v in snapshot(project.path).items() if k != "dist/releasekit-steps.json"}
    if "dist" not in before and not any(k.startswith("dist/") for k in kept):
        kept.pop("dist", None)
    assert_unchanged(before, kept)


# -- [project] name ------------------------------------------------------------------------------


def test_a_project_name_with_a_space_is_named(tmp_path: Path) -> None:
    project = _project(tmp_path)
    path = project.path / "pyproject.toml"
    path.write_text(path.read_text().replace('name = "demo"', 'name = "my demo"', 1))
    project.commit("a space")
    before = snapshot(project.path)
    with pytest.raises(ConfigError) as info:
        project_name(project.path)
    assert info.value.message == (
        f"{path} [project] name 'my demo' is not a valid distribution name"
    )
    assert 'e.g. name = "my-package"' in info.value.hint
    assert "index" not in str(info.value).lower()
    assert_unchanged(before, snapshot(project.path))


# -- GITHUB_TOKEN ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "said"),
    [
        ("ghp_first\nghp_second", "a newline"),
        ("ghp_one\rtwo", "a carriage return"),
        ("ghp_one\x1btwo", "a control character (U+001B)"),
        ("ghp_one two", "a space"),
    ],
    ids=["newline", "carriage return", "escape", "space"],
)
def test_a_control_character_in_github_token_is_named_not_shown(
    token: str, said: str, tmp_path: Path
) -> None:
    environ = {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "octo/demo"}
    with pytest.raises(GitHubError) as info:
        Settings.from_env(environ, tmp_path)
    assert info.value.message == f"GITHUB_TOKEN contains {said}"
    assert "set it to the token alone" in info.value.hint
    assert "ghp_" not in str(info.value) and "two" not in str(info.value)


def test_a_token_with_a_trailing_newline_is_still_fine(tmp_path: Path) -> None:
    environ = {"GITHUB_TOKEN": "ghp_abc\n", "GITHUB_REPOSITORY": "octo/demo"}
    assert Settings.from_env(environ, tmp_path).token == "ghp_abc"


# -- -C at a file ---------------------------------------------------------------------------------


@pytest.mark.parametrize("after", [False, True], ids=["-C first", "-C after the subcommand"])
def test_dash_c_at_a_file_says_so(
    after: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    target = str(project.path / "pyproject.toml")
    before = snapshot(project.path)
    argv = ("version", "-C", target) if after else ("-C", target, "version")
    if after:
        try:
            code, output = _cli(capsys, *argv)
        except SystemExit:  # -C after the subcommand is another helper's item of issue 17
            pytest.skip("-C after the subcommand is not parsed yet")
    else:
        code, output = _cli(capsys, *argv)
    assert code == 1, output
    _one_line(output)
    assert_reported(
        output,
        f"{target} is a file, not a project directory",
        "point -C at the directory that holds pyproject.toml",
    )
    assert "chmod" not in output
    assert_unchanged(before, snapshot(project.path))


# -- index URLs -----------------------------------------------------------------------------------


def test_a_100_kb_url_is_refused_shortened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://pypi.example/simple/" + "a" * 100_000
    project = _project(tmp_path, f'[tool.releasekit]\ninstall-index = "{url}"\n')
    before = snapshot(project.path)
    code, output = _cli(capsys, "-C", str(project.path), "version")
    assert code == 1, output
    _one_line(output)
    assert_reported(
        output,
        "[tool.releasekit] install-index 'https://pypi.example/simple/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"
        "... is 100,028 characters long, more than the 2,000 a URL may have",
        "set it to the index's URL",
    )
    assert len(output) < 500
    assert_unchanged(before, snapshot(project.path))


def test_a_url_of_2000_characters_is_still_a_url(tmp_path: Path) -> None:
    url = "https://pypi.example/" + "a" * (2000 - len("https://pypi.example/") - 1) + "/"
    project = _project(tmp_path, f'[tool.releasekit]\ninstall-index = "{url}"\n')
    assert load_config(project.path).install_index == url


@pytest.mark.parametrize(
    ("table", "key", "shown"),
    [
        (
            '[tool.releasekit.indexes.test]\nurl = "https://pypi.org/simple/"\n'
            'publish-url = "https://upload.pypi.org/legacy/"\n',
            "url",
            "https://pypi.org/simple/",
        ),
        (
            '[tool.releasekit.indexes.test]\nurl = "https://test.example/simple/"\n'
            'publish-url = "https://UPLOAD.pypi.org/legacy"\n',
            "publish-url",
            "https://UPLOAD.pypi.org/legacy/",
        ),
        (
            '[tool.releasekit.indexes.test]\nurl = "https://pypi.example/simple"\n'
            'publish-url = "https://pypi.example/upload/"\n'
            '[tool.releasekit.indexes.prod]\nurl = "https://pypi.example/simple/"\n'
            'publish-url = "https://pypi.example/upload/"\n',
            "url",
            "https://pypi.example/simple/",
        ),
    ],
    ids=["test = PyPI", "same upload URL", "both one private index"],
)
def test_test_and_prod_on_one_index_is_refused(
    table: str, key: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, table)
    before = snapshot(project.path)
    code, output = _cli(capsys, "-C", str(project.path), "version")
    assert code == 1, output
    _one_line(output)
    assert_reported(
        output,
        f"[tool.releasekit].indexes.test and [tool.releasekit].indexes.prod have the same "
        f"{key} '{shown}'",
        "the test upload would be the release itself: point test at a separate index",
    )
    assert_unchanged(before, snapshot(project.path))


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (
            "propagation-timeout = inf",
            "[tool.releasekit] propagation-timeout = inf never ends: "
            "give a finite number of seconds",
        ),
        (
            "propagation-timeout = nan",
            "[tool.releasekit] propagation-timeout = nan never ends: "
            "give a finite number of seconds",
        ),
        (
            "[tool.releasekit.smoke]\ntimeout = inf",
            "[tool.releasekit].smoke timeout = inf never ends: give a finite number of seconds",
        ),
    ],
    ids=["propagation-timeout inf", "propagation-timeout nan", "smoke timeout inf"],
)
def test_a_timeout_that_never_ends_is_refused(
    line: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, f"[tool.releasekit]\n{line}\n")
    before = snapshot(project.path)
    code, output = _cli(capsys, "-C", str(project.path), "version")
    assert code == 1, output
    _one_line(output)
    assert_reported(output, shown, "e.g. ")
    assert_unchanged(before, snapshot(project.path))


# -- the changelog --------------------------------------------------------------------------------

_FAR = (datetime.date.today() + datetime.timedelta(days=40)).isoformat()


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (
            "# Changelog\n\n## [1.2.0] - 2026-01-02\n\n- New.\n\n## 1.1.0\n\n- Old.\n\n"
            "## [1.2.0] - 2026-01-05\n\n- Newer.\n",
            "has two sections for 1.2.0: line 3 `[1.2.0] - 2026-01-02` and line 11 "
            "`[1.2.0] - 2026-01-05`",
            "merge them into one",
        ),
        (
            "# Changelog\n\n## [1.2.0] - 2026-02-30\n\n- New.\n",
            "line 3: 2026-02-30 in `[1.2.0] - 2026-02-30` is not a date",
            "write the release's date, e.g. ",
        ),
        (
            f"# Changelog\n\n## [1.2.0] - {_FAR}\n\n- New.\n",
            f"line 3: {_FAR} in `[1.2.0] - {_FAR}` is in the future (today is ",
            "date the section with the release's day",
        ),
        (
            "# Changelog\n\n## [1.2.0] - 2026-01-02\n\n## [1.1.0] - 2026-01-01\n\n- Old.\n",
            "line 3: the section `[1.2.0] - 2026-01-02` is empty (the release notes would be "
            "empty)",
            "write what changed under the heading",
        ),
        (
            "Changes\n=======\n\n1.2.0 (2026-13-01)\n------------------\n\n- New.\n",
            "line 4: 2026-13-01 in `1.2.0 (2026-13-01)` is not a date",
            "write the release's date",
        ),
    ],
    ids=["two sections", "2026-02-30", "future date", "empty section", "rst, month 13"],
)
def test_a_misleading_changelog_section_is_refused(
    text: str, message: str, hint: str, tmp_path: Path
) -> None:
    path = tmp_path / ("CHANGES.rst" if text.startswith("Changes\n") else "CHANGELOG.md")
    path.write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(ChangelogError) as info:
        check_changelog(path, "1.2.0")
    assert info.value.message == f"changelog {path} {message}" or info.value.message.startswith(
        f"changelog {path} {message}"
    )
    assert "\n" not in info.value.message
    assert hint in info.value.hint
    assert_unchanged(before, snapshot(tmp_path))


def test_a_dated_today_or_tomorrow_section_passes(tmp_path: Path) -> None:
    """A maintainer ahead of UTC writes tomorrow's date (UTC+14): not a typo."""
    tomorrow = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(1)
    path = tmp_path / "CHANGELOG.md"
    path.write_text(f"# Changelog\n\n## [1.2.0] - {tomorrow}\n\n- New.\n", encoding="utf-8")
    assert check_changelog(path, "1.2.0").title == f"[1.2.0] - {tomorrow}"


def test_a_pre_release_may_still_borrow_an_empty_unreleased_section(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\n## [Unreleased]\n\n## [1.1.0]\n\n- Old.\n", encoding="utf-8")
    assert check_changelog(path, "1.2.0rc1").reason == "Unreleased"


# -- the workspace --------------------------------------------------------------------------------


def test_members_in_both_releasekit_toml_and_pyproject_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_project(root / "packages" / "core", name="core", git=False)
    project = write_project(
        root, name="top", releasekit_table='[tool.releasekit]\nmembers = ["packages/core"]\n'
    )
    (root / "releasekit.toml").write_text('members = ["packages/core"]\n', encoding="utf-8")
    project.commit("two declarations")
    before = snapshot(root)
    with pytest.raises(ConfigError) as info:
        find_workspace(root)
    assert info.value.message == (
        f"members are declared twice: in {root / 'releasekit.toml'} and in "
        f"{root / 'pyproject.toml'} [tool.releasekit]"
    )
    assert "keep one" in info.value.hint
    assert_unchanged(before, snapshot(root))


def test_a_members_tag_prefix_git_refuses_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_project(root / "packages" / "core", name="core", git=False)
    project = write_project(root, name="top", releasekit_table="")
    (root / "releasekit.toml").write_text(
        'members = [{ path = "packages/core", tag-prefix = "core v" }]\n', encoding="utf-8"
    )
    project.commit("a member whose tags git refuses")
    with pytest.raises(ConfigError) as info:
        find_workspace(root)
    assert "tag-prefix 'core v' cannot start a git tag name (it contains ' ')" in (
        info.value.message
    )
    assert "git check-ref-format refuses such tags" in info.value.hint


# -- usernames are not secrets --------------------------------------------------------------------


def test_an_upload_username_is_not_redacted(tmp_path: Path) -> None:
    """Only the password is kept out of twine's output: a username "alice" redacted made
    every /home/alice/... path in it /home/***/..."""
    index = IndexConfig("test", "https://test.example/simple/", "https://test.example/legacy/")
    environ = {"RELEASEKIT_TEST_USERNAME": "alice", "RELEASEKIT_TEST_PASSWORD": "s3cret-token"}
    _argv, env, secrets = upload._upload_command(
        [tmp_path / "demo-1.2.0.tar.gz"], index, twine=["twine"], environ=environ
    )
    assert env["TWINE_USERNAME"] == "alice"
    assert secrets == ["s3cret-token"]


def test_every_error_here_is_a_releasekit_error() -> None:
    """The front ends print a ReleasekitError as one line and a hint, never a traceback."""
    for error in (ChangelogError, ConfigError, GitHubError):
        assert issubclass(error, ReleasekitError)

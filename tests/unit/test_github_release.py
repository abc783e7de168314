"""The pure half of the GitHub release step: settings, remote URLs, the plan, SHA256SUMS,
upload URLs and error hints. No network, no git, no githubkit."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from releasekit.targets.github import client as github_client
from releasekit.targets.github import settings as github_settings
from releasekit.targets.github import step as github
from releasekit.targets.github.step import (
    SUMS_NAME,
    GitHubError,
    RemoteAsset,
    RemoteRelease,
    Settings,
    parse_remote_url,
    plan_github_release,
    sha256sums,
    upload_target,
)

TOKEN = "ghs_unitTOKENvalue0123456789"
SHA_W = "a" * 64
SHA_S = "b" * 64
FILES = [(Path("dist/demo-1.0.0-py3-none-any.whl"), SHA_W), (Path("dist/demo-1.0.0.tar.gz"), SHA_S)]
SUMS = sha256sums(FILES)
SHA_SUMS = hashlib.sha256(SUMS).hexdigest()
UPLOAD = "https://uploads.github.com/repos/o/r/releases/7/assets{?name,label}"


def release(*assets: RemoteAsset, draft: bool = False, **kw: object) -> RemoteRelease:
    values: dict[str, object] = {
        "id": 7,
        "tag_name": "v1.0.0",
        "name": "Human title",
        "body": "Human notes",
        "draft": draft,
        "prerelease": False,
        "upload_url": UPLOAD,
        "html_url": "https://github.com/o/r/releases/tag/v1.0.0",
        "assets": assets,
    }
    values.update(kw)
    return RemoteRelease(**values)  # type: ignore[arg-type]


def asset(name: str, sha256: str | None, state: str = "uploaded", id: int = 1) -> RemoteAsset:
    return RemoteAsset(id, name, None if sha256 is None else f"sha256:{sha256}", state)


def plan(rel: RemoteRelease | None, prerelease: bool = False) -> github.GitHubPlan:
    return plan_github_release(
        rel, tag="v1.0.0", version="1.0.0", prerelease=prerelease, notes="## 1.0.0", files=FILES
    )


# -- SHA256SUMS -------------------------------------------------------------------------------


def test_sha256sums_is_what_sha256sum_check_reads_sorted_by_name() -> None:
    text = SUMS.decode()
    assert text == f"{SHA_W}  demo-1.0.0-py3-none-any.whl\n{SHA_S}  demo-1.0.0.tar.gz\n"
    reordered = sha256sums(list(reversed(FILES)))
    assert reordered == SUMS  # a rerun of the same build makes the same bytes


# -- the plan ---------------------------------------------------------------------------------


def test_nothing_on_github_creates_a_draft_uploads_everything_and_publishes() -> None:
    p = plan(None)
    assert p.create and p.publish and not p.refusals
    assert [(a.name, a.action) for a in p.assets] == [
        ("demo-1.0.0-py3-none-any.whl", "upload"),
        ("demo-1.0.0.tar.gz", "upload"),
        (SUMS_NAME, "upload"),
    ]
    sums = p.assets[-1]
    assert sums.content == SUMS and sums.sha256 == SHA_SUMS and sums.path is None


def test_a_prerelease_is_created_as_one() -> None:
    assert plan(None, prerelease=True).prerelease
    assert any("pre-release, not marked latest" in line for line in plan(None, True).describe())


def test_a_published_human_release_is_kept_and_only_gets_the_missing_files() -> None:
    p = plan(release(asset("demo-1.0.0.tar.gz", SHA_S), asset("notes.pdf", "c" * 64)))
    assert not p.create and not p.publish and not p.refusals
    assert [(a.name, a.action) for a in p.assets] == [
        ("demo-1.0.0-py3-none-any.whl", "upload"),
        ("demo-1.0.0.tar.gz", "skip"),
        (SUMS_NAME, "upload"),
    ]
    assert any("name and notes are kept" in line for line in p.describe())


def test_the_existing_release_decides_prerelease() -> None:
    assert plan(release(prerelease=True)).prerelease
    assert not plan(release(), prerelease=True).prerelease


def test_a_draft_left_by_a_failed_run_is_completed_and_published() -> None:
    p = plan(release(asset("demo-1.0.0-py3-none-any.whl", SHA_W), draft=True))
    assert not p.create and p.publish
    assert [a.action for a in p.assets] == ["skip", "upload", "upload"]


def test_everything_there_and_published_is_nothing_to_do() -> None:
    rel = release(
        asset("demo-1.0.0-py3-none-any.whl", SHA_W),
        asset("demo-1.0.0.tar.gz", SHA_S.upper()),  # digests compare case-insensitively
        asset(SUMS_NAME, SHA_SUMS),
    )
    p = plan(rel)
    assert not p.changes_anything and not p.refusals
    assert p.describe()[-1].endswith("nothing to do")


def test_a_same_named_asset_with_other_bytes_is_refused() -> None:
    p = plan(release(asset("demo-1.0.0.tar.gz", "d" * 64), draft=True))
    assert len(p.refusals) == 1
    assert "demo-1.0.0.tar.gz" in p.refusals[0]
    assert f"sha256:{'d' * 64}" in p.refusals[0] and f"sha256:{SHA_S}" in p.refusals[0]


def test_a_different_sha256sums_is_refused_too() -> None:
    assert plan(release(asset(SUMS_NAME, "e" * 64))).refusals


def test_an_asset_without_a_digest_is_refused_rather_than_trusted() -> None:
    (refusal,) = plan(release(asset("demo-1.0.0.tar.gz", None))).refusals
    assert "no digest" in refusal


def test_an_unfinished_upload_is_replaced() -> None:
    p = plan(release(asset("demo-1.0.0.tar.gz", None, state="open", id=55), draft=True))
    step = p.assets[1]
    assert (step.action, step.remote_id) == ("replace", 55)
    assert not p.refusals


def test_files_cannot_be_added_to_an_immutable_published_release() -> None:
    (refusal,) = plan(release(immutable=True)).refusals
    assert "immutable" in refusal
    complete = release(
        asset("demo-1.0.0-py3-none-any.whl", SHA_W),
        asset("demo-1.0.0.tar.gz", SHA_S),
        asset(SUMS_NAME, SHA_SUMS),
        immutable=True,
    )
    assert not plan(complete).refusals


def test_two_files_with_one_name_are_an_error() -> None:
    with pytest.raises(GitHubError, match="both named"):
        plan_github_release(
            None, tag="v1", version="1", prerelease=False, notes="", files=FILES + FILES[:1]
        )
    with pytest.raises(GitHubError, match=SUMS_NAME):
        plan_github_release(
            None, tag="v1", version="1", prerelease=False, notes="", files=[("SHA256SUMS", SHA_W)]
        )


def test_dry_run_lines_say_would_and_the_plan_dict_has_no_notes() -> None:
    p = plan(None)
    lines = p.describe(dry_run=True)
    assert lines[0].startswith("would create draft release v1.0.0")
    assert all("will " not in line for line in lines)
    data = p.as_dict()
    assert data["create"] and "notes" not in data
    assert [a["action"] for a in data["assets"]] == ["upload"] * 3


# -- settings ---------------------------------------------------------------------------------


def env(**kw: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo-org/widget", **kw}


def test_settings_from_github_actions_variables(tmp_path: Path) -> None:
    s = Settings.from_env(env(GITHUB_API_URL="https://ghe.example.com/api/v3/"), tmp_path)
    assert (s.owner, s.repo, s.repository) == ("octo-org", "widget", "octo-org/widget")
    assert s.api_url == "https://ghe.example.com/api/v3" and not s.is_github_com
    assert s.token == TOKEN and s.repository_source == "GITHUB_REPOSITORY"


def test_settings_default_to_github_com(tmp_path: Path) -> None:
    s = Settings.from_env(env(), tmp_path)
    assert s.api_url == "https://api.github.com" and s.is_github_com


def test_the_token_is_never_in_a_repr_or_str(tmp_path: Path) -> None:
    s = Settings.from_env(env(), tmp_path)
    for text in (repr(s), str(s), f"{s}", repr([s]), repr({"s": s})):
        assert TOKEN not in text
    assert "token=set" in repr(s)
    assert "token=not set" in repr(Settings("o", "r", "https://api.github.com"))


@pytest.mark.skipif(sys.version_info < (3, 10), reason="githubkit needs Python 3.10+")
def test_the_auth_header_strategy_does_not_show_the_token() -> None:
    auth = github_client._bearer(TOKEN)
    assert TOKEN not in repr(auth)
    assert TOKEN not in repr(auth.get_auth_flow(None))


def test_a_missing_token_is_allowed_until_something_is_written(tmp_path: Path) -> None:
    s = Settings.from_env({"GITHUB_REPOSITORY": "o/r"}, tmp_path)
    assert s.token is None
    with pytest.raises(GitHubError, match="GITHUB_TOKEN is not set") as info:
        github.publish_github_release(
            s, tag="v1", version="1", prerelease=False, notes="", files=FILES
        )
    assert "contents: write" in info.value.hint


def test_a_dry_run_without_a_token_says_it_did_not_read_github(tmp_path: Path) -> None:
    lines: list[str] = []
    result = github.publish_github_release(
        Settings.from_env({"GITHUB_REPOSITORY": "o/r"}, tmp_path),
        tag="v1.0.0",
        version="1.0.0",
        prerelease=False,
        notes="n",
        files=FILES,
        dry_run=True,
        echo=lines.append,
    )
    assert result.dry_run and not result.plan.read and result.plan.create
    assert "GitHub not read" in "\n".join(lines)


@pytest.mark.parametrize("value", ["widget", "a/b/c", "octo org/widget", "/widget"])
def test_a_malformed_github_repository_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(GitHubError, match="not OWNER/NAME"):
        Settings.from_env(env(GITHUB_REPOSITORY=value), tmp_path)


@pytest.mark.parametrize(
    "url", ["http://api.github.com", "ftp://x/api", "api.github.com", "http://10.0.0.1/api/v3"]
)
def test_the_token_only_goes_over_https(tmp_path: Path, url: str) -> None:
    with pytest.raises(GitHubError, match="only over https"):
        Settings.from_env(env(GITHUB_API_URL=url), tmp_path)


def test_plain_http_to_loopback_is_allowed_for_tests(tmp_path: Path) -> None:
    assert Settings.from_env(env(GITHUB_API_URL="http://127.0.0.1:9/"), tmp_path).api_url == (
        "http://127.0.0.1:9"
    )


# -- remote URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octo-org/widget.git", ("github.com", "octo-org", "widget")),
        ("https://github.com/octo-org/widget", ("github.com", "octo-org", "widget")),
        ("https://github.com/octo-org/widget/", ("github.com", "octo-org", "widget")),
        ("https://x-access-token:SECRET@github.com/o/r.git", ("github.com", "o", "r")),
        ("git@github.com:octo-org/widget.git", ("github.com", "octo-org", "widget")),
        ("github.com:octo-org/widget", ("github.com", "octo-org", "widget")),
        ("ssh://git@github.com/octo-org/widget.git", ("github.com", "octo-org", "widget")),
        ("ssh://git@github.com:22/octo-org/widget.git", ("github.com", "octo-org", "widget")),
        ("git://github.com/octo-org/widget.git", ("github.com", "octo-org", "widget")),
        ("https://ghe.corp.example/team/tool.git", ("ghe.corp.example", "team", "tool")),
        ("git@ghe.corp.example:team/tool.git", ("ghe.corp.example", "team", "tool")),
        ("https://github.com/my.org/my_repo.js.git", ("github.com", "my.org", "my_repo.js")),
    ],
)
def test_github_remote_urls_are_parsed(url: str, expected: tuple[str, str, str]) -> None:
    assert parse_remote_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/srv/git/widget.git",
        "file:///srv/git/widget.git",
        "../widget",
        "https://gitlab.com/group/sub/project.git",
        "https://github.com/only-owner",
        "C:/repos/widget",
    ],
)
def test_other_remotes_are_not_guessed(url: str) -> None:
    assert parse_remote_url(url) is None


def test_credentials_in_a_remote_url_are_redacted() -> None:
    assert github_settings._redact_url("https://x-access-token:SECRET@github.com/o/r") == (
        "https://***@github.com/o/r"
    )
    assert (
        github_settings._redact_url("https://SECRET@github.com/o/r") == "https://***@github.com/o/r"
    )
    assert github_settings._redact_url("ssh://git@github.com/o/r") == "ssh://git@github.com/o/r"
    assert github_settings._redact_url("git@github.com:o/r") == "git@github.com:o/r"


# -- upload URLs ------------------------------------------------------------------------------


def test_the_upload_url_of_github_com() -> None:
    assert upload_target(UPLOAD, "https://api.github.com") == (
        "https://uploads.github.com/",
        "o",
        "r",
        7,
    )


def test_the_upload_url_of_ghes_is_under_api_uploads() -> None:
    url = "https://ghe.corp.example/api/uploads/repos/o/r/releases/9/assets{?name,label}"
    assert upload_target(url, "https://ghe.corp.example/api/v3") == (
        "https://ghe.corp.example/api/uploads/",
        "o",
        "r",
        9,
    )


def test_the_upload_url_of_a_ghe_com_tenant() -> None:
    url = "https://uploads.acme.ghe.com/repos/o/r/releases/9/assets{?name,label}"
    assert upload_target(url, "https://api.acme.ghe.com")[0] == "https://uploads.acme.ghe.com/"


def test_the_token_is_not_sent_to_a_foreign_upload_host() -> None:
    url = "https://uploads.evil.example/repos/o/r/releases/7/assets{?name,label}"
    with pytest.raises(GitHubError, match="not the API's host"):
        upload_target(url, "https://api.github.com")


def test_an_upload_url_of_another_shape_is_refused() -> None:
    with pytest.raises(GitHubError, match="does not understand"):
        upload_target("https://uploads.github.com/somewhere/else", "https://api.github.com")


# -- errors -----------------------------------------------------------------------------------


SETTINGS = Settings("octo-org", "widget", "https://api.github.com", token=TOKEN)


@pytest.mark.parametrize(
    ("status", "needle"),
    [
        (401, "permissions: contents: write"),
        (403, "permissions: contents: write"),
        (404, "octo-org/widget"),
        (422, "already exists"),
        (500, "rerun"),
        (502, "rerun"),
    ],
)
def test_http_errors_carry_status_message_and_a_hint(status: int, needle: str) -> None:
    error = github_client._http_error(status, "Bad credentials", "uploading x.whl", SETTINGS)
    assert error.status == status
    assert error.message == f"GitHub answered {status} to uploading x.whl: Bad credentials"
    assert needle in error.hint
    assert TOKEN not in str(error)


def test_a_rate_limit_is_not_blamed_on_the_token() -> None:
    error = github_client._http_error(403, "API rate limit exceeded for x", "listing", SETTINGS)
    assert "rate limit" in error.hint and "GITHUB_TOKEN" not in error.hint

"""The GitHub release step against a loopback GitHub (tests/github_fake.py) through the real
client library: githubkit builds and validates the requests, httpx sends them, the fake
checks them against GitHub's request models and answers with bodies validated through
GitHub's response models. Every test ends by asserting the fake saw no schema mismatch."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
import socket
import subprocess
import sys
import tarfile
import threading
import traceback
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if sys.version_info < (3, 10):  # githubkit, and so the github extra, needs 3.10
    pytest.skip("the GitHub release step needs Python 3.10+", allow_module_level=True)

from releasekit.engine.journal import Journal
from releasekit.targets.github.step import (
    SUMS_NAME,
    GitHubError,
    GitHubResult,
    Settings,
    publish_github_release,
)
from tests.helpers.github_fake import FakeGitHub

pytestmark = pytest.mark.slow

TOKEN = f"ghs_{secrets.token_hex(18)}"
TAG = "v1.2.0"
NOTES = "## 1.2.0\n\n- The widget now spins both ways.\n"
WHEEL = "demo-1.2.0-py3-none-any.whl"
SDIST = "demo-1.2.0.tar.gz"
ALL = {WHEEL, SDIST, SUMS_NAME}


@pytest.fixture
def dist(tmp_path: Path) -> list[tuple[Path, str]]:
    """A real wheel (zip) and sdist (tar.gz) and their sha256, as the manifest lists them."""
    root = tmp_path / "dist"
    root.mkdir()
    wheel = root / WHEEL
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo/__init__.py", "__version__ = '1.2.0'\n")
        zf.writestr("demo-1.2.0.dist-info/METADATA", "Name: demo\nVersion: 1.2.0\n")
    sdist = root / SDIST
    with tarfile.open(sdist, "w:gz") as tf:
        data = b"[project]\nname = 'demo'\nversion = '1.2.0'\n"
        info = tarfile.TarInfo("demo-1.2.0/pyproject.toml")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return [(p, hashlib.sha256(p.read_bytes()).hexdigest()) for p in (wheel, sdist)]


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(TOKEN) as server:
        yield server
    assert server.schema_errors == []


def settings_for(fake: FakeGitHub, root: Path, **env: str) -> Settings:
    base = fake.environ()
    base.update(env)
    return Settings.from_env({k: v for k, v in base.items() if v}, root)


def release(
    fake: FakeGitHub,
    files: list[tuple[Path, str]],
    *,
    lines: list[str] | None = None,
    prerelease: bool = False,
    tag: str = TAG,
    **kw: Any,
) -> GitHubResult:
    settings = kw.pop("settings", None) or settings_for(fake, files[0][0].parent)
    return publish_github_release(
        settings,
        tag=tag,
        version=tag.lstrip("v"),
        prerelease=prerelease,
        notes=NOTES,
        files=files,
        echo=(lines.append if lines is not None else lambda line: None),
        **kw,
    )


def uploads_named(fake: FakeGitHub, name: str, status: int | None = None) -> int:
    return sum(
        1
        for s in fake.seen("POST", "uploads")
        if f"name={name}" in s.query and (status is None or s.status == status)
    )


def json_bodies(fake: FakeGitHub, method: str) -> list[dict[str, Any]]:
    return [json.loads(s.body) for s in fake.seen(method, "api")]


class Watcher:
    """Polls the release by tag, as anyone following the repository would, while the step
    runs; records what it saw each time GitHub served the release."""

    def __init__(self, fake: FakeGitHub, tag: str) -> None:
        self.url = f"{fake.api_url}/repos/{fake.owner}/{fake.repo}/releases/tags/{tag}"
        self.seen: list[tuple[int, bool | None, frozenset[str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _poll(self) -> None:
        request = urllib.request.Request(self.url, headers={"Authorization": f"Bearer {TOKEN}"})
        try:
            with self._opener.open(request, timeout=5) as answer:
                data = json.load(answer)
            names = frozenset(a["name"] for a in data["assets"] if a["state"] == "uploaded")
            self.seen.append((200, data["draft"], names))
        except urllib.error.HTTPError as exc:
            self.seen.append((exc.code, None, frozenset()))

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self._poll()

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._poll()  # once more after the step


# -- create from nothing ----------------------------------------------------------------------


def test_create_from_nothing(
    fake: FakeGitHub, dist: list[tuple[Path, str]], tmp_path: Path
) -> None:
    fake.upload_delay = 0.05  # room for the watcher to look between uploads
    journal = Journal(tmp_path / "dist")
    lines: list[str] = []
    with Watcher(fake, TAG) as watcher:
        result = release(fake, dist, lines=lines, journal=journal)

    assert result.created and result.published and not result.dry_run
    assert set(result.uploaded) == ALL and result.skipped == ()
    made = fake.release_for(TAG)
    assert made is not None and not made.draft
    assert (made.name, made.body, made.prerelease, made.make_latest) == (TAG, NOTES, False, None)
    assert result.release_url == f"{fake.web_root}/octo-org/widget/releases/tag/{TAG}"

    # created as a draft, published by the last request, after every file was there
    (create,) = json_bodies(fake, "POST")
    assert create == {
        "tag_name": TAG,
        "name": TAG,
        "body": NOTES,
        "draft": True,
        "prerelease": False,
    }
    assert json_bodies(fake, "PATCH") == [{"draft": False}]
    assert fake.writes()[-1].method == "PATCH"
    for draft, names in fake.iter_history(made.id):
        assert draft or names >= ALL
    published = [s for s in watcher.seen if s[0] == 200]
    assert published and all(not draft and names >= ALL for _, draft, names in published)
    assert any(s[0] == 404 for s in watcher.seen)  # the draft was invisible by tag meanwhile

    # uploads went to the upload_url's host, never to the API
    assert len(fake.seen("POST", "uploads")) == 3
    assert all(s.role == "api" for s in fake.seen() if "assets" not in s.path or s.method == "GET")

    # SHA256SUMS is what `sha256sum -c` checks the downloaded files with
    sums = fake.asset_bytes(TAG, SUMS_NAME).decode()
    assert sums == "".join(f"{sha}  {path.name}\n" for path, sha in sorted(dist))
    check = tmp_path / "downloaded"
    check.mkdir()
    for name in ALL:
        (check / name).write_bytes(fake.asset_bytes(TAG, name))
    done = subprocess.run(
        ["sha256sum", "-c", SUMS_NAME], cwd=check, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert fake.asset_bytes(TAG, WHEEL) == dist[0][0].read_bytes()

    entries = journal.entries()
    assert {(e.step, e.target, e.file) for e in entries} == {("asset", "github", n) for n in ALL}
    assert all(e.extra["tag"] == TAG and e.version == "1.2.0" for e in entries)
    assert lines[0].startswith("GitHub: octo-org/widget (GITHUB_REPOSITORY)")
    assert any(line.strip().startswith("published ") for line in lines)


def test_a_prerelease_is_flagged_and_never_marked_latest(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    result = release(fake, dist, prerelease=True, tag="v1.2.0rc1")
    assert result.published
    (create,) = json_bodies(fake, "POST")
    assert create["prerelease"] is True and create["make_latest"] == "false"
    assert json_bodies(fake, "PATCH") == [{"draft": False, "make_latest": "false"}]
    made = fake.release_for("v1.2.0rc1")
    assert made is not None and made.prerelease and not made.draft


# -- a release a human made -------------------------------------------------------------------


def test_an_existing_release_keeps_its_notes_and_gets_the_files(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    human = fake.add_release(
        TAG,
        name="Widget 1.2 — spins both ways",
        body="Hand-written notes, with thanks to @alice.",
        assets={"demo-1.2.0-manual.pdf": b"%PDF-1.7 manual"},
    )
    result = release(fake, dist)
    assert not result.created and not result.published
    assert set(result.uploaded) == ALL
    assert fake.seen("POST", "api") == [] and fake.seen("PATCH") == []
    assert (human.name, human.body, human.draft) == (
        "Widget 1.2 — spins both ways",
        "Hand-written notes, with thanks to @alice.",
        False,
    )
    assert {a.name for a in human.assets} == ALL | {"demo-1.2.0-manual.pdf"}


def test_a_human_draft_for_the_tag_is_completed_keeping_its_notes(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    draft = fake.add_release(TAG, name="Draft title", body="Drafted notes", draft=True)
    result = release(fake, dist)
    assert result.published and not result.created
    assert (draft.name, draft.body, draft.draft) == ("Draft title", "Drafted notes", False)
    assert json_bodies(fake, "PATCH") == [{"draft": False}]


# -- reruns -----------------------------------------------------------------------------------


def test_a_rerun_after_a_failure_between_two_uploads_finishes(
    fake: FakeGitHub, dist: list[tuple[Path, str]], tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "dist")
    fake.fail_uploads = {2}
    with pytest.raises(GitHubError) as info:
        release(fake, dist, journal=journal)
    assert info.value.status == 500
    assert "GitHub answered 500 to uploading demo-1.2.0.tar.gz" in info.value.message
    assert "rerun" in info.value.hint
    half = fake.release_for(TAG)
    assert half is not None and half.draft  # nobody saw a half-made release
    assert [a.name for a in half.assets] == [WHEEL]
    assert fake.seen("PATCH") == []

    before = len(fake.requests)
    result = release(fake, dist, journal=journal)
    assert result.published and not result.created
    assert result.skipped == (WHEEL,) and set(result.uploaded) == {SDIST, SUMS_NAME}
    # the rerun found the draft (not served by tag) in the list, and made no second release
    assert len(fake.releases) == 1 and len(fake.seen("POST", "api")) == 1
    rerun = fake.requests[before:]
    assert [(s.method, s.role) for s in rerun if s.method != "GET"] == [
        ("POST", "uploads"),
        ("POST", "uploads"),
        ("PATCH", "api"),
    ]
    for name in ALL:
        assert uploads_named(fake, name, status=201) == 1
    assert len(fake.seen("POST", "uploads")) == 4  # 3 files + the one that failed
    assert sorted(e.file for e in journal.entries()) == sorted(ALL)
    for draft, names in fake.iter_history(half.id):
        assert draft or names >= ALL

    # and a third run has nothing left to do
    before = len(fake.requests)
    third = release(fake, dist)
    assert third.uploaded == () and not third.published and set(third.skipped) == ALL
    assert [s for s in fake.requests[before:] if s.method != "GET"] == []


def test_an_upload_that_landed_but_whose_answer_was_lost_is_not_repeated(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    fake.land_then_fail = {1}
    with pytest.raises(GitHubError) as info:
        release(fake, dist)
    assert info.value.status == 502
    result = release(fake, dist)
    assert result.published and WHEEL in result.skipped
    for name in ALL:
        assert uploads_named(fake, name) == 1


def test_an_unfinished_upload_is_deleted_and_uploaded_again(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    fake.add_release(TAG, body=NOTES, draft=True, assets={SDIST: b"partial"}, open_assets=(SDIST,))
    result = release(fake, dist)
    assert result.published and SDIST in result.uploaded
    assert len(fake.seen("DELETE")) == 1
    assert fake.asset_bytes(TAG, SDIST) == dist[1][0].read_bytes()


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("draft", [True, False], ids=["draft-of-a-failed-run", "published"])
def test_a_same_named_asset_with_other_bytes_is_refused_before_any_upload(
    fake: FakeGitHub, dist: list[tuple[Path, str]], draft: bool
) -> None:
    other = b"an earlier build's sdist"
    fake.add_release(TAG, body=NOTES, draft=draft, assets={SDIST: other})
    with pytest.raises(GitHubError) as info:
        release(fake, dist)
    message = info.value.message
    assert SDIST in message and "other bytes" in message
    assert f"sha256:{hashlib.sha256(other).hexdigest()}" in message
    assert f"sha256:{dist[1][1]}" in message
    assert "nothing was changed on GitHub" in info.value.hint
    assert fake.writes() == []
    assert fake.asset_bytes(TAG, SDIST) == other


def test_an_upload_url_on_a_foreign_host_gets_no_token(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    fake.upload_host = "https://uploads.evil.example"
    with pytest.raises(GitHubError, match="not the API's host"):
        release(fake, dist)
    assert fake.seen("POST", "uploads") == []
    made = fake.release_for(TAG)
    assert made is not None and made.draft and made.assets == []


def test_a_wrong_token_is_401_with_a_hint_and_changes_nothing(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    settings = settings_for(fake, dist[0][0].parent, GITHUB_TOKEN="ghs_wrongwrongwrong")
    with pytest.raises(GitHubError) as info:
        release(fake, dist, settings=settings)
    assert info.value.status == 401
    assert info.value.message.endswith("401 to reading the release of v1.2.0: Bad credentials")
    assert "GITHUB_TOKEN" in info.value.hint and "contents: write" in info.value.hint
    assert "ghs_wrongwrongwrong" not in str(info.value)
    assert fake.writes() == []


def test_an_unknown_repository_is_404_naming_it(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    settings = settings_for(fake, dist[0][0].parent, GITHUB_REPOSITORY="octo-org/nope")
    with pytest.raises(GitHubError) as info:
        release(fake, dist, settings=settings)
    assert info.value.status == 404
    assert "octo-org/nope" in info.value.hint and "GITHUB_REPOSITORY" in info.value.hint


def test_every_request_has_a_timeout(dist: list[tuple[Path, str]]) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings = Settings("o", "r", f"http://127.0.0.1:{port}", token=TOKEN, timeout=0.5)
        with pytest.raises(GitHubError, match=r"did not answer reading the release of v1\.2\.0"):
            publish_github_release(
                settings,
                tag=TAG,
                version="1.2.0",
                prerelease=False,
                notes=NOTES,
                files=dist,
                echo=lambda line: None,
            )


# -- the token --------------------------------------------------------------------------------


def test_the_token_is_never_in_output_exceptions_or_logs(
    fake: FakeGitHub,
    dist: list[tuple[Path, str]],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx, httpcore, githubkit and releasekit, all of it
    texts: list[str] = []
    settings = settings_for(fake, dist[0][0].parent)
    texts += [repr(settings), str(settings)]

    def attempt(tag: str = TAG, **kw: Any) -> None:
        try:
            result = publish_github_release(
                settings,
                tag=tag,
                version=tag[1:],
                prerelease=False,
                notes=NOTES,
                files=dist,
                **kw,
            )
            texts.append(repr(result))
        except GitHubError as exc:
            texts.extend([str(exc), repr(exc), exc.hint, *traceback.format_exception(exc)])

    attempt(dry_run=True)  # prints through the default echo, print()
    fake.fail_uploads = {2}
    attempt()  # a 500 half-way
    fake.fail_uploads = set()
    attempt()  # the rerun that finishes
    fake.upload_host = "https://uploads.evil.example"
    attempt(tag="v9.9.9")  # refused upload host
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text]
    texts += [record.getMessage() for record in caplog.records]

    assert any(s.authorization == f"Bearer {TOKEN}" for s in fake.requests)  # it was used
    assert "uploaded SHA256SUMS" in out.out and caplog.records  # there was output to search
    for text in texts:
        assert TOKEN not in text
        assert TOKEN[4:] not in text


# -- dry run ----------------------------------------------------------------------------------


def test_a_dry_run_reads_github_prints_the_plan_and_changes_nothing(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    draft = fake.add_release(TAG, body=NOTES, draft=True, assets={WHEEL: dist[0][0].read_bytes()})
    lines: list[str] = []
    result = release(fake, dist, lines=lines, dry_run=True)
    assert result.dry_run and not result.published and result.uploaded == ()
    assert result.release_id == draft.id
    assert fake.writes() == []
    text = "\n".join(lines)
    assert "dry run: nothing changes on GitHub" in lines[0]
    assert f"{WHEEL}: already there with the same sha256, skipped" in text
    assert f"would upload {SDIST}" in text and "would publish the draft" in text
    assert [a.name for a in draft.assets] == [WHEEL] and draft.draft

    lines.clear()
    release(fake, dist, lines=lines, dry_run=True, tag="v2.0.0")
    assert any(line.strip().startswith("would create draft release v2.0.0") for line in lines)
    assert fake.writes() == [] and fake.release_for("v2.0.0") is None


def test_a_dry_run_shows_a_refusal_and_fails_like_the_real_run(
    fake: FakeGitHub, dist: list[tuple[Path, str]]
) -> None:
    fake.add_release(TAG, assets={SDIST: b"other"})
    lines: list[str] = []
    with pytest.raises(GitHubError, match="other bytes"):
        release(fake, dist, lines=lines, dry_run=True)
    assert any(line.strip().startswith("refused: ") for line in lines)
    assert fake.writes() == []


# -- where the repository and the API are -----------------------------------------------------


def git_repo(root: Path, remote: str | None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    if remote is not None:
        subprocess.run(["git", "-C", str(root), "remote", "add", "origin", remote], check=True)
    return root


def test_without_github_repository_the_origin_remote_is_used(
    fake: FakeGitHub, dist: list[tuple[Path, str]], tmp_path: Path
) -> None:
    root = git_repo(tmp_path / "checkout", "git@github.com:octo-org/widget.git")
    settings = Settings.from_env({"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake.api_url}, root)
    assert settings.repository == "octo-org/widget"
    assert settings.repository_source == "origin remote git@github.com:octo-org/widget.git"
    assert release(fake, dist, settings=settings).published


def test_a_ghes_remote_without_github_api_url_points_at_its_api(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "checkout", "https://ghe.corp.example/team/tool.git")
    settings = Settings.from_env({"GITHUB_TOKEN": TOKEN}, root)
    assert (settings.repository, settings.api_url) == (
        "team/tool",
        "https://ghe.corp.example/api/v3",
    )


def test_a_token_in_the_remote_url_is_not_repeated(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "checkout", f"https://x-access-token:{TOKEN}@github.com/o/r.git")
    settings = Settings.from_env({}, root)
    assert settings.repository == "o/r" and TOKEN not in settings.repository_source
    root2 = git_repo(tmp_path / "other", f"https://x-access-token:{TOKEN}@gitlab.com/g/s/p.git")
    with pytest.raises(GitHubError) as info:
        Settings.from_env({}, root2)
    assert TOKEN not in str(info.value) and "***@gitlab.com" in info.value.message


def test_no_github_repository_and_no_origin_is_an_error(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "checkout", None)
    with pytest.raises(GitHubError, match="no `origin` remote") as info:
        Settings.from_env({"GITHUB_TOKEN": TOKEN}, root)
    assert "GITHUB_REPOSITORY=OWNER/NAME" in info.value.hint
    with pytest.raises(GitHubError, match="no `origin` remote"):
        Settings.from_env({}, tmp_path / "not-a-repo")


def test_ghes_api_and_upload_urls_and_no_digests(dist: list[tuple[Path, str]]) -> None:
    """GHES: the API under /api/v3, uploads under /api/uploads on the same host, the API
    version GHES knows, and (an older server) no digests: a rerun compares downloaded
    bytes instead."""
    with FakeGitHub(TOKEN, ghes=True, digests=False) as ghes:
        assert ghes.api_url.endswith("/api/v3")
        settings = settings_for(ghes, dist[0][0].parent)
        assert not settings.is_github_com
        ghes.fail_uploads = {3}
        with pytest.raises(GitHubError):
            release(ghes, dist, settings=settings)
        result = release(ghes, dist, settings=settings)
        assert result.published and set(result.skipped) == {WHEEL, SDIST}
        assert result.uploaded == (SUMS_NAME,)
        assert len(ghes.seen("GET", "download")) == 2  # the two files already there
        for name in ALL:
            assert uploads_named(ghes, name, status=201) == 1
        assert {s.api_version for s in ghes.requests if s.role != "download"} == {"2022-11-28"}
        assert ghes.schema_errors == []


def test_downloads_for_comparison_do_not_carry_the_token_to_storage(
    dist: list[tuple[Path, str]],
) -> None:
    with FakeGitHub(TOKEN, digests=False) as fake:
        fake.fail_uploads = {2}
        with pytest.raises(GitHubError):
            release(fake, dist)
        assert release(fake, dist).published
        (download,) = fake.seen("GET", "download")
        assert download.authorization is None  # another origin: httpx dropped the header
        assert fake.schema_errors == []


def test_the_fake_refuses_uploads_posted_to_the_api_url(fake: FakeGitHub) -> None:
    """What githubkit's own upload method would do (post to its base_url) fails here, as on
    GitHub: the step only passes because it posts to the release's upload_url."""
    made = fake.add_release(TAG, draft=True)
    url = f"{fake.api_url}/repos/octo-org/widget/releases/{made.id}/assets?name=x.whl"
    request = urllib.request.Request(
        url,
        data=b"x",
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/zip"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(request, timeout=5)
    assert info.value.code == 404

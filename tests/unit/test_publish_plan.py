"""The pure half of publishing: the upload plan, credentials, summaries, the wait loop."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from releasekit.core.config import IndexConfig
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.errors import PublishError
from releasekit.runtime.credentials import twine_credentials
from releasekit.targets.pypi import upload as publish_mod
from releasekit.targets.pypi.simple import RemoteFile
from releasekit.targets.pypi.upload import (
    FileResult,
    IndexResult,
    Outcome,
    UploadPlan,
    plan_upload,
    wait_until_served,
)

INDEX = IndexConfig("test", "https://test.pypi.org/simple/", "https://test.pypi.org/legacy/")
SHA_W = "1" * 64
SHA_S = "2" * 64
WHEEL = DistFile("demo-1.0.0-py3-none-any.whl", SHA_W, 1000, "wheel")
SDIST = DistFile("demo-1.0.0.tar.gz", SHA_S, 900, "sdist")


def remote(name: str, sha256: str | None) -> RemoteFile:
    return RemoteFile(name, f"https://files.example/{name}", sha256)


# -- plan_upload -----------------------------------------------------------------------------


def test_nothing_on_the_index_uploads_everything() -> None:
    assert plan_upload([WHEEL, SDIST], {}, INDEX) == UploadPlan((WHEEL, SDIST), ())


def test_identical_files_are_skipped_and_missing_ones_uploaded() -> None:
    there = {
        WHEEL.filename: remote(WHEEL.filename, SHA_W.upper()),  # hex case does not matter
        "demo-0.9.tar.gz": remote("demo-0.9.tar.gz", "9" * 64),  # other versions: ignored
    }
    assert plan_upload([WHEEL, SDIST], there, INDEX) == UploadPlan((SDIST,), (WHEEL,))


def test_all_identical_uploads_nothing() -> None:
    there = {f.filename: remote(f.filename, f.sha256) for f in (WHEEL, SDIST)}
    assert plan_upload([WHEEL, SDIST], there, INDEX) == UploadPlan((), (WHEEL, SDIST))


def test_a_different_file_under_the_same_name_is_refused() -> None:
    there = {WHEEL.filename: remote(WHEEL.filename, "f" * 64)}
    with pytest.raises(PublishError) as info:
        plan_upload([WHEEL, SDIST], there, INDEX)
    message = info.value.message
    assert WHEEL.filename in message
    assert "ffffffffffff" in message and SHA_W[:12] in message
    assert SHA_W not in message  # short hashes: one readable line
    assert "test" in message and INDEX.url in message
    assert "nothing was uploaded" in message
    assert "bump" in info.value.hint and "yank" in info.value.hint


def test_a_file_without_a_hash_on_the_index_is_refused() -> None:
    there = {SDIST.filename: remote(SDIST.filename, None)}
    with pytest.raises(PublishError) as info:
        plan_upload([WHEEL, SDIST], there, INDEX)
    assert SDIST.filename in info.value.message
    assert "no sha256" in info.value.message


def test_every_file_is_checked_before_raising() -> None:
    """A conflict on the last file still names every conflict, and nothing is planned."""
    other = DistFile("demo-1.0.0-cp312-cp312-linux_x86_64.whl", "3" * 64, 5, "wheel")
    there = {
        WHEEL.filename: remote(WHEEL.filename, "e" * 64),
        other.filename: remote(other.filename, None),
    }
    with pytest.raises(PublishError) as info:
        plan_upload([WHEEL, SDIST, other], there, INDEX)
    assert WHEEL.filename in info.value.message
    assert other.filename in info.value.message
    assert SDIST.filename not in info.value.message  # missing is fine, not a conflict


# -- twine_credentials ---------------------------------------------------------------------


def test_credentials_from_releasekit_variables() -> None:
    env = {"RELEASEKIT_TEST_PASSWORD": "pypi-abc", "RELEASEKIT_PROD_PASSWORD": "other"}
    assert twine_credentials(INDEX, env) == {
        "TWINE_USERNAME": "__token__",
        "TWINE_PASSWORD": "pypi-abc",
    }
    env["RELEASEKIT_TEST_USERNAME"] = "alice"
    assert twine_credentials(INDEX, env)["TWINE_USERNAME"] == "alice"


def test_prod_index_uses_prod_variables() -> None:
    prod = IndexConfig("prod", "https://pypi.org/simple/", "https://upload.pypi.org/legacy/")
    env = {"RELEASEKIT_TEST_PASSWORD": "t", "RELEASEKIT_PROD_PASSWORD": "p"}
    assert twine_credentials(prod, env)["TWINE_PASSWORD"] == "p"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"RELEASEKIT_TEST_USERNAME": "alice"},  # a username alone is not a credential
        {"RELEASEKIT_TEST_PASSWORD": ""},  # an undefined CI secret: let OIDC work
        {"TWINE_PASSWORD": "x", "RELEASEKIT_PROD_PASSWORD": "y"},
    ],
)
def test_no_password_leaves_twine_to_its_own_resolution(env: dict[str, str]) -> None:
    assert twine_credentials(INDEX, env) == {}


def test_empty_username_defaults_to_token() -> None:
    env = {"RELEASEKIT_TEST_PASSWORD": "pw", "RELEASEKIT_TEST_USERNAME": ""}
    assert twine_credentials(INDEX, env)["TWINE_USERNAME"] == "__token__"


# -- IndexResult.summary ---------------------------------------------------------------------


def result(*outcomes: Outcome) -> IndexResult:
    files = tuple(FileResult(f"f{i}", "0" * 64, o) for i, o in enumerate(outcomes))
    return IndexResult("test", INDEX.url, files)


@pytest.mark.parametrize(
    ("outcomes", "summary"),
    [
        ((Outcome.UPLOADED, Outcome.UPLOADED), "2 uploaded"),
        ((Outcome.IDENTICAL, Outcome.IDENTICAL), "2 already identical"),
        ((Outcome.IDENTICAL, Outcome.UPLOADED), "1 uploaded, 1 already identical"),
        ((), "no files"),
    ],
)
def test_summary(outcomes: tuple[Outcome, ...], summary: str) -> None:
    assert result(*outcomes).summary == summary


def test_outcome_values_are_strings() -> None:
    assert isinstance(Outcome.IDENTICAL, str)
    assert Outcome.IDENTICAL.value == "already identical"
    assert Outcome("uploaded") is Outcome.UPLOADED


# -- wait_until_served -----------------------------------------------------------------------


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def serve(monkeypatch: pytest.MonkeyPatch, pages: Sequence[dict[str, RemoteFile]]) -> list[str]:
    """Make project_files answer ``pages`` in turn (the last one forever); record calls."""
    calls: list[str] = []

    def fake(index_url: str, project: str, *, timeout: float = 30.0) -> dict[str, RemoteFile]:
        calls.append(project)
        return pages[min(len(calls), len(pages)) - 1]

    monkeypatch.setattr(publish_mod, "project_files", fake)
    return calls


BOTH = {f.filename: remote(f.filename, f.sha256) for f in (WHEEL, SDIST)}
ONLY_WHEEL = {WHEEL.filename: remote(WHEEL.filename, SHA_W)}


def test_served_at_once_does_not_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = serve(monkeypatch, [BOTH])
    fake = FakeTime()
    lines: list[str] = []
    wait_until_served(
        INDEX,
        "demo",
        [WHEEL, SDIST],
        timeout=300,
        log=lines.append,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert calls == ["demo"] and fake.sleeps == [] and lines == []


def test_backoff_until_served(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = serve(monkeypatch, [{}, {}, ONLY_WHEEL, ONLY_WHEEL, BOTH])
    fake = FakeTime()
    lines: list[str] = []
    wait_until_served(
        INDEX,
        "demo",
        [WHEEL, SDIST],
        timeout=300,
        log=lines.append,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert len(calls) == 5
    assert fake.sleeps == [1, 2, 4, 8]
    assert lines[0] == (
        f"waiting for test ({INDEX.url}) to serve 2 file(s) (CDN propagation), next check in 1s"
    )
    assert "serve 1 file(s)" in lines[2] and lines[3].endswith("next check in 8s")


def test_backoff_is_capped_at_30_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, [{}] * 9 + [BOTH])
    fake = FakeTime()
    wait_until_served(
        INDEX,
        "demo",
        [WHEEL, SDIST],
        timeout=1000,
        log=lambda _: None,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert fake.sleeps == [1, 2, 4, 8, 16, 30, 30, 30, 30]


def test_timeout_names_the_missing_files(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, [ONLY_WHEEL])
    fake = FakeTime()
    with pytest.raises(PublishError) as info:
        wait_until_served(
            INDEX,
            "demo",
            [WHEEL, SDIST],
            timeout=10,
            log=lambda _: None,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert SDIST.filename in info.value.message
    assert WHEEL.filename not in info.value.message
    assert "propagation-timeout" in info.value.hint
    assert fake.sleeps == [1, 2, 4, 3]  # the last wait is cut to the deadline
    assert fake.now == 110


def test_zero_timeout_checks_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = serve(monkeypatch, [{}])
    fake = FakeTime()
    with pytest.raises(PublishError):
        wait_until_served(
            INDEX,
            "demo",
            [WHEEL],
            timeout=0,
            log=lambda _: None,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert len(calls) == 1 and fake.sleeps == []


def test_a_different_hash_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = serve(monkeypatch, [{}, {WHEEL.filename: remote(WHEEL.filename, "d" * 64)}])
    fake = FakeTime()
    with pytest.raises(PublishError) as info:
        wait_until_served(
            INDEX,
            "demo",
            [WHEEL, SDIST],
            timeout=300,
            log=lambda _: None,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert len(calls) == 2 and fake.sleeps == [1]
    assert WHEEL.filename in info.value.message and "dddddddddddd" in info.value.message


def test_a_served_file_without_hash_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, [{WHEEL.filename: remote(WHEEL.filename, None)}])
    fake = FakeTime()
    with pytest.raises(PublishError, match="without a sha256"):
        wait_until_served(
            INDEX,
            "demo",
            [WHEEL],
            timeout=300,
            log=lambda _: None,
            sleep=fake.sleep,
            clock=fake.clock,
        )


# -- publish: a failed twine run whose upload landed anyway ----------------------------------


@pytest.fixture
def dist(tmp_path: Path) -> tuple[Manifest, Path]:
    (tmp_path / "demo-1.0.0.tar.gz").write_bytes(b"sdist bytes")
    from releasekit.engine.manifest import describe

    files = (describe(tmp_path / "demo-1.0.0.tar.gz"),)
    return Manifest("demo", "1.0.0", files), tmp_path


def test_failed_twine_but_file_landed_counts_as_uploaded(
    monkeypatch: pytest.MonkeyPatch, dist: tuple[Manifest, Path]
) -> None:
    manifest, dist_dir = dist
    landed = {f.filename: remote(f.filename, f.sha256) for f in manifest.files}
    serve(monkeypatch, [{}, landed])

    def failing_upload(*args: object, **kwargs: object) -> None:
        raise PublishError("uploading to the test index failed: 400 File already exists")

    monkeypatch.setattr(publish_mod, "upload", failing_upload)
    lines: list[str] = []
    res = publish_mod.publish(
        manifest, dist_dir, INDEX, twine=["twine"], log=lines.append, sleep=lambda _: None
    )
    assert res.summary == "1 uploaded"
    assert any("counting it as uploaded" in line for line in lines)


def test_failed_twine_and_file_missing_reraises(
    monkeypatch: pytest.MonkeyPatch, dist: tuple[Manifest, Path]
) -> None:
    manifest, dist_dir = dist
    serve(monkeypatch, [{}])

    def failing_upload(*args: object, **kwargs: object) -> None:
        raise PublishError("uploading to the test index failed: 403 Forbidden", "check it")

    monkeypatch.setattr(publish_mod, "upload", failing_upload)
    with pytest.raises(PublishError, match="403 Forbidden"):
        publish_mod.publish(
            manifest, dist_dir, INDEX, twine=["twine"], log=lambda _: None, sleep=lambda _: None
        )

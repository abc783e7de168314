"""The release policy and the release plan: pure, so every rule is tested without I/O."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.plan import (
    Holding,
    RemoteView,
    TargetPlan,
    TargetState,
    make_plan,
    new_project_refusals,
)
from releasekit.engine.policy import Verdict, decide
from releasekit.errors import PublishError
from releasekit.targets.base import Stage, Target
from tests.helpers.fake_targets import FakeTarget, Store

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)
TEST = ("test", Stage.TEST, "https://test.example/simple/")
PROD = ("prod", Stage.PROD, "https://prod.example/simple/")
SDIST = DistFile("demo-1.2.0.tar.gz", "a" * 64, 10, "sdist")
WHEEL = DistFile("demo-1.2.0-py3-none-any.whl", "b" * 64, 10, "wheel")


def manifest(version: str = "1.2.0", tag: str | None = "v1.2.0") -> Manifest:
    files = tuple(
        DistFile(f.filename.replace("1.2.0", version), f.sha256, f.size, f.kind)
        for f in (SDIST, WHEEL)
    )
    return Manifest(name="demo", version=version, files=files, tag=tag)


def plan(
    states: dict[str, TargetState] | None = None,
    *,
    version: str = "1.2.0",
    tag: str | None = "v1.2.0",
    rehearse: bool = False,
    pre_release: str = "both",
    credentials: dict[str, bool] | None = None,
    scope: tuple[tuple[str, Stage, str], ...] = (TEST, PROD),
):  # type: ignore[no-untyped-def]
    read: list[str] = []
    credentials = credentials if credentials is not None else {"test": True, "prod": True}

    class Reading(FakeTarget):
        def read(self, manifest: Manifest) -> TargetState:
            read.append(self.name)
            return (states or {}).get(self.name, TargetState())

    targets: list[Target] = [
        Reading(name, stage, Store(), url=url, credentials=credentials[name])
        for name, stage, url in scope
    ]
    for target in targets:  # the upload URLs the messages name
        target.publish_url = target.url.replace("/simple/", "/legacy/")
    result = make_plan(
        manifest(version, tag),
        targets,
        tag_prefix=None,
        pre_release=pre_release,
        rehearse=rehearse,
        dist_dir=Path("dist"),  # fake targets have no preflight: test_preflight_rules has one
    )
    return result, read


# --- policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "version", "tagged", "rehearse", "policy", "verdict"),
    [
        (Stage.TEST, "1.2.0", False, False, "both", Verdict.PUBLISH),
        (Stage.PROD, "1.2.0", True, False, "both", Verdict.PUBLISH),
        (Stage.PROD, "1.2.0", False, False, "both", Verdict.REFUSE),
        (Stage.PROD, "1.2.0", False, True, "both", Verdict.PUBLISH),
        (Stage.PROD, "1.2.0.dev3", True, False, "both", Verdict.REFUSE),
        (Stage.TEST, "1.2.0.dev3", False, False, "both", Verdict.PUBLISH),
        (Stage.PROD, "1.2.0rc1", True, False, "test-only", Verdict.SKIP),
        (Stage.PROD, "1.2.0rc1", True, False, "both", Verdict.PUBLISH),
        (Stage.TEST, "1.2.0rc1", True, False, "test-only", Verdict.PUBLISH),
        (Stage.PROD, "1.2.0rc1", False, True, "test-only", Verdict.SKIP),
        (Stage.TEST, "1.2.0+local", True, False, "both", Verdict.REFUSE),
        (Stage.PROD, "1.2.0+local", True, True, "both", Verdict.REFUSE),
        # after prod (a GitHub release) is judged as prod
        (Stage.AFTER_PROD, "1.2.0", False, False, "both", Verdict.REFUSE),
        (Stage.AFTER_PROD, "1.2.0", True, False, "both", Verdict.PUBLISH),
        (Stage.AFTER_PROD, "1.2.0.dev3", True, False, "both", Verdict.REFUSE),
    ],
)
def test_policy(
    target: str, version: str, tagged: bool, rehearse: bool, policy: str, verdict: Verdict
) -> None:
    decision = decide(target, version, tagged=tagged, rehearse=rehearse, pre_release=policy)
    assert decision.verdict is verdict
    if verdict is Verdict.REFUSE:
        assert decision.reason and decision.hint


def test_untagged_prod_refusal_says_how_to_go_on() -> None:
    decision = decide("prod", "1.2.0", tagged=False, rehearse=False, pre_release="both")
    assert decision.reason == "1.2.0 has no release tag: prod only takes tagged builds"
    assert "`git tag v1.2.0`" in decision.hint and "nox -s publish-test" in decision.hint


# --- plan -------------------------------------------------------------------------------------


def test_a_fresh_release_uploads_everything_everywhere() -> None:
    result, read = plan()
    assert read == ["test", "prod"]
    assert [t.uploads for t in result.targets] == [
        (SDIST.filename, WHEEL.filename),
        (SDIST.filename, WHEEL.filename),
    ]
    assert result.refusals == []
    result.check()
    assert result.render() == [
        "release plan: demo 1.2.0 (final), tag v1.2.0",
        f"  file   {SDIST.filename}  sha256={'a' * 16}…",
        f"  file   {WHEEL.filename}  sha256={'b' * 16}…",
        "  test   https://test.example/simple/: upload 2 file(s) (2 missing)",
        "  prod   https://prod.example/simple/: upload 2 file(s) (2 missing)",
    ]


def test_a_conflict_on_prod_refuses_before_the_test_index_is_touched() -> None:
    states = {"prod": TargetState({SDIST.filename: RemoteView("c" * 64)})}
    result, _ = plan(states)
    assert result.target("test").uploads  # type: ignore[union-attr]
    with pytest.raises(PublishError) as exc:
        result.check()
    assert exc.value.message == (
        "the release is refused, nothing was uploaded: prod: demo-1.2.0.tar.gz is already "
        f"there with sha256 {'c' * 12}…, ours is {'a' * 12}…"
    )
    assert "bump the version" in exc.value.hint
    assert result.render()[-1] == "  => refused: nothing will be uploaded anywhere"


def test_identical_files_are_not_uploaded_again() -> None:
    states = {
        "test": TargetState(
            {SDIST.filename: RemoteView("a" * 64), WHEEL.filename: RemoteView("b" * 64)}
        ),
        "prod": TargetState({SDIST.filename: RemoteView("a" * 64)}),
    }
    result, _ = plan(states)
    test, prod = result.targets
    assert test.uploads == () and prod.uploads == (WHEEL.filename,)
    assert [f.holding for f in prod.files] == [Holding.IDENTICAL, Holding.MISSING]
    assert test.describe() == "nothing to upload (2 identical)"
    assert prod.describe() == "upload 1 file(s) (1 identical, 1 missing)"


def test_a_file_without_a_sha256_on_the_index_is_a_refusal() -> None:
    result, _ = plan({"test": TargetState({WHEEL.filename: RemoteView(None)})})
    assert "the index gave no sha256 to compare" in result.refusals[0][0]


def test_missing_credentials_only_matter_where_something_will_be_uploaded() -> None:
    result, _ = plan(credentials={"test": True, "prod": False})
    ((message, hint),) = result.refusals
    assert message == "prod: no credentials to upload to https://prod.example/legacy/"
    assert hint == "set FAKE_PROD_TOKEN"  # the target's own hint (an index's: test_credentials)

    done = TargetState({SDIST.filename: RemoteView("a" * 64), WHEEL.filename: RemoteView("b" * 64)})
    result, _ = plan({"prod": done}, credentials={"test": True, "prod": False})
    assert result.refusals == []


def test_skipped_and_refused_targets_are_not_read() -> None:
    result, read = plan(version="1.2.0rc1", pre_release="test-only")
    assert read == ["test"]
    assert result.target("prod").describe() == (  # type: ignore[union-attr]
        'skipped: 1.2.0rc1 is a pre-release and pre-release = "test-only"'
    )
    result.check()

    result, read = plan(tag=None)
    assert read == ["test"]
    assert result.refusals[0][0].startswith("prod: 1.2.0 has no release tag")
    assert result.render()[0] == "release plan: demo 1.2.0 (final), tag none yet (would be v1.2.0)"


def test_publish_test_alone_is_not_stopped_by_prod() -> None:
    result, read = plan(tag=None, scope=(TEST,))
    assert read == ["test"] and result.refusals == []


def test_the_plan_is_written_for_later_sessions(tmp_path: Path) -> None:
    result, _ = plan()
    data = json.loads(result.save(tmp_path).read_text(encoding="utf-8"))
    assert data["version"] == "1.2.0"
    assert data["targets"][1]["name"] == "prod"
    assert data["targets"][1]["verdict"] == "publish"
    assert data["targets"][1]["files"][0]["holding"] == "missing"


def test_new_projects_are_counted_per_index_url_not_per_target_name() -> None:
    """Members whose ``prod`` are two indexes: each index counts the projects it would get."""
    first, second = "https://one.example/simple/", "https://two.example/simple/"
    planned = []
    for name, url in [("a", first), ("b", first), ("c", first), ("d", second), ("e", second)]:
        target = FakeTarget("prod", Stage.PROD, Store(), url=url)
        target.new_projects_per_day = 2
        part = TargetPlan("prod", url, url, Verdict.PUBLISH, new_project=True)
        planned.append((name, target, part))
    ((message, hint),) = new_project_refusals(planned)
    assert message == (
        "prod: the fake's new-project rate limit: this release would create 3 projects on "
        f"{first} (a, b, c); an account may create 2 a day"
    )
    assert hint.startswith("release the workspace in batches of 2 new members a day")
    assert new_project_refusals(planned[:2] + planned[3:]) == []

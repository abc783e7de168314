"""``releasekit status``'s verdict (:mod:`releasekit.engine.status`) from fake readings.

Pure: each test hands :func:`assess` what the targets, git and the journal said and checks
what is reported as disagreeing, whether the release is complete, which stages a
``--finish`` would write and what it cannot fix. The npm row is read for real from a
loopback packument (the integration test has no npm member: verdaccio would double it).
"""

from __future__ import annotations

import datetime
import io
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any, cast

import pytest

from releasekit.engine.journal import Entry
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.remote import Holding, RemoteView, Stage
from releasekit.engine.status import (
    Observed,
    ProjectStatus,
    TagReading,
    TargetReading,
    as_json,
    assess,
    render_table,
)
from releasekit.errors import PublishError
from releasekit.targets.npm import NpmRegistryTarget
from tests.helpers.fake_targets import FakeTarget, Store
from tests.helpers.http import Handler, serve

SDIST = DistFile("demo-1.2.0.tar.gz", "a" * 64, 10, "sdist")
WHEEL = DistFile("demo-1.2.0-py3-none-any.whl", "b" * 64, 20, "wheel")
MANIFEST = Manifest("demo", "1.2.0", (SDIST, WHEEL), tag="v1.2.0", commit="c" * 40)
PUSHED = TagReading("v1.2.0", "c" * 40, "origin", "c" * 40, build_commit="c" * 40)
WHEN = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=datetime.timezone.utc)


def held(*files: DistFile, other: str | None = None) -> Observed:
    return Observed(
        files={f.filename: RemoteView(other or f.sha256, WHEN) for f in files},
        state="project active",
    )


def target(
    name: str,
    stage: Stage,
    observed: Observed | None,
    *,
    error: str | None = None,
    required: bool = True,
    skipped: str = "",
) -> TargetReading:
    url = f"https://{name}.example/simple/"
    return TargetReading(name, "index", url, stage, observed, error, required, skipped)


def entry(target_name: str, item: DistFile) -> Entry:
    url = f"https://{target_name}.example/simple/"
    return Entry(
        "2026-11-21T10:00:00Z", "upload", target_name, item.filename, item.sha256, "run-1",
        {"url": url, "version": "1.2.0"},
    )  # fmt: skip


def assess_demo(
    *targets: TargetReading, tag: TagReading | None = PUSHED, journal: Sequence[Entry] = ()
) -> ProjectStatus:
    return assess(
        label="demo", name="demo", version="1.2.0", manifest=MANIFEST, tag=tag,
        targets=targets, journal=journal,
    )  # fmt: skip


def test_everything_everywhere_is_complete() -> None:
    status = assess_demo(
        target("test", Stage.TEST, held(SDIST, WHEEL)),
        target("prod", Stage.PROD, held(SDIST, WHEEL)),
        journal=[entry("test", SDIST), entry("test", WHEEL), entry("prod", SDIST)],
    )
    assert status.complete and status.disagreements == () and status.unfinished == ()
    text = render_table([status])
    assert text.splitlines()[0] == "demo 1.2.0: complete  (files: the build in dist/)"
    assert "v1.2.0  here cccccccccccc; origin: pushed" in text
    assert "  demo-1.2.0-py3-none-any.whl  ok    ok (unjournaled)" in text
    assert "journal  3 line(s) for this build (test 2, prod 1)" in text
    assert "first upload 2026-11-21 10:00 UTC" in text
    assert "--finish" not in text


def test_the_half_finished_release_of_the_issue() -> None:
    """Test done, prod one of two files, the GitHub release a draft: each said once."""
    github = Observed(
        files={WHEEL.filename: RemoteView(WHEEL.sha256)},
        state="draft: https://github.example/o/r/releases/tag/untagged-1",
        problems=("the release of v1.2.0 is a draft (not public): https://github.example/x",),
    )
    status = assess_demo(
        target("test", Stage.TEST, held(SDIST, WHEEL)),
        target("prod", Stage.PROD, held(SDIST)),
        target("github", Stage.AFTER_PROD, github),
    )
    assert not status.complete
    assert status.disagreements == (
        "prod: lacks demo-1.2.0-py3-none-any.whl (the build has)",
        "github: lacks demo-1.2.0.tar.gz (the build has)",
        "github: the release of v1.2.0 is a draft (not public): https://github.example/x",
    )
    assert status.unfinished == (Stage.PROD, Stage.AFTER_PROD)
    assert status.blocked == ()
    assert render_table([status]).endswith(
        "=> `releasekit status --finish` publishes what is missing"
    )
    data = as_json([status])
    assert data["complete"] is False
    (demo,) = data["projects"]
    assert demo["unfinished_stages"] == ["prod", "after-prod"]
    prod = next(t for t in demo["targets"] if t["name"] == "prod")
    assert prod["files"][WHEEL.filename] == {
        "holding": "missing", "digest": "sha256", "served": None, "upload_time": None,
        "journaled": False,
    }  # fmt: skip
    assert prod["files"][SDIST.filename]["upload_time"] == "2026-11-21T10:00:00+00:00"
    json.dumps(data)  # every value is JSON


def test_other_bytes_are_a_disagreement_that_finish_cannot_fix() -> None:
    status = assess_demo(
        target("test", Stage.TEST, held(SDIST, WHEEL)),
        target("prod", Stage.PROD, held(SDIST, other="d" * 64)),
    )
    assert (
        f"prod: demo-1.2.0.tar.gz has sha256 {'d' * 16}…, the build's is {'a' * 16}…"
        in status.disagreements
    )
    assert status.blocked == ("demo-1.2.0.tar.gz on prod has other bytes",)
    cells = {c.target: c for c in status.cells[SDIST.filename]}
    assert cells["prod"].state is not None and cells["prod"].state.holding is Holding.CONFLICTING
    assert "OTHER BYTES" in render_table([status])
    assert "--finish" not in render_table([status])


def test_a_target_that_cannot_be_read_is_one_line_and_never_complete() -> None:
    status = assess_demo(
        target("test", Stage.TEST, held(SDIST, WHEEL)),
        target("prod", Stage.PROD, None, error="cannot resolve pypi.org"),
    )
    assert status.disagreements == ("prod: cannot be read: cannot resolve pypi.org",)
    assert not status.complete and status.blocked == ("prod could not be read",)
    assert "prod     https://prod.example/simple/; cannot be read: cannot resolve pypi.org" in (
        render_table([status])
    )


def test_a_target_the_policy_skips_is_not_required() -> None:
    """A pre-release under pre-release = "test-only": prod lacking it is what should be."""
    status = assess_demo(
        target("test", Stage.TEST, held(SDIST, WHEEL)),
        target("prod", Stage.PROD, Observed(), required=False, skipped="test-only"),
    )
    assert status.complete
    assert "not a target of this version (test-only)" in render_table([status])


@pytest.mark.parametrize(
    ("tag", "said"),
    [
        (
            TagReading("v1.2.0", "c" * 40, "origin", None, build_commit="c" * 40),
            "tag v1.2.0 is not on origin (not pushed)",
        ),
        (
            TagReading("v1.2.0", None, "origin", None, build_commit="c" * 40),
            "tag v1.2.0 does not exist in this repository (the build's commit: git tag v1.2.0 "
            "cccccccccccc)",
        ),
        (
            TagReading("v1.2.0", "c" * 40, "origin", "e" * 40),
            "tag v1.2.0 on origin names eeeeeeeeeeee, here cccccccccccc",
        ),
        (
            TagReading("v1.2.0", "c" * 40, "origin", remote_error="no answer within 20 s"),
            "tag v1.2.0: origin cannot be read: no answer within 20 s",
        ),
        (
            TagReading("v1.2.0", "f" * 40, None, build_commit="c" * 40),
            "tag v1.2.0 names ffffffffffff, the build was made from cccccccccccc",
        ),
    ],
)
def test_the_tag_here_and_on_the_remote(tag: TagReading, said: str) -> None:
    status = assess_demo(target("prod", Stage.PROD, held(SDIST, WHEEL)), tag=tag)
    assert said in status.disagreements
    assert not status.complete and status.unfinished == ()


def test_without_a_build_the_targets_are_compared_with_each_other() -> None:
    status = assess(
        label="demo", name="demo", version="1.2.0", manifest=None, tag=PUSHED,
        targets=[
            target("test", Stage.TEST, held(SDIST, WHEEL)),
            target("prod", Stage.PROD, held(WHEEL, other="d" * 64)),
        ],
        journal=[],
    )  # fmt: skip
    assert [f.filename for f in status.files] == [WHEEL.filename, SDIST.filename]
    assert status.disagreements == (
        f"prod: demo-1.2.0-py3-none-any.whl has sha256 {'d' * 16}…, the first target's is "
        f"{'b' * 16}…",
        "prod: lacks demo-1.2.0.tar.gz (other targets hold)",
    )
    assert "(files: the files the targets hold (no build of this version in dist/))" in (
        render_table([status])
    )


def test_a_journaled_file_the_target_no_longer_serves_is_said() -> None:
    status = assess_demo(
        target("test", Stage.TEST, held(SDIST)),
        journal=[entry("test", SDIST), entry("test", WHEEL)],
    )
    assert (
        "test: the journal says demo-1.2.0-py3-none-any.whl was put there, but it is not "
        "served (removed, or not visible yet)"
    ) in status.disagreements


def test_a_journal_line_of_a_rehearsal_does_not_count() -> None:
    """Keyed by the target's URL: the local stand-in's lines are not the real index's."""
    rehearsal = Entry(
        "2026-11-21T10:00:00Z", "upload", "prod", SDIST.filename, SDIST.sha256, "run-1",
        {"url": "http://127.0.0.1:9/simple/", "version": "1.2.0"},
    )  # fmt: skip
    status = assess_demo(target("prod", Stage.PROD, held(SDIST, WHEEL)), journal=[rehearsal])
    assert status.journal == ()
    assert status.complete


def test_a_workspace_says_how_many_members_are_complete() -> None:
    done = assess_demo(target("test", Stage.TEST, held(SDIST, WHEEL)))
    other = assess(
        label="packages/web", name="web", version="1.2.0", manifest=None, tag=None,
        targets=[TargetReading("npm", "registry", "https://npm.example/", Stage.PROD,
                               Observed())],
        journal=[],
    )  # fmt: skip
    text = render_table([done, other])
    assert "packages/web 1.2.0: complete" in text
    assert "files    none: no build of this version, and no target holds a file of it" in text
    assert text.splitlines()[-1] == "workspace: 2 of 2 member(s) complete"


def test_the_default_observe_is_the_plans_read_and_needs_the_build() -> None:
    """A target kind without an ``observe`` of its own is read as the plan reads it."""
    fake = FakeTarget("prod", Stage.PROD, Store(files={SDIST.filename: SDIST.sha256}))
    seen = fake.observe("demo", "1.2.0", MANIFEST)
    assert seen.files == {SDIST.filename: RemoteView(SDIST.sha256)}
    with pytest.raises(Exception) as info:
        fake.observe("demo", "1.2.0", None)
    assert str(info.value.args[0]) == "prod is read for a build: dist/ holds none of 1.2.0"


# -- npm's row, read from a loopback packument ---------------------------------------------------

TARBALL = DistFile("web-1.2.0.tgz", "e" * 64, 30, "npm", integrity="sha512-ours")


class _Packument(Handler):
    def do_GET(self) -> None:
        if self.path != "/web":
            self.send_error(404)
            return
        body = {
            "name": "web",
            "dist-tags": {"latest": "1.2.0", "next": "2.0.0-rc.1"},
            "versions": {
                "1.2.0": {
                    "dist": {"integrity": "sha512-ours", "tarball": "http://x/web-1.2.0.tgz"}
                },
                "1.1.0": {"dist": {"integrity": "sha512-old"}},
            },
        }
        self.reply(json.dumps(body).encode(), "application/json")


@pytest.fixture
def registry() -> Iterator[str]:
    with serve(_Packument) as url:
        yield url + "/"


def npm_status(registry: str, version: str, manifest: Manifest | None) -> ProjectStatus:
    npm = NpmRegistryTarget(registry, environ={})
    observed = npm.observe("web", version, manifest)
    return assess(
        label="packages/web", name="web", version=version, manifest=manifest, tag=None,
        targets=[TargetReading("npm", "registry", registry, Stage.PROD, observed)],
        journal=[],
    )  # fmt: skip


def test_npm_published_with_its_integrity_and_dist_tags(registry: str) -> None:
    manifest = Manifest("web", "1.2.0", (TARBALL,))
    status = npm_status(registry, "1.2.0", manifest)
    assert status.complete
    text = render_table([status])
    assert "  web-1.2.0.tgz  ok (unjournaled)" in text
    assert "published; dist-tags: latest=1.2.0, next=2.0.0-rc.1" in text


def test_npm_with_other_bytes_and_without_the_version(registry: str) -> None:
    other = Manifest("web", "1.1.0", (DistFile("web-1.1.0.tgz", "e" * 64, 30, "npm",
                                               integrity="sha512-ours"),))  # fmt: skip
    status = npm_status(registry, "1.1.0", other)
    assert status.disagreements == (
        "npm: web-1.1.0.tgz has integrity sha512-old…, the build's is sha512-ours…",
    )
    missing = npm_status(registry, "1.3.0", Manifest("web", "1.3.0", (TARBALL,)))
    assert missing.disagreements == ("npm: lacks web-1.2.0.tgz (the build has)",)
    assert missing.unfinished == (Stage.PROD,)
    without_build = npm_status(registry, "1.2.0", None)  # the registry's tarball name
    assert [f.filename for f in without_build.files] == ["web-1.2.0.tgz"]
    assert without_build.complete


def test_npm_that_cannot_be_read_is_an_error_of_the_target() -> None:
    npm = NpmRegistryTarget("http://127.0.0.1:9/", environ={})  # nothing listens there
    with pytest.raises(PublishError) as info:
        npm.observe("web", "1.2.0", None)
    assert info.value.message.startswith("cannot read http://127.0.0.1:9/web: ")


def test_a_version_only_the_test_index_takes_needs_no_tag() -> None:
    """A dev version: prod is no target of it, so its missing tag is no disagreement."""
    dev = Manifest("demo", "1.3.0.dev1", (SDIST,))
    status = assess(
        label="demo", name="demo", version="1.3.0.dev1", manifest=dev,
        tag=TagReading("v1.3.0.dev1", None, "origin", None),
        targets=[
            target("test", Stage.TEST, held(SDIST)),
            target("prod", Stage.PROD, Observed(), required=False, skipped="a dev version"),
        ],
        journal=[],
    )  # fmt: skip
    assert status.complete, status.disagreements


# -- what --finish does with a verdict (releasekit.release.status) ----------------------------

DEV_SDIST = DistFile("demo-1.0.dev3.tar.gz", "d" * 64, 10, "sdist")


def finishable(
    found: ProjectStatus, manifest: Manifest | None
) -> tuple[list[tuple[object, ProjectStatus]], list[str]]:
    from releasekit.release.status import _finishable, _Subject

    subject = _Subject(cast(Any, None), found.version, manifest, [], None)
    runnable, advice = _finishable([found], [subject])
    return [(s, f) for s, f in runnable], advice


def test_finish_publishes_a_dev_version_to_the_test_index_without_a_tag() -> None:
    """A 1.0.dev3 build missing from the test index: prod is no target of it, so neither
    its missing tag nor an unpushed one stops --finish (as neither is a disagreement)."""
    dev = Manifest("demo", "1.0.dev3", (DEV_SDIST,), commit="c" * 40)
    found = assess(
        label="demo", name="demo", version="1.0.dev3", manifest=dev,
        tag=TagReading("v1.0.dev3", None, "origin", None, build_commit="c" * 40),
        targets=[
            target("test", Stage.TEST, Observed()),
            target("prod", Stage.PROD, Observed(), required=False, skipped="a dev version"),
        ],
        journal=[],
    )  # fmt: skip
    assert found.unfinished == (Stage.TEST,)
    runnable, advice = finishable(found, dev)
    assert advice == []
    assert [f for _, f in runnable] == [found]


def test_finish_to_prod_still_needs_the_tag() -> None:
    found = assess(
        label="demo", name="demo", version="1.2.0", manifest=MANIFEST,
        tag=TagReading("v1.2.0", None, "origin", None, build_commit="c" * 40),
        targets=[target("prod", Stage.PROD, Observed())], journal=[],
    )  # fmt: skip
    runnable, advice = finishable(found, MANIFEST)
    assert runnable == []
    assert advice == [
        f"to finish demo 1.2.0: tag the build's commit first: git tag v1.2.0 {'c' * 40} "
        "&& git push origin v1.2.0, then releasekit status 1.2.0 --finish"
    ]


UNREAD = "cannot finish demo 1.2.0: origin could not be read (git ls-remote origin: no answer " \
    "within 20 s), so whether it has tag v1.2.0 is unknown; check the remote (git ls-remote " \
    "origin refs/tags/v1.2.0), then releasekit status 1.2.0 --finish"  # fmt: skip


@pytest.mark.parametrize("missing", [True, False])
def test_a_remote_that_cannot_be_read_is_not_said_to_lack_the_tag(missing: bool) -> None:
    """Prod lacks a file (or nothing is missing but the tag's remote did not answer): the
    advice names the unread remote and why, never `git push`."""
    tag = TagReading(
        "v1.2.0", "c" * 40, "origin", None,
        remote_error="git ls-remote origin: no answer within 20 s", build_commit="c" * 40,
    )  # fmt: skip
    found = assess(
        label="demo", name="demo", version="1.2.0", manifest=MANIFEST, tag=tag,
        targets=[target("prod", Stage.PROD, held(SDIST) if missing else held(SDIST, WHEEL))],
        journal=[],
    )  # fmt: skip
    assert found.unfinished == ((Stage.PROD,) if missing else ())
    runnable, advice = finishable(found, MANIFEST)
    assert runnable == [] and advice == [UNREAD]


def test_ctrl_d_at_the_finish_prompt_is_no(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from releasekit.cli.status import _Console

    class Terminal(io.StringIO):  # a terminal at which Ctrl-D was pressed: end of input
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(""))
    assert _Console(sys.stderr).ask("upload to prod? [y/N] ") is False
    assert capsys.readouterr().err == "upload to prod? [y/N] \n"
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert _Console(sys.stderr).ask("upload? ") is True

"""The release engine with in-memory targets: ordering, the one plan, reruns, the journal.

Every target here is a :class:`~tests.helpers.fake_targets.FakeTarget` registered in
:data:`releasekit.targets.REGISTRY` (one line, as a new kind of target would be), except
where the real GitHub target is planned against the loopback GitHub stand-in: what these
tests prove is the engine's order of things, which no real server changes, in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from releasekit import targets as target_registry
from releasekit.core.config import Config
from releasekit.engine.journal import Journal, current_run_id
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.playbook import playbook
from releasekit.engine.remote import PackageFormat
from releasekit.engine.runcontext import Options, Project
from releasekit.errors import PublishError, ReleasekitError
from releasekit.kinds import kind_of
from releasekit.kinds.base import Kind
from releasekit.release import Release
from releasekit.targets.base import Stage, Target
from tests.helpers.fake_targets import FakeConsole, FakeTarget, Store

VERSION = "1.2.0"


def built(root: Path, name: str = "demo", tag: str | None = "v1.2.0") -> Path:
    """A dist directory with two files and their manifest, as the build step leaves it."""
    dist = root / "dist"
    dist.mkdir(parents=True)
    files = []
    for filename, kind in (
        (f"{name}-{VERSION}.tar.gz", "sdist"),
        (f"{name}-{VERSION}-py3-none-any.whl", "wheel"),
    ):
        data = f"{filename} bytes".encode()
        (dist / filename).write_bytes(data)
        files.append(DistFile(filename, hashlib.sha256(data).hexdigest(), len(data), kind))
    Manifest(name=name, version=VERSION, files=tuple(files), tag=tag, commit="c" * 40).save(dist)
    return dist


def project(
    tmp_path: Path, options: Options, *, name: str = "demo", kind: Kind | None = None
) -> Project:
    root = tmp_path / name
    dist = built(root, name)
    return Project(Config(root=root), name, dist, kind or kind_of("python"), options)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeTarget]]:
    """test, prod and an after-prod target, in memory, as the only registered targets."""
    made = {
        "test": FakeTarget("test", Stage.TEST, Store()),
        "prod": FakeTarget("prod", Stage.PROD, Store()),
        "after": FakeTarget("after", Stage.AFTER_PROD, Store()),
    }
    monkeypatch.setattr(target_registry, "REGISTRY", ["tests.helpers.fake_targets:FakeTarget"])
    monkeypatch.setattr(FakeTarget, "configured", list(made.values()))
    yield made


def release(
    tmp_path: Path,
    *,
    rehearse: bool = False,
    dry_run: bool = False,
    requested: Sequence[str] = ("release",),
    console: FakeConsole | None = None,
) -> Release:
    options = Options(rehearse=rehearse, dry_run=dry_run, yes=True)
    return Release(
        console or FakeConsole(), options, [project(tmp_path, options)], requested=requested
    )


def calls(targets: dict[str, FakeTarget]) -> list[str]:
    return [c for t in targets.values() for c in t.store.calls]


# -- one plan before anything irreversible ----------------------------------------------------


def test_every_target_is_read_before_the_first_upload(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    order: list[str] = []
    for target in registered.values():
        target.store.calls = order  # one list: the order across targets
    run = release(tmp_path)
    run.publish_test()
    run.publish()
    run.github_release()
    assert order[:3] == ["read test", "read prod", "read after"]
    assert order[3] == "publish test"
    # prod and after are judged again right before they are written
    assert order[4:] == ["read prod", "publish prod", "read after", "publish after"]
    assert all(t.store.files for t in registered.values())


def test_a_refusal_of_the_last_target_stops_everything_and_lists_every_problem(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    registered["after"].store.fail_read = ReleasekitError("GitHub answered 401", "check the token")
    registered["prod"].has_credentials = False
    run = release(tmp_path)
    with pytest.raises(PublishError) as info:
        run.publish_test()
    message = info.value.message
    assert message.startswith("the release is refused, nothing was uploaded: ")
    assert "prod: no credentials to upload to fake://prod/upload" in message
    assert "after: cannot be read: GitHub answered 401" in message
    assert not any(c.startswith("publish") for c in calls(registered))
    assert all(not t.store.files for t in registered.values())


def test_a_run_that_stops_at_the_test_stage_does_not_judge_prod(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    registered["prod"].has_credentials = False  # `nox -s publish-test` needs no prod token
    run = release(tmp_path, requested=("publish-test",))
    run.publish_test()
    assert calls(registered) == ["read test", "publish test"]


def test_a_refusal_after_an_upload_says_what_is_out(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    run = release(tmp_path)
    run.publish_test()
    registered["prod"].store.files = {"demo-1.2.0.tar.gz": "0" * 64}  # someone else's bytes
    with pytest.raises(PublishError) as info:
        run.publish()
    message = info.value.message
    assert "nothing was uploaded" not in message
    assert message.startswith("the release stops here, with 2 file(s) on test out already: ")
    assert "prod: demo-1.2.0.tar.gz is already there with sha256 000000000000" in message


def test_a_dry_run_sends_nothing_and_writes_no_record(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    console = FakeConsole()
    run = release(tmp_path, dry_run=True, console=console)
    run.publish_test()
    run.publish()
    assert "dry run: would send 2 file(s) to test" in console.text
    assert all(not t.store.files for t in registered.values())
    assert not list((tmp_path / "demo" / "dist").glob("releasekit-publish-*.json"))


# -- the journal, the playbook and the summary ------------------------------------------------


def test_a_failure_half_way_is_told_by_the_playbook_and_a_rerun_finishes(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    registered["prod"].store.fail_after = 1
    run = release(tmp_path)
    run.publish_test()
    with pytest.raises(PublishError):
        run.publish()
    (project_,) = run.projects
    lines = playbook(project_, run.targets(project_))
    assert lines[1] == "  test   demo-1.2.0.tar.gz, demo-1.2.0-py3-none-any.whl"
    assert lines[2] == "  prod   demo-1.2.0.tar.gz (1 missing)"
    assert lines[3] == "  after  nothing yet"
    assert [line for _, line in run.after_failure("publish")] == lines  # what the session says
    assert lines[0] == "where demo 1.2.0 is now (from releasekit-journal.jsonl):"

    registered["prod"].store.fail_after = None
    run.publish()
    assert registered["prod"].store.files.keys() == registered["test"].store.files.keys()


def test_journal_lines_of_a_rehearsal_never_count_for_the_real_target(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    run = release(tmp_path)
    (project_,) = run.projects
    journal = Journal(project_.dist_dir)
    for item in Manifest.load(project_.dist_dir).files:  # a rehearsal's stand-in named "prod"
        journal.record("upload", "prod", item.filename, item.sha256, url="http://127.0.0.1:9/")
    assert playbook(project_, run.targets(project_)) == []


def test_the_summary_reads_each_target_s_record_and_the_journal(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    console = FakeConsole()
    run = release(tmp_path, console=console)
    run.publish_test()
    run.publish()
    run.github_release()
    run.summary()
    text = console.text
    assert "  fake     test fake://test: 2 uploaded by this run" in text
    assert "  fake     prod fake://prod: 2 uploaded by this run" in text
    assert "  fake     after fake://after: 2 uploaded by this run" in text
    record = json.loads((tmp_path / "demo" / "dist" / "releasekit-publish-after.json").read_text())
    assert record["result"] == "2 uploaded" and record["url"] == "fake://after"
    assert {e.url for e in Journal.read(tmp_path / "demo" / "dist")} == {
        "fake://test",
        "fake://prod",
        "fake://after",
    }
    assert all(e.run == current_run_id() for e in Journal.read(tmp_path / "demo" / "dist"))


def test_a_prompt_answered_no_stops_before_prod(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    class Asking(FakeTarget):
        def publish(self, manifest, dist_dir, planned, run):  # type: ignore[no-untyped-def]
            run.confirm(f"Publish to {self.name}? [y/N] ")
            return super().publish(manifest, dist_dir, planned, run)

    registered["prod"].__class__ = Asking
    console = FakeConsole(answer=False)
    options = Options()
    run = Release(console, options, [project(tmp_path, options)], requested=("publish",))
    run.publish_test()
    with pytest.raises(PublishError, match="publish cancelled at the prompt"):
        run.publish()
    assert console.asked == ["Publish to prod? [y/N] "]
    assert not registered["prod"].store.files


# -- a new kind of target: one module, one registry line -------------------------------------


def test_a_new_target_goes_through_plan_publish_journal_summary_playbook_and_yank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/helpers/fake_targets.py is the whole target; the registry line is all else."""
    store = Store()
    monkeypatch.setattr(
        target_registry,
        "REGISTRY",
        [*target_registry.REGISTRY[:1], "tests.helpers.fake_targets:FakeTarget"],
    )
    monkeypatch.setattr(FakeTarget, "configured", [FakeTarget("mirror", Stage.PROD, store)])
    from releasekit.targets.pypi import IndexTarget

    monkeypatch.setattr(IndexTarget, "configure", classmethod(lambda cls, p, withdrawing=False: []))
    console = FakeConsole()
    run = release(tmp_path, console=console, requested=("publish",))
    run.publish_test()
    assert "  mirror fake://mirror: upload 2 file(s) (2 missing)" in console.text  # the plan
    run.publish()
    assert set(store.files) == {"demo-1.2.0.tar.gz", "demo-1.2.0-py3-none-any.whl"}
    run.summary()
    assert "  fake     mirror fake://mirror: 2 uploaded by this run" in console.text
    (project_,) = run.projects
    assert playbook(project_, run.targets(project_))[1].startswith("  mirror demo-1.2.0")
    root = tmp_path / "demo"
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.2.0"\n')
    from releasekit.cli.yank import yank

    assert yank(root, "1.2.0", "broken", []) == 0
    assert store.withdrawn == [("1.2.0", "broken")]


# -- checks across the members of a workspace -------------------------------------------------


class _QuietKind(Kind):
    format = PackageFormat.NPM
    dist_name = "dist"
    noun = "files"

    def member_config(self, member):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def check(self, project: Project, release: Release) -> str:
        return VERSION

    def reusable(self, project):  # type: ignore[no-untyped-def]
        return None

    def build(self, project, release, tag):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def smoke(self, project, release, needed):  # type: ignore[no-untyped-def]
        return None

    def current_version(self, project: Project) -> str:
        return VERSION

    def install_from(self, project, release, manifest, target):  # type: ignore[no-untyped-def]
        return None


def test_two_members_releasing_one_package_name_are_refused_at_check(
    tmp_path: Path, registered: dict[str, FakeTarget]
) -> None:
    options = Options(rehearse=False)
    kind = _QuietKind()
    one = Project(
        Config(root=tmp_path / "a"), "@demo/core", built(tmp_path / "a", "core"), kind, options
    )
    two = Project(
        Config(root=tmp_path / "b"), "@demo/core", built(tmp_path / "b", "core"), kind, options
    )
    run = Release(FakeConsole(), options, [one, two])
    with pytest.raises(ReleasekitError, match="both release the package @demo/core"):
        run.check()
    assert calls(registered) == []


def test_targets_are_ordered_by_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    late = FakeTarget("late", Stage.AFTER_PROD, Store())
    early = FakeTarget("early", Stage.TEST, Store())
    monkeypatch.setattr(target_registry, "REGISTRY", [FakeTarget])
    monkeypatch.setattr(FakeTarget, "configured", [late, early])
    options = Options()
    found: list[Target] = target_registry.configure(project(tmp_path, options))
    assert [t.name for t in found] == ["early", "late"]


def test_a_private_npm_member_is_refused_at_check(tmp_path: Path) -> None:
    """npm refuses to publish a private package: found at check, not after the Python
    members of the release went out."""
    from releasekit.errors import ConfigError
    from releasekit.project.workspace import Member

    path = tmp_path / "packages" / "core"
    path.mkdir(parents=True)
    (path / "package.json").write_text(
        json.dumps({"name": "@demo/core", "version": VERSION, "private": True})
    )
    member = Member(path, "packages/core", "npm", "@demo/core", "core-v")
    kind = kind_of("npm")
    options = Options()
    one = Project(
        kind.member_config(member), member.name, path / kind.dist_name, kind, options, member
    )
    with pytest.raises(ConfigError) as info:
        kind.check(one, Release(FakeConsole(), options, [one]))
    assert info.value.message == (
        'packages/core/package.json says "private": true: npm refuses to publish it'
    )
    assert "remove" in info.value.hint

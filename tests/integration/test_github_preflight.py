"""GitHub is judged with every other target, before the first upload anywhere.

The real GitHub release target is planned against the loopback GitHub stand-in (its answers
follow GitHub's published schema, see tests/helpers/github_fake.py) beside two in-memory
indexes: each way a GitHub release can be known to fail — no token, a malformed
``GITHUB_REPOSITORY``, a token GitHub refuses, an unreachable API, no ``origin`` remote, an
immutable release, an asset with other bytes — ends at the plan, with nothing sent to
either index. The whole flow through nox is in test_release_sessions.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit import targets as target_registry
from releasekit.core.config import Config
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.runcontext import Options, Project
from releasekit.errors import PublishError
from releasekit.kinds import kind_of
from releasekit.release import Release
from releasekit.targets.base import Stage
from tests.helpers.fake_targets import FakeConsole, FakeTarget, Store

pytest.importorskip("githubkit")
from tests.helpers.github_fake import FakeGitHub

TOKEN = "ghs_" + "p" * 36
SDIST = "demo-1.2.0.tar.gz"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(TOKEN) as server:
        yield server


@pytest.fixture
def indexes(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeTarget]:
    made = {
        "test": FakeTarget("test", Stage.TEST, Store()),
        "prod": FakeTarget("prod", Stage.PROD, Store()),
    }
    monkeypatch.setattr(
        target_registry,
        "REGISTRY",
        ["tests.helpers.fake_targets:FakeTarget", "releasekit.targets.github:GitHubReleaseTarget"],
    )
    monkeypatch.setattr(FakeTarget, "configured", list(made.values()))
    return made


def plan(tmp_path: Path, environ: dict[str, str]) -> tuple[str, FakeConsole]:
    """The release's plan over the two indexes and GitHub; the refusal's message."""
    root = tmp_path / "demo"
    dist = root / "dist"
    dist.mkdir(parents=True)
    data = b"sdist bytes"
    (dist / SDIST).write_bytes(data)
    item = DistFile(SDIST, hashlib.sha256(data).hexdigest(), len(data), "sdist")
    Manifest(name="demo", version="1.2.0", files=(item,), tag="v1.2.0").save(dist)
    options = Options(yes=True)
    config = Config(root=root, github_release=True, changelog=False)
    project = Project(config, "demo", dist, kind_of("python"), options, environ=environ)
    console = FakeConsole()
    release = Release(console, options, [project], requested=("release",))
    with pytest.raises(PublishError) as info:
        release.publish_test()
    assert console.asked == [] and not any(line.startswith("$ ") for line in console.lines)
    return info.value.message, console


def github_env(fake: FakeGitHub, **changes: str | None) -> dict[str, str]:
    env = fake.environ()
    env.update(changes)  # type: ignore[arg-type]
    return {k: v for k, v in env.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"GITHUB_TOKEN": None}, "github: no credentials to upload to "),
        ({"GITHUB_REPOSITORY": "owner"}, "GITHUB_REPOSITORY is 'owner', not OWNER/NAME"),
        ({"GITHUB_REPOSITORY": "a/b/c"}, "GITHUB_REPOSITORY is 'a/b/c', not OWNER/NAME"),
        ({"GITHUB_TOKEN": "ghs_" + "x" * 36}, "github: cannot be read: GitHub answered 401"),
        (
            {"GITHUB_API_URL": "http://127.0.0.1:9"},
            "github: cannot be read: could not reach GitHub",
        ),
        ({"GITHUB_REPOSITORY": None}, "no GitHub repository to release to"),
    ],
)
def test_what_github_would_refuse_stops_the_release_before_any_upload(
    tmp_path: Path,
    fake: FakeGitHub,
    indexes: dict[str, FakeTarget],
    changes: dict[str, str | None],
    expected: str,
) -> None:
    message, console = plan(tmp_path, github_env(fake, **changes))
    assert message.startswith("the release is refused, nothing was uploaded: ")
    assert expected in message
    assert TOKEN not in message + "\n".join(console.lines)
    assert all(not t.store.files for t in indexes.values())
    assert [c for t in indexes.values() for c in t.store.calls] == ["read test", "read prod"]
    assert fake.writes() == []


def test_an_immutable_release_and_an_asset_with_other_bytes_are_found_at_the_plan(
    tmp_path: Path, fake: FakeGitHub, indexes: dict[str, FakeTarget]
) -> None:
    fake.add_release("v1.2.0", immutable=True, assets={SDIST: b"other bytes"})
    message, console = plan(tmp_path, github_env(fake))
    assert f"github: {SDIST} is already there with sha256" in message
    assert "is immutable: no files can be added to it" in message
    assert "  => refused: nothing will be uploaded anywhere" in console.lines
    assert all(not t.store.files for t in indexes.values())
    assert fake.writes() == []

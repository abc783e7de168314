"""Unit tests of the pure tag discovery in releasekit.core.git: CI variables and RELEASEKIT_TAG.

No repository is involved: ``release_tag`` is pointed at a directory that is not a git
repository, so only the environment can supply a tag.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.core.git import ReleaseTag, ci_tag, release_tag
from releasekit.errors import TagError

TAG_VARS = (
    "RELEASEKIT_TAG",
    "GITHUB_REF",
    "GITHUB_REF_TYPE",
    "GITHUB_REF_NAME",
    "CI_COMMIT_TAG",
    "CIRCLE_TAG",
    "BUILDKITE_TAG",
)


@pytest.fixture(autouse=True)
def _no_tag_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CI running these tests must not leak its own tag into them."""
    for var in TAG_VARS:
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture
def not_a_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory git will not find a repository for, even if tmp is inside one."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    path = tmp_path / "project"
    path.mkdir()
    return path


# --- ci_tag ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1.2.3"}, ("v1.2.3", "GITHUB_REF_NAME")),
        (
            {"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1.2.3", "GITHUB_REF": "refs/tags/x"},
            ("v1.2.3", "GITHUB_REF_NAME"),
        ),
        ({"GITHUB_REF": "refs/tags/v1.2.3"}, ("v1.2.3", "GITHUB_REF")),
        ({"GITHUB_REF": "refs/tags/api/v1.2.3"}, ("api/v1.2.3", "GITHUB_REF")),
        ({"GITHUB_REF_TYPE": "branch", "GITHUB_REF_NAME": "main"}, None),
        (
            {
                "GITHUB_REF_TYPE": "branch",
                "GITHUB_REF_NAME": "main",
                "GITHUB_REF": "refs/heads/main",
            },
            None,
        ),
        ({"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": ""}, None),
        (
            {"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "", "GITHUB_REF": "refs/tags/v2"},
            ("v2", "GITHUB_REF"),
        ),
        ({"GITHUB_REF": "refs/tags/"}, None),
        ({"GITHUB_REF": "refs/pull/1/merge"}, None),
        ({"CI_COMMIT_TAG": "v1.2.3"}, ("v1.2.3", "CI_COMMIT_TAG")),
        ({"CI_COMMIT_TAG": ""}, None),
        ({"CIRCLE_TAG": "v1.2.3"}, ("v1.2.3", "CIRCLE_TAG")),
        ({"BUILDKITE_TAG": "v1.2.3"}, ("v1.2.3", "BUILDKITE_TAG")),
        ({"BUILDKITE_TAG": ""}, None),
        # order: GitHub, GitLab, CircleCI, Buildkite; empty values count as unset
        (
            {"GITHUB_REF": "refs/tags/v1", "CI_COMMIT_TAG": "v2", "CIRCLE_TAG": "v3"},
            ("v1", "GITHUB_REF"),
        ),
        (
            {"CI_COMMIT_TAG": "v2", "CIRCLE_TAG": "v3", "BUILDKITE_TAG": "v4"},
            ("v2", "CI_COMMIT_TAG"),
        ),
        ({"CI_COMMIT_TAG": "", "CIRCLE_TAG": "v3", "BUILDKITE_TAG": "v4"}, ("v3", "CIRCLE_TAG")),
        ({"CIRCLE_TAG": "", "BUILDKITE_TAG": "v4"}, ("v4", "BUILDKITE_TAG")),
        # not a tag variable: RELEASEKIT_TAG is release_tag's business, not the CI's
        ({"RELEASEKIT_TAG": "v1.2.3"}, None),
    ],
)
def test_ci_tag(env: dict[str, str], expected: tuple[str, str] | None) -> None:
    assert ci_tag(env) == expected


# --- release_tag from the environment --------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "prefix", "expected"),
    [
        ({"RELEASEKIT_TAG": "v1.2.3"}, None, ReleaseTag("v1.2.3", "1.2.3", "RELEASEKIT_TAG")),
        ({"RELEASEKIT_TAG": "1.2.3"}, None, ReleaseTag("1.2.3", "1.2.3", "RELEASEKIT_TAG")),
        (
            {"RELEASEKIT_TAG": "v1.0.0-rc.1"},
            None,
            ReleaseTag("v1.0.0-rc.1", "1.0.0rc1", "RELEASEKIT_TAG"),
        ),
        (
            {"RELEASEKIT_TAG": "api-v1.2.0"},
            "api-v",
            ReleaseTag("api-v1.2.0", "1.2.0", "RELEASEKIT_TAG"),
        ),
        # RELEASEKIT_TAG wins over the CI's tag
        (
            {"RELEASEKIT_TAG": "v2.0.0", "GITHUB_REF": "refs/tags/v1.0.0"},
            None,
            ReleaseTag("v2.0.0", "2.0.0", "RELEASEKIT_TAG"),
        ),
        # an empty RELEASEKIT_TAG counts as unset
        (
            {"RELEASEKIT_TAG": "", "CI_COMMIT_TAG": "v1.0.0"},
            None,
            ReleaseTag("v1.0.0", "1.0.0", "CI_COMMIT_TAG"),
        ),
        (
            {"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1.4.0"},
            None,
            ReleaseTag("v1.4.0", "1.4.0", "GITHUB_REF_NAME"),
        ),
        ({"GITHUB_REF": "refs/tags/v1.4.0"}, None, ReleaseTag("v1.4.0", "1.4.0", "GITHUB_REF")),
        ({"CIRCLE_TAG": "api-v3.1"}, "api-v", ReleaseTag("api-v3.1", "3.1", "CIRCLE_TAG")),
        ({"BUILDKITE_TAG": "v0.1.0"}, None, ReleaseTag("v0.1.0", "0.1.0", "BUILDKITE_TAG")),
        # the CI's tag is another package's (monorepo) or not a release tag: ignored
        ({"GITHUB_REF": "refs/tags/web-v1.2.0"}, "api-v", None),
        ({"CI_COMMIT_TAG": "v1.2.0"}, "api-v", None),
        ({"CI_COMMIT_TAG": "api-v1.2.0"}, None, None),
        ({"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "latest"}, None, None),
        ({"CIRCLE_TAG": "nightly"}, None, None),
        ({}, None, None),
    ],
)
def test_release_tag_from_env(
    not_a_repo: Path, env: dict[str, str], prefix: str | None, expected: ReleaseTag | None
) -> None:
    assert release_tag(not_a_repo, prefix, env) == expected


@pytest.mark.parametrize("tag", ["latest", "v1.x", "release-x9", "vv1.2.3", " v1.2.3"])
def test_release_tag_rejects_malformed_releasekit_tag(not_a_repo: Path, tag: str) -> None:
    with pytest.raises(TagError) as exc:
        release_tag(not_a_repo, None, {"RELEASEKIT_TAG": tag})
    assert repr(tag) in exc.value.message
    assert "\n" not in exc.value.message
    assert "v1.2.3" in exc.value.hint


@pytest.mark.parametrize("tag", ["v1.2.0", "web-v1.2.0", "1.2.0"])
def test_release_tag_rejects_releasekit_tag_with_wrong_prefix(not_a_repo: Path, tag: str) -> None:
    with pytest.raises(TagError) as exc:
        release_tag(not_a_repo, "api-v", {"RELEASEKIT_TAG": tag, "CI_COMMIT_TAG": "api-v1.2.0"})
    assert repr(tag) in exc.value.message
    assert "api-v" in exc.value.message
    assert 'start with "api-v"' in exc.value.hint


def test_release_tag_defaults_to_os_environ(
    not_a_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert release_tag(not_a_repo, None) is None
    monkeypatch.setenv("CI_COMMIT_TAG", "v5.0.0")
    assert release_tag(not_a_repo, None) == ReleaseTag("v5.0.0", "5.0.0", "CI_COMMIT_TAG")
    monkeypatch.setenv("RELEASEKIT_TAG", "oops")
    with pytest.raises(TagError):
        release_tag(not_a_repo, None)


def test_release_tag_in_a_missing_directory_is_none(tmp_path: Path) -> None:
    assert release_tag(tmp_path / "does-not-exist", None, {}) is None


def test_release_tag_is_frozen() -> None:
    tag = ReleaseTag("v1.0.0", "1.0.0", "RELEASEKIT_TAG")
    with pytest.raises(AttributeError):
        tag.name = "v2.0.0"  # type: ignore[misc, unused-ignore]

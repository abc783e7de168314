"""Issue 6: a version file spelled the semver way (``1.0.0-beta``) stays semver when bumped.

The bump itself is PEP 440 arithmetic (:func:`releasekit.core.version.bump` on the normalized
version); each carrier then writes the result in its own file's spelling. These tests drive
the same two steps ``releasekit bump PART`` does, on every kind of carrier at once, and check
that tags in either spelling agree with the files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.core.carriers import check_consistent, read_all, write_all
from releasekit.core.config import CarrierSpec
from releasekit.core.git import ReleaseTag
from releasekit.core.guard import check_release_build, check_tag_matches
from releasekit.core.version import bump, version_from_tag
from releasekit.errors import TagError

SPECS = [
    CarrierSpec("pyproject.toml"),
    CarrierSpec("src/demo/__init__.py"),
    CarrierSpec("docs/conf.py", r'^release = "(?P<version>[^"]+)"'),
    CarrierSpec("package.json"),
]
PYPROJECT = '[project]\nname = "demo"\nversion = "{}"\n'
INIT = '"""demo."""\n\n__version__ = "{}"\n'
CONF = 'project = "demo"\nrelease = "{}"\nversion = "1.0"\n'
PACKAGE = '{{\n  "name": "demo",\n  "version": "{}"\n}}\n'
TEMPLATES = [PYPROJECT, INIT, CONF, PACKAGE]


def make(root: Path, *raws: str) -> None:
    """The four carriers, holding ``raws`` in SPECS order."""
    for spec, template, raw in zip(SPECS, TEMPLATES, raws):
        path = root / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(template.format(raw).encode("utf-8"))


def texts(root: Path) -> list[str]:
    return [(root / spec.path).read_bytes().decode("utf-8") for spec in SPECS]


def releasekit_bump(root: Path, part: str) -> str:
    """What ``releasekit bump PART`` does: bump the first file's version, write all files."""
    current = read_all(SPECS, root)[0].version
    new = bump(current, part)
    write_all(SPECS, root, new)
    return new


@pytest.mark.parametrize(
    ("part", "new", "written"),
    [
        ("b", "1.0.0b1", "1.0.0-beta.1"),
        ("beta", "1.0.0b1", "1.0.0-beta.1"),
        ("rc", "1.0.0rc1", "1.0.0-rc.1"),
        ("release", "1.0.0", "1.0.0"),
        ("minor", "1.1.0", "1.1.0"),
        ("major,rc", "2.0.0rc1", "2.0.0-rc.1"),
    ],
)
def test_bump_of_a_semver_beta_stays_semver(
    tmp_path: Path, part: str, new: str, written: str
) -> None:
    make(tmp_path, "1.0.0-beta", "1.0.0-beta", "1.0.0-beta", "1.0.0-beta")
    assert check_consistent(SPECS, tmp_path) == "1.0.0b0"

    assert releasekit_bump(tmp_path, part) == new

    assert texts(tmp_path) == [template.format(written) for template in TEMPLATES]
    assert check_consistent(SPECS, tmp_path) == new


def test_a_run_of_bumps_keeps_the_semver_spelling(tmp_path: Path) -> None:
    make(tmp_path, "1.0.0-beta", "1.0.0-beta", "1.0.0-beta", "1.0.0-beta")
    seen = []
    for part in ("b", "b", "rc", "rc", "release"):
        releasekit_bump(tmp_path, part)
        seen.append(read_all(SPECS, tmp_path)[1].raw)
    assert seen == ["1.0.0-beta.1", "1.0.0-beta.2", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0"]
    # A final version is spelled alike both ways, so the spelling is not remembered: the next
    # pre-release goes back to each file's default (PEP 440; package.json semver).
    releasekit_bump(tmp_path, "minor,b")
    assert [r.raw for r in read_all(SPECS, tmp_path)] == [
        "1.1.0b1",
        "1.1.0b1",
        "1.1.0b1",
        "1.1.0-beta.1",
    ]


def test_bump_of_a_pep440_beta_stays_pep440(tmp_path: Path) -> None:
    make(tmp_path, "1.0.0b0", "1.0.0b0", "1.0.0b0", "1.0.0-beta.0")
    assert releasekit_bump(tmp_path, "beta") == "1.0.0b1"
    assert texts(tmp_path) == [
        PYPROJECT.format("1.0.0b1"),
        INIT.format("1.0.0b1"),
        CONF.format("1.0.0b1"),
        PACKAGE.format("1.0.0-beta.1"),
    ]


def test_bump_of_mixed_spellings_keeps_each(tmp_path: Path) -> None:
    make(tmp_path, "1.0.0b0", "1.0.0-beta", "1.0.0b0", "1.0.0-beta")
    assert releasekit_bump(tmp_path, "rc") == "1.0.0rc1"
    assert texts(tmp_path) == [
        PYPROJECT.format("1.0.0rc1"),
        INIT.format("1.0.0-rc.1"),
        CONF.format("1.0.0rc1"),
        PACKAGE.format("1.0.0-rc.1"),
    ]


def test_package_json_alone_is_unchanged_behaviour(tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"name": "demo", "version": "1.2.0"}, indent=2) + "\n")
    spec = [CarrierSpec("package.json")]
    for part, raw in (("minor,rc", "1.3.0-rc.1"), ("rc", "1.3.0-rc.2"), ("release", "1.3.0")):
        new = bump(read_all(spec, tmp_path)[0].version, part)
        write_all(spec, tmp_path, new)
        assert json.loads(path.read_text())["version"] == raw


@pytest.mark.parametrize("tag", ["v1.0.0-beta", "v1.0.0b0", "v1.0.0-beta.0", "1.0.0b0"])
def test_a_semver_file_and_a_tag_in_either_spelling_agree(tmp_path: Path, tag: str) -> None:
    make(tmp_path, "1.0.0-beta", "1.0.0-beta", "1.0.0b0", "1.0.0-beta")
    version = check_consistent(SPECS, tmp_path)
    tag_version = version_from_tag(tag, None)
    assert tag_version == "1.0.0b0"
    release_tag = ReleaseTag(tag, tag_version, "git tag at HEAD")
    check_tag_matches(version, release_tag)
    check_release_build(version, release_tag)


def test_a_semver_file_and_a_tag_of_another_beta_disagree(tmp_path: Path) -> None:
    make(tmp_path, "1.0.0-beta", "1.0.0-beta", "1.0.0-beta", "1.0.0-beta")
    version = check_consistent(SPECS, tmp_path)
    tag = ReleaseTag("v1.0.0-beta.1", "1.0.0b1", "git tag at HEAD")
    with pytest.raises(TagError) as excinfo:
        check_tag_matches(version, tag)
    assert excinfo.value.message == (
        "release tag v1.0.0-beta.1 (from git tag at HEAD) is version 1.0.0b1, but the package "
        "version is 1.0.0b0"
    )


def test_stamping_the_tags_version_rewrites_nothing_that_already_says_it(tmp_path: Path) -> None:
    """The future "stamp the tag's version into the export": same version, no diff."""
    make(tmp_path, "1.0.0-beta", "1.0.0b0", "1.0.0-beta", "1.0.0-beta.0")
    before = texts(tmp_path)
    write_all(SPECS, tmp_path, version_from_tag("v1.0.0-beta", None) or "")
    assert texts(tmp_path) == before

"""A version from git tags, before its tag: the rehearsal builds the bytes the tag will build.

Real git repositories, real hatch-vcs and setuptools-scm projects built by their own
backends (in isolated environments made from their ``[build-system]``). One commit past
``v1.2.0`` the plugins say ``1.2.1.dev1+g<hash>``; a rehearsal builds the version the next
tag releases with the plugin's pretend variable instead, writes nothing to the tree, and
the files are byte for byte those that tagging that very commit and building again makes.
"""

from __future__ import annotations

import re
import shutil
import tarfile
from pathlib import Path

import pytest

from releasekit.cli import main
from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.kind_build import kind_build, kind_project, setuptools_scm_sample
from tests.helpers.projects import Project as SampleProject
from tests.helpers.projects import write_project
from tests.helpers.sessions import creds, nox, release_project, served

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _find_releasekit(build_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Build environments find releasekit's own wheel, as if it were on the index."""
    for key, value in build_env.items():
        monkeypatch.setenv(key, value)


def _sdist_files(dist: Path) -> dict[str, bytes]:
    """name -> bytes of every file of the sdist in ``dist``; SOURCES.txt only as listed
    (it names scm_version.json where setuptools-scm wrote one)."""
    (sdist,) = dist.glob("*.tar.gz")
    files = {}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            data = archive.extractfile(member) if member.isfile() else None
            if data is not None:
                files[member.name] = b"" if member.name.endswith("SOURCES.txt") else data.read()
    return files


def _hatch_vcs_sample(tmp_path: Path) -> SampleProject:
    """A hatch-vcs project with a README (``twine check --strict`` wants a description)."""
    sample = write_project(
        tmp_path / "demo", version_source="vcs", hook=False, build_requires=("hatchling",),
        git=False,
    )  # fmt: skip
    pyproject = sample.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "A sample project"',
            'description = "A sample project"\nreadme = "README.md"',
        )
    )
    sample.write("README.md", "# demo\n\nThe demo project.\n")
    sample.git("init", "-q", "-b", "main")
    sample.commit("initial")
    return sample


def _past_the_tag(sample: SampleProject) -> None:
    sample.write(".gitignore", "dist/\n.nox/\n")
    sample.commit("ignore the build")
    sample.tag("v1.2.0")
    sample.write("NEWS.txt", "one commit after the tag\n")
    sample.commit("after the tag")


def test_hatch_vcs_rehearsal_builds_the_bytes_the_tag_builds(tmp_path: Path) -> None:
    sample = _hatch_vcs_sample(tmp_path)
    _past_the_tag(sample)
    status = sample.git("status", "--porcelain")

    rehearsed, said = kind_build(sample, rehearse=True)
    assert sorted(rehearsed) == ["demo-1.2.1-py3-none-any.whl", "demo-1.2.1.tar.gz"]
    assert "building 1.2.1, the version of the next tag (nothing is written to the tree)" in said
    assert (
        "building with SETUPTOOLS_SCM_PRETEND_VERSION_FOR_DEMO=1.2.1, "
        "SETUPTOOLS_SCM_PRETEND_VERSION=1.2.1 (in the build's environment only)"
    ) in said
    assert sample.git("status", "--porcelain") == status  # nothing written to the tree

    # The rehearsal's files are reused by a rehearsal of the same commit, never by a real
    # build: that one builds what git says (a dev version), and the plan refuses it.
    assert kind_project(sample, rehearse=True).kind.reusable(kind_project(sample, rehearse=True))
    real = kind_project(sample)
    assert real.kind.reusable(real) is None
    assert real.kind.next_version_env(real, None) == {}  # type: ignore[attr-defined]

    sample.tag("v1.2.1")
    tagged, said = kind_build(sample)
    assert not any("PRETEND" in line for line in said)
    assert tagged == rehearsed  # byte for byte: same names, same sha256


def test_setuptools_scm_rehearsal_builds_the_next_version(tmp_path: Path) -> None:
    """pluggy, setuptools-scm itself: setuptools with [tool.setuptools_scm]."""
    sample = setuptools_scm_sample(tmp_path / "scmdemo")
    sample.write("CHANGELOG.md", "# Changelog\n\n## 1.3.0 - unreleased\n\n- New.\n\n## 1.2.0\n")
    sample.git("init", "-q", "-b", "main")
    sample.commit("initial")
    _past_the_tag(sample)

    rehearsed, said = kind_build(sample, rehearse=True)
    rehearsed_sdist = tmp_path / "rehearsed"
    rehearsed_sdist.mkdir()
    shutil.copy(sample.path / "dist" / "scmdemo-1.3.0.tar.gz", rehearsed_sdist)
    # the changelog's top section names a version newer than the last tag: that one
    assert sorted(rehearsed) == ["scmdemo-1.3.0-py3-none-any.whl", "scmdemo-1.3.0.tar.gz"]
    assert "building 1.3.0, the version of the next tag (nothing is written to the tree)" in said
    # built at a real tag, so no pretend variable (which one setuptools-scm would get, the
    # per-package one only, is tests/unit/test_next_version.py's)
    assert not any("SETUPTOOLS_SCM_PRETEND_VERSION" in line for line in said), said

    # setuptools-scm (10) records what git said in scm_version.json only at a real tag:
    # the rehearsal builds in a throwaway clone tagged v1.3.0, the repository untouched
    assert any("in a throwaway clone tagged v1.3.0" in line for line in said), said
    assert "v1.3.0" not in sample.git("tag", "--list")
    # setuptools writes file times, not SOURCE_DATE_EPOCH: releasekit clamps them
    assert any(line.startswith("reproducible sdist: scmdemo-1.3.0.tar.gz: ") for line in said)

    sample.tag("v1.3.0")
    tagged, _ = kind_build(sample)
    assert tagged == rehearsed  # byte for byte: sdist and wheel
    tag_files = _sdist_files(sample.path / "dist")
    assert "scmdemo-1.3.0/src/scmdemo.egg-info/scm_version.json" in tag_files
    assert _sdist_files(rehearsed_sdist) == tag_files


def test_version_names_the_next_tag_and_hints_speak_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = _hatch_vcs_sample(tmp_path)
    _past_the_tag(sample)

    assert main(["-C", str(sample.path), "version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("demo 1.2.1.dev1+g")
    assert lines[2:4] == [
        "  next:    1.2.1 (a patch bump of the last release tag v1.2.0; --next-version chooses "
        "another)",
        "  tag:     v1.2.1 (not created yet): tag the commit: git tag v1.2.1",
    ]
    assert main(["-C", str(sample.path), "version", "--next-version", "minor"]) == 0
    assert "  next:    1.3.0 (--next-version minor: a minor bump of v1.2.0)" in (
        capsys.readouterr().out
    )

    assert main(["-C", str(sample.path), "bump", "minor"]) == 1
    err = capsys.readouterr().err
    assert (
        "hint: the version comes from git tags (hatch-vcs): tag the commit: `git tag v1.3.0`"
        in (err)
    )
    assert "hatch version" not in err

    # a tag that disagrees with what git computes: tag the commit, never `hatch version`
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.3.0")
    assert main(["-C", str(sample.path), "version"]) == 1
    err = capsys.readouterr().err
    assert "release tag v1.3.0 (from RELEASEKIT_TAG) is version 1.3.0, but the package " in err
    assert (
        "hint: the version comes from git tags (hatch-vcs): tag the commit: git tag v1.3.0, "
        "or move the tag to the commit that has 1.2.1.dev1+g"
    ) in err
    assert "hatch version" not in err and "releasekit bump" not in err


def test_next_version_where_the_files_are_the_version_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write_project(tmp_path / "demo", hook=False, build_requires=("hatchling",))
    assert main(["-C", str(sample.path), "version", "--next-version", "1.3.0"]) == 1
    err = capsys.readouterr().err
    assert "releasekit: --next-version 1.3.0: the version does not come from git tags" in err


def test_nox_release_rehearsal_one_commit_past_the_tag(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """Every pull request of a hatch-vcs project: the rehearsal the CI template runs."""
    project = release_project(tmp_path, indexes, tag=None, changelog_version="1.3.0")
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text().replace('version = "1.2.0"', 'dynamic = ["version"]')
    # hatch-vcs alone (releasekit's hook has its own tests): the version is git's
    text = text.replace(
        'requires = ["hatchling", "releasekit"]', 'requires = ["hatchling", "hatch-vcs"]'
    )
    text = text.replace("[tool.hatch.build.hooks.releasekit]", "")
    pyproject.write_text(text + '\n[tool.hatch.version]\nsource = "vcs"\n')
    project.write(
        "src/demo/__init__.py",
        'from importlib.metadata import version\n\n__version__ = version("demo")\n',
    )
    project.commit("hatch-vcs")
    project.tag("v1.2.0")
    project.write("NEWS.txt", "a pull request\n")
    project.commit("a pull request")

    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code == 0, out
    assert (
        "next version 1.3.0: the changelog's top section names 1.3.0, newer than the last "
        "release tag v1.2.0"
    ) in out
    assert "CHANGELOG.md: " in out
    assert "untagged: 1.3.0 would be released by tag v1.3.0 (not created): tag the commit" in out
    assert "demo-1.3.0-py3-none-any.whl" in out and "demo-1.3.0.tar.gz" in out
    assert "release summary (rehearsal" in out

    # a real release at this commit builds what git says, never a pretend version: the plan
    # refuses it before anything is uploaded (a release is made from a tag)
    code, out = nox(
        project, nox_envdir, build_env, "-s", "publish-test", "--", "--next-version", "1.3.0",
        env=creds(indexes),
    )  # fmt: skip
    assert code != 0
    assert "PRETEND" not in out
    assert re.search(r"1\.2\.1\.dev1\+g[0-9a-f]+ is a local version", out), out
    assert served(indexes["test"]) == {}

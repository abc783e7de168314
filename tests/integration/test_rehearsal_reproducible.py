"""A rehearsal builds the bytes its tag builds, and never refuses its own earlier upload.

Real git repositories, real pdm-backend builds (in isolated environments made from the
project's ``[build-system]``), real pypiservers and real ``nox -s release -- --rehearse``
runs. pdm-backend stamps its tar members with ``SOURCE_DATE_EPOCH`` but its gzip header with
the build's clock; releasekit sets that header to the commit's time, so the rehearsal one
commit past ``v1.2.0`` and the build of tag ``v1.2.1`` are the same bytes. (setuptools-scm:
tests/integration/test_next_version.py.)
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import textwrap
import time
from pathlib import Path

import pytest

from releasekit.core import git
from releasekit.core.config import IndexConfig
from releasekit.engine.manifest import Manifest, describe
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.targets.pypi import IndexTarget
from tests.helpers.kind_build import kind_build, setuptools_scm_sample
from tests.helpers.projects import Project as SampleProject
from tests.helpers.sessions import nox, release_project

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _find_releasekit(build_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Build environments find releasekit's own wheel, as if it were on the index."""
    for key, value in build_env.items():
        monkeypatch.setenv(key, value)


def _gzip_mtime(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[4:8], "little")


def test_pdm_backend_rehearsal_builds_the_bytes_the_tag_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """marko, pdm-backend itself: pdm-backend with its ``scm`` version source."""
    # commits of yesterday: a build in the commit's own second would hide the build's clock
    for variable in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(variable, f"@{int(time.time()) - 86_400} +0000")
    sample = SampleProject(tmp_path / "pdmdemo", "pdmdemo")
    sample.write("pyproject.toml", textwrap.dedent("""\
        [build-system]
        requires = ["pdm-backend"]
        build-backend = "pdm.backend"

        [project]
        name = "pdmdemo"
        dynamic = ["version"]
        description = "A pdm-backend project"
        readme = "README.md"
        requires-python = ">=3.9"

        [tool.pdm.version]
        source = "scm"
        """))  # fmt: skip
    sample.write("README.md", "# pdmdemo\n\nA sample.\n")
    sample.write("src/pdmdemo/__init__.py", '"""pdmdemo."""\n')
    sample.write(".gitignore", "dist/\n.nox/\n")
    sample.git("init", "-q", "-b", "main")
    sample.commit("initial")
    sample.tag("v1.2.0")
    sample.write("NEWS.txt", "one commit after the tag\n")
    sample.commit("after the tag")
    epoch = git.commit_timestamp(sample.path)

    rehearsed, said = kind_build(sample, rehearse=True)
    assert sorted(rehearsed) == ["pdmdemo-1.2.1-py3-none-any.whl", "pdmdemo-1.2.1.tar.gz"]
    assert any("PDM_BUILD_SCM_VERSION=1.2.1" in line for line in said)
    assert (
        f"reproducible sdist: pdmdemo-1.2.1.tar.gz: the gzip header's time set to "
        f"SOURCE_DATE_EPOCH={epoch}"
    ) in said
    assert _gzip_mtime(sample.path / "dist" / "pdmdemo-1.2.1.tar.gz") == epoch

    # dist/ emptied and built again: the same bytes (the build's clock is not in them)
    shutil.rmtree(sample.path / "dist")
    again, _ = kind_build(sample, rehearse=True)
    assert again == rehearsed

    sample.tag("v1.2.1")
    tagged, said = kind_build(sample)
    assert not any("PDM_BUILD_SCM_VERSION" in line for line in said)
    assert tagged == rehearsed  # byte for byte: same names, same sha256


def _manifest_of(dist: Path, name: str, version: str) -> Manifest:
    files = tuple(describe(p) for p in sorted(dist.iterdir()))
    return Manifest(name=name, version=version, files=files, tag=None)


def test_a_stand_in_drops_its_own_earlier_upload_a_real_index_keeps_it(
    tmp_path: Path, indexes: dict[str, LocalIndex]
) -> None:
    """The plan's read of a rehearsal's index: a file of this version with other bytes is an
    earlier rehearsal's, dropped and said; the same file on a real index stays a conflict."""
    server = indexes["test"]
    earlier = server.packages_dir / "standin-1.0.tar.gz"
    earlier.write_bytes(b"an earlier rehearsal's build")
    other_version = server.packages_dir / "standin-0.9.tar.gz"
    other_version.write_bytes(b"another version")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "standin-1.0.tar.gz").write_bytes(b"this build")
    manifest = _manifest_of(dist, "standin", "1.0")
    config = IndexConfig(name="test", url=server.url, publish_url=server.publish_url)

    real = IndexTarget(config, project="standin", environ={})
    state = real.read(manifest)
    assert (
        state.files["standin-1.0.tar.gz"].sha256
        == hashlib.sha256(b"an earlier rehearsal's build").hexdigest()
    )
    assert earlier.exists()  # a real index's file is never touched

    said: list[str] = []
    stand_in = IndexTarget(
        config, project="standin", environ={}, rehearsal=True,
        stand_in_storage=server.packages_dir, log=said.append,
    )  # fmt: skip
    state = stand_in.read(manifest)
    assert "standin-1.0.tar.gz" not in state.files
    assert "standin-0.9.tar.gz" in state.files  # another version: not this build's business
    assert not earlier.exists() and other_version.exists()
    (line,) = said
    assert line.startswith("rehearsal test: dropped standin-1.0.tar.gz (sha256 ")
    assert "an earlier rehearsal's upload of this commit; this build's bytes differ" in line
    # the same bytes again: nothing to drop
    assert stand_in.read(manifest).files == {
        "standin-0.9.tar.gz": state.files["standin-0.9.tar.gz"]
    }
    assert said == [line]


def test_nox_rehearsal_twice_on_one_commit_with_dist_removed(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """A build that differs every time (a prepare command stamps a random file into both
    files): the second rehearsal of the commit replaces its own earlier upload."""
    project = release_project(
        tmp_path, indexes,
        keys=f'prepare-commands = ["{Path(sys.executable).as_posix()} stamp.py"]\n',
    )  # fmt: skip
    project.write(
        "stamp.py",
        "import pathlib, secrets\n"
        "pathlib.Path('src/demo/stamp.txt').write_text(secrets.token_hex(8))\n",
    )
    project.write(".gitignore", "dist/\n.nox/\nsrc/demo/stamp.txt\n")
    pyproject = project.path / "pyproject.toml"
    # hatchling alone (releasekit's hook has its own tests); the stamp ships in both files
    text = pyproject.read_text().replace('"hatchling", "releasekit"', '"hatchling"')
    text = text.replace("[tool.hatch.build.hooks.releasekit]", "")
    pyproject.write_text(text + '\n[tool.hatch.build]\nartifacts = ["src/demo/stamp.txt"]\n')
    project.commit("a build that differs every time")
    project.git("tag", "-f", "v1.2.0")

    code, first = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code == 0, first
    assert "dropped" not in first
    shutil.rmtree(project.path / "dist")
    code, second = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code == 0, second
    for index in ("test", "prod"):
        for name in ("demo-1.2.0.tar.gz", "demo-1.2.0-py3-none-any.whl"):
            assert f"rehearsal {index}: dropped {name} (sha256 " in second, second
    assert "refused" not in second
    assert "release summary (rehearsal" in second


def test_setuptools_scm_next_tag_taken_elsewhere_falls_back_to_the_pretend_variable(
    tmp_path: Path,
) -> None:
    """The next tag already names another commit (a release branch): the throwaway clone
    cannot make it, so the rehearsal builds with the pretend variable, and says why."""
    sample = setuptools_scm_sample(tmp_path / "scmdemo")
    sample.write(".gitignore", "dist/\n.nox/\n")
    sample.git("init", "-q", "-b", "main")
    sample.commit("initial")
    sample.tag("v1.2.0")
    sample.git("checkout", "-q", "-b", "maintenance")
    sample.write("FIX.txt", "a fix released from a branch\n")
    sample.commit("a fix")
    sample.tag("v1.2.1")
    sample.git("checkout", "-q", "main")
    sample.write("NEWS.txt", "one commit after the tag\n")
    sample.commit("after the tag")

    built, said = kind_build(sample, rehearse=True)
    assert sorted(built) == ["scmdemo-1.2.1-py3-none-any.whl", "scmdemo-1.2.1.tar.gz"]
    (line,) = [line for line in said if line.startswith("no throwaway clone to tag")]
    assert line == (
        "no throwaway clone to tag (git tag failed (exit 128): fatal: tag 'v1.2.1' already "
        "exists): building with the pretend variable instead"
    )
    assert not any("in a throwaway clone tagged" in line for line in said)
    assert sample.git("rev-parse", "v1.2.1^{commit}") != sample.git("rev-parse", "HEAD")

"""Reproducibility proven: the build made twice (another path and TZ) is compared
byte for byte, and a published version is rebuilt from its tag and compared with what the
index serves (kinds/python/secondbuild.py, kinds/python/rebuild.py).

Real git repositories, real hatchling builds in isolated environments (releasekit's wheel
from the session's wheelhouse where the sample's hook needs it), a real pypiserver. One
rebuild of a tiny sample per case.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from releasekit.cli import main
from releasekit.errors import BuildError
from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.kind_build import kind_build, kind_project, setuptools_scm_sample
from tests.helpers.projects import REPO, run, write_project
from tests.helpers.projects import Project as SampleProject

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _find_releasekit(build_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Build environments find releasekit's own wheel, as if it were on the index."""
    for key, value in build_env.items():
        monkeypatch.setenv(key, value)


def _sample(path: Path, *, files: dict[str, str] | None = None, **options: object) -> SampleProject:
    """:func:`write_project` with a README (twine check --strict wants one), ``files``
    added, dist/ ignored, committed."""
    sample = write_project(path, git=False, **options)  # type: ignore[arg-type]
    pyproject = sample.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "A sample project"',
            'description = "A sample project"\nreadme = "README.md"',
        )
    )
    sample.write("README.md", f"# {sample.name}\n\nA sample project.\n")
    sample.write(".gitignore", "dist/\n")
    for relpath, text in (files or {}).items():
        sample.write(relpath, text)
    sample.git("init", "-q", "-b", "main")
    sample.commit("initial")
    return sample


def test_a_hatchling_sample_builds_the_same_bytes_twice(tmp_path: Path) -> None:
    """With releasekit's hook on, as `releasekit init` sets a project up."""
    sample = _sample(tmp_path / "demo")
    built, said = kind_build(sample, check_reproducible=True)
    assert sorted(built) == ["demo-1.2.0-py3-none-any.whl", "demo-1.2.0.tar.gz"]
    again = [line for line in said if line.startswith("check-reproducible: building again at ")]
    assert len(again) == 1, said
    assert re.fullmatch(
        r"check-reproducible: building again at /\S+/at-another-path-?/src, TZ=RKT[-+]\d\d:\d\d",
        again[0],
    ), again
    assert str(tmp_path) not in again[0]
    assert any(
        line.startswith(
            "check-reproducible: demo-1.2.0.tar.gz, demo-1.2.0-py3-none-any.whl built again at "
        )
        and ": the same bytes (" in line
        for line in said
    )
    # the manifest records the proof: a rerun with the option (publish-test, then publish)
    # reuses this build rather than building twice again; one without the proof is not
    dist = sample.path / "dist"
    assert json.loads((dist / "releasekit-manifest.json").read_text())["reproduced"] is True
    assert kind_project(sample).kind.reusable(kind_project(sample)) is not None
    proving = kind_project(sample, check_reproducible=True)
    reused = proving.kind.reusable(proving)
    assert reused is not None and reused.reproduced
    dataclasses.replace(reused, reproduced=False).save(dist)
    assert "reproduced" not in json.loads((dist / "releasekit-manifest.json").read_text())
    assert proving.kind.reusable(proving) is None
    assert kind_project(sample).kind.reusable(kind_project(sample)) is not None


def test_a_setuptools_build_does_not_depend_on_the_callers_umask(tmp_path: Path) -> None:
    """setuptools copies the checkout's modes into its archives: under a maintainer's umask
    002 the same commit built other bytes than a CI runner's 022. releasekit pins umask 022
    for every build, both of --check-reproducible's, whatever the caller's umask."""
    sample = setuptools_scm_sample(tmp_path / "scmdemo")
    sample.write(".gitignore", "dist/\n")
    sample.git("init", "-q", "-b", "main")
    sample.commit("initial")
    sample.tag("v1.2.0")
    previous = os.umask(0o002)
    try:
        built, said = kind_build(sample, check_reproducible=True)
    finally:
        os.umask(previous)
    assert sorted(built) == ["scmdemo-1.2.0-py3-none-any.whl", "scmdemo-1.2.0.tar.gz"]
    assert any(": the same bytes (" in line for line in said), said
    with tarfile.open(sample.path / "dist" / "scmdemo-1.2.0.tar.gz") as sdist:
        modes = {m.name: m.mode for m in sdist.getmembers() if m.isfile()}
    assert modes["scmdemo-1.2.0/pyproject.toml"] == 0o644, modes


_STAMP_HOOK = textwrap.dedent("""\
    import time
    from pathlib import Path

    from hatchling.builders.hooks.plugin.interface import BuildHookInterface


    class StampHook(BuildHookInterface):
        def initialize(self, version, build_data):
            stamp = Path(self.root, "src", "stamped", "_built.py")
            stamp.write_text(f"BUILT_AT = {time.time():.6f}\\n", encoding="utf-8")
    """)


def test_a_timestamp_written_at_build_time_is_caught_and_named(tmp_path: Path) -> None:
    """A hatch build hook writes ``time.time()`` into a module of the package; turned on by
    the config key. Nothing reaches dist/."""
    sample = _sample(
        tmp_path / "stamped",
        name="stamped",
        hook=False,
        build_requires=("hatchling",),
        releasekit_table="[tool.releasekit]\ncheck-reproducible = true\n",
        extra_pyproject="[tool.hatch.build.hooks.custom]\n",
        files={"hatch_build.py": _STAMP_HOOK},
    )
    with pytest.raises(BuildError) as caught:
        kind_build(sample)
    message = caught.value.message
    assert message.startswith(
        "not reproducible: 2 of 2 built files differ between two builds of commit "
    )
    assert message.endswith(
        ": stamped-1.2.0.tar.gz at stamped-1.2.0/src/stamped/_built.py (content); "
        "stamped-1.2.0-py3-none-any.whl at stamped/_built.py (content)"
    )
    assert caught.value.hint.startswith(
        "a file written at build time carries the build's clock, path or environment: "
        "derive it from SOURCE_DATE_EPOCH"
    )
    assert caught.value.hint.endswith("nothing was published")
    assert not (sample.path / "dist").exists()


def _tampered(wheel: Path, member: str) -> bytes:
    """``wheel`` with one more line in ``member``, every other byte of each member kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == member:
                data += b"# changed after the build\n"
            target.writestr(info, data)
    return out.getvalue()


def test_status_rebuild_compares_a_published_version_with_its_tag(
    tmp_path: Path, local_index: LocalIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    """`releasekit status --rebuild 1.2.0 --json`: the prod index serves the tag's sdist and
    a wheel changed after the build; HEAD has moved on since the tag. The rebuild is the
    tag's: the sdist is the same bytes, the wheel's changed member is named, exit 1."""
    prod = (
        f'[tool.releasekit.indexes.prod]\nurl = "{local_index.url}"\n'
        f'publish-url = "{local_index.publish_url}"\n'
    )
    sample = _sample(tmp_path / "demo", releasekit_table=prod)
    sample.tag("v1.2.0")
    built, _ = kind_build(sample)
    dist = sample.path / "dist"
    shutil.copy(dist / "demo-1.2.0.tar.gz", local_index.packages_dir)
    wheel = "demo-1.2.0-py3-none-any.whl"
    (local_index.packages_dir / wheel).write_bytes(_tampered(dist / wheel, "demo/cli.py"))
    sample.write("src/demo/cli.py", "print('after the release')\n")
    sample.commit("after the release")
    capsys.readouterr()

    code = main(["-C", str(sample.path), "status", "--rebuild", "1.2.0", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 1
    assert answer["reproduced"] is False
    (report,) = answer["projects"]
    assert (report["tag"], report["version"], report["index"]) == (
        "v1.2.0",
        "1.2.0",
        local_index.url,
    )
    verdicts = {f["filename"]: f for f in report["files"]}
    assert verdicts["demo-1.2.0.tar.gz"]["verdict"] == "same"
    assert verdicts["demo-1.2.0.tar.gz"]["rebuilt_sha256"] == built["demo-1.2.0.tar.gz"]
    differs = verdicts[wheel]
    assert differs["verdict"] == "differs" and differs["rebuilt_sha256"] == built[wheel]
    assert (differs["difference"]["member"], differs["difference"]["aspect"]) == (
        "demo/cli.py",
        "size",
    )


def test_releasekit_itself_builds_the_same_bytes_twice(tmp_path: Path) -> None:
    """This repository at HEAD (a hatchling project), in a clone of its own."""
    clone = tmp_path / "releasekit"
    run("git", "clone", "--quiet", "--shared", REPO, clone)
    built, said = kind_build(SampleProject(clone, "releasekit"), check_reproducible=True)
    assert len(built) == 2
    assert any(": the same bytes (" in line for line in said)

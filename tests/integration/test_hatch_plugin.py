"""The hatch plugin (build hook and version source) in real builds of real git projects.

Two ways to build: in-process with hatchling's builders (fast; releasekit is installed
editable, so hatchling finds the plugin through its entry point and a refusal arrives as the
releasekit exception), and as a user does, ``python -m build`` / ``hatch`` / ``uv pip install``
in isolated environments that install releasekit from the session's wheelhouse, where a
refusal is the failure text of the build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

import pytest
from hatchling.builders.sdist import SdistBuilder
from hatchling.builders.wheel import WheelBuilder
from hatchling.metadata.core import ProjectMetadata
from hatchling.plugin.manager import PluginManager

from releasekit._compat import tomllib
from releasekit.errors import CarrierError, ConfigError, TagError
from tests.helpers.hatch import hatch, isolated
from tests.helpers.projects import (
    GIT_ENV,
    TAG_VARIABLES,
    Project,
    python_for,
    run,
    write_project,
)

pytestmark = pytest.mark.slow

MakeProject = Callable[..., Project]

VERSION_FILES_TABLE = """\
[tool.releasekit]
version-files = ["src/demo/__init__.py", "package.json", \
{ path = "pyproject.toml", pattern = 'current_version = "(?P<version>[^"]+)"' }]
"""
BUMPVERSION_TABLE = '[tool.bumpversion]\ncurrent_version = "1.2.0"\n'
# hatchling's editable wheel needs the `editables` package unless dev-mode-dirs is set
DEV_MODE_DIRS = '[tool.hatch.build]\ndev-mode-dirs = ["src"]\n'


# -- helpers ---------------------------------------------------------------------------------


def build(root: Project | Path, target: str = "wheel", *, version: str = "standard") -> Path:
    """Build ``target`` of the project at ``root`` in this process; the artifact's path."""
    path = root.path if isinstance(root, Project) else root
    builder_class: Any = {"wheel": WheelBuilder, "sdist": SdistBuilder}[target]
    out = path.parent / f"{path.name}-dist"
    (artifact,) = builder_class(str(path)).build(directory=str(out), versions=[version])
    return Path(artifact)


def uv_or_skip() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    return uv


def python_m_build(project: Project, out: Path, env: Mapping[str, str]) -> Any:
    return run(
        sys.executable,
        "-m",
        "build",
        "--installer",
        "uv",
        "--outdir",
        out,
        project.path,
        env=env,
        check=False,
    )


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        return archive.getnames()


def unpack_sdist(sdist: Path, dest: Path) -> Path:
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(dest, filter="data")
        else:  # pragma: no cover - Pythons without extraction filters
            archive.extractall(dest)
    (root,) = dest.iterdir()
    return root


def with_version_source_options(project: Project, options: str) -> None:
    """Add keys to the ``[tool.hatch.version]`` table write_project made."""
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    marker = 'source = "releasekit"\n'
    assert marker in text
    pyproject.write_text(text.replace(marker, marker + options), encoding="utf-8")


# -- 1 and 2: a matching tag builds, a mismatched one does not --------------------------------


@pytest.mark.parametrize("annotated", [False, True], ids=["lightweight", "annotated"])
def test_matching_tag_builds_wheel_and_sdist(make_project: MakeProject, annotated: bool) -> None:
    project = make_project()
    project.tag("v1.2.0", annotated=annotated)

    assert build(project).name == "demo-1.2.0-py3-none-any.whl"
    assert build(project, "sdist").name == "demo-1.2.0.tar.gz"


def test_mismatched_tag_fails_in_process(make_project: MakeProject) -> None:
    project = make_project()
    project.tag("v1.2.1")

    for target in ("wheel", "sdist"):
        with pytest.raises(TagError) as failure:
            build(project, target)
        assert failure.value.message == (
            "release tag v1.2.1 (from git tag at HEAD) is version 1.2.1, "
            "but the package version is 1.2.0"
        )
        assert "releasekit bump 1.2.1" in failure.value.hint


# The tests of the one module-scoped tagged build (tagged_dists, sdist_tree) run on one
# xdist worker, which builds it once (each worker would build its own).
on_tagged_dists = pytest.mark.xdist_group("hatch_tagged_dists")


@pytest.fixture(scope="module")
def tagged_dists(
    tmp_path_factory: pytest.TempPathFactory, build_env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``python -m build`` of a project at its matching tag v1.2.0: the run and its outdir."""
    with pytest.MonkeyPatch.context() as patch:  # the autouse env fixture is per test
        for name in TAG_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in GIT_ENV.items():
            patch.setenv(name, value)
        project = write_project(tmp_path_factory.mktemp("tagged") / "demo")
        project.tag("v1.2.0")
        out = project.path.parent / "dist"
        proc = python_m_build(project, out, isolated(build_env))
    return proc, out


@on_tagged_dists
def test_python_m_build_at_matching_tag(
    tagged_dists: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    proc, out = tagged_dists
    assert proc.returncode == 0, proc.stdout
    assert "Successfully built" in proc.stdout
    assert (out / "demo-1.2.0.tar.gz").is_file()
    assert (out / "demo-1.2.0-py3-none-any.whl").is_file()


def test_python_m_build_mismatched_tag_fails(
    make_project: MakeProject, build_env: dict[str, str], tmp_path: Path
) -> None:
    project = make_project()
    project.tag("v1.2.1")

    proc = python_m_build(project, tmp_path / "dist", isolated(build_env))

    assert proc.returncode != 0
    assert (
        "releasekit.errors.TagError: release tag v1.2.1 (from git tag at HEAD) is version "
        "1.2.1, but the package version is 1.2.0"
    ) in proc.stdout
    assert not list((tmp_path / "dist").glob("demo-*"))


def test_versions_compare_as_normalized_strings(make_project: MakeProject) -> None:
    """1.2 and 1.2.0 are equal versions but different files on an index."""
    project = make_project(version="1.2")
    project.tag("v1.2.0")

    with pytest.raises(TagError) as failure:
        build(project)
    assert failure.value.message.endswith("is version 1.2.0, but the package version is 1.2")


def test_tag_without_v_and_malformed_releasekit_tag(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project()
    project.tag("1.2.0")
    assert build(project).name == "demo-1.2.0-py3-none-any.whl"

    monkeypatch.setenv("RELEASEKIT_TAG", "v1.2.x")  # named explicitly: a typo must stop it
    with pytest.raises(TagError, match=r"tag 'v1\.2\.x' is not a release tag"):
        build(project)


def test_monorepo_package_checks_its_own_tag_and_files(tmp_path: Path) -> None:
    mono = tmp_path / "mono"
    api = write_project(
        mono / "api", releasekit_table='[tool.releasekit]\ntag-prefix = "api-v"\n', git=False
    )
    web = write_project(
        mono / "web",
        name="web",
        git=False,
        releasekit_table='[tool.releasekit]\ntag-prefix = "web-v"\n',
    )
    run("git", "init", "-q", "-b", "main", cwd=mono)
    run("git", "add", "-A", cwd=mono)
    run("git", "commit", "-q", "-m", "two packages", cwd=mono)
    run("git", "tag", "api-v1.2.0", cwd=mono)
    run("git", "tag", "web-v9.0.0", cwd=mono)

    assert build(api.path).name == "demo-1.2.0-py3-none-any.whl"
    with pytest.raises(TagError, match=r"release tag web-v9\.0\.0 .* package version is 1\.2\.0"):
        build(web.path)

    (web.path / "src/web/cli.py").write_text("# an edit in the other package\n")
    assert build(api.path).name == "demo-1.2.0-py3-none-any.whl"
    (api.path / "src/demo/cli.py").write_text("# an edit in this package\n")
    with pytest.raises(TagError) as failure:
        build(api.path)
    assert failure.value.message.endswith("uncommitted changes: api/src/demo/cli.py")


# -- 3: CI tag variables ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ci_env", "variable"),
    [
        ({"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v9.9.9"}, "GITHUB_REF_NAME"),
        ({"CI_COMMIT_TAG": "v9.9.9"}, "CI_COMMIT_TAG"),
    ],
    ids=["github", "gitlab"],
)
def test_ci_tag_that_disagrees_fails(
    make_project: MakeProject,
    monkeypatch: pytest.MonkeyPatch,
    ci_env: dict[str, str],
    variable: str,
) -> None:
    project = make_project()
    for name, value in ci_env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(TagError) as failure:
        build(project)
    assert failure.value.message == (
        f"release tag v9.9.9 (from {variable}) is version 9.9.9, but the package version is 1.2.0"
    )


def test_ci_tag_of_another_package_is_ignored_in_a_monorepo(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(releasekit_table='[tool.releasekit]\ntag-prefix = "api-v"\n')
    monkeypatch.setenv("GITHUB_REF_TYPE", "tag")
    monkeypatch.setenv("GITHUB_REF_NAME", "web-v2.0.0")

    assert build(project).name == "demo-1.2.0-py3-none-any.whl"

    # the prefix is in force: this package's own tag from CI is checked
    monkeypatch.setenv("GITHUB_REF_NAME", "api-v2.0.0")
    with pytest.raises(TagError, match=r"release tag api-v2\.0\.0 \(from GITHUB_REF_NAME\)"):
        build(project)


# -- 4: semver spelling of a pre-release tag --------------------------------------------------


def test_semver_prerelease_tag_builds_pep440_version(make_project: MakeProject) -> None:
    project = make_project(version="1.0.0b1")
    project.tag("v1.0.0-beta.1")

    assert build(project).name == "demo-1.0.0b1-py3-none-any.whl"


# -- 5: editable installs are never blocked ---------------------------------------------------


def test_editable_build_in_process_ignores_tag_and_require_tag(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(hook_options="require-tag = true", extra_pyproject=DEV_MODE_DIRS)
    project.tag("v9.9.9")
    monkeypatch.setenv("RELEASEKIT_REQUIRE_TAG", "1")

    editable = build(project, version="editable")
    assert editable.name == "demo-1.2.0-py3-none-any.whl"
    with pytest.raises(TagError, match=r"v9\.9\.9"):  # the same tree is refused as a release
        build(project)


def test_uv_editable_install_with_mismatched_tag(
    make_project: MakeProject, build_env: dict[str, str], tmp_path: Path
) -> None:
    uv = uv_or_skip()
    project = make_project()
    project.tag("v9.9.9")
    venv = tmp_path / "venv"
    env = isolated(build_env)

    run(uv, "venv", "-q", venv, env=env)
    run(uv, "pip", "install", "-q", "--python", venv_python(venv), "-e", project.path, env=env)

    script = venv / ("Scripts/demo.exe" if os.name == "nt" else "bin/demo")
    assert run(script).stdout.strip() == "demo 1.2.0"


# -- 6: require-tag ---------------------------------------------------------------------------


def test_require_tag_option_on_untagged_repo_fails(make_project: MakeProject) -> None:
    project = make_project(hook_options="require-tag = true")

    with pytest.raises(TagError) as failure:
        build(project)
    assert failure.value.message.startswith("no release tag for version 1.2.0 (require-tag = true")
    assert "git tag v1.2.0" in failure.value.hint
    assert "RELEASEKIT_TAG=v1.2.0" in failure.value.hint


def test_require_tag_is_satisfied_by_a_matching_tag(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(hook_options="require-tag = true")
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.2.0")  # no git tag: the explicit one counts
    assert build(project).name == "demo-1.2.0-py3-none-any.whl"


def test_require_tag_env_in_shallow_clone_hints_at_fetch_depth(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = make_project()
    project.write("README.md", "second commit, so a depth-1 clone cuts history\n")
    project.commit("second")
    clone = tmp_path / "clone"
    run("git", "clone", "-q", "--depth", "1", f"file://{project.path}", clone)
    assert run("git", "rev-parse", "--is-shallow-repository", cwd=clone).stdout.strip() == "true"
    monkeypatch.setenv("RELEASEKIT_REQUIRE_TAG", "1")

    with pytest.raises(TagError) as failure:
        build(clone)
    assert "no release tag for version 1.2.0 (RELEASEKIT_REQUIRE_TAG is set" in (
        failure.value.message
    )
    assert "shallow" in failure.value.hint
    assert "fetch-depth: 0" in failure.value.hint


# -- 7: the sdist -> wheel path ---------------------------------------------------------------


def test_the_same_commit_builds_the_same_bytes_with_or_without_the_tag(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uploaded to a test index before tagging, the files must be the ones published after:
    nothing about the tag goes into an artifact."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    project = make_project()
    untagged = {target: sha256(build(project, target)) for target in ("sdist", "wheel")}
    project.tag("v1.2.0")
    tagged = {target: sha256(build(project, target)) for target in ("sdist", "wheel")}
    assert tagged == untagged
    assert not [n for n in sdist_names(build(project, "sdist")) if "releasekit" in n]


@pytest.fixture
def sdist_tree(
    tagged_dists: tuple[subprocess.CompletedProcess[str], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A fresh unpacked copy of the sdist built at v1.2.0 (no .git, a PKG-INFO), built as
    releasekit's own builds build it: the sdist ships the hook off, they turn it on."""
    monkeypatch.setenv("HATCH_BUILD_HOOK_ENABLE_RELEASEKIT", "1")
    _, out = tagged_dists
    return unpack_sdist(out / "demo-1.2.0.tar.gz", tmp_path / "unpacked")


# -- 7b: the sdist's pyproject.toml builds without releasekit ---------------------------------

OFF_LINE = (
    "enable-by-default = false  # releasekit: the published sdist builds without releasekit; "
    "its own builds set HATCH_BUILD_HOOK_ENABLE_RELEASEKIT=1"
)


def shipped_pyproject(sdist: Path) -> str:
    with tarfile.open(sdist) as archive:
        member = archive.extractfile(f"{sdist.name[: -len('.tar.gz')]}/pyproject.toml")
        assert member is not None
        return member.read().decode("utf-8")


def test_the_sdist_ships_the_hook_off_and_stays_reproducible(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line under the hook's header; comments, layout and everything else as committed;
    the same bytes on every build; the copy is gone afterwards."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    project = make_project(
        build_requires=("hatchling",),
        hook_options='# the guard\ndependencies = ["releasekit"]  # for the hook',
    )
    before = set(Path(tempfile.gettempdir()).glob("releasekit-sdist-*"))
    first = build(project, "sdist")
    digest = sha256(first)
    assert sha256(build(project, "sdist")) == digest
    assert set(Path(tempfile.gettempdir()).glob("releasekit-sdist-*")) == before

    committed = (project.path / "pyproject.toml").read_text(encoding="utf-8")
    header = "[tool.hatch.build.hooks.releasekit]\n"
    assert shipped_pyproject(first) == committed.replace(header, header + OFF_LINE + "\n")
    # in the archive where hatchling puts pyproject.toml, and once
    assert sdist_names(first).count("demo-1.2.0/pyproject.toml") == 1


def test_the_old_form_loses_its_build_requirement_in_the_sdist(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """releasekit in [build-system] requires (a project not migrated yet), a hook table that
    says enable-by-default = true: tomlkit edits both, comments kept, and the requirement
    moves into the hook's dependencies (a build that turns the hook on still gets it)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    project = make_project(hook_options="enable-by-default = true  # on")
    shipped = shipped_pyproject(build(project, "sdist"))
    data = tomllib.loads(shipped)
    assert data["build-system"]["requires"] == ["hatchling"]
    assert data["tool"]["hatch"]["build"]["hooks"]["releasekit"] == {
        "enable-by-default": False,
        "dependencies": ["releasekit"],
    }
    assert "  # releasekit: the published sdist builds without releasekit" in shipped
    assert sha256(build(project, "sdist")) == sha256(build(project, "sdist"))


def test_a_project_without_the_hook_ships_its_pyproject_as_it_is(
    make_project: MakeProject,
) -> None:
    project = make_project(hook=False, build_requires=("hatchling",))
    shipped = shipped_pyproject(build(project, "sdist"))
    assert shipped == (project.path / "pyproject.toml").read_text(encoding="utf-8")


@on_tagged_dists
def test_the_wheel_from_the_sdist_is_guarded_only_when_turned_on(
    tagged_dists: tuple[subprocess.CompletedProcess[str], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stranger's build of the sdist never loads releasekit; releasekit's builds do."""
    _, out = tagged_dists
    tree = unpack_sdist(out / "demo-1.2.0.tar.gz", tmp_path / "unpacked")
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.2.1")
    assert build(tree).name == "demo-1.2.0-py3-none-any.whl"  # the hook is off
    monkeypatch.setenv("HATCH_BUILD_HOOK_ENABLE_RELEASEKIT", "1")
    with pytest.raises(TagError):
        build(tree)


@on_tagged_dists
def test_wheel_from_sdist_with_another_releasekit_tag_fails(
    sdist_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.2.1")

    with pytest.raises(TagError) as failure:
        build(sdist_tree)
    assert failure.value.message == (
        "release tag v1.2.1 (from RELEASEKIT_TAG) is version 1.2.1, "
        "but the package version is 1.2.0"
    )


@on_tagged_dists
def test_require_tag_at_the_wheel_step_is_met_by_the_ci_tag_of_this_version(
    sdist_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m build` in a tag job with RELEASEKIT_REQUIRE_TAG=1: the wheel step too."""
    monkeypatch.setenv("RELEASEKIT_REQUIRE_TAG", "1")
    monkeypatch.setenv("GITHUB_REF_TYPE", "tag")
    monkeypatch.setenv("GITHUB_REF_NAME", "v1.2.0")
    assert build(sdist_tree).name == "demo-1.2.0-py3-none-any.whl"


@on_tagged_dists
def test_wheel_from_sdist_ignores_a_ci_tag_of_another_version(
    sdist_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a CI job at some tag, pip may build a dependency's sdist: not that release."""
    monkeypatch.setenv("GITHUB_REF_TYPE", "tag")
    monkeypatch.setenv("GITHUB_REF_NAME", "v9.9.9")
    assert build(sdist_tree).name == "demo-1.2.0-py3-none-any.whl"

    monkeypatch.setenv("RELEASEKIT_REQUIRE_TAG", "1")
    with pytest.raises(TagError) as failure:
        build(sdist_tree)
    assert failure.value.message == (
        "no release tag for version 1.2.0 (RELEASEKIT_REQUIRE_TAG is set; building from an "
        "sdist: no RELEASEKIT_TAG, no CI tag for this version)"
    )


# -- 8: what else a build at a tag refuses ----------------------------------------------------


def test_local_version_at_tag_is_refused(make_project: MakeProject) -> None:
    project = make_project(version="1.2.0+local")
    project.tag("v1.2.0+local")

    with pytest.raises(TagError) as failure:
        build(project)
    assert "package version 1.2.0+local has a local part" in failure.value.message
    assert "v1.2.0+local" in failure.value.message


def test_dev_version_at_tag_is_refused(make_project: MakeProject) -> None:
    project = make_project(version="1.2.1.dev0")
    project.tag("v1.2.0")

    with pytest.raises(TagError) as failure:
        build(project)
    assert failure.value.message == (
        "package version 1.2.1.dev0 is a dev version, but release tag v1.2.0 is 1.2.0"
    )


def test_dirty_tree_at_tag_is_refused_unless_allowed(make_project: MakeProject) -> None:
    project = make_project()
    project.tag("v1.2.0")
    project.write("NOTES.txt", "untracked files do not count\n")
    assert build(project).name == "demo-1.2.0-py3-none-any.whl"

    project.write("src/demo/cli.py", "# edited after tagging\n")
    with pytest.raises(TagError) as failure:
        build(project)
    assert failure.value.message == (
        "release build of v1.2.0 from a tree with uncommitted changes: src/demo/cli.py"
    )
    assert "allow-dirty = true" in failure.value.hint

    allowed = make_project(hook_options="allow-dirty = true")
    allowed.tag("v1.2.0")
    allowed.write("src/demo/cli.py", "# edited after tagging\n")
    assert build(allowed).name == "demo-1.2.0-py3-none-any.whl"


def test_version_files_that_disagree_at_tag_are_refused(make_project: MakeProject) -> None:
    project = make_project(
        releasekit_table=(
            '[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo/__init__.py"]\n'
        )
    )
    project.write("src/demo/__init__.py", '__version__ = "1.1.0"\n')
    project.commit("stale __init__")
    project.tag("v1.2.0")

    with pytest.raises(CarrierError) as failure:
        build(project)
    assert failure.value.message == (
        "version files disagree: pyproject.toml has 1.2.0, but src/demo/__init__.py has 1.1.0"
    )


# -- 9: the hook's own options ----------------------------------------------------------------


def test_unknown_hook_option_suggests_the_close_one(make_project: MakeProject) -> None:
    project = make_project(hook_options="requir-tag = true")

    with pytest.raises(ConfigError) as failure:
        build(project)
    assert failure.value.message == (
        "unknown key 'requir-tag' in [tool.hatch.build.hooks.releasekit]"
    )
    assert failure.value.hint == "did you mean 'require-tag'?"


def test_hook_option_must_be_a_boolean(make_project: MakeProject) -> None:
    project = make_project(hook_options='require-tag = "yes"')

    with pytest.raises(ConfigError, match="require-tag must be true or false, not 'yes'"):
        build(project)


def test_hatchling_keys_of_the_hook_table_are_accepted(make_project: MakeProject) -> None:
    project = make_project(hook_options="enable-by-default = true\ndependencies = []")
    project.tag("v1.2.0")
    assert build(project).name == "demo-1.2.0-py3-none-any.whl"


# -- 10 and 11: other version sources --------------------------------------------------------


def test_hatch_vcs_at_tag_builds_and_a_commit_later_is_a_dev_version(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(version_source="vcs")
    project.tag("v1.2.0")
    assert build(project).name == "demo-1.2.0-py3-none-any.whl"

    project.write("README.md", "one commit after the tag\n")
    project.commit("after the tag")
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.2.0")
    with pytest.raises(TagError) as failure:
        build(project)
    # hatch-vcs computes 1.2.1.dev1+g<hash>: local *and* dev, reported as the dev it is
    assert failure.value.message.startswith("package version 1.2.1.dev1+g")
    assert "is a dev version, but release tag v1.2.0 is 1.2.0" in failure.value.message


def test_a_hatch_vcs_mismatch_hints_at_tags_not_at_writing_the_version(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(version_source="vcs")
    project.tag("v1.2.0")
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.3.0")
    with pytest.raises(TagError) as failure:
        build(project)
    assert "is version 1.3.0, but the package version is 1.2.0" in failure.value.message
    assert failure.value.hint.startswith("the version comes from git tags here (hatch-vcs)")
    assert "hatch version" not in failure.value.hint  # it raises on hatch-vcs


def test_regex_version_source_with_mismatched_tag_fails(make_project: MakeProject) -> None:
    project = make_project(version_source="regex")
    project.tag("v1.3.0")

    with pytest.raises(TagError) as failure:
        build(project)
    assert failure.value.message == (
        "release tag v1.3.0 (from git tag at HEAD) is version 1.3.0, "
        "but the package version is 1.2.0"
    )


# -- 12: the releasekit version source and `hatch version` ------------------------------------


def version_files_project(make_project: MakeProject) -> Project:
    project = make_project(
        version_source="releasekit", releasekit_table=BUMPVERSION_TABLE + "\n" + VERSION_FILES_TABLE
    )
    project.write("package.json", json.dumps({"name": "demo", "version": "1.2.0"}, indent=2))
    project.commit("package.json")
    return project


def test_hatch_version_minor_writes_every_version_file(
    make_project: MakeProject, hatch_env: dict[str, str]
) -> None:
    project = version_files_project(make_project)

    shown = hatch(project, hatch_env, "version")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "1.2.0"

    bumped = hatch(project, hatch_env, "version", "minor")
    assert bumped.returncode == 0, bumped.stderr
    assert "Old: 1.2.0" in bumped.stderr + bumped.stdout
    assert "New: 1.3.0" in bumped.stderr + bumped.stdout

    assert '__version__ = "1.3.0"' in (project.path / "src/demo/__init__.py").read_text()
    assert json.loads((project.path / "package.json").read_text())["version"] == "1.3.0"
    pyproject = (project.path / "pyproject.toml").read_text()
    assert 'current_version = "1.3.0"' in pyproject
    changed = project.git("diff", "--numstat").splitlines()
    assert sorted(changed) == sorted(
        ["1\t1\tpackage.json", "1\t1\tpyproject.toml", "1\t1\tsrc/demo/__init__.py"]
    )


def test_hatch_version_fails_when_version_files_disagree(
    make_project: MakeProject, hatch_env: dict[str, str]
) -> None:
    project = version_files_project(make_project)
    project.write("package.json", json.dumps({"name": "demo", "version": "1.1.0"}, indent=2))

    shown = hatch(project, hatch_env, "version")
    assert shown.returncode != 0
    assert (
        "version files disagree: src/demo/__init__.py has 1.2.0, but package.json has 1.1.0"
    ) in shown.stderr + shown.stdout


def test_version_source_accepts_hatchlings_scheme_options(make_project: MakeProject) -> None:
    project = make_project(
        version_source="releasekit",
        releasekit_table='[tool.releasekit]\nversion-files = ["src/demo/__init__.py"]\n',
    )
    with_version_source_options(project, 'scheme = "standard"\nvalidate-bump = false\n')
    project.commit("scheme options")
    project.tag("v1.2.0")

    assert ProjectMetadata(str(project.path), PluginManager()).version == "1.2.0"
    assert build(project).name == "demo-1.2.0-py3-none-any.whl"


def test_version_source_rejects_an_option_of_its_own(make_project: MakeProject) -> None:
    project = make_project(
        version_source="releasekit",
        releasekit_table='[tool.releasekit]\nversion-files = ["src/demo/__init__.py"]\n',
    )
    with_version_source_options(project, 'path = "src/demo/__init__.py"\n')

    with pytest.raises(ConfigError, match=r"takes no options .* got \['path'\]"):
        ProjectMetadata(str(project.path), PluginManager()).version  # noqa: B018


def test_pattern_on_pyproject_does_not_match_its_own_definition(make_project: MakeProject) -> None:
    project = make_project(
        version_source="releasekit",
        releasekit_table=VERSION_FILES_TABLE,
        extra_pyproject=BUMPVERSION_TABLE,
    )
    project.write("package.json", json.dumps({"name": "demo", "version": "1.2.0"}))
    assert ProjectMetadata(str(project.path), PluginManager()).version == "1.2.0"


# -- 13: the oldest and the newest Python -----------------------------------------------------


@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_plugin_runs_on_python(
    version: str,
    make_project: MakeProject,
    wheelhouse: Path,
    build_env: dict[str, str],
    tmp_path: Path,
) -> None:
    python = python_for(version)
    if python is None:
        pytest.skip(f"no working Python {version} (not on PATH, not under pyenv's versions)")
    uv = uv_or_skip()
    venv = tmp_path / "venv"
    env = isolated(build_env)
    (releasekit_wheel,) = wheelhouse.glob("releasekit-*.whl")
    run(uv, "venv", "-q", "--python", python, venv, env=env)
    run(
        uv,
        "pip",
        "install",
        "-q",
        "--python",
        venv_python(venv),
        "hatchling",
        releasekit_wheel,
        env=env,
    )

    mismatched = make_project()
    mismatched.tag("v1.2.1")
    failed = run(
        venv_python(venv),
        "-m",
        "hatchling",
        "build",
        "-t",
        "wheel",
        "-d",
        tmp_path / "out",
        cwd=mismatched.path,
        check=False,
    )
    assert failed.returncode != 0
    assert "TagError: release tag v1.2.1 (from git tag at HEAD) is version 1.2.1" in failed.stdout

    matched = make_project()
    matched.tag("v1.2.0")
    run(
        venv_python(venv),
        "-m",
        "hatchling",
        "build",
        "-t",
        "wheel",
        "-d",
        tmp_path / "out",
        cwd=matched.path,
    )
    assert (tmp_path / "out" / "demo-1.2.0-py3-none-any.whl").is_file()


# -- 14: what the hook costs every build ------------------------------------------------------


@pytest.fixture
def git_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Put a logging ``git`` first on PATH; returns a function that reads and clears the log."""
    real = shutil.which("git")
    assert real is not None
    bindir = tmp_path / "logging-git"
    bindir.mkdir()
    log = tmp_path / "git-calls.log"
    wrapper = bindir / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")

    def calls() -> list[str]:
        lines = log.read_text().splitlines() if log.exists() else []
        log.write_text("")
        return lines

    return calls


@pytest.mark.skipif(os.name == "nt", reason="the logging git wrapper is a shell script")
def test_hook_runs_git_only_to_see_whether_a_tag_build_is_dirty(
    make_project: MakeProject, git_calls: Callable[[], list[str]]
) -> None:
    """The tags at HEAD are read from .git: an untagged build starts no git at all, a tag
    build one ``git status``."""
    with_hook, without_hook = make_project(), make_project(hook=False)
    git_calls()  # forget the calls that made the projects

    build(without_hook)
    baseline = git_calls()
    build(with_hook)
    assert git_calls() == baseline

    with_hook.tag("v1.2.0")
    git_calls()
    build(with_hook)
    added = [call for call in git_calls() if call not in baseline]
    assert added == ["status --porcelain -z --untracked-files=no -- ."]


def test_git_answers_never_call_a_tree_clean_without_asking(make_project: MakeProject) -> None:
    """No tag when the hook's answers were made, so no ``git status`` was started: should a
    release tag count after all, the dirty files are asked for then, not taken as none."""
    from releasekit.hatch_plugin.build_hook import _GitAnswers

    project = make_project()
    answers = _GitAnswers(project.path)
    assert answers.tags == [] and answers.dirty is None
    pyproject = project.path / "pyproject.toml"
    project.write("pyproject.toml", pyproject.read_text() + "# changed after the answers\n")
    assert answers.dirty_files() == ["pyproject.toml"]


def test_importing_the_plugin_stays_light() -> None:
    heavy = ("nox", "urllib.request", "http.client", "tomlkit")
    code = (
        "import sys, json, releasekit.hatch_plugin; "
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    proc = run(sys.executable, "-c", code)
    assert json.loads(proc.stdout) == []


def test_hook_module_imports_nothing_heavy() -> None:
    """The hook is imported in every build of every user project: no nox, no network
    client, no difflib, no tomlkit on that path (a structural check; benchmarks/bench_hook.py
    measures the time)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import releasekit.hatch_plugin.build_hook"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "releasekit.hatch_plugin.build_hook" in imported
    heavy = {"nox", "urllib.request", "http.client", "difflib", "tomlkit"}
    assert not heavy & imported, sorted(heavy & imported)

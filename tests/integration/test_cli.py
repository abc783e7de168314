"""The ``releasekit`` command on real projects in real git repositories.

In-process through :func:`releasekit.cli.main` (fast, output through capsys), and once as
``python -m releasekit`` to prove the entry point works. Every expected failure must be one
``releasekit: ...`` line naming the bad value, a ``hint:`` line, exit status 1 and no
traceback, and must leave every file as it was.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from releasekit.cli import main
from tests.helpers.projects import Project, run

MakeProject = Callable[..., Project]

ALL_FILES = """\
[tool.releasekit]
version-files = ["pyproject.toml", "src/demo/__init__.py", "package.json"]
"""


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli(capsys: pytest.CaptureFixture[str], project: Project, *args: str) -> Result:
    code = main(["-C", str(project.path), *args])
    out, err = capsys.readouterr()
    return Result(code, out, err)


def assert_failure(result: Result, *named: str) -> None:
    """Exit 1, one message line naming every value in ``named``, a hint, no traceback."""
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    lines = result.err.splitlines()
    assert lines, result
    assert lines[0].startswith("releasekit: "), lines
    for value in named:
        assert value in lines[0], (value, lines[0])
    assert any(line.strip().startswith("hint: ") for line in lines[1:]), lines


def all_files_project(make_project: MakeProject, **kwargs: object) -> Project:
    """pyproject.toml, src/demo/__init__.py and package.json, all at 1.2.0, committed."""
    project = make_project(releasekit_table=ALL_FILES, **kwargs)
    write_package_json(project, "1.2.0")
    project.commit("package.json")
    return project


def write_package_json(project: Project, version: str | None) -> None:
    doc: dict[str, str] = {"name": "demo"}
    if version is not None:
        doc["version"] = version
    project.write("package.json", json.dumps(doc, indent=2) + "\n")


def read_versions(project: Project) -> tuple[str, str, str]:
    """The raw version in pyproject.toml, __init__.py and package.json."""
    pyproject = (project.path / "pyproject.toml").read_text()
    init = (project.path / "src/demo/__init__.py").read_text()
    package = json.loads((project.path / "package.json").read_text())
    return (
        pyproject.split('\nversion = "', 1)[1].split('"', 1)[0],
        init.split('__version__ = "', 1)[1].split('"', 1)[0],
        package["version"],
    )


def status(project: Project) -> str:
    return project.git("status", "--porcelain")


# -- releasekit version -----------------------------------------------------------------------


def test_version_before_the_tag_exists(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = all_files_project(make_project)

    result = cli(capsys, project, "version")

    assert result.code == 0, result
    assert result.err == ""
    assert result.out.splitlines() == [
        "demo 1.2.0",
        "  channel: final",
        "  tag:     v1.2.0 (not created yet)",
        "  file:    pyproject.toml = 1.2.0",
        "  file:    src/demo/__init__.py = 1.2.0",
        "  file:    package.json = 1.2.0",
    ]


def test_version_with_a_matching_tag_at_head(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(version="1.3.0rc1")
    project.tag("v1.3.0-rc.1")

    result = cli(capsys, project, "version")

    assert result.code == 0, result
    assert "demo 1.3.0rc1" in result.out
    assert "  channel: pre-release" in result.out
    assert "  tag:     v1.3.0-rc.1 (from git tag at HEAD) matches" in result.out


def test_version_with_a_tag_prefix_and_a_dynamic_version(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        version_source="vcs", releasekit_table='[tool.releasekit]\ntag-prefix = "api-v"\n'
    )
    project.tag("api-v2.0.0")

    result = cli(capsys, project, "version")

    assert result.code == 0, result
    assert result.out.splitlines() == [
        "demo 2.0.0",
        "  channel: final",
        "  tag:     api-v2.0.0 (from git tag at HEAD) matches",
        "  source:  the build backend (hatchling)",
    ]
    assert "computing the version with the project's build backend" in result.err

    again = cli(capsys, project, "version")  # the same commit: read from the cache
    assert again.out.splitlines()[-1] == "  source:  the build backend (hatchling) (cached)"
    assert again.err == ""


def test_version_with_a_disagreeing_file(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = all_files_project(make_project)
    project.write("src/demo/__init__.py", '__version__ = "1.1.0"\n')

    result = cli(capsys, project, "version")

    assert_failure(result, "src/demo/__init__.py has 1.1.0")
    assert "  file:    src/demo/__init__.py = 1.1.0" in result.out
    assert "releasekit bump 1.2.0" in result.err


def test_version_with_a_disagreeing_tag(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    project.tag("v1.3.0")

    result = cli(capsys, project, "version")

    assert "  tag:     v1.3.0 (from git tag at HEAD) is 1.3.0: DISAGREES, expected v1.2.0" in (
        result.out
    )
    assert_failure(result, "v1.3.0", "1.2.0")


def test_python_m_releasekit(make_project: MakeProject) -> None:
    project = make_project()
    project.tag("v1.2.0")

    shown = run(sys.executable, "-m", "releasekit", "-C", project.path, "version")
    assert "demo 1.2.0" in shown.stdout
    assert "v1.2.0 (from git tag at HEAD) matches" in shown.stdout

    refused = run(
        sys.executable, "-m", "releasekit", "-C", project.path, "bump", "1.1.0", check=False
    )
    assert refused.returncode == 1
    assert "releasekit: bump 1.1.0 would move 1.2.0 back to 1.1.0" in refused.stdout
    assert "Traceback" not in refused.stdout


# -- releasekit bump --------------------------------------------------------------------------


def test_bump_minor_writes_every_file(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = all_files_project(make_project)

    result = cli(capsys, project, "bump", "minor")

    assert result.code == 0, result
    assert result.out.splitlines() == [
        "1.2.0 -> 1.3.0",
        "  wrote pyproject.toml",
        "  wrote src/demo/__init__.py",
        "  wrote package.json",
        "  next: commit, then `git tag v1.3.0`",
    ]
    assert read_versions(project) == ("1.3.0", "1.3.0", "1.3.0")
    # each file changed by its version line and nothing else
    assert sorted(project.git("diff", "--numstat").splitlines()) == [
        "1\t1\tpackage.json",
        "1\t1\tpyproject.toml",
        "1\t1\tsrc/demo/__init__.py",
    ]


def test_bump_to_a_release_candidate_uses_semver_in_package_json(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = all_files_project(make_project)

    result = cli(capsys, project, "bump", "minor,rc")

    assert result.code == 0, result
    assert read_versions(project) == ("1.3.0rc1", "1.3.0rc1", "1.3.0-rc.1")
    assert "  next: commit, then `git tag v1.3.0rc1`" in result.out


def test_bump_prints_the_tag_with_the_projects_prefix(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(releasekit_table='[tool.releasekit]\ntag-prefix = "api-v"\n')

    result = cli(capsys, project, "bump", "patch")

    assert result.code == 0, result
    assert "  next: commit, then `git tag api-v1.2.1`" in result.out


def test_bump_backwards_is_refused_and_changes_nothing(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = all_files_project(make_project)

    result = cli(capsys, project, "bump", "1.1.0")

    assert_failure(result, "1.1.0", "1.2.0")
    assert result.err.splitlines() == [
        "releasekit: bump 1.1.0 would move 1.2.0 back to 1.1.0",
        "  hint: give a version later than 1.2.0, or pass --force",
    ]
    assert result.out == ""
    assert status(project) == ""


def test_bump_dry_run_changes_nothing(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = all_files_project(make_project)

    result = cli(capsys, project, "bump", "--dry-run", "major")

    assert result.code == 0, result
    assert result.out.strip() == "1.2.0 -> 2.0.0 (dry run: nothing written)"
    assert status(project) == ""


def test_bump_to_the_current_version_brings_the_other_files_in_line(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = all_files_project(make_project)
    project.write("src/demo/__init__.py", '__version__ = "1.1.0"\n')
    write_package_json(project, "1.0.0-rc.1")

    result = cli(capsys, project, "bump", "1.2.0")

    assert result.code == 0, result
    assert result.out.splitlines()[0] == "1.2.0 -> 1.2.0"
    assert read_versions(project) == ("1.2.0", "1.2.0", "1.2.0")
    assert cli(capsys, project, "version").code == 0


# -- every error: one line naming the value, a hint, exit 1, nothing changed -----------------


@dataclass
class ErrorCase:
    setup: Callable[[MakeProject, pytest.MonkeyPatch], Project]
    commands: tuple[tuple[str, ...], ...]
    named: tuple[str, ...]
    hint: str = ""


def _malformed_env_tag(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.2.x")
    return make_project()


def _wrong_prefix(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("RELEASEKIT_TAG", "web-v1.2.0")
    return make_project(releasekit_table='[tool.releasekit]\ntag-prefix = "api-v"\n')


def _not_pep440_in_a_file(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    project = all_files_project(make_project)
    project.write("src/demo/__init__.py", '__version__ = "1.2.banana"\n')
    project.commit("bad version")
    return project


def _not_pep440_in_pyproject(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    return make_project(version="1.2.banana")


def _missing_file(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    return make_project(
        releasekit_table='[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo/_v.py"]\n'
    )


def _regex_without_group(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    project = make_project(
        releasekit_table=(
            "[tool.releasekit]\nversion-files = "
            """["pyproject.toml", { path = "VERSION.txt", pattern = 'release: ([0-9.]+)' }]\n"""
        )
    )
    project.write("VERSION.txt", "release: 1.2.0\n")
    project.commit("VERSION.txt")
    return project


def _package_json_without_version(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> Project:
    project = all_files_project(make_project)
    write_package_json(project, None)
    project.commit("no version")
    return project


def _unknown_key(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    return make_project(releasekit_table='[tool.releasekit]\nversion-file = ["pyproject.toml"]\n')


def _two_tags(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    project = make_project()
    project.tag("v1.2.0")
    project.tag("v1.3.0", annotated=True)
    return project


def _plain(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    return all_files_project(make_project)


def _dynamic_version(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Project:
    project = make_project(version_source="vcs")
    project.tag("v1.2.0")
    return project


VERSION, BUMP = ("version",), ("bump", "patch")
ERROR_CASES = {
    "malformed RELEASEKIT_TAG": ErrorCase(_malformed_env_tag, (VERSION,), ("'v1.2.x'",)),
    "tag with the wrong prefix": ErrorCase(_wrong_prefix, (VERSION,), ("'web-v1.2.0'", "'api-v'")),
    "non-PEP 440 version in a file": ErrorCase(
        _not_pep440_in_a_file, (VERSION, BUMP), ("src/demo/__init__.py", "'1.2.banana'")
    ),
    "non-PEP 440 [project].version": ErrorCase(
        _not_pep440_in_pyproject, (VERSION, BUMP), ("pyproject.toml", "'1.2.banana'")
    ),
    "version file missing": ErrorCase(
        _missing_file, (VERSION, BUMP), ("src/demo/_v.py", "does not exist")
    ),
    "regex without a version group": ErrorCase(
        _regex_without_group, (VERSION, BUMP), ("'release: ([0-9.]+)'", "VERSION.txt", "version")
    ),
    "package.json without version": ErrorCase(
        _package_json_without_version, (VERSION, BUMP), ("package.json", '"version"')
    ),
    "unknown config key": ErrorCase(
        _unknown_key, (VERSION, BUMP), ("'version-file'",), "did you mean 'version-files'?"
    ),
    "two release tags on HEAD": ErrorCase(_two_tags, (VERSION,), ("v1.2.0", "v1.3.0")),
    "bump backwards": ErrorCase(_plain, (("bump", "1.1.0"),), ("1.1.0", "1.2.0")),
    "bump backwards by part": ErrorCase(
        _plain, (("bump", "rc"),), ("rc", "1.2.0", "1.2.0rc1"), "minor,rc"
    ),
    "unknown bump part": ErrorCase(_plain, (("bump", "minr"),), ("'minr'",)),
    # pyproject.toml comes first and could take 1.3: proves nothing is written unless all can
    "version package.json cannot spell": ErrorCase(
        _plain, (("bump", "1.3"),), ("package.json", "1.3", "1.3.0")
    ),
    "bump of a dynamic version": ErrorCase(
        _dynamic_version, (("bump", "minor"),), ("dynamic", "version-files"), "git tag"
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES.values()), ids=list(ERROR_CASES))
def test_every_error_is_one_line_with_a_hint(
    case: ErrorCase,
    make_project: MakeProject,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = case.setup(make_project, monkeypatch)
    assert status(project) == ""
    for command in case.commands:
        result = cli(capsys, project, *command)
        assert_failure(result, *case.named)
        assert case.hint in result.err
        assert status(project) == "", command


def test_version_into_a_closed_pipe_has_no_traceback(make_project: MakeProject) -> None:
    """`releasekit version | head -1`: here `| true`, which closes the pipe before the first
    line is written, every time."""
    project = make_project()
    proc = subprocess.run(
        f"{sys.executable} -m releasekit -C {project.path} version | true",
        shell=True, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.stderr == ""


# --- yank at a workspace root (the parts that need no registry; npm itself: test_yank_npm) ---


def _workspace(tmp_path: Path, *, python: bool = True) -> Project:
    """releasekit.toml with an npm member at 1.2.0 (and a Python member at 1.2.0), tagged."""
    project = Project(tmp_path / "ws", "ws")
    members = '"packages/core"' + (
        ', { path = "packages/python", tag-prefix = "py-v" }' if python else ""
    )
    project.write("releasekit.toml", f"members = [{members}]\n")
    project.write("packages/core/package.json", '{"name": "@demo/core", "version": "1.2.0"}\n')
    if python:
        project.write(
            "packages/python/pyproject.toml", '[project]\nname = "demo-py"\nversion = "1.2.0"\n'
        )
    return project


@pytest.fixture
def no_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NODE_AUTH_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "RELEASEKIT_TAG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_tokens")
def test_yank_in_a_workspace_without_node_auth_token_says_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _workspace(tmp_path)
    result = cli(capsys, project, "yank", "1.2.0", "--reason", "broken")
    assert result.code == 0, result  # the Python member's pages are something done
    assert result.out.splitlines() == [
        'yanking 1.2.0 of packages/core, packages/python with the reason "broken": nothing is '
        "deleted; installs that pin it still work",
        "packages/core: @demo/core@1.2.0 on https://registry.npmjs.org/",
        "  npm: set NODE_AUTH_TOKEN (a token allowed to publish @demo/core) to deprecate "
        '@demo/core@1.2.0, or run `npm deprecate @demo/core@1.2.0 "<reason>"` logged in to the '
        "registry",
        "packages/python: demo-py 1.2.0",
        "  test: open https://test.pypi.org/manage/project/demo-py/release/1.2.0/ and choose "
        "Options > Yank (a yanked release is skipped by installers unless pinned exactly)",
        "  prod: open https://pypi.org/manage/project/demo-py/release/1.2.0/ and choose "
        "Options > Yank (a yanked release is skipped by installers unless pinned exactly)",
        "  github: no GitHub release for this member (github-release is off)",
    ]
    # the npm member alone: nothing could be done
    result = cli(capsys, project, "yank", "1.2.0", "--reason", "broken", "--only", "packages/core")
    assert_failure(result, "nothing was yanked", "NODE_AUTH_TOKEN", "packages/core")
    assert "packages/python" not in result.out


@pytest.mark.usefixtures("no_tokens")
def test_yank_in_a_workspace_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _workspace(tmp_path, python=False)
    result = cli(capsys, project, "yank", "1.2.0")
    assert_failure(result, "npm deprecate needs a reason", "packages/core")
    assert result.out == ""
    result = cli(capsys, project, "yank", "9.9.9", "--reason", "x")
    assert_failure(result, "no member of the workspace in releasekit.toml is at 9.9.9")
    assert "members: packages/core" in result.err
    result = cli(capsys, project, "yank", "1.2.0", "--reason", "x", "--only", "nope")
    assert_failure(result, "--only nope: not a member of the workspace")
    result = cli(capsys, project, "yank", "not-a-version", "--reason", "x")
    assert_failure(result, "not-a-version")


@pytest.mark.usefixtures("no_tokens")
def test_yank_only_is_for_a_workspace(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    result = cli(capsys, project, "yank", "1.2.0", "--only", "packages/core")
    assert_failure(result, "--only selects members of a workspace")


@pytest.mark.usefixtures("no_tokens")
def test_yank_in_an_npm_member_points_to_the_workspace_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _workspace(tmp_path, python=False)
    member = Project(project.path / "packages/core", "core")
    result = cli(capsys, member, "yank", "1.2.0", "--reason", "x")
    assert_failure(result, "core is an npm package")
    assert "--only PATH` at the workspace's root" in result.err

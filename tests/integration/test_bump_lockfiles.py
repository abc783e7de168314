"""Lockfiles follow a bump (issue 19, item 7), against the tools that own them.

Real git, real ``releasekit bump``; each lockfile is first written by its own tool (uv, npm,
pnpm), and after the bump compared byte for byte with what that tool writes after the same
bump; ``uv lock --check`` and ``pnpm install --frozen-lockfile`` accept it. Every tool runs
offline with a cache of its own: the projects have no third-party dependencies, so nothing
is fetched, and the bump itself never runs the tools.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from releasekit.cli import main
from releasekit.project.lockfiles import update_lockfiles
from tests.helpers.package_managers import path_with
from tests.helpers.projects import Project, run, write_project

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")

UV_MEMBER = """\
[project]
name = "demo_core"
version = "0.4.0"
requires-python = ">=3.9"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
UV_WORKSPACE = """
[tool.uv.workspace]
members = ["packages/core"]

[tool.uv.sources]
demo-core = { workspace = true }
"""


def uv_env(tmp_path: Path) -> dict[str, str]:
    """uv with no user configuration, no downloads, no network, a cache of this test's."""
    return {
        "UV_NO_CONFIG": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_OFFLINE": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
    }


def cli(capsys: pytest.CaptureFixture[str], project: Project, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(project.path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def uv_project(tmp_path: Path, files: str = '"pyproject.toml"') -> Project:
    """A uv workspace: the project (1.2.0, editable) and a member it depends on (0.4.0,
    editable, dynamic version nowhere), locked by uv and committed."""
    project = write_project(
        tmp_path / "demo",
        extra_pyproject=UV_WORKSPACE,
        releasekit_table=f"[tool.releasekit]\nversion-files = [{files}]\n",
        git=False,
    )
    text = (project.path / "pyproject.toml").read_text(encoding="utf-8")
    text = text.replace('requires-python = ">=3.9"', 'requires-python = ">=3.9"\n'
                        'dependencies = ["demo-core"]')  # fmt: skip
    project.write("pyproject.toml", text)
    project.write("packages/core/pyproject.toml", UV_MEMBER)
    project.write("packages/core/src/demo_core/__init__.py", "")
    run("uv", "lock", cwd=project.path, env=uv_env(tmp_path))
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    return project


def test_bump_minor_in_a_uv_project_leaves_uv_lock_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = uv_project(tmp_path)
    lock = project.path / "uv.lock"
    assert 'name = "demo"\nversion = "1.2.0"\nsource = { editable = "." }' in lock.read_text()

    code, out, err = cli(capsys, project, "bump", "minor", "--commit")

    assert code == 0, err
    assert "  wrote uv.lock\n" in out, out
    assert "committed" in out and "uv.lock" in out.split("committed")[1], out
    assert project.git("status", "--porcelain") == ""  # the lockfile is in the commit
    assert "uv.lock" in project.git("show", "--name-only", "--format=", "HEAD").splitlines()
    run("uv", "lock", "--check", cwd=project.path, env=uv_env(tmp_path / "fresh"))
    ours = lock.read_bytes()
    run("uv", "lock", cwd=project.path, env=uv_env(tmp_path))
    assert lock.read_bytes() == ours  # what uv itself writes after the same bump
    assert ours.count(b'version = "1.3.0"') == 1  # the member keeps its own version


def test_a_failed_tag_puts_uv_lock_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = uv_project(tmp_path)
    before = (project.path / "uv.lock").read_bytes()
    project.git("config", "tag.gpgSign", "true")
    project.git("config", "gpg.program", "false")  # signing fails: git tag fails

    code, out, err = cli(capsys, project, "bump", "minor", "--tag")

    assert code == 1
    assert "  wrote uv.lock\n" in out
    assert "rolled back: the release commit " in err, err
    assert (project.path / "uv.lock").read_bytes() == before
    assert project.git("status", "--porcelain") == ""


def test_dry_run_and_an_unreadable_uv_lock_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = uv_project(tmp_path)
    lock = project.path / "uv.lock"
    code, out, _ = cli(capsys, project, "bump", "minor", "--dry-run")
    assert code == 0 and "nothing written" in out
    assert project.git("status", "--porcelain") == ""

    text = lock.read_text(encoding="utf-8")
    lock.write_text("<<<<<<< HEAD\n" + text, encoding="utf-8")  # a merge left in it
    pyproject = (project.path / "pyproject.toml").read_bytes()

    code, out, err = cli(capsys, project, "bump", "minor")

    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("releasekit: lockfile uv.lock is not valid TOML ("), err
    assert lines[0].endswith("; nothing was written"), err
    assert lines[1] == (
        "  hint: fix it (a merge conflict left in it?) or write it again with `uv lock`, "
        "then bump again"
    ), err
    assert "Traceback" not in err and out == ""
    assert (project.path / "pyproject.toml").read_bytes() == pyproject


def test_a_python_project_with_an_npm_package_keeps_package_lock_json_in_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Jupyter-extension shape: package.json is a version file of the Python project; its
    package-lock.json follows, in package.json's spelling of a pre-release."""
    project = write_project(
        tmp_path / "ext",
        releasekit_table='[tool.releasekit]\nversion-files = ["pyproject.toml", "package.json"]\n',
        git=False,
    )
    manifest = {"name": "@demo/labextension", "version": "1.2.0", "private": True}
    project.write("package.json", json.dumps(manifest, indent=2) + "\n")
    npm = ["npm", "install", "--package-lock-only", "--ignore-scripts", "--offline"]
    npm_env = {"npm_config_cache": str(tmp_path / "npm-cache")}
    run(*npm, cwd=project.path, env=npm_env)
    project.git("init", "-q", "-b", "main")
    project.commit("initial")

    code, out, err = cli(capsys, project, "bump", "1.3.0rc1", "--commit")

    assert code == 0, err
    assert "  wrote package-lock.json\n" in out, out
    lock = json.loads((project.path / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["version"] == lock["packages"][""]["version"] == "1.3.0-rc.1"
    ours = (project.path / "package-lock.json").read_bytes()
    run(*npm, cwd=project.path, env=npm_env)
    assert (project.path / "package-lock.json").read_bytes() == ours
    assert project.git("status", "--porcelain") == ""


def write_json(path: Path, data: object, indent: int = 2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=indent) + "\n", encoding="utf-8")


def npm_workspace(root: Path, core_range: str) -> None:
    """A root package and two members, ``@demo/app`` depending on ``@demo/core``."""
    write_json(
        root / "package.json",
        {"name": "demo-root", "version": "2.0.0", "private": True, "workspaces": ["packages/*"]},
    )
    write_json(root / "packages/core/package.json", {"name": "@demo/core", "version": "1.0.0"})
    write_json(
        root / "packages/app/package.json",
        {"name": "@demo/app", "version": "0.5.0", "dependencies": {"@demo/core": core_range}},
    )


def bump_npm_workspace(root: Path, core_range: str) -> None:
    """What an intent bump writes: each member's version, the dependent's range."""
    for rel, version in (("", "2.1.0"), ("packages/core", "1.1.0"), ("packages/app", "0.5.1")):
        file = root / rel / "package.json"
        data = json.loads(file.read_text(encoding="utf-8"))
        data["version"] = version
        if "dependencies" in data:
            data["dependencies"]["@demo/core"] = core_range
        write_json(file, data)


VERSIONS = {"demo-root": "2.1.0", "@demo/core": "1.1.0", "@demo/app": "0.5.1"}


@pytest.mark.parametrize("lockfile_version", ["2", "3"])
def test_package_lock_json_of_a_workspace_as_npm_writes_it(
    tmp_path: Path, lockfile_version: str
) -> None:
    root = tmp_path / "mono"
    npm_workspace(root, "^1.0.0")
    npm = ["npm", "install", "--package-lock-only", "--ignore-scripts", "--offline",
           f"--lockfile-version={lockfile_version}"]  # fmt: skip
    npm_env = {"npm_config_cache": str(tmp_path / "npm-cache")}
    run(*npm, cwd=root, env=npm_env)
    before = (root / "package-lock.json").read_bytes()
    bump_npm_workspace(root, "^1.1.0")

    assert update_lockfiles(root, VERSIONS) == [root / "package-lock.json"]

    ours = (root / "package-lock.json").read_bytes()
    assert ours != before
    run(*npm, cwd=root, env=npm_env)
    assert (root / "package-lock.json").read_bytes() == ours
    run("npm", "ci", "--ignore-scripts", "--offline", "--dry-run", cwd=root, env=npm_env)


def test_pnpm_lock_yaml_specifiers_follow_the_ranges(tmp_path: Path) -> None:
    """pnpm records no version of a member, only each importer's specifier: a range the
    bump rewrote is written as pnpm writes it; ``workspace:^`` is left alone."""
    root = tmp_path / "mono"
    npm_workspace(root, "workspace:^1.0.0")
    (root / "pnpm-workspace.yaml").write_text('packages:\n  - "packages/*"\n', encoding="utf-8")
    env = {"PATH": path_with("pnpm"), "npm_config_store_dir": str(tmp_path / "pnpm-store")}
    pnpm = ["pnpm", "install", "--lockfile-only", "--ignore-scripts", "--offline"]
    run(*pnpm, cwd=root, env=env)
    lock = root / "pnpm-lock.yaml"
    assert "specifier: workspace:^1.0.0" in lock.read_text(encoding="utf-8")
    bump_npm_workspace(root, "workspace:>=1.1.0")

    assert update_lockfiles(root, VERSIONS) == [lock]

    ours = lock.read_bytes()
    assert b"specifier: workspace:>=1.1.0\n" in ours
    run(*pnpm, cwd=root, env=env)
    assert lock.read_bytes() == ours
    run("pnpm", "install", "--frozen-lockfile", "--lockfile-only", "--offline", cwd=root, env=env)


def test_a_bump_run_in_the_project_commits_each_file_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without -C the root is ".": the files written were each named twice in the commit
    line (an absolute path and its relative twin, taken for a symlink's target)."""
    project = uv_project(tmp_path)
    monkeypatch.chdir(project.path)

    code = main(["bump", "minor", "--commit"])

    out = capsys.readouterr().out
    assert code == 0
    head = project.git("rev-parse", "HEAD")[:12]
    assert f"  committed {head}: pyproject.toml, uv.lock\n" in out, out


def test_a_member_whose_pyproject_is_a_version_file_follows_in_uv_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pydantic/logfire's shape: the root project and its uv workspace member logfire-api
    share one version, both pyproject.toml files are version files."""
    project = uv_project(tmp_path, '"pyproject.toml", "packages/core/pyproject.toml"')
    project.write("packages/core/pyproject.toml", UV_MEMBER.replace("0.4.0", "1.2.0"))
    run("uv", "lock", cwd=project.path, env=uv_env(tmp_path))
    project.commit("one version")

    code, out, err = cli(capsys, project, "bump", "minor", "--commit")

    assert code == 0, err
    assert "  wrote packages/core/pyproject.toml\n  wrote uv.lock\n" in out, out
    lock = project.path / "uv.lock"
    assert lock.read_text(encoding="utf-8").count('version = "1.3.0"') == 2
    run("uv", "lock", "--check", cwd=project.path, env=uv_env(tmp_path / "fresh"))
    assert project.git("status", "--porcelain") == ""

"""pnpm and yarn workspaces: packed by their own tool, leftovers refused, smoke modes.

A real pnpm workspace (root package.json with ``packageManager``, ``pnpm-workspace.yaml``,
a lockfile) in a real git repository: ``packages/app`` depends on ``packages/core`` with
``workspace:^``; ``packages/widget`` is an AMD bundle for the browser. Real pnpm and yarn
(installed once into the test cache), real npm installs, a real verdaccio for the dry run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from releasekit.cli.init import template_text
from releasekit.engine.manifest import Manifest
from releasekit.errors import BuildError, SmokeError
from releasekit.kinds.npm import member as npm_member
from releasekit.kinds.npm.pack import integrity_of
from releasekit.project.workspace import Member, find_workspace
from releasekit.rehearsal.verdaccio import LocalRegistry
from tests.helpers.npm import verdaccio_cache, write_cjs
from tests.helpers.package_managers import (
    PNPM_9,
    PNPM_VERSION,
    YARN_VERSION,
    path_with,
    tool_bin,
)
from tests.helpers.projects import Project, run
from tests.helpers.sessions import CHANGELOG

pytestmark = [
    pytest.mark.slow,
    # one worker runs the module: each worker would start its own module-scoped server
    pytest.mark.xdist_group("npm_pnpm"),
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed for npm members (install Node.js >= 18)",
    ),
]

AMD_BUNDLE = "define([], function () { return { answer: 42 }; });\n"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    storage = tmp_path_factory.mktemp("npm-storage")
    with LocalRegistry(verdaccio_cache(), storage) as server:
        yield server


@pytest.fixture
def tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """pnpm and yarn on PATH; their stores and caches in the test cache, not the home."""
    monkeypatch.setenv("PATH", path_with("pnpm", "yarn"))
    home = verdaccio_cache() / "package-manager-home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("YARN_GLOBAL_FOLDER", str(home / "yarn"))
    monkeypatch.setenv("YARN_ENABLE_TELEMETRY", "0")


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def js_workspace(
    root: Path,
    *,
    manager: str | None = f"pnpm@{PNPM_VERSION}",
    third_party: dict[str, str] | None = None,
    before_commit: Callable[[Project], None] = lambda _: None,
) -> Project:
    """core, app (``workspace:^`` on core, and ``third_party``) and widget (an AMD bundle),
    committed.

    ``manager`` None: the same tree with neither packageManager nor pnpm's files.
    """
    root_manifest: dict[str, object] = {"name": "pw-root", "private": True}
    if manager is not None:
        root_manifest["packageManager"] = manager
    if manager is not None and manager.startswith("yarn"):
        root_manifest["workspaces"] = ["packages/*"]
    write_json(root / "package.json", root_manifest)
    write_cjs(root / "packages" / "core", "pw-core", "1.0.0")
    app = write_cjs(root / "packages" / "app", "pw-app", "1.0.0")
    manifest = json.loads((app / "package.json").read_text())
    manifest["dependencies"] = {"pw-core": "workspace:^", **(third_party or {})}
    write_json(app / "package.json", manifest)
    (app / "lib" / "index.js").write_text("module.exports = require('pw-core');\n")
    widget = write_cjs(root / "packages" / "widget", "pw-widget", "1.0.0")
    (widget / "lib" / "index.js").write_text(AMD_BUNDLE)
    is_pnpm = manager is not None and manager.startswith("pnpm")
    prepare = ', prepare-commands = ["pnpm install --frozen-lockfile"]' if is_pnpm else ""
    (root / "releasekit.toml").write_text(
        'members = ["packages/core",\n'
        f'  {{ path = "packages/app"{prepare} }},\n'
        '  { path = "packages/widget", smoke = "install" }]\n',
        encoding="utf-8",
    )
    (root / ".gitignore").write_text("node_modules/\nreleasekit-dist/\n", encoding="utf-8")
    if is_pnpm:
        catalog = "catalog:\n  is-number: ^7.0.0\n"  # what a "catalog:" range stands for
        (root / "pnpm-workspace.yaml").write_text(f'packages:\n  - "packages/*"\n{catalog}')
        run("pnpm", "install", cwd=root)  # writes pnpm-lock.yaml, committed as a user would
    project = Project(root, "pw")
    before_commit(project)
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    return project


def member_of(root: Path, rel: str) -> Member:
    workspace = find_workspace(root)
    assert workspace is not None
    return next(m for m in workspace.members if m.rel == rel)


def tarball_manifest(path: Path) -> dict[str, object]:
    with tarfile.open(path, "r:gz") as tar:
        handle = tar.extractfile("package/package.json")
        assert handle is not None
        data = json.loads(handle.read())
    assert isinstance(data, dict)
    return data


def build(root: Path, rel: str, registry: LocalRegistry, log: list[str]) -> Manifest:
    member = member_of(root, rel)
    return npm_member.build(
        member, member.path / "releasekit-dist", tag=None, registry_url=registry.url,
        log=log.append,
    )  # fmt: skip


@pytest.mark.parametrize("version", [PNPM_VERSION, PNPM_9])
def test_pnpm_packs_a_workspace_member_and_rewrites_its_workspace_range(
    tmp_path: Path,
    registry: LocalRegistry,
    tools: None,
    version: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", f"{tool_bin('pnpm', version)}{os.pathsep}{os.environ['PATH']}")
    project = js_workspace(tmp_path / "repo", manager=f"pnpm@{version}")
    log: list[str] = []
    core = build(project.path, "packages/core", registry, log)
    app = build(project.path, "packages/app", registry, log)

    out = project.path / "packages" / "app" / "releasekit-dist"
    (tarball,) = app.files
    assert tarball.filename == "pw-app-1.0.0.tgz"
    assert tarball_manifest(out / tarball.filename)["dependencies"] == {"pw-core": "^1.0.0"}
    assert (tarball.sha256, tarball.integrity) == integrity_of(out / tarball.filename)
    assert app.commit == project.git("rev-parse", "HEAD").strip()
    assert f"packing with pnpm {version}: pnpm@{version} (from " in "\n".join(log)
    # the tarball installs beside core's, as a user's install from the registry would
    core_tarball = project.path / "packages" / "core" / "releasekit-dist" / core.files[0].filename
    npm_member.smoke(app, out, beside=[core_tarball], log=log.append)
    assert "installed pw-app-1.0.0.tgz and loaded it (require)" in log[-1]


def test_the_same_tree_packed_by_npm_is_refused_at_build_naming_the_dependency(
    tmp_path: Path, registry: LocalRegistry
) -> None:
    project = js_workspace(tmp_path / "repo", manager=None)
    with pytest.raises(BuildError) as caught:
        build(project.path, "packages/app", registry, [])
    assert str(caught.value.message) == (
        "pw-app-1.0.0.tgz would publish dependencies pw-core: 'workspace:^', which no user "
        "can install"
    )
    assert "npm pack copies workspace: ranges as written" in caught.value.hint
    assert '"packageManager": "pnpm@<version>"' in caught.value.hint
    assert not list((project.path / "packages" / "app" / "releasekit-dist").glob("*.json"))


def test_pnpm_without_an_install_says_so_with_the_prepare_command(
    tmp_path: Path, registry: LocalRegistry, tools: None
) -> None:
    project = js_workspace(tmp_path / "repo")
    toml = project.path / "releasekit.toml"
    toml.write_text(toml.read_text().replace('"pnpm install --frozen-lockfile"', '"true"'))
    project.commit("no install")
    with pytest.raises(BuildError) as caught:
        build(project.path, "packages/app", registry, [])
    assert caught.value.message.endswith(
        "failed: ERR_PNPM_CANNOT_RESOLVE_WORKSPACE_PROTOCOL Cannot resolve workspace protocol "
        'of dependency "pw-core" because this dependency is not installed. Try running '
        '"pnpm install".'
    )
    assert '"pnpm install --frozen-lockfile" to the member\'s prepare-commands' in (
        caught.value.hint
    )


def test_a_missing_pnpm_is_named_with_the_install_hint(
    tmp_path: Path, registry: LocalRegistry, tools: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = js_workspace(tmp_path / "repo")
    node_dir = str(Path(shutil.which("node") or "node").parent)
    monkeypatch.setenv("PATH", f"{node_dir}:/usr/bin:/bin")
    with pytest.raises(BuildError) as caught:
        build(project.path, "packages/core", registry, [])
    assert caught.value.message == "pnpm --version failed: pnpm not found"
    assert caught.value.hint == (
        f"pnpm@{PNPM_VERSION} (from package.json packageManager) packs this "
        f"member: install pnpm {PNPM_VERSION} on PATH (npm install -g pnpm@{PNPM_VERSION})"
    )


def test_a_pnpm_of_another_major_than_declared_is_refused(
    tmp_path: Path, registry: LocalRegistry, tools: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = js_workspace(tmp_path / "repo")  # declares pnpm 10
    monkeypatch.setenv("PATH", f"{tool_bin('pnpm', PNPM_9)}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(BuildError) as caught:
        build(project.path, "packages/core", registry, [])
    assert caught.value.message == (
        f"pnpm@{PNPM_VERSION} (from package.json packageManager) packs this member, but pnpm "
        f"on PATH is {PNPM_9}"
    )
    assert caught.value.hint == (
        f"install pnpm {PNPM_VERSION} on PATH (npm install -g pnpm@{PNPM_VERSION})"
    )


def test_a_browser_bundle_passes_with_smoke_install_and_fails_quoting_the_error_on_import(
    tmp_path: Path, registry: LocalRegistry, tools: None
) -> None:
    project = js_workspace(tmp_path / "repo")
    widget = member_of(project.path, "packages/widget")
    assert widget.smoke == "install"
    log: list[str] = []
    manifest = build(project.path, "packages/widget", registry, log)
    out = widget.path / "releasekit-dist"

    npm_member.smoke(manifest, out, mode=widget.smoke, log=log.append)
    assert log[-1] == 'installed pw-widget-1.0.0.tgz (smoke = "install": not loaded)'

    with pytest.raises(SmokeError) as caught:
        npm_member.smoke(manifest, out, log=log.append)  # the default: load it in Node
    assert caught.value.message == (
        'require("pw-widget") of pw-widget@1.0.0 failed: ReferenceError: define is not defined'
    )
    assert 'set smoke = "install"' in caught.value.hint
    assert "Node.js v" not in caught.value.message

    commands = ("node -e \"require('fs').readFileSync(require.resolve('pw-widget'))\"",)
    npm_member.smoke(manifest, out, mode=commands, log=log.append)
    assert log[-1] == "installed pw-widget-1.0.0.tgz; smoke commands passed (1)"


def test_yarn_berry_packs_a_workspace_member_and_rewrites_its_workspace_range(
    tmp_path: Path, registry: LocalRegistry, tools: None
) -> None:
    project = js_workspace(tmp_path / "repo", manager=f"yarn@{YARN_VERSION}")
    log: list[str] = []
    app = build(project.path, "packages/app", registry, log)
    out = project.path / "packages" / "app" / "releasekit-dist"
    (tarball,) = app.files
    assert tarball.filename == "pw-app-1.0.0.tgz"
    assert tarball_manifest(out / tarball.filename)["dependencies"] == {"pw-core": "^1.0.0"}
    assert (tarball.sha256, tarball.integrity) == integrity_of(out / tarball.filename)
    assert f"packing with yarn {YARN_VERSION}" in "\n".join(log)


def share_verdaccio(root: Path) -> None:
    """The rehearsal installs verdaccio under .nox/releasekit; reuse the tests' install."""
    state = root / ".nox" / "releasekit" / "rehearsal"
    state.mkdir(parents=True, exist_ok=True)
    (verdaccio_cache() / "verdaccio").mkdir(parents=True, exist_ok=True)
    (state / "verdaccio").symlink_to(verdaccio_cache() / "verdaccio")


def test_a_pnpm_workspace_with_a_third_party_dependency_rehearses_end_to_end(
    tmp_path: Path, tools: None, build_env: dict[str, str]
) -> None:
    """``nox -s release -- --rehearse`` at the root: pnpm packs, the widget is installed
    only, app's ``is-number`` comes from the real registry through the rehearsal's
    verdaccio, app's ``workspace:^`` is published as ``^1.0.0`` and its ``catalog:`` as the
    catalog's ``^7.0.0``."""

    def release_files(project: Project) -> None:
        project.write("noxfile.py", template_text())
        for member in ("core", "app", "widget"):
            project.write(f"packages/{member}/CHANGELOG.md", CHANGELOG.format(version="1.0.0"))

    project = js_workspace(
        tmp_path / "repo", third_party={"is-number": "catalog:"}, before_commit=release_files
    )
    share_verdaccio(project.path)
    env = {**build_env, "PATH": os.environ["PATH"]}
    done = run(
        sys.executable, "-m", "nox", "--envdir", tmp_path / "nox-envs", "--no-color",
        "-s", "release", "--", "--rehearse",
        cwd=project.path, env=env, check=False,
    )  # fmt: skip
    out = done.stdout

    assert done.returncode == 0, out
    assert "released in order: packages/core, packages/app, packages/widget" in out
    assert f"packing with pnpm {PNPM_VERSION}" in out
    assert "published pw-app@1.0.0" in out
    assert "pw-app@1.0.0 installs from npm and loads" in out
    assert "pw-widget@1.0.0 installs from npm (smoke: install only)" in out
    app_dist = project.path / "packages" / "app" / "releasekit-dist"
    (tarball,) = Manifest.load(app_dist).files
    assert tarball_manifest(app_dist / tarball.filename)["dependencies"] == {
        "pw-core": "^1.0.0",
        "is-number": "^7.0.0",
    }
    assert "Traceback" not in out


def test_a_failed_prepare_command_quotes_what_its_script_threw(
    tmp_path: Path, registry: LocalRegistry
) -> None:
    project = js_workspace(tmp_path / "repo", manager=None)
    toml = project.path / "releasekit.toml"
    command = "node -e \\\"throw new TypeError('no bundler here')\\\""
    toml.write_text(
        toml.read_text().replace(
            '"packages/core"', f'{{ path = "packages/core", prepare-commands = ["{command}"] }}'
        )
    )
    project.commit("a build that throws")
    with pytest.raises(BuildError) as caught:
        build(project.path, "packages/core", registry, [])
    assert caught.value.message == (
        "prepare-commands: node -e \"throw new TypeError('no bundler here')\" failed: "
        "TypeError: no bundler here"
    )


def test_verify_install_from_the_artifact_keeps_the_members_smoke_mode(
    tmp_path: Path, registry: LocalRegistry, tools: None, build_env: dict[str, str]
) -> None:
    """The CI flow: a build job, then jobs that have only the member's releasekit-dist/:
    the browser bundle is installed only there too (its smoke travels with the artifact)."""

    def release_files(project: Project) -> None:
        project.write("noxfile.py", template_text())
        project.write("packages/widget/CHANGELOG.md", CHANGELOG.format(version="1.0.0"))
        toml = project.path / "releasekit.toml"
        toml.write_text(toml.read_text() + f'npm-registry = "{registry.url}"\n')

    project = js_workspace(tmp_path / "repo", before_commit=release_files)
    project.tag("widget-v1.0.0")
    env = {**build_env, "PATH": os.environ["PATH"], **registry.credentials()}
    nox = [sys.executable, "-m", "nox", "--envdir", tmp_path / "nox-envs", "--no-color"]
    done = run(
        *nox, "-s", "build", "--", "--only", "packages/widget",
        cwd=project.path, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    job = tmp_path / "job"
    shutil.copytree(project.path / "packages" / "widget" / "releasekit-dist", job / "widget")
    handoff = json.loads((job / "widget" / "releasekit-project.json").read_text())
    assert handoff["npm"]["smoke"] == "install"

    def releasekit(*args: str) -> str:
        done = run(sys.executable, "-m", "releasekit", *args, cwd=job, env=env, check=False)
        assert done.returncode == 0, done.stdout
        return done.stdout

    releasekit("publish", "--dist", "widget", "--yes")
    out = releasekit("verify-install", "--dist", "widget")
    assert "pw-widget@1.0.0 installs from npm (smoke: install only)" in out
    assert "define is not defined" not in out

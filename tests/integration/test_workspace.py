"""Workspaces end to end: an npm package and a Python package released in order.

A monorepo like the Event-Forge checklist's: ``packages/core`` is an npm package,
``packages/python`` a Python package whose version follows ``core/package.json``. Real nox
runs the template noxfile at the root, against a real verdaccio (npm) and two real
pypiservers (test, prod), all on loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.cli.init import template_text
from releasekit.engine.journal import Journal
from releasekit.engine.manifest import Manifest
from releasekit.kinds.npm import pack as npm
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.rehearsal.verdaccio import LocalRegistry
from tests.helpers.monorepo import nox, python_member, share_verdaccio
from tests.helpers.npm import verdaccio_cache, write_cjs
from tests.helpers.projects import Project, run, write_project
from tests.helpers.sessions import creds, served

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed for npm members (install Node.js >= 18)",
    ),
]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[LocalRegistry]:
    with LocalRegistry(verdaccio_cache(), tmp_path / "npm-storage") as server:
        yield server


def monorepo(
    root: Path,
    indexes: dict[str, LocalIndex],
    registry_url: str,
    *,
    version: str = "1.2.0",
    name: str = "evforge-core",
) -> Project:
    """packages/core (npm) and packages/python (follows core's version), committed."""
    write_cjs(root / "packages" / "core", name, version)
    python_member(
        root / "packages" / "python",
        indexes,
        version=version,
        keys='version-files = ["../core/package.json", "pyproject.toml"]\n',
    )
    project = Project(root, "monorepo")
    project.write(
        "releasekit.toml",
        # listed first, released second: its version follows core's package.json
        'members = [{ path = "packages/python", tag-prefix = "py-v" }, "packages/core"]\n'
        f'npm-registry = "{registry_url}"\n',
    )
    project.write("noxfile.py", template_text())
    project.write(".gitignore", "dist/\n.nox/\nreleasekit-dist/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    return project


def journal_time(dist_dir: Path, step: str, target: str) -> str:
    (entry,) = [e for e in Journal.read(dist_dir) if e.step == step and e.target == target][:1]
    return entry.time


@pytest.fixture(scope="module")
def envdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nox-envs")


def test_a_monorepo_is_released_in_order_and_a_rerun_finishes_a_half_done_release(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    registry: LocalRegistry,
    envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = monorepo(tmp_path / "repo", indexes, registry.url)
    project.tag("core-v1.2.0")
    project.tag("py-v1.2.0")
    core_dist = project.path / "packages" / "core" / "releasekit-dist"
    py_dist = project.path / "packages" / "python" / "dist"
    env = {**build_env, **creds(indexes, prod="wrong-password"), **registry.credentials()}

    # The Python member's prod upload fails after npm published core
    code, out = nox(project, envdir, env, "-s", "release", "--", "--yes")
    assert code != 0, out
    assert "packages/core" in out and "packages/python" in out
    manifest = Manifest.load(core_dist)
    (tarball,) = manifest.files
    assert npm.registry_state(registry.url, "evforge-core", "1.2.0") == tarball.integrity
    assert served(indexes["prod"]) == {}
    assert set(served(indexes["test"])) == {f.filename for f in Manifest.load(py_dist).files}
    assert "where evforge 1.2.0 is now" in out
    assert "[packages/core] where evforge-core 1.2.0 is now" in out
    assert "[packages/core]   npm    evforge-core-1.2.0.tgz" in out
    assert env["RELEASEKIT_PROD_PASSWORD"] not in out and registry.token not in out

    # The rerun publishes nothing to npm again and finishes the Python member
    env = {**build_env, **creds(indexes), **registry.credentials()}
    code, out = nox(project, envdir, env, "-s", "release", "--", "--yes")
    assert code == 0, out
    built = {f.filename: f.sha256 for f in Manifest.load(py_dist).files}
    assert served(indexes["prod"]) == built
    assert served(indexes["test"]) == built
    assert "already identical" in out
    publishes = [e for e in Journal.read(core_dist) if e.step == "npm-publish"]
    assert len(publishes) == 1 and publishes[0].sha256 == tarball.sha256
    # npm went first: the Python package reached prod only after core was on npm
    assert journal_time(py_dist, "upload", "prod") > publishes[0].time
    assert "registry npm" in out and "release summary" in out
    assert registry.token not in out


def test_the_same_npm_version_with_other_bytes_stops_everything_before_any_upload(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    registry: LocalRegistry,
    envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = monorepo(tmp_path / "repo", indexes, registry.url)
    project.tag("core-v1.2.0")
    project.tag("py-v1.2.0")
    env = {**build_env, **creds(indexes), **registry.credentials()}
    code, out = nox(project, envdir, env, "-s", "build")
    assert code == 0, out
    # meanwhile someone published core 1.2.0, with other bytes
    other = write_cjs(tmp_path / "other", "evforge-core", "1.2.0", body="7")
    artifact = npm.pack(other, tmp_path / "other-dist")
    npm.publish(artifact, registry.url, tag="latest", environ=registry.credentials())

    code, out = nox(project, envdir, env, "-s", "release", "--", "--yes")

    assert code != 0, out
    assert "reusing releasekit-dist/" in out  # the build's own check did not run again
    assert "the release is refused, nothing was uploaded: packages/core: npm: " in out
    assert "evforge-core-1.2.0.tgz is already there with integrity sha512-" in out
    assert "a published file can't be replaced" in out
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}
    assert npm.registry_state(registry.url, "evforge-core", "1.2.0") == artifact.integrity
    assert "Traceback" not in out


def test_only_releases_the_member_named_and_untagged_members_wait(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    registry: LocalRegistry,
    envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = monorepo(tmp_path / "repo", indexes, registry.url)
    project.tag("core-v1.2.0")  # the Python member has no tag at HEAD
    env = {**build_env, **creds(indexes), **registry.credentials()}

    code, out = nox(project, envdir, env, "-s", "release", "--", "--yes")
    assert code == 0, out
    assert "[packages/python] not released: no py-v<version> tag at HEAD" in out
    assert npm.registry_state(registry.url, "evforge-core", "1.2.0") is not None
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}

    code, out = nox(project, envdir, env, "-s", "publish-test", "--", "--only", "packages/python")
    assert code == 0, out
    assert set(served(indexes["test"])) and served(indexes["prod"]) == {}
    assert "[packages/core]" not in out

    code, out = nox(project, envdir, env, "-s", "check", "--", "--only", "packages/nope")
    assert code != 0
    assert "--only packages/nope: not a member of the workspace in releasekit.toml" in out
    assert "Traceback" not in out


def test_rehearsal_of_a_python_package_with_a_js_sdk_member(
    tmp_path: Path, indexes: dict[str, LocalIndex], envdir: Path, build_env: dict[str, str]
) -> None:
    """The Pixeltable checklist: the Python package at the root, js-sdk/ tagged js-sdk-v*."""
    root = tmp_path / "pixel"
    python_member(
        root,
        indexes,
        version="0.5.0",
        keys='members = [{ path = "js-sdk", tag-prefix = "js-sdk-v", '
        'check-commands = ["node -e \\"require(\'./lib/index.js\')\\""] }]\n',
    )
    write_cjs(root / "js-sdk", "pixel-sdk", "0.1.0")
    project = Project(root, "evforge")
    project.write("noxfile.py", template_text())
    project.write(".gitignore", "dist/\n.nox/\nreleasekit-dist/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    share_verdaccio(root)

    code, out = nox(project, envdir, build_env, "-s", "release", "--", "--rehearse")

    assert code == 0, out
    assert "released in order: ., js-sdk" in out
    assert "rehearsal: starting a local npm registry (verdaccio)" in out
    assert "untagged: 0.1.0 would be released by tag js-sdk-v0.1.0" in out
    assert "published pixel-sdk@0.1.0" in out and "dist-tag latest" in out
    assert "installed pixel-sdk@0.1.0 from http://127.0.0.1:" in out
    sdk = Manifest.load(root / "js-sdk" / "releasekit-dist")
    assert sdk.files[0].filename == "pixel-sdk-0.1.0.tgz"
    assert (
        json.loads((root / "js-sdk" / "releasekit-dist" / "releasekit-plan.json").read_text())[
            "targets"
        ][0]["name"]
        == "npm"
    )
    # nothing left the machine: the configured indexes were not touched
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}
    assert not os.environ.get("NODE_AUTH_TOKEN") or os.environ["NODE_AUTH_TOKEN"] not in out


def test_a_python_member_that_needs_another_is_smoke_tested_with_its_new_build(
    tmp_path: Path, envdir: Path, build_env: dict[str, str]
) -> None:
    """beta requires alpha==2.0.0, which no index has yet: listed first, beta still goes
    second, and its smoke install takes alpha from alpha's dist/."""
    root = tmp_path / "repo"
    for name, needs in (("beta", '"alpha==2.0.0"'), ("alpha", "")):
        write_project(
            root / name,
            name=name,
            version="2.0.0",
            releasekit_table="[tool.releasekit]\nchangelog = false\n",
            extra_pyproject="",
            git=False,
        )
        pyproject = root / name / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text().replace(
                'requires-python = ">=3.9"',
                f'requires-python = ">=3.9"\ndependencies = [{needs}]\nreadme = "README.md"',
            )
        )
        (root / name / "README.md").write_text(f"# {name}\n")
    project = Project(root, "repo")
    project.write("releasekit.toml", 'members = ["beta", "alpha"]\n')
    project.write("noxfile.py", template_text())
    project.write(".gitignore", "dist/\n.nox/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")

    code, out = nox(project, envdir, build_env, "-s", "smoke-install", "--", "--rehearse")

    assert code == 0, out
    assert out.index("[alpha] Python") < out.index("[beta] Python"), out
    assert "[beta] Python 3." in out and "beta-2.0.0-py3-none-any.whl installs, imports" in out


def test_a_monorepo_publishes_from_its_artifact_in_the_order_given(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    registry: LocalRegistry,
    envdir: Path,
    build_env: dict[str, str],
) -> None:
    """Event-Forge's flow in CI: one build job at the root, then publishing jobs that have
    only the members' build directories (no checkout) and pass them in release order."""
    project = monorepo(tmp_path / "repo", indexes, registry.url)
    project.tag("core-v1.2.0")
    project.tag("py-v1.2.0")
    code, out = nox(project, envdir, build_env, "-s", "build")
    assert code == 0, out
    job = tmp_path / "publish-job"
    for member, dist in (("core", "releasekit-dist"), ("python", "dist")):
        shutil.copytree(project.path / "packages" / member / dist, job / member / dist)
    dists = ["--dist", "core/releasekit-dist", "--dist", "python/dist"]
    env = {**build_env, **creds(indexes), **registry.credentials()}

    def releasekit(*args: str) -> tuple[int, str]:
        proc = run(sys.executable, "-m", "releasekit", *args, cwd=job, env=env, check=False)
        return proc.returncode, proc.stdout

    code, out = releasekit("publish-test", *dists, "--yes")
    assert code == 0, out
    py_files = {f.filename: f.sha256 for f in Manifest.load(job / "python" / "dist").files}
    assert served(indexes["test"]) == py_files and served(indexes["prod"]) == {}

    code, out = releasekit("publish", *dists, "--yes")
    assert code == 0, out
    (tarball,) = Manifest.load(job / "core" / "releasekit-dist").files
    assert npm.registry_state(registry.url, "evforge-core", "1.2.0") == tarball.integrity
    assert served(indexes["prod"]) == py_files
    publishes = [
        e for e in Journal.read(job / "core" / "releasekit-dist") if e.step == "npm-publish"
    ]
    # in the order given: npm first (the journal's times are to the second)
    assert journal_time(job / "python" / "dist", "upload", "prod") >= publishes[0].time
    assert out.index("evforge-core") < out.index(f"prod ({indexes['prod'].url})")
    assert registry.token not in out

    code, out = releasekit("verify-install", *dists)
    assert code == 0, out
    assert "prod: evforge==1.2.0 installs from the index" in out

"""The Event-Forge checklist's flow, end to end, with releasekit in place of changesets.

``../shared/checklists`` (Event-Forge): npm packages and a Python package in one repository;
each pull request adds a changeset; a "Version Packages" pull request collects them; merging
it publishes npm first, then PyPI. Here: three pull requests each add an intent file
(``releasekit intent add``); the steps of ``templates/github/release-pr.yml`` run as GitHub
would run them (bash, in a fresh clone, with a stand-in ``gh`` that records what it is
asked), open the release pull request, and after its merge tag what moved; then the release
(``nox -s release``) publishes to a real verdaccio and two real pypiservers on loopback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from releasekit.cli.init import template_text
from releasekit.engine.journal import Journal
from releasekit.engine.manifest import Manifest
from releasekit.kinds.npm import pack as npm
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.rehearsal.verdaccio import LocalRegistry
from tests.helpers.monorepo import nox, python_member
from tests.helpers.npm import verdaccio_cache, write_cjs
from tests.helpers.projects import REPO, Project, run
from tests.helpers.sessions import creds, served

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("jq") is None,
        reason="node and npm (npm members) and jq (the release-pr template) are needed",
    ),
]

CORE, TYPEORM = "@event-forge/inbox-outbox-core", "@event-forge/inbox-outbox-typeorm"
FAKE_GH = """#!/bin/sh
echo "gh $*" >> "$GH_LOG"
case "$1 $2" in
  "pr view") exit 1 ;;
  "pr create")
    while [ $# -gt 0 ]; do [ "$1" = --body-file ] && cp "$2" "$GH_LOG.body"; shift; done ;;
esac
"""


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[LocalRegistry]:
    with LocalRegistry(verdaccio_cache(), tmp_path / "npm-storage") as server:
        yield server


def event_forge(root: Path, indexes: dict[str, LocalIndex], registry: str) -> Project:
    """core and typeorm (npm, typeorm depends on core), python (follows core's version; one
    tag ``v`` with core), released as 1.2.0 and pushed to a bare remote."""
    write_cjs(root / "packages" / "core", CORE, "1.2.0")
    typeorm = write_cjs(root / "packages" / "typeorm", TYPEORM, "1.2.0")
    manifest = json.loads((typeorm / "package.json").read_text())
    manifest["dependencies"] = {CORE: "^1.2.0"}
    (typeorm / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    python_member(
        root / "packages" / "python", indexes, version="1.2.0",
        keys='version-files = ["../core/package.json", "pyproject.toml", '
        '"src/evforge/__init__.py"]\n',
    )  # fmt: skip
    project = Project(root, "event-forge")
    project.write("packages/core/CHANGELOG.md", f"# {CORE}\n\n## 1.2.0\n\n- The outbox.\n")
    project.write(
        "releasekit.toml",
        'members = [{ path = "packages/core", tag-prefix = "v" }, "packages/typeorm",\n'
        '           { path = "packages/python", tag-prefix = "v" }]\n'
        f'npm-registry = "{registry}"\n',
    )
    project.write("noxfile.py", template_text())
    project.write(".gitignore", "dist/\n.nox/\nreleasekit-dist/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    project.tag("v1.2.0", annotated=True)
    project.tag("typeorm-v1.2.0", annotated=True)
    remote = root.parent / "origin.git"
    run("git", "init", "-q", "--bare", "-b", "main", remote)
    project.git("remote", "add", "origin", str(remote))
    project.git("push", "-q", "--follow-tags", "-u", "origin", "main")
    return project


def pull_request(project: Project, branch: str, *intent: str) -> None:
    """A pull request that adds one intent file, merged into main and pushed."""
    project.git("switch", "-q", "-c", branch)
    run("releasekit", "intent", "add", *intent, cwd=project.path)
    project.git("add", "-A")
    project.commit(f"{branch}: a change and its intent file")
    project.git("switch", "-q", "main")
    project.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch)
    project.git("push", "-q", "origin", "main")


def template_steps() -> tuple[dict[str, str], dict[str, str]]:
    """release-pr.yml's version job: its workflow env and its step scripts by name."""
    doc = YAML(typ="safe", pure=True).load((REPO / "templates/github/release-pr.yml").read_text())
    steps = {s["name"]: s["run"] for s in doc["jobs"]["version"]["steps"] if "run" in s}
    return doc["env"], steps


def run_job(workdir: Path, remote: Path, *names: str) -> tuple[Path, dict[str, str], str]:
    """The version job as GitHub runs it: a fresh clone of main, then its steps in bash
    (-eo pipefail, GitHub's `shell: bash`). (clone, outputs, gh's record)"""
    env, steps = template_steps()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    clone = workdir / "checkout"
    run("git", "clone", "-q", str(remote), clone)
    # git runs gh's credential helper (GitHub) and its pre-push hook (here) in the push's
    # environment: the hook records whether GH_TOKEN reached it, as the helper needs
    hook = clone / ".git" / "hooks" / "pre-push"
    hook.write_text(
        '#!/bin/sh\n[ -n "$GH_TOKEN" ] && w=with || w=without\n'
        'echo "push $w GH_TOKEN" >> "$GH_LOG"\n'
    )
    hook.chmod(0o755)
    tools = workdir / "bin"
    tools.mkdir()
    (tools / "gh").write_text(FAKE_GH)
    (tools / "gh").chmod(0o755)
    output, log = workdir / "github-output", workdir / "gh.log"
    environ = {
        **env,
        "PATH": f"{tools}:{__import__('os').environ['PATH']}",
        "RUNNER_TEMP": str(workdir),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_REF_NAME": "main",
        "GH_TOKEN": "not-a-real-token",
        "GH_LOG": str(log),
    }
    for name in ("git identity and access", *names):
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[name]],
            cwd=clone, env=environ, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"step {name}:\n{done.stdout}{done.stderr}"
    outputs = dict(
        line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
    ) if output.exists() else {}  # fmt: skip
    return clone, outputs, log.read_text() if log.exists() else ""


def version_of(root: Path, rel: str) -> str:
    return str(json.loads((root / rel / "package.json").read_text())["version"])


def test_three_intents_a_release_pr_and_its_merge_publish_npm_first_then_pypi(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    registry: LocalRegistry,
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = event_forge(tmp_path / "event-forge", indexes, registry.url)
    remote = tmp_path / "origin.git"
    pull_request(project, "retries", "--package", f"{CORE}=minor",
                 "--summary", "Retries in the outbox")  # fmt: skip
    pull_request(project, "pool", "--package", f"{TYPEORM}=patch",
                 "--summary", "Close the pool on shutdown")  # fmt: skip
    pull_request(project, "client", "--package", "evforge=patch",
                 "--summary", "A typed client")  # fmt: skip

    # the push of the third merge: nothing to tag; the release pull request opens
    job = tmp_path / "job"
    clone, outputs, gh = run_job(job, remote, "tag", "release pull request")
    assert outputs == {"tagged": "0"}
    assert "gh auth setup-git" in gh
    assert "push with GH_TOKEN" in gh and "without" not in gh  # the release branch
    assert (
        "gh pr create --base main --head releasekit/version-packages --title Version Packages" in gh
    )
    body = (job / "gh.log.body").read_text()
    assert f"{CORE}: 1.2.0 -> 1.3.0 (minor)" in body and "consumes .changeset/" in body
    branch = tmp_path / "release-branch"
    run("git", "clone", "-q", "-b", "releasekit/version-packages", str(remote), branch)
    assert run("git", "log", "-1", "--format=%s", cwd=branch).stdout.strip() == "Version Packages"
    assert [version_of(branch, f"packages/{m}") for m in ("core", "typeorm")] == ["1.3.0", "1.2.1"]
    typeorm = json.loads((branch / "packages/typeorm/package.json").read_text())
    assert typeorm["dependencies"] == {CORE: "^1.3.0"}
    assert 'version = "1.3.0"' in (branch / "packages/python/pyproject.toml").read_text()
    core_log = (branch / "packages/core/CHANGELOG.md").read_text()
    assert core_log.startswith(f"# {CORE}\n\n## 1.3.0\n\n### Minor Changes\n\n- ")
    assert "Retries in the outbox" in core_log
    assert "A typed client" in (branch / "packages/python/CHANGELOG.md").read_text()
    assert "Close the pool on shutdown" in (branch / "packages/typeorm/CHANGELOG.md").read_text()
    assert list((branch / ".changeset").glob("*.md")) == []

    # the release pull request is merged: the next run tags what moved, and opens no PR
    project.git("fetch", "-q", "origin")
    project.git(
        "merge", "-q", "--no-ff", "-m", "Merge release", "origin/releasekit/version-packages"
    )
    project.git("push", "-q", "origin", "main")
    clone, outputs, gh = run_job(job, remote, "tag")
    assert outputs == {"tagged": "2"}
    assert gh.count("push with GH_TOKEN") == 1 and "without" not in gh  # both tags, at once
    tags = run("git", "ls-remote", "--tags", str(remote)).stdout
    assert "refs/tags/v1.3.0" in tags and "refs/tags/typeorm-v1.2.1" in tags

    # release.yml's work, run locally: npm members in dependency order, then PyPI
    env = {**build_env, **creds(indexes), **registry.credentials()}
    code, out = nox(Project(clone, "event-forge"), nox_envdir, env, "-s", "release", "--", "--yes")
    assert code == 0, out
    assert "released in order: packages/core, packages/typeorm, packages/python" in out
    dists = {m: clone / "packages" / m / "releasekit-dist" for m in ("core", "typeorm")}
    for member, name, version in (("core", CORE, "1.3.0"), ("typeorm", TYPEORM, "1.2.1")):
        (tarball,) = Manifest.load(dists[member]).files
        assert npm.registry_state(registry.url, name, version) == tarball.integrity
    py_dist = clone / "packages" / "python" / "dist"
    built = {f.filename: f.sha256 for f in Manifest.load(py_dist).files}
    assert Manifest.load(py_dist).version == "1.3.0"
    assert served(indexes["test"]) == built == served(indexes["prod"])
    published = [
        next(e.time for e in Journal.read(dists[m]) if e.step == "npm-publish")
        for m in ("core", "typeorm")
    ]
    pypi = next(e.time for e in Journal.read(py_dist) if e.step == "upload" and e.target == "prod")
    assert published[0] <= published[1] <= pypi  # PyPI (prod) once npm holds both
    # core and the Python package: one tag, v1.3.0, in both plans; typeorm its own
    for member, tag in (("core", "v1.3.0"), ("typeorm", "typeorm-v1.2.1")):
        assert json.loads((dists[member] / "releasekit-plan.json").read_text())["tag"] == tag
    assert json.loads((py_dist / "releasekit-plan.json").read_text())["tag"] == "v1.3.0"
    assert registry.token not in out and indexes["prod"].password not in out

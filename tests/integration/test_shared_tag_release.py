"""One tag for an npm package and a Python package, rehearsed end to end (issue 19).

Event-Forge's shape: ``packages/core`` (npm, depending on ``is-number`` from the real npm
registry) and ``packages/python`` (its version follows core's ``package.json``), both
entries ``tag-prefix = "v"``: the tag ``v1.2.0`` releases both. Real nox runs the template
noxfile; the rehearsal's verdaccio reads ``is-number`` through its uplink to
registry.npmjs.org, and its pypiservers stand in for the indexes.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from releasekit.cli.init import template_text
from releasekit.engine.manifest import Manifest
from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.npm import verdaccio_cache, write_cjs
from tests.helpers.projects import Project, run, write_project
from tests.helpers.sessions import CHANGELOG, served

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed for npm members (install Node.js >= 18)",
    ),
]


def event_forge(root: Path, indexes: dict[str, LocalIndex]) -> Project:
    core = write_cjs(root / "packages" / "core", "evforge-shared-core", "1.2.0")
    manifest = json.loads((core / "package.json").read_text())
    manifest["dependencies"] = {"is-number": "^7.0.0"}
    (core / "package.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    (core / "lib" / "index.js").write_text(
        "module.exports = { answer: require('is-number')(42) };\n", "utf-8"
    )
    tables = "".join(
        f'[tool.releasekit.indexes.{name}]\nurl = "{server.url}"\n'
        f'publish-url = "{server.publish_url}"\n'
        for name, server in indexes.items()
    )
    python = write_project(
        root / "packages" / "python",
        name="evforge",
        version="1.2.0",
        releasekit_table=(
            '[tool.releasekit]\nversion-files = ["../core/package.json", "pyproject.toml"]\n'
            "propagation-timeout = 10\n\n" + tables
        ),
        git=False,
    )
    python.write("CHANGELOG.md", CHANGELOG.format(version="1.2.0"))
    python.write("README.md", "# evforge\n\nA sample project.\n")  # twine check --strict
    pyproject = python.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "A sample project"',
            'description = "A sample project"\nreadme = "README.md"',
        )
    )
    project = Project(root, "event-forge")
    project.write(
        "releasekit.toml",
        'members = [{ path = "packages/python", tag-prefix = "v" }, '
        '{ path = "packages/core", tag-prefix = "v" }]\n',
    )
    project.write("noxfile.py", template_text())
    project.write(".gitignore", "dist/\n.nox/\nreleasekit-dist/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    state = root / ".nox" / "releasekit" / "rehearsal"  # reuse the tests' verdaccio install
    state.mkdir(parents=True, exist_ok=True)
    (verdaccio_cache() / "verdaccio").mkdir(parents=True, exist_ok=True)
    (state / "verdaccio").symlink_to(verdaccio_cache() / "verdaccio")
    return project


def test_an_npm_and_a_python_member_sharing_v_rehearse_with_a_third_party_dependency(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    root = tmp_path / "event-forge"
    project = event_forge(root, indexes)

    done = run(
        sys.executable, "-m", "nox", "--envdir", nox_envdir, "--no-color",
        "-s", "release", "--", "--rehearse",
        cwd=project.path, env=build_env, check=False,
    )  # fmt: skip
    out = done.stdout

    assert done.returncode == 0, out
    assert "released in order: packages/core, packages/python" in out
    assert "untagged: 1.2.0 would be released by tag v1.2.0" in out
    # the rehearsal's registry read is-number from npmjs.org; the member came from the rehearsal
    assert "other packages read from https://registry.npmjs.org/" in out
    assert "evforge-shared-core@1.2.0 installs from npm and loads" in out
    core_dist = root / "packages" / "core" / "releasekit-dist"
    py_dist = root / "packages" / "python" / "dist"
    for dist in (core_dist, py_dist):  # one tag, the same for both plans
        plan = json.loads((dist / "releasekit-plan.json").read_text())
        assert plan["would_tag"] == "v1.2.0", plan
    assert Manifest.load(core_dist).version == Manifest.load(py_dist).version == "1.2.0"
    # nothing left the machine, and the rehearsal made no tag in the repository
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}
    assert project.git("tag", "--list") == ""
    assert not os.environ.get("NODE_AUTH_TOKEN") or os.environ["NODE_AUTH_TOKEN"] not in out

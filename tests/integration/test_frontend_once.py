"""A frontend built by a build hook (hatch-jupyter-builder) is built once per release.

A release builds the project three times: the sdist, the wheel from the unpacked sdist,
and smoke-install's build of the sdist (the proof that the sdist builds where no wheel
fits). A hook that makes the JavaScript bundle runs in each of them unless something stops
it. ``releasekit init`` suggests the route that builds it once: ``prepare-commands`` makes
the bundle in the clean checkout, hatchling's ``artifacts`` ships it in the sdist, and the
hook's ``skip-if-exists`` takes it as it is in every later build.

The hook here is hatch-jupyter-builder in miniature (measured on
jupyterlab-contrib/jupyterlab-filesystem-access v0.6.0: through the bare hook the
rehearsal ran `jlpm build:prod` three times, 161 s; with init's route once, 49 s). Each
run of the bundle build appends a line to a counter file, so the test counts exactly what
the real extension's builds did, through releasekit's own build and sdist smoke.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from releasekit.core import git
from releasekit.core.config import load_config
from releasekit.engine.manifest import sha256_file
from releasekit.kinds.python.build import build_release
from releasekit.kinds.python.smoke import smoke_sdist
from tests.helpers.projects import write_project

pytestmark = pytest.mark.slow

# hatch-jupyter-builder's contract, reduced: build the bundle into the source tree unless a
# skip-if-exists path is there already; the files ship through `artifacts`.
HOOK = """\
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

COUNTER = {counter!r}


class FrontendHook(BuildHookInterface):
    def initialize(self, version, build_data):
        root = Path(self.root)
        if any((root / path).exists() for path in self.config.get("skip-if-exists", [])):
            return
        with open(COUNTER, "a") as counter:
            counter.write(f"hook {{self.target_name}}\\n")
        out = root / "src" / "demo" / "static"
        out.mkdir(parents=True, exist_ok=True)
        (out / "app.js").write_text("built by the hook\\n")
"""

# What `jlpm install && jlpm run build:prod` is to the extension: prepare-commands runs it.
PREPARE = """\
from pathlib import Path

with open({counter!r}, "a") as counter:
    counter.write("prepare\\n")
out = Path("src", "demo", "static")
out.mkdir(parents=True, exist_ok=True)
(out / "app.js").write_text("built by prepare-commands\\n")
"""

ROUTES = {
    # the hook alone: what the issue measured on a real extension (1,052 s)
    "hook alone": ("", "", ["hook sdist", "hook wheel", "hook wheel"]),
    # the hook with skip-if-exists: the sdist's build makes the bundle, the rest reuse it
    "hook, skip-if-exists": ("", "skip-if-exists", ["hook sdist"]),
    # what `releasekit init` suggests: prepare-commands makes it once, no hook build at all
    "init's route": ("prepare", "skip-if-exists", ["prepare"]),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_the_frontend_is_built_once_through_inits_route(
    route: str,
    tmp_path: Path,
    build_env: dict[str, str],
    wheelhouse: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in build_env.items():
        monkeypatch.setenv(key, value)
    prepare, skip, expected = ROUTES[route]
    counter = tmp_path / "frontend-builds.txt"
    hook_table = "[tool.hatch.build.hooks.custom]\n"
    if skip:
        hook_table += 'skip-if-exists = ["src/demo/static/app.js"]\n'
    project = write_project(
        tmp_path / "demo",
        git=False,
        build_requires=("hatchling",),
        hook_options='dependencies = ["releasekit"]',
        releasekit_table=(
            '[tool.releasekit]\nprepare-commands = ["python build_frontend.py"]\n'
            if prepare
            else ""
        ),
        extra_pyproject=hook_table + '\n[tool.hatch.build]\nartifacts = ["src/demo/static/"]\n',
    )
    pyproject = project.path / "pyproject.toml"  # twine check --strict wants a description
    pyproject.write_text(
        pyproject.read_text().replace("requires-python", 'readme = "README.md"\nrequires-python')
    )
    project.write("README.md", "# demo\n\nA project with a frontend.\n")
    project.write("hatch_build.py", HOOK.format(counter=str(counter)))
    project.write("build_frontend.py", PREPARE.format(counter=str(counter)))
    project.write(".gitignore", "src/demo/static/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("a project with a frontend")
    project.tag("v1.2.0")

    config = load_config(project.path)
    tag = git.release_tag(project.path, config.tag_prefix)
    manifest = build_release(
        config,
        project.path / "dist",
        tools=[sys.executable],
        name="demo",
        tag=tag,
        log=lambda _: None,
    )
    sdist = project.path / "dist" / manifest.sdists[0].filename
    smoke_sdist(
        sdist,
        sha256=sha256_file(sdist),
        name="demo",
        version="1.2.0",
        python=None,
        workdir=tmp_path / "smoke",
        install_index=None,
        log=lambda _: None,
        find_links=[str(wheelhouse)],
    )

    assert counter.read_text().splitlines() == expected
    wheel = project.path / "dist" / manifest.wheels[0].filename
    with zipfile.ZipFile(wheel) as archive:  # the bundle that ships is the one made first
        shipped = archive.read("demo/static/app.js").decode()
    assert shipped == ("built by prepare-commands\n" if prepare else "built by the hook\n")
    assert not (project.path / "src" / "demo" / "static").exists()  # the user's tree

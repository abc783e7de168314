"""The release sessions end to end: real nox, real builds, real pypiservers, real twine.

Each test makes a sample project in a real git repository, with the noxfile that
``releasekit init`` writes and ``[tool.releasekit.indexes]`` pointing at two pypiservers
on loopback ports (a "test" and a "prod" index), then runs ``python -m nox`` on it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from releasekit.cli.init import template_text
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.runtime.venvs import find_uv
from tests.helpers.projects import Project, python_for, run, write_project
from tests.helpers.sessions import creds, nox, release_project, served
from tests.helpers.wheels import retag

pytestmark = pytest.mark.slow


def built(project: Project) -> dict[str, str]:
    dist = project.path / "dist"
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in dist.iterdir()
        if p.suffix in (".whl", ".gz")
    }


def installed_from_index(out: str, index: str, wheel: str) -> bool:
    """Whether the log says ``wheel`` was installed from ``index``, pinned by its sha256."""
    name, version = wheel.split("-")[:2]
    return (
        f"{index}: {name}=={version} installs from the index (pinned by sha256: {wheel}) "
        "and imports" in out
    )


def test_release_publishes_the_built_bytes_then_rerun_is_a_noop_and_changes_are_refused(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = release_project(tmp_path, indexes)
    env = creds(indexes)

    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=env)
    assert code == 0, out
    files = built(project)
    assert sorted(files) == ["demo-1.2.0-py3-none-any.whl", "demo-1.2.0.tar.gz"]
    assert served(indexes["test"]) == files
    assert served(indexes["prod"]) == files
    assert "release summary" in out and "tag      v1.2.0" in out
    assert "test" in out and "2 uploaded" in out
    for server in indexes.values():
        assert server.password not in out

    mtimes = {p: p.stat().st_mtime_ns for s in indexes.values() for p in s.packages_dir.iterdir()}
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=env)
    assert code == 0, out
    assert out.count("2 already identical") >= 2, out
    assert "uploading" not in out
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes

    # Same version, different bytes: the tag moves to a commit with other code.
    project.write("src/demo/__init__.py", '"""demo."""\n\n__version__ = "1.2.0"\nX = 1\n')
    project.commit("sneaky change")
    project.git("tag", "-f", "v1.2.0")
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=env)
    assert code != 0
    assert "demo-1.2.0" in out and "already" in out and "different" in out.lower(), out
    assert served(indexes["test"]) == files
    assert served(indexes["prod"]) == files
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_wrong_password_names_the_index_hides_it_and_the_next_run_finishes(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = release_project(tmp_path, indexes)
    wrong = "wrong-s3cret-Zq9"
    code, out = nox(
        project,
        nox_envdir,
        build_env,
        "-s",
        "release",
        "--",
        "--yes",
        env=creds(indexes, prod=wrong),
    )
    assert code != 0
    assert "prod" in out and "RELEASEKIT_PROD_PASSWORD" in out, out
    assert wrong not in out
    files = built(project)
    assert served(indexes["test"]) == files
    assert served(indexes["prod"]) == {}
    # the rollback playbook: where every file is now, and the next command
    assert "where demo 1.2.0 is now (from releasekit-journal.jsonl):" in out
    assert f"  test   {', '.join(sorted(files, key=lambda n: not n.endswith('.gz')))}" in out
    assert "  prod   nothing yet" in out
    assert "next: fix the cause below, then run the same command again" in out
    assert 'releasekit yank 1.2.0 --reason "..."' in out

    code, out = nox(
        project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=creds(indexes)
    )
    assert code == 0, out
    assert "test http" in out and "2 already identical" in out
    assert "index    test http" in out and ": 2 uploaded by an earlier run" in out
    assert ": 2 uploaded by this run" in out  # prod, in the summary
    assert served(indexes["prod"]) == files
    assert wrong not in out and indexes["prod"].password not in out


def test_an_untagged_repository_is_rehearsed_tried_on_the_test_index_then_tagged_and_released(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """One untagged project through what may happen before its tag, each run on the state
    the one before left (one project and one build where three tests made their own).

    A rehearsal needs no credentials and makes no tag; a real publish without a tag is
    refused before prod; the "TestPyPI first" flow: publish-test untagged, then tag and
    release. The tag must not change a byte, or 2.0.0 could never reach prod.
    """
    project = release_project(tmp_path, indexes, tag=None)
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code == 0, out
    assert "would be released by tag v1.2.0" in out
    assert "rehearsal test: local index at http://127.0.0.1:" in out
    assert "rehearsal: local indexes" in out
    assert project.git("tag", "--list") == ""
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}

    # the untagged build is not published for real
    env = creds(indexes)
    code, out = nox(
        project, nox_envdir, build_env, "-s", "build", "publish", "--", "--yes", env=env
    )
    assert code != 0
    assert "no release tag" in out and "git tag v1.2.0" in out, out
    assert served(indexes["prod"]) == {}

    # try the test index before tagging, then release the same bytes
    code, out = nox(project, nox_envdir, build_env, "-s", "publish-test", env=env)
    assert code == 0, out
    assert "release plan: demo 1.2.0 (final), tag none yet (would be v1.2.0)" in out
    first = served(indexes["test"])

    project.tag("v1.2.0")
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=env)
    assert code == 0, out
    assert "test   " in out and "nothing to upload (2 identical)" in out
    assert served(indexes["test"]) == first == served(indexes["prod"])


def test_a_dry_run_a_missing_credential_and_a_conflict_on_prod_upload_nothing(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """Three releases of one tagged project that must upload nothing, each run on the state
    the one before left (one project and one build where four tests made their own): a dry
    run prints the plan; a missing prod credential stops the release before any upload; a
    conflict on prod stops it before the test index is changed."""
    project = release_project(tmp_path, indexes)
    code, out = nox(
        project, nox_envdir, build_env, "-s", "release", "--", "--dry-run", env=creds(indexes)
    )
    assert code == 0, out
    assert "dry run: would upload demo-1.2.0-py3-none-any.whl" in out
    assert "release plan: demo 1.2.0 (final), tag v1.2.0" in out
    assert f"  prod   {indexes['prod'].url}: upload 2 file(s) (2 missing)" in out
    assert "dry run: would upload demo-1.2.0.tar.gz" in out
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}
    plan = json.loads((project.path / "dist" / "releasekit-plan.json").read_text())
    assert [t["name"] for t in plan["targets"]] == ["test", "prod"]

    # a missing prod credential
    env = creds(indexes)
    env["RELEASEKIT_PROD_PASSWORD"] = ""
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=env)
    assert code != 0
    assert f"prod: no credentials to upload to {indexes['prod'].publish_url}" in out
    assert "hint: set RELEASEKIT_PROD_PASSWORD" in out
    assert served(indexes["test"]) == {}

    # a conflict on prod: the same version with other bytes, already there
    other = tmp_path / "other"
    twin = write_project(tmp_path / "twin", git=False)
    twin.write("src/demo/extra.py", "X = 1\n")
    run("uv", "build", "--sdist", "--out-dir", other, twin.path, env=build_env)
    run(
        sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url",
        indexes["prod"].publish_url, other / "demo-1.2.0.tar.gz",
        env={"TWINE_USERNAME": indexes["prod"].username,
             "TWINE_PASSWORD": indexes["prod"].password},
    )  # fmt: skip
    prod_before = served(indexes["prod"])
    assert list(prod_before) == ["demo-1.2.0.tar.gz"]

    code, out = nox(
        project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=creds(indexes)
    )
    assert code != 0
    assert (
        "the release is refused, nothing was uploaded: prod: demo-1.2.0.tar.gz is already there"
        in out
    )
    assert "  => refused: nothing will be uploaded anywhere" in out
    assert served(indexes["test"]) == {}
    assert served(indexes["prod"]) == prod_before


def test_pre_release_goes_to_the_test_index_only_when_policy_says_so(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = release_project(
        tmp_path, indexes, version="1.3.0rc1", policy="test-only", tag="v1.3.0-rc.1"
    )
    code, out = nox(
        project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=creds(indexes)
    )
    assert code == 0, out
    assert sorted(served(indexes["test"])) == [
        "demo-1.3.0rc1-py3-none-any.whl",
        "demo-1.3.0rc1.tar.gz",
    ]
    assert served(indexes["prod"]) == {}
    assert "test-only" in out


def test_smoke_install_catches_a_wheel_that_imports_a_module_it_does_not_ship(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = release_project(tmp_path, indexes)
    project.write(
        "src/demo/__init__.py",
        '"""demo."""\n\nimport demo_helpers  # lives next to src/, not in it\n\n'
        '__version__ = "1.2.0"\n',
    )
    project.write("demo_helpers.py", "")
    project.commit("import a helper the wheel does not ship")
    project.git("tag", "-f", "v1.2.0")
    code, out = nox(
        project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=creds(indexes)
    )
    assert code != 0
    assert "demo_helpers" in out and "smoke-install" in out, out
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}


def test_missing_changelog_section_stops_check_before_anything_is_built(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = release_project(tmp_path, indexes, changelog_version="1.1.9")
    code, out = nox(
        project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=creds(indexes)
    )
    assert code != 0
    assert "CHANGELOG.md" in out and "1.2.0" in out, out
    assert not (project.path / "dist").exists()
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}


def test_init_writes_noxfile_and_hook_once(tmp_path: Path) -> None:
    from releasekit.cli import main

    project = write_project(tmp_path / "p", hook=False, build_requires=("hatchling",))
    before = (project.path / "pyproject.toml").read_text()
    assert main(["-C", str(project.path), "init"]) == 0
    pyproject = (project.path / "pyproject.toml").read_text()
    assert 'requires = ["hatchling"]' in pyproject  # the sdist builds without releasekit
    assert '\ndependencies = ["releasekit>=' in pyproject  # the hook brings it in
    assert "[tool.hatch.build.hooks.releasekit]" in pyproject
    assert "# version-files" in pyproject
    assert before.splitlines()[4:12] == pyproject.splitlines()[4:12]  # layout kept
    assert (project.path / "noxfile.py").read_text() == template_text()
    assert main(["-C", str(project.path), "init"]) == 0
    assert (project.path / "pyproject.toml").read_text() == pyproject

    (project.path / "noxfile.py").write_text("# mine\n")
    assert main(["-C", str(project.path), "init"]) == 1
    assert (project.path / "noxfile.py").read_text() == "# mine\n"
    assert main(["-C", str(project.path), "init", "--force"]) == 0
    assert (project.path / "noxfile.py").read_text() == template_text()
    assert os.environ.get("RELEASEKIT_TAG") is None


def test_prebuilt_files_are_checked_and_published_from_another_directory(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = release_project(tmp_path, indexes)
    wheelhouse = tmp_path / "wheelhouse"  # what a CI build matrix hands the publish job
    run("uv", "build", "--out-dir", wheelhouse, project.path, env=build_env)
    files = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in wheelhouse.iterdir()
        if p.suffix in (".whl", ".gz")
    }
    code, out = nox(
        project,
        nox_envdir,
        build_env,
        "-s",
        "publish",
        "--",
        "--yes",
        "--dist",
        str(wheelhouse),
        env=creds(indexes),
    )
    assert code == 0, out
    assert "checked prebuilt files" in out
    assert (wheelhouse / "releasekit-manifest.json").is_file()
    assert served(indexes["test"]) == files and served(indexes["prod"]) == files
    assert not (project.path / "dist").exists()


USER_SESSIONS = """

@nox.session(python=["3.11", "3.12"])
def tests(session):
    from pathlib import Path

    Path("ran-" + session.name).write_text(" ".join(session.posargs))
    if Path("tests-fail").exists():
        session.error("2 tests failed")


@nox.session(venv_backend="none")
def lint(session):
    Path = __import__("pathlib").Path
    Path("ran-lint").write_text("")
"""


def test_check_sessions_are_part_of_the_chain_and_a_failure_stops_it(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """chroma-ingestion, Tektra: "tests pass on 3.9-3.12" before anything is built."""
    project = release_project(
        tmp_path, indexes, tag=None, keys='check-sessions = ["tests", "lint"]\n'
    )
    noxfile = project.path / "noxfile.py"
    noxfile.write_text(noxfile.read_text() + USER_SESSIONS)
    project.write(".gitignore", "dist/\n.nox/\nran-*\ntests-fail\n")
    project.commit("own sessions")

    (project.path / "tests-fail").write_text("")
    if shutil.which("pyenv"):  # pyenv's shims answer for the versions PYENV_VERSION selects
        versions = run("pyenv", "versions", "--bare").stdout.split()
        picked = [next(v for v in versions if v.startswith(f"{x}.")) for x in ("3.11", "3.12")]
        build_env = {**build_env, "PYENV_VERSION": ":".join(picked)}
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code != 0
    assert "check-sessions failed: `nox -s tests lint` exited with 1" in out
    assert "2 tests failed" in out
    assert "Session build aborted: Prerequisite session check was not successful" in out
    assert not (project.path / "dist").exists()

    (project.path / "tests-fail").unlink()
    code, out = nox(project, nox_envdir, build_env, "-s", "check", "--", "--rehearse")
    assert code == 0, out
    assert "check-sessions: tests, lint passed" in out
    # every Python the session declares; the release's own options are not handed on
    assert (project.path / "ran-tests-3.11").read_text() == ""
    assert (project.path / "ran-tests-3.12").read_text() == ""
    assert (project.path / "ran-lint").exists()


def test_rehearsal_of_a_hatch_vcs_project_with_fancy_readme(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """structlog, attrs, jsonschema: version and README from plugins of the build env."""
    project = release_project(tmp_path, indexes, tag=None)
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text()
    text = text.replace('version = "1.2.0"', 'dynamic = ["version", "readme"]')
    text = text.replace('readme = "README.md"\n', "")
    text = text.replace(
        'requires = ["hatchling", "releasekit"]',
        'requires = ["hatchling", "releasekit", "hatch-vcs", "hatch-fancy-pypi-readme"]',
    )
    text += (
        '\n[tool.hatch.version]\nsource = "vcs"\n\n'
        '[tool.hatch.metadata.hooks.fancy-pypi-readme]\ncontent-type = "text/markdown"\n'
        '[[tool.hatch.metadata.hooks.fancy-pypi-readme.fragments]]\npath = "README.md"\n'
    )
    pyproject.write_text(text)
    project.commit("hatch-vcs")
    project.tag("v1.2.0")

    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code == 0, out
    assert "demo 1.2.0 (from the build backend (hatchling))" in out
    assert sorted(built(project)) == ["demo-1.2.0-py3-none-any.whl", "demo-1.2.0.tar.gz"]
    assert "tag      v1.2.0" in out


def test_a_rehearsal_despite_a_uv_setting_attestations_and_a_package_named_like_a_dependency(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """Three things found in real projects, none of which may stop a rehearsal, in one
    project and one rehearsal (three tests each made and rehearsed their own):

    uvicorn 0.51.0: [tool.uv] exclude-newer made the install from the index find nothing.
    Signing needs a trusted-publishing identity (CI); a rehearsal with attestations on must
    still run. pydantic v2.13.4: `python -m nox` in its repository put its source tree first
    on sys.path, and pypi-simple imported that pydantic instead of the installed one.
    """
    project = release_project(tmp_path, indexes, tag=None, keys="attestations = true\n")
    yesterday = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + f'\n[tool.uv]\nexclude-newer = "{yesterday:%Y-%m-%dT%H:%M:%SZ}"\n'
    )
    project.write("pydantic/__init__.py", 'raise SystemError("the project\'s own pydantic")\n')
    project.commit("uv settings, attestations, a package named like a dependency")
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code == 0, out
    assert installed_from_index(out, "test", "demo-1.2.0-py3-none-any.whl")
    assert "rehearsal: attestations = true, but nothing is signed" in out
    assert not list((project.path / "dist").glob("*.publish.attestation"))
    assert "the project's own pydantic" not in out


def test_nox_on_python_3_9_uses_a_newer_python_for_the_tools(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    wheelhouse: Path,
    build_env: dict[str, str],
) -> None:
    """twine 7 needs Python >= 3.10; nox (and releasekit in it) still runs on 3.9."""
    python39 = python_for("3.9")
    if python39 is None:
        pytest.skip("no Python 3.9 here")
    uv = find_uv()
    assert uv is not None
    venv = tmp_path / "nox39"
    run(uv, "venv", "--quiet", "--python", python39, venv)
    run(
        uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python",
        "--find-links", wheelhouse, "releasekit[nox]",
    )  # fmt: skip
    project = release_project(tmp_path, indexes, tag="v1.2.0")
    proc = run(
        venv / "bin" / "python", "-m", "nox", "--no-color", "-s", "build",
        cwd=project.path, env=build_env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout
    assert re.search(
        r"tools venv uses Python 3\.1\d \(.*\): twine needs >= 3\.10 and nox runs on 3\.9",
        proc.stdout,
    )
    assert "demo-1.2.0-py3-none-any.whl  sha256=" in proc.stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_checklist_tektra_tests_frontend_and_version_from_the_tag(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """Tektra's checklist: tests first, a frontend built before the package, the version
    written from the tag into pyproject and __init__, TestPyPI then PyPI."""
    project = release_project(
        tmp_path, indexes, version="0.0.0", tag=None, changelog_version="2.0.0"
    )
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.releasekit]\n",
            "[tool.releasekit]\n"
            'check-sessions = ["lint"]\n'
            'prepare-commands = ["node frontend/build.js"]\n'
            "version-from-tag = true\n"
            'version-files = ["pyproject.toml", "src/demo/__init__.py"]\n',
        )
        + '\n[tool.hatch.build]\nartifacts = ["src/demo/static/"]\n'
    )
    noxfile = project.path / "noxfile.py"
    noxfile.write_text(noxfile.read_text() + USER_SESSIONS)
    project.write("frontend/build.js", (
        'const fs = require("fs");\n'
        'fs.mkdirSync("src/demo/static", { recursive: true });\n'
        'fs.writeFileSync("src/demo/static/app.js", "ok\\n");\n'
    ))  # fmt: skip
    project.write(".gitignore", "dist/\n.nox/\nran-*\nsrc/demo/static/\n")
    project.commit("frontend")
    project.tag("v2.0.0")

    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code == 0, out
    assert "check-sessions: lint passed" in out
    assert "version-from-tag: the build writes 2.0.0 from v2.0.0" in out
    assert sorted(built(project)) == ["demo-2.0.0-py3-none-any.whl", "demo-2.0.0.tar.gz"]
    assert installed_from_index(out, "test", "demo-2.0.0-py3-none-any.whl")
    assert installed_from_index(out, "prod", "demo-2.0.0-py3-none-any.whl")
    assert project.git("status", "--porcelain", "--untracked-files=no") == ""


def test_checklist_logflux_semver_beta_in_init_and_a_tag_with_v(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """LogFlux's checklist: __version__ = "1.0.0-beta" in __init__, tag v1.0.0-beta, test
    index, install and import, then prod."""
    project = release_project(tmp_path, indexes, tag=None, changelog_version="1.0.0-beta")
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text().replace('version = "1.2.0"', 'dynamic = ["version"]')
    pyproject.write_text(text + '\n[tool.hatch.version]\npath = "src/demo/__init__.py"\n')
    project.write("src/demo/__init__.py", '"""demo."""\n\n__version__ = "1.0.0-beta"\n')
    project.commit("beta")
    project.tag("v1.0.0-beta")

    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code == 0, out
    assert "tag v1.0.0-beta (from git tag at HEAD) matches version 1.0.0b0" in out
    assert sorted(built(project)) == ["demo-1.0.0b0-py3-none-any.whl", "demo-1.0.0b0.tar.gz"]
    assert installed_from_index(out, "prod", "demo-1.0.0b0-py3-none-any.whl")


def test_a_wheelhouse_of_platform_wheels_is_smoke_tested_where_each_can_run(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """cibuildwheel-style: one wheel per CPython, one for another platform; --dist."""
    pythons = {v: python_for(v) for v in ("3.11", "3.12")}
    if None in pythons.values():
        pytest.skip("needs Python 3.11 and 3.12")
    project = release_project(tmp_path, indexes)
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.releasekit.smoke]\n",
            f"[tool.releasekit.smoke]\npythons = {list(pythons.values())!r}\n",
        )
    )
    project.commit("pythons")
    project.git("tag", "-f", "v1.2.0")
    built_dir = tmp_path / "pure"
    run("uv", "build", "--wheel", "--out-dir", built_dir, project.path, env=build_env)
    (pure,) = built_dir.glob("*.whl")
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    names = [
        retag(pure, tag, wheelhouse).name
        for tag in (
            "cp311-cp311-manylinux_2_17_x86_64",
            "cp312-cp312-manylinux_2_17_x86_64",
            "cp312-cp312-win_amd64",
        )
    ]
    code, out = nox(
        project, nox_envdir, build_env, "-s", "release", "--", "--yes", "--dist", str(wheelhouse),
        env=creds(indexes),
    )  # fmt: skip
    assert code == 0, out
    for version, wheel in zip(("3.11", "3.12"), names):
        assert f"Python {pythons[version]}: {wheel} installs, imports and runs" in out
    assert f"not smoke-tested: {names[2]} (no Python here takes it;" in out
    here = f"cp{sys.version_info[0]}{sys.version_info[1]}-"
    chosen = next(n for n in names if here in n)
    assert (
        f"prod: demo==1.2.0 installs from the index (pinned by sha256: {chosen}) and imports" in out
    )
    assert sorted(served(indexes["prod"])) == sorted(names)


def test_a_github_release_is_refused_without_a_token_then_ends_the_release_with_one(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """chroma-ingestion, LogFlux, Tektra: PyPI, then the GitHub release with the files.

    GitHub is planned with the indexes: a missing GITHUB_TOKEN used to be found after the
    files were on the test index and on prod. The same project then releases with the
    token (one project and one build where two tests made their own).
    """
    project = release_project(tmp_path, indexes, keys="github-release = true\n")
    project.commit("github release")
    project.git("tag", "-f", "v1.2.0")
    env = {**creds(indexes), "GITHUB_TOKEN": "", "GITHUB_REPOSITORY": "octo-org/widget"}
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=env)
    assert code != 0
    assert "the release is refused, nothing was uploaded: github: no credentials" in out
    assert "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}" in out  # the hint says how
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}

    pytest.importorskip("githubkit")
    from tests.helpers.github_fake import FakeGitHub

    token = "ghs_" + "r" * 36
    with FakeGitHub(token) as fake:
        env = {
            **creds(indexes),
            **fake.environ(),
        }
        code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--yes", env=env)
        assert code == 0, out
        release = fake.release_for("v1.2.0")
        assert release is not None and not release.draft
        assert release.body == "- Something new."
        files = built(project)
        assert sorted(a.name for a in release.assets) == sorted([*files, "SHA256SUMS"])
        sums = fake.asset_bytes("v1.2.0", "SHA256SUMS").decode()
        for name, digest in files.items():
            assert f"{digest}  {name}" in sums
        assert "Session github-release was successful" in out
        assert token not in out
        assert fake.schema_errors == []

"""Publishing from the build's artifact alone, as the CI templates' credentialed jobs do.

The build runs where the project's code may run (``nox -s build``); the files, the manifest
and ``releasekit-project.json`` are then copied into an empty directory — no checkout, no
pyproject.toml, no noxfile, no git — where ``releasekit publish-test`` and ``publish``
upload them to real pypiservers, and ``releasekit verify-install`` (without credentials)
installs from each index and runs the smoke commands.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest

from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.github_fake import FakeGitHub
from tests.helpers.projects import Project, run
from tests.helpers.sessions import creds, nox, release_project, served

pytestmark = pytest.mark.slow


def releasekit(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = run(sys.executable, "-m", "releasekit", *args, cwd=cwd, env=env, check=False)
    return proc.returncode, proc.stdout


def test_publish_jobs_need_only_the_artifact(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    pytest.importorskip("githubkit")
    with FakeGitHub("ghs_artifact_token") as github:
        publish_from_the_artifact(tmp_path, indexes, nox_envdir, build_env, github)
    assert github.schema_errors == []


def publish_from_the_artifact(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
    github: FakeGitHub,
) -> None:
    github_env = github.environ()
    build_env = {**build_env, "GITHUB_REPOSITORY": github_env["GITHUB_REPOSITORY"],
                 "GITHUB_API_URL": github.api_url}  # fmt: skip
    project = release_project(
        tmp_path, indexes, keys='check-sessions = ["lint"]\ngithub-release = true\n'
    )
    project.write(
        "noxfile.py",
        project.path.joinpath("noxfile.py").read_text()
        + "\n\n@nox.session(venv_backend='none')\ndef lint(session):\n    pass\n",
    )
    project.commit("a check session")
    project.git("tag", "-f", "v1.2.0")
    code, out = nox(project, nox_envdir, build_env, "-s", "build")
    assert code == 0, out

    job = tmp_path / "publish-job"  # what a job with `id-token: write` has: the artifact
    shutil.copytree(project.path / "dist", job / "dist")
    built = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (job / "dist").iterdir()
        if p.suffix in (".whl", ".gz")
    }
    handoff = json.loads((job / "dist" / "releasekit-project.json").read_text())
    assert handoff["name"] == "demo" and handoff["kind"] == "python"
    assert "check-sessions" not in handoff["tool.releasekit"]  # nothing there may run them
    assert set(handoff["files"]) == {"CHANGELOG.md"}
    all_creds = creds(indexes)
    test_only = {k: v for k, v in all_creds.items() if k.startswith("RELEASEKIT_TEST_")}
    prod_only = {k: v for k, v in all_creds.items() if k.startswith("RELEASEKIT_PROD_")}

    # before anything is uploaded: an artifact that is not the build is refused
    refuses_an_artifact_that_is_not_the_build(
        project, tmp_path / "tampered-job", {**build_env, **all_creds}, indexes
    )

    code, out = releasekit(job, {**build_env, **test_only}, "publish-test", "--yes")
    assert code == 0, out
    assert served(indexes["test"]) == built and served(indexes["prod"]) == {}
    assert "test: not installed from here" in out
    assert "installs from the index" not in out
    assert indexes["test"].password not in out

    code, out = releasekit(job, build_env, "verify-install", "--from", "test")
    assert code == 0, out
    assert "test: demo==1.2.0 installs from the index (pinned by sha256" in out

    code, out = releasekit(job, {**build_env, **prod_only}, "publish", "--yes")
    assert code == 0, out
    assert served(indexes["prod"]) == built

    code, out = releasekit(job, build_env, "verify-install")
    assert code == 0, out
    assert "test: demo==1.2.0 installs" in out and "prod: demo==1.2.0 installs" in out

    code, out = releasekit(job, {**build_env, **github_env}, "github-release", "--yes")
    assert code == 0, out
    made = github.release_for("v1.2.0")
    assert made is not None and not made.draft
    assert "Something new." in made.body  # the changelog section, carried in the artifact
    assert (
        github.asset_bytes("v1.2.0", "demo-1.2.0.tar.gz")
        == (job / "dist" / "demo-1.2.0.tar.gz").read_bytes()
    )
    assert "ghs_artifact_token" not in out
    assert sorted(p.name for p in job.iterdir()) == ["dist"]  # nothing written beside it


def refuses_an_artifact_that_is_not_the_build(
    project: Project, job: Path, env: dict[str, str], indexes: dict[str, LocalIndex]
) -> None:
    """A copy of ``project``'s dist/ with a changed wheel, then without its handoff: each
    publish is refused before any upload. Run on the build of the test above before it
    uploads, instead of building the same project again in a test of its own."""
    shutil.copytree(project.path / "dist", job / "dist")
    wheel = job / "dist" / "demo-1.2.0-py3-none-any.whl"
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    code, out = releasekit(job, env, "publish-test", "--yes")
    assert code == 1
    assert "demo-1.2.0-py3-none-any.whl changed since it was built" in out
    assert "Traceback" not in out
    assert served(indexes["test"]) == {}

    (job / "dist" / "releasekit-project.json").unlink()
    code, out = releasekit(job, env, "publish-test", "--yes")
    assert code == 1
    assert f"{(job / 'dist').resolve()} has no releasekit-project.json" in out
    assert "hint: download the whole artifact of the build job" in out

    code, out = releasekit(job, env, "publish-test", "--dist", "nowhere")
    assert code == 1 and "--dist nowhere: no such directory" in out

    code, out = releasekit(job, env, "verify-install", "--dist", str(project.path / "dist"))
    assert code == 1 and "no index of demo serves 1.2.0 yet" in out

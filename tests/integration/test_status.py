"""``releasekit status`` and ``--finish`` on a half-finished release, against real servers.

Two real pypiservers (test and prod), the loopback GitHub, a real git remote (a bare
repository), a real build (``nox -s build``) and real uploads: the test index got both files
through releasekit, prod got one by hand (not journaled), the GitHub release is a draft with
one asset. ``status`` must say exactly that and exit 1; ``--finish`` completes it with the
release's own steps (plan, same bytes, journal, verification) and exits 0; a second
``--finish`` does nothing and says so. npm's row is covered by the unit tests (a workspace
with verdaccio would double the time of this module).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from releasekit.core.config import load_pyproject, validate_project
from releasekit.engine.handoff import Handoff
from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.github_fake import FakeGitHub
from tests.helpers.http import Handler, serve
from tests.helpers.index import SampleDists, build_demo, copy_dists
from tests.helpers.npm import write_cjs
from tests.helpers.projects import Project, run, write_project
from tests.helpers.sessions import creds, nox, release_project, served

pytestmark = pytest.mark.slow

SDIST = "demo-1.2.0.tar.gz"
WHEEL = "demo-1.2.0-py3-none-any.whl"


def releasekit(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "releasekit", *args],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout, proc.stderr


def with_remote(project: Project, tmp_path: Path, *, push_tag: bool = True) -> Path:
    bare = tmp_path / "remote.git"
    run("git", "init", "-q", "--bare", str(bare), cwd=tmp_path)
    project.git("remote", "add", "origin", str(bare))
    project.git("push", "-q", "origin", "main", *(["v1.2.0"] if push_tag else []))
    return bare


def test_status_reports_a_half_finished_release_and_finish_completes_it(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    pytest.importorskip("githubkit")
    with FakeGitHub("ghs_status_token") as github:
        half_finished_then_finished(tmp_path, indexes, nox_envdir, build_env, github)
    assert github.schema_errors == []


def half_finished_then_finished(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
    github: FakeGitHub,
) -> None:
    github_env = github.environ()
    project = release_project(tmp_path, indexes, keys="github-release = true\n")
    with_remote(project, tmp_path)
    code, out = nox(project, nox_envdir, build_env, "-s", "build")
    assert code == 0, out
    dist = project.path / "dist"
    all_creds = creds(indexes)
    test_only = {k: v for k, v in all_creds.items() if k.startswith("RELEASEKIT_TEST_")}

    # the half-finished release: test by releasekit, prod one file by hand, GitHub a draft
    code, out, err = releasekit(
        project.path, {**build_env, **test_only}, "publish-test", "--dist", "dist", "--yes"
    )
    assert code == 0, out + err
    shutil.copy(dist / SDIST, indexes["prod"].packages_dir / SDIST)
    github.add_release("v1.2.0", draft=True, assets={WHEEL: (dist / WHEEL).read_bytes()})
    built = served(indexes["test"])
    assert len(built) == 2

    env = {**build_env, **github_env}  # no index credentials: status reads anonymously
    code, out, err = releasekit(project.path, env, "status")
    assert code == 1, out + err
    assert "Traceback" not in out + err
    assert "demo 1.2.0: INCOMPLETE" in out
    assert "v1.2.0  here " in out and "origin: pushed" in out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines[SDIST] == ["ok", "ok", "(unjournaled)", "MISSING"], out
    assert lines[WHEEL] == ["ok", "MISSING", "ok", "(unjournaled)"], out
    assert "prod: lacks demo-1.2.0-py3-none-any.whl (the build has)" in out
    assert "github: lacks demo-1.2.0.tar.gz (the build has)" in out
    assert "github: the release of v1.2.0 is a draft (not public)" in out
    assert "journal  2 line(s) for this build (test 2)" in out
    assert "=> `releasekit status --finish` publishes what is missing" in out
    assert github.writes() == []

    code, out, err = releasekit(project.path, env, "status", "1.2.0", "--json")
    assert code == 1, err
    data = json.loads(out)
    assert data["complete"] is False
    (demo,) = data["projects"]
    assert demo["version"] == "1.2.0" and demo["tag"]["pushed"] is True
    by_name = {t["name"]: t for t in demo["targets"]}
    assert by_name["test"]["files"][WHEEL]["journaled"] is True
    prod_sdist = by_name["prod"]["files"][SDIST]
    prod_sdist.pop("upload_time")  # PEP 700, where the index serves it
    assert prod_sdist == {
        "holding": "identical", "digest": "sha256", "served": built[SDIST], "journaled": False,
    }  # fmt: skip
    assert by_name["prod"]["files"][WHEEL]["holding"] == "missing"
    assert by_name["github"]["state"].startswith("draft: ")
    assert demo["unfinished_stages"] == ["prod", "after-prod"]

    # --finish: prod's wheel, GitHub's sdist and SHA256SUMS, the draft published
    finish_env = {**env, **all_creds}
    code, out, err = releasekit(project.path, finish_env, "status", "--finish", "--yes")
    assert code == 0, out + err
    assert "finishing demo: publish, github-release" in out
    assert "release plan: demo 1.2.0" in out
    assert served(indexes["prod"]) == built
    assert served(indexes["test"]) == built
    made = github.release_for("v1.2.0")
    assert made is not None and not made.draft
    assert {a.name for a in made.assets} == {SDIST, WHEEL, "SHA256SUMS"}
    assert github.asset_bytes("v1.2.0", SDIST) == (dist / SDIST).read_bytes()
    assert "demo 1.2.0: complete" in out
    assert indexes["prod"].password not in out + err and "ghs_status_token" not in out + err
    writes = len(github.writes())

    # a second --finish: nothing to do, nothing done
    code, out, err = releasekit(project.path, finish_env, "status", "--finish", "--yes")
    assert code == 0, out + err
    assert "nothing to finish: demo 1.2.0 is complete everywhere" in out
    assert len(github.writes()) == writes
    assert served(indexes["prod"]) == built
    code, out, err = releasekit(project.path, env, "status")
    assert code == 0 and "demo 1.2.0: complete" in out


def test_finish_names_the_command_when_the_tag_is_not_pushed(
    tmp_path: Path, indexes: dict[str, LocalIndex], build_env: dict[str, str]
) -> None:
    """No build in dist/, a tag not on the remote: nothing is written, the command named."""
    project = release_project(tmp_path, indexes)
    with_remote(project, tmp_path, push_tag=False)
    env = {**build_env, **creds(indexes)}
    code, out, err = releasekit(project.path, env, "status")
    assert code == 1, out + err
    assert "v1.2.0  here " in out and "origin: not pushed" in out
    assert "tag v1.2.0 is not on origin (not pushed)" in out
    assert "files: the files the targets hold (no build of this version in dist/)" in out
    code, out, err = releasekit(project.path, env, "status", "--finish", "--yes")
    assert code == 1
    assert "to finish demo 1.2.0: git push origin v1.2.0" in out
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}


def test_finish_publishes_a_dev_build_missing_from_the_test_index(
    tmp_path: Path, indexes: dict[str, LocalIndex]
) -> None:
    """1.0.dev3, untagged, the tag not on the remote either: prod is no target of a dev
    version, so --finish publishes it to the test index (the tag is not asked for)."""
    project = release_project(tmp_path, indexes, version="1.0.dev3", tag=None)
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'commands = ["demo --version"]', "commands = [\"python -c 'import demo'\"]"
        )
    )
    project.commit("smoke: import")
    run("git", "init", "-q", "--bare", str(tmp_path / "remote.git"), cwd=tmp_path)
    project.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    project.git("push", "-q", "origin", "main")
    built = build_demo(tmp_path / "sample", version="1.0.dev3")
    copy_dists(built, project.path / "dist")
    head = project.git("rev-parse", "HEAD").strip()
    dataclasses.replace(built.manifest, commit=head).save(project.path / "dist")
    env = {**os.environ, **creds(indexes)}
    code, out, err = releasekit(project.path, env, "status")
    assert code == 1, out + err
    assert "test: lacks demo-1.0.dev3-py3-none-any.whl, demo-1.0.dev3.tar.gz (the build has)" in out
    code, out, err = releasekit(project.path, env, "status", "--finish", "--yes")
    assert code == 0, out + err
    assert "finishing demo: publish-test" in out
    assert "tag the build's commit first" not in out
    assert served(indexes["test"]) == {f.filename: f.sha256 for f in built.manifest.files}
    assert served(indexes["prod"]) == {}
    assert "demo 1.0.dev3: complete" in out


def test_a_remote_that_cannot_be_read_is_said_so_not_not_pushed(
    tmp_path: Path, indexes: dict[str, LocalIndex], sample_dists: SampleDists
) -> None:
    """origin names a repository that is not there: git ls-remote fails. The tag's line and
    --finish say the remote could not be read and why, never `git push`; nothing is written."""
    project = release_project(tmp_path, indexes, version="1.0.0", tag="v1.0.0")
    missing = tmp_path / "gone.git"
    project.git("remote", "add", "origin", str(missing))
    copy_dists(sample_dists, project.path / "dist")
    head = project.git("rev-parse", "HEAD").strip()
    dataclasses.replace(sample_dists.manifest, tag="v1.0.0", commit=head).save(
        project.path / "dist"
    )
    env = {**os.environ, **creds(indexes)}
    code, out, err = releasekit(project.path, env, "status", "--finish", "--yes")
    assert code == 1, out + err
    assert "Traceback" not in out + err
    (unread,) = [line for line in out.splitlines() if line.startswith("cannot finish demo")]
    assert unread == (
        f"cannot finish demo 1.0.0: origin could not be read (cannot reach origin: fatal: "
        f"'{missing}' does not appear to be a git repository), so whether it has tag v1.0.0 "
        "is unknown; check the remote (git ls-remote origin refs/tags/v1.0.0), then "
        "releasekit status 1.0.0 --finish"
    )
    assert "git push" not in out and "not pushed" not in out
    assert "origin: unread (" in out
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}


class _Packument(Handler):
    """An npm registry that has web 1.3.0 (another integrity than any build)."""

    def do_GET(self) -> None:
        if self.path != "/web":
            self.send_error(404)
            return
        body = {
            "name": "web",
            "dist-tags": {"latest": "1.3.0"},
            "versions": {
                "1.3.0": {
                    "dist": {"integrity": "sha512-theirs", "tarball": "http://x/web-1.3.0.tgz"}
                }
            },
        }
        self.reply(json.dumps(body).encode(), "application/json")


def test_a_workspace_reports_each_member(tmp_path: Path) -> None:
    """A Python member whose indexes do not answer and an npm member on a registry: one
    table each, a line for what could not be read, and the workspace's count."""
    root = tmp_path / "mono"
    write_cjs(root / "packages" / "web", "web", "1.3.0")
    nowhere = (
        '[tool.releasekit]\n[tool.releasekit.indexes.test]\nurl = "http://127.0.0.1:9/t/"\n'
        'publish-url = "http://127.0.0.1:9/t/"\n[tool.releasekit.indexes.prod]\n'
        'url = "http://127.0.0.1:9/p/"\npublish-url = "http://127.0.0.1:9/p/"\n'
    )
    write_project(root / "packages" / "py", version="1.3.0", releasekit_table=nowhere, git=False)
    with serve(_Packument) as registry:
        mono = Project(root, "mono")
        mono.write(
            "releasekit.toml",
            f'members = ["packages/py", "packages/web"]\nnpm-registry = "{registry}/"\n',
        )
        mono.git("init", "-q", "-b", "main")
        mono.commit("initial")
        mono.tag("web-v1.3.0")
        run("git", "init", "-q", "--bare", str(tmp_path / "remote.git"), cwd=tmp_path)
        mono.git("remote", "add", "origin", str(tmp_path / "remote.git"))
        mono.git("push", "-q", "origin", "main", "web-v1.3.0")
        code, out, err = releasekit(root, dict(os.environ), "status")
        assert "Traceback" not in out + err, err
        assert code == 1, out + err
        assert "packages/py 1.3.0: INCOMPLETE" in out
        assert "test     http://127.0.0.1:9/t/; cannot be read: reading " in out
        assert "tag py-v1.3.0 does not exist in this repository" in out
        # no build in dist/ to compare with: the registry's tarball, as served
        assert "packages/web 1.3.0: complete" in out
        assert "web-1.3.0.tgz  ok (unjournaled)" in out
        assert "published; dist-tags: latest=1.3.0" in out
        assert "web-v1.3.0  here " in out and "origin: pushed" in out
        assert out.rstrip().endswith("workspace: 1 of 2 member(s) complete")
        code, out, err = releasekit(root, dict(os.environ), "status", "--only", "packages/web")
        assert code == 0, out + err
        assert "packages/py" not in out and "packages/web 1.3.0: complete" in out


class _SimpleIndex(Handler):
    """A PEP 691 index holding demo 1.2.0's sdist and one of its two declared wheels."""

    def do_GET(self) -> None:
        if not self.path.rstrip("/").endswith("/simple/demo"):
            self.send_error(404)
            return
        names = ["demo-1.2.0.tar.gz", "demo-1.2.0-cp312-cp312-manylinux_2_17_x86_64.whl"]
        body = {
            "meta": {"api-version": "1.1"},
            "name": "demo",
            "files": [
                {"filename": n, "url": f"/files/{n}", "hashes": {"sha256": "0" * 64}} for n in names
            ],
        }
        self.reply(json.dumps(body).encode(), "application/vnd.pypi.simple.v1+json")


def test_an_index_missing_a_declared_wheel_is_said(tmp_path: Path) -> None:
    """[tool.releasekit] wheels: a cancelled wheel job leaves the version without one."""
    with serve(_SimpleIndex) as index:
        table = (
            '[tool.releasekit]\nwheels = ["cp312-manylinux_x86_64", "cp313-manylinux_x86_64"]\n'
            + "".join(
                f'[tool.releasekit.indexes.{name}]\nurl = "{index}/{name}/simple/"\n'
                f'publish-url = "{index}/{name}/"\n'
                for name in ("test", "prod")
            )
        )
        project = write_project(tmp_path / "demo", releasekit_table=table)
        code, out, err = releasekit(project.path, dict(os.environ), "status")
    assert code == 1, out + err
    assert (
        "prod: lacks 1 of the 2 declared wheels: cp313-manylinux_x86_64 ([tool.releasekit] wheels)"
    ) in out, out + err


def test_a_build_jobs_artifact_reports_its_declared_wheel_matrix(tmp_path: Path) -> None:
    """[tool.releasekit] wheels travels in the handoff: `status --dist` of an artifact (no
    checkout) holds the index to the matrix the build declared."""
    with serve(_SimpleIndex) as index:
        table = (
            '[tool.releasekit]\nwheels = ["cp312-manylinux_x86_64", "cp313-manylinux_x86_64"]\n'
            + "".join(
                f'[tool.releasekit.indexes.{name}]\nurl = "{index}/{name}/simple/"\n'
                f'publish-url = "{index}/{name}/"\n'
                for name in ("test", "prod")
            )
        )
        source = write_project(tmp_path / "src", releasekit_table=table, git=False)
        config = validate_project(load_pyproject(source.path), source.path)
        job = tmp_path / "job"
        (job / "dist").mkdir(parents=True)
        Handoff.of(config, name="demo", kind="python", tag_prefix=None).save(job / "dist")
        code, out, err = releasekit(job, dict(os.environ), "status", "1.2.0", "--dist", "dist")
    assert code == 1, out + err
    assert (
        "prod: lacks 1 of the 2 declared wheels: cp313-manylinux_x86_64 ([tool.releasekit] wheels)"
    ) in out, out + err


def test_finish_from_a_build_jobs_artifact_alone(
    tmp_path: Path, indexes: dict[str, LocalIndex], sample_dists: SampleDists
) -> None:
    """No checkout: the project comes from dist/releasekit-project.json, as the publishing
    jobs of CI have it. Nothing anywhere yet: --finish runs publish-test and publish (the
    artifact's route: no install here) and a second one has nothing to do."""
    job = tmp_path / "job"
    copy_dists(sample_dists, job / "dist")
    manifest = dataclasses.replace(sample_dists.manifest, tag="v1.0.0", commit="c" * 40)
    manifest.save(job / "dist")
    source = write_project(tmp_path / "src", name="demo", version="1.0.0", git=False)
    pyproject = source.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + "".join(
            f'[tool.releasekit.indexes.{name}]\nurl = "{server.url}"\n'
            f'publish-url = "{server.publish_url}"\n'
            for name, server in indexes.items()
        )
    )
    config = validate_project(load_pyproject(source.path), source.path)
    Handoff.of(config, name="demo", kind="python", tag_prefix=None).save(job / "dist")
    env = {**os.environ, **creds(indexes)}

    code, out, err = releasekit(job, env, "status")
    assert code == 1, out + err
    assert "demo 1.0.0: INCOMPLETE" in out and "tag " not in out  # no git here: no tag line
    assert "=> `releasekit status --finish` publishes what is missing" in out
    code, out, err = releasekit(job, env, "status", "--finish", "--yes", "--json")
    assert code == 0, out + err
    assert "finishing demo: publish-test, publish" in err  # the log; stdout is the JSON
    assert json.loads(out)["complete"] is True
    built = {f.filename: f.sha256 for f in manifest.files}
    assert served(indexes["test"]) == built and served(indexes["prod"]) == built
    code, out, err = releasekit(job, env, "status", "--finish", "--yes")
    assert code == 0 and "nothing to finish: demo 1.0.0 is complete everywhere" in out
    assert sorted(p.name for p in job.iterdir()) == ["dist"]

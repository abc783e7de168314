"""Trusted publishing, staging and provenance with the real npm CLI, against the loopback
stand-in (:mod:`tests.helpers.npm_standin`: verdaccio 6 has none of these endpoints) and its
fake GitHub ID-token endpoint (``ACTIONS_ID_TOKEN_REQUEST_URL``)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.engine.journal import Journal
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.plan import TargetPlan, Verdict
from releasekit.engine.remote import FileState, Holding, Stage
from releasekit.engine.status import TargetReading, assess, render_table
from releasekit.errors import PublishError
from releasekit.kinds.npm import pack as npm
from releasekit.targets.base import PublishRun
from releasekit.targets.npm import NpmRegistryTarget, registry
from releasekit.targets.npm.provenance import verify_provenance
from tests.helpers.npm import Log, write_cjs
from tests.helpers.npm_standin import NpmStandIn

pytestmark = [
    pytest.mark.slow,
    # one worker runs the module: each worker would start its own module-scoped server
    pytest.mark.xdist_group("npm_standin"),
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed (npm >= 11.15 for staging)",
    ),
]


@pytest.fixture(scope="module")
def standin() -> Iterator[NpmStandIn]:
    with NpmStandIn() as server:
        yield server


def packed(tmp_path: Path, name: str, version: str = "1.0.0") -> npm.NpmArtifact:
    return npm.pack(write_cjs(tmp_path / "pkg", name, version), tmp_path / "dist")


def test_trusted_publishing_needs_no_node_auth_token(standin: NpmStandIn, tmp_path: Path) -> None:
    standin.trust("@demo/oidc")
    artifact = packed(tmp_path, "@demo/oidc")
    log = Log()
    environ = standin.github_environ()  # no NODE_AUTH_TOKEN at all
    outcome = npm.publish(artifact, standin.url, tag="latest", environ=environ, log=log)
    assert outcome == "published"
    assert npm.registry_state(standin.url, "@demo/oidc", "1.0.0") == artifact.integrity
    # GitHub was asked for an ID token for npm:<registry host>, exchanged for @demo/oidc
    (asked,) = standin.requests("GET", "/_github/id-token")
    assert "audience=npm%3A127.0.0.1" in asked.path
    (exchanged,) = standin.requests("POST", "/-/npm/v1/oidc/token/exchange/package/")
    assert exchanged.path.endswith("/@demo%2foidc") and exchanged.status == 201
    (put,) = [s for s in standin.requests("PUT") if "oidc" in s.path]
    assert put.auth == "oidc:@demo/oidc" and put.status == 200
    assert "npm trusted publishing (GitHub Actions)" in log.text
    # the short-lived token and the ID token never show
    minted = [t for t, kind in standin.tokens.items() if kind == "oidc:@demo/oidc"]
    assert minted and not any(t in log.text for t in [*minted, *standin.id_tokens])


def test_a_refused_exchange_is_an_error_and_never_falls_back_to_the_token(
    standin: NpmStandIn, tmp_path: Path
) -> None:
    artifact = packed(tmp_path, "demo-untrusted")
    environ = {**standin.github_environ(), "NODE_AUTH_TOKEN": standin.publish_token}
    puts = len(standin.requests("PUT"))
    with pytest.raises(PublishError) as caught:
        npm.publish(artifact, standin.url, tag="latest", environ=environ)
    assert caught.value.message == (
        f"npm trusted publishing for demo-untrusted was refused: {standin.url} answered HTTP "
        "404: No trusted publisher is configured for package demo-untrusted; nothing was "
        "published"
    )
    assert caught.value.hint.startswith(
        "configure a trusted publisher for demo-untrusted on npmjs.com"
    )
    assert "npm-trusted-publishing = false" in caught.value.hint
    assert len(standin.requests("PUT")) == puts  # npm never ran: no fallback to the token
    assert npm.registry_state(standin.url, "demo-untrusted", "1.0.0") is None
    # a trusted publisher of another workflow: refused, the registry's words quoted
    standin.trust("demo-untrusted", workflow="other.yml")
    with pytest.raises(PublishError, match=r"HTTP 403: The trusted publisher of demo-untrusted"):
        npm.publish(artifact, standin.url, tag="latest", environ=environ)
    # npm-trusted-publishing = false: the token, as asked
    done = npm.publish(
        artifact, standin.url, tag="latest", environ=environ, trusted_publishing=False
    )
    assert done == "published"
    assert standin.requests("PUT")[-1].auth == "publish"


def test_trusted_publishing_off_npm_cannot_exchange(standin: NpmStandIn, tmp_path: Path) -> None:
    """npm-trusted-publishing = false: always NODE_AUTH_TOKEN. The package has a trusted
    publisher, so had npm got GitHub's request pair, its oidc.js would have exchanged it
    and published with that token instead."""
    standin.trust("demo-token-only")
    artifact = packed(tmp_path, "demo-token-only", "7.0.0")
    dist = artifact.path.parent
    environ = {**standin.github_environ(), "NODE_AUTH_TOKEN": standin.publish_token}
    target = NpmRegistryTarget(standin.url, environ=environ, timeout=10,
                               trusted_publishing=False, provenance=True)  # fmt: skip
    assert target.provenance_ci() is None
    asked = len(standin.requests("GET", "/_github/id-token"))
    done = target.publish(manifest_of(artifact), dist, planned(artifact), fake_run(dist, Log()))
    assert done is not None and done.result == "1 published"
    (put,) = [s for s in standin.requests("PUT") if "demo-token-only" in s.path]
    assert put.auth == "publish"
    assert len(standin.requests("GET", "/_github/id-token")) == asked
    assert not standin.requests("POST", "/-/npm/v1/oidc/token/exchange/package/demo-token")
    # asked directly for --provenance with the token on GitHub Actions: refused, npm not run
    other = packed(tmp_path / "b", "demo-token-only", "7.0.1")
    with pytest.raises(PublishError) as caught:
        registry.publish(other, standin.url, tag="latest", environ=environ, provenance=True,
                         trusted_publishing=False)  # fmt: skip
    assert caught.value.message == (
        "--provenance for demo-token-only@7.0.1 on GitHub Actions with trusted publishing "
        "off: npm signs with the ID token it would also exchange instead of NODE_AUTH_TOKEN"
    )
    assert caught.value.hint == "set npm-provenance = false, or npm-trusted-publishing = true"


def npmrc_with(tmp_path: Path, standin: NpmStandIn) -> Path:
    """A maintainer's .npmrc: the stand-in's publish token (what approves and rejects)."""
    npmrc = tmp_path / "maintainer.npmrc"
    nerf = "//" + standin.url.split("://", 1)[1]
    npmrc.write_text(f"{nerf}:_authToken={standin.publish_token}\n")
    return npmrc


def fake_run(dist: Path, log: Log) -> PublishRun:
    return PublishRun(
        log=log, journal=Journal(dist), dry_run=False, rehearse=False,
        confirm=lambda _q: None, tools=lambda: [],
    )  # fmt: skip


def manifest_of(artifact: npm.NpmArtifact) -> Manifest:
    item = DistFile(
        artifact.filename, artifact.sha256, artifact.size, "npm", integrity=artifact.integrity
    )
    return Manifest(artifact.name, artifact.version, (item,))


def planned(artifact: npm.NpmArtifact) -> TargetPlan:
    state = FileState(artifact.filename, artifact.integrity, Holding.MISSING)
    return TargetPlan("npm", "", "", Verdict.PUBLISH, stage="prod", files=(state,))


def test_stage_mode_with_a_stage_only_token_then_status_then_approve(
    standin: NpmStandIn, tmp_path: Path
) -> None:
    artifact = packed(tmp_path, "demo-staged", "2.0.0")
    dist = artifact.path.parent
    manifest = manifest_of(artifact)
    manifest.save(dist)
    environ = {"NODE_AUTH_TOKEN": standin.stage_only_token}
    target = NpmRegistryTarget(standin.url, environ=environ, timeout=10, mode="stage")
    assert target.how() == (
        "npm: staged (npm stage publish; a human approves) with token from NODE_AUTH_TOKEN, "
        "no provenance"
    )
    assert target.credentials().said == target.how()
    # a stage-only token cannot publish directly: the registry refuses it
    with pytest.raises(PublishError, match=r"npm publish demo-staged-2\.0\.0\.tgz"):
        npm.publish(artifact, standin.url, tag="latest", environ=environ)

    log = Log()
    published = target.publish(manifest, dist, planned(artifact), fake_run(dist, log))
    assert published is not None and not published.served
    (stage,) = standin.stages.values()
    approve = f"npm stage approve {stage.id} --registry {standin.url}"
    assert published.result == f"staged as {stage.id}, awaiting approval: {approve}"
    assert published.files[0].outcome == "staged"
    assert f"is STAGED (stage id {stage.id}), awaiting approval" in log.text
    assert approve in log.text
    (entry,) = Journal.read(dist)
    assert (entry.step, entry.extra["stage_id"], entry.awaiting) == ("npm-stage", stage.id, approve)
    assert npm.registry_state(standin.url, "demo-staged", "2.0.0") is None  # not served

    # a rerun finds the stage of these bytes and does not stage again
    again = Log()
    rerun = target.publish(manifest, dist, planned(artifact), fake_run(dist, again))
    assert rerun is not None and rerun.result == published.result
    assert len(standin.stages) == 1 and len(Journal.read(dist)) == 1
    assert "already staged" in again.text

    # status: the registry's stage list (read with the token) says staged, awaiting approval
    observed = target.observe("demo-staged", "2.0.0", manifest)
    assert observed.state == "staged" and approve in observed.awaiting[0]
    reading = TargetReading("npm", "registry", standin.url, Stage.PROD, observed)
    status = assess(
        label="demo-staged", name="demo-staged", version="2.0.0", manifest=manifest,
        tag=None, targets=[reading], journal=Journal.read(dist),
    )  # fmt: skip
    assert not status.complete and status.disagreements == ()
    assert status.verdict == "staged, awaiting approval"
    table = render_table([status])
    assert "demo-staged 2.0.0: staged, awaiting approval" in table
    assert "; staged" in table and approve in table
    # without a token to read the stage list, the journal says it
    anonymous = NpmRegistryTarget(standin.url, environ={}, timeout=10, mode="stage")
    unread = anonymous.observe("demo-staged", "2.0.0", manifest)
    assert unread.awaiting == () and "staged versions not read" in unread.details[-1]
    by_journal = assess(
        label="demo-staged", name="demo-staged", version="2.0.0", manifest=manifest, tag=None,
        targets=[TargetReading("npm", "registry", standin.url, Stage.PROD, unread)],
        journal=Journal.read(dist),
    )  # fmt: skip
    assert by_journal.verdict == "staged, awaiting approval"
    assert approve in by_journal.awaiting[0]

    # a stage rejected: the stage list read with the token is empty, and the journal's
    # stage is history (not "staged, awaiting approval" forever)
    rejected = subprocess.run(
        ["npm", "stage", "reject", stage.id, "--registry", standin.url, "--userconfig",
         npmrc_with(tmp_path, standin)], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    after = target.observe("demo-staged", "2.0.0", manifest)
    assert (after.awaiting, after.awaiting_read, after.state) == ((), True, None)
    gone = assess(
        label="demo-staged", name="demo-staged", version="2.0.0", manifest=manifest,
        tag=None, targets=[TargetReading("npm", "registry", standin.url, Stage.PROD, after)],
        journal=Journal.read(dist),
    )  # fmt: skip
    assert gone.verdict == "INCOMPLETE" and gone.awaiting == ()
    # staged again (the rerun), for the approval below
    log = Log()
    restaged = target.publish(manifest, dist, planned(artifact), fake_run(dist, log))
    assert restaged is not None
    (stage,) = standin.stages.values()
    approve = f"npm stage approve {stage.id} --registry {standin.url}"

    # a human approves with the real npm CLI (a publish token; 2FA on npmjs.com)
    npmrc = tmp_path / "approve.npmrc"
    nerf = "//" + standin.url.split("://", 1)[1]
    npmrc.write_text(f"{nerf}:_authToken={standin.publish_token}\n")
    done = subprocess.run(
        ["npm", "stage", "approve", stage.id, "--registry", standin.url, "--userconfig", npmrc],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Staged package {stage.id} approved and published successfully." in done.stdout
    assert npm.registry_state(standin.url, "demo-staged", "2.0.0") == artifact.integrity
    served = target.observe("demo-staged", "2.0.0", manifest)
    assert served.state == "published" and served.awaiting == ()


def test_stage_with_trusted_publishing(standin: NpmStandIn, tmp_path: Path) -> None:
    standin.trust("demo-staged-oidc")
    artifact = packed(tmp_path, "demo-staged-oidc", "0.1.0")
    staged = registry.stage(artifact, standin.url, tag="latest", environ=standin.github_environ())
    assert isinstance(staged, registry.Staged) and not staged.earlier
    assert standin.stages[staged.stage_id].actor_type == "oidc"
    # a rerun reads the stage list with NODE_AUTH_TOKEN (the exchanged token may not): the
    # stage of these bytes is found, not staged twice
    stages = len(standin.stages)
    environ = {**standin.github_environ(), "NODE_AUTH_TOKEN": standin.stage_only_token}
    log = Log()
    again = registry.stage(artifact, standin.url, tag="latest", environ=environ, log=log)
    assert again == registry.Staged(staged.stage_id, earlier=True)
    assert len(standin.stages) == stages and "already staged" in log.text
    # without NODE_AUTH_TOKEN the rerun cannot see it, and says so
    log = Log()
    blind = registry.stage(artifact, standin.url, tag="latest",
                           environ=standin.github_environ(), log=log)  # fmt: skip
    assert isinstance(blind, registry.Staged) and blind.stage_id != staged.stage_id
    assert (
        "the staged versions of demo-staged-oidc are not read (trusted publishing, no "
        "NODE_AUTH_TOKEN to read them with): a stage an earlier run left is not seen, and "
        "this run stages again"
    ) in log.text


def test_provenance_is_verified_through_the_attestations_endpoint(
    standin: NpmStandIn, tmp_path: Path
) -> None:
    standin.trust("@demo/attested")
    artifact = packed(tmp_path, "@demo/attested", "3.0.0")
    npm.publish(artifact, standin.url, tag="latest", environ=standin.github_environ())
    with pytest.raises(PublishError) as caught:
        verify_provenance(standin.url, "@demo/attested", "3.0.0", artifact.integrity,
                          timeout=1, sleep=lambda _s: None)  # fmt: skip
    assert caught.value.message == (
        "@demo/attested@3.0.0 was published with --provenance but "
        f"{standin.url}-/npm/v1/attestations/@demo%2fattested@3.0.0 serves no provenance "
        "statement for it after 1s"
    )
    other = "ab" * 64
    standin.attest("@demo/attested", "3.0.0", other)
    with pytest.raises(PublishError, match=r"provenance is about other bytes"):
        verify_provenance(standin.url, "@demo/attested", "3.0.0", artifact.integrity,
                          timeout=1, sleep=lambda _s: None)  # fmt: skip
    ours = base64.b64decode(artifact.integrity.split("-", 1)[1]).hex()
    standin.attest("@demo/attested", "3.0.0", ours)
    log = Log()
    verify_provenance(standin.url, "@demo/attested", "3.0.0", artifact.integrity, log=log)
    assert "serves its provenance statement" in log.text


def test_a_package_without_a_trusted_publisher_is_refused_in_the_plan(
    standin: NpmStandIn, tmp_path: Path
) -> None:
    """The exchange is tried for each member when its plan is made (all of them before the
    first upload), so a later member without a trusted publisher stops the release before
    the members before it went out."""
    from releasekit.engine.plan import make_plan

    standin.trust("demo-first")
    plans = []
    puts = len(standin.requests("PUT"))
    for name in ("demo-first", "demo-second"):
        artifact = packed(tmp_path / name, name, "5.0.0")
        manifest = manifest_of(artifact)
        manifest = Manifest(manifest.name, manifest.version, manifest.files, tag="v5.0.0")
        target = NpmRegistryTarget(standin.url, environ=standin.github_environ(),
                                   trusted_publishing=True, provenance=False)  # fmt: skip
        plans.append(make_plan(manifest, [target], tag_prefix="v", pre_release="both",
                               rehearse=False, dist_dir=artifact.path.parent))  # fmt: skip
    assert plans[0].refusals == []
    ((refusal, hint),) = plans[1].refusals
    assert refusal == (
        f"npm: npm trusted publishing for demo-second was refused: {standin.url} answered HTTP "
        "404: No trusted publisher is configured for package demo-second; nothing was "
        "published"
    )
    assert hint.startswith("configure a trusted publisher for demo-second on npmjs.com")
    assert "npm-trusted-publishing = false to publish with NODE_AUTH_TOKEN" in hint
    exchanged = standin.requests("POST", "/-/npm/v1/oidc/token/exchange/package/demo-")
    assert [s.status for s in exchanged[-2:]] == [201, 404]
    assert len(standin.requests("PUT")) == puts  # nothing was published


def test_a_rerun_that_finds_the_version_identical_verifies_its_provenance(
    standin: NpmStandIn, tmp_path: Path
) -> None:
    """The publish that ran npm failed on the provenance check, after the upload: its rerun
    sees the version served ("identical") and must not skip the check."""
    artifact = packed(tmp_path, "demo-reattested", "6.0.0")
    dist = artifact.path.parent
    manifest = manifest_of(artifact)
    environ = {"NODE_AUTH_TOKEN": standin.publish_token}
    assert npm.publish(artifact, standin.url, tag="latest", environ=environ) == "published"
    target = NpmRegistryTarget(standin.url, environ=standin.github_environ(), timeout=1,
                               trusted_publishing=True, provenance=True)  # fmt: skip
    assert target.provenance_ci() == "GitHub Actions"
    with pytest.raises(PublishError) as caught:
        target.publish(manifest, dist, planned(artifact), fake_run(dist, Log()))
    assert caught.value.message == (
        "demo-reattested@6.0.0 was published with --provenance but "
        f"{standin.url}-/npm/v1/attestations/demo-reattested@6.0.0 serves no provenance "
        "statement for it after 1s"
    )
    standin.attest("demo-reattested", "6.0.0", base64.b64decode(
        artifact.integrity.split("-", 1)[1]).hex())  # fmt: skip
    log = Log()
    done = target.publish(manifest, dist, planned(artifact), fake_run(dist, log))
    assert done is not None and done.result == "already identical"
    assert "demo-reattested@6.0.0: the registry serves its provenance statement" in log.text


def test_the_plan_says_which_credential_and_checks_the_npm_cli(
    standin: NpmStandIn, tmp_path: Path
) -> None:
    from releasekit.engine.plan import make_plan

    artifact = packed(tmp_path, "demo-planned", "4.0.0")
    manifest = manifest_of(artifact)
    manifest = Manifest(manifest.name, manifest.version, manifest.files, tag="v4.0.0")
    standin.trust("demo-planned")
    target = NpmRegistryTarget(standin.url, environ=standin.github_environ(), mode="stage",
                               trusted_publishing=True, provenance=True)  # fmt: skip
    plan = make_plan(
        manifest, [target], tag_prefix="v", pre_release="both", rehearse=False,
        dist_dir=artifact.path.parent,
    )  # fmt: skip
    assert plan.refusals == []  # npm 11.19.1 stages and exchanges
    assert f"  npm    {standin.url}: upload 1 file(s) (1 missing); npm: staged (npm stage " in (
        "\n".join(plan.render())
    )
    assert plan.targets[0].via == (
        "npm: staged (npm stage publish; a human approves) with trusted publishing (OIDC, "
        "GitHub Actions), provenance (GitHub Actions)"
    )


def test_nox_publish_stages_with_the_session_option_and_status_says_so(
    standin: NpmStandIn, tmp_path: Path, nox_envdir: Path
) -> None:
    """The whole chain with real nox: trusted publishing without NODE_AUTH_TOKEN, staged by
    `-- --npm-publish=stage`; the release ends staged and `releasekit status` says so."""
    from releasekit.cli.init import template_text
    from tests.helpers.projects import Project, run

    standin.trust("evforge-staged")
    root = tmp_path / "repo"
    write_cjs(root / "packages" / "core", "evforge-staged", "1.2.0")
    project = Project(root, "monorepo")
    project.write(
        "releasekit.toml",
        f'members = ["packages/core"]\nnpm-registry = "{standin.url}"\nnpm-provenance = false\n'
        "npm-trusted-publishing = true\n",
    )
    project.write("noxfile.py", template_text())
    project.write(".gitignore", "dist/\n.nox/\nreleasekit-dist/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    project.tag("core-v1.2.0")
    run("git", "init", "-q", "--bare", str(tmp_path / "remote.git"), cwd=tmp_path)
    project.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    project.git("push", "-q", "origin", "main", "core-v1.2.0")
    env = {**standin.github_environ(), "NODE_AUTH_TOKEN": ""}
    done = run(
        sys.executable, "-m", "nox", "--envdir", nox_envdir, "--no-color", "-s", "publish",
        "--", "--yes", "--npm-publish=stage", cwd=root, env=env, check=False,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out
    assert (
        "upload 1 file(s) (1 missing); npm: staged (npm stage publish; a human approves) with "
        "trusted publishing (OIDC, GitHub Actions), no provenance"
    ) in out
    (stage,) = [s for s in standin.stages.values() if s.name == "evforge-staged"]
    stages = len(standin.stages)
    approve = f"npm stage approve {stage.id} --registry {standin.url}"
    assert f"evforge-staged@1.2.0 is STAGED (stage id {stage.id}), awaiting approval" in out
    assert approve in out
    assert npm.registry_state(standin.url, "evforge-staged", "1.2.0") is None
    dist = root / "packages" / "core" / "releasekit-dist"
    (entry,) = [e for e in Journal.read(dist) if e.step == "npm-stage"]
    assert entry.extra["stage_id"] == stage.id and entry.awaiting == approve
    assert not any(t in out for t, kind in standin.tokens.items() if kind.startswith("oidc:"))

    status = subprocess.run(
        [sys.executable, "-m", "releasekit", "status"], cwd=root, capture_output=True,
        text=True, env={**os.environ, "NODE_AUTH_TOKEN": ""}, check=False,
    )  # fmt: skip
    assert status.returncode != 0, status.stdout + status.stderr
    assert "packages/core 1.2.0: staged, awaiting approval" in status.stdout, status.stdout
    assert "disagrees" not in status.stdout
    assert "STAGED" in status.stdout and approve in status.stdout
    finish = subprocess.run(
        [sys.executable, "-m", "releasekit", "status", "--finish", "--yes"], cwd=root,
        capture_output=True, text=True, env={**os.environ, "NODE_AUTH_TOKEN": ""}, check=False,
    )  # fmt: skip
    said = finish.stdout + finish.stderr
    assert finish.returncode != 0, said
    assert "to finish packages/core 1.2.0: a maintainer approves it (with 2FA): npm: " in said
    assert len(standin.stages) == stages  # --finish never stages or publishes again

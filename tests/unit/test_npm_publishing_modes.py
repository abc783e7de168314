"""How an npm publish is decided before anything runs: the credential (trusted publishing or
a token), provenance, staging, the npm CLI's version; and how status and the journal speak
of a staged version. Pure decisions, on fake environments and readings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.engine.journal import Journal
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.remote import RemoteView, Stage
from releasekit.engine.runcontext import parse_options
from releasekit.engine.status import Observed, TargetReading, as_json, assess, render_table
from releasekit.errors import ConfigError, ReleasekitError
from releasekit.project.workspace import find_workspace
from releasekit.targets.npm import NpmRegistryTarget
from releasekit.targets.npm.provenance import attestations_url, provenance_ci
from releasekit.targets.npm.staging import approve_command, stage_id_in
from releasekit.targets.npm.trusted import exchange_url, plan_auth, version_refusal

GITHUB = {
    "GITHUB_ACTIONS": "true",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/x?api-version=2.0",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "req",
}
REGISTRY = "https://registry.npmjs.org/"


def test_trusted_publishing_wins_where_the_job_can_mint_an_id_token() -> None:
    assert plan_auth(GITHUB).said() == "trusted publishing (OIDC, GitHub Actions)"
    # setup-node's placeholder token does not turn it off
    both = {**GITHUB, "NODE_AUTH_TOKEN": "XXXXX-XXXXX-XXXXX-XXXXX"}
    assert plan_auth(both).method == "oidc"
    assert plan_auth({"NPM_ID_TOKEN": "jwt"}).said() == "trusted publishing (OIDC, NPM_ID_TOKEN)"
    # npm-trusted-publishing = false: the token
    assert plan_auth(both, trusted_publishing=False).said() == "token from NODE_AUTH_TOKEN"
    assert plan_auth({"NODE_AUTH_TOKEN": "npm_x"}).method == "token"
    # half of GitHub's pair (no id-token: write) is nothing
    assert plan_auth({"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"}).method is None
    assert plan_auth({}, trusted_publishing=False).method is None


def test_provenance_where_npm_can_sign_and_never_in_a_rehearsal() -> None:
    assert provenance_ci(GITHUB, wanted=True, rehearsal=False) == "GitHub Actions"
    assert provenance_ci(GITHUB, wanted=True, rehearsal=True) is None
    assert provenance_ci(GITHUB, wanted=False, rehearsal=False) is None  # npm-provenance = false
    # npm's ensureProvenanceGeneration needs GITHUB_ACTIONS (ci-info) besides the pair
    no_ci = {k: v for k, v in GITHUB.items() if k != "GITHUB_ACTIONS"}
    assert provenance_ci(no_ci, wanted=True, rehearsal=False) is None
    gitlab = {"GITLAB_CI": "true", "SIGSTORE_ID_TOKEN": "jwt"}
    assert provenance_ci(gitlab, wanted=True, rehearsal=False) == "GitLab CI"
    assert provenance_ci({"GITLAB_CI": "true"}, wanted=True, rehearsal=False) is None
    assert provenance_ci({"NODE_AUTH_TOKEN": "x"}, wanted=True, rehearsal=False) is None


def test_what_the_plan_says_of_each_mode() -> None:
    def how(environ: dict[str, str], **kw: object) -> str:
        return NpmRegistryTarget(REGISTRY, environ=environ, **kw).how()  # type: ignore[arg-type]

    assert how(GITHUB) == (
        "npm: trusted publishing (OIDC, GitHub Actions), provenance (GitHub Actions)"
    )
    assert how({"NODE_AUTH_TOKEN": "t"}) == "npm: token from NODE_AUTH_TOKEN, no provenance"
    assert how(GITHUB, mode="stage", provenance=False) == (
        "npm: staged (npm stage publish; a human approves) with trusted publishing (OIDC, "
        "GitHub Actions), no provenance"
    )
    # a rehearsal never stages (verdaccio cannot) and never signs
    assert how(GITHUB, mode="stage", rehearsal=True, trusted_publishing=False) == (
        "npm: no credential, no provenance"
    )
    credentials = NpmRegistryTarget(REGISTRY, environ=GITHUB).credentials()
    assert credentials.present and credentials.trusted
    assert not NpmRegistryTarget(REGISTRY, environ={}).credentials().present


def test_trusted_publishing_and_provenance_default_on_for_npmjs_only() -> None:
    """A job with id-token: write (for PyPI) that publishes to GitHub Packages with
    NODE_AUTH_TOKEN keeps publishing with it: that registry has no exchange endpoint."""
    github_packages = "https://npm.pkg.github.com/"
    environ = {**GITHUB, "NODE_AUTH_TOKEN": "ghp_x"}
    target = NpmRegistryTarget(github_packages, environ=environ)
    assert (target.trusted_publishing, target.provenance) == (False, False)
    assert target.auth().method == "token" and target.provenance_ci() is None
    assert target.how() == (
        "npm: token from NODE_AUTH_TOKEN, no provenance (trusted publishing and provenance "
        "off: https://npm.pkg.github.com/ is not registry.npmjs.org; npm-trusted-publishing = "
        "true and npm-provenance = true turn them on)"
    )
    # turned on by the configuration: as asked, on any registry
    asked = NpmRegistryTarget(github_packages, environ=environ, trusted_publishing=True,
                              provenance=True)  # fmt: skip
    assert asked.auth().method == "oidc" and asked.provenance_ci() == "GitHub Actions"
    assert asked.how() == (
        "npm: trusted publishing (OIDC, GitHub Actions), provenance (GitHub Actions)"
    )
    one = NpmRegistryTarget(github_packages, environ=environ, trusted_publishing=True)
    assert one.how().endswith(
        "no provenance (provenance off: https://npm.pkg.github.com/ is not registry.npmjs.org; "
        "npm-provenance = true turns it on)"
    )
    # where the job could do neither, nothing to say
    assert NpmRegistryTarget(github_packages, environ={"NODE_AUTH_TOKEN": "t"}).how() == (
        "npm: token from NODE_AUTH_TOKEN, no provenance"
    )
    # registry.npmjs.org: on unless turned off
    assert NpmRegistryTarget(REGISTRY, environ=environ).auth().method == "oidc"
    off = NpmRegistryTarget(REGISTRY, environ=environ, trusted_publishing=False)
    assert off.auth().method == "token"


def test_with_trusted_publishing_off_npm_gets_nothing_to_exchange() -> None:
    """npm's oidc.js exchanges GitHub's request pair (and prefers that token to
    NODE_AUTH_TOKEN), and provenance on GitHub Actions signs with the same pair: with
    npm-trusted-publishing = false there is no provenance there, and the plan says why."""
    environ = {**GITHUB, "NODE_AUTH_TOKEN": "npm_x"}
    target = NpmRegistryTarget(REGISTRY, environ=environ, trusted_publishing=False)
    assert target.provenance and target.provenance_ci() is None
    assert target.how() == (
        "npm: token from NODE_AUTH_TOKEN, no provenance (on GitHub Actions npm signs "
        "provenance with the ID token it would also exchange for a publish token: with "
        "npm-trusted-publishing = false it gets neither)"
    )
    assert provenance_ci(GITHUB, wanted=True, rehearsal=False, oidc=False) is None
    # GitLab signs with SIGSTORE_ID_TOKEN, which npm never exchanges
    gitlab = {"GITLAB_CI": "true", "SIGSTORE_ID_TOKEN": "jwt", "NODE_AUTH_TOKEN": "npm_x"}
    on_gitlab = NpmRegistryTarget(REGISTRY, environ=gitlab, trusted_publishing=False)
    assert on_gitlab.how() == "npm: token from NODE_AUTH_TOKEN, provenance (GitLab CI)"


def test_npm_gets_only_the_ci_variables_it_reads_for_provenance() -> None:
    """GitLab's CI_JOB_JWT and CI_JOB_JWT_V2 are JWTs whose names say nothing of it: they,
    and every other CI variable npm does not read, stay out of the publishing npm."""
    from releasekit.targets.npm.registry import _other_ci_variables, _provenance_env

    environ = {
        "GITLAB_CI": "true", "CI": "true", "CI_JOB_JWT": "eyJ.a.b", "CI_JOB_JWT_V2": "eyJ.c.d",
        "CI_COMMIT_SHA": "abc", "CI_PROJECT_URL": "https://gitlab.example/p",
        "CI_REGISTRY_PASSWORD": "pw", "CI_DEPLOY_USER": "u", "SIGSTORE_ID_TOKEN": "jwt",
        "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/r.yml@refs/tags/v1",
        "GITHUB_STEP_SUMMARY": "/tmp/x", "RUNNER_ENVIRONMENT": "github-hosted", "HOME": "/h",
    }  # fmt: skip
    assert _provenance_env(environ) == {
        "GITLAB_CI": "true", "CI": "true", "CI_COMMIT_SHA": "abc",
        "CI_PROJECT_URL": "https://gitlab.example/p", "SIGSTORE_ID_TOKEN": "jwt",
        "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/r.yml@refs/tags/v1",
        "RUNNER_ENVIRONMENT": "github-hosted",
    }  # fmt: skip
    assert sorted(_other_ci_variables(environ)) == [
        "CI_DEPLOY_USER", "CI_JOB_JWT", "CI_JOB_JWT_V2", "CI_REGISTRY_PASSWORD",
        "GITHUB_STEP_SUMMARY",
    ]  # fmt: skip


def test_the_provenance_allowlist_covers_what_the_installed_npm_reads() -> None:
    import re
    import shutil

    from releasekit.targets.npm.registry import _IDENTITY, _PROVENANCE_READS

    npm = shutil.which("npm")
    root = Path(npm).resolve().parents[1] / "node_modules" if npm else None
    sources = ["libnpmpublish/lib/provenance.js", "libnpmpublish/lib/publish.js",
               "@sigstore/sign/dist/identity/ci.js"]  # fmt: skip
    if root is None or not all((root / f).is_file() for f in sources):
        pytest.skip("npm's own sources are not installed here")
    read = {
        name
        for f in sources
        for name in re.findall(r"env\.([A-Z][A-Z0-9_]+)", (root / f).read_text())
    }
    assert read and read <= _PROVENANCE_READS | set(_IDENTITY)


def test_publish_and_stage_share_one_command_line(tmp_path: Path) -> None:
    from releasekit.targets.npm.registry import NpmArtifact, publish_argv

    artifact = NpmArtifact(tmp_path / "demo-1.0.0.tgz", "demo", "1.0.0", "ab", "sha512-x", 1)
    direct = publish_argv(artifact, REGISTRY, tag="next", provenance=True)
    staged = publish_argv(artifact, REGISTRY, tag="next", provenance=True, stage=True)
    assert direct == ["npm", "publish", str(artifact.path), "--registry", REGISTRY,
                      "--tag", "next", "--provenance"]  # fmt: skip
    assert staged == ["npm", "stage", *direct[1:]]


def test_the_npm_cli_must_be_new_enough_for_what_is_planned() -> None:
    assert version_refusal((11, 5, 1), oidc=True, stage=False) is None
    assert version_refusal((10, 9, 2), oidc=False, stage=False) is None
    assert version_refusal((11, 5, 0), oidc=True, stage=False) == (
        "npm 11.5.0 is too old for trusted publishing (npm >= 11.5.1)",
        "install npm >= 11.5.1 in the job (npm install -g npm@11)",
    )
    assert version_refusal((11, 14, 3), oidc=True, stage=True) == (
        "npm 11.14.3 is too old for npm stage publish (npm >= 11.15.0)",
        "install npm >= 11.15.0 in the job (npm install -g npm@11)",
    )
    assert version_refusal(None, oidc=False, stage=True) is not None


def test_npm_urls_are_spelled_as_npm_spells_them() -> None:
    assert exchange_url(REGISTRY, "@demo/core") == (
        "https://registry.npmjs.org/-/npm/v1/oidc/token/exchange/package/@demo%2fcore"
    )
    # npm resolves the absolute path against the registry: the host's root
    assert exchange_url("https://npm.example/mirror/", "x") == (
        "https://npm.example/-/npm/v1/oidc/token/exchange/package/x"
    )
    assert attestations_url(REGISTRY, "@demo/core", "1.0.0") == (
        "https://registry.npmjs.org/-/npm/v1/attestations/@demo%2fcore@1.0.0"
    )
    stage_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    out = f"npm notice Staging to ...\n+ demo@1.0.0 (staged with id {stage_id})\n"
    assert stage_id_in(out) == stage_id
    assert stage_id_in("+ demo@1.0.0 (staged)\n") is None
    assert approve_command(stage_id, REGISTRY) == (
        f"npm stage approve {stage_id} --registry {REGISTRY}"
    )


def test_the_publish_mode_is_a_workspace_key_and_a_session_option(tmp_path: Path) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "package.json").write_text(json.dumps({"name": "c", "version": "1.0.0"}))
    toml = tmp_path / "releasekit.toml"
    toml.write_text('members = ["core"]\nnpm-publish = "stage"\nnpm-provenance = false\n')
    workspace = find_workspace(tmp_path)
    assert workspace is not None
    assert (workspace.npm_publish, workspace.npm_provenance) == ("stage", False)
    assert workspace.npm_trusted_publishing is None  # unset: by registry
    toml.write_text('members = ["core"]\nnpm-publish = "later"\n')
    with pytest.raises(ConfigError) as caught:
        find_workspace(tmp_path)
    assert caught.value.message == (
        'releasekit.toml npm-publish must be "publish" or "stage", not \'later\''
    )
    toml.write_text('members = ["core"]\nnpm-trusted-publishing = "no"\n')
    with pytest.raises(ConfigError, match="npm-trusted-publishing must be true or false"):
        find_workspace(tmp_path)
    assert parse_options(["--npm-publish=stage"]).npm_publish == "stage"
    assert parse_options([]).npm_publish is None
    with pytest.raises(ReleasekitError, match="--npm-publish"):
        parse_options(["--npm-publish=later"])


ITEM = DistFile("demo-1.0.0.tgz", "ab" * 32, 10, "npm", integrity="sha512-xyz")
MANIFEST = Manifest("demo", "1.0.0", (ITEM,))
URL = "https://registry.npmjs.org/"


def reading(observed: Observed) -> TargetReading:
    return TargetReading("npm", "registry", URL, Stage.PROD, observed)


def test_a_staged_version_is_neither_complete_nor_failed(tmp_path: Path) -> None:
    approve = approve_command("0f8fad5b-d9cb-469f-a165-70867728950e", URL)
    observed = Observed(state="staged", awaiting=(f"demo@1.0.0 staged as x, {approve}",))
    status = assess(label="demo", name="demo", version="1.0.0", manifest=MANIFEST, tag=None,
                    targets=[reading(observed)], journal=[])  # fmt: skip
    assert (status.complete, status.disagreements, status.unfinished) == (False, (), ())
    assert status.verdict == "staged, awaiting approval"
    assert status.awaiting == (f"npm: demo@1.0.0 staged as x, {approve}",)
    data = as_json([status])
    assert data["complete"] is False
    assert data["projects"][0]["verdict"] == "staged, awaiting approval"
    # without the stage list, the journal's stage (its approve command) says it
    journal = Journal(tmp_path)
    journal.record("npm-stage", "npm", ITEM.filename, ITEM.sha256, url=URL, version="1.0.0",
                   stage_id="x", awaiting=approve)  # fmt: skip
    by_journal = assess(label="demo", name="demo", version="1.0.0", manifest=MANIFEST,
                        tag=None, targets=[reading(Observed())],
                        journal=Journal.read(tmp_path))  # fmt: skip
    assert by_journal.verdict == "staged, awaiting approval"
    assert by_journal.disagreements == ()  # not "journaled but not served"
    table = render_table([by_journal]).splitlines()
    assert table[0] == "demo 1.0.0: staged, awaiting approval  (files: the build in dist/)"
    assert table[2] == "  demo-1.0.0.tgz  STAGED"
    assert "  staged, awaiting approval (the registry serves it once approved):" in table
    assert table[-1].endswith(f"awaiting approval: {approve}")
    # once served (approved), the stage is history: complete
    served = Observed(files={ITEM.filename: RemoteView(None, integrity="sha512-xyz")})
    done = assess(label="demo", name="demo", version="1.0.0", manifest=MANIFEST, tag=None,
                  targets=[reading(served)], journal=Journal.read(tmp_path))  # fmt: skip
    assert done.complete and done.verdict == "complete"
    # the stage list was read and is empty (the stage was rejected): not the journal's word
    rejected = assess(label="demo", name="demo", version="1.0.0", manifest=MANIFEST, tag=None,
                      targets=[reading(Observed(awaiting_read=True))],
                      journal=Journal.read(tmp_path))  # fmt: skip
    assert rejected.verdict == "INCOMPLETE" and rejected.awaiting == ()
    assert rejected.unfinished == (Stage.PROD,)
    # nothing staged, nothing served: missing, as before
    missing = assess(label="demo", name="demo", version="1.0.0", manifest=MANIFEST, tag=None,
                     targets=[reading(Observed())], journal=[])  # fmt: skip
    assert missing.verdict == "INCOMPLETE" and missing.unfinished == (Stage.PROD,)

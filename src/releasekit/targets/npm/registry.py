"""The npm registry side of the npm target: what a registry serves, and changing it.

- **compare, never assume.** A version already on the registry with the same integrity is
  "already identical" (a rerun, or a publish whose answer was lost): nothing is published.
  The same version with another integrity can never be replaced, so it is refused *before*
  anything is published;
- **the token reaches npm only.** ``NODE_AUTH_TOKEN`` (what ``actions/setup-node`` sets) is
  handed to the one npm process that publishes or deprecates, in its environment, through a
  temporary ``.npmrc`` that *references* the variable (``${NODE_AUTH_TOKEN}``) and is named by
  ``NPM_CONFIG_USERCONFIG``. The token is never written to a file, never on a command line,
  never logged (:func:`releasekit.runtime.proc.run` redacts it from any output shown). Every other
  npm process gets :func:`releasekit.runtime.proc.child_env`, which has no ``*_TOKEN`` at all.
  With trusted publishing the token is the registry's short-lived one, exchanged by this
  process (:mod:`releasekit.targets.npm.trusted`), and ``NODE_AUTH_TOKEN`` stays out;
- **proved from outside.** After a publish the packument is read, without credentials and
  through :func:`releasekit.runtime.net.open_url` (https, or http to loopback, redirects included),
  until it serves this version with this integrity (registries propagate; it waits and
  says so).

The temporary ``.npmrc`` replaces the user's own for that one process: a token for the same
registry in ``~/.npmrc`` must not win over the one releasekit was given. npm's global config
(``cafile`` and the like) still applies.

What a registry knows a version by lives here too: the tarball as published
(:class:`NpmArtifact`, its sha512 ``integrity``) and the dist-tag a version goes to.
:mod:`releasekit.kinds.npm.pack` (pack, check, install: the npm package kind) builds on this
module; the npm registry target (:mod:`releasekit.targets.npm`) is made of it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

from releasekit.core import urls
from releasekit.engine.manifest import Manifest
from releasekit.errors import PublishError, VersionError
from releasekit.runtime import net, proc

__all__ = [
    "DEFAULT_REGISTRY",
    "NPM_TIMEOUT",
    "OIDC_VARIABLES",
    "DistTag",
    "NpmArtifact",
    "PublishOutcome",
    "Staged",
    "artifact_of",
    "deprecate",
    "dist_tag_for",
    "integrity_of",
    "npm_userconfig",
    "npmrc_text",
    "packument_url",
    "publish",
    "publish_argv",
    "refuse_other_bytes",
    "registry_root",
    "registry_state",
    "registry_state_of",
    "stage",
    "version_view",
    "wait_until_served",
]

DEFAULT_REGISTRY = "https://registry.npmjs.org/"
DistTag = Literal["latest", "next"]
PublishOutcome = Literal["published", "identical"]
# npm >= 11.5 exchanges GitHub's OIDC request pair for a publish token (trusted publishing),
# and --provenance signs with it; only the publishing npm process gets them.
OIDC_VARIABLES = proc.OIDC_VARIABLES
NPM_TIMEOUT = 600.0  # seconds for one npm process (pack, publish, install)

_HTTP_TIMEOUT = 30.0
# https://semver.org: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]
_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_NAME = re.compile(r"(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*")


# -- what a registry knows a version by --------------------------------------------------------


@dataclass(frozen=True)
class NpmArtifact:
    """One packed tarball: what is published, compared and recorded.

    ``integrity`` is the SRI string (``sha512-<base64>``) a registry reports as
    ``dist.integrity``; ``sha256`` (hex) is what releasekit's manifest and journal use for
    every file of every kind.
    """

    path: Path
    name: str
    version: str
    sha256: str
    integrity: str
    size: int

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def spec(self) -> str:
        """``name@version``, as npm commands take it."""
        return f"{self.name}@{self.version}"


def integrity_of(path: Path) -> tuple[str, str]:
    """``(sha256 hex, sha512 SRI integrity)`` of a file, read once."""
    sha256 = hashlib.sha256()
    sha512 = hashlib.sha512()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha256.update(block)
            sha512.update(block)
    return sha256.hexdigest(), "sha512-" + base64.b64encode(sha512.digest()).decode("ascii")


def dist_tag_for(version: str) -> DistTag:
    """``latest`` for a final version, ``next`` for a semver pre-release (``1.0.0-rc.1``).

    A pre-release on ``latest`` would be what ``npm install name`` gives everyone.
    """
    match = _SEMVER.fullmatch(version)
    if match is None:
        raise VersionError(
            f"{version!r} is not a semver version, which npm requires",
            "use MAJOR.MINOR.PATCH, with -PRERELEASE for a pre-release (1.2.0-rc.1)",
        )
    return "next" if match.group(4) else "latest"


# -- the registry, read without credentials ---------------------------------------------------


def packument_url(registry_url: str, name: str) -> str:
    """``<registry>/<name>``, a scoped name as ``@scope%2fname`` (npm's own spelling)."""
    if not _NAME.fullmatch(name):
        raise PublishError(f"{name!r} is not an npm package name", "fix name in package.json")
    return registry_root(registry_url) + name.replace("/", "%2f")


def registry_state(registry_url: str, name: str, version: str) -> str | None:
    """The ``dist.integrity`` the registry serves for ``name@version``; ``None`` if none.

    Read with no credentials (what the public sees), the abbreviated packument preferred,
    caches asked to revalidate. A version with only an old ``shasum`` gets it as an SRI
    ``sha1-`` string, which never equals a sha512 integrity; a version served with no
    digest at all is ``"unknown"`` (there, but not provably these bytes).
    """
    version_doc = _version_doc(registry_url, name, version, abbreviated=True)
    return None if version_doc is None else registry_state_of(version_doc)


def version_view(
    registry_url: str, name: str, version: str
) -> tuple[str | None, str | None, dict[str, str]]:
    """For ``releasekit status``, one anonymous read of the packument: the integrity served
    for ``name@version`` (as :func:`registry_state` says it; ``None``: not there), the
    tarball's file name, and the package's dist-tags."""
    packument = _get_packument(registry_url, name, abbreviated=True)
    if packument is None:
        return None, None, {}
    tags = packument.get("dist-tags")
    dist_tags = (
        {k: v for k, v in tags.items() if isinstance(v, str)} if isinstance(tags, dict) else {}
    )
    versions = packument.get("versions")
    doc = versions.get(version) if isinstance(versions, dict) else None
    if not isinstance(doc, dict):
        return None, None, dist_tags
    dist = doc.get("dist") if isinstance(doc.get("dist"), dict) else {}
    tarball = dist.get("tarball") if isinstance(dist, dict) else None
    filename = tarball.rsplit("/", 1)[-1] if isinstance(tarball, str) and tarball else None
    return registry_state_of(doc), filename, dist_tags


def registry_state_of(version_doc: Mapping[str, Any]) -> str:
    """The integrity a packument's version document serves (see :func:`registry_state`)."""
    dist = version_doc.get("dist")
    if isinstance(dist, dict):
        integrity = dist.get("integrity")
        if isinstance(integrity, str) and integrity:
            return integrity.split()[0]
        shasum = dist.get("shasum")
        if isinstance(shasum, str) and re.fullmatch(r"[0-9a-f]{40}", shasum):
            return "sha1-" + base64.b64encode(bytes.fromhex(shasum)).decode("ascii")
    return "unknown"


def _version_doc(
    registry_url: str, name: str, version: str, *, abbreviated: bool
) -> dict[str, Any] | None:
    packument = _get_packument(registry_url, name, abbreviated=abbreviated)
    if packument is None:
        return None
    versions = packument.get("versions")
    if not isinstance(versions, dict):
        return None
    doc = versions.get(version)
    return doc if isinstance(doc, dict) else None


def _get_packument(registry_url: str, name: str, *, abbreviated: bool) -> dict[str, Any] | None:
    url = packument_url(registry_url, name)
    accept = (
        "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"
        if abbreviated
        else "application/json"
    )
    request = urllib.request.Request(url, headers={"Accept": accept, "Cache-Control": "no-cache"})
    # a redirect to plain http elsewhere is refused, as for an index (PublishError)
    data = net.read_json(
        request, f"cannot read {url}", "is npm-registry the registry's URL? try it with curl",
        timeout=_HTTP_TIMEOUT, absent=(404,),
        retry_hint="is npm-registry the URL of an npm registry, reachable from here?",
    )  # fmt: skip
    return data if isinstance(data, dict) else None


def wait_until_served(
    registry_url: str,
    name: str,
    version: str,
    integrity: str,
    *,
    timeout: float = 300.0,
    log: proc.Log = proc.no_log,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> None:
    """Return once the registry serves ``name@version`` with ``integrity``.

    A registry's CDN may answer with the packument from before the publish for a while:
    wait with backoff (0.5 s, growing to 10 s), saying so once. Other bytes served for the
    version is not propagation: it stops at once. ``sleep`` and ``clock`` are
    :func:`releasekit.runtime.net.poll`'s, for a test.
    """
    registry = registry_root(registry_url)
    said = False

    def attempt() -> bool | None:
        served = registry_state(registry, name, version)
        if served == integrity:
            return True
        if served is not None:
            raise PublishError(
                f"{registry} serves {name}@{version} with integrity {served}, "
                f"not the published {integrity}",
                "another tarball was published as this version; it can never be replaced: "
                "release a new version",
            )
        return None

    def waiting(_wait: float) -> None:
        nonlocal said
        if not said:
            log(f"waiting for {registry} to serve {name}@{version} (propagation) ...")
            said = True

    def expired() -> PublishError:
        return PublishError(
            f"{registry} does not serve {name}@{version} after {timeout:g}s",
            "the publish may still be propagating; rerun the release to check again "
            "(nothing is published twice)",
        )

    net.poll(
        attempt,
        timeout=timeout,
        expired=expired,
        waiting=waiting,
        first=0.5,
        factor=1.5,
        cap=10.0,
        sleep=sleep,
        clock=clock,
    )
    if said:
        log(f"{registry} now serves {name}@{version}")


# -- publishing --------------------------------------------------------------------------------


def npmrc_text(registry_url: str, token_env: str | None) -> str:
    """The temporary ``.npmrc``: the registry, and its token as a *reference* to the variable.

    npm expands ``${VAR}`` in .npmrc from its environment, so the file never holds the
    token. The auth line is keyed by the registry's "nerf dart" (``//host[:port]/path/``),
    which is how npm scopes a token to one registry.
    """
    registry = registry_root(registry_url)
    lines = [f"registry={registry}"]
    if token_env is not None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
            raise PublishError(f"{token_env!r} is not an environment variable name", "fix it")
        nerf = "//" + registry.split("://", 1)[1]
        lines.append(f"{nerf}:_authToken=${{{token_env}}}")
    return "\n".join(lines) + "\n"


def publish_argv(
    artifact: NpmArtifact,
    registry_url: str,
    *,
    tag: DistTag,
    provenance: bool,
    stage: bool = False,
) -> list[str]:
    """The publish command line (``npm stage publish`` with ``stage``): the tarball, the
    registry, the dist-tag; never a token."""
    argv = ["npm", *(["stage"] if stage else []), "publish", str(artifact.path)]
    argv += ["--registry", registry_root(registry_url), "--tag", tag]
    if provenance:
        argv.append("--provenance")
    return argv


def publish(
    artifact: NpmArtifact,
    registry_url: str,
    *,
    tag: DistTag,
    token_env: str = "NODE_AUTH_TOKEN",
    environ: Mapping[str, str],
    provenance: bool = False,
    trusted_publishing: bool = True,
    log: proc.Log = proc.no_log,
) -> PublishOutcome:
    """Publish exactly ``artifact``'s tarball, unless the registry already has its version.

    Returns ``"identical"`` when the registry already serves the version with this integrity
    (nothing is published), ``"published"`` otherwise. The same version with another
    integrity is refused before npm runs. ``environ`` is where the credential is looked up
    (the caller's ``os.environ``, or a rehearsal's): trusted publishing where the job can
    mint an ID token (unless ``trusted_publishing`` is off), else ``token_env``
    (:func:`releasekit.targets.npm.trusted.plan_auth`).
    """
    registry = registry_root(registry_url)
    if _already_served(artifact, registry, tag, log):
        return "identical"
    with _npm_credentials(
        artifact, registry, environ, token_env=token_env, provenance=provenance,
        trusted_publishing=trusted_publishing, log=log,
    ) as upload:  # fmt: skip
        try:
            upload.run(artifact, registry, tag=tag, provenance=provenance, stage=False, log=log)
        except PublishError:
            # A publish that landed but whose answer was lost (a retry got "cannot publish
            # over"): the registry decides, by integrity.
            if registry_state(registry, artifact.name, artifact.version) == artifact.integrity:
                log(
                    f"npm reported a failure, but {registry} serves {artifact.spec} "
                    "with these bytes: published"
                )
                return "published"
            raise
    log(f"published {artifact.spec} to {registry} with dist-tag {tag}")
    return "published"


@dataclass(frozen=True)
class Staged:
    """What ``npm stage publish`` left: the stage id, and whether an earlier run staged it."""

    stage_id: str
    earlier: bool = False


def stage(
    artifact: NpmArtifact,
    registry_url: str,
    *,
    tag: DistTag,
    token_env: str = "NODE_AUTH_TOKEN",
    environ: Mapping[str, str],
    provenance: bool = False,
    trusted_publishing: bool = True,
    log: proc.Log = proc.no_log,
) -> Staged | PublishOutcome:
    """``npm stage publish`` of exactly ``artifact``'s tarball: the version waits on the
    registry until a human approves it (:mod:`releasekit.targets.npm.staging`).

    ``"identical"`` when the registry already serves the version with these bytes (approved
    since); an earlier stage of these bytes (the stage list's sha1) is reused, never staged
    twice; a stage of other bytes of this version is refused. A stage-only token will do.
    The stage list is read with ``token_env``: under trusted publishing too (the exchanged
    token is for publishing), and without it the log says a rerun cannot see earlier stages.
    """
    from releasekit.targets.npm import staging

    registry = registry_root(registry_url)
    if _already_served(artifact, registry, tag, log):
        return "identical"
    with _npm_credentials(
        artifact, registry, environ, token_env=token_env, provenance=provenance,
        trusted_publishing=trusted_publishing, log=log,
    ) as upload:  # fmt: skip
        sha1 = staging.sha1_of(artifact.path)
        # the exchanged token publishes one package, and may not read the stage list
        reader = environ.get(token_env, "") if upload.oidc else upload.token
        earlier: list[staging.StagedVersion] = []
        if not reader:
            log(f"the staged versions of {artifact.name} are not read (trusted publishing, no "
                f"{token_env} to read them with): a stage an earlier run left is not seen, "
                "and this run stages again")  # fmt: skip
        else:
            try:
                earlier = [
                    s for s in staging.list_staged(registry, artifact.name, reader)
                    if s.version == artifact.version
                ]  # fmt: skip
            except PublishError as error:  # listing is a courtesy: staging itself decides
                log(f"cannot list the staged versions of {artifact.name} (a stage an earlier "
                    f"run left is not seen): {error.message}")  # fmt: skip
        same = [s for s in earlier if s.shasum == sha1]
        if same:
            log(f"{artifact.spec} is already staged on {registry} with these bytes "
                f"(stage id {same[0].id}): not staged again")  # fmt: skip
            return Staged(same[0].id, earlier=True)
        if earlier:
            other = earlier[0]
            raise PublishError(
                f"{registry} has {artifact.spec} staged with other bytes (stage id {other.id}, "
                f"sha1 {other.shasum[:12]}…, ours {sha1[:12]}…): nothing was staged",
                f"reject that stage (npm stage reject {other.id} --registry {registry}) if it "
                "is not to be published, then run again",
            )
        output = upload.run(artifact, registry, tag=tag, provenance=provenance, stage=True,
                            log=log)  # fmt: skip
    stage_id = staging.stage_id_in(output)
    if stage_id is None:
        raise PublishError(
            f"npm stage publish {artifact.filename} passed but printed no stage id",
            f"find it with `npm stage list {artifact.name} --registry {registry}`",
        )
    log(f"staged {artifact.spec} on {registry} with dist-tag {tag}: stage id {stage_id}")
    return Staged(stage_id)


def _already_served(artifact: NpmArtifact, registry: str, tag: DistTag, log: proc.Log) -> bool:
    """The checks before npm runs: the dist-tag fits, the tarball is what was packed, and
    whether the registry already serves these bytes (other bytes: refused)."""
    if tag == "latest" and dist_tag_for(artifact.version) == "next":
        raise PublishError(
            f"{artifact.spec} is a pre-release: not publishing it as latest",
            "publish pre-releases with the dist-tag next (dist_tag_for)",
        )
    served = registry_state(registry, artifact.name, artifact.version)
    if served is not None:
        refuse_other_bytes(artifact, registry, served)
        log(f"{artifact.spec} on {registry}: already identical (same integrity), not published")
        return True
    sha256, _ = integrity_of(artifact.path)
    if sha256 != artifact.sha256:
        raise PublishError(
            f"{artifact.filename} changed since it was packed: not publishing it",
            "pack again; nothing may rewrite the artifact between pack and publish",
        )
    return False


@dataclass(frozen=True)
class _Upload:
    """The one npm process that uploads (``npm publish`` or ``npm stage publish``): its
    environment (the temporary ``.npmrc`` named in it), the secrets to redact, the hint for
    npm's failure, the token itself (this process's read of the stage list) and whether it
    was exchanged (trusted publishing)."""

    env: dict[str, str]
    secrets: list[str]
    hint: str
    token: str
    oidc: bool

    def run(
        self,
        artifact: NpmArtifact,
        registry: str,
        *,
        tag: DistTag,
        provenance: bool,
        stage: bool,
        log: proc.Log,
    ) -> str:
        """npm's output; a failure is a :class:`PublishError` with npm's words and the hint.
        The CI's variables npm does not read stay out (:func:`_other_ci_variables`)."""
        argv = publish_argv(artifact, registry, tag=tag, provenance=provenance, stage=stage)
        verb = "npm stage publish" if stage else "npm publish"
        return proc.run(
            argv, what=f"{verb} {artifact.filename} to {registry}", error=PublishError,
            hint=self.hint, cwd=Path(self.env["NPM_CONFIG_USERCONFIG"]).parent, env=self.env,
            log=log, secrets=self.secrets, timeout=NPM_TIMEOUT,
            unset=_other_ci_variables(os.environ),
        )  # fmt: skip


@contextlib.contextmanager
def _npm_credentials(
    artifact: NpmArtifact,
    registry: str,
    environ: Mapping[str, str],
    *,
    token_env: str,
    provenance: bool,
    trusted_publishing: bool,
    log: proc.Log,
) -> Iterator[_Upload]:
    """The one npm process that publishes, with its credential (:class:`_Upload`).

    Trusted publishing: releasekit exchanges the CI's ID token for the package's short-lived
    token itself (a refusal is an error here, before npm runs), and npm gets that token and
    never ``token_env``: npm's silent fallback to a long-lived token cannot happen. The CI's
    identity (GitHub's request pair, GitLab's ``SIGSTORE_ID_TOKEN``) goes along only for
    ``--provenance``, which signs with it.

    With ``token_env`` (trusted publishing off) npm gets nothing it could exchange
    (``oidc.js`` needs ``NPM_ID_TOKEN`` or GitHub's request pair, and prefers what it gets
    for them to any token): so no ``--provenance`` on GitHub Actions, which signs with that
    pair (GitLab's ``SIGSTORE_ID_TOKEN`` is no exchangeable token: it may go along).
    """
    from releasekit.targets.npm import trusted

    auth = trusted.plan_auth(environ, trusted_publishing=trusted_publishing)
    if auth.method is None:
        raise PublishError(
            f"no {token_env} to publish {artifact.spec} to {registry}",
            f"set {token_env} to an npm automation token (actions/setup-node uses it), or "
            "publish from CI with an ID token (GitHub Actions: permissions: id-token: write; "
            "npm trusted publishing)",
        )
    env: dict[str, str] = {}
    secrets: list[str] = []
    if auth.method == "oidc":
        identity = trusted.id_token(auth, registry, environ)
        token = trusted.exchange(registry, artifact.name, identity)
        log(f"npm trusted publishing ({auth.ci}): {registry} gave a token for {artifact.name}")
        variable = trusted.OIDC_TOKEN_ENV
        secrets += [identity, token]
        hint = (
            f"the registry refused the trusted-publishing token for {artifact.name}: check "
            "its trusted publisher on npmjs.com (repository, workflow, environment)"
        )
    else:
        if provenance and environ.get("GITHUB_ACTIONS") == "true":
            raise PublishError(
                f"--provenance for {artifact.spec} on GitHub Actions with trusted publishing "
                f"off: npm signs with the ID token it would also exchange instead of {token_env}",
                "set npm-provenance = false, or npm-trusted-publishing = true",
            )
        token, variable = environ[token_env], token_env
        secrets.append(token)
        hint = (
            f"check {token_env} (a token allowed to publish {artifact.name}) and the "
            "registry's answer above"
        )
    env[variable] = token
    if provenance:
        identity_env = _provenance_env(environ)
        if auth.method != "oidc":  # nothing npm's oidc.js could exchange
            identity_env = {k: v for k, v in identity_env.items() if k not in OIDC_VARIABLES}
        env.update(identity_env)
        secrets += [environ[name] for name in _IDENTITY if environ.get(name)]
    with npm_userconfig(registry, variable) as userconfig:
        env["NPM_CONFIG_USERCONFIG"] = str(userconfig)
        yield _Upload(env, secrets, hint, token, auth.method == "oidc")


# what npm's provenance signs with (GitHub's request pair; GitLab's sigstore token)
_IDENTITY = (*OIDC_VARIABLES, "SIGSTORE_ID_TOKEN")
# What npm 11.19.1 reads of the CI for --provenance, and nothing else of it: ci-info's
# GITHUB_ACTIONS, GITLAB_CI and CI (whether npm may sign there), libnpmpublish's
# lib/provenance.js (what the SLSA statement records) and publish.js; @sigstore/sign's
# identity/ci.js reads only _IDENTITY. GitLab's CI_JOB_JWT/CI_JOB_JWT_V2 (JWTs no *_TOKEN
# name gives away), CI_REGISTRY_PASSWORD and the rest of CI_*/GITHUB_* are not on it.
_PROVENANCE_READS = frozenset(
    """
    CI GITHUB_ACTIONS GITLAB_CI
    GITHUB_EVENT_NAME GITHUB_REF GITHUB_REPOSITORY GITHUB_REPOSITORY_ID
    GITHUB_REPOSITORY_OWNER_ID GITHUB_RUN_ATTEMPT GITHUB_RUN_ID GITHUB_SERVER_URL GITHUB_SHA
    GITHUB_WORKFLOW_REF RUNNER_ENVIRONMENT RUNNER_GENERATE_ARTIFACTS_METADATA
    CI_API_GRAPHQL_URL CI_API_V4_URL CI_BUILD_BEFORE_SHA CI_BUILD_ID CI_BUILD_NAME CI_BUILD_REF
    CI_BUILD_REF_NAME CI_BUILD_REF_SLUG CI_BUILD_STAGE CI_COMMIT_BEFORE_SHA CI_COMMIT_BRANCH
    CI_COMMIT_REF_NAME CI_COMMIT_REF_PROTECTED CI_COMMIT_REF_SLUG CI_COMMIT_SHA
    CI_COMMIT_SHORT_SHA CI_COMMIT_TIMESTAMP CI_COMMIT_TITLE CI_CONFIG_PATH CI_DEFAULT_BRANCH
    CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX
    CI_DEPENDENCY_PROXY_SERVER CI_DEPENDENCY_PROXY_USER CI_JOB_ID CI_JOB_NAME CI_JOB_NAME_SLUG
    CI_JOB_STAGE CI_JOB_STARTED_AT CI_JOB_URL CI_NODE_TOTAL CI_PAGES_DOMAIN CI_PAGES_URL
    CI_PIPELINE_CREATED_AT CI_PIPELINE_ID CI_PIPELINE_IID CI_PIPELINE_SOURCE CI_PIPELINE_URL
    CI_PROJECT_CLASSIFICATION_LABEL CI_PROJECT_DESCRIPTION CI_PROJECT_ID CI_PROJECT_NAME
    CI_PROJECT_NAMESPACE CI_PROJECT_NAMESPACE_ID CI_PROJECT_PATH CI_PROJECT_PATH_SLUG
    CI_PROJECT_REPOSITORY_LANGUAGES CI_PROJECT_ROOT_NAMESPACE CI_PROJECT_TITLE CI_PROJECT_URL
    CI_PROJECT_VISIBILITY CI_REGISTRY CI_REGISTRY_IMAGE CI_REGISTRY_USER CI_RUNNER_DESCRIPTION
    CI_RUNNER_EXECUTABLE_ARCH CI_RUNNER_ID CI_RUNNER_TAGS CI_SERVER_HOST CI_SERVER_NAME
    CI_SERVER_PORT CI_SERVER_PROTOCOL CI_SERVER_REVISION CI_SERVER_SHELL_SSH_HOST
    CI_SERVER_SHELL_SSH_PORT CI_SERVER_URL CI_SERVER_VERSION CI_SERVER_VERSION_MAJOR
    CI_SERVER_VERSION_MINOR CI_SERVER_VERSION_PATCH CI_TEMPLATE_REGISTRY_HOST
    GITLAB_FEATURES GITLAB_USER_ID GITLAB_USER_LOGIN
    """.split()
)
_CI_PREFIXES = ("GITHUB_", "RUNNER_", "CI_", "GITLAB_")


def _provenance_env(environ: Mapping[str, str]) -> dict[str, str]:
    """What ``npm publish --provenance`` reads of the CI: its identity, and the variables its
    SLSA statement records (:data:`_PROVENANCE_READS`), nothing else of ``environ``."""
    return {
        name: value
        for name, value in environ.items()
        if name in _IDENTITY or name in _PROVENANCE_READS
    }


def _other_ci_variables(environ: Mapping[str, str]) -> list[str]:
    """The CI's variables in ``environ`` (``os.environ``: the child environment's base) that
    npm does not read: left out of the publishing npm's environment (``CI_JOB_JWT``...)."""
    return [
        name
        for name in environ
        if name.upper().startswith(_CI_PREFIXES) and name not in _PROVENANCE_READS
    ]


def refuse_other_bytes(artifact: NpmArtifact, registry: str, served: str) -> None:
    """Raise unless ``served`` (what the registry has for this version) is ``artifact``'s
    integrity: a version, once published, can never be replaced, so nothing is sent."""
    if served != artifact.integrity:
        raise PublishError(
            f"{registry} already has {artifact.spec} with integrity {served}, "
            f"not this tarball's {artifact.integrity}: nothing was published",
            "an npm version can never be replaced: bump the version and release again "
            "(or deprecate the bad one with `releasekit yank`)",
        )


def deprecate(
    registry_url: str,
    name: str,
    version: str,
    message: str,
    *,
    token_env: str = "NODE_AUTH_TOKEN",
    environ: Mapping[str, str],
    log: proc.Log = proc.no_log,
) -> None:
    """``npm deprecate name@version message``, with the token scoped as for a publish.

    npm's registry can deprecate (not delete) a version: installs still work, with the
    message as a warning. Verified by reading the packument afterwards.
    """
    registry = registry_root(registry_url)
    if not message.strip():
        raise PublishError(
            f"no reason to deprecate {name}@{version} with",
            "give one (--reason); an empty message would un-deprecate it",
        )
    if _version_doc(registry, name, version, abbreviated=False) is None:
        raise PublishError(
            f"{registry} has no {name}@{version} to deprecate", "check the version and registry"
        )
    token = environ.get(token_env, "")
    if not token:
        raise PublishError(
            f"no {token_env} to deprecate {name}@{version} on {registry}",
            f"set {token_env} to a token allowed to publish {name}",
        )
    with npm_userconfig(registry, token_env) as userconfig:
        proc.run(
            ["npm", "deprecate", f"{name}@{version}", message, "--registry", registry],
            what=f"npm deprecate {name}@{version}",
            error=PublishError,
            hint=f"check {token_env} (a token allowed to publish {name})",
            cwd=userconfig.parent,
            env={token_env: token, "NPM_CONFIG_USERCONFIG": str(userconfig)},
            log=log,
            secrets=[token],
            timeout=NPM_TIMEOUT,
        )
    doc = _version_doc(registry, name, version, abbreviated=False)
    if doc is None or doc.get("deprecated") != message:
        raise PublishError(
            f"npm deprecate passed but {registry} does not show {name}@{version} as deprecated",
            "look at the package page; the registry may still be propagating",
        )
    log(f"deprecated {name}@{version} on {registry}: {message}")


# -- helpers -----------------------------------------------------------------------------------


def registry_root(registry_url: str) -> str:
    """``registry_url`` with one trailing slash; plain http only to loopback.

    The rule is :func:`releasekit.core.urls.unsafe_reason`'s; the words are npm's. Every registry
    URL passes through here before npm or a packument read gets it.
    """
    reason = urls.unsafe_reason(registry_url)
    if reason == urls.HAS_CREDENTIALS:
        raise PublishError(
            f"{urls.redact_url(registry_url)} has credentials in it",
            "remove the user and password from the registry URL: the token comes from the "
            "environment (NODE_AUTH_TOKEN)",
        )
    if reason == urls.PLAIN_HTTP:
        raise PublishError(
            f"{registry_url} is plain http: a token or a tarball would travel in clear",
            "use https (http is only for a registry on this machine)",
        )
    if reason is not None:
        raise PublishError(
            f"{registry_url!r} is not a registry URL", f"use e.g. {DEFAULT_REGISTRY}"
        )
    return registry_url.rstrip("/") + "/"


@contextlib.contextmanager
def npm_userconfig(registry: str, token_env: str | None) -> Iterator[Path]:
    """A private temporary directory holding the ``.npmrc`` for one npm process.

    The directory is also the process's working directory, so no project ``.npmrc`` of the
    caller's working directory (which could name another registry or token) applies.
    """
    with tempfile.TemporaryDirectory(prefix="releasekit-npmrc-") as tmp:
        path = Path(tmp) / ".npmrc"
        path.write_text(npmrc_text(registry, token_env), encoding="utf-8")
        path.chmod(0o600)
        yield path


def artifact_of(manifest: Manifest, out: Path) -> NpmArtifact:
    """The manifest's tarball as an :class:`NpmArtifact`, hashed again."""
    (path,) = manifest.verified_paths(out)
    (item,) = manifest.files
    assert item.integrity is not None
    return NpmArtifact(
        path, manifest.name, manifest.version, item.sha256, item.integrity, item.size
    )

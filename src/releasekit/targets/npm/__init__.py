"""The npm registry as a release target (an npm member of a workspace).

npm has no test registry, so the registry is a prod-stage target: it takes tagged builds
only (any build in a rehearsal, where verdaccio stands in for it). A tarball is compared by
the sha512 ``integrity`` the registry serves for the version; publishing is ``npm publish``
of the exact packed tarball with dist-tag ``latest`` or ``next``
(:mod:`releasekit.targets.npm.registry`), journaled the moment npm returns, then the registry is
read until it serves that integrity. Withdrawing is ``npm deprecate``, which npm has an API for.

Without long-lived tokens: trusted publishing (OIDC) where the job can mint an ID token
(:mod:`releasekit.targets.npm.trusted`: releasekit does npm's exchange itself, so a refusal is
an error, never npm's silent fallback to a token; tried for every member before anything is
uploaded), provenance where npm can sign, verified through the registry's attestations
(:mod:`releasekit.targets.npm.provenance`); both on by default for registry.npmjs.org only
(another registry, GitHub Packages say, has no exchange endpoint and keeps no attestations:
there they are off unless the configuration turns them on), and staged
publishing (``npm-publish = "stage"``: :mod:`releasekit.targets.npm.staging`), which ends
"staged, awaiting approval" with the stage id journaled and the approve command printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from releasekit.engine.records import FileOutcome
from releasekit.engine.remote import PackageFormat
from releasekit.runtime.credentials import Credentials, npm_credentials
from releasekit.targets.base import Published, PublishRun, RemoteView, Stage, Target, TargetState

if TYPE_CHECKING:
    from releasekit.engine.manifest import DistFile, Manifest
    from releasekit.engine.plan import TargetPlan
    from releasekit.engine.runcontext import Project
    from releasekit.engine.status import Observed
    from releasekit.targets.npm.registry import Staged
    from releasekit.targets.npm.trusted import NpmAuth

__all__ = ["NPMJS_HOST", "NpmRegistryTarget"]

# the one registry trusted publishing and provenance are on for by default
NPMJS_HOST = "registry.npmjs.org"


class NpmRegistryTarget(Target):
    """The workspace's npm registry (``npm-registry``), for one npm member.

    How it publishes is decided when it is made, and said in the plan: ``mode`` (``publish``,
    or ``stage``: ``npm stage publish``, a human approves), the credential
    (:func:`releasekit.targets.npm.trusted.plan_auth`: trusted publishing where the job can
    mint an ID token, else ``NODE_AUTH_TOKEN``) and provenance (where npm can sign).
    ``provenance`` and ``trusted_publishing`` left ``None`` (unset in the configuration) are
    on for registry.npmjs.org and off for any other registry.
    """

    noun = "registry"
    verb = "published"

    def __init__(
        self,
        registry: str,
        *,
        environ: Mapping[str, str],
        timeout: float = 300.0,
        rehearsal: bool = False,
        mode: str = "publish",
        provenance: bool | None = None,
        trusted_publishing: bool | None = None,
        upstream: str | None = None,
    ) -> None:
        from urllib.parse import urlsplit

        self.name = "npm"
        self.stage = Stage.PROD
        self.url = self.publish_url = registry
        self.environ = environ
        self.timeout = timeout
        self.rehearsal = rehearsal
        self.mode = mode
        npmjs = (urlsplit(registry).hostname or "").lower() == NPMJS_HOST
        self.provenance = npmjs if provenance is None else provenance
        self.trusted_publishing = npmjs if trusted_publishing is None else trusted_publishing
        # the keys left unset that the registry turned off (said in the plan)
        self.off_by_registry = tuple(
            key
            for key, value in (("npm-trusted-publishing", trusted_publishing),
                               ("npm-provenance", provenance))
            if value is None and not npmjs
        )  # fmt: skip
        # a rehearsal's stand-in: the registry it reads third-party packages from
        self.upstream = upstream

    @classmethod
    def configure(cls, project: Project, *, withdrawing: bool = False) -> list[Target]:
        if project.kind.format is not PackageFormat.NPM:
            return []
        from releasekit.project.workspace import npm_publishing

        # the workspace's keys, or (publishing an artifact) the ones its build handed on,
        # validated as the workspace file is
        settings = npm_publishing(project.npm_publishing_table(), "npm publishing")
        return [
            cls(
                project.npm_registry,
                environ=project.environ,
                timeout=project.config.propagation_timeout,
                mode=project.options.npm_publish or settings["npm_publish"],
                provenance=settings["npm_provenance"],
                trusted_publishing=settings["npm_trusted_publishing"],
            )
        ]

    def stand_in(self, project: Project, log: Callable[[str], None]) -> Target:
        from releasekit.core import git
        from releasekit.rehearsal import local_npm_registry

        key = git.head_commit(project.root) or "no-commit"
        url, environ = local_npm_registry(
            project.state_dir / "rehearsal", key, log=log, upstream=self.url,
            own=_released_names(project),
        )  # fmt: skip
        if self.staging:
            log("npm: verdaccio has no staging: the rehearsal publishes (the release stages)")
        return NpmRegistryTarget(
            url, environ=environ, timeout=self.timeout, rehearsal=True, provenance=False,
            trusted_publishing=False, upstream=self.url,
        )  # fmt: skip

    def upstream_problem(self) -> str | None:
        """Why a rehearsal's stand-in cannot read third-party packages from the registry it
        stands in for (``None``: it answers, or this is no stand-in): asked after an install
        from the stand-in failed, so the failure names that registry instead of npm's 404
        for the first dependency."""
        import urllib.error

        from releasekit.runtime import net

        if self.upstream is None:
            return None
        try:
            with net.open_url(self.upstream, 5.0):
                return None
        except urllib.error.HTTPError:  # it answered: reachable
            return None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return str(reason) or type(exc).__name__

    # -- how it publishes, decided up front ------------------------------------------------

    @property
    def staging(self) -> bool:
        """``npm stage publish`` (never in a rehearsal: verdaccio has no staging)."""
        return self.mode == "stage" and not self.rehearsal

    def auth(self) -> NpmAuth:
        from releasekit.targets.npm.trusted import plan_auth

        return plan_auth(self.environ, trusted_publishing=self.trusted_publishing)

    def provenance_ci(self) -> str | None:
        from releasekit.targets.npm.provenance import provenance_ci

        return provenance_ci(self.environ, wanted=self.provenance, rehearsal=self.rehearsal,
                             oidc=self.auth().method == "oidc")  # fmt: skip

    def how(self) -> str:
        """What the plan says: ``npm: trusted publishing (OIDC, GitHub Actions), provenance``,
        ``npm: staged (a human approves) with token from NODE_AUTH_TOKEN``."""
        auth = self.auth().said()
        said = f"staged (npm stage publish; a human approves) with {auth}" if self.staging else auth
        ci = self.provenance_ci()
        text = f"npm: {said}" + (f", provenance ({ci})" if ci else ", no provenance")
        return text + "".join(f" ({note})" for note in self._notes())

    def _notes(self) -> list[str]:
        """Why the plan does without what the job could do: the registry's defaults, and
        provenance on GitHub Actions with trusted publishing off."""
        if self.rehearsal:
            return []
        from releasekit.targets.npm.provenance import provenance_ci
        from releasekit.targets.npm.trusted import plan_auth

        if self.provenance and not self.provenance_ci():
            if provenance_ci(self.environ, wanted=True, rehearsal=False):
                return [
                    "on GitHub Actions npm signs provenance with the ID token it would also "
                    "exchange for a publish token: with npm-trusted-publishing = false it "
                    "gets neither"
                ]
        if not self.off_by_registry:
            return []

        could = plan_auth(self.environ).method == "oidc" or provenance_ci(
            self.environ, wanted=True, rehearsal=False
        )
        if not could:
            return []
        off = " and ".join(k.removeprefix("npm-").replace("-", " ") for k in self.off_by_registry)
        keys = " and ".join(f"{k} = true" for k in self.off_by_registry)
        them = "turn them" if len(self.off_by_registry) > 1 else "turns it"
        return [f"{off} off: {self.url} is not {NPMJS_HOST}; {keys} {them} on"]

    def preview(self, name: str, version: str) -> str | None:
        from releasekit.targets.npm import registry as npm

        served = npm.registry_state(self.url, name, version)
        state = "not published yet" if served is None else f"already there ({served[:22]}...)"
        return f"npm ({self.url}): {name}@{version} {state}; {self.how()}"

    def read(self, manifest: Manifest) -> TargetState:
        from releasekit.targets.npm import registry as npm

        served = npm.registry_state(self.url, manifest.name, manifest.version)
        if served is None:
            return TargetState()
        return TargetState(
            files={f.filename: RemoteView(None, integrity=served) for f in manifest.files}
        )

    def preflight(
        self, dist_dir: Path, manifest: Manifest, uploads: Sequence[str]
    ) -> tuple[tuple[str, str], ...]:
        """Checked before anything is published anywhere (every member's plan is made before
        the first upload): the npm CLI is new enough for what the plan uses (trusted
        publishing: npm >= 11.5.1; staging: npm >= 11.15), and under trusted publishing the
        registry exchanges the job's ID token for this package. A package without a trusted
        publisher is refused here, not after the members before it went out; the token it
        gives is dropped (the publish exchanges again: it lives minutes)."""
        if self.rehearsal or not uploads:
            return ()
        from releasekit.errors import PublishError
        from releasekit.targets.npm import trusted

        auth = self.auth()
        oidc = auth.method == "oidc"
        if not (oidc or self.staging):
            return ()
        refusal = trusted.version_refusal(trusted.npm_version(), oidc=oidc, stage=self.staging)
        if refusal:
            return (refusal,)
        if oidc:
            try:
                identity = trusted.id_token(auth, self.url, self.environ)
                trusted.exchange(self.url, manifest.name, identity)
            except PublishError as error:
                return ((error.message, error.hint),)
        return ()

    def observe(self, name: str, version: str, manifest: Manifest | None) -> Observed:
        """The integrity the registry serves for ``name@version`` (under the build's tarball
        name, else the registry's) and the package's dist-tags: one anonymous read. Staged
        versions of it too, when ``NODE_AUTH_TOKEN`` can read the stage list."""
        from releasekit.engine.status import Observed
        from releasekit.targets.npm import registry as npm

        served, filename, tags = npm.version_view(self.url, name, version)
        details: tuple[str, ...] = ()
        if tags:
            details = ("dist-tags: " + ", ".join(f"{t}={v}" for t, v in sorted(tags.items())),)
        awaiting, said, read = self._staged(name, version) if served is None else ((), (), False)
        details += said
        if served is None:
            return Observed(state="staged" if awaiting else None, details=details,
                            awaiting=awaiting, awaiting_read=read)  # fmt: skip
        if manifest is not None and manifest.files:
            filename = manifest.files[0].filename
        name_of = filename or f"{name}@{version}"
        return Observed(
            files={name_of: RemoteView(None, integrity=served)},
            state="published",
            details=details,
        )

    def _staged(self, name: str, version: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
        """(awaiting lines, detail lines, whether the list was read) of the registry's stage
        list for ``version``."""
        from releasekit.errors import ReleasekitError
        from releasekit.targets.npm import registry as npm
        from releasekit.targets.npm.staging import approve_command, list_staged

        token = self.environ.get("NODE_AUTH_TOKEN", "")
        if not token or self.rehearsal:
            unread = "staged versions not read (set NODE_AUTH_TOKEN to read the stage list)"
            return (), ((unread,) if self.staging else ()), False
        try:
            staged = [s for s in list_staged(npm.registry_root(self.url), name, token)
                      if s.version == version]  # fmt: skip
        except ReleasekitError as error:
            return (), (f"staged versions not read: {error.message}",), False
        awaiting = tuple(
            f"{name}@{version} staged as {s.id}"
            + (f" by {s.actor}" if s.actor else "")
            + (f" at {s.created}" if s.created else "")
            + f", awaiting approval: {approve_command(s.id, self.url)}"
            for s in staged
        )
        return awaiting, (), True

    def credentials(self) -> Credentials:
        auth = self.auth()
        if auth.method is None:
            return npm_credentials(self.environ)
        return Credentials(True, how=auth.said(), trusted=auth.method == "oidc", said=self.how())

    def publish(
        self, manifest: Manifest, dist_dir: Path, planned: TargetPlan, run: PublishRun
    ) -> Published | None:
        from releasekit.targets.npm import registry as npm
        from releasekit.targets.npm.registry import artifact_of

        (item,) = manifest.files
        tag = npm.dist_tag_for(manifest.version)
        verb = "stage" if self.staging else "publish"
        if run.dry_run:
            run.log(f"dry run: would {verb} {item.filename} to {self.url} with dist-tag {tag} "
                    f"({self.how()})")  # fmt: skip
            return None
        if planned.uploads and not run.rehearse:
            run.confirm(
                f"{verb.capitalize()} {manifest.name} {manifest.version} (1 file(s)) to "
                f"{self.url}? [y/N] "
            )
        artifact = artifact_of(manifest, dist_dir)
        ci = self.provenance_ci()
        common: dict[str, Any] = {
            "tag": tag, "environ": self.environ, "provenance": ci is not None,
            "trusted_publishing": self.trusted_publishing, "log": run.log,
        }  # fmt: skip
        run.log(self.how())
        if self.staging:
            staged = npm.stage(artifact, self.url, **common)
            if isinstance(staged, npm.Staged):
                return self._staged_result(manifest, item, staged, run)
            outcome: npm.PublishOutcome = staged
        else:
            outcome = npm.publish(artifact, self.url, **common)
        if outcome == "published":  # journaled before any wait: it is out
            run.journal.record(
                "npm-publish", self.name, item.filename, item.sha256, url=self.url,
                version=manifest.version,
            )  # fmt: skip
        npm.wait_until_served(
            self.url, artifact.name, artifact.version, artifact.integrity,
            timeout=self.timeout, log=run.log,
        )  # fmt: skip
        if ci is not None:  # a rerun that finds it identical proves it too: asked is asked
            from releasekit.targets.npm.provenance import verify_provenance

            verify_provenance(
                npm.registry_root(self.url), artifact.name, artifact.version,
                artifact.integrity, timeout=min(self.timeout, 120.0), log=run.log,
            )  # fmt: skip
        result = "1 published" if outcome == "published" else "already identical"
        run.log(f"npm ({self.url}): {result}; serves the packed integrity")
        return Published(result, (FileOutcome(item.filename, item.sha256, outcome),), self.url)

    def _staged_result(
        self, manifest: Manifest, item: DistFile, staged: Staged, run: PublishRun
    ) -> Published:
        """Journal the stage (its id, the approve command) and say what a human does next:
        the registry serves nothing until then, so nothing is installed from it."""
        from releasekit.targets.npm.staging import approve_command

        approve = approve_command(staged.stage_id, self.url)
        if not staged.earlier:
            run.journal.record(
                "npm-stage", self.name, item.filename, item.sha256, url=self.url,
                version=manifest.version, stage_id=staged.stage_id, awaiting=approve,
            )  # fmt: skip
        run.log(
            f"npm ({self.url}): {manifest.name}@{manifest.version} is STAGED (stage id "
            f"{staged.stage_id}), awaiting approval; the registry serves it once a maintainer "
            f"runs (with 2FA): {approve}"
        )
        result = f"staged as {staged.stage_id}, awaiting approval: {approve}"
        return Published(
            result, (FileOutcome(item.filename, item.sha256, "staged"),), self.url, served=False
        )

    def install_source(self) -> str | None:
        return self.url

    empty_reason = (
        "npm deprecate needs a reason: {members} would be deprecated with an empty message "
        "(which npm takes as un-deprecating)"
    )

    def withdraw(
        self, name: str, version: str, reason: str, echo: Callable[[str], None]
    ) -> tuple[str, str] | None:
        """``npm deprecate``; without a token, what to set (the token stays in the
        environment: npm reads it through a temporary .npmrc)."""
        from releasekit.targets.npm import registry as npm

        if not self.environ.get("NODE_AUTH_TOKEN"):
            echo(
                f"  npm: set NODE_AUTH_TOKEN (a token allowed to publish {name}) to "
                f"deprecate {name}@{version}, or run `npm deprecate {name}@{version} "
                '"<reason>"` logged in to the registry'
            )
            return (
                "NODE_AUTH_TOKEN is not set to deprecate",
                "set NODE_AUTH_TOKEN to a token allowed to publish the packages, then run the "
                "same command again",
            )

        def log(text: str) -> None:  # npm's output (on a failure) too, indented
            for line in text.splitlines():
                echo(f"  npm: {line}")

        npm.deprecate(self.url, name, version, reason, environ=self.environ, log=log)
        echo("  npm: installs still work; npm shows the reason as a warning on each")
        return None


def _released_names(project: Project) -> tuple[str, ...]:
    """The npm packages a rehearsal of ``project``'s run publishes: the npm members it
    releases (``--only``'s, else all). Their names are never read from the real registry;
    a member left out of the run is a dependency like any other."""
    workspace = project.workspace
    if workspace is None:
        return (project.name,)
    members = workspace.select(project.options.only)
    return tuple(m.name for m in members if m.kind == "npm") or (project.name,)

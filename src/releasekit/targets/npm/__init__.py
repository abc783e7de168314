"""The npm registry as a release target (an npm member of a workspace).

npm has no test registry, so the registry is a prod-stage target: it takes tagged builds
only (any build in a rehearsal, where verdaccio stands in for it). A tarball is compared by
the sha512 ``integrity`` the registry serves for the version; publishing is ``npm publish``
of the exact packed tarball with dist-tag ``latest`` or ``next``
(:mod:`releasekit.targets.npm.registry`), journaled the moment npm returns, then the registry is
read until it serves that integrity. Withdrawing is ``npm deprecate``, which npm has an API for.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from releasekit.engine.records import FileOutcome
from releasekit.engine.remote import PackageFormat
from releasekit.runtime.credentials import Credentials, github_oidc, npm_credentials
from releasekit.targets.base import Published, PublishRun, RemoteView, Stage, Target, TargetState

if TYPE_CHECKING:
    from releasekit.engine.manifest import Manifest
    from releasekit.engine.plan import TargetPlan
    from releasekit.engine.runcontext import Project
    from releasekit.engine.status import Observed

__all__ = ["NpmRegistryTarget"]


class NpmRegistryTarget(Target):
    """The workspace's npm registry (``npm-registry``), for one npm member."""

    noun = "registry"
    verb = "published"

    def __init__(
        self,
        registry: str,
        *,
        environ: Mapping[str, str],
        timeout: float = 300.0,
        rehearsal: bool = False,
    ) -> None:
        self.name = "npm"
        self.stage = Stage.PROD
        self.url = self.publish_url = registry
        self.environ = environ
        self.timeout = timeout
        self.rehearsal = rehearsal

    @classmethod
    def configure(cls, project: Project, *, withdrawing: bool = False) -> list[Target]:
        if project.kind.format is not PackageFormat.NPM:
            return []
        return [
            cls(
                project.npm_registry,
                environ=project.environ,
                timeout=project.config.propagation_timeout,
            )
        ]

    def stand_in(self, project: Project, log: Callable[[str], None]) -> Target:
        from releasekit.core import git
        from releasekit.rehearsal import local_npm_registry

        key = git.head_commit(project.root) or "no-commit"
        url, environ = local_npm_registry(project.state_dir / "rehearsal", key, log=log)
        return NpmRegistryTarget(url, environ=environ, timeout=self.timeout, rehearsal=True)

    def preview(self, name: str, version: str) -> str | None:
        from releasekit.targets.npm import registry as npm

        served = npm.registry_state(self.url, name, version)
        state = "not published yet" if served is None else f"already there ({served[:22]}...)"
        return f"npm ({self.url}): {name}@{version} {state}"

    def read(self, manifest: Manifest) -> TargetState:
        from releasekit.targets.npm import registry as npm

        served = npm.registry_state(self.url, manifest.name, manifest.version)
        if served is None:
            return TargetState()
        return TargetState(
            files={f.filename: RemoteView(None, integrity=served) for f in manifest.files}
        )

    def observe(self, name: str, version: str, manifest: Manifest | None) -> Observed:
        """The integrity the registry serves for ``name@version`` (under the build's tarball
        name, else the registry's) and the package's dist-tags: one anonymous read."""
        from releasekit.engine.status import Observed
        from releasekit.targets.npm import registry as npm

        served, filename, tags = npm.version_view(self.url, name, version)
        details = ("dist-tags: " + ", ".join(f"{t}={v}" for t, v in sorted(tags.items())),)
        if served is None:
            return Observed(details=details if tags else ())
        if manifest is not None and manifest.files:
            filename = manifest.files[0].filename
        name_of = filename or f"{name}@{version}"
        return Observed(
            files={name_of: RemoteView(None, integrity=served)},
            state="published",
            details=details,
        )

    def credentials(self) -> Credentials:
        return npm_credentials(self.environ)

    def publish(
        self, manifest: Manifest, dist_dir: Path, planned: TargetPlan, run: PublishRun
    ) -> Published | None:
        from releasekit.targets.npm import registry as npm
        from releasekit.targets.npm.registry import artifact_of

        (item,) = manifest.files
        tag = npm.dist_tag_for(manifest.version)
        if run.dry_run:
            run.log(f"dry run: would publish {item.filename} to {self.url} with dist-tag {tag}")
            return None
        if planned.uploads and not run.rehearse:
            run.confirm(
                f"Publish {manifest.name} {manifest.version} (1 file(s)) to {self.url}? [y/N] "
            )
        artifact = artifact_of(manifest, dist_dir)
        outcome = npm.publish(
            artifact,
            self.url,
            tag=tag,
            environ=self.environ,
            provenance=not self.rehearsal and github_oidc(self.environ),
            log=run.log,
        )
        if outcome == "published":  # journaled before any wait: it is out
            run.journal.record(
                "npm-publish", self.name, item.filename, item.sha256, url=self.url,
                version=manifest.version,
            )  # fmt: skip
        npm.wait_until_served(
            self.url, artifact.name, artifact.version, artifact.integrity,
            timeout=self.timeout, log=run.log,
        )  # fmt: skip
        result = "1 published" if outcome == "published" else "already identical"
        run.log(f"npm ({self.url}): {result}; serves the packed integrity")
        return Published(result, (FileOutcome(item.filename, item.sha256, outcome),), self.url)

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

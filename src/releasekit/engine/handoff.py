"""What the publishing jobs need of the project, carried in the artifact beside the files.

PyPA's trust model for CI: one unprivileged job checks, builds and smoke-installs; the jobs
that hold ``id-token: write`` check out nothing and run no project code and no build backend.
They only download the built files and upload them. Yet publishing needs a little of the
project: its package name, where its indexes are, whether it makes a GitHub release (and
the changelog section that becomes its notes), its tag style, the smoke commands that the
install check after each upload runs, the wheel matrix it declares.

So the build writes that part into ``dist/releasekit-project.json``, and
``releasekit publish-test --dist dist`` (and ``publish``, ``verify-install``,
``github-release``) opens the release from the artifact alone
(:meth:`releasekit.release.Release.from_artifact`): no checkout, no ``pyproject.toml``, no
noxfile, no git. The configuration travels as the ``[tool.releasekit]`` keys that
publishing reads, so the publishing side validates it with the very parser the build used;
the build-only keys (``version-files``, ``check-sessions``, ``prepare-commands``, ...) stay
behind, because nothing there may run them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.core.config import Config, parse_config
from releasekit.engine.records import HANDOFF_NAME, write_atomic
from releasekit.errors import ReleasekitError

__all__ = ["Handoff"]

_FORMAT = 1
_HINT = (
    "download the whole artifact of the build job (it holds the built files, "
    f"releasekit-manifest.json and {HANDOFF_NAME}), built by `nox -s build` with this "
    "releasekit"
)


@dataclass(frozen=True)
class Handoff:
    """The project as the publishing side sees it: ``releasekit-project.json``."""

    name: str  # the package name, as the build's metadata spelled it
    kind: str  # a key of releasekit.kinds.KINDS
    table: Mapping[str, Any]  # the [tool.releasekit] keys publishing reads
    files: Mapping[str, str]  # project files publishing reads (the changelog): path -> text
    npm_registry: str | None = None  # an npm package's registry (a workspace's npm-registry)
    # an npm package's publishing keys (npm-publish, npm-provenance, npm-trusted-publishing)
    npm: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        config: Config,
        *,
        name: str,
        kind: str,
        tag_prefix: str | None,
        npm_registry: str | None = None,
        npm: Mapping[str, Any] | None = None,
    ) -> Handoff:
        """What ``config`` hands to publishing; ``tag_prefix`` is the tag style the build
        resolved (from the repository's tags when ``tag-prefix`` is unset), since the
        publishing side has no repository to read it from."""
        smoke = config.smoke
        table: dict[str, Any] = {
            "pre-release": config.pre_release,
            "indexes": {
                index.name: {
                    "url": index.url,
                    "publish-url": index.publish_url,
                    # the publishing job's preflight holds each file to the project's limit
                    **(
                        {"upload-limit-mb": index.upload_limit_mb}
                        if index.upload_limit_mb is not None
                        else {}
                    ),
                    # and to the same rules: PyPI's, or what any index takes
                    **({} if index.pypi_rules else {"pypi-rules": False}),
                }
                for index in config.indexes.values()
            },
            "github-release": config.github_release,
            "smoke": {
                "pythons": list(smoke.pythons),
                "commands": list(smoke.commands),
                "extras": {extra: list(commands) for extra, commands in smoke.extras.items()},
                "timeout": smoke.timeout,
            },
            "propagation-timeout": config.propagation_timeout,
        }
        if tag_prefix is not None:
            table["tag-prefix"] = tag_prefix
        if config.install_index is not None:
            table["install-index"] = config.install_index
        if config.tools_index is not None and "://" in config.tools_index:
            # a mirror for twine travels; a directory of the build's machine would not exist
            table["tools-index"] = config.tools_index
        if config.attestations is not None:
            table["attestations"] = config.attestations
        if config.wheels is not None and not config.wheels.cibuildwheel:
            # the declared matrix, as identifiers and tags (the list form parses back to the
            # same spec): the publishing job's plan and `status --dist` hold the artifact
            # to it. A matrix that names cibuildwheel platforms stays behind: expanding it
            # takes cibuildwheel and [tool.cibuildwheel], which the publishing jobs lack
            # (the job that collected the wheels checked it)
            table["wheels"] = list(config.wheels.wheels)
        files: dict[str, str] = {}
        changelog = config.changelog_path()
        if changelog is not None and changelog.is_file():
            try:
                relative = changelog.relative_to(config.root).as_posix()
            except ValueError:  # a member's changelog kept at the workspace root
                relative = changelog.name
            table["changelog"] = relative
            files[relative] = changelog.read_text(encoding="utf-8")
        elif config.changelog is False:
            table["changelog"] = False
        return cls(name=name, kind=kind, table=table, files=files, npm_registry=npm_registry,
                   npm=dict(npm or {}))  # fmt: skip

    def save(self, dist_dir: Path) -> None:
        data = {
            "format": _FORMAT,
            "name": self.name,
            "kind": self.kind,
            "tool.releasekit": dict(self.table),
            "files": dict(self.files),
            "npm-registry": self.npm_registry,
            "npm": dict(self.npm),
        }
        write_atomic(dist_dir / HANDOFF_NAME, json.dumps(data, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, dist_dir: Path) -> Handoff:
        path = dist_dir / HANDOFF_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReleasekitError(f"{dist_dir} has no {HANDOFF_NAME}", _HINT) from None
        except (OSError, ValueError) as exc:
            raise ReleasekitError(f"{path} is unreadable: {exc}", _HINT) from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ReleasekitError(
                f"{path} is not a format-{_FORMAT} handoff of this releasekit",
                "build and publish with the same releasekit (pin it in both jobs)",
            )
        name, kind = data.get("name"), data.get("kind")
        table, files = data.get("tool.releasekit"), data.get("files")
        registry = data.get("npm-registry")
        npm = data.get("npm", {})
        if not (
            isinstance(npm, dict)
            and isinstance(name, str)
            and (registry is None or isinstance(registry, str))
            and isinstance(kind, str)
            and isinstance(table, dict)
            and isinstance(files, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
        ):
            raise ReleasekitError(f"{path} is malformed", _HINT)
        return cls(name=name, kind=kind, table=table, files=files, npm_registry=registry, npm=npm)

    def unpack(self, root: Path) -> Config:
        """The configuration, validated as the build validated it, with ``root`` standing
        for the project directory: the files publishing reads are written there."""
        root.mkdir(parents=True, exist_ok=True)
        for relative, text in self.files.items():
            path = (root / relative).resolve()
            if not path.is_relative_to(root.resolve()):
                raise ReleasekitError(
                    f"{HANDOFF_NAME} names a file outside the project: {relative!r}", _HINT
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return parse_config({"tool": {"releasekit": dict(self.table)}}, root)

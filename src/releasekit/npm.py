"""The npm target: pack once, check, publish those exact bytes, prove the registry serves them.

The same guarantees as the PyPI side, in npm's terms:

- **one artifact.** ``npm pack`` runs once; the tarball it writes is what is checked,
  published, compared and recorded (its sha256 for the manifest and the journal, its sha512
  ``integrity``, which is what a registry's packument reports for a version);
- **compare, never assume.** A version already on the registry with the same integrity is
  "already identical" (a rerun, or a publish whose answer was lost): nothing is published.
  The same version with another integrity can never be replaced, so it is refused *before*
  anything is published;
- **the token reaches npm only.** ``NODE_AUTH_TOKEN`` (what ``actions/setup-node`` sets) is
  handed to the one npm process that publishes or deprecates, in its environment, through a
  temporary ``.npmrc`` that *references* the variable (``${NODE_AUTH_TOKEN}``) and is named by
  ``NPM_CONFIG_USERCONFIG``. The token is never written to a file, never on a command line,
  never logged (:func:`releasekit.proc.run` redacts it from any output shown). Every other
  npm process gets :func:`releasekit.proc.child_env`, which has no ``*_TOKEN`` at all;
- **proved from outside.** After a publish the packument is read, without credentials, until
  it serves this version with this integrity (registries propagate; it waits and says so);
  then the version is installed from the registry into a fresh project and loaded with
  ``require`` (and ``import`` for ES modules), as a user would.

The temporary ``.npmrc`` replaces the user's own for that one process: a token for the same
registry in ``~/.npmrc`` must not win over the one releasekit was given. npm's global config
(``cafile`` and the like) still applies.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import hashlib
import json
import posixpath
import re
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from releasekit import proc
from releasekit.config import is_loopback
from releasekit.errors import BuildError, PublishError, SmokeError, VersionError

__all__ = [
    "DEFAULT_REGISTRY",
    "OIDC_VARIABLES",
    "DistTag",
    "NpmArtifact",
    "PublishOutcome",
    "check",
    "deprecate",
    "dist_tag_for",
    "install_and_import",
    "integrity_of",
    "npmrc_text",
    "pack",
    "packument_url",
    "publish",
    "publish_argv",
    "registry_state",
    "tarball_entry_points",
    "wait_until_served",
]

DEFAULT_REGISTRY = "https://registry.npmjs.org/"
DistTag = Literal["latest", "next"]
PublishOutcome = Literal["published", "identical"]
# npm >= 11.5 exchanges GitHub's OIDC request pair for a publish token (trusted publishing),
# and --provenance signs with it; only the publishing npm process gets them.
OIDC_VARIABLES = proc.OIDC_VARIABLES

_USER_AGENT = "releasekit (+https://github.com/releasekit/releasekit)"
_NPM_TIMEOUT = 600.0
_HTTP_TIMEOUT = 30.0
# https://semver.org: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]
_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_NAME = re.compile(r"(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*")


# -- the artifact ------------------------------------------------------------------------------


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


def pack(package_dir: Path, out_dir: Path, *, log: proc.Log = proc.no_log) -> NpmArtifact:
    """``npm pack`` ``package_dir`` once into ``out_dir``; the tarball is the artifact.

    npm runs the package's ``prepack``/``prepare`` scripts (its build) as usual. The digests
    are computed here from the file itself and must agree with what npm reports, so the
    manifest never trusts a tool's word over the bytes.
    """
    package_dir = Path(package_dir).resolve()
    out_dir = Path(out_dir).resolve()
    if not (package_dir / "package.json").is_file():
        raise BuildError(
            f"{package_dir} has no package.json",
            "an npm member is a directory holding a package.json",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    output = proc.run(
        ["npm", "pack", "--json", "--pack-destination", str(out_dir)],
        what=f"npm pack in {package_dir}",
        error=BuildError,
        hint="run `npm pack` there by hand to see why it fails",
        cwd=package_dir,
        log=log,
        timeout=_NPM_TIMEOUT,
    )
    report = _pack_report(output)
    filename = report.get("filename")
    if not isinstance(filename, str) or not (out_dir / filename).is_file():
        raise BuildError(
            f"npm pack in {package_dir} reported no tarball in {out_dir} ({filename!r})",
            "run `npm pack --json` there by hand to see what it writes",
        )
    path = out_dir / filename
    sha256, integrity = integrity_of(path)
    if report.get("integrity") != integrity:
        raise BuildError(
            f"npm pack reported integrity {report.get('integrity')} for {filename}, "
            f"the file has {integrity}",
            "something rewrote the tarball after npm packed it; pack again",
        )
    manifest = _tarball_manifest(path)
    name, version = manifest.get("name"), manifest.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        raise BuildError(
            f"{filename} has no name or version in its package.json",
            "set both in package.json",
        )
    artifact = NpmArtifact(path, name, version, sha256, integrity, path.stat().st_size)
    log(f"packed {artifact.spec}: {filename} ({artifact.size} bytes, {integrity[:22]}...)")
    return artifact


def _pack_report(output: str) -> dict[str, Any]:
    """The one entry of ``npm pack --json``'s array, found in output that may hold more.

    A ``prepack`` script prints to the same stream before npm prints its JSON.
    """
    decoder = json.JSONDecoder()
    for match in re.finditer(r"(?m)^\[", output):
        try:
            value, _ = decoder.raw_decode(output, match.start())
        except ValueError:
            continue
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            return value[0]
    raise BuildError(
        "npm pack --json printed no report",
        f"its output ended with: {_last_line(output) or 'nothing'}",
    )


def _tarball_members(path: Path) -> dict[str, tarfile.TarInfo]:
    """Members of an npm tarball by path inside the package (the ``package/`` prefix off)."""
    members: dict[str, tarfile.TarInfo] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for info in tar.getmembers():
                top, _, rest = info.name.partition("/")
                if rest and top:
                    members[posixpath.normpath(rest)] = info
    except (OSError, tarfile.TarError) as error:
        raise BuildError(f"{path.name} is not a readable tarball: {error}", "pack again") from None
    return members


def _tarball_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:gz") as tar:
            for info in tar.getmembers():
                top, _, rest = info.name.partition("/")
                if top and rest == "package.json" and info.isfile():
                    handle = tar.extractfile(info)
                    if handle is not None:
                        data = json.loads(handle.read().decode("utf-8"))
                        if isinstance(data, dict):
                            return data
    except (OSError, tarfile.TarError, ValueError) as error:
        raise BuildError(
            f"{path.name}: cannot read its package.json: {error}", "pack again"
        ) from None
    raise BuildError(f"{path.name} holds no package.json", "pack again with npm pack")


# -- checks ------------------------------------------------------------------------------------


def tarball_entry_points(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field, path)`` for every file ``main``, ``exports``, ``types``/``typings`` and
    ``bin`` point to, paths relative to the package root (``./`` off).

    ``exports`` may be a string, a map of conditions, or a map of subpaths, nested; every
    string leaf counts (a ``null`` blocks a subpath and points to nothing). Subpath patterns
    (``*``) are kept as patterns.
    """
    found: list[tuple[str, str]] = []

    def add(field: str, value: object) -> None:
        if isinstance(value, str) and value:
            found.append((field, _relative(value)))

    add("main", manifest.get("main"))
    add("types", manifest.get("types"))
    add("typings", manifest.get("typings"))

    def walk(value: object, where: str) -> None:
        if isinstance(value, str):
            add(where, value)
        elif isinstance(value, list):  # fallbacks: each must exist
            for item in value:
                walk(item, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}[{key!r}]")

    walk(manifest.get("exports"), "exports")
    bin_field = manifest.get("bin")
    if isinstance(bin_field, str):
        add("bin", bin_field)
    elif isinstance(bin_field, dict):
        for key, item in bin_field.items():
            add(f"bin[{key!r}]", item)
    return found


def _relative(path: str) -> str:
    return posixpath.normpath(path.lstrip("/")) if path not in ("", ".") else "."


def _resolves(path: str, members: Mapping[str, tarfile.TarInfo], *, main: bool) -> bool:
    """Whether ``path`` names a file in the tarball (``main`` also as node resolves it)."""
    if "*" in path:
        return any(fnmatch.fnmatchcase(member, path) for member in members)
    candidates = [path]
    if main:  # require("pkg") tries main, main.js, main.json, main/index.js ...
        candidates += [path + ext for ext in (".js", ".json", ".node")]
        candidates += [posixpath.join(path, f"index{ext}") for ext in (".js", ".json", ".node")]
    return any(c in members and members[c].isfile() for c in candidates)


def check(
    package_dir: Path,
    artifact: NpmArtifact,
    *,
    registry_url: str | None = None,
    log: proc.Log = proc.no_log,
) -> None:
    """Refuse a tarball that would publish broken: metadata, entry points, ``npm publish
    --dry-run``.

    - ``package.json`` has ``name``, ``version`` and ``files`` (without ``files`` npm packs
      the whole directory: secrets and build leftovers go public), and they match the
      tarball's;
    - every file ``main``/``exports``/``types``/``bin`` points to is in the tarball (the
      most common broken npm release: ``dist/`` missing because the build did not run);
    - ``npm publish --dry-run`` of the tarball passes against ``registry_url`` (npm's
      default registry when ``None``). npm's dry run asks the registry whether the version
      exists and fails if it does, so a version the registry already serves with this
      integrity (a rerun) skips it, and one with other bytes is refused here already.
    """
    package_dir = Path(package_dir)
    try:
        source = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BuildError(
            f"{package_dir / 'package.json'} is not readable JSON: {error}", "fix package.json"
        ) from None
    if not isinstance(source, dict):
        raise BuildError(f"{package_dir / 'package.json'} is not a JSON object", "fix it")
    missing = [key for key in ("name", "version", "files") if not source.get(key)]
    if missing:
        raise BuildError(
            f"{package_dir / 'package.json'} has no {', '.join(missing)}",
            "set name and version, and list what the package ships in files "
            '(e.g. "files": ["dist"]) so nothing else is published',
        )
    if not isinstance(source["files"], list):
        raise BuildError(f"{package_dir / 'package.json'}: files is not a list", "fix it")
    if (source["name"], source["version"]) != (artifact.name, artifact.version):
        raise BuildError(
            f"{artifact.filename} is {artifact.spec}, {package_dir / 'package.json'} says "
            f"{source['name']}@{source['version']}",
            "pack again after changing package.json",
        )
    sha256, _ = integrity_of(artifact.path)
    if sha256 != artifact.sha256:
        raise BuildError(
            f"{artifact.filename} changed since it was packed (sha256 {sha256[:12]}..., "
            f"packed as {artifact.sha256[:12]}...)",
            "pack again; nothing may rewrite the artifact between pack and publish",
        )
    members = _tarball_members(artifact.path)
    manifest = _tarball_manifest(artifact.path)
    absent = [
        f"{field} -> {path}"
        for field, path in tarball_entry_points(manifest)
        if not _resolves(path, members, main=field == "main")
    ]
    if absent:
        raise BuildError(
            f"{artifact.filename} lacks what package.json points to: {'; '.join(absent)}",
            "build before packing (a prepack script) and list the output in files",
        )
    registry = _registry(registry_url or DEFAULT_REGISTRY)
    if registry_url is not None:
        served = registry_state(registry, artifact.name, artifact.version)
        if served is not None:
            _refuse_other_bytes(artifact, registry, served)
            log(f"{artifact.spec} is already on {registry} with these bytes: dry run skipped")
            return
    argv = ["npm", "publish", "--dry-run", str(artifact.path), "--registry", registry]
    argv += ["--tag", dist_tag_for(artifact.version)]
    with _npm_userconfig(registry, None) as userconfig:
        proc.run(
            argv,
            what=f"npm publish --dry-run {artifact.filename}",
            error=BuildError,
            hint="npm would refuse this publish; run the same command by hand to see why",
            cwd=userconfig.parent,
            env={"NPM_CONFIG_USERCONFIG": str(userconfig)},
            log=log,
            timeout=_NPM_TIMEOUT,
        )
    log(f"checked {artifact.filename}: metadata, entry points, npm publish --dry-run")


# -- the registry, read without credentials ---------------------------------------------------


def packument_url(registry_url: str, name: str) -> str:
    """``<registry>/<name>``, a scoped name as ``@scope%2fname`` (npm's own spelling)."""
    if not _NAME.fullmatch(name):
        raise PublishError(f"{name!r} is not an npm package name", "fix name in package.json")
    return _registry(registry_url) + name.replace("/", "%2f")


def registry_state(registry_url: str, name: str, version: str) -> str | None:
    """The ``dist.integrity`` the registry serves for ``name@version``; ``None`` if none.

    Read with no credentials (what the public sees), the abbreviated packument preferred,
    caches asked to revalidate. A version with only an old ``shasum`` gets it as an SRI
    ``sha1-`` string, which never equals a sha512 integrity; a version served with no
    digest at all is ``"unknown"`` (there, but not provably these bytes).
    """
    version_doc = _version_doc(registry_url, name, version, abbreviated=True)
    if version_doc is None:
        return None
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
    request = urllib.request.Request(
        url,
        headers={"Accept": accept, "Cache-Control": "no-cache", "User-Agent": _USER_AGENT},
    )
    host = urlsplit(url).hostname or ""
    handlers = [urllib.request.ProxyHandler({})] if is_loopback(host) else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=_HTTP_TIMEOUT) as response:
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise PublishError(
            f"{url} answered HTTP {error.code}",
            "is npm-registry the registry's URL? try it with curl",
        ) from None
    except (urllib.error.URLError, OSError) as error:
        raise PublishError(
            f"cannot read {url}: {error}", "is the registry reachable from here?"
        ) from None
    except ValueError:
        raise PublishError(
            f"{url} did not answer JSON", "is npm-registry an npm registry?"
        ) from None
    return data if isinstance(data, dict) else None


def wait_until_served(
    registry_url: str,
    name: str,
    version: str,
    integrity: str,
    *,
    timeout: float = 300.0,
    log: proc.Log = proc.no_log,
) -> None:
    """Return once the registry serves ``name@version`` with ``integrity``.

    A registry's CDN may answer with the packument from before the publish for a while:
    wait with backoff (0.5 s, growing to 10 s), saying so once. Other bytes served for the
    version is not propagation: it stops at once.
    """
    registry = _registry(registry_url)
    deadline = time.monotonic() + timeout
    delay = 0.5
    said = False
    while True:
        served = registry_state(registry, name, version)
        if served == integrity:
            if said:
                log(f"{registry} now serves {name}@{version}")
            return
        if served is not None:
            raise PublishError(
                f"{registry} serves {name}@{version} with integrity {served}, "
                f"not the published {integrity}",
                "another tarball was published as this version; it can never be replaced: "
                "release a new version",
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PublishError(
                f"{registry} does not serve {name}@{version} after {timeout:g}s",
                "the publish may still be propagating; rerun the release to check again "
                "(nothing is published twice)",
            )
        if not said:
            log(f"waiting for {registry} to serve {name}@{version} (propagation) ...")
            said = True
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 10.0)


# -- publishing --------------------------------------------------------------------------------


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


def npmrc_text(registry_url: str, token_env: str | None) -> str:
    """The temporary ``.npmrc``: the registry, and its token as a *reference* to the variable.

    npm expands ``${VAR}`` in .npmrc from its environment, so the file never holds the
    token. The auth line is keyed by the registry's "nerf dart" (``//host[:port]/path/``),
    which is how npm scopes a token to one registry.
    """
    registry = _registry(registry_url)
    lines = [f"registry={registry}"]
    if token_env is not None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
            raise PublishError(f"{token_env!r} is not an environment variable name", "fix it")
        nerf = "//" + registry.split("://", 1)[1]
        lines.append(f"{nerf}:_authToken=${{{token_env}}}")
    return "\n".join(lines) + "\n"


def publish_argv(
    artifact: NpmArtifact, registry_url: str, *, tag: DistTag, provenance: bool
) -> list[str]:
    """The publish command line: the tarball, the registry, the dist-tag; never a token."""
    argv = ["npm", "publish", str(artifact.path), "--registry", _registry(registry_url)]
    argv += ["--tag", tag]
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
    log: proc.Log = proc.no_log,
) -> PublishOutcome:
    """Publish exactly ``artifact``'s tarball, unless the registry already has its version.

    Returns ``"identical"`` when the registry already serves the version with this integrity
    (nothing is published), ``"published"`` otherwise. The same version with another
    integrity is refused before npm runs. ``environ`` is where the token is looked up (the
    caller's ``os.environ``, or a rehearsal's); without a token, npm's own trusted
    publishing is left to work when GitHub's OIDC variables are there.
    """
    registry = _registry(registry_url)
    if tag == "latest" and dist_tag_for(artifact.version) == "next":
        raise PublishError(
            f"{artifact.spec} is a pre-release: not publishing it as latest",
            "publish pre-releases with the dist-tag next (dist_tag_for)",
        )
    served = registry_state(registry, artifact.name, artifact.version)
    if served is not None:
        _refuse_other_bytes(artifact, registry, served)
        log(f"{artifact.spec} on {registry}: already identical (same integrity), not published")
        return "identical"
    sha256, _ = integrity_of(artifact.path)
    if sha256 != artifact.sha256:
        raise PublishError(
            f"{artifact.filename} changed since it was packed: not publishing it",
            "pack again; nothing may rewrite the artifact between pack and publish",
        )
    token = environ.get(token_env, "")
    oidc = {name: environ[name] for name in OIDC_VARIABLES if environ.get(name)}
    if not token and len(oidc) != len(OIDC_VARIABLES):
        raise PublishError(
            f"no {token_env} to publish {artifact.spec} to {registry}",
            f"set {token_env} to an npm automation token (actions/setup-node uses it), or "
            "publish from GitHub Actions with id-token: write (npm trusted publishing)",
        )
    env: dict[str, str] = {}
    if token:
        env[token_env] = token
    if provenance or not token:
        env.update(oidc)
    argv = publish_argv(artifact, registry, tag=tag, provenance=provenance)
    with _npm_userconfig(registry, token_env if token else None) as userconfig:
        env["NPM_CONFIG_USERCONFIG"] = str(userconfig)
        try:
            proc.run(
                argv,
                what=f"npm publish {artifact.filename} to {registry}",
                error=PublishError,
                hint=f"check {token_env} (a token allowed to publish {artifact.name}) and "
                "the registry's answer above",
                cwd=userconfig.parent,
                env=env,
                log=log,
                secrets=[token] if token else [],
                timeout=_NPM_TIMEOUT,
            )
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


def _refuse_other_bytes(artifact: NpmArtifact, registry: str, served: str) -> None:
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
    registry = _registry(registry_url)
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
    with _npm_userconfig(registry, token_env) as userconfig:
        proc.run(
            ["npm", "deprecate", f"{name}@{version}", message, "--registry", registry],
            what=f"npm deprecate {name}@{version}",
            error=PublishError,
            hint=f"check {token_env} (a token allowed to publish {name})",
            cwd=userconfig.parent,
            env={token_env: token, "NPM_CONFIG_USERCONFIG": str(userconfig)},
            log=log,
            secrets=[token],
            timeout=_NPM_TIMEOUT,
        )
    doc = _version_doc(registry, name, version, abbreviated=False)
    if doc is None or doc.get("deprecated") != message:
        raise PublishError(
            f"npm deprecate passed but {registry} does not show {name}@{version} as deprecated",
            "look at the package page; the registry may still be propagating",
        )
    log(f"deprecated {name}@{version} on {registry}: {message}")


# -- install and load, as a user would ---------------------------------------------------------


def install_and_import(
    registry_url: str | None,
    name: str,
    version: str,
    *,
    tarballs: Sequence[Path] = (),
    timeout: float = _NPM_TIMEOUT,
    log: proc.Log = proc.no_log,
) -> None:
    """Install ``name@version`` from the registry into a fresh project and load it.

    No token (what the public gets), ``--prefer-online`` (a cached packument from before
    the publish must not hide the new version). Then ``require(name)`` unless the package
    is ESM-only, and ``import(name)`` when it ships ES modules. Any failure is one
    :class:`~releasekit.errors.SmokeError` that names the step.

    With ``tarballs`` (the smoke test before publishing), those files are installed
    instead, the first being ``name@version``; dependencies come from ``registry_url``, or
    from the user's own npm configuration when it is ``None``.
    """
    registry = _registry(registry_url) if registry_url is not None else None
    spec = f"{name}@{version}"
    source = registry or "npm's configured registry"
    with tempfile.TemporaryDirectory(prefix="releasekit-npm-install-") as tmp:
        project = Path(tmp)
        (project / "package.json").write_text(
            json.dumps({"name": "releasekit-install-check", "version": "0.0.0", "private": True})
            + "\n",
            encoding="utf-8",
        )
        env: dict[str, str] = {}
        argv = ["npm", "install", *(map(str, tarballs) if tarballs else [spec])]
        if registry is not None:
            userconfig = project / ".npmrc-releasekit"
            userconfig.write_text(npmrc_text(registry, None), encoding="utf-8")
            env["NPM_CONFIG_USERCONFIG"] = str(userconfig)
            argv += ["--registry", registry]
        argv += ["--prefer-online", "--no-audit", "--no-fund", "--no-package-lock"]
        what = Path(tarballs[0]).name if tarballs else spec
        proc.run(
            argv,
            what=f"npm install {what} from {source}",
            error=SmokeError,
            hint=f"{what} does not install from {source}: its dependencies must be there too",
            cwd=project,
            env=env,
            log=log,
            timeout=timeout,
        )
        installed = project / "node_modules" / Path(*name.split("/"))
        try:
            manifest = json.loads((installed / "package.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise SmokeError(
                f"npm install {spec} left no {installed / 'package.json'}",
                "run the install by hand to see what happened",
            ) from None
        if manifest.get("version") != version:
            raise SmokeError(
                f"npm install {spec} installed version {manifest.get('version')}",
                "the registry served another version; rerun to check again",
            )
        cjs, esm = _module_kinds(manifest, installed)
        if not cjs and not esm:
            log(f"installed {what}; it has no entry point to load")
            return
        node = shutil.which("node") or "node"
        quoted = json.dumps(name)
        if cjs:
            proc.run(
                [node, "-e", f"require({quoted})"],
                what=f"require({quoted}) of {spec}",
                error=SmokeError,
                hint="the installed package fails to load with require(); try it in a fresh "
                "project",
                cwd=project,
                log=log,
                timeout=timeout,
            )
        if esm:
            proc.run(
                [node, "--input-type=module", "-e", f"await import({quoted})"],
                what=f"import({quoted}) of {spec}",
                error=SmokeError,
                hint="the installed package fails to load with import(); try it in a fresh project",
                cwd=project,
                log=log,
                timeout=timeout,
            )
    loaded = " and ".join(k for k, on in (("require", cjs), ("import", esm)) if on)
    where = "" if tarballs else f" from {source}"
    log(f"installed {what}{where} and loaded it ({loaded})")


def _module_kinds(manifest: Mapping[str, Any], installed: Path) -> tuple[bool, bool]:
    """Whether the package offers CommonJS (``require``) and ES modules (``import``).

    ESM-only: ``"type": "module"`` without a ``require`` condition, or ``exports`` whose
    conditions have ``import`` but no ``require`` (nor ``default`` to a ``.cjs``).
    """
    is_module = manifest.get("type") == "module"
    conditions = _conditions(manifest.get("exports"))
    has_entry = bool(
        manifest.get("exports") or manifest.get("main") or (installed / "index.js").is_file()
    )
    if not has_entry:
        return False, False
    if conditions:
        esm = bool({"import", "module"} & conditions) or is_module
        cjs = "require" in conditions or (not is_module and bool({"node", "default"} & conditions))
        return (cjs, esm) if cjs or esm else (True, False)
    exports = manifest.get("exports")
    entry = exports if isinstance(exports, str) else manifest.get("main")
    if is_module or (isinstance(entry, str) and entry.endswith(".mjs")):
        return False, True
    return True, False


def _conditions(exports: object) -> set[str]:
    """The condition names used anywhere in the ``"."`` entry of ``exports``."""
    if isinstance(exports, dict):
        keys = list(exports)
        if keys and all(key.startswith(".") for key in keys):
            return _conditions(exports.get("."))
        found: set[str] = set(keys)
        for value in exports.values():
            found |= _conditions(value)
        return found
    if isinstance(exports, list):
        found = set()
        for item in exports:
            found |= _conditions(item)
        return found
    return set()


# -- helpers -----------------------------------------------------------------------------------


def _registry(registry_url: str) -> str:
    """``registry_url`` with one trailing slash; plain http only to loopback."""
    parts = urlsplit(registry_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(
            f"{registry_url!r} is not a registry URL", f"use e.g. {DEFAULT_REGISTRY}"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise PublishError(
            f"{registry_url} is plain http: a token or a tarball would travel in clear",
            "use https (http is only for a registry on this machine)",
        )
    return registry_url.rstrip("/") + "/"


@contextlib.contextmanager
def _npm_userconfig(registry: str, token_env: str | None) -> Iterator[Path]:
    """A private temporary directory holding the ``.npmrc`` for one npm process.

    The directory is also the process's working directory, so no project ``.npmrc`` of the
    caller's working directory (which could name another registry or token) applies.
    """
    with tempfile.TemporaryDirectory(prefix="releasekit-npmrc-") as tmp:
        path = Path(tmp) / ".npmrc"
        path.write_text(npmrc_text(registry, token_env), encoding="utf-8")
        path.chmod(0o600)
        yield path


def _last_line(text: str) -> str:
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")

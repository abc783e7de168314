"""The npm target: pack once, check, publish those exact bytes, prove the registry serves them.

The same guarantees as the PyPI side, in npm's terms:

- **one artifact.** ``npm pack`` (or pnpm's or yarn's, :mod:`.manager`) runs once; the
  tarball it writes is what is checked, published, compared and recorded (its sha256 for
  the manifest and the journal, its sha512 ``integrity``, which is what a registry's
  packument reports for a version);
- **checked before it goes out.** The tarball holds what ``package.json`` points to, no
  range only this repository resolves (``workspace:``, ``link:``, ...), and ``npm publish
  --dry-run`` passes;
- **proved from outside.** After a publish (:mod:`releasekit.targets.npm.registry`: packument reads,
  publish, deprecate, the token's path) the version is installed from the registry into a
  fresh project and loaded with ``require`` (and ``import`` for ES modules), as a user would
  (or installed only, or the member's smoke commands run: its ``smoke``).

This module holds the package side (pack, tarball checks, install-and-import); the registry
side lives in :mod:`releasekit.targets.npm.registry`, whose public names are re-exported here, so
``releasekit.kinds.npm.pack`` stays the one entry point of the npm target.
"""

from __future__ import annotations

import fnmatch
import json
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from releasekit.errors import BuildError, SmokeError
from releasekit.kinds.npm import manager as managers
from releasekit.kinds.npm.manager import PackageManager
from releasekit.kinds.npm.quoting import failure_line, run_explained, thrown
from releasekit.runtime import proc
from releasekit.targets.npm.registry import (
    DEFAULT_REGISTRY,
    NPM_TIMEOUT,
    OIDC_VARIABLES,
    DistTag,
    NpmArtifact,
    PublishOutcome,
    deprecate,
    dist_tag_for,
    integrity_of,
    npm_userconfig,
    npmrc_text,
    packument_url,
    publish,
    publish_argv,
    refuse_other_bytes,
    registry_root,
    registry_state,
    wait_until_served,
)

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


# -- the artifact ------------------------------------------------------------------------------


def pack(
    package_dir: Path,
    out_dir: Path,
    *,
    log: proc.Log = proc.no_log,
    manager: PackageManager | None = None,
) -> NpmArtifact:
    """Pack ``package_dir`` once into ``out_dir`` with its package manager; the tarball is
    the artifact.

    The package manager is the one its workspace declares (:mod:`.manager`: pnpm and yarn
    rewrite ``workspace:`` ranges as they pack, npm does not), else npm. It runs the
    package's ``prepack``/``prepare`` scripts (its build) as usual. The digests are computed
    here from the file itself and must agree with what npm reports (pnpm and yarn report
    none), so the manifest never trusts a tool's word over the bytes.
    """
    package_dir = Path(package_dir).resolve()
    out_dir = Path(out_dir).resolve()
    if not (package_dir / "package.json").is_file():
        raise BuildError(
            f"{package_dir} has no package.json",
            "an npm member is a directory holding a package.json",
        )
    manager = manager or managers.detect(package_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    destination = out_dir
    if manager.tool != "npm":
        found = managers.tool_version(manager, package_dir, log=log)
        log(f"packing with {manager.tool} {found}: {manager.describe()}")
    if manager.tool == "yarn":  # yarn writes where --out says: npm's name for the file
        source = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
        spelled = f"{source.get('name', 'package')}-{source.get('version', '0')}"
        destination = out_dir / f"{spelled.lstrip('@').replace('/', '-')}.tgz"
    output = run_explained(
        managers.pack_argv(manager, destination),
        what=f"{manager.tool} pack in {package_dir}",
        error=BuildError,
        hint=f"run `{manager.tool} pack` there by hand to see why it fails",
        explain=_pack_failure,
        cwd=package_dir,
        log=log,
        timeout=NPM_TIMEOUT,
    )
    report = managers.read_report(manager, output)
    filename = report.get("filename")
    if isinstance(filename, str):  # npm: a name; pnpm, yarn: a path into out_dir
        filename = Path(filename).name
    if not isinstance(filename, str) or not (out_dir / filename).is_file():
        raise BuildError(
            f"{manager.tool} pack in {package_dir} reported no tarball in {out_dir} ({filename!r})",
            f"run `{' '.join(managers.pack_argv(manager, destination))}` there by hand to "
            "see what it writes",
        )
    path = out_dir / filename
    sha256, integrity = integrity_of(path)
    if "integrity" in report and report.get("integrity") != integrity:
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


def _pack_failure(output: str) -> tuple[str, str] | None:
    """pnpm's or yarn's own reason for a failed pack (their last line is a JSON brace or a
    summary), with a hint where the reason has a known cure."""
    line = failure_line(output)
    if line is None:
        return None
    hint = ""
    if "CANNOT_RESOLVE_WORKSPACE_PROTOCOL" in output or "because this dependency is not" in line:
        hint = (
            "pnpm reads the versions of workspace: dependencies from node_modules: add "
            '"pnpm install --frozen-lockfile" to the member\'s prepare-commands'
        )
    return line, hint


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
    refuse_local_ranges(manifest, artifact.filename, managers.detect(package_dir))
    registry = registry_root(registry_url or DEFAULT_REGISTRY)
    if registry_url is not None:
        served = registry_state(registry, artifact.name, artifact.version)
        if served is not None:
            refuse_other_bytes(artifact, registry, served)
            log(f"{artifact.spec} is already on {registry} with these bytes: dry run skipped")
            return
    argv = ["npm", "publish", "--dry-run", str(artifact.path), "--registry", registry]
    argv += ["--tag", dist_tag_for(artifact.version)]
    with npm_userconfig(registry, None) as userconfig:
        proc.run(
            argv,
            what=f"npm publish --dry-run {artifact.filename}",
            error=BuildError,
            hint="npm would refuse this publish; run the same command by hand to see why",
            cwd=userconfig.parent,
            env={"NPM_CONFIG_USERCONFIG": str(userconfig)},
            log=log,
            timeout=NPM_TIMEOUT,
        )
    log(f"checked {artifact.filename}: metadata, entry points, npm publish --dry-run")


_DEPENDENCY_FIELDS = ("dependencies", "peerDependencies", "optionalDependencies")
_LOCAL_PROTOCOLS = ("workspace:", "catalog:", "link:", "file:", "portal:")


def local_ranges(manifest: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(field, dependency, range)`` for every range only this repository can resolve:
    ``workspace:``, ``catalog:`` (pnpm, yarn), ``link:``, ``file:``, ``portal:`` (a path)."""
    found = []
    for field in _DEPENDENCY_FIELDS:
        deps = manifest.get(field)
        if not isinstance(deps, Mapping):
            continue
        for dep, spec in deps.items():
            if isinstance(spec, str) and spec.strip().startswith(_LOCAL_PROTOCOLS):
                found.append((field, str(dep), spec))
    return found


def refuse_local_ranges(
    manifest: Mapping[str, Any], filename: str, manager: PackageManager
) -> None:
    """Refuse a tarball whose package.json keeps a range no user can install: npm answers
    ``Unsupported URL Type "workspace:"`` at install, after ``npm publish --dry-run`` passed.
    """
    found = local_ranges(manifest)
    if not found:
        return
    field, dep, spec = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    protocol = spec.strip().split(":", 1)[0]
    if protocol in ("workspace", "catalog") and not manager.rewrites:
        hint = (
            f"npm pack copies {protocol}: ranges as written ({manager.describe()}): declare "
            '"packageManager": "pnpm@<version>" (or "yarn@<version>") in the workspace '
            "root's package.json so releasekit packs with it and the range is rewritten, "
            f'or pin a version ("{dep}": "^1.0.0")'
        )
    elif protocol in ("workspace", "catalog"):
        hint = (
            f"{manager.tool} left it as written (is {dep} a package of this workspace?): "
            "pin a version"
        )
    else:
        hint = (
            f"a published package cannot reach a path on this machine: depend on a "
            f'published version of {dep} ("^1.0.0")'
        )
    raise BuildError(
        f"{filename} would publish {field} {dep}: {spec!r}{more}, which no user can install",
        hint,
    )


# -- install and load, as a user would ---------------------------------------------------------


def install_and_import(
    registry_url: str | None,
    name: str,
    version: str,
    *,
    tarballs: Sequence[Path] = (),
    timeout: float = NPM_TIMEOUT,
    log: proc.Log = proc.no_log,
    smoke: str | Sequence[str] = "import",
) -> None:
    """Install ``name@version`` from the registry into a fresh project and load it.

    ``smoke`` says what proves it after the install: ``"import"`` loads it in Node as
    below, ``"install"`` stops at the install (a bundle for the browser, which Node cannot
    load), a list runs those commands in the fresh project, ``node_modules/.bin`` on PATH.
    A failure quotes the error Node threw (``ReferenceError: define is not defined``), not
    Node's last line (its version).

    No token (what the public gets), ``--prefer-online`` (a cached packument from before
    the publish must not hide the new version). Then ``require(name)`` unless the package
    is ESM-only, and ``import(name)`` when it ships ES modules. Any failure is one
    :class:`~releasekit.errors.SmokeError` that names the step.

    With ``tarballs`` (the smoke test before publishing), those files are installed
    instead, the first being ``name@version``; dependencies come from ``registry_url``, or
    from the user's own npm configuration when it is ``None``.
    """
    registry = registry_root(registry_url) if registry_url is not None else None
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
        if smoke == "install":
            log(f'installed {what} (smoke = "install": not loaded)')
            return
        if not isinstance(smoke, str):
            _smoke_commands(project, spec, smoke, timeout=timeout, log=log)
            log(f"installed {what}; smoke commands passed ({len(smoke)})")
            return
        cjs, esm = _module_kinds(manifest, installed)
        if not cjs and not esm:
            log(f"installed {what}; it has no entry point to load")
            return
        node = shutil.which("node") or "node"
        quoted = json.dumps(name)
        if cjs:
            run_explained(
                [node, "-e", f"require({quoted})"],
                explain=_node_failure,
                what=f"require({quoted}) of {spec}",
                error=SmokeError,
                hint="the installed package fails to load with require(); try it in a fresh "
                "project",
                cwd=project,
                log=log,
                timeout=timeout,
            )
        if esm:
            run_explained(
                [node, "--input-type=module", "-e", f"await import({quoted})"],
                explain=_node_failure,
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


def _smoke_commands(
    project: Path, spec: str, commands: Sequence[str], *, timeout: float, log: proc.Log
) -> None:
    """The member's smoke commands, in order, in the project ``spec`` was installed into."""
    path = f"{project / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    for command in commands:
        argv = proc.split_command(command, "smoke", table="the member's", error=SmokeError)
        run_explained(
            argv,
            what=f"smoke command {command!r} for {spec}",
            error=SmokeError,
            hint=f"it fails in a fresh project where {spec} is installed; try it there",
            explain=_node_failure,
            cwd=project,
            env={"PATH": path},
            log=log,
            timeout=timeout,
        )


_BROWSER_GLOBALS = re.compile(r"\b(define|window|document|self|navigator) is not defined\b")


def _node_failure(output: str) -> tuple[str, str] | None:
    """:func:`thrown`, with a hint when it is a browser's global missing in Node."""
    text = thrown(output)
    if text is None:
        return None
    if _BROWSER_GLOBALS.search(text):
        return text, (
            "a bundle for the browser does not load in Node: set smoke = "
            '"install" in the member\'s entry (or smoke commands that test it)'
        )
    return text, ""


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

"""The npm target: pack once, check, publish those exact bytes, prove the registry serves them.

The same guarantees as the PyPI side, in npm's terms:

- **one artifact.** ``npm pack`` runs once; the tarball it writes is what is checked,
  published, compared and recorded (its sha256 for the manifest and the journal, its sha512
  ``integrity``, which is what a registry's packument reports for a version);
- **checked before it goes out.** The tarball holds what ``package.json`` points to, and
  ``npm publish --dry-run`` passes;
- **proved from outside.** After a publish (:mod:`releasekit.targets.npm.registry`: packument reads,
  publish, deprecate, the token's path) the version is installed from the registry into a
  fresh project and loaded with ``require`` (and ``import`` for ES modules), as a user would.

This module holds the package side (pack, tarball checks, install-and-import); the registry
side lives in :mod:`releasekit.targets.npm.registry`, whose public names are re-exported here, so
``releasekit.kinds.npm.pack`` stays the one entry point of the npm target.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
import shutil
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from releasekit.errors import BuildError, SmokeError
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
        timeout=NPM_TIMEOUT,
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


# -- install and load, as a user would ---------------------------------------------------------


def install_and_import(
    registry_url: str | None,
    name: str,
    version: str,
    *,
    tarballs: Sequence[Path] = (),
    timeout: float = NPM_TIMEOUT,
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


# -- helpers ---------------------------------------------------------------------------------


def _last_line(text: str) -> str:
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")

"""Lockfiles follow a bump: the version a lockfile records for the project itself and for
each workspace member is the version the bump just wrote.

After ``releasekit bump``, ``uv.lock`` and ``package-lock.json`` would otherwise still record
the old version of the project's own packages: ``uv lock --check`` (and ``uv sync
--locked``) then fail, and ``npm ci`` refuses a lockfile out of sync with package.json.

Written here, not by the tools that own the files, and written exactly as they write them:

- ``uv lock --offline`` re-resolves once a member's version changed, which needs every
  dependency's metadata in uv's cache (else the index: the bump would need the network,
  the user's index configuration and credentials, and, for a dynamic version, a build of
  the project). The entry's ``version = "..."`` line is all uv changes, so that line is
  replaced and every other byte is left as it is. An editable member with a dynamic version
  has no version in ``uv.lock`` at all, and nothing is written for it.
- ``npm install --package-lock-only --offline`` needs every tarball's metadata in npm's cache
  and runs for seconds; npm rewrites the whole file as ``JSON.stringify`` with the file's own
  indent and newline, which Python's ``json`` reproduces byte for byte (``ensure_ascii`` off,
  key order kept). The root ``version``, ``packages[""]``, each member's
  ``packages["<path>"]`` (its ``version`` and, where the bump rewrote its range on another
  member, that range) and a ``node_modules/<name>`` link entry that carries a version.
- ``pnpm-lock.yaml`` records no version of a workspace's own packages (an importer holds each
  dependency's ``specifier`` and ``link:`` path), but a bump that rewrites a member's range on
  another (``workspace:^1.2.0`` -> ``workspace:^1.3.0``, as :mod:`releasekit.project.intent`
  does) leaves that ``specifier`` stale and ``pnpm install --frozen-lockfile`` refuses it; the
  ``specifier:`` lines (pnpm 8 and later; ``specifiers:`` of lockfile 5) are rewritten as
  pnpm's YAML writer (js-yaml) writes them.
- ``yarn.lock`` is not touched: yarn 2+ records every workspace as ``0.0.0-use.local`` and
  yarn 1 lists no workspace at all. (A range rewritten on another member changes yarn 2+'s
  entry keys, which only ``yarn install --mode=update-lockfile`` writes back.)

Tests compare each edit with what ``uv lock`` and ``npm install --package-lock-only`` write
after the same bump (tests/integration/test_bump_lockfiles.py).

Two steps, so that a lockfile that cannot be read is an error before any file of the bump
is written: :func:`read_lockfiles` reads and parses them all, :func:`update_lockfiles`
writes the new versions (after the version files were written: an npm entry follows its
package.json).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name

from releasekit._compat import tomllib
from releasekit.core.version import try_normalize
from releasekit.errors import CarrierError, ReleasekitError

__all__ = ["LOCKFILE_NAMES", "Lockfile", "changes", "read_lockfiles", "update_lockfiles"]

LockKind = Literal["uv", "npm", "pnpm"]
LOCKFILE_NAMES: Mapping[str, LockKind] = {
    "uv.lock": "uv",
    "package-lock.json": "npm",
    "npm-shrinkwrap.json": "npm",
    "pnpm-lock.yaml": "pnpm",
}
_UV_LOCAL_SOURCES = ("editable", "virtual", "directory")
_NPM_DEP_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
_UV_VERSION_LINE = re.compile(r'^version = "[^"\n]*"(\r?\n|$)')


@dataclass(frozen=True)
class Lockfile:
    """One lockfile as read before the bump: its bytes (what an undo puts back) and its
    parsed content."""

    path: Path
    kind: LockKind
    data: bytes
    content: Any  # uv: the TOML document as a dict; npm: the JSON object; pnpm: the text

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def read_lockfiles(root: Path) -> tuple[Lockfile, ...]:
    """Every lockfile a bump at ``root`` may change, read and parsed.

    Looked for in ``root``, in the directories above it up to the repository's top (a uv or
    npm workspace whose root is above the project), and in the directories of the members of
    a releasekit workspace declared at ``root``. A lockfile that cannot be read or parsed is a
    :class:`CarrierError` naming it.
    """
    found = []
    for folder in _folders(root):
        for name, kind in LOCKFILE_NAMES.items():
            path = folder / name
            if path.is_file():
                found.append(_read(path, kind, root))
    return tuple(found)


def changes(lockfiles: Sequence[Lockfile], versions: Mapping[str, str]) -> list[Path]:
    """The lockfiles a bump to ``versions`` may write, known before it writes anything (a
    bump lets these be committed with it): those that record another version of a package
    named, and pnpm's that hold a specifier on one (which follows its importer's range)."""
    return [lock.path for lock in lockfiles if _stale(lock, versions)]


def update_lockfiles(
    root: Path,
    versions: Mapping[str, str],
    *,
    lockfiles: Sequence[Lockfile] | None = None,
) -> list[Path]:
    """Record ``versions`` (by package name) in every lockfile at ``root`` (see
    :func:`read_lockfiles`) that holds a local entry of those packages; returns the files
    changed, each once.

    ``lockfiles``: as :func:`read_lockfiles` returned them before the bump wrote anything (so
    an unreadable one stopped it then); read now when not given. Every file's new text is
    made before the first is written. An npm entry is changed only when its package.json
    carries the new version (a Python project named like an npm package leaves the npm
    package's lock alone).
    """
    locks = read_lockfiles(root) if lockfiles is None else lockfiles
    pending: dict[Path, tuple[bytes, str]] = {}
    for lock in locks:
        text = _TEXT[lock.kind](lock, versions)
        if text is not None and text.encode("utf-8") != lock.data:
            pending[lock.path] = (lock.data, text)
    return _write_all(pending, root)


# -- finding and reading ---------------------------------------------------------------


def _folders(root: Path) -> list[Path]:
    """``root``, its parents up to the repository's top, then the workspace's members."""
    root = Path(os.path.abspath(root))
    folders = [root]
    if not (root / ".git").exists():
        for parent in root.parents:
            folders.append(parent)
            if (parent / ".git").exists():
                break
        else:  # not in a repository: a lockfile above would belong to someone else
            folders = [root]
    try:
        from releasekit.project.workspace import find_workspace

        workspace = find_workspace(root)
    except ReleasekitError:  # a broken workspace is reported by whoever reads it for itself
        workspace = None
    for member in workspace.members if workspace is not None else ():
        if member.path not in folders:
            folders.append(member.path)
    return folders


def _read(path: Path, kind: LockKind, root: Path) -> Lockfile:
    shown = _shown(root, path)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
        content: Any = _PARSE[kind](text)
    except OSError as exc:
        raise CarrierError(
            f"cannot read lockfile {shown}: {exc.strerror or exc}; nothing was written",
            "make it readable (or delete it and let its tool write it again), then bump again",
        ) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise CarrierError(
            f"lockfile {shown} is not valid {_FORMAT[kind]} ({exc}); nothing was written",
            f"fix it (a merge conflict left in it?) or write it again with `{_TOOL[kind]}`, "
            "then bump again",
        ) from None
    if not isinstance(content, dict if kind != "pnpm" else str):
        raise CarrierError(
            f"lockfile {shown} is not a {_FORMAT[kind]} "
            f"{'table' if kind == 'uv' else 'object'}; nothing was written",
            f"write it again with `{_TOOL[kind]}`, then bump again",
        )
    return Lockfile(path, kind, data, content)


_FORMAT: Mapping[LockKind, str] = {"uv": "TOML", "npm": "JSON", "pnpm": "pnpm lockfile"}
_TOOL: Mapping[LockKind, str] = {
    "uv": "uv lock",
    "npm": "npm install --package-lock-only",
    "pnpm": "pnpm install --lockfile-only",
}


def _shown(root: Path, path: Path) -> str:
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return path.as_posix()


def _wanted(kind: LockKind, versions: Mapping[str, str]) -> dict[str, str]:
    """``versions`` as this kind of lockfile spells names and versions: uv records
    normalized names and PEP 440 normal forms; npm names and semver as they are."""
    if kind == "npm":
        return dict(versions)
    return {canonicalize_name(name): try_normalize(v) or v for name, v in versions.items()}


def _stale(lock: Lockfile, versions: Mapping[str, str]) -> bool:
    """Whether the lockfile records a version other than ``versions`` says of a local
    package named there (pnpm's: whether it holds a specifier on one)."""
    wanted = _wanted(lock.kind, versions)
    if lock.kind == "uv":
        return any(
            entry.get("name") in wanted
            and entry.get("version", wanted[entry["name"]]) != wanted[entry["name"]]
            for entry in _uv_local(lock.content)
        )
    if lock.kind == "pnpm":
        return any(found.name in wanted for found in _pnpm_specifiers(lock))
    return any(
        name in wanted and "version" in entry and not _same_version(entry["version"], wanted[name])
        for _key, entry, name in _npm_local(lock)
        if name is not None
    )


# -- uv.lock ---------------------------------------------------------------------------


def _uv_local(content: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The ``[[package]]`` entries of the workspace's own packages (a local source)."""
    for entry in _uv_packages(content):
        source = entry.get("source")
        if isinstance(source, dict) and any(key in source for key in _UV_LOCAL_SOURCES):
            yield entry


def _uv_packages(content: Mapping[str, Any]) -> list[dict[str, Any]]:
    packages = content.get("package", [])
    return [p for p in packages if isinstance(p, dict)] if isinstance(packages, list) else []


def _uv_text(lock: Lockfile, versions: Mapping[str, str]) -> str | None:
    """``uv.lock`` with the new versions on the ``version`` lines of the local entries
    named; ``None`` when there is nothing to change."""
    wanted = _wanted("uv", versions)
    packages = _uv_packages(lock.content)
    local = {id(entry) for entry in _uv_local(lock.content)}
    targets = {
        number: wanted[str(entry["name"])]
        for number, entry in enumerate(packages)
        if id(entry) in local
        and "version" in entry
        and str(entry.get("name")) in wanted
        and entry["version"] != wanted[str(entry["name"])]
    }
    if not targets:
        return None
    lines = lock.text.splitlines(keepends=True)
    headers = [n for n, line in enumerate(lines) if line.rstrip("\r\n") == "[[package]]"]
    if len(headers) != len(packages):
        raise CarrierError(
            f"{lock.path.name} at {lock.path.parent} is not laid out as uv writes it "
            f"({len(packages)} packages, {len(headers)} [[package]] lines); nothing was written",
            "write it again with `uv lock`, then bump again",
        )
    for number, version in targets.items():
        start = headers[number] + 1
        for index in range(start, len(lines)):
            line = lines[index]
            if line.startswith("["):
                break
            match = _UV_VERSION_LINE.match(line)
            if match:
                lines[index] = f'version = "{version}"{match.group(1)}'
                break
        else:  # pragma: no cover - tomllib found a version the lines do not hold
            raise CarrierError(
                f"{lock.path} has no version line for {packages[number]['name']}",
                "write it again with `uv lock`, then bump again",
            )
    return "".join(lines)


# -- package-lock.json -----------------------------------------------------------------


def _npm_local(lock: Lockfile) -> Iterator[tuple[str, Any, str | None]]:
    """(key, entry, package name) of each ``packages`` entry of a package in the project's
    own tree: the root (``""``), a workspace or ``file:`` directory, a link to one. The
    name is its package.json's, where there is one."""
    packages = lock.content.get("packages")
    if not isinstance(packages, dict):
        return
    folder = lock.path.parent
    for key, entry in packages.items():
        if not isinstance(entry, dict):
            continue
        if "node_modules" not in key.split("/"):
            manifest = _package_json(folder / key)
            name = manifest.get("name") if manifest else None
            if not isinstance(name, str):
                name = entry.get("name") if key else lock.content.get("name")
            yield key, entry, name if isinstance(name, str) else None
        elif entry.get("link") is True:
            yield key, entry, key.rpartition("node_modules/")[2]


def _package_json(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _npm_text(lock: Lockfile, versions: Mapping[str, str]) -> str | None:
    """``package-lock.json`` with each local entry's version (and its ranges on the other
    packages named) as its package.json now says, in npm's own JSON layout."""
    data = _npm_parse(lock.text)  # a copy to change: lock.content stays as read
    packages = data.get("packages")
    if not isinstance(packages, dict):
        return None  # lockfileVersion 1 (npm 6): records no versions of local packages
    folder = lock.path.parent
    changed = False
    for key, _entry, name in list(_npm_local(lock)):
        entry = packages[key]
        place = folder / (entry["resolved"] if entry.get("link") is True else key)
        manifest = _package_json(place)
        if manifest is None:
            continue
        written = manifest.get("version")
        if name is not None and name in versions and _same_version(written, versions[name]):
            if "version" in entry and entry["version"] != written:
                entry["version"] = written  # package.json's spelling: 1.0.0-rc.1, not 1.0.0rc1
                changed = True
            if key == "" and data.get("name") == name and "version" in data:
                changed |= data["version"] != written
                data["version"] = written
        for field in _NPM_DEP_FIELDS:  # a dependent's range on a bumped package
            ranges, declared = entry.get(field), manifest.get(field)
            if not isinstance(ranges, dict) or not isinstance(declared, dict):
                continue
            for dep in versions:
                if dep in ranges and isinstance(declared.get(dep), str):
                    changed |= ranges[dep] != declared[dep]
                    ranges[dep] = declared[dep]
    changed |= _npm_legacy_requires(data.get("dependencies"), folder, versions)
    if not changed:
        return None
    return _npm_dumps(data, lock.text)


def _npm_legacy_requires(legacy: object, folder: Path, versions: Mapping[str, str]) -> bool:
    """lockfileVersion 2 keeps npm 6's ``dependencies`` too: a local package's entry
    (``"version": "file:<path>"``) ``requires`` the ranges of its package.json. Those on the
    packages named follow it; whether anything changed."""
    changed = False
    for entry in legacy.values() if isinstance(legacy, dict) else ():
        version = entry.get("version") if isinstance(entry, dict) else None
        requires = entry.get("requires") if isinstance(entry, dict) else None
        if not isinstance(version, str) or not version.startswith("file:"):
            continue
        manifest = _package_json(folder / version[len("file:") :])
        if not isinstance(requires, dict) or manifest is None:
            continue
        for dep in versions:
            declared = next(
                (
                    ranges[dep]
                    for ranges in (manifest.get(f) for f in _NPM_DEP_FIELDS)
                    if isinstance(ranges, dict) and isinstance(ranges.get(dep), str)
                ),
                None,
            )
            if dep in requires and declared is not None and requires[dep] != declared:
                requires[dep] = declared
                changed = True
    return changed


def _npm_parse(text: str) -> Any:
    """JSON as npm reads it: a leading byte order mark is skipped (and not written back,
    as npm writes none)."""
    return json.loads(text[1:] if text.startswith("\ufeff") else text)


def _same_version(written: object, wanted: str) -> bool:
    """Whether package.json's ``written`` version is ``wanted`` (compared normalized: a
    Python bump asks for ``1.0.0rc1``, package.json says ``1.0.0-rc.1``)."""
    if not isinstance(written, str):
        return False
    return written == wanted or (try_normalize(written) or written) == (
        try_normalize(wanted) or wanted
    )


def _npm_dumps(data: Any, original: str) -> str:
    """``data`` as npm writes a lockfile: ``JSON.stringify`` with the file's indent (npm
    keeps the one it finds; 2 spaces by default) and newline, ending in a newline."""
    found = re.match(r"\{\r?\n([ \t]+)\"", original)
    indent = found.group(1) if found else "  "
    newline = "\r\n" if "\r\n" in original else "\n"
    text = json.dumps(data, indent=indent, ensure_ascii=False) + "\n"
    return text.replace("\n", newline) if newline != "\n" else text


# -- pnpm-lock.yaml -------------------------------------------------------------------

_PNPM_FIELDS = ("dependencies", "devDependencies", "optionalDependencies")


def _pnpm_parse(text: str) -> str:
    """The text itself (no YAML parser is needed for the lines read); a file that is not
    a pnpm lockfile is refused."""
    if not re.search(r"^lockfileVersion: ", text, re.MULTILINE):
        raise ValueError("no lockfileVersion line")
    return text


@dataclass(frozen=True)
class _Specifier:
    """One dependency's specifier under pnpm's ``importers:``."""

    line: int  # its line number
    importer: str  # the importer's path ("." for the root)
    field: str  # dependencies, devDependencies, optionalDependencies, or specifiers (5.x)
    name: str
    spec: str  # its value, unquoted
    raw: str  # its value as written


def _pnpm_specifiers(lock: Lockfile) -> Iterator[_Specifier]:
    """Each ``specifier: X`` under an importer's dependency (lockfile 6 and later), and each
    ``name: X`` under an importer's ``specifiers:`` (lockfile 5)."""
    importer = field = dep = None
    in_importers = False
    for number, line in enumerate(lock.text.splitlines()):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        if indent == 0:
            in_importers, importer = text == "importers:", None
        elif not in_importers:
            continue
        elif indent == 2:
            importer, field, dep = _pnpm_key_value(text)[0], None, None
        elif indent == 4:
            field, dep = _pnpm_key_value(text)[0], None
        elif importer is None or field not in (*_PNPM_FIELDS, "specifiers"):
            continue
        elif indent == 6:
            dep, raw = _pnpm_key_value(text)
            if field == "specifiers" and raw:
                yield _Specifier(number, importer, field, dep, _yaml_unquote(raw), raw)
        elif indent == 8 and dep is not None and field != "specifiers":
            key, raw = _pnpm_key_value(text)
            if key == "specifier" and raw:
                yield _Specifier(number, importer, field, dep, _yaml_unquote(raw), raw)


def _pnpm_key_value(text: str) -> tuple[str, str]:
    """``'@scope/a': value`` -> (``@scope/a``, ``value``): a key may be quoted."""
    if text.startswith("'"):
        end = text.index("'", 1)
        while text[end + 1 : end + 2] == "'":  # '' is a quote inside
            end = text.index("'", end + 2)
        return _yaml_unquote(text[: end + 1]), text[end + 2 :].strip()
    key, _, value = text.partition(":")
    return _yaml_unquote(key), value.strip()


def _yaml_unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        value = json.loads(text)
        return value if isinstance(value, str) else text
    return text


def _pnpm_text(lock: Lockfile, versions: Mapping[str, str]) -> str | None:
    """``pnpm-lock.yaml`` with each importer's specifier on a package named in ``versions``
    as the importer's package.json now says."""
    lines = lock.text.splitlines(keepends=True)
    changed = False
    manifests: dict[str, dict[str, Any]] = {}
    for found in list(_pnpm_specifiers(lock)):
        if found.name not in versions:
            continue
        if found.importer not in manifests:
            manifests[found.importer] = _package_json(lock.path.parent / found.importer) or {}
        manifest = manifests[found.importer]
        fields = _PNPM_FIELDS if found.field == "specifiers" else (found.field,)
        declared = next(
            (
                ranges[found.name]
                for ranges in (manifest.get(f) for f in fields)
                if isinstance(ranges, dict) and isinstance(ranges.get(found.name), str)
            ),
            None,
        )
        if declared is None or declared == found.spec:
            continue
        line = lines[found.line]
        body = line.rstrip("\r\n")
        assert body.endswith(found.raw)
        lines[found.line] = body[: len(body) - len(found.raw)] + _yaml_scalar(declared)
        lines[found.line] += line[len(body) :]
        changed = True
    return "".join(lines) if changed else None


_YAML_NOT_FIRST = set("-?:,[]{}#&*!|=>'\"%@`")
_YAML_NOT_STRING = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
    r"|[-+]?(?:0b[0-1_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)"
    r"|[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


def _yaml_scalar(text: str) -> str:
    """``text`` as js-yaml (pnpm's writer) dumps a string: plain where it reads back as the
    same string, else in single quotes."""
    plain = (
        bool(text)
        and text[0] not in _YAML_NOT_FIRST
        and not text[0].isspace()
        and not text[-1].isspace()
        and text[-1] != ":"
        and ": " not in text
        and " #" not in text
        and text.isprintable()
        and not _YAML_NOT_STRING.match(text)
    )
    if plain:
        return text
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text)


# -- writing ---------------------------------------------------------------------------


def _write_all(pending: Mapping[Path, tuple[bytes, str]], root: Path) -> list[Path]:
    """Write each lockfile its new text; a failure puts back the ones already written and
    names the file."""
    written: list[Path] = []
    for path, (_old, text) in pending.items():
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            for done in [*written, path]:
                try:
                    done.write_bytes(pending[done][0])
                except OSError:
                    pass
            raise CarrierError(
                f"cannot write lockfile {_shown(root, path)}: {exc.strerror or exc}",
                "make it writable, then bump again",
            ) from None
        written.append(path)
    return written


_PARSE: Mapping[LockKind, Callable[[str], Any]] = {
    "uv": tomllib.loads,
    "npm": _npm_parse,
    "pnpm": _pnpm_parse,
}
_TEXT: Mapping[LockKind, Callable[[Lockfile, Mapping[str, str]], str | None]] = {
    "uv": _uv_text,
    "npm": _npm_text,
    "pnpm": _pnpm_text,
}

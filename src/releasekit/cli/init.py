"""``releasekit init``: set a project up for releasekit, and say what is left to do.

It writes noxfile.py from the template, enables the build hook in pyproject.toml of a
hatchling project (a ``[tool.hatch.build.hooks.releasekit]`` table, first among the hooks,
whose ``dependencies`` bring releasekit into the build; ``[build-system] requires`` keeps
only the backend, so the sdist releasekit publishes builds without releasekit), appends a
commented ``[tool.releasekit]`` table, and ignores ``dist/`` and ``.nox/`` in .gitignore.
A project set up the old way (releasekit in ``[build-system] requires``) is migrated. A
second run changes nothing.

Every file is rendered and checked before the first one is written: a pyproject.toml that
releasekit cannot edit safely (invalid TOML, a ``[build-system]`` that is not a table, ...)
is one :class:`ConfigError` and leaves every file as it was. pyproject.toml keeps its
comments and layout: new tables are appended as text, the requirement is added with
tomlkit, and the result is parsed again and compared with the original
(:mod:`releasekit.cli.pyproject_edit`).

The build hook is hatch-only. On any other backend (setuptools, flit, poetry, pdm, maturin,
scikit-build-core) releasekit is not added to the build requirements, and init says what
works there (:mod:`releasekit.cli.init_advice`): the sessions build through any PEP 517
backend and check the tag themselves.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from releasekit.cli import init_advice, pyproject_edit
from releasekit.errors import ConfigError

__all__ = [
    "CI_FILES",
    "IGNORED",
    "WHEELHOUSE",
    "direct_source",
    "init_project",
    "installed_from",
    "template_text",
    "write_ci",
]

# What `releasekit init` makes sure .gitignore ignores: built files and nox's virtualenvs.
IGNORED = ("dist/", ".nox/")
# Where the printed next step (and the README) put releasekit's own wheel for build frontends.
WHEELHOUSE = "$HOME/.cache/releasekit-wheels"

# A noxfile that already calls releasekit.sessions.register() needs no template.
_REGISTERS = re.compile(
    r"(\breleasekit\.sessions\b|\bfrom\s+releasekit\s+import\s+sessions\b)[\s\S]*\bregister\s*\("
)


def _template(name: str) -> str:
    """A template's text, from the installed package or this source checkout."""
    package = Path(__file__).resolve().parent.parent  # releasekit/, installed or in src/
    for candidate in (package / "templates" / name, package.parent.parent / "templates" / name):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise ConfigError(
        f"releasekit's template {name} is missing from this installation", "reinstall releasekit"
    )


def template_text() -> str:
    """The noxfile template."""
    return _template("noxfile.py")


# `releasekit init --ci KIND`: template -> where the project keeps it
CI_FILES = {
    "github": (
        ("github/release.yml", ".github/workflows/release.yml"),
        ("github/rehearse.yml", ".github/workflows/rehearse.yml"),
    ),
    "gitlab": (("gitlab/.gitlab-ci.yml", ".gitlab-ci.yml"),),
}


def write_ci(root: Path, kind: str, *, force: bool = False) -> list[str]:
    """Write the CI workflows of ``kind``; an existing different file only with ``force``.

    Every file is checked before the first is written, so a refusal changes nothing.
    """
    prefix = _ci_tag_prefix(root)
    source = ci_source(installed_from())
    pending = []
    for name, dest in CI_FILES[kind]:
        text = with_tag_prefix(_template(name), prefix)
        if source is not None:
            text = text.replace(f'"{CI_SOURCE_PLACEHOLDER}"', json.dumps(source))
        target = root / dest
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        if target.exists() and not force:
            raise ConfigError(
                f"{dest} exists and is not releasekit's template; nothing was changed",
                "merge releasekit's template into it by hand, or pass --force to replace it",
            )
        pending.append((target, text, dest))
    lines = []
    for target, text, dest in pending:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        lines.append(f"{dest}: written from releasekit's template")
    if not pending:
        lines.append(f"{kind} CI: unchanged")
    if prefix is not None:
        lines.append(
            f"the workflows release on tags {_tag_glob(prefix)} (tag-prefix, or how this "
            "repository spells its release tags)"
        )
    if source is None:
        lines.append(
            f"next: replace {CI_SOURCE_PLACEHOLDER} (RELEASEKIT_SOURCE, in each file) with "
            "the git commit of releasekit that CI is to run: this releasekit is installed "
            "from a local directory, which CI cannot reach"
        )
    else:
        lines.append(f"CI runs releasekit from {source} (RELEASEKIT_SOURCE: pinned)")
    lines.append(
        "next: create the environments testpypi and pypi, and add this workflow as a trusted "
        "publisher on TestPyPI and PyPI"
    )
    return lines


# What the templates say RELEASEKIT_SOURCE is until `init --ci` knows better.
CI_SOURCE_PLACEHOLDER = "git+https://github.com/OWNER/releasekit@COMMIT"


def ci_source(installed: tuple[str, str] | None) -> str | None:
    """What CI is to install releasekit from, pinned: this releasekit's git commit, or its
    version when it came from an index; ``None`` for a local checkout or file, which CI
    cannot reach. ``installed``: :func:`installed_from`."""
    if installed is None:
        return f"releasekit=={_releasekit_version()}"
    _url, source = installed
    if source.startswith("git+") and "@" in source.rsplit("/", 1)[-1]:
        return source
    return None


def _releasekit_version() -> str:
    from releasekit import __version__

    return __version__


def _ci_tag_prefix(root: Path) -> str | None:
    """The tag prefix the CI workflows fire on: ``tag-prefix``, else the repository's own
    spelling of its release tags; ``None`` keeps the templates' ``v``."""
    from releasekit.core import git

    path = root / "pyproject.toml"
    data = pyproject_edit.parse(path.read_text(encoding="utf-8")) if path.is_file() else {}
    configured = data.get("tool", {}).get("releasekit", {}).get("tag-prefix")
    return git.new_tag_prefix(root, configured if isinstance(configured, str) else None)


def _tag_prefix(root: Path, data: Mapping[str, Any]) -> str | None:
    """How this project spells a release tag (``tag-prefix``, else its newest release tag);
    ``None``: the default ``v``."""
    from releasekit.core import git

    table = data.get("tool", {}).get("releasekit", {})
    configured = table.get("tag-prefix") if isinstance(table, dict) else None
    return git.new_tag_prefix(root, configured if isinstance(configured, str) else None)


def _tag_glob(prefix: str) -> str:
    return f"{prefix}*" if prefix else "[0-9]*"


def with_tag_prefix(text: str, prefix: str | None) -> str:
    """A CI template written for tags ``v*`` rewritten for tags ``<prefix>*`` (a version's
    first digit with no prefix): GitHub's tag filter and release check, GitLab's rule."""
    if prefix is None:
        return text
    gitlab = re.escape(prefix) if prefix else "[0-9]"
    return (
        text.replace('tags: ["v*"]', f'tags: ["{_tag_glob(prefix)}"]')
        .replace(
            "startsWith(github.event.release.tag_name, 'v')",
            f"startsWith(github.event.release.tag_name, '{prefix}')",
        )
        .replace("$CI_COMMIT_TAG =~ /^v/", f"$CI_COMMIT_TAG =~ /^{gitlab}/")
    )


@dataclass(frozen=True)
class _Write:
    """A file to write, its new text, and the output line that says what changed."""

    path: Path
    text: str
    line: str


def init_project(
    root: Path, *, force: bool = False, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Set up ``root``; returns the lines to print: one per file changed, then next steps.

    ``environ`` (default ``os.environ``) is where ``PIP_FIND_LINKS`` and ``UV_FIND_LINKS``
    are looked up, to tell whether build frontends can find releasekit's wheel.
    """
    env = os.environ if environ is None else environ
    pyproject_path = root / "pyproject.toml"
    text = _read(pyproject_path, missing_hint="run `releasekit init` in the project's root")
    data = pyproject_edit.parse(text)
    pyproject_edit.check_shapes(data, root)

    backend = pyproject_edit.build_backend(data)
    hatch = backend is not None and backend.split(".")[0] == "hatchling"
    writes = [
        w
        for w in (
            _plan_noxfile(root, force),
            _plan_gitignore(root),
            _plan_pyproject(pyproject_path, text, data, hatch, root),
        )
        if w is not None
    ]
    _check_writable(writes, root)
    _write_all(writes, root)

    lines = [w.line for w in writes]
    if not writes:
        lines.append(
            "nothing changed: noxfile.py, pyproject.toml and .gitignore are set up already"
        )
    note = init_advice.backend_note(data, _tag_prefix(root, data))
    if note:
        lines.append(note)
    final = pyproject_edit.parse(_read(pyproject_path, missing_hint="")) if writes else data
    for hook_note in (init_advice.hook_order_note(final), init_advice.target_hook_note(final)):
        if hook_note:
            lines.append(hook_note)
    return lines + _next_steps(root, final, env)


# --- reading and checking ------------------------------------------------------------------


def _read(path: Path, *, missing_hint: str) -> str:
    """The text of ``path`` exactly as stored (CRLF kept), or a ConfigError saying why not."""
    name = path.name
    if not path.exists():
        raise ConfigError(f"no {name} in {path.parent}", missing_hint)
    if path.is_dir():
        raise ConfigError(
            f"{name} in {path.parent} is a directory, not a file",
            f"move the directory away: releasekit init reads and writes {name} there",
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{name} is not UTF-8 text (byte {exc.start})", f"save {name} as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {name}: {exc.strerror}", f"make {name} readable (chmod u+r {name})"
        ) from None


# --- rendering -----------------------------------------------------------------------------


def _plan_noxfile(root: Path, force: bool) -> _Write | None:
    path = root / "noxfile.py"
    template = template_text()
    if not path.exists() and not path.is_symlink():
        return _Write(path, template, "noxfile.py: written from releasekit's template")
    current = _read(path, missing_hint="")
    if current == template or (not force and _REGISTERS.search(current)):
        return None  # the template, or the project's own noxfile that registers the sessions
    if not force:
        raise ConfigError(
            "noxfile.py exists and does not register releasekit's sessions; nothing was changed",
            "add `import releasekit.sessions` and `releasekit.sessions.register()` to it, "
            "or run `releasekit init --force` to replace it with releasekit's template",
        )
    return _Write(path, template, "noxfile.py: replaced by releasekit's template (--force)")


def _plan_gitignore(root: Path) -> _Write | None:
    path = root / ".gitignore"
    text = _read(path, missing_hint="") if path.exists() or path.is_symlink() else ""
    missing = [entry for entry in IGNORED if not _ignores(text, entry)]
    if not missing:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += newline
    new = text + "".join(entry + newline for entry in missing)
    verb = "added" if path.exists() else "created with"
    return _Write(path, new, f".gitignore: {verb} {' and '.join(missing)}")


def _ignores(text: str, entry: str) -> bool:
    """Whether a line of .gitignore already ignores the top directory ``entry``.

    ``dist``, ``dist/``, ``/dist/``, ``**/dist``, ``dist/*`` all do; a later ``!dist/``
    undoes it. Good enough for two fixed names, without asking git (which would also count
    a user's global excludes, which other clones of the project don't have).
    """
    name = entry.strip("/")
    ignored = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:] if negated else line
        pattern = pattern.removeprefix("**/").lstrip("/")
        for suffix in ("/**", "/*", "/"):
            pattern = pattern.removesuffix(suffix)
        if pattern == name:
            ignored = not negated
    return ignored


def _plan_pyproject(
    path: Path, text: str, data: dict[str, Any], hatch: bool, root: Path
) -> _Write | None:
    """The new pyproject.toml (see :func:`releasekit.cli.pyproject_edit.edit`), if it changes."""
    new_text, done = pyproject_edit.edit(text, data, hatch, root)
    if not done:
        return None
    return _Write(path, new_text, "pyproject.toml: " + "; ".join(done))


# --- writing -------------------------------------------------------------------------------


def _check_writable(writes: Sequence[_Write], root: Path) -> None:
    """Fail before the first write when one of them could not be made."""
    for write in writes:
        name = write.path.name
        if write.path.exists():
            try:
                with open(write.path, "r+b"):
                    pass
            except OSError as exc:
                raise ConfigError(
                    f"cannot write {name}: {exc.strerror}; nothing was changed",
                    f"make it writable (chmod u+w {name}) and run releasekit init again",
                ) from None
        elif not os.access(root, os.W_OK | os.X_OK):
            raise ConfigError(
                f"cannot create {name} in {root}: the directory is not writable; "
                "nothing was changed",
                f"make the directory writable (chmod u+w {root}) and run releasekit init again",
            )


def _write_all(writes: Sequence[_Write], root: Path) -> None:
    """Write each file; a failure half-way names the files that were already written."""
    written: list[str] = []
    for write in writes:
        try:
            write.path.write_bytes(write.text.encode("utf-8"))
        except OSError as exc:
            already = ", ".join(written) if written else "none"
            raise ConfigError(
                f"writing {write.path.name} failed: {exc.strerror}; already written: {already}",
                "fix the cause and run releasekit init again: it adds only what is still missing",
            ) from None
        written.append(write.path.name)


# --- what is left to do --------------------------------------------------------------------


def _next_steps(root: Path, data: Mapping[str, Any], environ: Mapping[str, str]) -> list[str]:
    steps = init_advice.version_files_step(root, data)
    readme = _readme_step(root, data)
    if readme:
        steps.append(readme)
    steps += init_advice.frontend_steps(data)
    needs_releasekit = [
        *pyproject_edit.build_requires(data),
        *pyproject_edit.hook_dependencies(data),
    ]
    if any(pyproject_edit.req_name(r) == "releasekit" for r in needs_releasekit):
        steps += _findable_steps(environ)
    steps += _commit_steps(root)
    steps.append(
        "next: nox -s release -- --rehearse   "
        "(the whole release against local indexes: nothing leaves this machine)"
    )
    return steps


def _readme_step(root: Path, data: Mapping[str, Any]) -> str | None:
    """``nox -s build`` runs ``twine check --strict``, which fails without a description."""
    project = data.get("project")
    if not isinstance(project, dict) or "readme" in project:
        return None
    if "readme" in (project.get("dynamic") or []):
        return None
    readmes = sorted(p.name for p in root.glob("README*") if p.is_file())
    where = (
        f"readme = {json.dumps(readmes[0])}" if readmes else 'readme = "README.md" (and write it)'
    )
    return (
        f"next: set [project] {where}: `nox -s build` runs `twine check --strict`, which "
        "refuses a package without a long description"
    )


def installed_from() -> tuple[str, str] | None:
    """Where this releasekit was installed from, when that was not a package index.

    pip and uv record a direct install (a local checkout, a wheel file, a git URL) in
    ``direct_url.json`` (PEP 610). Such a releasekit is invisible to a build frontend that
    resolves the name ``releasekit`` from an index, so every build of the project fails until
    releasekit's wheel is somewhere they look. See :func:`direct_source`.
    """
    try:
        raw = importlib.metadata.distribution("releasekit").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    return direct_source(raw)


def direct_source(direct_url: str | None) -> tuple[str, str] | None:
    """The URL of a ``direct_url.json`` and what ``pip wheel`` builds that wheel from.

    ``None`` when there is no such file (an install from an index, or from a find-links
    folder, which build frontends search too) or it cannot be read.
    """
    try:
        info = json.loads(direct_url or "null")
    except ValueError:
        return None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        return None
    url: str = info["url"]
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
        commit = vcs.get("commit_id")
        return url, f"{vcs['vcs']}+{url}" + (f"@{commit}" if isinstance(commit, str) else "")
    if url.startswith("file:"):
        return url, unquote(urlparse(url).path)
    return url, url


def _wheel_dirs(value: str, separators: str) -> list[Path]:
    """The local directories among find-links entries (paths or ``file:`` URLs)."""
    dirs = []
    for entry in re.split(separators, value):
        if entry.startswith("file:"):
            entry = unquote(urlparse(entry).path)
        elif not entry or "://" in entry:
            continue
        path = Path(os.path.expandvars(entry)).expanduser()
        if path.is_dir():
            dirs.append(path)
    return dirs


def _findable_steps(environ: Mapping[str, str]) -> list[str]:
    """How to let pip, build and uv find a releasekit that was installed from a checkout."""
    source = installed_from()
    if source is None:
        return []
    url, argument = source
    holding = {
        variable: [
            d
            for d in _wheel_dirs(environ.get(variable, ""), sep)
            if any(d.glob("releasekit-*.whl"))
        ]
        for variable, sep in (("PIP_FIND_LINKS", r"\s+"), ("UV_FIND_LINKS", r"[,\s]+"))
    }
    missing = [variable for variable, dirs in holding.items() if not dirs]
    if not missing:
        return []
    found = [d for dirs in holding.values() for d in dirs]
    wheelhouse = str(found[0]) if found else WHEELHOUSE
    steps = [
        f"next: let this project's builds find releasekit (the build hook needs it): it is "
        f"installed from {url}, where no build frontend looks; put its wheel where they do:"
    ]
    if not found:
        steps.append(
            f'        pip wheel --no-deps --wheel-dir "{wheelhouse}" {shlex.quote(argument)}'
        )
    exports = " ".join(f'{variable}="{wheelhouse}"' for variable in missing)
    steps.append(f"        export {exports}   # in your shell profile and CI too")
    return steps


def _and(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    listed = list(items)
    return ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else "".join(listed)


def _commit_steps(root: Path) -> list[str]:
    """Commit what init wrote: the release builds from HEAD and checks for a clean tree."""
    names = ("noxfile.py", "pyproject.toml", ".gitignore")
    try:
        proc = subprocess.run(
            ["git", "status", "--porcelain", "--", *names],
            cwd=root,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        proc = None
    if proc is None or proc.returncode != 0:
        return [
            "next: make the project a git repository and commit it (git init; git add; "
            "git commit): the release is built from a clean export of HEAD"
        ]
    # porcelain paths are relative to the repository's top, not to ``root`` (a monorepo)
    changed = {Path(line[3:].strip('"')).name for line in proc.stdout.splitlines() if line[3:]}
    if not changed:
        return []
    return [
        f"next: commit {_and(n for n in names if n in changed)} "
        "(the release is built from HEAD, and `nox -s check` wants a clean tree)"
    ]

"""``[tool.releasekit]`` read once into one typed, validated :class:`Config`.

Every front end (hatch plugin, nox sessions, CLI) reads the project's settings through
:func:`load_config` or :func:`parse_config`, so a typo is reported the same way everywhere:
one line naming the key, and the closest valid key as the hint.

This module is imported by the hatch plugin: standard library only (plus ``tomli`` on
Python < 3.11, which hatchling already depends on there); what it shares with
:mod:`releasekit.project.workspace` lives in :mod:`releasekit.core.validate` and
:mod:`releasekit.core.tagprefix`, which are as light, so neither module imports the other.
Modules only some paths need (``difflib`` for a typo's hint, ``ipaddress``,
``urllib.parse``, ``tomllib``, :mod:`releasekit.core.tagprefix`) are imported where they are
used: the build hook imports this module in every build. For the same reason its records
are ``NamedTuple`` s, not frozen dataclasses: a dataclass is built by generated code when
the module is imported (0.7 ms each on Python 3.11, a NamedTuple 0.15 ms), and the hook's
whole budget in a build is a few milliseconds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from releasekit.core import gitdir, urls
from releasekit.core.urls import is_loopback as is_loopback  # re-exported: the rule is in urls
from releasekit.core.validate import (
    Problems,
    load_pyproject,
    optional_str,
    reject_unknown,
    require_table,
    str_list,
)
from releasekit.core.wheelspec import WheelsSpec, parse_wheels
from releasekit.errors import ConfigError

__all__ = [
    "PRE_RELEASE_POLICIES",
    "CarrierSpec",
    "Config",
    "HookOptions",
    "IndexConfig",
    "SmokeConfig",
    "WheelsSpec",
    "env_flag",
    "hook_options",
    "is_pypi",
    "load_config",
    "load_pyproject",
    "parse_config",
    "url",
    "validate_project",
]

PYPI_URL = "https://pypi.org/simple/"
PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/"
TESTPYPI_URL = "https://test.pypi.org/simple/"
TESTPYPI_UPLOAD_URL = "https://test.pypi.org/legacy/"

PRE_RELEASE_POLICIES = ("both", "test-only")
# Longer is no index's URL but a paste gone wrong; servers and proxies refuse past ~8 kB.
MAX_URL_LENGTH = 2000
# Where projects keep their changelog, most common first; the first that exists is checked.
CHANGELOG_NAMES = (
    "CHANGELOG.md",
    "CHANGES.md",
    "CHANGELOG.rst",
    "CHANGES.rst",
    "HISTORY.md",
    "HISTORY.rst",
    "NEWS.md",
    "NEWS.rst",
)

_TOP_KEYS = (
    "version-files",
    "tag-prefix",
    "changelog",
    "pre-release",
    "indexes",
    "install-index",
    "tools-index",
    "check-commands",
    "check-sessions",
    "prepare-commands",
    "version-from-tag",
    "check-reproducible",
    "github-release",
    "attestations",
    "smoke",
    "propagation-timeout",
    "wheels",
    # a workspace root's ([tool.releasekit] of a root pyproject.toml): releasekit.project.workspace
    "members",
    "npm-registry",
    "npm-publish",
    "npm-provenance",
    "npm-trusted-publishing",
)
_INDEX_NAMES = ("test", "prod")
_INDEX_KEYS = ("url", "publish-url", "upload-limit-mb", "pypi-rules")
_SMOKE_KEYS = ("pythons", "commands", "extras", "timeout")
_CARRIER_KEYS = ("path", "pattern")
HOOK_TABLE = "[tool.hatch.build.hooks.releasekit]"
_HOOK_KEYS = ("require-tag", "allow-dirty")
# hatchling's own keys for every build hook table
_HATCH_HOOK_KEYS = (
    "dependencies",
    "require-runtime-dependencies",
    "require-runtime-features",
    "enable-by-default",
)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class CarrierSpec(NamedTuple):
    """One entry of ``version-files``: a path, and for text files the regex that finds it.

    ``pattern`` must have a named group ``version``. ``None`` lets the carrier pick its
    default from the file name (pyproject.toml, ``*.py``, package.json).
    """

    path: str
    pattern: str | None = None


class IndexConfig(NamedTuple):
    """A package index: where to read what it serves, and where to upload."""

    name: str  # "test" or "prod"
    url: str  # PEP 503 simple API root, ending in "/"
    publish_url: str  # upload endpoint (twine's --repository-url)
    # the index's upload limit per file in MiB when raised for the project (PyPI: 100)
    upload_limit_mb: int | None = None
    # whether the plan holds files to PyPI's upload rules (false: an index that is not PyPI)
    pypi_rules: bool = True

    @property
    def env_prefix(self) -> str:
        """``RELEASEKIT_TEST`` or ``RELEASEKIT_PROD``: where its credentials come from."""
        return f"RELEASEKIT_{self.name.upper()}"


class SmokeConfig(NamedTuple):
    """What smoke-install does beyond installing and importing."""

    pythons: tuple[str, ...] = ()  # empty: the Python running nox
    commands: tuple[str, ...] = ()  # run in the smoke venv after install
    extras: Mapping[str, tuple[str, ...]] = MappingProxyType({})  # extra -> commands
    timeout: float = 120.0  # seconds per command; past it the command's process tree is killed


class HookOptions(NamedTuple):
    """``[tool.hatch.build.hooks.releasekit]``, with ``RELEASEKIT_REQUIRE_TAG`` applied."""

    require_tag: bool = False
    allow_dirty: bool = False
    require_tag_from_env: bool = False  # for messages: who asked for a tag


class Config(NamedTuple):
    """The validated ``[tool.releasekit]`` table of one project."""

    root: Path
    version_files: tuple[CarrierSpec, ...] = ()  # empty: not configured
    tag_prefix: str | None = None  # None: an optional "v"
    changelog: str | bool | None = None  # None: the first of CHANGELOG_NAMES; False: no check
    pre_release: str = "both"
    indexes: Mapping[str, IndexConfig] = MappingProxyType({})
    install_index: str | None = None  # None: the installer's own configuration (PyPI)
    # where the locked tools (twine, pypiserver) come from: a URL or an absolute directory
    tools_index: str | None = None  # None: PyPI
    check_commands: tuple[str, ...] = ()
    check_sessions: tuple[str, ...] = ()  # the project's own nox sessions that check requires
    prepare_commands: tuple[str, ...] = ()  # run in the clean export before the sdist build
    version_from_tag: bool = False  # a tag build stamps the tag's version into the export
    check_reproducible: bool = False  # the build is made twice and the bytes compared
    github_release: bool = False  # `release` ends with the GitHub release of the tag
    # PEP 740 attestations for every file; None: on when the upload uses trusted publishing
    attestations: bool | None = None
    smoke: SmokeConfig = SmokeConfig()
    propagation_timeout: float = 300.0
    wheels: WheelsSpec | None = None  # None: any wheels (nothing is declared)

    @property
    def test_index(self) -> IndexConfig:
        return self.indexes["test"]

    @property
    def prod_index(self) -> IndexConfig:
        return self.indexes["prod"]

    def carrier_specs(self) -> tuple[CarrierSpec, ...]:
        """``version-files``, or pyproject.toml's static version when none are configured."""
        return self.version_files or (CarrierSpec("pyproject.toml"),)

    def changelog_path(self) -> Path | None:
        """The changelog to check, or ``None`` when there is none to check.

        One that leads out of the git repository (a committed symlink to another file of the
        machine's) is refused: its text would become the release's notes and be published.
        """
        path = self._changelog_candidate()
        if path is not None and path.exists():
            outside = gitdir.outside_boundary(path, self.root)
            if outside is not None:
                real, edge, what = outside
                raise ConfigError(
                    f"changelog {path} leads to {real.as_posix()}, outside {what} "
                    f"({edge.as_posix()})",
                    "keep the changelog in the project: replace the symlink with the file, or "
                    "set [tool.releasekit] changelog to the project's own",
                )
        return path

    def _changelog_candidate(self) -> Path | None:
        if self.changelog is False:
            return None
        if isinstance(self.changelog, str):
            return self.root / self.changelog
        for name in CHANGELOG_NAMES:
            # exists(), not is_file(): a CHANGELOG.md that is a directory (or unreadable) is
            # an error to report, not a changelog to skip silently
            if (self.root / name).exists():
                return self.root / name
        return None


def load_config(root: Path | str) -> Config:
    """Read and validate ``[tool.releasekit]`` of the project at ``root``."""
    return parse_config(load_pyproject(root), Path(root))


def parse_config(pyproject: Mapping[str, Any], root: Path | str) -> Config:
    """Validate the ``[tool.releasekit]`` table of an already parsed pyproject.toml.

    Every problem is collected before anything is raised: four typos are one run, not
    four. One problem raises its own :class:`ConfigError`; several raise
    :class:`ConfigProblems`.
    """
    table = pyproject.get("tool", {}).get("releasekit", {})
    where = "[tool.releasekit]"
    require_table(table, where)
    problems = Problems()
    problems.unknown(table, _TOP_KEYS, where)

    def strings(key: str) -> tuple[str, ...]:
        return problems.check(str_list, (), table.get(key, []), f"{where} {key}")

    own_prefix = problems.check(optional_str, None, table, "tag-prefix", where)
    if own_prefix:  # a tag git refuses is refused here, not after bump --tag committed
        from releasekit.core.tagprefix import check_tag_prefix

        own_prefix = problems.check(check_tag_prefix, None, own_prefix, where)

    config = Config(
        root=Path(root),
        version_files=problems.check(_version_files, (), table.get("version-files"), where),
        tag_prefix=_inherited_tag_prefix(Path(root)) if own_prefix is None else own_prefix,
        changelog=problems.check(_changelog, None, table.get("changelog"), where),
        pre_release=problems.check(_pre_release, "both", table.get("pre-release", "both"), where),
        indexes=_indexes(table.get("indexes", {}), where, problems),
        install_index=problems.check(
            _optional_url, None, table.get("install-index"), f"{where} install-index"
        ),
        tools_index=problems.check(
            _tools_index, None, table.get("tools-index"), f"{where} tools-index", Path(root)
        ),
        check_commands=strings("check-commands"),
        check_sessions=strings("check-sessions"),
        prepare_commands=strings("prepare-commands"),
        version_from_tag=problems.check(
            _bool, False, table.get("version-from-tag", False), f"{where} version-from-tag"
        ),
        check_reproducible=problems.check(
            _bool, False, table.get("check-reproducible", False), f"{where} check-reproducible"
        ),
        github_release=problems.check(
            _bool, False, table.get("github-release", False), f"{where} github-release"
        ),
        attestations=(
            None
            if table.get("attestations") is None
            else problems.check(_bool, False, table["attestations"], f"{where} attestations")
        ),
        smoke=_smoke(table.get("smoke", {}), f"{where}.smoke", problems),
        propagation_timeout=problems.check(
            _timeout, 300.0, table.get("propagation-timeout", 300), where
        ),
        wheels=problems.check(parse_wheels, None, table.get("wheels"), f"{where} wheels"),
    )
    problems.raise_any()
    return config


def _inherited_tag_prefix(root: Path) -> str | None:
    """A workspace member's default tag prefix (see :mod:`releasekit.core.tagprefix`)."""
    if (root / ".git").exists():  # a repository's top is no member: not even the import
        return None  # (the hook parses the config in every build)
    from releasekit.core.tagprefix import inherited_tag_prefix

    return inherited_tag_prefix(root)


def validate_project(pyproject: Mapping[str, Any], root: Path | str) -> Config:
    """``[tool.releasekit]``, the hook's table and ``RELEASEKIT_REQUIRE_TAG``, checked together.

    What ``releasekit version`` and ``nox -s check`` run first, so a typo in the hook's
    table is reported with the others instead of as a build traceback later.
    """
    problems = Problems()
    config = problems.check(parse_config, None, pyproject, root)
    hooks = pyproject.get("tool", {}).get("hatch", {}).get("build", {}).get("hooks", {})
    if isinstance(hooks, Mapping) and "releasekit" in hooks:
        problems.check(hook_options, None, hooks["releasekit"])
    else:
        problems.check(env_flag, False, "RELEASEKIT_REQUIRE_TAG")
    problems.raise_any()
    assert config is not None
    return config


def hook_options(table: object, environ: Mapping[str, str] | None = None) -> HookOptions:
    """Validate the build hook's table; ``RELEASEKIT_REQUIRE_TAG`` turns ``require-tag`` on."""
    require_table(table, HOOK_TABLE)
    assert isinstance(table, Mapping)
    problems = Problems()
    problems.unknown(table, _HOOK_KEYS + _HATCH_HOOK_KEYS, HOOK_TABLE)
    require_tag = problems.check(
        _bool, False, table.get("require-tag", False), f"{HOOK_TABLE} require-tag"
    )
    allow_dirty = problems.check(
        _bool, False, table.get("allow-dirty", False), f"{HOOK_TABLE} allow-dirty"
    )
    from_env = problems.check(env_flag, False, "RELEASEKIT_REQUIRE_TAG", environ)
    problems.raise_any()
    return HookOptions(
        require_tag=require_tag or from_env, allow_dirty=allow_dirty, require_tag_from_env=from_env
    )


def env_flag(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """A boolean environment variable. Unset or empty is false; a value that is neither true
    nor false is an error, never a silent false (``RELEASEKIT_REQUIRE_TAG=maybe``)."""
    raw = (environ if environ is not None else os.environ).get(name, "")
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(
        f"{name}={raw!r} is not a boolean",
        f"set {name}=1 to turn it on, or unset it (0, false, no and off also mean off)",
    )


def _bool(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    key = where.rsplit(" ", 1)[-1]
    raise ConfigError(f"{where} must be true or false, not {value!r}", f"write {key} = true")


def _changelog(value: object, where: str) -> str | bool | None:
    """A path, or ``false`` to turn the check off (``true`` is the default)."""
    if value is None or value is True:
        return None
    if value is False:
        return False
    if isinstance(value, str) and value.strip() and not value.endswith(("/", "\\")):
        return value
    raise ConfigError(
        f"{where} changelog must be a file path or false, not {value!r}",
        'e.g. changelog = "CHANGES.md", or changelog = false to turn the check off',
    )


def _version_files(value: object, where: str) -> tuple[CarrierSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise ConfigError(
            f"{where} version-files must be a non-empty list, not {value!r}",
            'list the files that carry the version, e.g. ["pyproject.toml", "src/pkg/__init__.py"]',
        )
    specs = []
    for item in value:
        if isinstance(item, str):
            specs.append(CarrierSpec(item))
            continue
        if isinstance(item, Mapping):
            reject_unknown(item, _CARRIER_KEYS, f"{where} version-files entry")
            path, pattern = item.get("path"), item.get("pattern")
            if isinstance(path, str) and (pattern is None or isinstance(pattern, str)):
                specs.append(CarrierSpec(path, pattern))
                continue
        raise ConfigError(
            f"{where} version-files has an entry releasekit cannot use: {item!r}",
            'use a path string or { path = "...", pattern = "...(?P<version>...)..." }',
        )
    return tuple(specs)


def _pre_release(value: object, where: str) -> str:
    if value in PRE_RELEASE_POLICIES:
        return str(value)
    raise ConfigError(
        f"{where} pre-release must be one of {', '.join(map(repr, PRE_RELEASE_POLICIES))}, "
        f"not {value!r}",
        '"both" publishes pre-releases everywhere, "test-only" only to the test index',
    )


def _timeout(value: object, where: str) -> float:
    _finite(value, f"{where} propagation-timeout", "e.g. propagation-timeout = 300")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ConfigError(
        f"{where} propagation-timeout must be a number of seconds >= 0, not {value!r}",
        "e.g. propagation-timeout = 300",
    )


def _finite(value: object, where: str, hint: str) -> None:
    """Refuse TOML's ``inf`` and ``nan`` as a number of seconds: ``inf`` would wait forever
    (an index that never serves the file hangs the release), ``nan`` compares false."""
    if isinstance(value, float):
        import math

        if not math.isfinite(value):
            raise ConfigError(
                f"{where} = {value!r} never ends: give a finite number of seconds", hint
            )


def _indexes(value: object, where: str, problems: Problems) -> dict[str, IndexConfig]:
    where = f"{where}.indexes"
    tables = problems.table(value, where)
    problems.unknown(tables, _INDEX_NAMES, where)
    defaults = {"test": (TESTPYPI_URL, TESTPYPI_UPLOAD_URL), "prod": (PYPI_URL, PYPI_UPLOAD_URL)}
    result = {}
    for name, (url, publish_url) in defaults.items():
        sub = f"{where}.{name}"
        table = problems.table(tables.get(name, {}), sub)
        problems.unknown(table, _INDEX_KEYS, sub)
        result[name] = IndexConfig(
            name=name,
            url=problems.check(_optional_url, None, table.get("url"), f"{sub} url") or url,
            publish_url=problems.check(
                _optional_url, None, table.get("publish-url"), f"{sub} publish-url"
            )
            or publish_url,
            upload_limit_mb=problems.check(
                _upload_limit, None, table.get("upload-limit-mb"), f"{sub} upload-limit-mb"
            ),
            pypi_rules=problems.check(
                _pypi_rules, True, table.get("pypi-rules", True), f"{sub} pypi-rules"
            ),
        )
        pypi = [u for u in (result[name].publish_url, result[name].url) if is_pypi(u)]
        if not result[name].pypi_rules and pypi:
            problems.found.append(
                ConfigError(
                    f"{sub} pypi-rules = false, but the index is PyPI's own "
                    f"({_hide_userinfo(pypi[0])!r})",
                    "PyPI refuses what its rules refuse: remove pypi-rules, or point url and "
                    "publish-url at the index that is not PyPI",
                )
            )
    test, prod = result["test"], result["prod"]
    for key, first, second in (
        ("url", test.url, prod.url),
        ("publish-url", test.publish_url, prod.publish_url),
    ):
        if _same_url(first, second):
            problems.found.append(
                ConfigError(
                    f"{where}.test and {where}.prod have the same {key} {_hide_userinfo(first)!r}",
                    "the test upload would be the release itself: point test at a separate "
                    "index (TestPyPI, or a staging index of your own)",
                )
            )
            break
    return result


def _upload_limit(value: object, where: str) -> int | None:
    """The per-file upload limit PyPI's admins raised for the project, in MiB (the preflight
    refuses a larger file, as PyPI would)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    raise ConfigError(
        f"{where} must be a whole number of MiB > 0, not {value!r}",
        "the limit PyPI shows for the project (100 unless raised), e.g. upload-limit-mb = 200",
    )


def _pypi_rules(value: object, where: str) -> bool:
    """Whether the plan holds this index's files to PyPI's upload rules."""
    if isinstance(value, bool):
        return value
    raise ConfigError(
        f"{where} must be true or false, not {value!r}",
        "true (the default) holds every file to PyPI's upload rules; false for an index that "
        "is not PyPI (devpi, Artifactory, a GitLab registry), e.g. pypi-rules = false",
    )


def is_pypi(url: str) -> bool:
    """Whether ``url`` is on PyPI or TestPyPI (pypi.org, upload.pypi.org, test.pypi.org)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host in ("pypi.org", "upload.pypi.org", "test.pypi.org", "files.pythonhosted.org")


def _same_url(first: str, second: str) -> bool:
    """The same index, whatever the case of the host or a trailing slash."""
    from urllib.parse import urlsplit

    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme.lower(), (a.netloc or "").lower(), a.path.rstrip("/")) == (
        b.scheme.lower(),
        (b.netloc or "").lower(),
        b.path.rstrip("/"),
    )


def _url(value: object, where: str) -> str:
    """An https URL, or http on loopback only: credentials must not cross a network in clear.

    Nor may they sit in the URL: ``https://user:token@host/`` in pyproject.toml is a token in
    git history and in every line that names the index. The message shows the URL with
    ``***`` for the user info, never the token itself. The rule is :mod:`releasekit.core.urls`'s;
    the words are the configuration's own.
    """
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a URL string, not {value!r}", "e.g. https://...")
    if len(value) > MAX_URL_LENGTH:  # refused before it is shown whole or requested
        raise ConfigError(
            f"{where} {_hide_userinfo(value[:60])!r}... is {len(value):,} characters long, "
            f"more than the {MAX_URL_LENGTH:,} a URL may have",
            "set it to the index's URL, e.g. https://pypi.org/simple/",
        )
    shown = _hide_userinfo(value)
    reason = urls.unsafe_reason(value)
    if reason == urls.NOT_VALID:
        raise ConfigError(
            f"{where} {shown!r} is not a valid URL "
            f"({_hide_userinfo(urls.invalid_because(value) or reason)})",
            "e.g. https://pypi.org/simple/",
        )
    if reason == urls.HAS_CREDENTIALS or shown != value:
        raise ConfigError(
            f"{where} {shown!r} has credentials in it",
            _userinfo_hint(where),
        )
    if reason is None:
        return value if value.endswith("/") else value + "/"
    if reason == urls.PLAIN_HTTP:
        raise ConfigError(
            f"{where} {shown!r} uses http:// on a non-loopback host",
            "use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost)",
        )
    raise ConfigError(f"{where} {shown!r} is not an http(s) URL", "e.g. https://pypi.org/simple/")


def _hide_userinfo(text: str) -> str:
    """``text`` with a URL's ``user:password@`` replaced by ``***@`` (:func:`urls.redact_url`)."""
    return urls.redact_url(text)


def _userinfo_hint(where: str) -> str:
    index = re.search(r"\.indexes\.(\w+) ", where)
    if index:
        prefix = f"RELEASEKIT_{index.group(1).upper()}"
        return (
            f"remove the user and password from the URL and set {prefix}_PASSWORD (and "
            f"{prefix}_USERNAME, default __token__) in the environment; revoke the token if "
            "it was committed"
        )
    return (
        "remove the user and password from the URL: upload credentials come from "
        "RELEASEKIT_TEST_PASSWORD / RELEASEKIT_PROD_PASSWORD in the environment, and an index "
        "that needs a login to install from reads it from ~/.netrc; revoke the token if it "
        "was committed"
    )


def _optional_url(value: object, where: str) -> str | None:
    return None if value is None else _url(value, where)


def _tools_index(value: object, where: str, root: Path) -> str | None:
    """Where the locked tools come from instead of PyPI (a company mirror): an index URL
    (https, http on loopback, file://), or a directory of the locked files, made absolute.
    Hashes decide what is installed; this only decides where it is fetched."""
    if value is None:
        return None
    if isinstance(value, str) and value.startswith("file://"):
        return value if value.endswith("/") else value + "/"
    if isinstance(value, str) and "://" not in value:
        directory = (root / Path(value).expanduser()).resolve()
        if not directory.is_dir():
            raise ConfigError(
                f"{where} {value!r} is neither a URL nor a directory",
                "e.g. https://pypi.example/simple/, file:///srv/wheels/simple/ or a directory "
                "holding the locked files",
            )
        return str(directory)
    return _url(value, where)


def _smoke(value: object, where: str, problems: Problems) -> SmokeConfig:
    table = problems.table(value, where)
    problems.unknown(table, _SMOKE_KEYS, where)
    extras = problems.table(table.get("extras", {}), f"{where}.extras")
    return SmokeConfig(
        pythons=problems.check(str_list, (), table.get("pythons", []), f"{where} pythons"),
        commands=problems.check(str_list, (), table.get("commands", []), f"{where} commands"),
        extras={
            name: problems.check(str_list, (), cmds, f"{where}.extras {name}")
            for name, cmds in extras.items()
        },
        timeout=problems.check(_smoke_timeout, 120.0, table.get("timeout", 120), where),
    )


def _smoke_timeout(value: object, where: str) -> float:
    _finite(value, f"{where} timeout", "e.g. timeout = 120")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ConfigError(
        f"{where} timeout must be a number of seconds > 0, not {value!r}",
        "e.g. timeout = 120 (a smoke command still running after it is stopped)",
    )


# The URL check's public name: a workspace's npm-registry is checked as an index URL is.
url = _url

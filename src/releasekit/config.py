"""``[tool.releasekit]`` read once into one typed, validated :class:`Config`.

Every front end (hatch plugin, nox sessions, CLI) reads the project's settings through
:func:`load_config` or :func:`parse_config`, so a typo is reported the same way everywhere:
one line naming the key, and the closest valid key as the hint.

This module is imported by the hatch plugin: standard library only (plus ``tomli`` on
Python < 3.11, which hatchling already depends on there).
"""

from __future__ import annotations

import difflib
import ipaddress
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from releasekit.errors import ConfigError

__all__ = [
    "PRE_RELEASE_POLICIES",
    "CarrierSpec",
    "Config",
    "IndexConfig",
    "SmokeConfig",
    "load_config",
    "load_pyproject",
    "parse_config",
]

PYPI_URL = "https://pypi.org/simple/"
PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/"
TESTPYPI_URL = "https://test.pypi.org/simple/"
TESTPYPI_UPLOAD_URL = "https://test.pypi.org/legacy/"

PRE_RELEASE_POLICIES = ("both", "test-only")

_TOP_KEYS = (
    "version-files",
    "tag-prefix",
    "changelog",
    "pre-release",
    "indexes",
    "install-index",
    "check-commands",
    "smoke",
    "propagation-timeout",
)
_INDEX_NAMES = ("test", "prod")
_INDEX_KEYS = ("url", "publish-url")
_SMOKE_KEYS = ("pythons", "commands", "extras")
_CARRIER_KEYS = ("path", "pattern")


@dataclass(frozen=True)
class CarrierSpec:
    """One entry of ``version-files``: a path, and for text files the regex that finds it.

    ``pattern`` must have a named group ``version``. ``None`` lets the carrier pick its
    default from the file name (pyproject.toml, ``*.py``, package.json).
    """

    path: str
    pattern: str | None = None


@dataclass(frozen=True)
class IndexConfig:
    """A package index: where to read what it serves, and where to upload."""

    name: str  # "test" or "prod"
    url: str  # PEP 503 simple API root, ending in "/"
    publish_url: str  # upload endpoint (twine's --repository-url)

    @property
    def env_prefix(self) -> str:
        """``RELEASEKIT_TEST`` or ``RELEASEKIT_PROD``: where its credentials come from."""
        return f"RELEASEKIT_{self.name.upper()}"


@dataclass(frozen=True)
class SmokeConfig:
    """What smoke-install does beyond installing and importing."""

    pythons: tuple[str, ...] = ()  # empty: the Python running nox
    commands: tuple[str, ...] = ()  # run in the smoke venv after install
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # extra -> commands


@dataclass(frozen=True)
class Config:
    """The validated ``[tool.releasekit]`` table of one project."""

    root: Path
    version_files: tuple[CarrierSpec, ...] = ()  # empty: not configured
    tag_prefix: str | None = None  # None: an optional "v"
    changelog: str | None = None  # None: CHANGELOG.md when present
    pre_release: str = "both"
    indexes: Mapping[str, IndexConfig] = field(default_factory=dict)
    install_index: str | None = None  # None: the installer's own configuration (PyPI)
    check_commands: tuple[str, ...] = ()
    smoke: SmokeConfig = field(default_factory=SmokeConfig)
    propagation_timeout: float = 300.0

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
        """The changelog to check, or ``None`` when there is none to check."""
        if self.changelog is not None:
            return self.root / self.changelog
        default = self.root / "CHANGELOG.md"
        return default if default.is_file() else None


def load_pyproject(root: Path | str) -> dict[str, Any]:
    """Parse ``root/pyproject.toml`` into plain dicts."""
    path = Path(root) / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no pyproject.toml in {Path(root)}",
            "run releasekit from the project's root directory",
        ) from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # hatchling depends on tomli on these Pythons
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax error") from None


def load_config(root: Path | str) -> Config:
    """Read and validate ``[tool.releasekit]`` of the project at ``root``."""
    return parse_config(load_pyproject(root), Path(root))


def parse_config(pyproject: Mapping[str, Any], root: Path | str) -> Config:
    """Validate the ``[tool.releasekit]`` table of an already parsed pyproject.toml."""
    table = pyproject.get("tool", {}).get("releasekit", {})
    where = "[tool.releasekit]"
    _require_table(table, where)
    reject_unknown(table, _TOP_KEYS, where)

    return Config(
        root=Path(root),
        version_files=_version_files(table.get("version-files"), where),
        tag_prefix=_optional_str(table, "tag-prefix", where),
        changelog=_optional_str(table, "changelog", where),
        pre_release=_pre_release(table.get("pre-release", "both"), where),
        indexes=_indexes(table.get("indexes", {}), where),
        install_index=_optional_url(table.get("install-index"), f"{where} install-index"),
        check_commands=_str_list(table.get("check-commands", []), f"{where} check-commands"),
        smoke=_smoke(table.get("smoke", {}), f"{where}.smoke"),
        propagation_timeout=_timeout(table.get("propagation-timeout", 300), where),
    )


def _require_table(value: object, where: str) -> None:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where} must be a table, not {type(value).__name__} {value!r}",
            f"write it as a [{where.strip('[]')}] section",
        )


def reject_unknown(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    """A :class:`ConfigError` for the first key not in ``known``, suggesting the closest."""
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        raise ConfigError(f"unknown key {key!r} in {where}", hint)


def _optional_str(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(
        f"{where} {key} must be a string, not {value!r}", f'write it as {key} = "..."'
    )


def _str_list(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{where} must be a list of strings, not {value!r}", 'write ["...", "..."]')


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
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ConfigError(
        f"{where} propagation-timeout must be a number of seconds >= 0, not {value!r}",
        "e.g. propagation-timeout = 300",
    )


def _indexes(value: object, where: str) -> dict[str, IndexConfig]:
    where = f"{where}.indexes"
    _require_table(value, where)
    assert isinstance(value, Mapping)
    reject_unknown(value, _INDEX_NAMES, where)
    defaults = {"test": (TESTPYPI_URL, TESTPYPI_UPLOAD_URL), "prod": (PYPI_URL, PYPI_UPLOAD_URL)}
    result = {}
    for name, (url, publish_url) in defaults.items():
        table = value.get(name, {})
        sub = f"{where}.{name}"
        _require_table(table, sub)
        reject_unknown(table, _INDEX_KEYS, sub)
        result[name] = IndexConfig(
            name=name,
            url=_url(table.get("url", url), f"{sub} url"),
            publish_url=_url(table.get("publish-url", publish_url), f"{sub} publish-url"),
        )
    return result


def _url(value: object, where: str) -> str:
    """An https URL, or http on loopback only: credentials must not cross a network in clear."""
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a URL string, not {value!r}", "e.g. https://...")
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value if value.endswith("/") else value + "/"
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return value if value.endswith("/") else value + "/"
    if parts.scheme == "http":
        raise ConfigError(
            f"{where} {value!r} uses http:// on a non-loopback host",
            "use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost)",
        )
    raise ConfigError(f"{where} {value!r} is not an http(s) URL", "e.g. https://pypi.org/simple/")


def _optional_url(value: object, where: str) -> str | None:
    return None if value is None else _url(value, where)


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address: the only hosts plain http:// may reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _smoke(value: object, where: str) -> SmokeConfig:
    _require_table(value, where)
    assert isinstance(value, Mapping)
    reject_unknown(value, _SMOKE_KEYS, where)
    extras = value.get("extras", {})
    _require_table(extras, f"{where}.extras")
    return SmokeConfig(
        pythons=_str_list(value.get("pythons", []), f"{where} pythons"),
        commands=_str_list(value.get("commands", []), f"{where} commands"),
        extras={name: _str_list(cmds, f"{where}.extras {name}") for name, cmds in extras.items()},
    )

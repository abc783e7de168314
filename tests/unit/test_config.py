"""[tool.releasekit] parsing: defaults, every key, and a clear error for each bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from releasekit.config import CarrierSpec, parse_config
from releasekit.errors import ConfigError


def config(table: dict[str, Any], root: Path = Path("/p")) -> Any:
    return parse_config({"tool": {"releasekit": table}}, root)


def error(table: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        config(table)
    assert info.value.hint, "every config error says what to do"
    return info.value


def test_defaults_are_testpypi_pypi_and_both() -> None:
    c = parse_config({}, Path("/p"))
    assert c.version_files == ()
    assert c.carrier_specs() == (CarrierSpec("pyproject.toml"),)
    assert c.tag_prefix is None and c.changelog is None and c.pre_release == "both"
    assert c.test_index.url == "https://test.pypi.org/simple/"
    assert c.test_index.publish_url == "https://test.pypi.org/legacy/"
    assert c.prod_index.url == "https://pypi.org/simple/"
    assert c.prod_index.publish_url == "https://upload.pypi.org/legacy/"
    assert c.prod_index.env_prefix == "RELEASEKIT_PROD"
    assert c.install_index is None and c.propagation_timeout == 300.0


def test_every_key() -> None:
    c = config(
        {
            "version-files": [
                "pyproject.toml",
                {"path": "docs/conf.py", "pattern": 'release = "(?P<version>[^"]+)"'},
            ],
            "tag-prefix": "api-v",
            "changelog": "NEWS.md",
            "pre-release": "test-only",
            "install-index": "https://mirror.example/simple",
            "check-commands": ["pytest -q"],
            "propagation-timeout": 60,
            "indexes": {
                "test": {
                    "url": "http://127.0.0.1:8080/simple",
                    "publish-url": "http://localhost:8080",
                }
            },
            "smoke": {
                "pythons": ["3.9"],
                "commands": "demo --version",
                "extras": {"api": ["python -m demo.api"]},
            },
        }
    )
    assert c.version_files[1] == CarrierSpec("docs/conf.py", 'release = "(?P<version>[^"]+)"')
    assert c.tag_prefix == "api-v" and c.pre_release == "test-only"
    assert c.install_index == "https://mirror.example/simple/"
    assert c.test_index.url == "http://127.0.0.1:8080/simple/"
    assert c.test_index.publish_url == "http://localhost:8080/"
    assert c.prod_index.url == "https://pypi.org/simple/"
    assert c.smoke.commands == ("demo --version",)
    assert c.smoke.extras == {"api": ("python -m demo.api",)}
    assert c.propagation_timeout == 60.0
    assert c.changelog_path() == Path("/p/NEWS.md")


def test_changelog_defaults_to_changelog_md_when_present(tmp_path: Path) -> None:
    assert parse_config({}, tmp_path).changelog_path() is None
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n")
    assert parse_config({}, tmp_path).changelog_path() == tmp_path / "CHANGELOG.md"


@pytest.mark.parametrize(
    ("table", "message", "hint"),
    [
        (
            {"version-file": []},
            "unknown key 'version-file' in [tool.releasekit]",
            "did you mean 'version-files'?",
        ),
        (
            {"indexes": {"tset": {}}},
            "unknown key 'tset' in [tool.releasekit].indexes",
            "did you mean 'test'?",
        ),
        (
            {"indexes": {"prod": {"publish_url": "https://x/"}}},
            "unknown key 'publish_url'",
            "did you mean 'publish-url'?",
        ),
        (
            {"smoke": {"command": []}},
            "unknown key 'command' in [tool.releasekit].smoke",
            "did you mean 'commands'?",
        ),
        (
            {"pre-release": "never"},
            "pre-release must be one of 'both', 'test-only', not 'never'",
            "test-only",
        ),
        ({"version-files": []}, "version-files must be a non-empty list", "list the files"),
        ({"version-files": [3]}, "version-files has an entry releasekit cannot use: 3", "path"),
        ({"tag-prefix": 1}, "tag-prefix must be a string, not 1", "tag-prefix ="),
        ({"check-commands": [1]}, "check-commands must be a list of strings", "["),
        (
            {"propagation-timeout": -1},
            "propagation-timeout must be a number of seconds >= 0",
            "300",
        ),
        (
            {"indexes": {"prod": {"url": "http://pypi.example/simple/"}}},
            "'http://pypi.example/simple/' uses http:// on a non-loopback host",
            "https://",
        ),
        ({"install-index": "ftp://x/"}, "'ftp://x/' is not an http(s) URL", "https://"),
    ],
)
def test_bad_values_name_the_value_and_say_what_to_do(
    table: dict[str, Any], message: str, hint: str
) -> None:
    exc = error(table)
    assert message in exc.message
    assert hint in exc.hint


def test_a_table_that_is_not_a_table() -> None:
    with pytest.raises(ConfigError, match="must be a table"):
        parse_config({"tool": {"releasekit": "yes"}}, Path("/p"))

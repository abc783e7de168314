"""[tool.releasekit] parsing: defaults, every key, and a clear error for each bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from releasekit.core.config import (
    CarrierSpec,
    env_flag,
    hook_options,
    parse_config,
    validate_project,
)
from releasekit.errors import ConfigError, ConfigProblems


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


def test_every_problem_is_reported_at_once() -> None:
    pyproject = {
        "tool": {
            "releasekit": {
                "versoin-files": [],
                "tag-prefx": "v",
                "smoke": {"timeout": 0, "comands": []},
                "indexes": {"prod": {"url": "http://pypi.example/"}},
            },
            "hatch": {"build": {"hooks": {"releasekit": {"require_tag": True}}}},
        }
    }
    with pytest.raises(ConfigProblems) as exc:
        validate_project(pyproject, Path("/p"))
    found = [(p.message, p.hint) for p in exc.value.problems]
    assert found == [
        ("unknown key 'versoin-files' in [tool.releasekit]", "did you mean 'version-files'?"),
        ("unknown key 'tag-prefx' in [tool.releasekit]", "did you mean 'tag-prefix'?"),
        (
            "[tool.releasekit].indexes.prod url 'http://pypi.example/' uses http:// on a "
            "non-loopback host",
            "use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost)",
        ),
        ("unknown key 'comands' in [tool.releasekit].smoke", "did you mean 'commands'?"),
        (
            "[tool.releasekit].smoke timeout must be a number of seconds > 0, not 0",
            "e.g. timeout = 120 (a smoke command still running after it is stopped)",
        ),
        (
            "unknown key 'require_tag' in [tool.hatch.build.hooks.releasekit]",
            "did you mean 'require-tag'?",
        ),
    ]
    assert str(exc.value).count("hint:") == 6


@pytest.mark.parametrize("value", ["maybe", "2", "tru"])
def test_a_boolean_variable_that_is_not_a_boolean_is_an_error(value: str) -> None:
    with pytest.raises(ConfigError) as exc:
        hook_options({}, {"RELEASEKIT_REQUIRE_TAG": value})
    assert exc.value.message == f"RELEASEKIT_REQUIRE_TAG={value!r} is not a boolean"
    assert "RELEASEKIT_REQUIRE_TAG=1" in exc.value.hint


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("yes", True), ("ON", True), ("", False), ("0", False), ("off", False)],
)
def test_boolean_variables(value: str, expected: bool) -> None:
    assert env_flag("X", {"X": value}) is expected
    assert hook_options({}, {"RELEASEKIT_REQUIRE_TAG": value}).require_tag is expected


def test_hook_options() -> None:
    options = hook_options({"require-tag": True, "dependencies": ["x"]}, {})
    assert (options.require_tag, options.allow_dirty, options.require_tag_from_env) == (
        True, False, False,
    )  # fmt: skip
    with pytest.raises(ConfigError, match="allow-dirty must be true or false, not 'yes'"):
        hook_options({"allow-dirty": "yes"}, {})


def test_new_keys() -> None:
    c = config(
        {
            "check-sessions": ["tests", "lint"],
            "prepare-commands": ["npm ci --prefix frontend"],
            "version-from-tag": True,
            "changelog": False,
            "smoke": {"timeout": 5},
        }
    )
    assert c.check_sessions == ("tests", "lint")
    assert c.prepare_commands == ("npm ci --prefix frontend",)
    assert c.version_from_tag is True
    assert c.changelog_path() is None
    assert c.smoke.timeout == 5.0
    assert config({}).smoke.timeout == 120.0


@pytest.mark.parametrize("value", ["", "docs/", 3])
def test_changelog_must_be_a_path_or_false(value: object) -> None:
    exc = error({"changelog": value})
    assert exc.message == f"[tool.releasekit] changelog must be a file path or false, not {value!r}"
    assert "changelog = false" in exc.hint


def test_common_changelog_names_are_found(tmp_path: Path) -> None:
    (tmp_path / "CHANGES.rst").write_text("x\n", encoding="utf-8")
    assert parse_config({}, tmp_path).changelog_path() == tmp_path / "CHANGES.rst"


# -- a URL must not carry credentials ----------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "where", "shown", "variable"),
    [
        (
            {"indexes": {"test": {"url": "https://__token__:pypi-S3CRET@test.pypi.org/simple/"}}},
            "[tool.releasekit].indexes.test url",
            "https://***@test.pypi.org/simple/",
            "RELEASEKIT_TEST_PASSWORD",
        ),
        (
            {"indexes": {"prod": {"publish-url": "https://me:S3@CRET@upload.example/legacy/"}}},
            "[tool.releasekit].indexes.prod publish-url",
            "https://***@upload.example/legacy/",
            "RELEASEKIT_PROD_PASSWORD",
        ),
        (  # credentials are refused before the http:// rule would show the URL
            {"indexes": {"prod": {"url": "http://me:S3CRET@pypi.example/simple"}}},
            "[tool.releasekit].indexes.prod url",
            "http://***@pypi.example/simple",
            "RELEASEKIT_PROD_PASSWORD",
        ),
        (
            {"indexes": {"test": {"url": "http://me:S3CRET@127.0.0.1:8080/simple/"}}},
            "[tool.releasekit].indexes.test url",
            "http://***@127.0.0.1:8080/simple/",
            "RELEASEKIT_TEST_PASSWORD",
        ),
        (
            {"install-index": "https://S3CRET@pypi.internal.example/simple/"},
            "[tool.releasekit] install-index",
            "https://***@pypi.internal.example/simple/",
            "RELEASEKIT_TEST_PASSWORD",
        ),
    ],
)
def test_a_url_with_credentials_is_refused_without_showing_them(
    table: dict[str, Any], where: str, shown: str, variable: str
) -> None:
    exc = error(table)
    assert exc.message == f"{where} {shown!r} has credentials in it"
    assert variable in exc.hint and "environment" in exc.hint
    for text in (str(exc), repr(exc), exc.message, exc.hint):
        assert "S3CRET" not in text and "S3@CRET" not in text and "CRET" not in text


def test_install_index_with_credentials_points_at_netrc() -> None:
    exc = error({"install-index": "https://u:S3CRET@pypi.internal.example/simple/"})
    assert "~/.netrc" in exc.hint


def test_a_broken_url_with_credentials_does_not_show_them_either() -> None:
    exc = error({"indexes": {"test": {"url": "https://u:S3CRET@host:port/simple/"}}})
    assert "is not a valid URL" in exc.message
    assert "S3CRET" not in str(exc)


def test_credentials_among_other_problems_stay_hidden() -> None:
    with pytest.raises(ConfigProblems) as info:
        config(
            {
                "tag-prefx": "v",
                "indexes": {"prod": {"url": "https://u:S3CRET@pypi.example/simple/"}},
            }
        )
    assert "S3CRET" not in str(info.value) and "S3CRET" not in info.value.message
    assert "'https://***@pypi.example/simple/' has credentials in it" in str(info.value)


def test_an_at_sign_in_the_path_is_not_credentials() -> None:
    c = config({"indexes": {"test": {"url": "https://pypi.example/simple/@scope/"}}})
    assert c.test_index.url == "https://pypi.example/simple/@scope/"


def test_the_wheel_patterns_are_compiled_when_wheels_is_read_not_at_import() -> None:
    """The hatch hook imports core.config in every build of the project: the patterns of
    ``wheels`` entries are compiled the first time a ``wheels`` key is validated."""
    import subprocess
    import sys

    script = (
        "import releasekit.hatch_plugin.build_hook, releasekit.core.config as c\n"
        "from releasekit.core import wheelspec as w\n"
        "print(w._wheel_patterns.cache_info().currsize)\n"
        "c.parse_config({'tool': {'releasekit': {'wheels': ['cp312-win_amd64']}}}, '.')\n"
        "print(w._wheel_patterns.cache_info().currsize)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["0", "1"], done.stderr

"""The reference pages under docs/reference/ are generated from the code (issue 20), and
say everything the code reads: each test fails when the code and the docs part ways.

- the committed pages equal what docs/gen_reference.py generates now;
- every configuration key a parser knows has its prose, and no prose names a key the
  parser does not know (both ways, per table);
- every environment variable named in src/ is documented (or listed as no interface, with
  why), and every documented one is read or set by the code;
- every CLI command, session and session option appears on its page;
- every error the code constructs (``ReleasekitError`` and its subclasses) is on the
  messages page, as a template, or counted among those not listed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_reference"] = module  # NamedTuples resolve their module by name
    spec.loader.exec_module(module)
    return module


def test_committed_pages_are_generated_from_the_code(gen: ModuleType) -> None:
    stale = [
        path.relative_to(DOCS).as_posix()
        for path, text in gen.generate().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], f"run `nox -s docs` (or python docs/gen_reference.py): {stale}"


def test_every_config_key_is_documented_both_ways(gen: ModuleType) -> None:
    for table in gen.tables():
        known = set(table.known())
        documented = set(table.keys)
        assert known - documented == set(), f"{table.title}: keys without docs"
        assert documented - known == set(), f"{table.title}: docs for keys the parser refuses"


def test_config_reference_covers_the_parsers_own_lists(gen: ModuleType) -> None:
    """The tables together are exactly the parsers' lists (none forgotten by tables())."""
    from releasekit.core import config, wheelspec
    from releasekit.project import workspace

    page = (DOCS / "reference" / "configuration.md").read_text(encoding="utf-8")
    lists = (
        config._TOP_KEYS, config._INDEX_KEYS, config._SMOKE_KEYS, config._CARRIER_KEYS,
        config._HOOK_KEYS, config._HATCH_HOOK_KEYS, workspace.WORKSPACE_KEYS,
        workspace._ENTRY_KEYS, wheelspec._WHEELS_KEYS,
    )  # fmt: skip
    for keys in lists:
        for key in keys:
            assert f"### `{key}`" in page, key
    assert "### `github-release`" in page and "### `attestations`" in page  # issue 20's gaps


def test_code_defaults_reach_the_page(gen: ModuleType) -> None:
    from releasekit.core.config import Config, SmokeConfig

    page = (DOCS / "reference" / "configuration.md").read_text(encoding="utf-8")

    def default_of(key: str) -> str:
        lines = page.splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith(f"### `{key}`"))
        return lines[at + 2]

    assert f"`{int(Config._field_defaults['propagation_timeout'])}`" in default_of(
        "propagation-timeout"
    )
    assert f"`{int(SmokeConfig._field_defaults['timeout'])}`" in default_of("timeout")


def test_every_environment_variable_is_documented_both_ways(gen: ModuleType) -> None:
    in_code = gen.code_variables() | gen.derived_variables()
    documented = set(gen.ENVIRONMENT)
    assert in_code - documented - set(gen.NOT_DOCUMENTED) == set(), "variables without docs"
    assert documented - in_code == set(), "documented variables the code never names"
    assert set(gen.NOT_DOCUMENTED) - in_code == set(), "stale NOT_DOCUMENTED entries"
    page = (DOCS / "reference" / "environment.md").read_text(encoding="utf-8")
    for name in documented:
        assert f"| `{name}` |" in page, name
    assert "RELEASEKIT_NO_UV" in documented  # issue 20: it was documented nowhere


def test_every_command_session_and_option_is_on_its_page(gen: ModuleType) -> None:
    cli = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    for command in gen.cli_commands():
        assert f"`releasekit {command}`" in cli, command
    sessions = (DOCS / "reference" / "sessions.md").read_text(encoding="utf-8")
    names = [s.name for s in gen.sessions()]
    assert names[0] == "check" and "release" in names
    for name in names:
        assert f"`nox -s {name}`" in sessions, name
    options = gen.session_options()
    assert set(options) == set(gen.SESSION_OPTIONS)
    for option in options:
        assert f"| `{option}" in sessions, option


def test_every_file_under_dist_is_documented(gen: ModuleType) -> None:
    from releasekit.engine import records

    names = {n for n in records.__all__ if n.endswith(("_NAME", "_GLOB", "_PREFIX"))}
    assert names == set(gen.FILES)
    page = (DOCS / "reference" / "files.md").read_text(encoding="utf-8")
    for constant in names:
        assert getattr(records, constant) in page, constant


def test_messages_page_is_generated_and_in_the_nav(gen: ModuleType) -> None:
    """The stale check above covers it (it is one of the generated pages), and it is reachable."""
    assert DOCS / "reference" / "messages.md" in gen.generate()
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert "reference/messages.md" in nav
    troubleshooting = (DOCS / "guides" / "troubleshooting.md").read_text(encoding="utf-8")
    assert "(../reference/messages.md)" in troubleshooting


def test_messages_are_templates_with_readable_placeholders(gen: ModuleType) -> None:
    import ast

    source = """raise ConfigError(
        f"{self.config.tag_prefix} and {', '.join(names)} in {path.relative_to(root)}: "
        f"{len(found)}",
        hint,
    )"""
    call = ast.parse(source).body[0]
    assert isinstance(call, ast.Raise) and isinstance(call.exc, ast.Call)
    message, hint = call.exc.args
    assert gen._template(message) == "<tag_prefix> and <names> in <path>: <number of found>"
    assert gen._template(hint) is None  # a variable: "(computed)" on the page
    assert gen._template(hint, {"hint": "fix it"}) == "fix it"  # a module's string constant


def test_every_error_construction_is_listed_or_counted(gen: ModuleType) -> None:
    import ast

    from releasekit.errors import ReleasekitError
    from releasekit.runtime import lock  # noqa: F401  (each defines an error subclass)
    from releasekit.targets.github import settings  # noqa: F401
    from releasekit.targets.pypi import attest, simple, upload  # noqa: F401

    def subclasses(cls: type) -> set[str]:
        return {cls.__name__}.union(*(subclasses(sub) for sub in cls.__subclasses__()))

    modules = list(gen._modules())
    errors = gen.error_classes(modules)
    assert errors == subclasses(ReleasekitError)
    constructions = sum(
        isinstance(node, ast.Call) and gen._base_name(node.func) in errors
        for _, tree in modules
        for node in ast.walk(tree)
    )
    listed, skipped = gen.messages()
    duplicates = constructions - len(listed) - sum(skipped.values())
    assert 0 <= duplicates < constructions // 10  # identical entries are listed once
    assert len(listed) > 300 and sum(skipped.values()) < 10
    page = (DOCS / "reference" / "messages.md").read_text(encoding="utf-8")
    assert f"{len(listed)} messages." in page
    assert "- `releasekit: unknown key <key> in <where>`" in page  # issue 20's example
    for entry in listed:
        assert f"`{entry.error}` in `{entry.module}`" in page

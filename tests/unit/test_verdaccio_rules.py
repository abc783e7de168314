"""The rehearsal verdaccio's ``packages`` rules (pure: the config is data, no server)."""

from __future__ import annotations

from pathlib import Path

from releasekit.rehearsal.verdaccio import LocalRegistry, literal_pattern


def test_own_names_come_first_unproxied_and_publishable_by_the_user_alone(tmp_path: Path) -> None:
    registry = LocalRegistry(
        tmp_path, tmp_path / "storage", upstream="https://registry.npmjs.org",
        own=["zeta", "@event-forge/core"],
    )  # fmt: skip
    rules = registry.package_rules()
    assert list(rules) == ["@event-forge/core", "zeta", "@*/*", "**"]  # ** matches scopes too
    user = rules["zeta"]["publish"]
    assert rules["@event-forge/core"] == {"access": "$all", "publish": user, "unpublish": user}
    for pattern in ("@*/*", "**"):
        assert rules[pattern]["proxy"] == "upstream"
        assert rules[pattern]["publish"] == rules[pattern]["unpublish"] != user
    assert registry.upstream == "https://registry.npmjs.org/"


def test_without_upstream_nothing_is_proxied(tmp_path: Path) -> None:
    rules = LocalRegistry(tmp_path, tmp_path / "s", own=["a"]).package_rules()
    assert all("proxy" not in rule for rule in rules.values())
    assert rules["**"]["publish"] != rules["a"]["publish"]  # only the own names
    anyone = LocalRegistry(tmp_path, tmp_path / "s").package_rules()  # a test's registry
    assert anyone["**"]["publish"] == anyone["@*/*"]["publish"] != "releasekit-nobody"


def test_a_name_is_spelled_literally_for_minimatch() -> None:
    assert literal_pattern("@scope/pkg") == "@scope/pkg"
    assert literal_pattern("a(b)!+*") == "a\\(b\\)\\!\\+\\*"

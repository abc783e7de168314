"""releasekit.project.lockfiles: which entries a bump changes and how each file is written.

Files in tmp dirs, no tools; what uv, npm and pnpm themselves write after a bump is compared
in tests/integration/test_bump_lockfiles.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.errors import CarrierError
from releasekit.project import lockfiles
from releasekit.project.lockfiles import changes, read_lockfiles, update_lockfiles

UV_LOCK = """\
version = 1
revision = 3
requires-python = ">=3.10"

[manifest]
members = [
    "demo-pkg",
    "member-b",
]

[[package]]
name = "demo-pkg"
version = "1.2.0"
source = { editable = "." }
dependencies = [
    { name = "member-b" },
    { name = "packaging" },
]

[package.metadata]
requires-dist = [
    { name = "member-b", editable = "packages/b" },
    { name = "packaging", specifier = ">=24" },
]

[[package]]
name = "dynamic-c"
source = { editable = "packages/c" }

[[package]]
name = "member-b"
version = "0.3.0"
source = { virtual = "packages/b" }

[[package]]
name = "packaging"
version = "1.2.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://example.invalid/packaging-1.2.0.tar.gz", hash = "sha256:00", size = 1 }
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_uv_lock_changes_the_version_lines_of_local_entries_only(tmp_path: Path) -> None:
    lock = write(tmp_path / "uv.lock", UV_LOCK)
    versions = {"Demo_Pkg": "1.3.0-rc.1", "member.b": "0.4.0", "packaging": "9.0", "dynamic-c": "2"}

    assert update_lockfiles(tmp_path, versions) == [lock]

    old, new = 'name = "demo-pkg"\nversion = "1.2.0"', 'name = "demo-pkg"\nversion = "1.3.0rc1"'
    expected = UV_LOCK.replace(old, new).replace('version = "0.3.0"', 'version = "0.4.0"')
    assert lock.read_text(encoding="utf-8") == expected  # registry and dynamic entries untouched
    assert update_lockfiles(tmp_path, versions) == []  # again: nothing left to change


def test_uv_lock_keeps_crlf(tmp_path: Path) -> None:
    lock = write(tmp_path / "uv.lock", UV_LOCK.replace("\n", "\r\n"))
    update_lockfiles(tmp_path, {"member-b": "0.4.0"})
    assert lock.read_bytes() == UV_LOCK.replace('"0.3.0"', '"0.4.0"').replace("\n", "\r\n").encode()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("<<<<<<< HEAD\n" + UV_LOCK, "lockfile uv.lock is not valid TOML ("),
        (UV_LOCK.replace("[[package]]\nname = \"member-b\"", "[[ package ]]\nname = \"member-b\""),
         "uv.lock at "),
    ],
)  # fmt: skip
def test_an_unreadable_uv_lock_is_named(tmp_path: Path, text: str, said: str) -> None:
    write(tmp_path / "uv.lock", text)
    with pytest.raises(CarrierError) as caught:
        update_lockfiles(tmp_path, {"member-b": "0.4.0", "demo-pkg": "1.3.0"})
    assert caught.value.message.startswith(said), caught.value.message
    assert "uv lock" in caught.value.hint
    assert (tmp_path / "uv.lock").read_text(encoding="utf-8") == text


def package_lock(indent: str = "  ") -> dict[str, object]:
    return {
        "name": "root",
        "version": "2.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {"name": "root", "version": "2.0.0", "workspaces": ["packages/*"]},
            "node_modules/@demo/a": {"resolved": "packages/a", "link": True},
            "node_modules/@demo/b": {"version": "0.5.0", "resolved": "packages/b", "link": True},
            "node_modules/is-number": {"version": "1.0.0", "integrity": "sha512-x"},
            "packages/a": {"name": "@demo/a", "version": "1.0.0"},
            "packages/b": {
                "name": "@demo/b",
                "version": "0.5.0",
                "dependencies": {"@demo/a": "^1.0.0", "is-number": "^1.0.0"},
            },
        },
    }


def npm_tree(root: Path, a: str, b: str, b_range: str) -> None:
    write(root / "package.json", json.dumps({"name": "root", "version": "2.0.0"}))
    write(root / "packages/a/package.json", json.dumps({"name": "@demo/a", "version": a}))
    deps = {"@demo/a": b_range, "is-number": "^1.0.0"}
    manifest = {"name": "@demo/b", "version": b, "dependencies": deps}
    write(root / "packages/b/package.json", json.dumps(manifest))


@pytest.mark.parametrize(("indent", "newline"), [("  ", "\n"), ("    ", "\r\n"), ("\t", "\n")])
def test_package_lock_follows_package_json_in_its_own_layout(
    tmp_path: Path, indent: str, newline: str
) -> None:
    data = package_lock()
    text = json.dumps(data, indent=indent) + "\n"
    lock = write(tmp_path / "package-lock.json", text.replace("\n", newline))
    npm_tree(tmp_path, "1.1.0-rc.1", "0.5.1", "^1.1.0-rc.1")

    # the bump names versions as Python spells them; package.json's spelling is written
    assert update_lockfiles(tmp_path, {"@demo/a": "1.1.0rc1", "@demo/b": "0.5.1"}) == [lock]

    packages = data["packages"]
    assert isinstance(packages, dict)
    packages["packages/a"]["version"] = "1.1.0-rc.1"
    packages["packages/b"]["version"] = "0.5.1"
    packages["packages/b"]["dependencies"]["@demo/a"] = "^1.1.0-rc.1"
    packages["node_modules/@demo/b"]["version"] = "0.5.1"
    expected = (json.dumps(data, indent=indent) + "\n").replace("\n", newline)
    assert lock.read_bytes() == expected.encode()  # the root (not named) and is-number as they were


def test_package_lock_leaves_a_package_whose_package_json_was_not_bumped(tmp_path: Path) -> None:
    """A Python project named like an npm package of the repository: the npm package's
    lock follows its package.json, which still says 1.0.0."""
    text = json.dumps(package_lock(), indent=2) + "\n"
    lock = write(tmp_path / "package-lock.json", text)
    npm_tree(tmp_path, "1.0.0", "0.5.0", "^1.0.0")
    assert update_lockfiles(tmp_path, {"@demo/a": "1.1.0", "root": "2.1.0"}) == []
    assert lock.read_text(encoding="utf-8") == text


def test_package_lock_version_1_has_no_versions_to_change(tmp_path: Path) -> None:
    text = json.dumps({"name": "root", "lockfileVersion": 1, "dependencies": {}}, indent=2)
    write(tmp_path / "package-lock.json", text)
    write(tmp_path / "package.json", json.dumps({"name": "root", "version": "2.1.0"}))
    assert update_lockfiles(tmp_path, {"root": "2.1.0"}) == []


PNPM_LOCK = """\
lockfileVersion: '9.0'

importers:

  .: {}

  packages/b:
    dependencies:
      '@demo/a':
        specifier: workspace:^1.0.0
        version: link:../a
      is-number:
        specifier: ^7.0.0
        version: 7.0.0
    devDependencies:
      c:
        specifier: '1'
        version: link:../c

packages:

  is-number@7.0.0:
    resolution: {integrity: sha512-x}
"""


def test_pnpm_lock_specifiers_follow_the_ranges_of_the_packages_named(tmp_path: Path) -> None:
    lock = write(tmp_path / "pnpm-lock.yaml", PNPM_LOCK)
    deps = {"@demo/a": "workspace:^1.1.0", "is-number": "^8.0.0"}
    manifest = {"name": "b", "dependencies": deps, "devDependencies": {"c": ">=2"}}
    write(tmp_path / "packages/b/package.json", json.dumps(manifest))

    assert update_lockfiles(tmp_path, {"@demo/a": "1.1.0", "c": "2.0.0"}) == [lock]

    assert lock.read_text(encoding="utf-8") == PNPM_LOCK.replace(
        "workspace:^1.0.0", "workspace:^1.1.0"
    ).replace("specifier: '1'", "specifier: '>=2'")  # is-number is no member: left alone


def test_pnpm_lockfile_5_specifiers(tmp_path: Path) -> None:
    text = (
        "lockfileVersion: 5.4\n\nimporters:\n\n  packages/b:\n    specifiers:\n"
        "      '@demo/a': workspace:^1.0.0\n    dependencies:\n      '@demo/a': link:../a\n"
    )
    lock = write(tmp_path / "pnpm-lock.yaml", text)
    manifest = {"name": "b", "dependencies": {"@demo/a": "workspace:^1.1.0"}}
    write(tmp_path / "packages/b/package.json", json.dumps(manifest))
    update_lockfiles(tmp_path, {"@demo/a": "1.1.0"})
    assert lock.read_text(encoding="utf-8") == text.replace("^1.0.0", "^1.1.0")


@pytest.mark.parametrize(
    ("spec", "written"),
    [  # as pnpm 12 wrote them (js-yaml): checked by hand with pnpm install --lockfile-only
        ("^1.1.0", "^1.1.0"),
        ("~1.1.0", "~1.1.0"),
        ("1.x", "1.x"),
        ("1.1.0", "1.1.0"),
        ("v1.1.0", "v1.1.0"),
        ("<2 >=1.1.0", "<2 >=1.1.0"),
        ("^1.1.0 || ^2.0.0", "^1.1.0 || ^2.0.0"),
        ("workspace:^1.1.0 || 2", "workspace:^1.1.0 || 2"),
        ("workspace:>=1.1.0", "workspace:>=1.1.0"),
        ("workspace:*", "workspace:*"),
        (">=1.1.0", "'>=1.1.0'"),
        ("=1.1.0", "'=1.1.0'"),
        ("*", "'*'"),
        ("1", "'1'"),
        ("1.1", "'1.1'"),
        ("", "''"),
        ("it's", "it's"),
        ("'q'", "'''q'''"),
    ],
)
def test_yaml_scalars_as_pnpm_writes_them(spec: str, written: str) -> None:
    assert lockfiles._yaml_scalar(spec) == written


def test_read_lockfiles_looks_up_to_the_repository_and_into_members(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    above = write(tmp_path / "uv.lock", UV_LOCK)
    write(tmp_path / "outside" / "uv.lock", UV_LOCK)  # not above the project
    project = tmp_path / "packages" / "py"
    write(project / "releasekit.toml", 'members = ["js"]\n')
    write(project / "js/package.json", json.dumps({"name": "js", "version": "1.0.0"}))
    member_lock = write(project / "js/package-lock.json", "{}")

    found = read_lockfiles(project)

    assert [lock.path for lock in found] == [above, member_lock]
    assert changes(found, {"member-b": "0.4.0"}) == [above]
    assert changes(found, {"member-b": "0.3.0", "js": "1.0.0"}) == []


def test_read_lockfiles_stops_at_a_project_outside_any_repository(tmp_path: Path) -> None:
    write(tmp_path / "uv.lock", UV_LOCK)
    write(tmp_path / "project" / "pyproject.toml", "")
    assert read_lockfiles(tmp_path / "project") == ()


def test_an_unreadable_package_lock_is_named(tmp_path: Path) -> None:
    write(tmp_path / "package-lock.json", '{"name": "x",\n<<<<<<< HEAD\n')
    with pytest.raises(CarrierError) as caught:
        read_lockfiles(tmp_path)
    assert caught.value.message.startswith("lockfile package-lock.json is not valid JSON (")
    assert caught.value.message.endswith("; nothing was written")
    assert "npm install --package-lock-only" in caught.value.hint


def test_package_lock_with_a_byte_order_mark_is_read_and_written_as_npm_does(
    tmp_path: Path,
) -> None:
    data = package_lock()
    lock = write(tmp_path / "package-lock.json", "\ufeff" + json.dumps(data, indent=2) + "\n")
    npm_tree(tmp_path, "1.1.0", "0.5.0", "^1.0.0")
    assert update_lockfiles(tmp_path, {"@demo/a": "1.1.0"}) == [lock]
    packages = data["packages"]
    assert isinstance(packages, dict)
    packages["packages/a"]["version"] = "1.1.0"
    assert lock.read_text(encoding="utf-8") == json.dumps(data, indent=2) + "\n"

"""Workspaces: members, their kinds and tag prefixes, release order, ``--only``, and every
configuration mistake reported with the values and a hint.

Plain files in temporary directories; no git (``inherited_tag_prefix`` needs only a ``.git``
directory to know where a repository's top is) and no network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from releasekit.core.config import load_config, load_pyproject, parse_config
from releasekit.errors import ConfigError, ConfigProblems
from releasekit.project.workspace import (
    DEFAULT_NPM_REGISTRY,
    Member,
    Workspace,
    find_workspace,
    inherited_tag_prefix,
    release_order,
)

# --- builders ---------------------------------------------------------------------------------


def python_project(
    path: Path,
    name: str,
    *,
    dependencies: tuple[str, ...] = (),
    extras: dict[str, list[str]] | None = None,
    releasekit: str = "",
) -> Path:
    """A pyproject.toml with [project] and, when given, a [tool.releasekit] body."""
    path.mkdir(parents=True, exist_ok=True)
    text = f'[project]\nname = "{name}"\nversion = "1.0.0"\n'
    text += f"dependencies = {json.dumps(list(dependencies))}\n"
    if extras:
        text += "[project.optional-dependencies]\n"
        text += "".join(f"{key} = {json.dumps(items)}\n" for key, items in extras.items())
    if releasekit:
        text += f"[tool.releasekit]\n{releasekit}\n"
    (path / "pyproject.toml").write_text(text, encoding="utf-8")
    return path


def npm_package(path: Path, name: str, **fields: Any) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    manifest = {"name": name, "version": "1.0.0", **fields}
    (path / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def declare(root: Path, text: str) -> Path:
    """``root/releasekit.toml`` with ``text``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "releasekit.toml").write_text(text, encoding="utf-8")
    return root


def load(root: Path) -> Workspace:
    workspace = find_workspace(root)
    assert workspace is not None
    return workspace


def rels(members: tuple[Member, ...]) -> list[str]:
    return [m.rel for m in members]


def refused(root: Path) -> ConfigError:
    """The one problem ``find_workspace(root)`` reports; it must say what to do."""
    with pytest.raises(ConfigError) as info:
        find_workspace(root)
    assert not isinstance(info.value, ConfigProblems), info.value
    assert info.value.hint, "every config error says what to do"
    return info.value


def all_refused(root: Path) -> list[tuple[str, str]]:
    """The problems ``find_workspace(root)`` reports together: (message, hint) each."""
    with pytest.raises(ConfigProblems) as info:
        find_workspace(root)
    return [(p.message, p.hint) for p in info.value.problems]


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """The shape of issue 9: an npm core and a Python package following its version."""
    root = declare(
        tmp_path / "repo",
        'members = ["packages/core", { path = "packages/python", tag-prefix = "py-v" }]\n'
        'npm-registry = "https://npm.example.com/registry"\n',
    )
    npm_package(root / "packages/core", "@event-forge/core")
    python_project(
        root / "packages/python",
        "Event_Forge",
        releasekit='version-files = ["../core/package.json", "pyproject.toml"]',
    )
    return root


# --- where a workspace is declared, and its members -------------------------------------------


def test_releasekit_toml_with_string_and_table_entries(monorepo: Path) -> None:
    workspace = load(monorepo)
    assert workspace.root == monorepo.resolve()
    assert workspace.source == monorepo / "releasekit.toml"
    assert workspace.npm_registry == "https://npm.example.com/registry/"
    core, python = workspace.members
    assert (core.rel, core.kind, core.name, core.tag_prefix) == (
        "packages/core", "npm", "@event-forge/core", "core-v",
    )  # fmt: skip
    assert core.path == (monorepo / "packages/core").resolve() and core.label == "packages/core"
    # the canonical name, and the entry's tag prefix
    assert (python.rel, python.kind, python.name, python.tag_prefix) == (
        "packages/python", "python", "event-forge", "py-v",
    )  # fmt: skip
    assert python.follows == ((monorepo / "packages/core/package.json").resolve(),)


def test_member_paths_are_normalized(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["./packages/core/", { path = "js//sdk" }]\n')
    npm_package(root / "packages/core", "core")
    npm_package(root / "js/sdk", "sdk")
    workspace = load(root)
    assert rels(workspace.members) == ["packages/core", "js/sdk"]
    assert [m.tag_prefix for m in workspace.members] == ["core-v", "sdk-v"]


def test_npm_registry_defaults_to_npmjs(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["core"]\n')
    npm_package(root / "core", "core")
    assert load(root).npm_registry == DEFAULT_NPM_REGISTRY == "https://registry.npmjs.org/"


def test_root_pyproject_declares_and_its_project_is_the_first_member(tmp_path: Path) -> None:
    python_project(
        tmp_path,
        "demo",
        releasekit='members = [{ path = "js-sdk", tag-prefix = "js-sdk-v" }]\n'
        'npm-registry = "http://127.0.0.1:4873"',
    )
    npm_package(tmp_path / "js-sdk", "demo-sdk")
    workspace = load(tmp_path)
    assert workspace.source == tmp_path / "pyproject.toml"
    assert workspace.npm_registry == "http://127.0.0.1:4873/"
    assert rels(workspace.members) == [".", "js-sdk"]
    root, sdk = workspace.members
    assert (root.kind, root.name, root.path) == ("python", "demo", tmp_path.resolve())
    assert root.tag_prefix is None  # the root project keeps the plain (optional) "v"
    assert sdk.tag_prefix == "js-sdk-v"


def test_root_project_listed_as_dot_is_placed_where_listed(tmp_path: Path) -> None:
    python_project(tmp_path, "demo", releasekit='members = ["js-sdk", "."]')
    npm_package(tmp_path / "js-sdk", "demo-sdk")
    workspace = load(tmp_path)
    assert rels(workspace.members) == ["js-sdk", "."]
    assert workspace.members[1].tag_prefix is None


def test_root_project_keeps_its_own_tag_prefix(tmp_path: Path) -> None:
    python_project(tmp_path, "demo", releasekit='tag-prefix = "demo-v"\nmembers = ["js-sdk"]')
    npm_package(tmp_path / "js-sdk", "demo-sdk")
    assert [m.tag_prefix for m in load(tmp_path).members] == ["demo-v", "js-sdk-v"]


def test_root_pyproject_without_project_table_is_no_member(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.releasekit]\nmembers = ["a", "b"]\n')
    npm_package(tmp_path / "a", "a")
    python_project(tmp_path / "b", "b")
    assert rels(load(tmp_path).members) == ["a", "b"]


def test_releasekit_toml_does_not_add_the_root_project(tmp_path: Path) -> None:
    python_project(tmp_path, "tooling")  # a root pyproject.toml, not listed
    declare(tmp_path, 'members = ["core"]\n')
    npm_package(tmp_path / "core", "core")
    assert rels(load(tmp_path).members) == ["core"]


def test_a_single_project_is_no_workspace(tmp_path: Path) -> None:
    assert find_workspace(tmp_path) is None  # nothing at all
    python_project(tmp_path, "demo", releasekit='tag-prefix = "v"')
    assert find_workspace(tmp_path) is None  # [tool.releasekit] without members


# --- tag prefixes -----------------------------------------------------------------------------


def test_default_tag_prefix_is_the_directory_name(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["packages/core", "packages/python"]\n')
    npm_package(root / "packages/core", "@scope/core")
    python_project(root / "packages/python", "demo")
    assert [m.tag_prefix for m in load(root).members] == ["core-v", "python-v"]


def test_member_own_tag_prefix_applies_when_the_entry_has_none(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["packages/python"]\n')
    python_project(root / "packages/python", "demo", releasekit='tag-prefix = "demo-v"')
    assert load(root).members[0].tag_prefix == "demo-v"


def test_entry_and_own_tag_prefix_may_be_equal(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = [{ path = "python", tag-prefix = "py-v" }]\n')
    python_project(root / "python", "demo", releasekit='tag-prefix = "py-v"')
    assert load(root).members[0].tag_prefix == "py-v"


def test_entry_and_own_tag_prefix_that_differ_are_refused(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = [{ path = "python", tag-prefix = "py-v" }]\n')
    python_project(root / "python", "demo", releasekit='tag-prefix = "python-v"')
    error = refused(root)
    assert error.message == (
        "releasekit.toml members[1] tag-prefix 'py-v' disagrees with python/pyproject.toml "
        "tag-prefix 'python-v'"
    )
    assert "make the two equal" in error.hint


def test_tag_prefix_must_be_a_string(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = [{ path = "core", tag-prefix = 3 }]\n')
    npm_package(root / "core", "core")
    error = refused(root)
    assert error.message == "releasekit.toml members[1] tag-prefix must be a string, not 3"
    assert error.hint == 'write it as tag-prefix = "..."'


# --- release order ----------------------------------------------------------------------------


def test_independent_members_keep_the_listed_order(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["c", "a", "b"]\n')
    for name in "abc":
        npm_package(root / name, name)
    assert rels(load(root).members) == ["c", "a", "b"]


def test_python_requirement_by_canonical_name_moves_a_member_after(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["app", "other", "lib"]\n')
    python_project(root / "app", "demo-app", dependencies=("Demo_Lib[fast] >= 1.0",))
    python_project(root / "other", "other")
    python_project(root / "lib", "demo.lib")
    workspace = load(root)
    # stable: of the members whose needs are met, the earliest listed goes next
    assert rels(workspace.members) == ["other", "lib", "app"]
    assert "demo-lib" in workspace.members[2].requires


def test_python_optional_dependency_counts_too(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["app", "lib"]\n')
    python_project(root / "app", "app", extras={"server": ["demo-lib; python_version>'3'"]})
    python_project(root / "lib", "demo-lib")
    assert rels(load(root).members) == ["lib", "app"]


@pytest.mark.parametrize("field", ["dependencies", "peerDependencies", "optionalDependencies"])
def test_npm_dependency_moves_a_member_after(tmp_path: Path, field: str) -> None:
    root = declare(tmp_path, 'members = ["packages/react", "packages/core"]\n')
    npm_package(root / "packages/react", "@demo/react", **{field: {"@demo/core": "^1.0.0"}})
    npm_package(root / "packages/core", "@demo/core")
    assert rels(load(root).members) == ["packages/core", "packages/react"]


def test_npm_dev_dependency_does_not_order(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["react", "core"]\n')
    npm_package(root / "react", "@demo/react", devDependencies={"@demo/core": "^1.0.0"})
    npm_package(root / "core", "@demo/core")
    assert rels(load(root).members) == ["react", "core"]


def test_a_name_of_the_other_kind_does_not_order(tmp_path: Path) -> None:
    """A Python requirement ``left-pad`` is not the npm package ``left-pad``."""
    root = declare(tmp_path, 'members = ["py", "js"]\n')
    python_project(root / "py", "demo", dependencies=("left-pad",))
    npm_package(root / "js", "left-pad")
    assert rels(load(root).members) == ["py", "js"]


def test_version_file_in_another_member_moves_a_member_after(monorepo: Path) -> None:
    (monorepo / "releasekit.toml").write_text(
        'members = [{ path = "packages/python", tag-prefix = "py-v" }, "packages/core"]\n'
    )
    assert rels(load(monorepo).members) == ["packages/core", "packages/python"]


def test_version_files_inside_the_member_do_not_order(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["python", "core"]\n')
    python_project(
        root / "python", "demo", releasekit='version-files = ["pyproject.toml", "src/demo.py"]'
    )
    npm_package(root / "core", "core")
    workspace = load(root)
    assert rels(workspace.members) == ["python", "core"]
    assert workspace.members[0].follows == ()


def test_a_cycle_is_refused_naming_the_members(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["a", "b", "c"]\n')
    npm_package(root / "a", "a", dependencies={"b": "1"})
    npm_package(root / "b", "b", peerDependencies={"a": "1"})
    npm_package(root / "c", "c")
    error = refused(root)
    assert error.message == "the workspace members depend on each other in a cycle: a -> b -> a"
    assert error.hint == "a member can't be released before what it needs; break the cycle"


def test_release_order_of_members_made_by_hand(tmp_path: Path) -> None:
    def member(name: str, requires: tuple[str, ...] = ()) -> Member:
        return Member(tmp_path / name, name, "npm", name, f"{name}-v", frozenset(requires))

    a, b, c = member("a", ("c",)), member("b"), member("c")
    assert release_order([a, b, c]) == (b, c, a)
    assert release_order([]) == ()
    with pytest.raises(ConfigError) as caught:
        release_order([a, member("c", ("a",))])
    assert caught.value.message.endswith("cycle: a -> c -> a")
    # a member that only waits for the loop is not named in it
    waiting = member("w", ("a",))
    with pytest.raises(ConfigError) as caught:
        release_order([waiting, member("a", ("b",)), member("b", ("a",))])
    assert caught.value.message.endswith("cycle: a -> b -> a")


def test_a_version_file_belongs_to_the_innermost_member(tmp_path: Path) -> None:
    python_project(
        tmp_path,
        "event-forge-all",
        dependencies=("event-forge",),
        releasekit='members = ["packages/core", "packages/python", "."]',
    )
    npm_package(tmp_path / "packages/core", "@event-forge/core")
    python_project(
        tmp_path / "packages/python",
        "event-forge",
        releasekit='version-files = ["../core/package.json", "pyproject.toml"]',
    )
    assert rels(load(tmp_path).members) == ["packages/core", "packages/python", "."]


# --- --only -----------------------------------------------------------------------------------


def test_select_by_path_in_release_order(monorepo: Path) -> None:
    workspace = load(monorepo)
    core, python = workspace.members
    assert workspace.select([]) == (core, python)
    assert workspace.select(["packages/python"]) == (python,)
    assert workspace.select(["./packages/core/"]) == (core,)
    assert workspace.select(["packages/python", "packages/core"]) == (core, python)
    assert workspace.select(["packages/core", "packages/core"]) == (core,)


def test_select_of_the_root_project(tmp_path: Path) -> None:
    python_project(tmp_path, "demo", releasekit='members = ["js-sdk"]')
    npm_package(tmp_path / "js-sdk", "demo-sdk")
    workspace = load(tmp_path)
    assert rels(workspace.select(["."])) == ["."]


def test_select_of_an_unknown_path_lists_the_members(monorepo: Path) -> None:
    workspace = load(monorepo)
    with pytest.raises(ConfigError) as info:
        workspace.select(["packages/core", "packages/nope"])
    assert info.value.message == (
        "--only packages/nope: not a member of the workspace in releasekit.toml"
    )
    assert info.value.hint == "members: packages/core, packages/python"


# --- mistakes, each named, all at once --------------------------------------------------------


def test_unknown_key_in_releasekit_toml(monorepo: Path) -> None:
    text = (monorepo / "releasekit.toml").read_text()
    (monorepo / "releasekit.toml").write_text(text + 'npm-registy = "https://x.example/"\n')
    error = refused(monorepo)
    assert error.message == "unknown key 'npm-registy' in releasekit.toml"
    assert error.hint == "did you mean 'npm-registry'?"


def test_unknown_key_in_a_member_table(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = [{ path = "core", tag_prefix = "c-v" }]\n')
    npm_package(root / "core", "core")
    error = refused(root)
    assert error.message == "unknown key 'tag_prefix' in releasekit.toml members[1]"
    assert error.hint == "did you mean 'tag-prefix'?"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = declare(
        tmp_path,
        'colour = "blue"\n'
        'npm-registry = "http://registry.example.com/"\n'
        'members = [{ path = "core", tag_prefix = "c-v", shell = "bash" }, "nope"]\n',
    )
    npm_package(root / "core", "core")
    problems = all_refused(root)
    assert problems == [
        (
            "unknown key 'colour' in releasekit.toml",
            "known keys: members, npm-registry, npm-publish, npm-provenance, "
            "npm-trusted-publishing",
        ),
        (
            "releasekit.toml npm-registry 'http://registry.example.com/' uses http:// on a "
            "non-loopback host",
            "use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost)",
        ),
        ("unknown key 'tag_prefix' in releasekit.toml members[1]", "did you mean 'tag-prefix'?"),
        (
            "unknown key 'shell' in releasekit.toml members[1]",
            "known keys: path, tag-prefix, check-commands, prepare-commands, smoke",
        ),
        (
            "releasekit.toml members[2] nope: no such directory",
            "a member is a directory holding a Python project or an npm package",
        ),
    ]


def test_a_misspelled_path_key_is_named(tmp_path: Path) -> None:
    declare(tmp_path, 'members = [{ pth = "core" }]\n')
    npm_package(tmp_path / "core", "core")
    problems = all_refused(tmp_path)
    assert ("unknown key 'pth' in releasekit.toml members[1]", "did you mean 'path'?") in problems


@pytest.mark.parametrize("key", ["check-commands", "prepare-commands"])
def test_npm_only_keys_on_a_python_member_are_refused(tmp_path: Path, key: str) -> None:
    root = declare(tmp_path, f'members = [{{ path = "packages/python", {key} = ["make"] }}]\n')
    python_project(root / "packages/python", "demo")
    error = refused(root)
    assert error.message == (
        f"releasekit.toml members[1] {key} is for npm members; packages/python is a Python project"
    )
    assert error.hint == "set it in packages/python/pyproject.toml [tool.releasekit] instead"


def test_npm_member_commands(tmp_path: Path) -> None:
    root = declare(
        tmp_path,
        'members = [{ path = "core", check-commands = ["npm run lint", "npm test"], '
        'prepare-commands = "npm ci" }]\n',
    )
    npm_package(root / "core", "core")
    (core,) = load(root).members
    assert core.check_commands == ("npm run lint", "npm test")
    assert core.prepare_commands == ("npm ci",)


def test_npm_member_commands_must_be_strings(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = [{ path = "core", check-commands = [1] }]\n')
    npm_package(root / "core", "core")
    error = refused(root)
    assert (
        error.message
        == "releasekit.toml members[1] check-commands must be a list of strings, not [1]"
    )


def test_a_directory_with_neither_project_file_is_refused(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["docs"]\n')
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# docs\n")
    error = refused(root)
    assert (
        error.message == "releasekit.toml members[1] docs: neither pyproject.toml nor package.json"
    )
    assert error.hint == "a member is a directory holding a Python project or an npm package"


@pytest.mark.parametrize("path", ["../elsewhere", "/tmp"])
def test_a_member_outside_the_root_is_refused(tmp_path: Path, path: str) -> None:
    root = declare(tmp_path / "repo", f'members = ["{path}"]\n')
    npm_package(tmp_path / "elsewhere", "elsewhere")
    error = refused(root)
    assert error.message == (
        f"releasekit.toml members[1] path {path!r} is outside the workspace {root.resolve()}"
    )
    assert error.hint == "members are directories inside the repository"


def test_a_symlink_out_of_the_root_is_outside(tmp_path: Path) -> None:
    root = declare(tmp_path / "repo", 'members = ["linked"]\n')
    npm_package(tmp_path / "elsewhere", "elsewhere")
    (root / "linked").symlink_to(tmp_path / "elsewhere")
    assert "is outside the workspace" in refused(root).message


@pytest.mark.parametrize(
    ("members", "shown"),
    [("[]", "[]"), ('"core"', "'core'"), ("3", "3")],
)
def test_members_must_be_a_non_empty_list(tmp_path: Path, members: str, shown: str) -> None:
    root = declare(tmp_path, f"members = {members}\n")
    error = refused(root)
    assert error.message == f"releasekit.toml members must be a non-empty list, not {shown}"
    assert error.hint.startswith('e.g. members = ["packages/core", ')


def test_members_missing_from_releasekit_toml(tmp_path: Path) -> None:
    root = declare(tmp_path, 'npm-registry = "https://registry.npmjs.org/"\n')
    assert refused(root).message == "releasekit.toml members must be a non-empty list, not None"


def test_entry_of_the_wrong_type_and_without_path(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = [42, { tag-prefix = "x-v" }, { path = " " }]\n')
    assert all_refused(root) == [
        (
            "releasekit.toml members[1] must be a path or a table, not 42",
            'e.g. "packages/core" or { path = "js-sdk", tag-prefix = "js-sdk-v" }',
        ),
        ("releasekit.toml members[2] has no path", 'e.g. { path = "packages/core" }'),
        ("releasekit.toml members[3] has no path", 'e.g. { path = "packages/core" }'),
    ]


def test_a_member_listed_twice(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["core", { path = "./core/" }]\n')
    npm_package(root / "core", "core")
    error = refused(root)
    assert error.message == "releasekit.toml members lists core twice"
    assert error.hint == "list each member once"


def test_package_json_without_a_name_or_not_json(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["a", "b"]\n')
    (root / "a").mkdir()
    (root / "a" / "package.json").write_text('{"version": "1.0.0"}')
    (root / "b").mkdir()
    (root / "b" / "package.json").write_text("{not json")
    (first, first_hint), (second, second_hint) = all_refused(root)
    assert (first, first_hint) == ("a/package.json has no name", 'set "name" in package.json')
    assert second.startswith(f"{root / 'b' / 'package.json'} is not readable JSON: ")
    assert second_hint == "fix package.json"


def test_python_member_without_a_name(tmp_path: Path) -> None:
    root = declare(tmp_path, 'members = ["py"]\n')
    (root / "py").mkdir()
    (root / "py" / "pyproject.toml").write_text("[tool.releasekit]\n")
    error = refused(root)
    assert error.message == "py/pyproject.toml has no [project] name"


def test_releasekit_toml_that_is_not_toml(tmp_path: Path) -> None:
    root = declare(tmp_path, "members = [\n")
    error = refused(root)
    assert error.message.startswith(f"{root / 'releasekit.toml'} is not valid TOML: ")
    assert error.hint == "fix the syntax error"


def test_root_pyproject_workspace_keys_are_known_to_config(tmp_path: Path) -> None:
    """A root project that declares a workspace still loads as a project."""
    python_project(
        tmp_path, "demo", releasekit='members = ["js-sdk"]\nnpm-registry = "https://r.example/"'
    )
    assert parse_config(load_pyproject(tmp_path), tmp_path).tag_prefix is None


# --- a member learns its tag prefix from the workspace ----------------------------------------


@pytest.fixture
def repo(monorepo: Path) -> Path:
    (monorepo / ".git").mkdir()
    python_project(monorepo / "packages/plain", "plain")
    python_project(monorepo / "packages/own", "own", releasekit='tag-prefix = "mine-v"')
    (monorepo / "releasekit.toml").write_text(
        "members = [\n"
        '  "packages/core",\n'
        '  { path = "packages/python", tag-prefix = "py-v" },\n'
        '  "packages/plain",\n'
        '  "packages/own",\n'
        "]\n"
    )
    return monorepo


def test_inherited_tag_prefix_from_the_entry_or_the_default(repo: Path) -> None:
    assert inherited_tag_prefix(repo / "packages/python") == "py-v"
    assert inherited_tag_prefix(repo / "packages/core") == "core-v"
    assert inherited_tag_prefix(repo / "packages/plain") == "plain-v"
    # the entry has none: the default (the member's own pyproject.toml is config's to read)
    assert inherited_tag_prefix(repo / "packages/own") == "own-v"


def test_inherited_tag_prefix_from_a_root_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    python_project(
        tmp_path, "demo", releasekit='members = [{ path = "js-sdk", tag-prefix = "sdk-v" }, "api"]'
    )
    npm_package(tmp_path / "js-sdk", "sdk")
    python_project(tmp_path / "api", "demo-api")
    assert inherited_tag_prefix(tmp_path / "js-sdk") == "sdk-v"
    assert inherited_tag_prefix(tmp_path / "api") == "api-v"
    assert inherited_tag_prefix(tmp_path) is None


def test_no_inherited_tag_prefix_at_a_repository_top(repo: Path) -> None:
    assert inherited_tag_prefix(repo) is None
    # listed by the workspace above, but a repository of its own: that workspace is not its
    (repo / "packages/python/.git").mkdir()
    assert inherited_tag_prefix(repo / "packages/python") is None


def test_no_inherited_tag_prefix_for_a_directory_not_listed(repo: Path) -> None:
    python_project(repo / "packages/extra", "extra")
    assert inherited_tag_prefix(repo / "packages/extra") is None
    assert inherited_tag_prefix(repo / "packages") is None


def test_no_inherited_tag_prefix_above_the_repository_top(tmp_path: Path) -> None:
    """A workspace declared above the repository's top is someone else's."""
    outer = declare(tmp_path, 'members = ["inner/pkg"]\n')
    python_project(outer / "inner/pkg", "pkg")
    (outer / "inner/.git").mkdir()
    assert inherited_tag_prefix(outer / "inner/pkg") is None


def test_no_inherited_tag_prefix_outside_any_repository(tmp_path: Path) -> None:
    python_project(tmp_path / "alone", "alone")
    assert inherited_tag_prefix(tmp_path / "alone") is None


def test_config_of_a_member_takes_the_inherited_tag_prefix(repo: Path) -> None:
    assert load_config(repo / "packages/python").tag_prefix == "py-v"
    assert load_config(repo / "packages/plain").tag_prefix == "plain-v"
    plain = repo / "packages/plain"
    assert parse_config(load_pyproject(plain), plain).tag_prefix == "plain-v"
    # its own tag-prefix wins where it is set
    assert load_config(repo / "packages/own").tag_prefix == "mine-v"
    # the root of the repository is no member of anything
    python_project(repo / "tools", "tools")
    assert load_config(repo / "tools").tag_prefix is None


def test_config_of_a_project_at_its_repository_top_is_unchanged(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    python_project(tmp_path, "demo")
    assert load_config(tmp_path).tag_prefix is None


def test_an_npm_package_at_the_root_keeps_the_plain_v(tmp_path: Path) -> None:
    declare(tmp_path, 'members = [".", "plugin"]\n')
    npm_package(tmp_path, "demo")
    npm_package(tmp_path / "plugin", "demo-plugin")
    assert [m.tag_prefix for m in load(tmp_path).members] == [None, "plugin-v"]


def test_two_members_with_one_tag_prefix_are_refused(tmp_path: Path) -> None:
    declare(tmp_path, 'members = ["packages/core", "plugins/core"]\n')
    npm_package(tmp_path / "packages/core", "@demo/core")
    python_project(tmp_path / "plugins/core", "demo-core")
    error = refused(tmp_path)
    assert error.message == (
        "releasekit.toml members packages/core and plugins/core both tag core-v<version>"
    )

"""The pure parts of pnpm/yarn packing and smoke modes: which tool packs a member, what
each tool's pack prints, leftover ranges, a member's ``smoke`` key, the error quoted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from releasekit.errors import BuildError, ConfigError, ConfigProblems
from releasekit.kinds.npm import manager as managers
from releasekit.kinds.npm import pack as npm
from releasekit.kinds.npm import quoting
from releasekit.kinds.npm.manager import PackageManager
from releasekit.project.workspace import find_workspace


def package(path: Path, **fields: Any) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    manifest = {"name": path.name, "version": "1.0.0", **fields}
    (path / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def repo(tmp_path: Path, **root_fields: Any) -> Path:
    """A repository top (``.git``) with a root package.json and ``packages/app``."""
    root = package(tmp_path / "repo", **root_fields)
    (root / ".git").mkdir()
    package(root / "packages" / "app")
    return root


# -- which tool packs ----------------------------------------------------------------------


def test_the_roots_package_manager_packs_a_member(tmp_path: Path) -> None:
    root = repo(tmp_path, packageManager="pnpm@10.34.9+sha512.abc")
    found = managers.detect(root / "packages" / "app")
    assert found == PackageManager("pnpm", "10.34.9", "package.json packageManager")
    assert found.rewrites
    assert found.describe() == "pnpm@10.34.9 (from package.json packageManager)"


def test_the_members_own_package_manager_comes_first(tmp_path: Path) -> None:
    root = repo(tmp_path, packageManager="pnpm@10.34.9")
    package(root / "packages" / "app", packageManager="yarn@4.18.1")
    found = managers.detect(root / "packages" / "app")
    assert found == PackageManager("yarn", "4.18.1", "packages/app/package.json packageManager")


def test_lockfiles_name_the_tool_and_yarn_1_packs_as_npm(tmp_path: Path) -> None:
    root = repo(tmp_path)
    app = root / "packages" / "app"
    assert managers.detect(app) == PackageManager("npm", None, "")
    assert managers.detect(app).describe() == "npm (the default)"
    (root / "yarn.lock").write_text("# yarn lockfile v1\n")
    assert managers.detect(app) == PackageManager(
        "npm", None, "yarn.lock: yarn 1's, which packs as npm does"
    )
    (root / "yarn.lock").write_text("__metadata:\n  version: 8\n")
    assert managers.detect(app) == PackageManager("yarn", None, "yarn.lock")
    (root / "pnpm-workspace.yaml").write_text("packages: []\n")
    assert managers.detect(app) == PackageManager("pnpm", None, "pnpm-workspace.yaml")
    package(root, packageManager="yarn@1.22.22")
    assert managers.detect(app).tool == "npm"


def test_nothing_above_the_repository_counts(tmp_path: Path) -> None:
    package(tmp_path, packageManager="pnpm@10.34.9")  # outside the repository
    root = repo(tmp_path)
    assert managers.detect(root / "packages" / "app").tool == "npm"


def test_a_bad_package_manager_field_is_named(tmp_path: Path) -> None:
    root = repo(tmp_path, packageManager="bun@1.2.0")
    with pytest.raises(BuildError) as caught:
        managers.detect(root / "packages" / "app")
    assert caught.value.message == (
        "package.json packageManager 'bun@1.2.0' is not npm@, pnpm@ or yarn@ and a version"
    )


# -- what each tool prints -----------------------------------------------------------------


def test_pnpm_and_yarn_reports_are_read_after_script_output() -> None:
    pnpm = PackageManager("pnpm", None, "")
    pnpm10 = "📦  a@1.0.0\nTarball Contents\nindex.js\nTarball Details\n/out/a-1.0.0.tgz\n"
    assert managers.read_report(pnpm, "> a@1.0.0 prepack\n{built}\n" + pnpm10) == {
        "filename": "/out/a-1.0.0.tgz"
    }
    assert managers.read_report(pnpm, "/out/a-1.0.0.tgz\n") == {"filename": "/out/a-1.0.0.tgz"}
    yarn = PackageManager("yarn", None, "")
    lines = ['{"base":"/w/a"}', '{"location":"index.js"}', '{"output":"/out/a-1.0.0.tgz"}']
    assert managers.read_report(yarn, "\n".join(lines)) == {"filename": "/out/a-1.0.0.tgz"}
    with pytest.raises(BuildError, match=r"^pnpm pack printed no report"):
        managers.read_report(pnpm, "Tarball Details\n")
    with pytest.raises(BuildError, match=r"^yarn pack --json printed no report"):
        managers.read_report(yarn, '{"base":"/w/a"}')


def test_a_failed_pack_quotes_the_tools_reason() -> None:
    error = {"error": {"code": "ERR_PNPM_X", "message": "Cannot resolve it"}}
    assert quoting.failure_line(json.dumps(error, indent=2)) == "ERR_PNPM_X Cannot resolve it"
    assert quoting.failure_line(" ERR_PNPM_Y  Something  broke\n") == "ERR_PNPM_Y Something broke"
    assert quoting.failure_line(" ERROR  Unknown option: 'json'\nFor help\n") == (
        "ERROR Unknown option: 'json'"
    )
    refusal = (  # pnpm 10 where packageManager names pnpm 9.10.0 and it cannot fetch it
        " ERROR  Refusing to run pnpm@9.10.0: its npm registry signature could not be "
        "verified\nThis can indicate a tampered download\n"
    )
    assert quoting.failure_line(refusal) == (
        "ERROR Refusing to run pnpm@9.10.0: its npm registry signature could not be verified"
    )
    assert quoting.failure_line("npm error code E404\n") is None


# -- leftover ranges -------------------------------------------------------------------------


def test_local_ranges_are_found_in_the_fields_users_install() -> None:
    manifest = {
        "dependencies": {"a": "^1.0.0", "b": "workspace:^"},
        "peerDependencies": {"c": "catalog:"},
        "optionalDependencies": {"d": "link:../d", "e": "file:../e.tgz"},
        "devDependencies": {"f": "workspace:*"},  # not installed by users
    }
    assert npm.local_ranges(manifest) == [
        ("dependencies", "b", "workspace:^"),
        ("peerDependencies", "c", "catalog:"),
        ("optionalDependencies", "d", "link:../d"),
        ("optionalDependencies", "e", "file:../e.tgz"),
    ]


def test_a_leftover_range_is_refused_with_the_hint_that_fits() -> None:
    npm_default = PackageManager("npm", None, "")
    with pytest.raises(BuildError) as caught:
        npm.refuse_local_ranges({"dependencies": {"b": "workspace:^"}}, "a-1.tgz", npm_default)
    assert caught.value.message == (
        "a-1.tgz would publish dependencies b: 'workspace:^', which no user can install"
    )
    assert caught.value.hint.startswith(
        "npm pack copies workspace: ranges as written (npm (the default)): declare "
        '"packageManager": "pnpm@<version>"'
    )
    pnpm = PackageManager("pnpm", "10.34.9", "package.json packageManager")
    manifest = {"dependencies": {"b": "workspace:^", "c": "link:../c"}}
    with pytest.raises(BuildError) as caught:
        npm.refuse_local_ranges(manifest, "a-1.tgz", pnpm)
    assert caught.value.message.endswith("b: 'workspace:^' (and 1 more), which no user can install")
    assert caught.value.hint.startswith("pnpm left it as written")
    with pytest.raises(BuildError) as caught:
        npm.refuse_local_ranges({"peerDependencies": {"c": "link:../c"}}, "a-1.tgz", pnpm)
    assert "cannot reach a path on this machine" in caught.value.hint
    npm.refuse_local_ranges({"dependencies": {"b": "^1.0.0"}}, "a-1.tgz", npm_default)


# -- the smoke key and the error quoted ------------------------------------------------------


def workspace_with(tmp_path: Path, entry: str) -> Path:
    root = tmp_path / "ws"
    package(root / "web")
    (root / "releasekit.toml").write_text(f"members = [{entry}]\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, "import"),
        ('"import"', "import"),
        ('"install"', "install"),
        ('["node -e 1", "node check.js"]', ("node -e 1", "node check.js")),
    ],
)
def test_a_members_smoke_mode(tmp_path: Path, value: str | None, mode: object) -> None:
    entry = '{ path = "web" }' if value is None else f'{{ path = "web", smoke = {value} }}'
    workspace = find_workspace(workspace_with(tmp_path, entry))
    assert workspace is not None
    assert workspace.members[0].smoke == mode


@pytest.mark.parametrize("value", ['"load"', "[]", "3"])
def test_a_bad_smoke_mode_is_named(tmp_path: Path, value: str) -> None:
    root = workspace_with(tmp_path, f'{{ path = "web", smoke = {value} }}')
    with pytest.raises((ConfigError, ConfigProblems)) as caught:
        find_workspace(root)
    assert 'releasekit.toml members[1] smoke must be "import", "install" or a list of commands' in (
        str(caught.value)
    )


def test_smoke_is_refused_on_a_python_member(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "py").mkdir(parents=True)
    (root / "py" / "pyproject.toml").write_text('[project]\nname = "py"\nversion = "1"\n')
    (root / "releasekit.toml").write_text('members = [{ path = "py", smoke = "install" }]\n')
    with pytest.raises(ConfigError) as caught:
        find_workspace(root)
    assert "members[1] smoke is for npm members; py is a Python project" in str(caught.value)


NODE_STDERR = """\
/tmp/x/node_modules/w/lib/index.js:1
define([], function () { return { answer: 42 }; });
^

ReferenceError: define is not defined
    at Object.<anonymous> (/tmp/x/node_modules/w/lib/index.js:1:1)
    at Module._compile (node:internal/modules/cjs/loader:1554:14)

Node.js v20.20.2
"""


def test_the_error_node_threw_is_quoted_not_its_version_line() -> None:
    line, hint = npm._node_failure(NODE_STDERR) or ("", "")
    assert line == "ReferenceError: define is not defined"
    assert 'set smoke = "install"' in hint
    other = "node:internal\nError [ERR_REQUIRE_ESM]: require() of ES Module x\nNode.js v20.20.2\n"
    assert npm._node_failure(other) == ("Error [ERR_REQUIRE_ESM]: require() of ES Module x", "")
    assert npm._node_failure("Node.js v20.20.2\n") is None

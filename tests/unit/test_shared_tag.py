"""One tag for several members: a tag-prefix set alike in their entries (issue 19).

Members may share a tag prefix only when each of their entries sets it: a collision that
comes from a default (the directory's name) or from a member's own ``[tool.releasekit]``
is an accident and stays refused. The tag ``<prefix><version>`` then releases all of them,
which is why their versions must be equal (``check`` and ``releasekit tag`` refuse).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.cli.tag import missing_tags
from releasekit.engine.runcontext import Options
from releasekit.errors import ConfigError, ConfigProblems, ReleasekitError, TagError
from releasekit.kinds import member_project, refuse_unequal_tag_groups, released_members
from releasekit.project.workspace import Workspace, find_workspace, tag_groups, unequal_versions
from releasekit.release import Release


def npm_package(path: Path, name: str, version: str = "1.2.0") -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "package.json").write_text(json.dumps({"name": name, "version": version}), "utf-8")


def python_project(path: Path, name: str, version: str = "1.2.0", own: str = "") -> None:
    path.mkdir(parents=True, exist_ok=True)
    text = f'[project]\nname = "{name}"\nversion = "{version}"\n'
    if own:
        text += f"[tool.releasekit]\n{own}\n"
    (path / "pyproject.toml").write_text(text, encoding="utf-8")


def event_forge(root: Path, members: str, *, python_version: str = "1.2.0") -> Path:
    """packages/core (npm) and packages/python, declared by ``members``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "releasekit.toml").write_text(f"members = {members}\n", encoding="utf-8")
    npm_package(root / "packages/core", "@event-forge/core")
    python_project(root / "packages/python", "event-forge", python_version)
    return root


SHARED = (
    '[{ path = "packages/core", tag-prefix = "v" }, { path = "packages/python", tag-prefix = "v" }]'
)


def load(root: Path) -> Workspace:
    workspace = find_workspace(root)
    assert workspace is not None
    return workspace


def refused(root: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        find_workspace(root)
    assert not isinstance(info.value, ConfigProblems), info.value
    return info.value


def test_members_whose_entries_set_one_tag_prefix_form_a_tag_group(tmp_path: Path) -> None:
    workspace = load(event_forge(tmp_path, SHARED))
    core, python = sorted(workspace.members, key=lambda m: m.rel)
    assert core.tag_prefix == python.tag_prefix == "v"
    assert tag_groups(workspace.members) == [workspace.members]
    assert set(workspace.tag_group(core)) == {core, python}
    assert workspace.tag_group(python) == workspace.tag_group(core)


def test_a_member_outside_the_group_has_its_tag_alone(tmp_path: Path) -> None:
    root = event_forge(
        tmp_path, SHARED[:-1] + ', { path = "packages/extra", tag-prefix = "extra-v" }]'
    )
    npm_package(root / "packages/extra", "@event-forge/extra")
    workspace = load(root)
    extra = next(m for m in workspace.members if m.rel == "packages/extra")
    assert workspace.tag_group(extra) == (extra,)
    assert len(tag_groups(workspace.members)) == 1


def test_a_collision_from_a_default_is_still_refused_and_the_hint_says_how_to_share(
    tmp_path: Path,
) -> None:
    root = event_forge(
        tmp_path, '["packages/core", { path = "plugins/core", tag-prefix = "core-v" }]'
    )
    python_project(root / "plugins/core", "core-plugin")
    error = refused(root)
    assert error.message == (
        "releasekit.toml members packages/core and plugins/core both tag core-v<version>"
    )
    assert error.hint == (
        "give one of them a tag-prefix of its own: one tag must release one member; or, to "
        'release them together from one tag (at equal versions), set tag-prefix = "core-v" '
        "in the entry of each"
    )


def test_a_member_own_tag_prefix_does_not_count_as_chosen_in_the_workspace(
    tmp_path: Path,
) -> None:
    """A project moved into a monorepo keeps its ``tag-prefix = "v"``: an accident."""
    root = event_forge(
        tmp_path, '[{ path = "packages/core", tag-prefix = "v" }, "packages/python"]'
    )
    python_project(root / "packages/python", "event-forge", own='tag-prefix = "v"')
    error = refused(root)
    assert error.message == (
        "releasekit.toml members packages/core and packages/python both tag v<version>"
    )


def test_the_root_project_and_a_member_tagged_v_collide(tmp_path: Path) -> None:
    """The root project's optional v is v: before, None and "v" were never compared."""
    python_project(tmp_path, "root-project")
    text = (tmp_path / "pyproject.toml").read_text()
    text += '[tool.releasekit]\nmembers = [{ path = "js", tag-prefix = "v" }]\n'
    (tmp_path / "pyproject.toml").write_text(text)
    npm_package(tmp_path / "js", "root-js")
    error = refused(tmp_path)
    assert error.message == "[tool.releasekit] members . and js both tag v<version>"


def test_the_root_project_may_share_when_its_entry_says_so(tmp_path: Path) -> None:
    python_project(tmp_path, "root-project")
    text = (tmp_path / "pyproject.toml").read_text()
    text += (
        '[tool.releasekit]\nmembers = [{ path = ".", tag-prefix = "v" }, '
        '{ path = "js", tag-prefix = "v" }]\n'
    )
    (tmp_path / "pyproject.toml").write_text(text)
    npm_package(tmp_path / "js", "root-js")
    assert [m.rel for m in tag_groups(load(tmp_path).members)[0]] == [".", "js"]


def test_unequal_versions_name_each_member_and_version(tmp_path: Path) -> None:
    workspace = load(event_forge(tmp_path, SHARED))
    core, python = sorted(workspace.members, key=lambda m: m.rel)
    error = unequal_versions([(core, "1.2.0"), (python, "1.3.0")])
    assert error is not None
    assert error.message == (
        "the members released by one tag v<version> are at different versions: "
        "packages/core is at 1.2.0, packages/python is at 1.3.0"
    )
    assert error.hint.startswith("bump them together")
    # npm's spelling of a pre-release is the same version as PEP 440's: one tag names both
    assert unequal_versions([(core, "1.2.0-rc.1"), (python, "1.2.0rc1")]) is None


def test_check_refuses_a_group_member_left_out_of_the_run_at_another_version(
    tmp_path: Path,
) -> None:
    workspace = load(event_forge(tmp_path, SHARED, python_version="1.3.0"))
    core = next(m for m in workspace.members if m.kind == "npm")
    project = member_project(core, workspace, Options(only=["packages/core"]))
    with pytest.raises(
        ConfigError, match=r"packages/core is at 1\.2\.0, packages/python is at 1\.3\.0"
    ):
        refuse_unequal_tag_groups([project], {id(project): "1.2.0"})
    # at one version: nothing to say
    python_project(tmp_path / "packages/python", "event-forge", "1.2.0")
    refuse_unequal_tag_groups([project], {id(project): "1.2.0"})


def test_releasekit_tag_names_the_whole_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = load(event_forge(tmp_path, SHARED))
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.2.0")
    released = released_members(lambda _: None, Options(), workspace, "check")
    assert sorted(p.label for p in released) == ["packages/core", "packages/python"]


def test_releasekit_tag_still_refuses_members_of_different_tags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = event_forge(
        tmp_path, SHARED[:-1] + ', { path = "packages/extra", tag-prefix = "extra-v" }]'
    )
    npm_package(root / "packages/extra", "@event-forge/extra")
    monkeypatch.setenv("RELEASEKIT_TAG", "v1.2.0")
    with pytest.raises(ReleasekitError, match="names one tag, but this workspace release has 3"):
        released_members(lambda _: None, Options(), load(root), "check")


def test_releasekit_tag_command_makes_one_tag_for_the_group(tmp_path: Path) -> None:
    (wanted,) = missing_tags(event_forge(tmp_path, SHARED))
    assert wanted.name == "v1.2.0"
    assert sorted(wanted.labels) == ["packages/core", "packages/python"]


def test_releasekit_tag_command_refuses_a_group_at_two_versions(tmp_path: Path) -> None:
    root = event_forge(tmp_path, SHARED, python_version="1.3.0")
    with pytest.raises(TagError) as info:
        missing_tags(root)
    assert info.value.message == (
        "the members released by one tag v<version> are at different versions: "
        "packages/core is at 1.2.0, packages/python is at 1.3.0; nothing was tagged"
    )


class Quiet:
    """A console that says nothing: the refusal comes before any member is checked."""

    def log(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def run(self, argv: object, *, cwd: Path) -> None:
        raise AssertionError("no command runs before the refusal")

    def ask(self, question: str) -> bool | None:
        return None


def test_two_members_of_a_tag_group_cannot_both_make_its_github_release(tmp_path: Path) -> None:
    (tmp_path / "releasekit.toml").write_text(
        'members = [{ path = "a", tag-prefix = "v" }, { path = "b", tag-prefix = "v" }]\n'
    )
    for name in ("a", "b"):
        python_project(tmp_path / name, f"pkg-{name}", own="github-release = true")
    workspace = load(tmp_path)
    options = Options(rehearse=True)
    projects = [member_project(m, workspace, options) for m in workspace.members]
    release = Release(Quiet(), options, projects, workspace=workspace)
    with pytest.raises(ReleasekitError) as info:
        release.check()
    assert info.value.message.startswith(
        "a and b are released by one tag v<version> and both write its github release ("
    )
    assert info.value.hint == (
        "a tag has one github release: keep it for one of them (github-release = false in "
        "the others' pyproject.toml)"
    )
    # one of them is enough
    python_project(tmp_path / "b", "pkg-b")
    workspace = load(tmp_path)
    projects = [member_project(m, workspace, options) for m in workspace.members]
    Release(Quiet(), options, projects, workspace=workspace)._refuse_shared_per_tag_targets()

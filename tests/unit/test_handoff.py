"""What the build hands to the publishing jobs: ``releasekit-project.json``, round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.core.config import parse_config
from releasekit.engine.handoff import Handoff
from releasekit.errors import ReleasekitError

TABLE = {
    "tool": {
        "releasekit": {
            "pre-release": "test-only",
            "check-sessions": ["tests"],
            "prepare-commands": ["npm run build"],
            "github-release": True,
            "install-index": "https://mirror.example/simple/",
            "tools-index": "https://tools.example/simple/",
            "smoke": {"commands": ["demo --version"], "pythons": ["3.12"], "timeout": 30},
            "indexes": {"test": {"url": "http://127.0.0.1:1/simple/"}},
        }
    }
}


def test_the_publishing_keys_travel_and_the_build_only_keys_stay(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "CHANGELOG.md").write_text("# Changelog\n\n## 1.0.0\n\n- first\n")
    config = parse_config(TABLE, project)
    Handoff.of(config, name="demo", kind="python", tag_prefix="").save(tmp_path)

    data = json.loads((tmp_path / "releasekit-project.json").read_text())
    assert "check-sessions" not in data["tool.releasekit"]
    assert "prepare-commands" not in data["tool.releasekit"]
    elsewhere = Handoff.load(tmp_path).unpack(tmp_path / "job")
    fields = ("pre_release", "github_release", "install_index", "tools_index", "smoke", "indexes")
    for field in fields:
        assert getattr(elsewhere, field) == getattr(config, field), field
    assert elsewhere.tag_prefix == ""  # the tag style the build read from the repository
    assert elsewhere.attestations is None  # unset: on with trusted publishing
    assert elsewhere.check_sessions == () and elsewhere.prepare_commands == ()
    changelog = elsewhere.changelog_path()
    assert changelog is not None and "## 1.0.0" in changelog.read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "has no releasekit-project.json"),
        ("{not json", "is unreadable"),
        ('{"format": 99}', "is not a format-1 handoff"),
        ('{"format": 1, "name": 3}', "is malformed"),
    ],
)
def test_a_missing_or_bad_handoff_is_a_clear_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "releasekit-project.json").write_text(content)
    with pytest.raises(ReleasekitError, match=message) as caught:
        Handoff.load(tmp_path)
    assert caught.value.hint


def test_a_handoff_cannot_write_outside_its_directory(tmp_path: Path) -> None:
    handoff = Handoff(name="demo", kind="python", table={}, files={"../evil": "x"})
    with pytest.raises(ReleasekitError, match="outside the project"):
        handoff.unpack(tmp_path / "job")
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize(
    ("wheels", "carried"),
    [
        (["cp312-manylinux_x86_64", "py3-none-any"], ["cp312-manylinux_x86_64", "py3-none-any"]),
        (
            {"python": ["cp312", "cp313"], "platforms": ["win_amd64"], "pure": True},
            ["cp312-win_amd64", "cp313-win_amd64", "py3-none-any"],
        ),
    ],
)
def test_the_declared_wheel_matrix_travels(
    tmp_path: Path, wheels: object, carried: list[str]
) -> None:
    """As its identifiers and tags: the publishing side parses them to the same spec."""
    config = parse_config({"tool": {"releasekit": {"wheels": wheels}}}, tmp_path)
    Handoff.of(config, name="demo", kind="python", tag_prefix=None).save(tmp_path)
    data = json.loads((tmp_path / "releasekit-project.json").read_text())
    assert data["tool.releasekit"]["wheels"] == carried
    assert Handoff.load(tmp_path).unpack(tmp_path / "job").wheels == config.wheels


def test_a_matrix_of_cibuildwheel_platforms_stays_behind(tmp_path: Path) -> None:
    """Expanding it takes cibuildwheel and [tool.cibuildwheel]: not in a publishing job."""
    table = {
        "wheels": {
            "python": ["cp312"],
            "platforms": ["win_amd64"],
            "cibuildwheel": ["linux:x86_64"],
        }
    }
    config = parse_config({"tool": {"releasekit": table}}, tmp_path)
    Handoff.of(config, name="demo", kind="python", tag_prefix=None).save(tmp_path)
    assert (
        "wheels"
        not in json.loads((tmp_path / "releasekit-project.json").read_text())["tool.releasekit"]
    )
    assert Handoff.load(tmp_path).unpack(tmp_path / "job").wheels is None


def test_an_npm_members_publishing_keys_travel_with_its_artifact(tmp_path: Path) -> None:
    """``npm-publish = "stage"`` in the workspace must hold in the CI job that publishes the
    artifact, which has no workspace file: the build hands the keys on."""
    from releasekit.engine.runcontext import Options, Project
    from releasekit.kinds import kind_of
    from releasekit.targets.npm import NpmRegistryTarget

    config = parse_config({}, tmp_path)
    settings = {"npm-publish": "stage", "npm-provenance": False, "npm-trusted-publishing": True}
    Handoff.of(config, name="@ef/core", kind="npm", tag_prefix="core-v",
               npm_registry="https://registry.npmjs.org/", npm=settings).save(tmp_path)  # fmt: skip

    handoff = Handoff.load(tmp_path)
    assert handoff.npm == settings
    project = Project(config, handoff.name, tmp_path, kind_of("npm"), Options(),
                      registry=handoff.npm_registry, npm_settings=handoff.npm)  # fmt: skip
    (target,) = NpmRegistryTarget.configure(project)
    assert (target.mode, target.provenance, target.trusted_publishing) == ("stage", False, True)

    bad = json.loads((tmp_path / "releasekit-project.json").read_text())
    bad["npm"] = {"npm-publish": "later"}
    (tmp_path / "releasekit-project.json").write_text(json.dumps(bad))
    project = Project(config, handoff.name, tmp_path, kind_of("npm"), Options(),
                      npm_settings=Handoff.load(tmp_path).npm)  # fmt: skip
    with pytest.raises(ReleasekitError, match='npm-publish must be "publish" or "stage"'):
        NpmRegistryTarget.configure(project)

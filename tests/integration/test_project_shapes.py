"""The configurations real hatchling projects use, built the way releasekit builds them.

Each sample reproduces something a well-known project does (the project named in the
test's docstring): a version computed by a build plugin that is only in the build
environment, a README assembled by a metadata hook, a project-local ``hatch_build.py``,
files generated before the build, the tag as the source of the version. The version comes
from the project's own backend in an isolated environment (PEP 517), and the build runs
from a clean checkout of HEAD, as in ``nox -s build``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from releasekit.core import git
from releasekit.core.config import load_config
from releasekit.core.version import normalize
from releasekit.errors import BuildError, ConfigError, TagError
from releasekit.kinds.python.build import build_release
from releasekit.project.metadata import project_metadata
from tests.helpers.projects import Project, write_project

pytestmark = pytest.mark.slow

FANCY_README = """
[tool.hatch.metadata.hooks.fancy-pypi-readme]
content-type = "text/markdown"

[[tool.hatch.metadata.hooks.fancy-pypi-readme.fragments]]
path = "README.md"

[[tool.hatch.metadata.hooks.fancy-pypi-readme.fragments]]
text = "\\n## Release notes\\n"

[[tool.hatch.metadata.hooks.fancy-pypi-readme.fragments]]
path = "CHANGELOG.md"
pattern = "## (.*?)\\n## "
"""


@pytest.fixture(autouse=True)
def _find_releasekit(build_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Build environments find releasekit's own wheel, as if it were on the index."""
    for key, value in build_env.items():
        monkeypatch.setenv(key, value)


def make(tmp_path: Path, **kwargs: object) -> Project:
    """A sample project with a README (``twine check --strict`` wants a description)."""
    project = write_project(tmp_path / "demo", git=False, **kwargs)  # type: ignore[arg-type]
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "A sample project"',
            'description = "A sample project"\nreadme = "README.md"',
        )
    )
    project.write("README.md", "# demo\n\nThe demo project.\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    return project


def build(project: Project, tag: str | None = None) -> dict[str, Path]:
    """``nox -s build``'s core on ``project``: {"wheel": path, "sdist": path}."""
    config = load_config(project.path)
    release_tag = git.release_tag(project.path, config.tag_prefix)
    if tag is not None:
        assert release_tag is not None and release_tag.name == tag
    dist = project.path / "dist"
    manifest = build_release(
        config,
        dist,
        tools=[sys.executable],
        name=project.name,
        tag=release_tag,
        log=lambda _: None,
    )
    return {
        "wheel": dist / manifest.wheels[0].filename,
        "sdist": dist / manifest.sdists[0].filename,
    }


def wheel_text(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(suffix)]
        return archive.read(name).decode()


def sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        return [
            member.name.split("/", 1)[1] for member in archive.getmembers() if "/" in member.name
        ]


def use_hatch_vcs_with_fancy_readme(project: Project) -> None:
    """attrs, structlog, jsonschema: hatch-vcs for the version, the README from fragments."""
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text()
    text = text.replace('dynamic = ["version"]', 'dynamic = ["version", "readme"]')
    text = text.replace('readme = "README.md"\n', "")
    text = text.replace(
        'requires = ["hatchling", "releasekit", "hatch-vcs"]',
        'requires = ["hatchling", "releasekit", "hatch-vcs", "hatch-fancy-pypi-readme"]',
    )
    pyproject.write_text(text + FANCY_README)
    project.write("README.md", "# demo\n\nThe demo project.\n")
    project.write("CHANGELOG.md", "# Changes\n\n## 1.4.0\n\n- Shiny.\n\n## 1.3.0\n\n- Old.\n")
    project.commit("fancy readme")


def test_hatch_vcs_and_fancy_readme_version_and_build(tmp_path: Path) -> None:
    """No .git_archival.txt (jsonschema, filelock, pipx): a git-archive export had no version."""
    project = make(tmp_path, version_source="vcs")
    use_hatch_vcs_with_fancy_readme(project)
    project.tag("v1.4.0")
    config = load_config(project.path)

    meta = project_metadata(config)
    assert (meta.name, meta.version, meta.cached) == ("demo", "1.4.0", False)
    assert meta.source == "the build backend (hatchling)"
    assert project_metadata(config).cached is True  # same commit: no backend run

    files = build(project, "v1.4.0")
    assert files["wheel"].name == "demo-1.4.0-py3-none-any.whl"
    metadata = wheel_text(files["wheel"], ".dist-info/METADATA")
    assert "Version: 1.4.0" in metadata
    assert "## Release notes" in metadata and "- Shiny." in metadata and "- Old." not in metadata


def test_a_commit_after_the_tag_is_a_new_cache_entry(tmp_path: Path) -> None:
    project = make(tmp_path, version_source="vcs")
    project.tag("v1.4.0")
    config = load_config(project.path)
    assert project_metadata(config).version == "1.4.0"
    project.write("NEWS.txt", "more\n")
    project.commit("after the tag")
    later = project_metadata(config)
    assert later.cached is False
    assert later.version.startswith("1.4.1.dev1+g")


def test_a_build_plugin_missing_from_build_requires_is_named(tmp_path: Path) -> None:
    """The trap of the first trial: the plugin is not in [build-system] requires."""
    project = make(tmp_path, version_source="vcs")
    use_hatch_vcs_with_fancy_readme(project)
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(', "hatch-fancy-pypi-readme"', ""))
    project.commit("forgot the plugin")

    with pytest.raises(BuildError) as exc:
        project_metadata(load_config(project.path))
    assert exc.value.message == (
        "computing the version failed: UnknownPluginError: Unknown metadata hook: fancy-pypi-readme"
    )
    assert "add its package (e.g. hatch-fancy-pypi-readme) to [build-system] requires" in (
        exc.value.hint
    )
    assert "Traceback" not in str(exc.value)


def test_regex_version_file_and_tags_without_v(tmp_path: Path) -> None:
    """uvicorn, starlette, httpx: [tool.hatch.version] path, tags like 0.51.0."""
    project = make(tmp_path, version="0.51.0", version_source="regex")
    project.tag("0.51.0")
    config = load_config(project.path)
    assert project_metadata(config).version == "0.51.0"
    assert git.release_tag(project.path, None) == git.ReleaseTag(
        "0.51.0", "0.51.0", "git tag at HEAD"
    )
    files = build(project, "0.51.0")
    assert files["wheel"].name == "demo-0.51.0-py3-none-any.whl"


HATCH_BUILD = """\
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface


class VersionFromFile(MetadataHookInterface):
    def update(self, metadata):
        metadata["version"] = Path(self.root, "VERSION").read_text().strip()


class BuildInfo(BuildHookInterface):
    def initialize(self, version, build_data):
        out = Path(self.root, "build-info")
        out.mkdir(exist_ok=True)
        (out / "_build_info.py").write_text("BUILT_BY = 'hatch_build.py'\\n")
        build_data["force_include"][str(out / "_build_info.py")] = "demo/_build_info.py"
"""


def test_custom_hatch_build_py_metadata_and_build_hooks(tmp_path: Path) -> None:
    """mkdocs, pipx: a project-local hatch_build.py computes metadata and adds files."""
    project = make(tmp_path, version_source="regex")
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text().replace(
        '[tool.hatch.version]\npath = "src/demo/__init__.py"\n', ""
    )
    pyproject.write_text(
        text + "\n[tool.hatch.metadata.hooks.custom]\n\n[tool.hatch.build.hooks.custom]\n"
    )
    project.write("hatch_build.py", HATCH_BUILD)
    project.write("VERSION", "3.1.0\n")
    project.write(".gitignore", "build-info/\n")
    project.commit("custom hooks")
    project.tag("v3.1.0")

    assert project_metadata(load_config(project.path)).version == "3.1.0"
    files = build(project, "v3.1.0")
    assert files["wheel"].name == "demo-3.1.0-py3-none-any.whl"
    assert wheel_text(files["wheel"], "demo/_build_info.py") == "BUILT_BY = 'hatch_build.py'\n"


def test_a_failing_hatch_build_py_is_named(tmp_path: Path) -> None:
    project = make(tmp_path, version_source="regex")
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text().replace(
        '[tool.hatch.version]\npath = "src/demo/__init__.py"\n', ""
    )
    pyproject.write_text(text + "\n[tool.hatch.metadata.hooks.custom]\n")
    project.write("hatch_build.py", HATCH_BUILD)  # reads VERSION, which is missing
    project.commit("custom hooks")

    with pytest.raises(BuildError) as exc:
        project_metadata(load_config(project.path))
    assert exc.value.message.startswith("computing the version failed in hatch_build.py: ")
    assert "FileNotFoundError" in exc.value.message and "VERSION" in exc.value.message


def test_a_missing_project_name_is_caught_before_any_build(tmp_path: Path) -> None:
    project = make(tmp_path)
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('name = "demo"\n', ""))
    with pytest.raises(ConfigError) as exc:
        project_metadata(load_config(project.path))
    assert exc.value.message.endswith("pyproject.toml [project] has no name")
    assert exc.value.hint == 'add name = "your-distribution-name" to [project]'


FRONTEND_BUILD = """\
const fs = require("fs");
fs.mkdirSync("src/demo/static", { recursive: true });
fs.writeFileSync("src/demo/static/app.js", "console.log('built by prepare-commands');\\n");
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_prepare_commands_output_is_in_the_sdist_and_the_wheel(tmp_path: Path) -> None:
    """Tektra, jupyter extensions: a frontend built before the package, ignored by git."""
    project = make(
        tmp_path,
        releasekit_table='[tool.releasekit]\nprepare-commands = ["node frontend/build.js"]\n',
        extra_pyproject='[tool.hatch.build]\nartifacts = ["src/demo/static/"]\n',
    )
    project.write("frontend/build.js", FRONTEND_BUILD)
    project.write(".gitignore", "src/demo/static/\n")
    project.commit("frontend")
    project.tag("v1.2.0")

    files = build(project, "v1.2.0")
    assert "src/demo/static/app.js" in sdist_names(files["sdist"])
    assert wheel_text(files["wheel"], "demo/static/app.js") == (
        "console.log('built by prepare-commands');\n"
    )
    assert not (project.path / "src" / "demo" / "static").exists()  # the user's tree: untouched


def test_a_failing_prepare_command_stops_the_build(tmp_path: Path) -> None:
    project = make(
        tmp_path,
        releasekit_table=(
            "[tool.releasekit]\nprepare-commands = "
            '["python -c \'import sys; sys.exit(\\"frontend build broke\\")\'"]\n'
        ),
    )
    with pytest.raises(BuildError) as exc:
        build(project)
    assert exc.value.message.startswith("prepare-commands `python -c")
    assert exc.value.message.endswith("failed (exit 1): frontend build broke")
    assert not (project.path / "dist").exists()


def test_version_from_tag_stamps_the_build_checkout_only(tmp_path: Path) -> None:
    """Tektra, LogFlux: the tag is the truth, the files follow, without hatch-vcs."""
    project = make(
        tmp_path,
        version="0.0.0",
        releasekit_table=(
            "[tool.releasekit]\nversion-from-tag = true\n"
            'version-files = ["pyproject.toml", "src/demo/__init__.py"]\n'
        ),
    )
    project.tag("v2.1.0")

    files = build(project, "v2.1.0")
    assert files["wheel"].name == "demo-2.1.0-py3-none-any.whl"
    assert wheel_text(files["wheel"], "demo/__init__.py").endswith('__version__ = "2.1.0"\n')
    assert files["sdist"].name == "demo-2.1.0.tar.gz"
    assert project.git("status", "--porcelain", "--untracked-files=no") == ""
    assert '__version__ = "0.0.0"' in (project.path / "src/demo/__init__.py").read_text()


def test_version_from_tag_still_refuses_a_tag_that_is_not_a_release_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make(
        tmp_path,
        version="0.0.0",
        releasekit_table="[tool.releasekit]\nversion-from-tag = true\n",
    )
    monkeypatch.setenv("RELEASEKIT_TAG", "release-candidate")
    with pytest.raises(TagError) as exc:
        build(project)
    assert exc.value.message == (
        "tag 'release-candidate' is not a release tag (expected v<version>, a PEP 440 version)"
    )


def test_two_top_level_packages_are_both_in_the_wheel(tmp_path: Path) -> None:
    """attrs ships attr and attrs, black five top-level names."""
    project = make(tmp_path)
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'packages = ["src/demo"]', 'packages = ["src/demo", "src/demo_compat"]'
        )
    )
    project.write(
        "src/demo_compat/__init__.py",
        textwrap.dedent("""\
        from demo import __version__
        """),
    )
    project.commit("second package")
    files = build(project)
    from releasekit.kinds.python.artifacts import inspect_wheel

    assert inspect_wheel(files["wheel"]).top_level == ("demo", "demo_compat")
    assert normalize(inspect_wheel(files["wheel"]).version) == "1.2.0"


def test_files_releasekit_did_not_build_are_never_deleted(tmp_path: Path) -> None:
    project = make(tmp_path)
    dist = project.path / "dist"
    dist.mkdir()
    (dist / "demo-1.1.0.tar.gz").write_bytes(b"a build of yours")
    with pytest.raises(BuildError) as exc:
        build(project)
    assert exc.value.message == f"{dist} holds files releasekit did not build: demo-1.1.0.tar.gz"
    assert "never deletes files it did not make" in exc.value.hint
    assert (dist / "demo-1.1.0.tar.gz").read_bytes() == b"a build of yours"

    (dist / "demo-1.1.0.tar.gz").unlink()
    first = build(project)  # its own earlier build is replaced
    assert build(project)["wheel"] == first["wheel"]


def test_a_read_only_dist_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only directories")
    project = make(tmp_path)
    dist = project.path / "dist"
    dist.mkdir()
    dist.chmod(0o500)
    try:
        with pytest.raises(BuildError) as exc:
            build(project)
    finally:
        dist.chmod(0o700)
    assert exc.value.message.startswith(f"cannot write the build into {dist}: ")

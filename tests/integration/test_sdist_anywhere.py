"""The sdist releasekit publishes builds anywhere: with only the project's other build
requirements, on an index that has never heard of releasekit.

A project set up the old way (releasekit in ``[build-system] requires``) is warned about by
``check``, migrated by ``releasekit init``, built by releasekit's own ``nox -s build``, and
its sdist is then built to a wheel by plain pip in a fresh venv whose only packages are
hatchling and its dependencies. The guard still runs where it should: ``python -m build`` on
the checkout at a wrong tag is refused, and so is the wheel built from the sdist with the
hook turned on as releasekit's builds turn it on.
"""

from __future__ import annotations

import os
import sys
import tarfile
from pathlib import Path

import pytest

from releasekit._compat import tomllib
from releasekit.cli import main
from releasekit.cli.pyproject_edit import releasekit_requirement
from tests.helpers.projects import run
from tests.helpers.sessions import nox, release_project
from tests.helpers.wheelhouses import hatchling_wheelhouse

pytestmark = pytest.mark.slow

OLD_FORM_WARNING = (
    "releasekit is in [build-system] requires, so the published sdist needs releasekit to "
    "build (on any index without it, it fails); `releasekit init` moves it to the "
    "dependencies of [tool.hatch.build.hooks.releasekit]"
)
MIGRATED = (
    "pyproject.toml: releasekit moved from [build-system] requires to the dependencies of "
    "[tool.hatch.build.hooks.releasekit] (the published sdist then builds without it)"
)


@pytest.fixture(scope="session")
def hatchling_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hatchling and its dependencies as wheels, and no releasekit."""
    path = hatchling_wheelhouse(tmp_path_factory)
    assert not list(path.glob("releasekit*")), sorted(p.name for p in path.iterdir())
    return path


def sdist_pyproject(sdist: Path) -> str:
    with tarfile.open(sdist, "r:gz") as archive:
        member = archive.extractfile(f"{sdist.name[: -len('.tar.gz')]}/pyproject.toml")
        assert member is not None
        return member.read().decode("utf-8")


def test_an_old_setup_is_warned_about_migrated_and_its_sdist_builds_without_releasekit(
    tmp_path: Path,
    nox_envdir: Path,
    build_env: dict[str, str],
    hatchling_only: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = release_project(tmp_path, {}, tag=None)  # releasekit in [build-system] requires
    code, out = nox(project, nox_envdir, build_env, "-s", "check", "--", "--rehearse")
    assert code == 0, out
    assert OLD_FORM_WARNING in out

    assert main(["-C", str(project.path), "init"]) == 0
    assert MIGRATED in capsys.readouterr().out.splitlines()
    data = tomllib.loads((project.path / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["build-system"]["requires"] == ["hatchling"]
    assert data["tool"]["hatch"]["build"]["hooks"]["releasekit"] == {
        "dependencies": [releasekit_requirement()]
    }
    project.commit("releasekit init: the hook carries its own dependency")

    code, out = nox(project, nox_envdir, build_env, "-s", "build", "--", "--rehearse")
    assert code == 0, out
    assert OLD_FORM_WARNING not in out
    (sdist,) = (project.path / "dist").glob("*.tar.gz")

    # the sdist's pyproject.toml: the hook off, the rest as committed
    shipped = sdist_pyproject(sdist)
    committed = (project.path / "pyproject.toml").read_text(encoding="utf-8")
    assert shipped != committed
    assert (
        shipped.replace(
            "enable-by-default = false  # releasekit: the published sdist builds without "
            "releasekit; its own builds set HATCH_BUILD_HOOK_ENABLE_RELEASEKIT=1\n",
            "",
        )
        == committed
    )
    assert tomllib.loads(shipped)["build-system"]["requires"] == ["hatchling"]

    # a stranger's build: a fresh venv, pip with no configuration, no cache, no index, and
    # a find-links directory that holds hatchling and its dependencies only. pip runs on the
    # venv's interpreter (--python) instead of being copied into it: ensurepip alone took
    # 3.5 s of CPU, and pip builds the wheel in an isolated environment of its own either way
    venv = tmp_path / "stranger"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    wheels = tmp_path / "stranger-wheels"
    stranger = {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(hatchling_only),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "UV_FIND_LINKS": "",
    }
    built = run(
        sys.executable, "-m", "pip", "--python", python, "wheel", "--no-cache-dir", "--no-deps",
        "--wheel-dir", wheels, sdist, env=stranger, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout
    assert [p.name for p in wheels.iterdir()] == ["demo-1.2.0-py3-none-any.whl"]

    # the same sdist with the hook turned on (as releasekit's own builds do): the guard runs
    # on the wheel built from it, and refuses a tag of another version
    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist, "r:gz") as archive:
        archive.extractall(unpacked)
    guarded = {
        **build_env,
        "PIP_CONFIG_FILE": os.devnull,
        "HATCH_BUILD_HOOK_ENABLE_RELEASEKIT": "1",
        "RELEASEKIT_TAG": "v9.9.9",
    }
    refused = run(
        sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "guarded",
        unpacked / sdist.name[: -len(".tar.gz")], env=guarded, check=False,
    )  # fmt: skip
    assert refused.returncode != 0, refused.stdout
    assert "release tag v9.9.9 (from RELEASEKIT_TAG) is version 9.9.9" in refused.stdout

    # and a maintainer's `python -m build` on the checkout at a wrong tag is refused
    project.tag("v9.9.9")
    env = {**build_env, "PIP_CONFIG_FILE": os.devnull}
    at_tag = run(
        sys.executable, "-m", "build", "--outdir", tmp_path / "checkout-dist", project.path,
        env=env, check=False,
    )  # fmt: skip
    assert at_tag.returncode != 0, at_tag.stdout
    assert "release tag v9.9.9 (from git tag at HEAD) is version 9.9.9" in at_tag.stdout

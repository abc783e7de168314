"""[tool.releasekit] wheels through the real sessions and a real pypiserver: a wheelhouse
(``--dist``) that is not the declared matrix is refused at the check, and a build that is
not is refused at the plan, each with every missing and undeclared wheel named, nothing
uploaded and nothing changed; the declared matrix goes through to the index (issue 18)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.projects import Project, run
from tests.helpers.sessions import creds, nox, release_project, served
from tests.helpers.unchanged import assert_reported, assert_unchanged, snapshot
from tests.helpers.wheels import make_wheel, retag

pytestmark = pytest.mark.slow

MATRIX = 'wheels = { python = ["cp311", "cp312"], platforms = ["manylinux_x86_64", "win_amd64"] }\n'
HINT = (
    "a wheel job was cancelled or failed: rerun it, then gather every job's wheels into one "
    "directory (download-artifact with pattern: files-* and merge-multiple: true)"
)


def _wheelhouse(path: Path, tags: list[str]) -> Path:
    """Wheels of demo 1.2.0 with these tags, as cibuildwheel jobs leave them (only their
    names matter to a check that refuses them before anything reads them)."""
    for tag in tags:
        make_wheel(
            path, "demo", "1.2.0", {"demo/__init__.py": ""}, filename=f"demo-1.2.0-{tag}.whl"
        )
    return path


def _refused(
    project: Project,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
    watched: list[Path],
    *args: str,
) -> str:
    """``nox ARGS``' output, after checking that it failed without a traceback, uploaded
    nothing and changed nothing under ``watched``."""
    before = [snapshot(path) for path in watched]
    held = {name: served(server) for name, server in indexes.items()}
    code, out = nox(project, nox_envdir, build_env, *args, env=creds(indexes))
    assert code != 0, out
    assert "Traceback" not in out, out
    assert {name: served(server) for name, server in indexes.items()} == held
    for path, then in zip(watched, before):
        now = snapshot(path)
        for name in [n for n in now if n not in then and n.startswith("dist")]:
            now.pop(name)  # the build's own dist/ (a plan refusal comes after the build)
        now.pop("dist/releasekit-steps.json", None)
        assert_unchanged(then, now)
    return out


def test_a_wheelhouse_missing_one_declared_wheel_is_refused_before_any_upload(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """The cp312 Windows job was cancelled, and a local linux_x86_64 build slipped in: both
    named in one line, at the check, before anything is built, read or uploaded."""
    project = release_project(tmp_path, indexes, keys=MATRIX)
    wheelhouse = _wheelhouse(
        tmp_path / "wheelhouse",
        [
            "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
            "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
            "cp311-cp311-win_amd64",
            "cp312-cp312-linux_x86_64",
        ],
    )
    out = _refused(
        project, indexes, nox_envdir, build_env, [project.path, wheelhouse],
        "-s", "publish-test", "--", "--dist", str(wheelhouse), "--yes",
    )  # fmt: skip
    assert_reported(
        out,
        f"--dist {wheelhouse} lacks 1 of the 4 declared wheels: cp312-win_amd64; holds 1 "
        "wheel not declared: demo-1.2.0-cp312-cp312-linux_x86_64.whl",
        HINT + f"; remove what is not to be released from --dist {wheelhouse}; or change "
        "[tool.releasekit] wheels",
        prefix="nox > Session check aborted: ",
    )
    assert "nox > Session build aborted: Prerequisite session check was not successful." in out


@pytest.mark.skipif(
    shutil.which("cibuildwheel") is None and importlib.util.find_spec("cibuildwheel") is None,
    reason="cibuildwheel is installed with the test extra on Python >= 3.11",
)
def test_the_matrix_cibuildwheel_prints_is_checked_in_the_session(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """The identifiers come from the project's [tool.cibuildwheel] through its cibuildwheel,
    run from the session: a Windows job that made only cp311's wheel is named."""
    keys = 'wheels = { cibuildwheel = ["linux:x86_64", "windows:AMD64"] }\n'
    project = release_project(tmp_path, indexes, keys=keys)
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.cibuildwheel]\nbuild = "cp311-* cp312-*"\nskip = "*-musllinux*"\n'
    )
    project.commit("cibuildwheel")
    project.git("tag", "-f", "v1.2.0")
    wheelhouse = _wheelhouse(
        tmp_path / "wheelhouse",
        [
            "cp311-cp311-manylinux_2_17_x86_64",
            "cp312-cp312-manylinux_2_17_x86_64",
            "cp311-cp311-win_amd64",
        ],
    )
    out = _refused(
        project, indexes, nox_envdir, build_env, [project.path, wheelhouse],
        "-s", "check", "--", "--dist", str(wheelhouse),
    )  # fmt: skip
    assert_reported(
        out,
        f"--dist {wheelhouse} lacks 1 of the 4 declared wheels: cp312-win_amd64",
        HINT,
        prefix="nox > Session check aborted: ",
    )


def test_platform_wheels_without_a_declared_matrix_are_said_to_be_unchecked(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """Without [tool.releasekit] wheels a wheelhouse is taken as it is (as before), and the
    check says that a missing wheel would go unnoticed."""
    project = release_project(tmp_path, indexes)
    tags = ["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-win_amd64", "py3-none-any"]
    wheelhouse = _wheelhouse(tmp_path / "wheelhouse", tags)
    code, out = nox(project, nox_envdir, build_env, "-s", "check", "--", "--dist", str(wheelhouse))
    assert code == 0, out
    assert (
        "--dist holds 2 platform wheels and [tool.releasekit] wheels declares none: one "
        "missing (a cancelled wheel job) would go unnoticed; declare the matrix" in out
    )


def test_releasekits_own_build_of_a_declared_matrix_is_refused_at_the_plan(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """Without --dist the build makes this machine's wheel only: publishing it would be the
    partial matrix, so the plan refuses it (and says what the release would lack)."""
    keys = 'wheels = ["cp312-manylinux_x86_64", "py3-none-any"]\n'
    project = release_project(tmp_path, indexes, keys=keys)
    out = _refused(
        project, indexes, nox_envdir, build_env, [project.path], "-s", "publish-test", "--", "--yes"
    )
    dist = project.path / "dist"
    assert_reported(
        out,
        "the release is refused, nothing was uploaded: "
        f"{dist} lacks 1 of the 2 declared wheels: cp312-manylinux_x86_64",
        "build the declared wheels (cibuildwheel; templates/github/release-wheels.yml) and "
        "publish them with `-- --dist DIR`, or change [tool.releasekit] wheels",
        prefix="nox > Session publish-test aborted: ",
    )


def test_the_declared_matrix_is_released(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    """Every declared wheel (one stable-ABI wheel covering cp311 and cp312 on Linux) and the
    sdist pass the check and the plan, and the test index serves them."""
    project = release_project(tmp_path, indexes, keys=MATRIX)
    built = tmp_path / "built"
    run("uv", "build", "--out-dir", built, project.path, env=build_env)
    (pure,) = built.glob("*.whl")
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    (built / "demo-1.2.0.tar.gz").rename(wheelhouse / "demo-1.2.0.tar.gz")
    names = [
        retag(pure, tag, wheelhouse).name
        for tag in (
            "cp311-abi3-manylinux_2_17_x86_64",
            "cp311-cp311-win_amd64",
            "cp312-cp312-win_amd64",
        )
    ]
    code, out = nox(
        project, nox_envdir, build_env,
        "-s", "publish-test", "--", "--dist", str(wheelhouse), "--yes",
        env=creds(indexes),
    )  # fmt: skip
    assert code == 0, out
    assert f"--dist {wheelhouse} holds all 4 declared wheels ([tool.releasekit] wheels)" in out
    assert sorted(served(indexes["test"])) == sorted([*names, "demo-1.2.0.tar.gz"])

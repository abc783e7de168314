"""What ``releasekit status`` asks of a kind (releasekit.kinds.base.Kind): how its targets
spell a version, what else it finds wrong with what they hold, and whether ``--rebuild``
rebuilds it; the release layer (releasekit.release.status) asks, never a kind's name."""

from __future__ import annotations

import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from releasekit.core.config import WheelsSpec
from releasekit.engine.remote import PackageFormat, RemoteView, Stage
from releasekit.engine.status import Observed, TargetReading
from releasekit.kinds import kind_of
from releasekit.release.status import ReleaseStatus, StatusScope, _Subject

WHEN = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=datetime.timezone.utc)
HELD = ["demo-1.2.0.tar.gz", "demo-1.2.0-cp312-cp312-manylinux_2_17_x86_64.whl"]
SPEC = WheelsSpec(wheels=("cp312-manylinux_x86_64", "cp313-manylinux_x86_64"))


def reading(name: str, serves: PackageFormat | None, *, required: bool = True) -> TargetReading:
    observed = Observed(files={n: RemoteView("0" * 64, WHEN) for n in HELD})
    noun = "index" if serves is not None else "release"
    return TargetReading(
        name, noun, f"https://{name}.example/", Stage.PROD, observed, required=required,
        serves=serves,
    )  # fmt: skip


def project(kind: str, tmp_path: Path, wheels: WheelsSpec | None = SPEC) -> Any:
    config = SimpleNamespace(wheels=wheels)
    return SimpleNamespace(kind=kind_of(kind), config=config, root=tmp_path, label="demo")


def test_a_version_as_each_kinds_targets_file_it() -> None:
    assert kind_of("python").normalize_version("1.0.0-rc.1") == "1.0.0rc1"
    assert kind_of("python").normalize_version("not-a-version") == "not-a-version"
    assert kind_of("npm").normalize_version("1.0.0-rc.1") == "1.0.0-rc.1"


def test_an_asked_python_version_is_pep_440s_without_reading_the_project(tmp_path: Path) -> None:
    """The project's files are not read (its metadata hook may be slow or fail)."""
    nothing = cast(Any, None)  # reading it would fail
    assert kind_of("python").asked_version(nothing, "1.0.0-RC1") == "1.0.0rc1"


def test_the_declared_wheel_matrix_is_held_against_what_installers_fetch(tmp_path: Path) -> None:
    """An index serving Python distributions is held to the matrix; a GitHub release
    holding the same files (installers fetch nothing there) and a target the policy does
    not send the version to are not."""
    readings = [
        reading("prod", PackageFormat.PYTHON),
        reading("github", None),
        reading("test", PackageFormat.PYTHON, required=False),
    ]
    python = kind_of("python")
    assert python.status_notes(project("python", tmp_path), readings) == [
        "prod: lacks 1 of the 2 declared wheels: cp313-manylinux_x86_64 ([tool.releasekit] wheels)"
    ]
    assert python.status_notes(project("python", tmp_path, None), readings) == []
    assert kind_of("npm").status_notes(project("npm", tmp_path), readings) == []


def test_rebuild_says_a_kind_it_does_not_rebuild_and_goes_on(tmp_path: Path) -> None:
    """An npm member is not rebuilt: one line on the log, no report."""
    web = project("npm", tmp_path)
    web.label = "packages/web"
    subject = _Subject(web, "1.3.0", None, [], None)
    said: list[str] = []
    status = ReleaseStatus(StatusScope(tmp_path), [subject], None, False)
    assert status.rebuild(said.append) == []
    assert said == ["packages/web: not rebuilt (--rebuild compares Python files)"]


def test_a_reading_says_what_installers_fetch_from_its_target(tmp_path: Path) -> None:
    """The project's format where the target is installed from (an index, a registry);
    ``None`` where it is not (a GitHub release's assets), whatever the target's noun."""
    from releasekit.release.status import _reading

    demo = project("python", tmp_path)
    demo.config.pre_release = "both"
    subject = _Subject(demo, "1.2.0", None, [], None)

    def target(source: str | None) -> Any:
        return SimpleNamespace(
            name="t", noun="index", url="https://t.example/", stage=Stage.PROD,
            install_source=lambda: source,
        )  # fmt: skip

    index = _reading(subject, target("https://t.example/simple/"), (None, None))
    assert index.serves is PackageFormat.PYTHON
    assert _reading(subject, target(None), (None, None)).serves is None

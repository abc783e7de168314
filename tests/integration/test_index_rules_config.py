"""An index that is not PyPI (``pypi-rules = false``) and a raised upload limit
(``upload-limit-mb``): in the config, the handoff, the plan's preflight, the strict index
and a rehearsal's stand-ins (issue 18).

The preflight goes through :func:`make_plan` with the real
:class:`~releasekit.targets.pypi.IndexTarget` reading a real strict index on loopback; files
are made by hand (``tests.helpers.dists``) and uploaded as twine sends them. The strict index
is started with a small limit of its own (4096 bytes) instead of PyPI's 100 MiB, so that a
project's raised limit is proven with a file of a few kilobytes. The rehearsal's stand-ins
are the real ones (``IndexTarget.stand_in``: two strict indexes started for the commit),
run by this interpreter's pypiserver and with the same small limit.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

import releasekit.rehearsal as rehearsal
from releasekit.core.config import PYPI_UPLOAD_URL, PYPI_URL, IndexConfig, parse_config
from releasekit.engine.handoff import Handoff
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.plan import ReleasePlan, make_plan
from releasekit.engine.runcontext import Options, Project
from releasekit.errors import ConfigError
from releasekit.kinds import kind_of
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.targets.pypi import IndexTarget
from tests.helpers.dists import metadata, sdist, wheel
from tests.helpers.index import upload_file

SMALL_LIMIT = 4096  # the strict index's own limit per file in these tests (PyPI: 100 MiB)
NOT_PYPI = (
    "; if this index is not PyPI and takes such files, set pypi-rules = false in "
    "[tool.releasekit.indexes.prod]"
)
DEVPI = {
    "url": "https://devpi.example/corp/prod/+simple/",
    "publish-url": "https://devpi.example/corp/prod/",
}


def config(indexes: dict[str, Any], root: Path = Path("/nonexistent")) -> Any:
    return parse_config({"tool": {"releasekit": {"indexes": indexes}}}, root)


# --- the config and the handoff ----------------------------------------------------------------


def test_pypi_rules_is_per_index_true_by_default_and_travels_to_publishing(
    tmp_path: Path,
) -> None:
    parsed = config({"prod": {**DEVPI, "pypi-rules": False}, "test": {"pypi-rules": True}})
    assert parsed.indexes["prod"].pypi_rules is False
    assert parsed.indexes["test"].pypi_rules is True
    assert config({}).indexes["prod"].pypi_rules is True
    handoff = Handoff.of(parsed, name="corp", kind="python", tag_prefix="v")
    assert handoff.table["indexes"]["prod"]["pypi-rules"] is False
    assert "pypi-rules" not in handoff.table["indexes"]["test"]
    handoff.save(tmp_path)
    unpacked = Handoff.load(tmp_path).unpack(tmp_path / "project")
    assert unpacked.indexes["prod"].pypi_rules is False
    assert unpacked.indexes["test"].pypi_rules is True


@pytest.mark.parametrize("bad", ["no", 0, "false"])
def test_pypi_rules_must_be_a_boolean(bad: object) -> None:
    with pytest.raises(ConfigError) as info:
        config({"prod": {**DEVPI, "pypi-rules": bad}})
    assert info.value.message == (
        f"[tool.releasekit].indexes.prod pypi-rules must be true or false, not {bad!r}"
    )
    assert "pypi-rules = false" in info.value.hint and "not PyPI" in info.value.hint


@pytest.mark.parametrize(
    ("name", "table", "url"),
    [
        ("prod", {}, "https://upload.pypi.org/legacy/"),
        ("test", {"url": "https://devpi.example/+simple/"}, "https://test.pypi.org/legacy/"),
    ],
)
def test_pypi_rules_false_on_pypis_own_index_is_refused(
    name: str, table: dict[str, str], url: str
) -> None:
    with pytest.raises(ConfigError) as info:
        config({name: {**table, "pypi-rules": False}})
    assert info.value.message == (
        f"[tool.releasekit].indexes.{name} pypi-rules = false, but the index is PyPI's own "
        f"({url!r})"
    )
    assert "remove pypi-rules" in info.value.hint


# --- the preflight and the strict index ---------------------------------------------------------

on_the_index = pytest.mark.xdist_group("index_rules_config")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """A strict loopback index whose own limit per file is 4096 bytes."""
    server = LocalIndex(
        tmp_path_factory.mktemp("index") / "packages",
        server_python=Path(sys.executable),
        rate_limit=False,
        max_file_size=SMALL_LIMIT,
    )
    with server:
        yield server


def target(index: LocalIndex, **kwargs: Any) -> IndexTarget:
    """The real prod index target for ``index``; ``pypi_rules``/``upload_limit_mb`` go to
    its config, the rest to the target."""
    fields = {k: kwargs.pop(k) for k in ("pypi_rules", "upload_limit_mb") if k in kwargs}
    return IndexTarget(
        index.index_config("prod")._replace(**fields),
        project=kwargs.pop("project", "demo"),
        environ=index.credentials("prod"),
        **kwargs,
    )


def planned(dist: Path, project: str, version: str, *targets: IndexTarget) -> ReleasePlan:
    files = tuple(
        DistFile(
            p.name,
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_size,
            "wheel" if p.name.endswith(".whl") else "sdist",
        )
        for p in sorted(dist.iterdir())
    )
    manifest = Manifest(name=project, version=version, files=files, tag=f"v{version}")
    return make_plan(
        manifest,
        targets,
        tag_prefix=None,
        pre_release="both",
        rehearse=False,
        dist_dir=dist,
    )


def native_build(dist: Path, name: str, version: str = "1.0.0", extra: str = "") -> list[Path]:
    """An sdist and a ``linux_x86_64`` wheel of ``name``, as a local build of a C extension
    makes them (PyPI refuses the wheel for its platform tag)."""
    meta = metadata(name, version, extra=extra)
    return [
        sdist(dist, f"{name}-{version}.tar.gz", meta),
        wheel(dist, f"{name}-{version}-cp312-cp312-linux_x86_64.whl", meta),
    ]


@on_the_index
def test_a_linux_wheel_passes_an_index_that_is_not_pypi_and_is_refused_by_default(
    index: LocalIndex, tmp_path: Path
) -> None:
    built = native_build(tmp_path / "dist", "native")
    linux = built[1].name
    # the default: PyPI's rules, and a way out named for an index the config points elsewhere
    ((message, hint),) = planned(tmp_path / "dist", "native", "1.0.0", target(index)).refusals
    assert message == (
        f"prod: PyPI's platform-tag rule: Binary wheel '{linux}' has an unsupported platform "
        "tag 'linux_x86_64'"
    )
    assert hint.endswith(NOT_PYPI), hint
    assert upload_file(index, built[1]).reason.startswith("Binary wheel")
    # pypi-rules = false: the plan passes, and an index that takes such files takes them
    plan = planned(tmp_path / "dist", "native", "1.0.0", target(index, pypi_rules=False))
    assert plan.refusals == []
    assert plan.targets[0].uploads == (linux, "native-1.0.0.tar.gz")
    index.set_pypi_rules("native", False)
    assert [upload_file(index, path).status for path in built] == [200, 200]
    assert upload_file(index, built[1]).status == 200  # the same bytes again: nothing changes


@on_the_index
def test_an_index_that_is_not_pypi_takes_classifiers_pypi_refuses(
    index: LocalIndex, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    native_build(dist, "corp", extra="Classifier: Private :: Do Not Upload\n")
    refusals = planned(dist, "corp", "1.0.0", target(index)).refusals
    classifier = [r for r in refusals if "classifier rule" in r[0]]
    assert len(classifier) == 2, refusals
    assert all(hint.endswith(NOT_PYPI) for _, hint in classifier), refusals
    assert planned(dist, "corp", "1.0.0", target(index, pypi_rules=False)).refusals == []


@on_the_index
def test_what_any_index_needs_is_still_checked(index: LocalIndex, tmp_path: Path) -> None:
    """A file of another project, or one whose metadata says another version, is refused
    whatever the index: it is not this release."""
    dist = tmp_path / "dist"
    wheel(dist, "other-1.0.0-py3-none-any.whl", metadata("other"))
    wheel(dist, "mine-1.0.0-py3-none-any.whl", metadata("mine", "1.0.1"))
    sdist(dist, "mine-1.0.0.tar.gz", None)
    refusals = planned(dist, "mine", "1.0.0", target(index, pypi_rules=False)).refusals
    assert refusals == [
        (
            "prod: mine-1.0.0-py3-none-any.whl: its metadata says mine 1.0.1, not mine 1.0.0",
            "rebuild it: its name and its metadata disagree",
        ),
        (
            "prod: mine-1.0.0.tar.gz: holds no core metadata where installers read it (a "
            "wheel's .dist-info/METADATA, an sdist's PKG-INFO): Invalid distribution file "
            "mine-1.0.0.tar.gz: PKG-INFO not found at mine-1.0.0/pyproject.toml/PKG-INFO",
            "rebuild it with a standard build backend (python -m build)",
        ),
        (
            "prod: other-1.0.0-py3-none-any.whl: named as other 1.0.0, not mine 1.0.0",
            "publish only this project's wheels and sdist of this version (see --dist)",
        ),
    ]
    # the stand-in of such an index (the strict index, PyPI's rules off for the project)
    # refuses them with the same words: one check, rules.check_any_index
    index.set_pypi_rules("mine", False)
    answers = [
        upload_file(index, path, name="mine", version="1.0.0") for path in sorted(dist.iterdir())
    ]
    assert [(a.status, a.reason) for a in answers] == [
        (400, message.removeprefix("prod: ")) for message, _ in refusals
    ]
    good = wheel(tmp_path, "mine-1.0.0-py3-none-any.whl", metadata("mine"))
    assert upload_file(index, good).status == 200


@on_the_index
def test_the_hint_names_pypi_rules_only_where_it_can_help(
    index: LocalIndex, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    native_build(dist, "hints", extra="Classifier: Natural Language :: Ukranian\n")
    pypi = IndexConfig("prod", PYPI_URL, PYPI_UPLOAD_URL)
    # a stand-in for PyPI itself (a rehearsal): PyPI's rules are the index's, no way out
    refusals = planned(dist, "hints", "1.0.0", target(index, stands_in_for=pypi)).refusals
    assert len(refusals) == 3 and not any(NOT_PYPI in hint for _, hint in refusals), refusals
    # elsewhere: a deprecated classifier has its replacement, and no other way out
    refusals = planned(dist, "hints", "1.0.0", target(index)).refusals
    deprecated = [hint for message, hint in refusals if "deprecated" in message]
    assert deprecated and not any(NOT_PYPI in hint for hint in deprecated), refusals


@on_the_index
def test_a_raised_upload_limit_is_the_projects_own_on_the_strict_index(
    index: LocalIndex, tmp_path: Path
) -> None:
    big = wheel(tmp_path, "big-1.0.0-py3-none-any.whl", metadata("big"), files=payload(6000))
    size = big.stat().st_size
    assert size > SMALL_LIMIT
    refused = upload_file(index, big)
    assert (refused.status, refused.reason) == (
        400,
        f"File too large: {big.name} is {size} bytes; the limit is {SMALL_LIMIT} bytes.",
    )
    # the preflight with the project's limit raised passes; the index raised it too
    assert planned(tmp_path, "big", "1.0.0", target(index, upload_limit_mb=1)).refusals == []
    index.set_upload_limit("Big", size)
    assert upload_file(index, big).status == 200
    # a project's limit never lowers the index's (legacy.py: max(MAX_FILESIZE, upload_limit))
    small = wheel(tmp_path / "s", "small-1.0.0-py3-none-any.whl", metadata("small"))
    index.set_upload_limit("small", 10)
    assert upload_file(index, small).status == 200


def payload(size: int) -> dict[str, bytes]:
    """A module of ``size`` bytes that do not compress: the file's size is about the same."""
    return {"payload/data.bin": os.urandom(size)}


# --- a rehearsal's stand-ins --------------------------------------------------------------------


class SmallIndex(LocalIndex):
    """The rehearsal's stand-in, with a limit of its own of 4096 bytes (PyPI's: 100 MiB)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, max_file_size=SMALL_LIMIT, **kwargs)


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The rehearsal's real stand-ins, run by this interpreter's pypiserver, with the small
    limit; stopped after the test."""
    monkeypatch.setattr(rehearsal, "server_python", lambda **_: Path(sys.executable))
    monkeypatch.setattr(rehearsal, "LocalIndex", SmallIndex)
    yield
    rehearsal.stop_all()


def upload_to(stand_in: IndexTarget, path: Path) -> int:
    """Upload ``path`` to a stand-in as twine would, with the rehearsal's credentials."""
    prefix = stand_in.index.env_prefix
    endpoint = type(
        "Endpoint",
        (),
        {
            "publish_url": stand_in.publish_url,
            "username": stand_in.environ[f"{prefix}_USERNAME"],
            "password": stand_in.environ[f"{prefix}_PASSWORD"],
        },
    )
    return upload_file(cast(LocalIndex, endpoint), path).status


def test_the_stand_ins_take_what_the_configured_indexes_take(
    tmp_path: Path, stand_ins: None
) -> None:
    """prod is an index that is not PyPI with a raised limit (1 MiB: above the stand-in's
    own 4096 bytes), test is TestPyPI with the same limit: the stand-ins hold each project
    to its index's rules, and a new rehearsal with another config sees the new one."""
    root = tmp_path / "corp"
    root.mkdir()
    indexes = {
        "prod": {**DEVPI, "pypi-rules": False, "upload-limit-mb": 1},
        "test": {"upload-limit-mb": 1},
    }
    project = Project(
        config(indexes, root), "corp", root / "dist", kind_of("python"), Options(rehearse=True)
    )
    test, prod = sorted(IndexTarget.configure(project), key=lambda t: t.name != "test")
    said: list[str] = []
    stand_prod = cast(IndexTarget, prod.stand_in(project, said.append))
    stand_test = cast(IndexTarget, test.stand_in(project, said.append))
    assert (stand_prod.pypi_rules, stand_prod.size_limit) == (False, 1024 * 1024)
    assert (stand_test.pypi_rules, stand_test.size_limit) == (True, 1024 * 1024)
    assert stand_prod.new_projects_per_day is None
    dist = tmp_path / "dist"
    meta = metadata("corp")
    files = [
        sdist(dist, "corp-1.0.0.tar.gz", meta),
        wheel(dist, "corp-1.0.0-cp312-cp312-linux_x86_64.whl", meta, files=payload(6000)),
    ]
    assert files[1].stat().st_size > SMALL_LIMIT
    # prod's stand-in: the plan passes, and the stand-in takes the wheel and the sdist
    assert planned(dist, "corp", "1.0.0", stand_prod).refusals == []
    assert [upload_to(stand_prod, path) for path in files] == [200, 200]
    # test's stand-in: PyPI's rule, without the way out (it stands in for TestPyPI)
    ((message, hint),) = planned(dist, "corp", "1.0.0", stand_test).refusals
    assert message.startswith("test: PyPI's platform-tag rule: Binary wheel 'corp-1.0.0-cp312")
    assert "pypi-rules" not in hint
    assert upload_to(stand_test, files[1]) == 400
    # a manylinux wheel of the same size: the raised limit lets it in
    many = wheel(
        tmp_path / "many", "corp-1.0.0-cp312-cp312-manylinux_2_17_x86_64.whl", meta,
        files=payload(6000),
    )  # fmt: skip
    assert upload_to(stand_test, many) == 200
    # the next rehearsal of the commit, with the limit gone from the config: refused again
    test_again = IndexTarget.configure(
        Project(config({"prod": DEVPI}, root), "corp", root / "dist", kind_of("python"),
                Options(rehearse=True))
    )  # fmt: skip
    stand_again = cast(IndexTarget, test_again[0].stand_in(project, said.append))
    big = wheel(
        tmp_path / "again", "corp-1.0.0-cp311-cp311-manylinux_2_17_x86_64.whl", meta,
        files=payload(6000),
    )  # fmt: skip
    assert stand_again.name == "test" and upload_to(stand_again, big) == 400

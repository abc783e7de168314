"""The plan's preflight: PyPI's upload rules applied to every file an index is to be sent,
before anything is uploaded anywhere (issue 18, item 2).

End to end, through the real sessions: a setuptools project with a C extension, built here,
makes a ``linux_x86_64`` wheel that PyPI would refuse; its rehearsal and its publish to two
local pypiservers are refused at the plan, naming the file, the rule and the fix, with
nothing uploaded anywhere; a wheelhouse (``--dist``) holding the sdist and the wheel
repaired to ``manylinux_2_17_x86_64`` passes. The other rules go through :func:`make_plan`
with the real :class:`~releasekit.targets.pypi.IndexTarget` reading a real strict index on
loopback that answers like PyPI (releasekit's rehearsal index, one for the module, a project
name per test): what the plan is to refuse comes from the index itself (an archived project
through ``set_status``, an old release through a real upload and ``backdate``, a file PyPI
took before its rules changed put on its disk). PyPI's new-project rate limit across a
workspace goes through :meth:`Release.plan_all` of a five-member run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit import targets as target_registry
from releasekit.cli.init import template_text
from releasekit.core.config import Config
from releasekit.engine.manifest import DistFile, Manifest
from releasekit.engine.plan import ReleasePlan, make_plan, new_project_refusals
from releasekit.engine.remote import TargetState
from releasekit.engine.runcontext import Options, Project
from releasekit.errors import PublishError
from releasekit.kinds import kind_of
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.release import Release
from releasekit.targets.base import Stage
from releasekit.targets.pypi import IndexTarget, rules
from releasekit.targets.pypi.simple import project_page
from tests.helpers.dists import metadata, retag, sdist, wheel
from tests.helpers.fake_targets import FakeConsole, FakeTarget, Store
from tests.helpers.index import upload_file
from tests.helpers.projects import Project as SampleProject
from tests.helpers.sessions import creds, nox, served

PLATFORM_FIX = (
    "build manylinux/musllinux wheels (cibuildwheel, or `auditwheel repair` on this wheel) and "
    "publish them with --dist DIR, a directory holding only the files to publish"
)


# --- end to end: a C extension's linux_x86_64 wheel -------------------------------------------


def cext_project(root: Path, indexes: dict[str, LocalIndex]) -> SampleProject:
    """``cdemo 1.2.0``: setuptools, one C extension module, a console script that calls it,
    the template noxfile, both local indexes; committed and tagged v1.2.0."""
    project = SampleProject(root / "cdemo", "cdemo")
    tables = "".join(
        f'[tool.releasekit.indexes.{name}]\nurl = "{server.url}"\n'
        f'publish-url = "{server.publish_url}"\n\n'
        for name, server in indexes.items()
    )
    project.write(
        "pyproject.toml",
        textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=77"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "cdemo"
        version = "1.2.0"
        description = "A sample project with a C extension"
        readme = "README.md"
        requires-python = ">=3.9"

        [project.scripts]
        cdemo = "cdemo.cli:main"

        [tool.setuptools.packages.find]
        where = ["src"]

        [tool.releasekit]
        propagation-timeout = 10

        [tool.releasekit.smoke]
        commands = ["cdemo"]

        """)
        + tables,
    )
    project.write(
        "setup.py",
        'from setuptools import Extension, setup\n\nsetup(ext_modules=[Extension("cdemo._speed", '
        '["src/cdemo/_speed.c"])])\n',
    )
    project.write("MANIFEST.in", "include src/cdemo/_speed.c\n")
    project.write(
        "src/cdemo/_speed.c",
        textwrap.dedent("""\
        #include <Python.h>

        static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }

        static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL}};
        static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};

        PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }
        """),
    )
    project.write("src/cdemo/__init__.py", '"""cdemo."""\n\n__version__ = "1.2.0"\n')
    project.write(
        "src/cdemo/cli.py",
        "from cdemo._speed import answer\n\n\ndef main() -> int:\n"
        '    print("cdemo", answer())\n    return 0\n',
    )
    project.write("README.md", "# cdemo\n\nA sample project with a C extension.\n")
    project.write("CHANGELOG.md", "# Changelog\n\n## [1.2.0] - 2026-12-01\n\n- First.\n")
    project.write("noxfile.py", template_text())
    project.write(".gitignore", "dist/\n.nox/\nbuild/\n*.egg-info/\nwheelhouse/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    project.tag("v1.2.0")
    return project


def rehearsed(project: SampleProject) -> dict[str, str]:
    """Every distribution file the rehearsal's local indexes hold, by index and name."""
    root = project.path / ".nox" / "releasekit" / "rehearsal"
    return {
        f"{path.parent.name}/{path.name}": hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.name.endswith((".whl", ".tar.gz"))
    }


@pytest.mark.slow
def test_a_linux_x86_64_wheel_is_refused_at_the_plan_and_a_manylinux_wheelhouse_passes(
    tmp_path: Path,
    indexes: dict[str, LocalIndex],
    nox_envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = cext_project(tmp_path, indexes)

    # the rehearsal of the local build: refused at the plan, nothing on any index
    code, out = nox(project, nox_envdir, build_env, "-s", "release", "--", "--rehearse")
    assert code != 0, out
    assert "Traceback" not in out, out
    (linux,) = sorted(p.name for p in (project.path / "dist").glob("*.whl"))
    assert linux.endswith("-linux_x86_64.whl"), linux
    refusal = (
        f"PyPI's platform-tag rule: Binary wheel '{linux}' has an unsupported platform tag "
        "'linux_x86_64'"
    )
    assert f"the release is refused, nothing was uploaded: test: {refusal}; prod: {refusal}" in (
        out
    ), out
    assert f"hint: {PLATFORM_FIX}" in out, out
    assert "Platform wheels" in out
    assert rehearsed(project) == {}
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}

    # the same build published for real (to two local pypiservers): refused the same way
    code, out = nox(
        project, nox_envdir, build_env, "-s", "publish", "--", "--yes", env=creds(indexes)
    )
    assert code != 0, out
    assert f"test: {refusal}" in out and f"prod: {refusal}" in out, out
    assert served(indexes["test"]) == {} and served(indexes["prod"]) == {}

    # the route the hint names: a wheelhouse with the sdist and the repaired wheel
    wheelhouse = project.path / "wheelhouse"
    wheelhouse.mkdir()
    (built_sdist,) = (project.path / "dist").glob("*.tar.gz")
    shutil.copy2(built_sdist, wheelhouse)
    repaired = retag(project.path / "dist" / linux, "manylinux_2_17_x86_64", wheelhouse)
    code, out = nox(
        project, nox_envdir, build_env, "-s", "release", "--", "--rehearse", "--dist", "wheelhouse"
    )
    assert code == 0, out
    assert "PyPI's" not in out, out
    held = rehearsed(project)
    for name in ("test", "prod"):
        assert {k.split("/", 1)[1] for k in held if k.startswith(f"{name}/")} == {
            built_sdist.name,
            repaired.name,
        }, held


# --- each other rule through the plan: the real index target, reading a strict local index -----

# The per-rule tests share the module's strict index (one per xdist worker that runs them; the
# group keeps them on one worker where --dist loadgroup groups); each plans a project of its
# own, so no test sees another's files.
on_the_index = pytest.mark.xdist_group("preflight_rules")


@pytest.fixture(scope="module")
def pypi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """A loopback index that answers like PyPI (the strict index: PEP 691 JSON, PEP 700 upload
    times, PEP 792 status); its own rate limit is off, as the plan counts new projects."""
    server = LocalIndex(
        tmp_path_factory.mktemp("pypi") / "packages",
        server_python=Path(sys.executable),
        rate_limit=False,
    )
    with server:
        yield server


def index_target(
    pypi: LocalIndex,
    name: str = "prod",
    *,
    upload_limit_mb: int | None = None,
    rehearsal: bool = False,
) -> IndexTarget:
    """The real index target for ``pypi`` as the ``name`` index, with its credentials (and
    ``upload-limit-mb`` in its config)."""
    return IndexTarget(
        pypi.index_config(name)._replace(upload_limit_mb=upload_limit_mb),
        project="demo",
        environ=pypi.credentials(name),
        rehearsal=rehearsal,
    )


def planned(dist: Path, project: str, *targets: IndexTarget) -> ReleasePlan:
    """The plan of every file in ``dist`` (a tagged ``project`` 1.0.0) on ``targets``, which
    the plan reads, at the real now (the index's upload times are real)."""
    files = tuple(
        DistFile(
            p.name,
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_size,
            "wheel" if p.name.endswith(".whl") else "sdist",
        )
        for p in sorted(dist.iterdir())
    )
    manifest = Manifest(name=project, version="1.0.0", files=files, tag="v1.0.0")
    return make_plan(
        manifest,
        targets,
        tag_prefix=None,
        pre_release="both",
        rehearse=False,
        dist_dir=dist,
    )


def files_of(pypi: LocalIndex, project: str) -> dict[str, str]:
    """What ``pypi`` serves of ``project``: sha256 by filename."""
    return {name: f.sha256 or "" for name, f in project_page(pypi.url, project).files.items()}


@on_the_index
def test_a_good_build_passes_the_preflight(pypi: LocalIndex, tmp_path: Path) -> None:
    meta = metadata("good", extra="Classifier: Typing :: Typed\n")
    sdist(tmp_path, "good-1.0.0.tar.gz", meta)
    wheel(tmp_path, "good-1.0.0-py3-none-any.whl", meta)
    plan = planned(tmp_path, "good", index_target(pypi))
    assert plan.refusals == []
    assert plan.targets[0].uploads == ("good-1.0.0-py3-none-any.whl", "good-1.0.0.tar.gz")


@on_the_index
def test_a_deprecated_classifier_refuses_the_release(pypi: LocalIndex, tmp_path: Path) -> None:
    meta = metadata("deprecated", extra="Classifier: Natural Language :: Ukranian\n")
    wheel(tmp_path, "deprecated-1.0.0-py3-none-any.whl", meta)
    plan = planned(tmp_path, "deprecated", index_target(pypi, "test"), index_target(pypi, "prod"))
    message = (
        "PyPI's deprecated-classifier rule: deprecated-1.0.0-py3-none-any.whl: The classifier "
        "'Natural Language :: Ukranian' has been deprecated, use one of ['Natural Language :: "
        "Ukrainian'] instead"
    )
    assert plan.refusals == [
        (f"{name}: {message}", "replace it with 'Natural Language :: Ukrainian' in [project] "
         "classifiers and rebuild")
        for name in ("test", "prod")
    ]  # fmt: skip
    assert plan.render()[-1] == "  => refused: nothing will be uploaded anywhere"
    with pytest.raises(PublishError) as info:
        plan.check()
    assert info.value.message.startswith("the release is refused, nothing was uploaded: test: ")
    assert files_of(pypi, "deprecated") == {}


@on_the_index
def test_an_unknown_classifier_refuses_the_release(pypi: LocalIndex, tmp_path: Path) -> None:
    meta = metadata("unknown", extra="Classifier: Framework :: Releasekit\n")
    wheel(tmp_path, "unknown-1.0.0-py3-none-any.whl", meta)
    ((message, hint),) = planned(tmp_path, "unknown", index_target(pypi)).refusals
    assert message == (
        "prod: PyPI's classifier rule: unknown-1.0.0-py3-none-any.whl: "
        "'Framework :: Releasekit' is not a valid classifier"
    )
    assert "https://pypi.org/classifiers/" in hint
    assert files_of(pypi, "unknown") == {}


@on_the_index
def test_a_metadata_version_pypi_does_not_take_refuses_the_release(
    pypi: LocalIndex, tmp_path: Path
) -> None:
    meta = metadata("metaver", metadata_version="2.6")
    wheel(tmp_path, "metaver-1.0.0-py3-none-any.whl", meta)
    ((message, hint),) = planned(tmp_path, "metaver", index_target(pypi)).refusals
    assert message.startswith(
        "prod: PyPI's metadata-version rule: metaver-1.0.0-py3-none-any.whl: "
        "'2.6' is not a valid metadata version (PyPI takes 1.0, 1.1, 1.2, 2.1, 2.2, 2.3, 2.4, 2.5)"
    )
    assert "[build-system] requires" in hint


def over_100_mb(directory: Path, filename: str, meta: str) -> Path:
    """A wheel past PyPI's 100 MiB, in a few kilobytes of disk: a hole of 100 MiB (a sparse
    file) before a small wheel's bytes, which zipfile reads as it reads a self-extractor."""
    small = wheel(directory / "small", filename, meta).read_bytes()
    path = directory / filename
    with open(path, "wb") as handle:
        handle.truncate(rules.MAX_FILE_SIZE)
        handle.seek(rules.MAX_FILE_SIZE)
        handle.write(small)
    shutil.rmtree(directory / "small")
    return path


@on_the_index
def test_a_file_over_the_size_limit_refuses_the_release(pypi: LocalIndex, tmp_path: Path) -> None:
    path = over_100_mb(tmp_path, "toolarge-1.0.0-py3-none-any.whl", metadata("toolarge"))
    size = path.stat().st_size
    ((message, hint),) = planned(tmp_path, "toolarge", index_target(pypi)).refusals
    assert message == (
        f"prod: PyPI's size rule: File too large: toolarge-1.0.0-py3-none-any.whl is {size} "
        "bytes; the limit is 100 MB"
    )
    assert "file size limit" in hint
    # the limit PyPI raised for the project (upload-limit-mb) takes it
    raised = index_target(pypi, upload_limit_mb=101)
    assert planned(tmp_path, "toolarge", raised).refusals == []


@on_the_index
def test_a_raised_upload_limit_never_lowers_pypis(pypi: LocalIndex, tmp_path: Path) -> None:
    """upload-limit-mb below PyPI's 100 MiB (1 MiB) leaves PyPI's: Warehouse takes
    max(MAX_FILESIZE, Project.upload_limit), and so does the preflight."""
    wheel(tmp_path, "twomb-1.0.0-py3-none-any.whl", metadata("twomb"), files=incompressible(2))
    assert planned(tmp_path, "twomb", index_target(pypi, upload_limit_mb=1)).refusals == []


def incompressible(mib: int) -> dict[str, bytes]:
    """A module of ``mib`` MiB that does not compress: the wheel is about as large."""
    return {"payload/data.bin": os.urandom(mib << 20)}


@on_the_index
def test_an_sdist_name_pypi_refuses_refuses_the_release(pypi: LocalIndex, tmp_path: Path) -> None:
    sdist(tmp_path, "Sdistname-1.0.0.tar.gz", metadata("sdistname"))
    ((message, hint),) = planned(tmp_path, "sdistname", index_target(pypi)).refusals
    assert message == (
        "prod: PyPI's filename rule: Filename 'Sdistname-1.0.0.tar.gz' is invalid, should be "
        "'sdistname-1.0.0.tar.gz'"
    )
    assert "PEP 625" in hint


@on_the_index
def test_only_the_files_to_be_sent_are_checked(pypi: LocalIndex, tmp_path: Path) -> None:
    """A file the index already holds with the same bytes is not sent again: PyPI took it
    (before it refused linux_x86_64), and the index serves it."""
    linux = wheel(tmp_path, "sent-1.0.0-cp311-cp311-linux_x86_64.whl", metadata("sent"))
    ((message, hint),) = planned(tmp_path, "sent", index_target(pypi)).refusals
    assert message.startswith("prod: PyPI's platform-tag rule: Binary wheel 'sent-1.0.0-cp311")
    assert hint.startswith(PLATFORM_FIX)
    assert files_of(pypi, "sent") == {}
    # the same bytes on the index, as an upload of old that today's rules would refuse
    shutil.copy2(linux, pypi.packages_dir / linux.name)
    assert files_of(pypi, "sent") == {linux.name: hashlib.sha256(linux.read_bytes()).hexdigest()}
    plan = planned(tmp_path, "sent", index_target(pypi))
    assert plan.refusals == []
    assert plan.targets[0].uploads == ()


@on_the_index
def test_the_archived_and_14_day_refusals_name_their_rule(pypi: LocalIndex, tmp_path: Path) -> None:
    # an archived project (PEP 792), as its owners archive it on PyPI
    meta = metadata("attic")
    assert upload_file(pypi, sdist(tmp_path / "index", "attic-1.0.0.tar.gz", meta)).status == 200
    pypi.set_status("attic", "archived")
    wheel(tmp_path / "attic", "attic-1.0.0-py3-none-any.whl", meta)
    ((message, hint),) = planned(tmp_path / "attic", "attic", index_target(pypi)).refusals
    assert message == (
        "prod: PyPI's project-status rule: the project is archived on this index (PEP 792); it "
        "takes no uploads"
    )
    assert hint == "ask the index's admins or the project's owners; nothing can be uploaded there"
    # an index that is not PyPI serves PEP 792 too: refused, in words that are not PyPI's
    other = not_pypi(pypi)
    ((message, _),) = planned(tmp_path / "attic", "attic", other).refusals
    assert message == ("prod: the project is archived on this index (PEP 792); it takes no uploads")
    # a release first uploaded 15 days ago: its sdist is there, the wheel would be new
    meta = metadata("oldrel")
    assert upload_file(pypi, sdist(tmp_path / "index", "oldrel-1.0.0.tar.gz", meta)).status == 200
    (moved,) = pypi.backdate("oldrel", "1.0.0", 15)
    first = project_page(pypi.url, "oldrel").files[moved].upload_time
    assert first is not None
    wheel(tmp_path / "oldrel", "oldrel-1.0.0-py3-none-any.whl", meta)
    ((message, hint),) = planned(tmp_path / "oldrel", "oldrel", index_target(pypi)).refusals
    assert message == (
        f"prod: PyPI's release-age rule: 1.0.0 was first uploaded {first:%Y-%m-%d} (15 days "
        "ago); PyPI refuses new files for a release more than 14 days old"
    )
    assert hint.startswith("release the missing files under a new version")
    assert set(files_of(pypi, "oldrel")) == {"oldrel-1.0.0.tar.gz"}
    # the window is PyPI's: an index that is not PyPI takes the new file
    assert planned(tmp_path / "oldrel", "oldrel", not_pypi(pypi)).refusals == []
    # and nothing to upload, nothing refused: the index holds every file of this dist/
    (tmp_path / "held").mkdir()
    shutil.copy2(tmp_path / "index" / "oldrel-1.0.0.tar.gz", tmp_path / "held")
    assert planned(tmp_path / "held", "oldrel", index_target(pypi)).refusals == []
    # a release 13 days old still takes new files
    meta = metadata("newrel")
    assert upload_file(pypi, sdist(tmp_path / "index", "newrel-1.0.0.tar.gz", meta)).status == 200
    assert pypi.backdate("newrel", "1.0.0", 13) == ["newrel-1.0.0.tar.gz"]
    wheel(tmp_path / "newrel", "newrel-1.0.0-py3-none-any.whl", meta)
    assert planned(tmp_path / "newrel", "newrel", index_target(pypi)).refusals == []


def not_pypi(pypi: LocalIndex) -> IndexTarget:
    """The real prod index target for ``pypi``, configured as an index that is not PyPI."""
    return IndexTarget(
        pypi.index_config("prod")._replace(pypi_rules=False),
        project="demo",
        environ=pypi.credentials("prod"),
    )


# --- PyPI's new-project rate limit, across a workspace's plans ----------------------------------


@on_the_index
def test_new_projects_are_counted_per_index_against_pypis_limit(
    pypi: LocalIndex, tmp_path: Path
) -> None:
    wheel(tmp_path / "new", "newproj-1.0.0-py3-none-any.whl", metadata("newproj"))
    target = index_target(pypi)
    assert target.new_projects_per_day == 4
    (part,) = planned(tmp_path / "new", "newproj", target).targets
    assert part.new_project
    names = [f"p{n}" for n in range(5)]
    assert new_project_refusals((n, target, part) for n in names[:4]) == []
    ((message, hint),) = new_project_refusals((n, target, part) for n in names)
    assert message == (
        "prod: the index's new-project rate limit: this release would create 5 projects on "
        f"{pypi.url} (p0, p1, p2, p3, p4); an account may create 4 a day"
    )
    assert "batches of 4" in hint and "pending trusted publisher" in hint
    # not counted: a project the index knows, a rehearsal's fresh index, trusted publishing
    meta = metadata("knownproj")
    assert (
        upload_file(pypi, sdist(tmp_path / "index", "knownproj-1.0.0.tar.gz", meta)).status == 200
    )
    wheel(tmp_path / "known", "knownproj-1.0.0-py3-none-any.whl", meta)
    (known_part,) = planned(tmp_path / "known", "knownproj", index_target(pypi)).targets
    assert not known_part.new_project
    assert index_target(pypi, rehearsal=True).new_projects_per_day is None
    oidc = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x"}
    trusted = IndexTarget(pypi.index_config("prod"), project="demo", environ=oidc)
    assert trusted.new_projects_per_day is None


@pytest.fixture
def new_everywhere(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeTarget]]:
    """test and prod in memory, knowing no project, with PyPI's limit of 4 a day."""
    made = {
        "test": FakeTarget("test", Stage.TEST, Store()),
        "prod": FakeTarget("prod", Stage.PROD, Store()),
    }
    monkeypatch.setattr(target_registry, "REGISTRY", ["tests.helpers.fake_targets:FakeTarget"])
    monkeypatch.setattr(FakeTarget, "configured", list(made.values()))
    monkeypatch.setattr(FakeTarget, "new_projects_per_day", 4)

    def read(self: FakeTarget, manifest: Manifest) -> TargetState:
        self.store.calls.append(f"read {self.name} {manifest.name}")
        return TargetState(new_project=True)

    monkeypatch.setattr(FakeTarget, "read", read)
    yield made


def members(tmp_path: Path, count: int, options: Options) -> list[Project]:
    """``count`` projects with a build in their dist/, as the build step leaves it."""
    made = []
    for n in range(count):
        name = f"member{n}"
        dist = tmp_path / name / "dist"
        dist.mkdir(parents=True)
        files = []
        for filename, kind in (
            (f"{name}-1.0.0.tar.gz", "sdist"),
            (f"{name}-1.0.0-py3-none-any.whl", "wheel"),
        ):
            data = f"{filename} bytes".encode()
            (dist / filename).write_bytes(data)
            files.append(DistFile(filename, hashlib.sha256(data).hexdigest(), len(data), kind))
        Manifest(
            name=name, version="1.0.0", files=tuple(files), tag="v1.0.0", commit="c" * 40
        ).save(dist)
        made.append(Project(Config(root=tmp_path / name), name, dist, kind_of("python"), options))
    return made


def test_a_first_release_of_five_members_is_refused_before_any_upload(
    tmp_path: Path, new_everywhere: dict[str, FakeTarget]
) -> None:
    options = Options(yes=True)
    run = Release(FakeConsole(), options, members(tmp_path, 5, options), requested=("release",))
    with pytest.raises(PublishError) as info:
        run.publish_test()
    message = info.value.message
    assert message.startswith("the release is refused, nothing was uploaded: ")
    listed = "member0, member1, member2, member3, member4"
    for name in ("test", "prod"):
        assert (
            f"{name}: the fake's new-project rate limit: this release would create 5 projects on "
            f"fake://{name} ({listed})"
        ) in message
    assert "batches of 4" in info.value.hint
    assert all(t.store.files == {} for t in new_everywhere.values())
    assert not any(c.startswith("publish") for t in new_everywhere.values() for c in t.store.calls)

    four = Release(
        FakeConsole(), options, members(tmp_path / "four", 4, options), requested=("release",)
    )
    four.publish_test()  # four new projects: within the limit
    assert len(new_everywhere["test"].store.files) == 8


# --- a per-file upload limit PyPI raised for the project ---------------------------------------


def test_a_raised_upload_limit_is_configured_per_index_and_travels_to_publishing(
    tmp_path: Path,
) -> None:
    from releasekit.core.config import parse_config
    from releasekit.engine.handoff import Handoff
    from releasekit.errors import ConfigError

    pyproject = {"tool": {"releasekit": {"indexes": {"prod": {"upload-limit-mb": 200}}}}}
    config = parse_config(pyproject, tmp_path)
    assert config.indexes["prod"].upload_limit_mb == 200
    assert config.indexes["test"].upload_limit_mb is None
    assert IndexTarget(config.indexes["prod"], project="demo", environ={}).size_limit == 200 << 20
    assert IndexTarget(config.indexes["test"], project="demo", environ={}).size_limit is None
    # the publishing job of a CI release reads the configuration from the build's handoff
    Handoff.of(config, name="demo", kind="python", tag_prefix=None).save(tmp_path)
    unpacked = Handoff.load(tmp_path).unpack(tmp_path / "publishing")
    assert unpacked.indexes["prod"].upload_limit_mb == 200
    assert unpacked.indexes["test"].upload_limit_mb is None

    for bad in ("200", 0, True, 1.5):
        table = {"tool": {"releasekit": {"indexes": {"test": {"upload-limit-mb": bad}}}}}
        with pytest.raises(ConfigError) as info:
            parse_config(table, tmp_path)
        assert info.value.message == (
            f"[tool.releasekit].indexes.test upload-limit-mb must be a whole number of MiB > 0, "
            f"not {bad!r}"
        )
        assert "upload-limit-mb = 200" in info.value.hint

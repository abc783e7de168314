"""The rehearsal's index refuses what PyPI refuses, with PyPI's status and words.

One real strict index (pypiserver behind releasekit/_child/strict_index.py) for the module;
each test uses projects of its own. The files are made by hand (tests/helpers/dists.py);
uploads go as twine sends them (tests/helpers/index.py ``upload_file``, and twine itself where
its handling of the answer matters); the simple API
is read with releasekit's own reader (``simple.project_page``), as the plan reads it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.errors import PublishError
from releasekit.rehearsal import drop_earlier_files
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.targets.pypi.simple import project_page
from tests.helpers import dists
from tests.helpers.index import upload_file

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("strict_index")]

UTC = datetime.timezone.utc
PURE = "py3-none-any.whl"  # a pure-Python wheel's tags, as PyPI takes them


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """One index for the module's tests, each on projects of its own: more new projects
    than PyPI lets one user make in a day (the rate limit has a test with its own index)."""
    server = LocalIndex(
        tmp_path_factory.mktemp("strict") / "packages",
        server_python=Path(sys.executable),
        rate_limit=False,
    )
    with server:
        yield server


def twine(index: LocalIndex, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "twine", "upload", "--non-interactive",
            "--disable-progress-bar", "--repository-url", index.publish_url,
            *map(str, files),
        ],
        env={**os.environ, "TWINE_USERNAME": index.username, "TWINE_PASSWORD": index.password},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip


def read(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    headers = {"Accept": accept} if accept else {}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


# --- the file itself: rules.check_file, answered by the index ------------------------------


@pytest.mark.parametrize(
    ("tag", "meta", "said"),
    [
        (
            "cp311-cp311-linux_x86_64",
            {},
            "has an unsupported platform tag 'linux_x86_64'",
        ),
        (
            "py3-none-any",
            {"extra": "Classifier: Natural Language :: Ukranian\n"},
            "The classifier 'Natural Language :: Ukranian' has been deprecated",
        ),
        (
            "py3-none-any",
            {"extra": "Classifier: Programming Language :: Cobol++\n"},
            "'Programming Language :: Cobol++' is not a valid classifier.",
        ),
        (
            "py3-none-any",
            {"description": "Title\n=====\n\n.. broken-directive::\n\n`unclosed\n"},
            "The description failed to render in the default format of reStructuredText",
        ),
    ],
    ids=["linux-platform-tag", "deprecated-classifier", "unknown-classifier", "readme"],
)
def test_a_file_pypi_refuses_is_refused_with_pypi_words(
    index: LocalIndex, tmp_path: Path, tag: str, meta: dict[str, str], said: str
) -> None:
    project = f"refused-{len(said)}"
    filename = f"refused_{len(said)}-1.0.0-{tag}.whl"
    wheel = dists.wheel(tmp_path, filename, dists.metadata(project, **meta))
    answer = upload_file(index, wheel)
    assert answer.status == 400, answer
    assert said in answer.reason
    assert project_page(index.url, project).files == {}  # nothing stored


def test_twine_shows_the_refusal_and_nothing_is_stored(index: LocalIndex, tmp_path: Path) -> None:
    meta = dists.metadata("cext")
    wheel = dists.wheel(tmp_path, "cext-1.0.0-cp311-cp311-linux_x86_64.whl", meta)
    done = twine(index, wheel)
    assert done.returncode == 1
    assert "400 Bad Request" in done.stdout + done.stderr
    assert "unsupported platform tag 'linux_x86_64'" in " ".join(
        (done.stdout + done.stderr).split()
    )
    manylinux = dists.wheel(tmp_path, "cext-1.0.0-cp311-cp311-manylinux_2_17_x86_64.whl", meta)
    assert twine(index, manylinux).returncode == 0
    assert set(project_page(index.url, "cext").files) == {manylinux.name}


def test_a_metadata_version_pypi_does_not_take_is_refused(
    index: LocalIndex, tmp_path: Path
) -> None:
    wheel = dists.wheel(tmp_path, f"metaver-1.0.0-{PURE}", dists.metadata("metaver"))
    # the same wheel with Metadata-Version 3.0
    meta = dists.metadata("metaver", metadata_version="3.0")
    bad = dists.wheel(tmp_path / "bad", wheel.name, meta)
    answer = upload_file(index, bad)
    assert (answer.status, "'3.0' is not a valid metadata version") == (400, answer.reason[:37])
    assert upload_file(index, wheel).status == 200


def test_a_digest_that_is_not_the_file_s_is_refused(index: LocalIndex, tmp_path: Path) -> None:
    wheel = dists.wheel(tmp_path, f"digest-1.0.0-{PURE}", dists.metadata("digest"))
    answer = upload_file(index, wheel, digest="0" * 64)
    assert answer.status == 400
    assert answer.reason == (
        "The digest supplied does not match a digest calculated from the uploaded file."
    )


# --- what the index holds -------------------------------------------------------------------


def test_the_same_bytes_again_are_200_and_change_nothing(index: LocalIndex, tmp_path: Path) -> None:
    sdist = dists.sdist(tmp_path, "again-1.0.0.tar.gz", dists.metadata("again"))
    wheel = dists.wheel(tmp_path, f"again-1.0.0-{PURE}", dists.metadata("again"))
    assert twine(index, sdist, wheel).returncode == 0
    before = project_page(index.url, "again").files
    time.sleep(0.01)
    assert twine(index, sdist, wheel).returncode == 0  # PyPI: 200, the file is a duplicate
    after = project_page(index.url, "again").files
    assert after == before
    assert {f.upload_time for f in after.values()} == {f.upload_time for f in before.values()}


def test_other_bytes_under_a_name_it_holds_are_refused(index: LocalIndex, tmp_path: Path) -> None:
    wheel = dists.wheel(tmp_path, f"other-1.0.0-{PURE}", dists.metadata("other"))
    assert upload_file(index, wheel).status == 200
    changed = dists.wheel(
        tmp_path / "2", wheel.name, dists.metadata("other"), files={"other.py": b"VALUE = 2\n"}
    )
    answer = upload_file(index, changed)
    assert answer.status == 400
    assert answer.reason.startswith(f"File already exists ({wheel.name!r}, with blake2_256 hash ")
    assert answer.reason.endswith(
        "See https://pypi.org/help/#file-name-reuse for more information."
    )
    served = project_page(index.url, "other").files[wheel.name]
    assert served.sha256 == hashlib.sha256(wheel.read_bytes()).hexdigest()


def test_a_name_deleted_through_the_api_is_refused_for_good(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    wheel = dists.wheel(tmp_path, f"gone-1.0.0-{PURE}", dists.metadata("gone"))
    sdist = dists.sdist(tmp_path, "gone-1.0.0.tar.gz", dists.metadata("gone"))
    with LocalIndex(packages, server_python=Path(sys.executable)) as index:
        assert upload_file(index, wheel).status == 200
        assert upload_file(index, sdist).status == 200
        index.delete(wheel.name)
        assert set(project_page(index.url, "gone").files) == {sdist.name}
        answer = upload_file(index, wheel)
    assert (answer.status, answer.reason) == (
        400,
        "This filename was previously used by a file that has since been deleted. Use a "
        "different version. See https://pypi.org/help/#file-name-reuse for more information.",
    )
    with LocalIndex(packages, server_python=Path(sys.executable)) as index:  # a restart
        assert upload_file(index, wheel).status == 400
        assert upload_file(index, sdist).status == 200  # still there: the same bytes


def test_deleting_from_an_index_that_does_not_answer_is_a_publish_error(tmp_path: Path) -> None:
    with LocalIndex(tmp_path / "packages", server_python=Path(sys.executable)) as index:
        process = index._process
        assert process is not None
        process.kill()  # the server died; the index object still has its port
        process.wait()
        with pytest.raises(PublishError) as info:
            index.delete(f"gone-1.0.0-{PURE}")
        assert info.value.message == (
            f"deleting gone-1.0.0-{PURE} from {index.publish_url} failed: "
            "[Errno 111] Connection refused"
        )
        assert info.value.hint == f"the local index does not answer; see {index.log_path}"


def test_a_file_a_rehearsal_drops_on_disk_is_forgotten(index: LocalIndex, tmp_path: Path) -> None:
    wheel = dists.wheel(tmp_path, f"scratch-1.0.0-{PURE}", dists.metadata("scratch"))
    assert upload_file(index, wheel).status == 200
    # rehearsal.drop_earlier_files: the new build replaces its own earlier scratch upload
    assert drop_earlier_files(index.packages_dir, [wheel.name]) == [wheel.name]
    rebuilt = dists.wheel(
        tmp_path / "2", wheel.name, dists.metadata("scratch"), files={"scratch.py": b"VALUE = 2\n"}
    )
    assert upload_file(index, rebuilt).status == 200
    served = project_page(index.url, "scratch").files[wheel.name]
    assert served.sha256 == hashlib.sha256(rebuilt.read_bytes()).hexdigest()


def test_a_second_sdist_for_a_release_is_refused(index: LocalIndex, tmp_path: Path) -> None:
    first = dists.sdist(tmp_path, "twosdists-1.0.0.tar.gz", dists.metadata("twosdists"))
    assert upload_file(index, first).status == 200
    # 1.0 is the release 1.0.0 (legacy.py finds the release by its canonical version)
    meta = dists.metadata("twosdists", "1.0")
    answer = upload_file(index, dists.sdist(tmp_path, "twosdists-1.0.tar.gz", meta))
    assert (answer.status, answer.reason) == (400, "Only one sdist may be uploaded per release.")
    assert upload_file(index, dists.wheel(tmp_path, f"twosdists-1.0-{PURE}", meta)).status == 200


# --- the project and the release ----------------------------------------------------------


def test_an_archived_project_refuses_uploads(index: LocalIndex, tmp_path: Path) -> None:
    meta = dists.metadata("attic")
    assert upload_file(index, dists.sdist(tmp_path, "attic-1.0.0.tar.gz", meta)).status == 200
    index.set_status("attic", "archived", "moved to attic2")
    page = project_page(index.url, "attic")
    assert (page.status, page.status_reason) == ("archived", "moved to attic2")
    wheel = dists.wheel(tmp_path, f"attic-1.0.0-{PURE}", meta)
    answer = upload_file(index, wheel)
    assert answer.status == 403
    assert answer.reason == (
        f"The user {index.username!r} isn't allowed to upload to project 'attic'. "
        "See https://pypi.org/help/#project-name for more information."
    )
    index.set_status("attic", "active")
    assert upload_file(index, wheel).status == 200


def test_a_quarantined_project_serves_no_files(index: LocalIndex, tmp_path: Path) -> None:
    """Warehouse keeps upload for a quarantined project's users (only trusted publishers
    lose it) but lists none of its files (packaging/utils.py _simple_detail)."""
    wheel = dists.wheel(tmp_path, f"held-1.0.0-{PURE}", dists.metadata("held"))
    assert upload_file(index, wheel).status == 200
    index.set_status("held", "quarantined")
    page = project_page(index.url, "held")
    assert (page.files, page.status) == ({}, "quarantined")
    _, _, html = read(f"{index.url}held/", "text/html")
    assert b'<meta name="pypi:project-status" content="quarantined">' in html
    assert wheel.name.encode() not in html
    index.set_status("held", "active")
    assert set(project_page(index.url, "held").files) == {wheel.name}


def test_new_files_for_a_release_older_than_14_days_are_refused(
    index: LocalIndex, tmp_path: Path
) -> None:
    wheel = dists.wheel(tmp_path, f"oldrel-1.0.0-{PURE}", dists.metadata("oldrel"))
    sdist = dists.sdist(tmp_path, "oldrel-1.0.0.tar.gz", dists.metadata("oldrel"))
    assert upload_file(index, wheel).status == 200
    assert index.backdate("oldrel", "1.0.0", 15) == [wheel.name]
    uploaded = project_page(index.url, "oldrel").files[wheel.name].upload_time
    assert uploaded is not None
    assert datetime.datetime.now(UTC) - uploaded > datetime.timedelta(days=14)
    answer = upload_file(index, sdist)
    assert (answer.status, answer.reason) == (
        400,
        "Uploading new files to releases older than 14 days is not allowed.",
    )
    assert upload_file(index, wheel).status == 200  # the same file: a duplicate, not new
    later = dists.sdist(tmp_path, "oldrel-1.0.1.tar.gz", dists.metadata("oldrel", "1.0.1"))
    assert upload_file(index, later).status == 200
    index.backdate("oldrel", "1.0.0", -2)  # 13 days old: still open
    assert upload_file(index, sdist).status == 200


def test_new_projects_beyond_the_rate_limit_are_refused(tmp_path: Path) -> None:
    with LocalIndex(tmp_path / "packages", server_python=Path(sys.executable)) as index:
        for number in range(4):  # pypi.org: 4 new projects per user per 24 hours
            name = f"new{number}"
            wheel = dists.wheel(tmp_path, f"{name}-1.0.0-{PURE}", dists.metadata(name))
            answer = upload_file(index, wheel)
            assert answer.status == 200, answer
        # as warehouse/rate_limiting/headers.py writes them, counted before this creation
        assert re.fullmatch(r'"project\.create\.user";r=1;t=\d+', answer.headers["RateLimit"])
        answer = upload_file(
            index, dists.wheel(tmp_path, f"new4-1.0.0-{PURE}", dists.metadata("new4"))
        )
        assert (answer.status, answer.reason) == (429, "Too many new projects created")
        assert answer.headers["RateLimit-Policy"] == '"project.create.user";q=4;w=86400;pk=:user:'
        assert '"project.create.user";r=0;' in answer.headers["RateLimit"]
        # an existing project takes new files
        known = dists.sdist(tmp_path, "new0-1.0.0.tar.gz", dists.metadata("new0"))
        assert upload_file(index, known).status == 200


def test_a_rehearsal_stand_in_counts_no_new_projects(tmp_path: Path) -> None:
    """Every project is new to a rehearsal's index, though pypi.org knows most of them."""
    packages = tmp_path / "packages"
    with LocalIndex(packages, server_python=Path(sys.executable), rate_limit=False) as index:
        for number in range(5):
            name = f"many{number}"
            wheel = dists.wheel(tmp_path, f"{name}-1.0.0-{PURE}", dists.metadata(name))
            answer = upload_file(index, wheel)
            assert answer.status == 200, answer
            assert "RateLimit" not in answer.headers


# --- the simple API -------------------------------------------------------------------------


def test_the_json_api_serves_upload_times_sizes_and_status(
    index: LocalIndex, tmp_path: Path
) -> None:
    meta = dists.metadata("jsonapi", extra="Requires-Python: >=3.9\n")
    wheel = dists.wheel(tmp_path, f"jsonapi-1.0.0-{PURE}", meta)
    started = datetime.datetime.now(UTC)
    assert upload_file(index, wheel).status == 200
    for url, accept in [
        (f"{index.url}jsonapi/", "application/vnd.pypi.simple.v1+json"),
        (f"{index.url}jsonapi/?format=application/vnd.pypi.simple.v1+json", None),
        (f"{index.url}jsonapi/", "application/vnd.pypi.simple.v1+json, text/html;q=0.1"),
    ]:
        status, content_type, body = read(url, accept)
        assert (status, content_type) == (200, "application/vnd.pypi.simple.v1+json")
        data = json.loads(body)
        assert data["meta"]["api-version"] == "1.4"
        assert data["name"] == "jsonapi"
        assert data["project-status"] == {"status": "active"}
        assert data["versions"] == ["1.0.0"]
        (entry,) = data["files"]
        assert entry["size"] == wheel.stat().st_size
        assert entry["requires-python"] == ">=3.9"
        assert entry["upload-time"].endswith("Z")
    page = project_page(index.url, "jsonapi")
    uploaded = page.files[wheel.name].upload_time
    assert uploaded is not None
    assert started - datetime.timedelta(seconds=1) <= uploaded <= datetime.datetime.now(UTC)
    assert page.status == "active"
    # HTML stays pypiserver's, with PyPI's metas
    _, content_type, html = read(f"{index.url}jsonapi/", "text/html")
    assert content_type.startswith("text/html")
    assert b'<meta name="pypi:repository-version" content="1.4">' in html
    assert b'<meta name="pypi:project-status" content="active">' in html
    # the index page, and a name that is not normalized (PEP 503: a redirect, format kept)
    _, _, root = read(index.url, "application/vnd.pypi.simple.v1+json")
    assert {"name": "jsonapi", "_last-serial": json.loads(root)["meta"]["_last-serial"]} in (
        json.loads(root)["projects"]
    )
    _, content_type, _ = read(f"{index.url}JsonAPI/?format=application/vnd.pypi.simple.v1+json")
    assert content_type == "application/vnd.pypi.simple.v1+json"


def test_requires_python_of_a_file_the_index_met_before_its_rules_loaded(
    tmp_path: Path,
) -> None:
    """The server reads core metadata with PyPI's rules (rules.read_metadata), which it loads
    after it answers: a file on disk at the start, or described by releasekit's process (a
    backdate), has its Requires-Python served once they are."""
    packages = tmp_path / "packages"
    meta = dists.metadata("early", extra="Requires-Python: >=3.10\n")
    wheel = dists.wheel(packages, f"early-1.0.0-{PURE}", meta)
    with LocalIndex(packages, server_python=Path(sys.executable)) as index:
        # an upload waits for the rules
        late = dists.wheel(tmp_path, f"late-1.0.0-{PURE}", dists.metadata("late"))
        assert upload_file(index, late).status == 200
        _, _, body = read(f"{index.url}early/", "application/vnd.pypi.simple.v1+json")
    ((entry,),) = [json.loads(body)["files"]]
    assert (entry["filename"], entry["requires-python"]) == (wheel.name, ">=3.10")


def test_a_file_put_on_disk_is_uploaded_at_its_mtime(index: LocalIndex, tmp_path: Path) -> None:
    meta = dists.metadata("ondisk")
    wheel = dists.wheel(index.packages_dir, f"ondisk-1.0.0-{PURE}", meta)
    then = time.time() - 30 * 86400
    os.utime(wheel, (then, then))
    page = project_page(index.url, "ondisk")
    uploaded = page.files[wheel.name].upload_time
    assert uploaded is not None
    assert abs(uploaded.timestamp() - then) < 1
    # and it is a release older than 14 days to the index
    assert upload_file(index, dists.sdist(tmp_path, "ondisk-1.0.0.tar.gz", meta)).status == 400


def test_an_unknown_project_is_404(index: LocalIndex) -> None:
    assert project_page(index.url, "never-uploaded").files == {}
    with pytest.raises(urllib.error.HTTPError) as caught:
        read(f"{index.url}never-uploaded/", "application/vnd.pypi.simple.v1+json")
    assert caught.value.code == 404


def test_set_status_names_the_statuses(tmp_path: Path) -> None:
    index = LocalIndex(tmp_path / "packages")
    with pytest.raises(ValueError, match="unknown project status 'gone'"):
        index.set_status("demo", "gone")

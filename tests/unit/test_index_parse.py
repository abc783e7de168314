"""The simple-API reader on recorded pages: what an index says is served, and what is garbage.

No network: every page is a literal text, as PyPI, pypiserver or a captive portal serve it.
"""

from __future__ import annotations

import datetime
import json

import pytest

from releasekit.errors import PublishError
from releasekit.targets.pypi.simple import (
    IndexGarbage,
    IndexUnavailable,
    ProjectPage,
    RemoteFile,
    normalize_name,
    parse_page,
    project_page,
)

PAGE = "https://files.example.org/simple/demo/"
SHA_A = "a" * 64
SHA_B = "b" * 64
PYPI_JSON = "application/vnd.pypi.simple.v1+json"
UTC = datetime.timezone.utc


def json_page(**fields: object) -> bytes:
    page: dict[str, object] = {"meta": {"api-version": "1.4"}, "name": "demo", "files": []}
    page.update(fields)
    return json.dumps(page).encode()


def garbage(body: bytes, content_type: str | None, project: str = "demo") -> IndexGarbage:
    with pytest.raises(IndexGarbage) as info:
        parse_page(body, content_type, PAGE, project)
    assert "\n" not in info.value.message
    assert PAGE in info.value.message
    assert "simple API" in info.value.hint
    return info.value


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("demo", "demo"),
        ("Demo", "demo"),
        ("my_pkg", "my-pkg"),
        ("My.Pkg", "my-pkg"),
        ("a-_.b", "a-b"),
        ("zope.interface", "zope-interface"),
        ("A__B--C", "a-b-c"),
    ],
)
def test_normalize_name_follows_pep_503(name: str, expected: str) -> None:
    assert normalize_name(name) == expected


# -- PEP 691 JSON, with PEP 700 upload times and PEP 792 project status ------------------------

# The shape PyPI serves for /simple/<project>/ with Accept: application/vnd.pypi.simple.v1+json
PYPI_PAGE = {
    "alternate-locations": [],
    "files": [
        {
            "core-metadata": {"sha256": SHA_B},
            "data-dist-info-metadata": {"sha256": SHA_B},
            "filename": "demo-1.0.0-py3-none-any.whl",
            "hashes": {"sha256": SHA_A.upper()},
            "provenance": (
                "https://pypi.org/integrity/demo/1.0.0/demo-1.0.0-py3-none-any.whl/provenance"
            ),
            "requires-python": ">=3.9",
            "size": 1234,
            "upload-time": "2026-07-01T12:34:56.789012Z",
            "url": "https://files.pythonhosted.org/packages/aa/bb/demo-1.0.0-py3-none-any.whl",
            "yanked": False,
        },
        {
            "core-metadata": False,
            "data-dist-info-metadata": False,
            "filename": "demo-0.9.tar.gz",
            "hashes": {"sha256": SHA_B, "blake2b_256": "ff"},
            "provenance": None,
            "requires-python": None,
            "size": 99,
            "upload-time": "2025-01-02T03:04:05.000000Z",
            "url": "https://files.pythonhosted.org/packages/cc/dd/demo-0.9.tar.gz",
            "yanked": "broken metadata",
        },
    ],
    "meta": {"_last-serial": 123456, "api-version": "1.4"},
    "name": "demo",
    "project-status": {"status": "archived", "reason": "moved to demo2"},
    "versions": ["0.9", "1.0.0"],
}


def test_json_page_as_pypi_serves_it() -> None:
    page = parse_page(json.dumps(PYPI_PAGE).encode(), PYPI_JSON, PAGE, "Demo")
    assert page.status == "archived" and page.status_reason == "moved to demo2"
    assert page.url == PAGE
    wheel, sdist = page.files["demo-1.0.0-py3-none-any.whl"], page.files["demo-0.9.tar.gz"]
    assert wheel.url == "https://files.pythonhosted.org/packages/aa/bb/demo-1.0.0-py3-none-any.whl"
    assert wheel.sha256 == SHA_A  # lower-cased
    assert wheel.upload_time == datetime.datetime(2026, 7, 1, 12, 34, 56, 789012, tzinfo=UTC)
    assert wheel.yanked is False
    assert sdist.sha256 == SHA_B
    assert sdist.upload_time == datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert sdist.yanked == "broken metadata"
    assert set(page.files) == {"demo-1.0.0-py3-none-any.whl", "demo-0.9.tar.gz"}


def test_json_relative_url_fragment_and_missing_sha256() -> None:
    files = [
        {"filename": "demo-1.0.tar.gz", "url": "../../f/demo-1.0.tar.gz#x", "hashes": {}},
        {"filename": "demo-1.1.tar.gz", "url": "demo-1.1.tar.gz", "hashes": {"md5": "01"}},
    ]
    page = parse_page(json_page(files=files), PYPI_JSON, PAGE, "demo")
    assert page.files == {
        "demo-1.0.tar.gz": RemoteFile(
            "demo-1.0.tar.gz", "https://files.example.org/f/demo-1.0.tar.gz", None
        ),
        "demo-1.1.tar.gz": RemoteFile(
            "demo-1.1.tar.gz", "https://files.example.org/simple/demo/demo-1.1.tar.gz", None
        ),
    }
    assert page.status is None and page.status_reason is None  # not served: PEP 792 "active"
    assert page.files["demo-1.0.tar.gz"].upload_time is None


def test_json_quarantined_project_has_no_files() -> None:
    status = {"status": "quarantined", "reason": "the project is haunted"}
    page = parse_page(json_page(**{"project-status": status}), PYPI_JSON, PAGE, "demo")
    assert page == ProjectPage(
        files={}, status="quarantined", status_reason="the project is haunted", url=PAGE
    )


def test_json_status_newer_than_pep_792_is_passed_on() -> None:
    """A status a later PEP adds must not make the page unreadable."""
    page = parse_page(json_page(**{"project-status": {"status": "frozen"}}), PYPI_JSON, PAGE, "x")
    assert page.status == "frozen" and page.status_reason is None


def test_json_with_plain_json_content_type_and_charset() -> None:
    body = json_page(files=[{"filename": "demo-1.0.tar.gz", "url": "/d.tgz", "hashes": {}}])
    page = parse_page(body, "application/json; charset=utf-8", PAGE, "demo")
    assert page.files["demo-1.0.tar.gz"].url == "https://files.example.org/d.tgz"


def test_redirected_page_may_name_the_project_of_its_url() -> None:
    """An index may redirect an old name to the new one; the page then names the new one."""
    page = parse_page(json_page(name="demo2"), PYPI_JSON, "https://x.org/simple/demo2/", "old")
    assert page.files == {}


def test_remote_file_equality_is_name_url_and_sha256() -> None:
    when = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    annotated = RemoteFile("a.tar.gz", "https://x/a.tar.gz", SHA_A, upload_time=when, yanked=True)
    assert annotated == RemoteFile("a.tar.gz", "https://x/a.tar.gz", SHA_A)
    assert annotated != RemoteFile("a.tar.gz", "https://x/a.tar.gz", SHA_B)


# -- PEP 503 HTML ------------------------------------------------------------------------------

PYPISERVER_PAGE = (  # pypiserver 2.4.2, GET /simple/demo/, as captured
    '<!DOCTYPE html>\n<html lang="en">\n    <head>\n        <meta charset="utf-8">\n'
    '        <meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "        <title>Links for demo</title>\n    </head>\n    <body>\n"
    "        <h1>Links for demo</h1>\n"
    f'            <a href="/packages/demo-1.0.0-py3-none-any.whl#sha256={SHA_A}">'
    "demo-1.0.0-py3-none-any.whl</a><br>\n"
    f'            <a href="/packages/demo-1.0.0.tar.gz#sha256={SHA_B}">'
    "demo-1.0.0.tar.gz</a><br>\n    </body>\n</html>\n    "
).encode()


def test_html_pypiserver_page() -> None:
    page = parse_page(
        PYPISERVER_PAGE, "text/html; charset=UTF-8", "http://127.0.0.1:8080/simple/demo/", "demo"
    )
    assert page.files == {
        "demo-1.0.0-py3-none-any.whl": RemoteFile(
            "demo-1.0.0-py3-none-any.whl",
            "http://127.0.0.1:8080/packages/demo-1.0.0-py3-none-any.whl",
            SHA_A,
        ),
        "demo-1.0.0.tar.gz": RemoteFile(
            "demo-1.0.0.tar.gz", "http://127.0.0.1:8080/packages/demo-1.0.0.tar.gz", SHA_B
        ),
    }
    assert all(f.yanked is False and f.upload_time is None for f in page.files.values())
    assert page.status is None  # pypiserver serves no PEP 792 marker


def test_html_pypi_page_with_yanked_files_and_project_status() -> None:
    html = f"""<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.4">
    <meta name="pypi:project-status" content="deprecated">
    <meta name="pypi:project-status-reason" content="use demo2">
    <title>Links for demo</title>
  </head>
  <body>
    <h1>Links for demo</h1>
    <a href="https://files.pythonhosted.org/packages/aa/demo-1.0.0-py3-none-any.whl#sha256={SHA_A}"
       data-requires-python="&gt;=3.9" data-dist-info-metadata="sha256={SHA_B}"
       data-core-metadata="sha256={SHA_B}">demo-1.0.0-py3-none-any.whl</a><br />
    <a href="../../packages/demo-0.9.tar.gz#sha256={SHA_B.upper()}"
       data-yanked="">demo-0.9.tar.gz</a><br />
    <a href="https://cdn.example.net/x/demo-0.8.tar.gz#md5=0123"
       data-yanked="bad &amp; wrong">demo-0.8.tar.gz</a><br />
  </body>
</html>"""
    page = parse_page(html.encode(), "text/html", PAGE, "demo")
    assert page.status == "deprecated" and page.status_reason == "use demo2"
    wheel = page.files["demo-1.0.0-py3-none-any.whl"]
    assert wheel.sha256 == SHA_A and wheel.yanked is False
    assert wheel.url == "https://files.pythonhosted.org/packages/aa/demo-1.0.0-py3-none-any.whl"
    old = page.files["demo-0.9.tar.gz"]
    assert old.url == "https://files.example.org/packages/demo-0.9.tar.gz"
    assert old.sha256 == SHA_B and old.yanked is True  # yanked without a reason
    older = page.files["demo-0.8.tar.gz"]
    assert older.sha256 is None and older.yanked == "bad & wrong"


def test_html_base_href_entities_and_empty_text() -> None:
    html = f"""<html><head><base href="https://mirror.example.com/files/"></head><body>
      <a href="demo-1.0%2Blocal.tar.gz#sha256={SHA_A}"></a>
      <a href="demo-2.0.tar.gz?x=1&amp;y=2#sha256={SHA_B}">demo-2.0.tar.gz</a>
      <a name="anchor-without-href">ignored</a>
    </body></html>"""
    files = parse_page(html.encode(), "text/html", PAGE, "demo").files
    assert set(files) == {"demo-1.0+local.tar.gz", "demo-2.0.tar.gz"}
    assert files["demo-1.0+local.tar.gz"].url == (
        "https://mirror.example.com/files/demo-1.0%2Blocal.tar.gz"
    )
    assert (
        files["demo-2.0.tar.gz"].url == "https://mirror.example.com/files/demo-2.0.tar.gz?x=1&y=2"
    )
    assert files["demo-2.0.tar.gz"].sha256 == SHA_B


def test_html_project_page_without_files_is_empty() -> None:
    html = b"<html><head><title>Links for demo</title></head><body><h1>Links for demo</h1>"
    assert parse_page(html, "text/html", PAGE, "demo") == ProjectPage(files={}, url=PAGE)


def test_html_without_content_type_is_sniffed() -> None:
    assert set(parse_page(PYPISERVER_PAGE, None, PAGE, "demo").files) == {
        "demo-1.0.0-py3-none-any.whl",
        "demo-1.0.0.tar.gz",
    }


def test_html_unknown_charset_is_guessed() -> None:
    page = parse_page(PYPISERVER_PAGE, "text/html; charset=x-nonsense", PAGE, "demo")
    assert len(page.files) == 2


# -- garbage fails at once, with one line that says what came back ----------------------------


def test_random_bytes_as_text_plain() -> None:
    error = garbage(b"\x8f\x00\xffnot a page at all, just 37 bytes\r\n", "text/plain")
    assert error.message == (
        f"{PAGE} answered 200 with something that is not a simple-API page "
        "(content-type text/plain, 37 bytes)"
    )


@pytest.mark.parametrize("content_type", ["application/octet-stream", None, "garbage"])
def test_binary_answer(content_type: str | None) -> None:
    error = garbage(bytes(range(256)) * 4, content_type)
    assert "1024 bytes" in error.message


def test_random_bytes_labelled_html() -> None:
    error = garbage(bytes(range(1, 256)), "text/html")
    assert "content-type text/html, 255 bytes" in error.message
    assert "no distribution links" in error.message


def test_captive_portal_login_page() -> None:
    html = b"""<!DOCTYPE html><html><head><title>Hotel WiFi &ndash; Sign in</title></head>
    <body><form method="post" action="/login"><input name="room"><button>Go</button></form>
    <a href="/terms">Terms of use</a> <a href="https://hotel.example/">Home</a></body></html>"""
    error = garbage(html, "text/html; charset=utf-8")
    assert "title 'Hotel WiFi \u2013 Sign in'" in error.message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"meta": {"api-version": "1.0"}, "name": "demo"}', "an object without a 'files' list"),
        (b"[]", "a JSON list without a 'files' list"),
        (b'"files"', "a JSON str without a 'files' list"),
        (b"{not json", "that is not JSON"),
        (b"\xff\xfe\x00garbage", "that is not JSON"),
        (
            b'{"meta": {"api-version": "1.0"}, "name": "demo", "files": [{"filename": "x"}]}',
            "files.0.url: Field required",
        ),
        (b'{"name": "demo", "files": []}', "meta: Field required"),
        (
            b'{"meta": {"api-version": "1.0"}, "name": "demo", "files": [], '
            b'"project-status": "archived"}',
            "'project-status' is str, not an object",
        ),
    ],
)
def test_json_that_is_not_a_project_page(body: bytes, expected: str) -> None:
    error = garbage(body, PYPI_JSON)
    assert f"(content-type {PYPI_JSON}, " in error.message or "project-status" in expected
    assert expected in error.message


def test_json_page_of_another_project() -> None:
    error = garbage(json_page(name="other"), PYPI_JSON)
    assert error.message == f"{PAGE} answered 200 with the page of project 'other', not 'demo'"


def test_html_page_of_another_project() -> None:
    html = PYPISERVER_PAGE.replace(b"Links for demo", b"Links for other")
    error = garbage(html, "text/html")
    assert "the page of project 'other', not 'demo'" in error.message


def test_future_major_api_version_is_refused() -> None:
    error = garbage(json_page(meta={"api-version": "2.0"}), PYPI_JSON)
    assert "2.0" in error.message


def test_garbage_is_a_publish_error_and_not_transient() -> None:
    assert issubclass(IndexGarbage, PublishError)
    assert issubclass(IndexUnavailable, PublishError)
    assert not issubclass(IndexGarbage, IndexUnavailable)


# -- what is refused before any request --------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://pypi.example.org/simple/", "ftp://127.0.0.1/simple/", "file:///srv/simple/"]
)
def test_plain_http_beyond_loopback_is_refused_without_a_request(url: str) -> None:
    with pytest.raises(PublishError) as info:
        project_page(url, "demo")
    assert not isinstance(info.value, (IndexUnavailable, IndexGarbage))
    assert "refusing" in info.value.message and "https://" in info.value.hint


def test_malformed_url_is_a_permanent_error() -> None:
    with pytest.raises(PublishError) as info:
        project_page("http://127.0.0.1:abc/simple/", "demo")
    assert not isinstance(info.value, IndexUnavailable)
    assert "nonnumeric port" in info.value.message and "url" in info.value.hint

"""The simple-API parsers on literal pages: what an index says is served, and its sha256."""

from __future__ import annotations

import json

import pytest

from releasekit.index import RemoteFile, normalize_name, parse_html, parse_json

PAGE = "https://files.example.org/simple/demo/"
SHA_A = "a" * 64
SHA_B = "b" * 64


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


def test_html_relative_and_absolute_links_with_sha256_fragments() -> None:
    html = f"""<!DOCTYPE html>
    <html><head><title>Links for demo</title></head><body>
      <h1>Links for demo</h1>
      <a href="/packages/demo-1.0.0-py3-none-any.whl#sha256={SHA_A}"
         data-requires-python="&gt;=3.9" data-dist-info-metadata="sha256={SHA_B}"
         >demo-1.0.0-py3-none-any.whl</a><br>
      <a href="../../packages/demo-1.0.0.tar.gz#sha256={SHA_B.upper()}">demo-1.0.0.tar.gz</a><br>
      <a href="https://cdn.example.net/x/demo-0.9.tar.gz#md5=0123">demo-0.9.tar.gz</a>
      <a href="demo-0.8.tar.gz">demo-0.8.tar.gz</a>
    </body></html>"""
    files = parse_html(html, PAGE)
    assert files == {
        "demo-1.0.0-py3-none-any.whl": RemoteFile(
            "demo-1.0.0-py3-none-any.whl",
            "https://files.example.org/packages/demo-1.0.0-py3-none-any.whl",
            SHA_A,
        ),
        "demo-1.0.0.tar.gz": RemoteFile(
            "demo-1.0.0.tar.gz", "https://files.example.org/packages/demo-1.0.0.tar.gz", SHA_B
        ),
        "demo-0.9.tar.gz": RemoteFile(
            "demo-0.9.tar.gz", "https://cdn.example.net/x/demo-0.9.tar.gz", None
        ),
        "demo-0.8.tar.gz": RemoteFile(
            "demo-0.8.tar.gz", "https://files.example.org/simple/demo/demo-0.8.tar.gz", None
        ),
    }


def test_html_pypiserver_page() -> None:
    """The page pypiserver 2.4 serves, as captured."""
    html = f"""<!DOCTYPE html>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Links for demo</title>
    </head>
    <body>
        <h1>Links for demo</h1>
            <a href="/packages/demo-1.0.0-py2.py3-none-any.whl#sha256={SHA_A}">demo-1.0.0-py2.py3-none-any.whl</a><br>
    </body>
</html>"""  # noqa: E501
    files = parse_html(html, "http://127.0.0.1:8080/simple/demo/")
    (only,) = files.values()
    assert only.url == "http://127.0.0.1:8080/packages/demo-1.0.0-py2.py3-none-any.whl"
    assert only.sha256 == SHA_A


def test_html_base_href_and_entities_and_empty_text() -> None:
    html = f"""<html><head><base href="https://mirror.example.com/files/"></head><body>
      <a href="demo-1.0%2Blocal.tar.gz#sha256={SHA_A}"></a>
      <a href="demo-2.0.tar.gz?x=1&amp;y=2#sha256={SHA_B}">demo-2.0.tar.gz</a>
      <a name="anchor-without-href">ignored</a>
    </body></html>"""
    files = parse_html(html, PAGE)
    assert set(files) == {"demo-1.0+local.tar.gz", "demo-2.0.tar.gz"}
    assert files["demo-1.0+local.tar.gz"].url == (
        "https://mirror.example.com/files/demo-1.0%2Blocal.tar.gz"
    )
    assert (
        files["demo-2.0.tar.gz"].url == "https://mirror.example.com/files/demo-2.0.tar.gz?x=1&y=2"
    )
    assert files["demo-2.0.tar.gz"].sha256 == SHA_B


def test_html_without_links_is_empty() -> None:
    assert parse_html("<html><body><h1>Links for demo</h1></body></html>", PAGE) == {}


def test_json_pep_691_page() -> None:
    page = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "versions": ["1.0.0"],
        "files": [
            {
                "filename": "demo-1.0.0-py3-none-any.whl",
                "url": "https://files.example.org/packages/aa/demo-1.0.0-py3-none-any.whl",
                "hashes": {"sha256": SHA_A.upper(), "blake2b_256": "ff"},
                "requires-python": ">=3.9",
                "core-metadata": {"sha256": SHA_B},
                "yanked": False,
            },
            {
                "filename": "demo-1.0.0.tar.gz",
                "url": "../../packages/demo-1.0.0.tar.gz#sha256=ignored",
                "hashes": {"md5": "0123"},
            },
            {"filename": "broken-entry"},
            "not even a dict",
        ],
    }
    files = parse_json(json.dumps(page), PAGE)
    assert files == {
        "demo-1.0.0-py3-none-any.whl": RemoteFile(
            "demo-1.0.0-py3-none-any.whl",
            "https://files.example.org/packages/aa/demo-1.0.0-py3-none-any.whl",
            SHA_A,
        ),
        "demo-1.0.0.tar.gz": RemoteFile(
            "demo-1.0.0.tar.gz", "https://files.example.org/packages/demo-1.0.0.tar.gz", None
        ),
    }


@pytest.mark.parametrize("text", ["[]", '{"meta": {}}', "not json"])
def test_json_that_is_not_a_project_page_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_json(text, PAGE)

"""The URL rules of releasekit.core.urls: which hosts are loopback, what is redacted, what is
refused. Every reader, the configuration and the GitHub target rely on these answers."""

from __future__ import annotations

import pytest

from releasekit.core import config, urls


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert urls.is_loopback(host)


@pytest.mark.parametrize(
    "host", ["", "example.com", "10.0.0.1", "0.0.0.0", "::", "localhost.example.com", "LOCAL"]
)
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not urls.is_loopback(host)


def test_config_still_offers_is_loopback() -> None:
    assert config.is_loopback is urls.is_loopback


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://x-access-token:SECRET@github.com/o/r", "https://***@github.com/o/r"),
        ("https://SECRET@github.com/o/r", "https://***@github.com/o/r"),  # a bare token
        ("http://me:S3CRET@127.0.0.1:8080/simple/", "http://***@127.0.0.1:8080/simple/"),
        ("https://me:S3@CRET@upload.example/legacy/", "https://***@upload.example/legacy/"),
        ("me:S3CRET@pypi.example/simple/", "***@pypi.example/simple/"),  # no scheme
        ("//me:S3CRET@pypi.example/", "//***@pypi.example/"),
        (  # a message that starts with a URL: the rest is kept
            "https://u:p@pypi.example/simple/ failed: HTTP 500",
            "https://***@pypi.example/simple/ failed: HTTP 500",
        ),
        # not secrets: an ssh user without a password, an "@" after the authority
        ("ssh://git@github.com/o/r", "ssh://git@github.com/o/r"),
        ("git@github.com:o/r", "git@github.com:o/r"),
        ("https://pypi.example/simple/@scope/", "https://pypi.example/simple/@scope/"),
        ("https://pypi.example/?next=a@b", "https://pypi.example/?next=a@b"),
        ("https://pypi.example/#a@b", "https://pypi.example/#a@b"),
        ("https://pypi.example/simple/", "https://pypi.example/simple/"),
        ("", ""),
    ],
)
def test_redact_url(text: str, shown: str) -> None:
    assert urls.redact_url(text) == shown


def test_an_ssh_user_with_a_password_is_redacted() -> None:
    assert urls.redact_url("ssh://git:S3CRET@host/o/r") == "ssh://***@host/o/r"


@pytest.mark.parametrize(
    "url",
    [
        "https://pypi.org/simple/",
        "https://pypi.org:8443/simple/",
        "http://127.0.0.1:8080/simple/",
        "http://localhost/",
        "http://[::1]:4873/",
        "https://pypi.example/simple/@scope/",
    ],
)
def test_safe_urls(url: str) -> None:
    assert urls.unsafe_reason(url) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://pypi.example.org/simple/", urls.PLAIN_HTTP),
        ("http://10.0.0.1/simple/", urls.PLAIN_HTTP),
        ("ftp://127.0.0.1/simple/", urls.NOT_HTTP),
        ("file:///srv/simple/", urls.NOT_HTTP),
        ("https:///simple/", urls.NOT_HTTP),  # no host
        ("pypi.org/simple/", urls.NOT_HTTP),  # no scheme
        ("", urls.NOT_HTTP),
        ("https://u:S3CRET@pypi.example/simple/", urls.HAS_CREDENTIALS),
        ("https://token@pypi.example/simple/", urls.HAS_CREDENTIALS),
        # credentials are named before the http:// rule would show the URL
        ("http://u:S3CRET@pypi.example/simple/", urls.HAS_CREDENTIALS),
        ("http://127.0.0.1:abc/simple/", urls.NOT_VALID),
        ("https://u:S3CRET@host:port/", urls.NOT_VALID),
        ("http://[::1/", urls.NOT_VALID),
    ],
)
def test_unsafe_urls_and_why(url: str, reason: str) -> None:
    assert urls.unsafe_reason(url) == reason


def test_the_reasons_read_as_phrases_after_a_url() -> None:
    assert urls.PLAIN_HTTP == "is plain http on a non-loopback host"
    assert urls.HAS_CREDENTIALS == "has credentials in it"
    assert urls.NOT_HTTP == "is not an http(s) URL"
    assert urls.NOT_VALID == "is not a valid URL"


def test_invalid_because_gives_urllibs_words() -> None:
    because = urls.invalid_because("http://127.0.0.1:abc/simple/")
    assert because is not None and "abc" in because
    assert urls.invalid_because("https://u:S3CRET@host:port/") is not None
    assert urls.invalid_because("https://pypi.org/simple/") is None


@pytest.mark.parametrize(
    ("url", "anonymous"),
    [
        ("http://__token__:s3cret@127.0.0.1:80/simple/", "http://127.0.0.1:80/simple/"),
        ("https://a:b@c@pypi.example/x/", "https://pypi.example/x/"),
        ("https://pypi.example/simple/@scope/", "https://pypi.example/simple/@scope/"),
        ("https://pypi.example/", "https://pypi.example/"),
    ],
)
def test_without_userinfo_is_the_url_to_request(url: str, anonymous: str) -> None:
    assert urls.without_userinfo(url) == anonymous

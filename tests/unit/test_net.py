"""releasekit.runtime.net: the one opener (safe URLs and redirects, no proxy for loopback) against a
loopback http.server, and poll()'s backoff with a fake clock."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from releasekit.errors import PublishError
from releasekit.runtime import net
from tests.helpers.http import Handler, serve


class _Handler(Handler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        _Handler.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.path == "/elsewhere":
            self.redirect("http://example.invalid/simple/x/")
        elif self.path == "/here":
            self.redirect("/ok")
        elif self.path == "/ok":
            self.reply(b"ok")
        elif self.path == "/json":
            self.reply(b'{"value": 1}', "application/json")
        elif self.path == "/refused":
            body = b'{"message": "No trusted publisher\\n for x"}'
            self.send_response(403)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.seen.clear()
    with serve(_Handler) as url:
        yield url


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hosts http.client connects to, recorded before it does."""
    hosts: list[str] = []
    real = socket.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        hosts.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return hosts


# -- open_url ----------------------------------------------------------------------------------


def test_open_url_says_who_asks_and_follows_a_redirect_on_the_same_host(server: str) -> None:
    with net.open_url(f"{server}/here", 5.0) as response:
        assert response.read() == b"ok"
        assert response.geturl() == f"{server}/ok"
    assert _Handler.seen[-1]["user-agent"] == net.USER_AGENT


def test_a_redirect_to_plain_http_elsewhere_is_never_followed(
    server: str, connections: list[str]
) -> None:
    with pytest.raises(PublishError) as info:
        net.open_url(f"{server}/elsewhere", 5.0)
    assert info.value.message == (
        f"{server}/elsewhere redirected (302): refusing http URL "
        "http://example.invalid/simple/x/ on a non-loopback host"
    )
    assert "https://" in info.value.hint
    assert connections == ["127.0.0.1"]  # never a connection to example.invalid


def test_loopback_is_reached_without_the_configured_proxy(
    server: str, monkeypatch: pytest.MonkeyPatch, connections: list[str]
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://192.0.2.1:3128")  # TEST-NET: nothing answers there
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with net.open_url(f"{server}/ok", 5.0) as response:
        assert response.read() == b"ok"
    assert connections == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://pypi.example.org/simple/",
            "requesting http://pypi.example.org/simple/: refusing http URL "
            "http://pypi.example.org/simple/ on a non-loopback host",
        ),
        (
            "ftp://127.0.0.1/simple/",
            "requesting ftp://127.0.0.1/simple/: refusing ftp URL ftp://127.0.0.1/simple/",
        ),
        (
            "https://u:S3CRET@pypi.example/",
            "requesting https://***@pypi.example/: refusing URL https://***@pypi.example/, "
            "which has credentials in it",
        ),
    ],
)
def test_an_unsafe_url_is_refused_before_any_connection(
    url: str, message: str, connections: list[str]
) -> None:
    with pytest.raises(PublishError) as info:
        net.open_url(url, 5.0)
    assert info.value.message == message
    assert "S3CRET" not in str(info.value)
    assert connections == []


def test_require_safe_url_takes_the_callers_words() -> None:
    with pytest.raises(PublishError) as info:
        net.require_safe_url("http://x.example/", "reading it", hint="use https")
    assert info.value.message.startswith("reading it: refusing http URL")
    assert info.value.hint == "use https"
    net.require_safe_url("https://x.example/", "reading it")
    net.require_safe_url("http://[::1]:8080/", "reading it")
    # a URL that does not parse is left to the request, which names the cause
    net.require_safe_url("http://127.0.0.1:abc/", "reading it")


# -- poll --------------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def _expired() -> PublishError:
    return PublishError("not served in time", "wait longer")


def test_poll_backs_off_1_2_4_up_to_the_cap_and_stops_at_the_deadline() -> None:
    clock = _Clock()
    told: list[float] = []
    attempts = []

    def attempt() -> str | None:
        attempts.append(clock.now)
        return None

    with pytest.raises(PublishError, match="not served in time"):
        net.poll(
            attempt,
            timeout=100,
            expired=_expired,
            waiting=told.append,
            cap=30.0,
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.waits == [1, 2, 4, 8, 16, 30, 30, 9]  # the last one ends at the deadline
    assert told == clock.waits
    assert len(attempts) == len(clock.waits) + 1 and clock.now == 200.0


def test_poll_returns_the_first_answer() -> None:
    clock = _Clock()
    answers = iter([None, None, "", "late"])
    found = net.poll(
        lambda: next(answers), timeout=60, expired=_expired, sleep=clock.sleep, clock=clock
    )
    assert found == ""  # anything but None is an answer
    assert clock.waits == [1, 2]


def test_poll_tries_once_with_no_time_left() -> None:
    clock = _Clock()
    calls = []
    with pytest.raises(PublishError):
        net.poll(
            lambda: calls.append(1), timeout=0, expired=_expired, sleep=clock.sleep, clock=clock
        )
    assert calls == [1] and clock.waits == []


def test_an_error_in_the_attempt_stops_poll_at_once() -> None:
    clock = _Clock()

    def attempt() -> None:
        raise PublishError("other bytes served", "release a new version")

    with pytest.raises(PublishError, match="other bytes served"):
        net.poll(attempt, timeout=60, expired=_expired, sleep=clock.sleep, clock=clock)
    assert clock.waits == []


def test_poll_with_npms_schedule() -> None:
    clock = _Clock()
    with pytest.raises(PublishError):
        net.poll(
            lambda: None,
            timeout=20,
            expired=_expired,
            first=0.5,
            factor=1.5,
            cap=10.0,
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.waits == [0.5, 0.75, 1.125, 1.6875, 2.53125, 3.796875, 5.6953125, 3.9140625]


def test_poll_looks_sleep_and_clock_up_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(time, "sleep", clock.sleep)
    monkeypatch.setattr(time, "monotonic", clock)
    with pytest.raises(PublishError):
        net.poll(lambda: None, timeout=3, expired=_expired)
    assert clock.waits == [1, 2]


# -- read_json ---------------------------------------------------------------------------------


def test_read_json_states_each_failure_in_the_callers_words(server: str) -> None:
    """The one "GET, JSON, HTTP error to PublishError" every npm read uses."""
    from releasekit.errors import ConfigError

    assert net.read_json(f"{server}/json", "cannot read it", "hint") == {"value": 1}
    assert net.read_json(f"{server}/nothing", "cannot read it", "hint", absent=(404,)) is None
    with pytest.raises(PublishError) as caught:
        net.read_json(f"{server}/nothing", "cannot read it", "try curl")
    assert (caught.value.message, caught.value.hint) == ("cannot read it: HTTP 404", "try curl")
    # the server's own message, on one line
    with pytest.raises(ConfigError) as refused:
        net.read_json(f"{server}/refused", "cannot read it", "h", error=ConfigError)
    assert refused.value.message == "cannot read it: HTTP 403: No trusted publisher for x"
    with pytest.raises(PublishError) as worded:
        net.read_json(
            f"{server}/refused", "cannot read it", "h",
            refused=lambda status, said: (f"refused ({status}): {said}", "fix"),
        )  # fmt: skip
    assert (worded.value.message, worded.value.hint) == (
        "refused (403): No trusted publisher for x",
        "fix",
    )
    with pytest.raises(PublishError) as not_json:
        net.read_json(f"{server}/ok", "cannot read it", "h", retry_hint="rerun")
    assert (not_json.value.message, not_json.value.hint) == (
        "cannot read it: the answer is not JSON",
        "rerun",
    )
    with pytest.raises(PublishError) as unreachable:
        net.read_json("http://127.0.0.1:9/", "cannot read it", "h", retry_hint="rerun")
    assert unreachable.value.message.startswith("cannot read it: [Errno")
    assert unreachable.value.hint == "rerun"

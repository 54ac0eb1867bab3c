"""The one HTTP client: requests answered in memory by ``MockTransport``.

Every failure becomes a ProviderError naming the method and the URL; the
Retry-After reader understands both forms of the header. One test keeps a
real loopback server, for the default urllib transport itself.
"""

from __future__ import annotations

import http.client
import pickle
import threading
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wattprint import net
from wattprint.errors import ProviderError
from wattprint.net import (
    HTTPStatusError,
    MockTransport,
    Request,
    Response,
    Transport,
    UrllibTransport,
    get_json,
    request,
    retry_after_s,
)

URL = "http://api.example.org/v1/thing?x=1"


class Recorder:
    """A handler for MockTransport that answers one response and keeps each request."""

    def __init__(self, answer: Response | BaseException) -> None:
        self.answer = answer
        self.seen: list[Request] = []

    def __call__(self, sent: Request) -> Response:
        self.seen.append(sent)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def test_both_transports_follow_the_protocol() -> None:
    mock = MockTransport(Recorder(Response(204)))
    assert isinstance(UrllibTransport(), Transport)
    assert isinstance(mock, Transport)
    mock.close()
    assert mock.closed


def test_the_request_reaches_the_transport_whole() -> None:
    seen = Recorder(Response(201, b"made", {"location": "/v1/thing/7"}))
    answer = request(
        URL,
        method="POST",
        headers={"Authorization": "Bearer t"},
        body=b'{"a": 1}',
        timeout_s=1.5,
        use_proxy=False,
        transport=MockTransport(seen),
    )
    assert (answer.status, answer.text(), answer.headers["location"]) == (
        201,
        "made",
        "/v1/thing/7",
    )
    (sent,) = seen.seen
    assert (sent.method, sent.url, sent.body, sent.timeout_s, sent.use_proxy) == (
        "POST",
        URL,
        b'{"a": 1}',
        1.5,
        False,
    )
    assert sent.headers == {"User-Agent": "wattprint", "Authorization": "Bearer t"}


def test_a_caller_header_replaces_the_user_agent() -> None:
    seen = Recorder(Response(200))
    request(URL, headers={"User-Agent": "mine"}, transport=MockTransport(seen))
    assert seen.seen[0].headers["User-Agent"] == "mine"


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (404, b"no such thing", "GET http://api.example.org/v1/thing?x=1: HTTP 404 no such thing"),
        (500, b"", "GET http://api.example.org/v1/thing?x=1: HTTP 500"),
        (302, b"", "GET http://api.example.org/v1/thing?x=1: HTTP 302"),
        (429, b"x" * 500, "GET http://api.example.org/v1/thing?x=1: HTTP 429 " + "x" * 200),
    ],
)
def test_a_status_other_than_2xx_is_an_error_naming_the_url(
    status: int, body: bytes, words: str
) -> None:
    answer = Response(status, body, {"retry-after": "7"})
    with pytest.raises(HTTPStatusError) as info:
        request(URL, transport=MockTransport(Recorder(answer)))
    err = info.value
    assert isinstance(err, ProviderError)
    assert str(err) == words
    assert (err.method, err.url, err.status, err.headers) == (
        "GET",
        URL,
        status,
        {"retry-after": "7"},
    )
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), str(copy), copy.status, copy.headers) == (
        HTTPStatusError,
        words,
        status,
        {"retry-after": "7"},
    )


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (TimeoutError("timed out"), "PUT http://api.example.org/v1/thing?x=1: timed out"),
        (ConnectionRefusedError(111, "Connection refused"), "Connection refused"),
        (OSError(101, "Network is unreachable"), "Network is unreachable"),
        (http.client.BadStatusLine("SSH-2.0"), "BadStatusLine"),
        (http.client.RemoteDisconnected("closed"), "closed"),
        (ValueError("unknown url type: 'ftp'"), "unknown url type"),
        (ProviderError("already said"), "already said"),
    ],
)
def test_a_failed_request_is_a_provider_error_naming_the_url(
    failure: BaseException, words: str
) -> None:
    with pytest.raises(ProviderError) as info:
        request(URL, method="PUT", body=b"", transport=MockTransport(Recorder(failure)))
    assert words in str(info.value)
    if type(failure) is not ProviderError:
        assert "PUT http://api.example.org/v1/thing?x=1: " in str(info.value)
        assert info.value.__cause__ is failure


def test_get_json_decodes_the_body() -> None:
    seen = Recorder(Response(200, '{"zone": "FR", "value": 56.5, "note": "é"}'.encode()))
    data = get_json(URL, headers={"Accept": "application/json"}, transport=MockTransport(seen))
    assert data == {"zone": "FR", "value": 56.5, "note": "é"}
    assert seen.seen[0].method == "GET"
    assert seen.seen[0].headers["Accept"] == "application/json"


@pytest.mark.parametrize("body", [b"<html>not json</html>", b"", b"\xff\xfe{", b'{"a": '])
def test_an_answer_that_is_not_json_names_the_url_and_what_came(body: bytes) -> None:
    with pytest.raises(ProviderError) as info:
        get_json(URL, transport=MockTransport(Recorder(Response(200, body))))
    assert str(info.value).startswith(f"GET {URL}: expected JSON, got ")


def test_get_json_passes_http_errors_on() -> None:
    with pytest.raises(HTTPStatusError, match="HTTP 401 bad token"):
        get_json(URL, transport=MockTransport(Recorder(Response(401, b"bad token"))))


# -- Retry-After -------------------------------------------------------------

NOW_S = 1_714_564_800.0  # 2024-05-01 12:00:00 UTC


@pytest.mark.parametrize(
    ("value", "wait_s"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("86400", 86400.0),  # the caller bounds it
        (formatdate(NOW_S + 90, usegmt=True), 90.0),
        ("Wed, 01 May 2024 12:05:00 GMT", 300.0),
        ("Wednesday, 01-May-24 12:01:00 GMT", 60.0),  # RFC 850, obsolete but allowed
        ("Wed May  1 12:00:30 2024", 30.0),  # asctime, read as GMT
        (formatdate(NOW_S - 3600, usegmt=True), 0.0),  # past: at once, never negative
    ],
)
def test_retry_after_in_both_forms(value: str, wait_s: float) -> None:
    assert retry_after_s(value, NOW_S) == pytest.approx(wait_s)


@pytest.mark.parametrize("value", [None, "", "-5", "1.5", "soon", "٣", "Wed, 99 Foo 2024"])
def test_retry_after_that_says_nothing_usable(value: str | None) -> None:
    assert retry_after_s(value, NOW_S) is None


# -- URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.org/x", True),
        ("http://127.0.0.1:8080/", True),
        ("ftp://example.org/x", False),
        ("http://", False),
        ("http://127.0.0.1:99999/", False),
        (None, False),
    ],
)
def test_is_http_url(url: object, ok: bool) -> None:
    assert net.is_http_url(url) is ok


def test_redacted_url_drops_credentials_and_query() -> None:
    shown = net.redacted_url("https://user:secret@hooks.example.org:8443/in?token=abc")
    assert shown == "https://hooks.example.org:8443/in"


# -- the default transport, against a real loopback server ----------------------


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            status = 200 if self.path == "/ok" else 503
            body = b'{"ok": true}' if status == 200 else b"busy"
            self.send_response(status)
            self.send_header("Retry-After", "42")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_urllib_transport_returns_error_statuses_as_answers(loopback: str) -> None:
    transport = UrllibTransport()
    busy = transport.handle_request(Request("GET", f"{loopback}/busy", {}, None, 2.0))
    assert (busy.status, busy.body, busy.headers["retry-after"]) == (503, b"busy", "42")
    assert get_json(f"{loopback}/ok", transport=transport) == {"ok": True}
    with pytest.raises(HTTPStatusError) as info:
        request(f"{loopback}/busy")  # the default transport
    assert (info.value.status, info.value.headers["retry-after"]) == (503, "42")
    transport.close()


# -- the pushes to a Pushgateway ----------------------------------------------------


def test_prometheus_pushes_go_through_the_given_transport() -> None:
    pytest.importorskip("prometheus_client")
    from prometheus_client import CollectorRegistry

    from wattprint.sinks.prometheus import PrometheusSink

    seen = Recorder(Response(200))
    sink = PrometheusSink(
        pushgateway_url="http://gateway.example.org:9091",
        registry=CollectorRegistry(),
        timeout_s=1.25,
        transport=MockTransport(seen),
    )
    sink.push("run-7")
    (sent,) = seen.seen
    assert sent.method == "PUT"
    assert sent.url == "http://gateway.example.org:9091/metrics/job/wattprint/run_id/run-7"
    assert sent.timeout_s == 1.25
    seen.answer = Response(500, b"gateway down")
    with pytest.raises(HTTPStatusError, match="HTTP 500 gateway down"):
        sink.push("run-7")

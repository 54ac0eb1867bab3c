"""The one HTTP client of wattprint: small, stdlib-only, always with a timeout.

Nothing in wattprint touches the network unless the user configured
something that needs it (a live intensity provider, a server, geo-IP) or the
machine is known to be a cloud instance (its metadata service). Every call
goes through :func:`request`, which has a timeout, never follows the user's
proxy settings for link-local metadata addresses, and turns every failure
(connection, timeout, HTTP error status, undecodable body) into a
:class:`ProviderError` that says which URL failed and why.

The sending itself is done by a *transport*, modelled on httpx's: an object
with ``handle_request(request) -> Response`` and ``close()``. A transport
answers a :class:`Request` with the :class:`Response` the server gave, any
status included, and raises :class:`OSError` (timeouts included),
:class:`http.client.HTTPException` or :class:`ValueError` when no answer
came; :func:`request` turns those into errors. :class:`UrllibTransport` (the
default) sends over the network with :mod:`urllib`; :class:`MockTransport`
answers from a function, in memory, for tests. Code that makes HTTP calls
takes ``transport=None`` (the default) where it is constructed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from wattprint.errors import ProviderError

DEFAULT_TIMEOUT_S = 3.0
"""Default time allowed for one request, connection included. Units: s."""

USER_AGENT = "wattprint"


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, as a transport receives it.

    Attributes:
        method: ``GET``, ``PUT``, ``POST``...
        url: the full URL.
        headers: request headers, ``User-Agent`` included.
        body: the request body, or None.
        timeout_s: time allowed for connecting and for each read. Units: s.
        use_proxy: False for link-local metadata services, which proxies
            cannot reach.
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    use_proxy: bool = True


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP answer.

    Attributes:
        status: the HTTP status code.
        body: the raw body.
        headers: response headers, lower-case names.
    """

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """Decode the body as JSON.

        Raises:
            ProviderError: the body is not JSON.
        """
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            snippet = self.body[:80].decode("utf-8", "replace")
            raise ProviderError(f"expected JSON, got {snippet!r}") from err

    def text(self) -> str:
        """Decode the body as UTF-8 text."""
        return self.body.decode("utf-8", "replace")


class HTTPStatusError(ProviderError):
    """The server answered with a status other than 2xx.

    Attributes:
        method: the request's method.
        url: the request's URL.
        status: the HTTP status code.
        headers: the answer's headers, lower-case names (e.g. ``retry-after``).
        detail: the start of the answer's body, for people.
    """

    def __init__(
        self, method: str, url: str, status: int, headers: Mapping[str, str], detail: str = ""
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.headers = dict(headers)
        self.detail = detail
        super().__init__(method, url, status, self.headers, detail)

    def __str__(self) -> str:
        return f"{self.method} {self.url}: HTTP {self.status} {self.detail}".rstrip()


@runtime_checkable
class Transport(Protocol):
    """What sends a :class:`Request` and returns the server's :class:`Response`."""

    def handle_request(self, request: Request) -> Response:
        """Send ``request``; return the answer, whatever its status.

        Raises:
            OSError: no answer came (refused, unreachable, timed out).
            http.client.HTTPException: the answer is not HTTP.
            ProviderError: any other failure, already described.
        """
        ...

    def close(self) -> None:
        """Release what the transport holds (connections); it is not used again."""
        ...


class UrllibTransport:
    """Send requests over the network with the standard library's :mod:`urllib`."""

    def handle_request(self, request: Request) -> Response:
        """Send ``request`` and return the answer, an HTTP error status included.

        Raises:
            OSError: no answer came (refused, unreachable, timed out).
            http.client.HTTPException: the answer is not HTTP.
            ValueError: the URL cannot be sent.
        """
        import urllib.error
        import urllib.request

        req = urllib.request.Request(
            request.url, data=request.body, headers=dict(request.headers), method=request.method
        )
        handlers: list[urllib.request.BaseHandler] = []
        if not request.use_proxy:
            handlers.append(urllib.request.ProxyHandler({}))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(req, timeout=request.timeout_s) as answer:
                return Response(int(answer.status), answer.read(), _lower(answer.headers.items()))
        except urllib.error.HTTPError as err:  # an answer, with an error status
            try:
                body = err.read() if err.fp else b""
            except OSError:  # the error body itself was cut short
                body = b""
            return Response(int(err.code), body, _lower(err.headers.items() if err.headers else ()))

    def close(self) -> None:
        """Nothing to release: each request opens and closes its own connection."""


class MockTransport:
    """Answer requests in memory with ``handler``, for tests (httpx's ``MockTransport``).

    The handler gets each :class:`Request` and returns a :class:`Response`,
    or raises what a real transport would (``TimeoutError`` for a timeout,
    ``ConnectionRefusedError`` for a dead port).
    """

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        """Answer each request with ``handler(request)``."""
        self.handler = handler
        self.closed = False

    def handle_request(self, request: Request) -> Response:
        """Return ``handler(request)``."""
        return self.handler(request)

    def close(self) -> None:
        """Mark the transport closed."""
        self.closed = True


def is_http_url(url: object) -> bool:
    """Tell whether ``url`` is an ``http://`` or ``https://`` URL with a host and a valid port."""
    from urllib.parse import urlsplit

    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def redacted_url(url: str) -> str:
    """Return ``url`` fit for a log line: no credentials, no query."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}


def request(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    use_proxy: bool = True,
    transport: Transport | None = None,
) -> Response:
    """Send one HTTP request and return the answer (any 2xx status).

    Args:
        url: the full URL.
        method: ``GET``, ``PUT``, ``POST``...
        headers: extra request headers.
        body: request body, if any.
        timeout_s: time allowed for connecting and for each read. Units: s.
        use_proxy: False for link-local metadata services, which proxies
            cannot reach.
        transport: what sends it; None for :class:`UrllibTransport`.

    Raises:
        HTTPStatusError: the server answered a non-2xx status (a ProviderError).
        ProviderError: the request failed or timed out.
    """
    from http.client import HTTPException

    sent = Request(
        method=method,
        url=url,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        body=body,
        timeout_s=timeout_s,
        use_proxy=use_proxy,
    )
    try:
        answer = (transport or UrllibTransport()).handle_request(sent)
    except ProviderError:
        raise
    except HTTPException as err:  # a garbled answer (bad status line...)
        raise ProviderError(f"{method} {url}: {type(err).__name__}: {err!r}") from err
    except (OSError, ValueError) as err:  # urllib's URLError is an OSError
        reason = getattr(err, "reason", err)
        raise ProviderError(f"{method} {url}: {reason}") from err
    if not 200 <= answer.status < 300:
        detail = answer.body[:200].decode("utf-8", "replace")
        raise HTTPStatusError(method, url, answer.status, answer.headers, detail)
    return answer


def get_json(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    use_proxy: bool = True,
    transport: Transport | None = None,
) -> Any:
    """GET ``url`` and decode its JSON body.

    Args:
        url: the full URL.
        headers: extra request headers.
        timeout_s: time allowed for connecting and for each read. Units: s.
        use_proxy: False for link-local metadata services.
        transport: what sends it; None for :class:`UrllibTransport`.

    Raises:
        ProviderError: the request failed or the answer is not JSON.
    """
    answer = request(
        url, headers=headers, timeout_s=timeout_s, use_proxy=use_proxy, transport=transport
    )
    try:
        return answer.json()
    except ProviderError as err:
        raise ProviderError(f"GET {url}: {err}") from err


def retry_after_s(value: str | None, now_s: float) -> float | None:
    """Return how long a ``Retry-After`` header asks to wait, or None if it says nothing usable.

    Both forms of RFC 9110 section 10.2.3 are read: delta-seconds (``120``)
    and an HTTP-date (``Wed, 21 Oct 2015 07:28:00 GMT``). A date already
    past gives 0. The caller bounds the wait.

    Args:
        value: the header's value, or None when absent.
        now_s: the current wall-clock time, seconds since the Unix epoch. Units: s.

    Returns:
        The wait asked for, never negative. Units: s.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": the RFC's GMT
        from datetime import timezone

        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now_s)

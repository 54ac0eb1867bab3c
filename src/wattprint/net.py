"""The one HTTP client of wattprint: small, stdlib-only, always with a timeout.

Nothing in wattprint touches the network unless the user configured
something that needs it (a live intensity provider, a server, geo-IP) or the
machine is known to be a cloud instance (its metadata service). Every call
goes through :func:`request`, which has a timeout, never follows the user's
proxy settings for link-local metadata addresses, and turns every failure
(connection, timeout, HTTP error status, undecodable body) into a
:class:`ProviderError` that says which URL failed and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wattprint.errors import ProviderError

DEFAULT_TIMEOUT_S = 3.0
"""Default time allowed for one request, connection included. Units: s."""

USER_AGENT = "wattprint"


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP answer.

    Attributes:
        status: the HTTP status code.
        body: the raw body.
        headers: response headers, lower-case names.
    """

    status: int
    body: bytes
    headers: Mapping[str, str]

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


def request(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    use_proxy: bool = True,
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

    Raises:
        ProviderError: the request failed, timed out, or got a non-2xx status.
    """
    import http.client
    import urllib.error
    import urllib.request

    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    req = urllib.request.Request(url, data=body, headers=all_headers, method=method)
    handlers: list[urllib.request.BaseHandler] = []
    if not use_proxy:
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=timeout_s) as answer:
            data = answer.read()
            return Response(
                status=int(answer.status),
                body=data,
                headers={k.lower(): v for k, v in answer.headers.items()},
            )
    except urllib.error.HTTPError as err:
        detail = err.read()[:200].decode("utf-8", "replace") if err.fp else ""
        raise ProviderError(f"{method} {url}: HTTP {err.code} {detail}".rstrip()) from err
    except http.client.HTTPException as err:  # a garbled answer (bad status line...)
        raise ProviderError(f"{method} {url}: {type(err).__name__}: {err!r}") from err
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise ProviderError(f"{method} {url}: {reason}") from err


def get_json(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    use_proxy: bool = True,
) -> Any:
    """GET ``url`` and decode its JSON body.

    Raises:
        ProviderError: the request failed or the answer is not JSON.
    """
    answer = request(url, headers=headers, timeout_s=timeout_s, use_proxy=use_proxy)
    try:
        return answer.json()
    except ProviderError as err:
        raise ProviderError(f"GET {url}: {err}") from err

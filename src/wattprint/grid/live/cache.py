"""An on-disk cache of live API answers, so repeated runs do not ask again.

Each answer is stored as one JSON file named by a hash of its key (provider,
endpoint URL and query parameters; never the API token), together with the
time it was stored and how long it stays fresh. Files are written to a
temporary name and moved into place with :func:`os.replace`, so a reader
never sees half a file; a file that cannot be read or decoded, or whose key
does not match, is ignored and fetched again.

How long an answer stays fresh depends on what it holds:

- the latest value: :data:`LATEST_TTL_S` (5 min; providers publish at most
  every 5 to 60 minutes);
- a forecast: :data:`FORECAST_TTL_S` (30 min; forecasts are re-issued often);
- history whose spans are all closed, observed (not forecast) and measured
  (not estimated): forever, as it will not change;
- any other history: :data:`PROVISIONAL_HISTORY_TTL_S` (30 min). This covers
  the UK NESO API, whose ``actual`` is null for a while after a half-hour
  ends (the forecast stands in) and whose regional values are forecasts only,
  and Electricity Maps' estimated hours, which it later replaces with
  measured data.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from wattprint import _log
from wattprint.errors import ProviderError
from wattprint.grid.live.base import IntensityPoint, json_time, utc_now

logger = _log.get(__name__)

LATEST_TTL_S = 300.0
"""How long a ``latest`` answer stays fresh. Units: s."""

FORECAST_TTL_S = 1800.0
"""How long a forecast stays fresh. Units: s."""

PROVISIONAL_HISTORY_TTL_S = 1800.0
"""How long history that may still change stays fresh. Units: s."""

_FORMAT = 1

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CacheKey:
    """What identifies one cached answer.

    Attributes:
        provider: the provider's name, e.g. ``electricitymaps``.
        endpoint: the URL without its query string.
        params: the query (or path) parameters, sorted by name.
    """

    provider: str
    endpoint: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, provider: str, endpoint: str, params: Mapping[str, str] | None = None) -> CacheKey:
        """Build a key from a parameter mapping (order does not matter)."""
        return cls(provider, endpoint, tuple(sorted((params or {}).items())))

    def as_json(self) -> dict[str, object]:
        """Return the key as stored in the cache file."""
        return {
            "provider": self.provider,
            "endpoint": self.endpoint,
            "params": [list(pair) for pair in self.params],
        }

    def digest(self) -> str:
        """Return a stable hash of the key, used as the file name."""
        text = json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """Return ``$XDG_CACHE_HOME/wattprint/live``, else ``~/.cache/wattprint/live``.

    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG base directory
    specification asks.
    """
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "wattprint" / "live"
    home = env.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".cache" / "wattprint" / "live"


def history_ttl_s(points: Iterable[IntensityPoint], now: datetime) -> float | None:
    """Return how long a history answer stays fresh: None (forever) when it is final.

    Final means at least one point, every point ended before ``now``, and no
    point is a forecast or an estimate. Units: s.
    """
    points = list(points)
    final = bool(points) and all(
        p.end <= now and not p.is_forecast and not p.is_estimated for p in points
    )
    return None if final else PROVISIONAL_HISTORY_TTL_S


class LiveCache:
    """A directory of cached API answers, each fresh for its own time to live.

    Nothing is read or created until the first :meth:`get` or :meth:`put`.
    Failing to write is logged once and otherwise ignored: the cache only
    saves requests, it is never needed for an answer.
    """

    def __init__(
        self,
        *,
        directory: Path | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Use ``directory`` (default: :func:`default_cache_dir` of the environment).

        Args:
            directory: where the files go; created on the first write.
            clock: returns the current time, timezone-aware.
        """
        self.directory = directory if directory is not None else default_cache_dir(os.environ)
        self._clock = clock
        self._warned = False

    def path_for(self, key: CacheKey) -> Path:
        """Return the file that holds ``key``'s answer."""
        return self.directory / key.provider / f"{key.digest()}.json"

    def get(self, key: CacheKey) -> object | None:
        """Return the stored answer for ``key`` if it is still fresh, else None."""
        path = self.path_for(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, ValueError) as err:
            logger.debug("ignoring unreadable cache file %s: %s", path, err)
            return None
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
            logger.debug("ignoring cache file %s: not a cache entry", path)
            return None
        if entry.get("key") != key.as_json():
            logger.debug("ignoring cache file %s: it holds another key", path)
            return None
        ttl_s = entry.get("ttl_s")
        try:
            stored_at = json_time(entry.get("stored_at"), "stored_at")
        except ProviderError:
            return None
        if ttl_s is not None and (isinstance(ttl_s, bool) or not isinstance(ttl_s, (int, float))):
            return None
        age_s = (self._clock() - stored_at).total_seconds()
        if age_s < 0 or (ttl_s is not None and age_s >= ttl_s):
            return None
        return entry.get("payload")

    def put(self, key: CacheKey, payload: object, *, ttl_s: float | None) -> None:
        """Store ``payload`` (decoded JSON) for ``key``, fresh for ``ttl_s`` s (None: forever)."""
        path = self.path_for(key)
        entry = {
            "format": _FORMAT,
            "key": key.as_json(),
            "stored_at": self._clock().isoformat(),
            "ttl_s": ttl_s,
            "payload": payload,
        }
        tmp_name = ""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=path.parent, prefix=".tmp-", suffix=".json", delete=False
            ) as handle:
                tmp_name = handle.name
                json.dump(entry, handle)
            os.replace(tmp_name, path)
        except (OSError, TypeError, ValueError) as err:
            if tmp_name:
                Path(tmp_name).unlink(missing_ok=True)
            if not self._warned:
                logger.warning("cannot write the live intensity cache in %s: %s", path.parent, err)
                self._warned = True


def get_or_fetch(
    cache: LiveCache | None,
    key: CacheKey,
    *,
    url: str,
    fetch: Callable[[], object],
    parse: Callable[[object], T],
    ttl_s: Callable[[T], float | None],
) -> T:
    """Return the parsed answer for ``key``, from the cache when fresh, else fetched and stored.

    Args:
        cache: the cache, or None to always fetch.
        key: what identifies the answer.
        url: the URL, for error messages.
        fetch: gets the decoded answer from the network.
        parse: turns the decoded answer into the result; raises
            :class:`ProviderError` on an unexpected shape.
        ttl_s: how long a parsed result stays fresh (None: forever). Units: s.

    Raises:
        ProviderError: the request failed or its answer has an unexpected shape.
    """
    if cache is not None:
        stored = cache.get(key)
        if stored is not None:
            try:
                return parse(stored)
            except ProviderError as err:
                logger.debug("ignoring a cached answer for %s: %s", url, err)
    payload = fetch()
    try:
        result = parse(payload)
    except ProviderError as err:
        raise ProviderError(f"GET {url}: unexpected answer: {err}") from err
    if cache is not None:
        cache.put(key, payload, ttl_s=ttl_s(result))
    return result

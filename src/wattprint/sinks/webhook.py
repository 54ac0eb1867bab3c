"""HTTP webhook: each finished run POSTed as JSON, through an on-disk outbox.

``write()`` only writes the payload to the outbox (one file per run, named by
its run id, written atomically) and returns: a background thread sends it,
so stopping a tracker is never delayed by a slow or absent endpoint. A file
leaves the outbox only after the endpoint answered 2xx. While the endpoint is
down the thread retries with exponential backoff (0.5 s, 1 s, 2 s... capped
at 30 s), then gives up for this process; what is left in the outbox is sent
by the next ``WebhookSink`` created for the same URL (the next run). Each
request carries ``Idempotency-Key: <run_id>``: a result whose answer was lost
is sent again, and the receiver drops the copy by that key. Processes sharing
an outbox claim a file with a lock before sending it, so two never send the
same file at once.

The payload is :func:`wattprint.serialize.run_to_dict` of the run, without
the ``host`` part (operating system, CPU and GPU models, memory) unless
``include_host=True``. wattprint records no user or host names.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ..errors import ConfigError, ProviderError
from ..results import RunResult
from ..serialize import run_to_dict
from .jsonl import to_json

logger = logging.getLogger("wattprint")

DEFAULT_MAX_ATTEMPTS = 8
"""Consecutive failed sends before the thread gives up until the next run."""

FIRST_BACKOFF_S = 0.5
"""Wait after the first failed send; it doubles after each failure. Units: s."""

MAX_BACKOFF_S = 30.0
"""Longest wait between two sends. With 8 attempts, about 62 s in all. Units: s."""

EXIT_FLUSH_S = 2.0
"""Longest wait at interpreter exit for results still queued. Units: s."""

_RETRYABLE_4XX = frozenset({408, 409, 425, 429})
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

Outcome = Literal["sent", "gone", "again", "retry", "refused"]


def default_outbox_dir(env: Mapping[str, str] | None = None) -> Path:
    """Return the default outbox: ``$XDG_DATA_HOME/wattprint/outbox`` (``~/.local/share/...``)."""
    from ..paths import user_data_dir

    return user_data_dir(env) / "outbox"


def payload_of(result: RunResult, *, include_host: bool = False) -> bytes:
    """Return the JSON body sent for ``result`` (no ``host`` part unless asked)."""
    data = run_to_dict(result)
    if not include_host:
        data.pop("host", None)
    return to_json(data)


def _file_name(run_id: str) -> str:
    """Return the outbox file name of a run: its id, or a digest of an unusual one."""
    stem = run_id if _SAFE_ID.fullmatch(run_id) else hashlib.sha256(run_id.encode()).hexdigest()
    return f"{stem}.json"


def _shown(url: str) -> str:
    """Return ``url`` fit for a log line: no credentials, no query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if another holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: no claim; the Idempotency-Key still dedupes
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _valid_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A result waiting to be sent: a file of the outbox, or a body in memory."""

    name: str
    body: bytes | None = None


class WebhookSink:
    """POST each finished run as JSON to ``url``, through an on-disk outbox.

    Creating the sink queues what earlier processes left in its outbox.

    Args:
        url: the endpoint, ``http://`` or ``https://``.
        outbox_dir: the outbox's parent; each URL gets a folder of its own
            in it (:attr:`outbox`). Default: :func:`default_outbox_dir`.
        timeout_s: time allowed for one request. Units: s.
        headers: extra request headers (e.g. ``Authorization``); never
            written to disk or logged.
        include_host: also send the ``host`` part of the result.
        max_attempts: consecutive failed sends before giving up until the
            next run.
        clock: monotonic clock for the waits. Units: s.

    Raises:
        ConfigError: an argument is not accepted.
    """

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        outbox_dir: Path | None = None,
        timeout_s: float = 3.0,
        headers: Mapping[str, str] | None = None,
        include_host: bool = False,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _valid_url(url):
            raise ConfigError("url", url, "an http:// or https:// URL with a host")
        if isinstance(timeout_s, bool) or not (
            isinstance(timeout_s, (int, float)) and math.isfinite(timeout_s) and timeout_s > 0
        ):
            raise ConfigError("timeout_s", timeout_s, "a number of seconds > 0")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ConfigError("max_attempts", max_attempts, "an integer >= 1")
        self.url = url
        key = hashlib.sha256(url.encode()).hexdigest()[:16]
        self.outbox = (outbox_dir if outbox_dir is not None else default_outbox_dir()) / key
        self.timeout_s = float(timeout_s)
        self.include_host = include_host
        self.max_attempts = max_attempts
        self._clock = clock
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._cond = threading.Condition()
        self._queue: deque[_Pending] = deque()
        self._queued: set[str] = set()
        self._parked: list[_Pending] = []  # given up on in this process; still in the outbox
        self._failures = 0  # consecutive failed sends
        self._failed_sends = 0  # all failed sends, for the exit flush
        self._kick = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()
        atexit.register(self._at_exit)
        self.deliver_pending()

    # -- the caller's side ---------------------------------------------------

    def write(self, result: RunResult) -> None:
        """Put ``result`` in the outbox and queue it; the sending happens in the background.

        When the outbox cannot be written, the result is kept in memory
        (sent by this process only) and a warning says so.
        """
        body = payload_of(result, include_host=self.include_host)
        name = _file_name(result.run_id)
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            tmp = self.outbox / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_bytes(body)
            os.replace(tmp, self.outbox / name)
            pending = _Pending(name)
        except OSError as err:
            self._warn_once(
                "outbox",
                "wattprint: the webhook outbox %s cannot be written (%s); results are "
                "kept in memory and lost if this process ends before they are sent",
                self.outbox,
                err.strerror or err,
            )
            pending = _Pending(name, body)
        self._enqueue([pending], revive=True)

    def deliver_pending(self) -> int:
        """Queue the results earlier processes left in the outbox; return how many."""
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self.outbox)
                if entry.name.endswith(".json") and not entry.name.startswith(".")
            )
        except FileNotFoundError:
            return 0
        except OSError as err:
            self._warn_once(
                "scan",
                "wattprint: the webhook outbox %s cannot be read (%s)",
                self.outbox,
                err.strerror or err,
            )
            return 0
        return self._enqueue([_Pending(n) for n in names], revive=False)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Send what is queued now, waiting at most ``timeout_s``; True if all was sent.

        Args:
            timeout_s: the longest wait. Units: s.
        """
        deadline = self._clock() + timeout_s
        with self._cond:
            self._revive()
            self._kick = True
            self._cond.notify_all()
            while self._queue and self._is_running():
                left = deadline - self._clock()
                if left <= 0:
                    break
                self._cond.wait(left)
            return not self._queue and not self._parked

    def close(self, timeout_s: float | None = None) -> None:
        """Stop the sending thread; what is not sent stays in the outbox for the next run.

        Args:
            timeout_s: the longest wait for a request in flight (default:
                the request timeout). Units: s.
        """
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        atexit.unregister(self._at_exit)
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout_s if timeout_s is None else timeout_s)

    @property
    def pending(self) -> int:
        """Results queued or given up on in this process, not yet sent."""
        with self._cond:
            return len(self._queue) + len(self._parked)

    # -- the queue -----------------------------------------------------------

    def _enqueue(self, items: list[_Pending], *, revive: bool) -> int:
        with self._cond:
            if revive:
                self._revive()
            added = 0
            for item in items:
                if item.name not in self._queued:
                    self._queued.add(item.name)
                    self._queue.append(item)
                    added += 1
            if self._queue and not self._closed:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="wattprint-webhook", daemon=True
                    )
                    self._thread.start()
                self._cond.notify_all()
            return added

    def _revive(self) -> None:
        """Queue again what was given up on (a new result or a flush: try once more)."""
        if self._parked:
            self._queue.extend(self._parked)
            self._parked.clear()
            self._failures = 0

    def _is_running(self) -> bool:
        return not self._closed and self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        """Send the queue, oldest first, backing off while the endpoint fails."""
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                item = self._queue[0]
            outcome = self._attempt(item)
            with self._cond:
                if self._closed:
                    return
                if outcome == "again":
                    continue
                if outcome == "retry":
                    self._failures += 1
                    self._failed_sends += 1
                    self._cond.notify_all()
                    if self._failures >= self.max_attempts:
                        self._give_up()
                    else:
                        self._back_off(
                            min(FIRST_BACKOFF_S * 2 ** (self._failures - 1), MAX_BACKOFF_S)
                        )
                    continue
                self._queue.popleft()
                self._queued.discard(item.name)
                if outcome == "sent":
                    if self._failures:
                        logger.info("wattprint: webhook %s reachable again", _shown(self.url))
                    self._failures = 0
                self._cond.notify_all()

    def _back_off(self, delay_s: float) -> None:
        """Wait ``delay_s`` (lock held), or less if flushed or closed."""
        deadline = self._clock() + delay_s
        self._kick = False
        while not self._kick and not self._closed:
            left = deadline - self._clock()
            if left <= 0:
                break
            self._cond.wait(left)
        self._kick = False

    def _give_up(self) -> None:
        """Stop retrying until the next result or flush (lock held); the outbox keeps all."""
        self._warn_once(
            "give-up",
            "wattprint: webhook %s still failing after %s attempts; %s result(s) stay in %s "
            "and are sent at the next run",
            _shown(self.url),
            self._failures,
            len(self._queue),
            self.outbox,
        )
        self._parked.extend(self._queue)
        self._queue.clear()
        self._queued.clear()
        self._cond.notify_all()

    # -- one send ------------------------------------------------------------

    def _attempt(self, item: _Pending) -> Outcome:
        """Send one result; remove its file after a 2xx."""
        if item.body is not None:
            return self._post(item.body, item.name.removesuffix(".json"))
        path = self.outbox / item.name
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return "gone"  # sent by another process
        except OSError as err:
            self._warn_once("read", "wattprint: cannot read %s (%s)", path, err.strerror or err)
            return "refused"
        try:
            if not _try_lock(fd):
                return "gone"  # another process is sending it; it keeps the file if that fails
            try:
                if os.stat(path).st_ino != os.fstat(fd).st_ino:
                    return "again"  # replaced since opened: send the new one
            except FileNotFoundError:
                return "gone"
            body = _read_all(fd)
            try:
                run_id = json.loads(body.decode("utf-8"))["run_id"]
                key = str(run_id) if str(run_id).isascii() else item.name.removesuffix(".json")
            except (ValueError, KeyError, TypeError):
                os.replace(path, path.with_suffix(".damaged"))
                self._warn_once(
                    "damaged", "wattprint: %s is not a result; moved aside to *.damaged", path
                )
                return "gone"
            outcome = self._post(body, key)
            if outcome == "sent":
                path.unlink(missing_ok=True)  # we hold the lock: it is still our file
            return outcome
        except OSError as err:
            self._warn_once("read", "wattprint: cannot read %s (%s)", path, err.strerror or err)
            return "refused"
        finally:
            os.close(fd)

    def _post(self, body: bytes, key: str) -> Outcome:
        from ..net import request

        try:
            request(
                self.url,
                method="POST",
                headers={**self._headers, "Idempotency-Key": key},
                body=body,
                timeout_s=self.timeout_s,
            )
        except ProviderError as err:
            reason = str(err).replace(self.url, _shown(self.url))
            status = getattr(err.__cause__, "code", None)
            if isinstance(status, int) and 400 <= status < 500 and status not in _RETRYABLE_4XX:
                self._warn_once(
                    f"refused:{status}",
                    "wattprint: webhook refused a result (%s); it stays in %s and is "
                    "tried again at the next run",
                    reason,
                    self.outbox,
                )
                return "refused"
            logger.debug("wattprint: webhook send failed: %s", reason)
            self._warn_once(
                "down",
                "wattprint: webhook %s failed (%s); results wait in %s and are retried "
                "in the background",
                _shown(self.url),
                reason,
                self.outbox,
            )
            return "retry"
        logger.debug("wattprint: webhook delivered %s", key)
        return "sent"

    # -- exit ----------------------------------------------------------------

    def _at_exit(self) -> None:
        """Give queued results one bounded chance at exit; the outbox keeps the rest."""
        deadline = self._clock() + EXIT_FLUSH_S
        with self._cond:
            failed = self._failed_sends
            self._kick = True
            self._cond.notify_all()
            while self._queue and self._is_running() and self._failed_sends == failed:
                left = deadline - self._clock()
                if left <= 0:
                    break
                self._cond.wait(left)
            self._closed = True
            self._cond.notify_all()

    def _warn_once(self, cause: str, message: str, *args: object) -> None:
        if cause not in self._warned:
            self._warned.add(cause)
            logger.warning(message, *args)

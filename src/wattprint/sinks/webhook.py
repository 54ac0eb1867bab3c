"""HTTP webhook: each finished run POSTed as JSON, through an on-disk outbox.

``write()`` only writes the payload to the outbox (one file per run, named by
its run id, written atomically) and returns: a background thread sends it,
so stopping a tracker is never delayed by a slow or absent endpoint. A file
leaves the outbox only after the endpoint answered 2xx. While the endpoint is
down the thread retries with exponential backoff (0.5 s, 1 s, 2 s... capped
at 30 s), then gives up for this process; what is left in the outbox is sent
by the next ``WebhookSink`` created for the same URL (the next run). A 429 or
503 answer with ``Retry-After`` (seconds or an HTTP-date) sets the wait before
the next attempt instead, bounded to 0..300 s, and a flush does not cut that
wait short. Each request carries ``Idempotency-Key: <run_id>``: a result
whose answer was lost is sent again, and the receiver drops the copy by that
key. Processes sharing an outbox claim a file with a lock before sending it,
so two never send the same file at once.

The payload is :func:`wattprint.records.run_dict.run_to_dict` of the run without its
``host`` part (OS, CPU and GPU models, memory) unless ``include_host=True``.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from wattprint._log import logger
from wattprint.errors import ConfigError, ProviderError
from wattprint.net import (
    HTTPStatusError,
    Transport,
    is_http_url,
    redacted_url,
    request,
    retry_after_s,
)
from wattprint.records.run_dict import run_to_dict
from wattprint.results import RunResult
from wattprint.sinks.jsonl import to_json
from wattprint.sinks.outbox import default_outbox_dir, outbox_file_name, try_lock

DEFAULT_MAX_ATTEMPTS = 8  # consecutive failed sends before giving up until the next run
FIRST_BACKOFF_S = 0.5  # wait after the first failure, doubled after each one. Units: s.
MAX_BACKOFF_S = 30.0  # the longest wait; 8 attempts wait about 62 s in all. Units: s.
EXIT_FLUSH_S = 2.0  # the longest wait at interpreter exit for queued results. Units: s.
MAX_RETRY_AFTER_S = 300.0  # the longest wait a Retry-After header can ask for. Units: s.

_RETRY_AFTER_STATUSES = frozenset({429, 503})

_RETRYABLE_4XX = frozenset({408, 409, 425, 429})

Outcome = Literal["sent", "gone", "retry", "refused"]
Wait = Callable[[threading.Condition, float], None]
"""Block on a condition (its lock held) until notified or ``timeout_s`` seconds pass."""


def _wait_on(condition: threading.Condition, timeout_s: float) -> None:
    condition.wait(timeout_s)


def payload_of(result: RunResult, *, include_host: bool = False) -> bytes:
    """Return the JSON body sent for ``result`` (no ``host`` part unless asked)."""
    data = run_to_dict(result)
    if not include_host:
        data.pop("host", None)
    return to_json(data)


def _positive(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and value > 0


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
            next run (or the next result, or :meth:`flush`).
        clock: monotonic clock for the waits. Units: s.
        wall_clock: wall-clock time, seconds since the epoch, to read a
            ``Retry-After`` date. Units: s.
        wait: blocks on a condition for a time on ``clock`` (tests pass a
            fake clock's).
        transport: what sends the requests; None for the network.

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
        wall_clock: Callable[[], float] = time.time,
        wait: Wait = _wait_on,
        transport: Transport | None = None,
    ) -> None:
        if not is_http_url(url):
            raise ConfigError("url", url, "an http:// or https:// URL with a host")
        if not _positive(timeout_s):
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
        self._wall_clock = wall_clock
        self._wait_fn = wait
        self._transport = transport
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._cond = threading.Condition()
        self._queue: deque[str] = deque()  # outbox file names, oldest first
        self._in_memory: dict[str, bytes] = {}  # bodies the outbox could not take
        self._parked: list[str] = []  # given up on in this process; still in the outbox
        self._failures = 0  # consecutive failed sends
        self._failed_sends = 0  # all failed sends, for the exit flush
        self._kick = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()
        atexit.register(self._at_exit)
        self.deliver_pending()

    def write(self, result: RunResult) -> None:
        """Put ``result`` in the outbox and queue it; the sending happens in the background.

        When the outbox cannot be written, the result is kept in memory
        (sent by this process only) and a warning says so.
        """
        body = payload_of(result, include_host=self.include_host)
        name = outbox_file_name(result.run_id)
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            tmp = self.outbox / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_bytes(body)
            os.replace(tmp, self.outbox / name)
        except OSError as err:
            self._warn_once(
                "outbox",
                "wattprint: the webhook outbox %s cannot be written (%s); results are kept "
                "in memory and lost if this process ends before they are sent",
                self.outbox,
                err.strerror or err,
            )
            with self._cond:
                self._in_memory[name] = body
        self._enqueue([name], revive=True)

    def deliver_pending(self) -> int:
        """Queue the results earlier processes left in the outbox; return how many."""
        try:
            names = sorted(
                e.name
                for e in os.scandir(self.outbox)
                if e.name.endswith(".json") and not e.name.startswith(".")
            )
        except FileNotFoundError:
            return 0
        except OSError as err:
            self._warn_once(
                "scan", "wattprint: cannot read %s (%s)", self.outbox, err.strerror or err
            )
            return 0
        return self._enqueue(names, revive=False)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Send what is queued now, waiting at most ``timeout_s`` seconds; True if all was sent."""
        with self._cond:
            self._revive()
            self._wait_for_queue(timeout_s, stop_at_failure=False)
            return not self._queue and not self._parked

    def close(self, timeout_s: float | None = None) -> None:
        """Stop the sender (a request in flight gets ``timeout_s`` seconds); the outbox stays."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        atexit.unregister(self._at_exit)
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout_s if timeout_s is None else timeout_s)

    def _at_exit(self) -> None:
        """Give queued results one bounded chance at exit; the outbox keeps the rest."""
        with self._cond:
            self._wait_for_queue(EXIT_FLUSH_S, stop_at_failure=True)
            self._closed = True
            self._cond.notify_all()

    def _wait_for_queue(self, timeout_s: float, *, stop_at_failure: bool) -> None:
        """Wake the sender and wait (lock held) until the queue is empty or time is up."""
        failed = self._failed_sends
        self._kick = True
        self._cond.notify_all()
        self._wait(
            timeout_s,
            lambda: (
                not self._queue
                or not self._is_running()
                or (stop_at_failure and self._failed_sends != failed)
            ),
        )

    def _wait(self, timeout_s: float, done: Callable[[], bool]) -> None:
        """Wait (lock held) until ``done()`` or ``timeout_s`` have passed on the clock."""
        deadline = self._clock() + timeout_s
        while not done() and (left := deadline - self._clock()) > 0:
            self._wait_fn(self._cond, left)

    def _enqueue(self, names: list[str], *, revive: bool) -> int:
        with self._cond:
            if revive:
                self._revive()
            new = [n for n in names if n not in self._queue]
            self._queue.extend(new)
            if self._queue and not self._closed:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="wattprint-webhook", daemon=True
                    )
                    self._thread.start()
                self._cond.notify_all()
            return len(new)

    def _revive(self) -> None:
        """Queue again what was given up on (a new result or a flush: try once more)."""
        self._queue.extend(n for n in self._parked if n not in self._queue)
        self._parked.clear()
        self._failures = 0

    def _is_running(self) -> bool:
        return not self._closed and self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        """Send the queue, oldest first, backing off while the endpoint fails."""
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._kick = False  # nothing to hurry
                    self._cond.wait()
                if self._closed:
                    return
                name = self._queue[0]
            outcome, asked_s = self._attempt(name)
            with self._cond:
                if self._closed:
                    return
                self._cond.notify_all()
                if outcome != "retry":
                    if name in self._queue:
                        self._queue.remove(name)
                    self._in_memory.pop(name, None)
                    if outcome == "sent" and self._failures:
                        logger.info("wattprint: webhook %s reachable again", redacted_url(self.url))
                        self._failures = 0
                    continue
                self._failures += 1
                self._failed_sends += 1
                if self._failures < self.max_attempts:  # back off; a flush cuts it short
                    if asked_s is not None:  # the server said when: a flush does not hurry it
                        self._wait(asked_s, lambda: self._closed)
                    else:
                        delay_s = min(FIRST_BACKOFF_S * 2 ** (self._failures - 1), MAX_BACKOFF_S)
                        self._wait(delay_s, lambda: self._kick or self._closed)
                    self._kick = False
                    continue
                self._warn_once(
                    "give-up",
                    "wattprint: webhook %s still failing after %s attempts; %s result(s) stay "
                    "in %s and are sent at the next run",
                    redacted_url(self.url),
                    self._failures,
                    len(self._queue),
                    self.outbox,
                )
                self._parked.extend(self._queue)  # until the next result or flush
                self._queue.clear()

    def _attempt(self, name: str) -> tuple[Outcome, float | None]:
        """Send one result; remove its file after a 2xx; also return a Retry-After wait (s)."""
        with self._cond:
            body = self._in_memory.get(name)
        if body is not None:
            return self._post(body, name.removesuffix(".json"))
        path = self.outbox / name
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return "gone", None  # sent by another process
        except OSError as err:
            self._warn_once("read", "wattprint: cannot read %s (%s)", path, err.strerror or err)
            return "refused", None
        try:
            if not try_lock(fd) or os.stat(path).st_ino != os.fstat(fd).st_ino:
                return "gone", None  # another process is sending it (and keeps it if that fails)
            with os.fdopen(fd, "rb", closefd=False) as f:
                body = f.read()
            try:
                run_id = str(json.loads(body.decode("utf-8"))["run_id"])
            except (ValueError, KeyError, TypeError):
                os.replace(path, path.with_suffix(".damaged"))
                self._warn_once("damaged", "wattprint: %s is not a result; moved aside", path)
                return "gone", None
            outcome, asked_s = self._post(body, run_id if run_id.isascii() else name[:-5])
            if outcome == "sent" and os.stat(path).st_ino == os.fstat(fd).st_ino:
                path.unlink()  # not if a newer payload of the run replaced it meanwhile
            return outcome, asked_s
        except FileNotFoundError:
            return "gone", None
        except OSError as err:
            self._warn_once("read", "wattprint: cannot read %s (%s)", path, err.strerror or err)
            return "refused", None
        finally:
            os.close(fd)

    def _post(self, body: bytes, key: str) -> tuple[Outcome, float | None]:
        """POST one body; return the outcome and the wait a Retry-After asked for (s)."""
        try:
            request(
                self.url,
                method="POST",
                headers={**self._headers, "Idempotency-Key": key},
                body=body,
                timeout_s=self.timeout_s,
                transport=self._transport,
            )
        except ProviderError as err:
            reason = str(err).replace(self.url, redacted_url(self.url))
            status = err.status if isinstance(err, HTTPStatusError) else None
            if status is not None and 400 <= status < 500 and status not in _RETRYABLE_4XX:
                self._warn_once(
                    f"refused:{status}",
                    "wattprint: webhook refused a result (%s); it stays in %s for the next run",
                    reason,
                    self.outbox,
                )
                return "refused", None
            logger.debug("wattprint: webhook send failed: %s", reason)
            self._warn_once(
                "down",
                "wattprint: webhook failed (%s); results wait in %s and are retried "
                "in the background",
                reason,
                self.outbox,
            )
            return "retry", self._retry_after_s(err)
        logger.debug("wattprint: webhook delivered %s", key)
        return "sent", None

    def _retry_after_s(self, err: ProviderError) -> float | None:
        """Return the wait a 429 or 503 answer asked for, bounded to 0..300 s; None if none."""
        if not isinstance(err, HTTPStatusError) or err.status not in _RETRY_AFTER_STATUSES:
            return None
        asked_s = retry_after_s(err.headers.get("retry-after"), self._wall_clock())
        return None if asked_s is None else min(max(asked_s, 0.0), MAX_RETRY_AFTER_S)

    def _warn_once(self, cause: str, message: str, *args: object) -> None:
        if cause not in self._warned:
            self._warned.add(cause)
            logger.warning(message, *args)

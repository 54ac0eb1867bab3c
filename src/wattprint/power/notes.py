"""What a source has to say about its readings: refusals, dropped devices.

A source notes each thing it refused or gave up, with the value; the notes go
into its methodology detail. Each cause is logged once (a warning), never once
per sample: later notes of the same cause only count.
"""

from __future__ import annotations

import threading

from wattprint._log import logger

__all__ = ["SourceNotes"]


MAX_NOTES = 8
"""Distinct notes kept per source; more are counted, not kept."""


class SourceNotes:
    """Notes of one source, each cause logged once.

    Thread-safe: a polling thread and ``read()`` may both note.
    """

    __slots__ = ("_source", "_lock", "_texts", "_repeats", "_dropped")

    def __init__(self, source: str) -> None:
        """Start with no note; ``source`` names the source in the log."""
        self._source = source
        self._lock = threading.Lock()
        self._texts: dict[str, str] = {}
        self._repeats: dict[str, int] = {}
        self._dropped = 0

    def add(self, cause: str, text: str) -> None:
        """Note ``text`` under ``cause``; the first note of a cause is logged as a warning."""
        with self._lock:
            if cause in self._texts:
                self._repeats[cause] = self._repeats.get(cause, 0) + 1
                return
            if len(self._texts) >= MAX_NOTES:
                self._dropped += 1
                return
            self._texts[cause] = text
        logger.warning("wattprint: %s: %s", self._source, text)

    @property
    def texts(self) -> tuple[str, ...]:
        """Every note, with how many times its cause recurred."""
        with self._lock:
            out = [
                text + (f" (and {self._repeats[c]} more time(s))" if c in self._repeats else "")
                for c, text in self._texts.items()
            ]
            if self._dropped:
                out.append(f"{self._dropped} more note(s) not kept")
        return tuple(out)

    def joined(self, detail: str) -> str:
        """Return ``detail`` followed by the notes, for the methodology."""
        texts = self.texts
        return detail if not texts else f"{detail}; notes: " + "; ".join(texts)

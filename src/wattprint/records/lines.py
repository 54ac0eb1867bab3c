"""A file's lines, decoded and numbered, and CSV lines split into their cells.

:class:`Lines` hands out a file's lines one at a time, each decoded from
UTF-8 (a line that is not is told, once, and read with replacement
characters), and remembers which lines a reader took, so a CSV record that
spans lines can be named by its first and its lines handed out again.
:func:`plain_row` splits the common CSV line without the csv module.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from wattprint.errors import DataError

OnDamaged = Callable[[DataError], None]
"""Called with the error of each damaged record that is skipped."""


class Lines:
    """The decoded lines of a file, numbered from 1; lines can be pushed back.

    ``taken`` holds the lines handed out since it was last cleared, so the
    reader knows where a CSV record began and which lines it spanned.
    """

    def __init__(self, path: Path, f: BinaryIO, on_damaged: OnDamaged) -> None:
        self._path = path
        self._numbered = enumerate(f, start=1)
        self._on_damaged = on_damaged
        self.pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self.bad: set[int] = set()

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        if self.pending:
            item = self.pending.popleft()
        else:
            number, raw = next(self._numbered)
            try:
                text = raw.decode("utf-8" if number > 1 else "utf-8-sig")
            except UnicodeDecodeError:
                text = self._decode(number, raw)
            item = (number, text)
        self.taken.append(item)
        return item[1]

    def _decode(self, number: int, raw: bytes) -> str:
        encoding = "utf-8-sig" if number == 1 else "utf-8"
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as err:
            self._on_damaged(DataError(f"{self._path}:{number}: not UTF-8 text ({err.reason})"))
            self.bad.add(number)
            return raw.decode(encoding, "replace")

    def push_back(self, items: list[tuple[int, str]]) -> None:
        """Hand ``items`` out again, before any line not yet read."""
        self.pending.extendleft(reversed(items))


def plain_row(line: str, longest: int) -> list[str] | None:
    """Return the cells of a CSV line as :func:`csv.reader` reads it, for a line of plain cells.

    A plain line has no NUL and no line break inside, and each quote opens
    a cell (at the line's start or after a comma) whose next quote closes it
    (at the line's end or before a comma): its cells are its text split at
    the commas outside quotes, with the quoted cells' quotes taken off,
    which is what the csv module gives (default dialect), many times
    faster. None for any other line (a doubled quote, a quote inside a cell,
    a cell longer than ``longest``, :func:`csv.field_size_limit`): the csv
    module's to read.
    """
    plain = line.rstrip("\r\n")
    if "\r" in plain or "\n" in plain or "\0" in plain or len(plain) > longest:
        return None
    if '"' not in plain:
        return plain.split(",")
    parts = plain.split('"')  # unquoted, quoted, unquoted, ..., unquoted
    last = len(parts) - 1
    if last % 2:
        return None  # a quote left open
    cells = parts[0].split(",")
    if cells.pop():
        return None  # the first quote is inside a cell
    for at in range(1, last, 2):
        cells.append(parts[at])
        after = parts[at + 1].split(",")
        if after[0] or (at + 1 < last and (len(after) < 2 or after[-1])):
            return None  # a quote closes before a cell's end, or opens after its start
        cells.extend(after[1:-1] if at + 1 < last else after[1:])
    return cells

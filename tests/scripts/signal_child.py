"""A command for wattprint's signal tests: count the signals it gets, then exit.

Usage: python signal_child.py DIR EXIT_CODE

Writes DIR/ready once its handlers for SIGINT and SIGTERM are in place, and
appends the signal's name to DIR/signals at each signal it receives. After
the first one it waits a little longer, so that a duplicate sent right after
is counted too, then exits with EXIT_CODE. Without any signal it exits 99
after 20 s.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

LINGER_S = 0.6

out = Path(sys.argv[1])
code = int(sys.argv[2])
first: list[float] = []


def _handler(signum: int, frame: object) -> None:
    with open(out / "signals", "a") as f:
        f.write(signal.Signals(signum).name + "\n")
    if not first:
        first.append(time.monotonic())


signal.signal(signal.SIGINT, _handler)
signal.signal(signal.SIGTERM, _handler)
(out / "ready").write_text("ready\n")
deadline = time.monotonic() + 20.0
while time.monotonic() < deadline:
    if first and time.monotonic() - first[0] >= LINGER_S:
        sys.exit(code)
    time.sleep(0.02)
sys.exit(99)

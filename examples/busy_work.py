"""A small job to track: two worker processes compute for about two seconds.

    wattprint run --country FR -- python examples/busy_work.py
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ProcessPoolExecutor


def work(seconds: float) -> int:
    """Hash bytes for ``seconds`` of CPU time; return how many rounds were done."""
    digest, rounds = b"wattprint", 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        digest = hashlib.sha256(digest).digest()
        rounds += 1
    return rounds


if __name__ == "__main__":
    with ProcessPoolExecutor(max_workers=2) as pool:
        rounds = sum(pool.map(work, [1.0, 1.0]))
    print(f"busy_work: {rounds} rounds of SHA-256 in two worker processes")

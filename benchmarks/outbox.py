"""Time WebhookSink.write() while the endpoint is down: what it adds to Tracker.stop().

Run: PYTHONPATH=src python benchmarks/outbox.py [repeats]

write() only puts the payload in the outbox and queues it; the sending and
its retries happen in a background thread, so the figure should not depend
on the endpoint. Three endpoints, all on 127.0.0.1:

- refused: nothing listens on the port (connections are refused at once);
- silent: a socket listens but never answers (each try lasts the 3 s timeout);
- up: a server answering 204.

For scale, the same run appended by JsonLinesSink. Each figure is the median
and the 95th percentile of ``repeats`` (200) calls, each with a new run id.
Target: no added latency to stop() (write() well under 20 ms, the target of
stop() itself, whatever the endpoint does). The script asserts nothing.
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_sinks import make_result  # noqa: E402 (after the path is set)

from wattprint.sinks.jsonl import JsonLinesSink  # noqa: E402
from wattprint.sinks.webhook import WebhookSink  # noqa: E402


class _Accept(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _time(write: Callable[[int], None], repeats: int) -> tuple[float, float]:
    took = []
    for i in range(repeats):
        start = time.perf_counter()
        write(i)
        took.append(time.perf_counter() - start)
    took.sort()
    return statistics.median(took) * 1e3, took[int(0.95 * (len(took) - 1))] * 1e3


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    base = make_result("bench")
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        refused = socket.socket()
        refused.bind(("127.0.0.1", 0))
        refused_port = refused.getsockname()[1]
        refused.close()
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(1024)
        up = ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
        threading.Thread(target=up.serve_forever, daemon=True).start()
        endpoints = {
            "refused": refused_port,
            "silent": silent.getsockname()[1],
            "up": up.server_address[1],
        }
        for label, port in endpoints.items():
            sink = WebhookSink(f"http://127.0.0.1:{port}/runs", outbox_dir=Path(tmp) / label)

            def write(i: int, sink: WebhookSink = sink, label: str = label) -> None:
                sink.write(replace(base, run_id=f"{label}-{i}"))

            median, p95 = _time(write, repeats)
            sent = "all sent" if sink.flush(30 if label == "up" else 0) else "waiting in outbox"
            rows.append((f"WebhookSink.write, endpoint {label}", median, p95, sent))
            sink.close(0.1)
        jsonl = JsonLinesSink(Path(tmp) / "runs.jsonl")
        median, p95 = _time(lambda i: jsonl.write(replace(base, run_id=f"j-{i}")), repeats)
        rows.append(("JsonLinesSink.write (for scale)", median, p95, ""))
        up.shutdown()
        silent.close()
    print(f"{'call':<40} {'median ms':>10} {'p95 ms':>8}  after")
    for name, median, p95, after in rows:
        print(f"{name:<40} {median:>10.3f} {p95:>8.3f}  {after}")
    print("target: no added latency to stop(): write() well under 20 ms whatever the endpoint")


if __name__ == "__main__":
    main()

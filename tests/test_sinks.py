"""Sinks: JSON lines, CSV under concurrency, the logger, the webhook and its outbox."""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fakes.fake_clock import FakeClock

from wattprint import ConfigError, DataError, Tracker
from wattprint.grid.intensity import Intensity
from wattprint.grid.location import Location
from wattprint.net import MockTransport, Request, Response
from wattprint.records.run_dict import SCHEMA
from wattprint.results import ComponentMethod, Host, Methodology, RunResult, TaskResult
from wattprint.sinks.base import Sink
from wattprint.sinks.csv_file import COLUMNS, CsvSink
from wattprint.sinks.jsonl import JsonLinesSink, read_jsonl
from wattprint.sinks.logger import LoggerSink
from wattprint.sinks.webhook import WebhookSink, payload_of

CPU_MODEL = "Test CPU 9000 @ 3.00GHz"
HOSTNAME = "build-box-17.example.org"


def make_result(run_id: str = "run-1", *, tasks: int = 0, energy_kwh: float = 0.002) -> RunResult:
    """Build a finished run by hand (the figures need not be consistent)."""
    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    location = Location("FRA", "FR", "France", how="argument country='FR'")
    methodology = Methodology(
        components=(
            ComponentMethod("cpu", "rapl", True, "package-0 energy_uj", "process share"),
            ComponentMethod("ram", "gb-x-w-per-gb", False, "16 GiB x 0.375 W/GiB", "share"),
        ),
        intensity=Intensity(56.0, "Ember yearly electricity data", 2023, "average", "France"),
        location=location,
        pue_source="default 1.0",
        notes=("a note with unicode: é, 中",),
    )
    common: dict[str, Any] = dict(
        run_id=run_id, project="proj", experiment="exp", started_at=start,
        ended_at=start + timedelta(seconds=60), duration_s=60.0, energy_kwh=energy_kwh,
        cpu_energy_kwh=energy_kwh * 0.75, gpu_energy_kwh=0.0, ram_energy_kwh=energy_kwh * 0.25,
        cpu_power_w=90.0, gpu_power_w=0.0, ram_power_w=30.0, emissions_kg=energy_kwh * 0.056,
        intensity_g_per_kwh=56.0, water_l=0.01, location=location, status="completed",
        methodology=methodology, cpu_utilization_percent=50.0, ram_used_bytes=1e9,
    )  # fmt: skip
    done = tuple(TaskResult(name=f"task-{i}-" + "x" * 200, **common) for i in range(tasks))
    host = Host(
        os="Linux-6.1-x86_64", python_version="3.11.7", cpu_model=CPU_MODEL, cpu_count=16,
        gpu_count=0, gpu_model="", ram_total_bytes=32 * 2**30, hostname=HOSTNAME,
    )  # fmt: skip
    return RunResult(
        mode="process", pue=1.0, wue_l_per_kwh=0.0, host=host, ram_utilization_percent=40.0,
        tasks=done, **common,
    )  # fmt: skip


def test_every_sink_follows_the_protocol(tmp_path: Path) -> None:
    sinks = [JsonLinesSink(tmp_path / "r.jsonl"), LoggerSink()]
    sinks.append(WebhookSink("http://127.0.0.1:9/x", outbox_dir=tmp_path))
    for sink in sinks:
        assert isinstance(sink, Sink)
    sinks[-1].close()  # type: ignore[attr-defined]


# -- JSON lines and CSV, many processes at once -------------------------------

PROCESSES = 64
PER_PROCESS = 10


def _write_many(kind: str, path: str, worker: int, barrier: object) -> None:
    sink: Sink = JsonLinesSink(path) if kind == "jsonl" else CsvSink(Path(path))
    results = [make_result(f"w{worker}-{i}", tasks=8) for i in range(PER_PROCESS)]
    barrier.wait(60)  # type: ignore[attr-defined]
    for result in results:
        sink.write(result)


def _run_writers(kind: str, path: Path) -> None:
    # fork: 64 writers start in milliseconds (spawn would import everything 64 times)
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    barrier = ctx.Barrier(PROCESSES)
    procs = [
        ctx.Process(target=_write_many, args=(kind, str(path), w, barrier))
        for w in range(PROCESSES)
    ]
    try:
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0] * PROCESSES
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()


def _expected_ids() -> Counter[str]:
    return Counter(f"w{w}-{i}" for w in range(PROCESSES) for i in range(PER_PROCESS))


def test_jsonl_from_64_processes_has_only_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    _run_writers("jsonl", path)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == PROCESSES * PER_PROCESS
    assert len(lines[0]) > 4096  # longer than PIPE_BUF: the lock, not luck, keeps lines whole
    objects = [json.loads(line) for line in lines[:-1]]
    assert Counter(o["run_id"] for o in objects) == _expected_ids()
    assert all(o["schema"] == SCHEMA and len(o["tasks"]) == 8 for o in objects)
    assert list(read_jsonl(path)) == objects


def test_csv_from_64_processes_has_only_whole_rows(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    _run_writers("csv", path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(COLUMNS)
    assert all(len(row) == len(COLUMNS) for row in rows)
    run_ids = Counter(row[COLUMNS.index("run_id")] for row in rows[1:])
    assert run_ids == _expected_ids()
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1 + PROCESSES * PER_PROCESS


def test_jsonl_keeps_the_full_methodology(tmp_path: Path) -> None:
    sink = JsonLinesSink(tmp_path / "sub" / "runs.jsonl")
    sink.write(make_result())
    (obj,) = read_jsonl(tmp_path / "sub" / "runs.jsonl")
    assert obj["methodology"]["components"][0]["method"] == "rapl"
    assert obj["methodology"]["intensity"]["source"] == "Ember yearly electricity data"
    assert obj["methodology"]["notes"] == ["a note with unicode: é, 中"]
    assert obj["host"]["cpu_model"] == CPU_MODEL  # a local file keeps everything


def test_a_damaged_line_is_reported_with_file_and_line_or_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "runs.jsonl"
    sink = JsonLinesSink(path)
    sink.write(make_result("a"))
    with open(path, "ab") as f:
        f.write(b'{"run_id": "torn", "energy')  # a writer killed mid-line
    sink.write(make_result("b"))  # starts on a line of its own
    with pytest.raises(DataError, match=rf"{path}:2: damaged line"):
        list(read_jsonl(path))
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        assert [o["run_id"] for o in read_jsonl(path, skip_damaged=True)] == ["a", "b"]
    assert "skipped 1 damaged line(s)" in caplog.text and "line 2" in caplog.text


def test_jsonl_falls_back_when_the_file_cannot_be_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    sink = JsonLinesSink(blocker / "runs.jsonl", fallback_dir=tmp_path / "fallback")
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        sink.write(make_result())
    assert sink.written_to == tmp_path / "fallback" / "runs.jsonl"
    assert [o["run_id"] for o in read_jsonl(sink.written_to)] == ["run-1"]
    assert str(sink.written_to) in caplog.text


# -- logger --------------------------------------------------------------------


def test_logger_sink_gives_one_structured_record(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wattprint.results"):
        LoggerSink().write(make_result())
    (record,) = [r for r in caplog.records if r.name == "wattprint.results"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("wattprint run run-1 of proj/exp completed: 0.002 kWh")
    fields = record.wattprint  # type: ignore[attr-defined]
    assert fields["run_id"] == "run-1" and fields["energy_kwh"] == 0.002
    assert fields["cpu_method"] == "rapl" and fields["gpu_method"] == "none"
    assert fields["schema"] == SCHEMA
    json.dumps(fields)  # plain data, ready for a JSON formatter


def test_logger_sink_logs_once_per_run_not_per_interval(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = Tracker(
        country="FR", output_dir=tmp_path, save_to_file=False, interval_s=0.05,
        sinks=[LoggerSink()],
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="wattprint"):
        with tracker:
            time.sleep(0.4)
    results = [r for r in caplog.records if r.name == "wattprint.results"]
    assert len(results) == 1
    assert results[0].wattprint["run_id"] == tracker.run_id  # type: ignore[attr-defined]
    others = [r for r in caplog.records if r.levelno == logging.INFO and r not in results]
    assert len(others) <= 2  # about 8 intervals went by: nothing is logged per interval


# -- webhook -------------------------------------------------------------------


class Receiver:
    """A real HTTP server on 127.0.0.1 counting what it accepted, by run id."""

    def __init__(self, port: int, fail_first: int = 0) -> None:
        self.received: Counter[str] = Counter()
        self.keys: list[str] = []
        self.bodies: list[bytes] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received[json.loads(body)["run_id"]] += 1
                receiver.keys.append(self.headers["Idempotency-Key"])
                receiver.bodies.append(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """Return a port nothing listens on now (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    started: list[Receiver] = []
    yield started
    for r in started:
        r.stop()


def _outbox_files(sink: WebhookSink) -> list[str]:
    return sorted(p.name for p in sink.outbox.glob("*.json")) if sink.outbox.exists() else []


def test_webhook_down_then_up_delivers_each_result_once(
    tmp_path: Path, port: int, receivers: list[Receiver]
) -> None:
    sink = WebhookSink(f"http://127.0.0.1:{port}/runs", outbox_dir=tmp_path)
    ids = [f"run-{i}" for i in range(5)]
    for run_id in ids:
        started = time.perf_counter()
        sink.write(make_result(run_id))
        assert time.perf_counter() - started < 1.0  # does not wait out the retries
    assert _outbox_files(sink) == [f"{i}.json" for i in ids]
    time.sleep(0.8)  # a few refused attempts
    assert _outbox_files(sink) == [f"{i}.json" for i in ids]
    receivers.append(Receiver(port))
    assert sink.flush(15)
    time.sleep(0.5)  # nothing arrives twice afterwards
    assert receivers[0].received == Counter(ids)
    assert sorted(receivers[0].keys) == ids
    assert _outbox_files(sink) == []
    sink.close()


def test_a_5xx_answer_is_retried_and_the_result_arrives_once(
    tmp_path: Path, port: int, receivers: list[Receiver]
) -> None:
    receivers.append(Receiver(port, fail_first=2))
    sink = WebhookSink(f"http://127.0.0.1:{port}/runs", outbox_dir=tmp_path)
    sink.write(make_result("r503"))
    assert sink.flush(15)
    assert receivers[0].received == Counter(["r503"])
    sink.close()


def test_pending_results_of_a_stopped_sink_are_sent_by_the_next_one(
    tmp_path: Path, port: int, receivers: list[Receiver], caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{port}/runs"
    first = WebhookSink(url, outbox_dir=tmp_path, max_attempts=2)
    for i in range(3):
        first.write(make_result(f"old-{i}"))
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        assert not first.flush(10)  # returns once it gave up (after 2 refused tries)
    assert "still failing after 2 attempts; 3 result(s) stay in" in caplog.text
    first.close()  # as if the process ended while the endpoint was down
    assert len(_outbox_files(first)) == 3
    receivers.append(Receiver(port))
    second = WebhookSink(url, outbox_dir=tmp_path)  # the next run
    second.write(make_result("new"))
    assert second.flush(15)
    assert receivers[0].received == Counter(["old-0", "old-1", "old-2", "new"])
    assert _outbox_files(second) == []
    second.close()


CHILD = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from typing import Any
from test_sinks import make_result
from wattprint.sinks.webhook import WebhookSink
sink = WebhookSink({url!r}, outbox_dir=Path({outbox!r}))
sink.write(make_result("from-a-dead-process"))
print(f"{{time.monotonic():.6f}}", flush=True)
"""


def test_results_of_an_ended_process_are_sent_at_the_next_run(
    tmp_path: Path, port: int, receivers: list[Receiver]
) -> None:
    url = f"http://127.0.0.1:{port}/runs"
    code = CHILD.format(tests=str(Path(__file__).parent), url=url, outbox=str(tmp_path))
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    exit_wait_s = time.monotonic() - float(child.stdout)
    assert exit_wait_s < 5  # the exit flush is bounded (one refused try, then exit)
    receivers.append(Receiver(port))
    sink = WebhookSink(url, outbox_dir=tmp_path)
    assert sink.flush(15)
    assert receivers[0].received == Counter(["from-a-dead-process"])
    sink.close()


def test_host_details_are_not_sent_unless_asked(
    tmp_path: Path, port: int, receivers: list[Receiver]
) -> None:
    receivers.append(Receiver(port))
    url = f"http://127.0.0.1:{port}/runs"
    sink = WebhookSink(url, outbox_dir=tmp_path)
    sink.write(make_result("private"))
    assert sink.flush(15)
    sent = json.loads(receivers[0].bodies[0])
    assert "host" not in sent
    assert CPU_MODEL.encode() not in receivers[0].bodies[0]
    assert HOSTNAME.encode() not in receivers[0].bodies[0]
    assert socket.gethostname().encode() not in receivers[0].bodies[0]
    assert sent["schema"] == SCHEMA and sent["methodology"]["components"][0]["method"] == "rapl"
    sink.close()
    with_host = WebhookSink(url, outbox_dir=tmp_path, include_host=True)
    with_host.write(make_result("shared"))
    assert with_host.flush(15)
    assert json.loads(receivers[0].bodies[1])["host"]["hostname"] == HOSTNAME
    with_host.close()
    assert json.loads(payload_of(make_result()))["run_id"] == "run-1"


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [
        ({"url": "ftp://example.org/x"}, "'ftp://example.org/x'"),
        ({"url": "http://"}, "'http://'"),
        ({"url": "http://127.0.0.1:99999/"}, "'http://127.0.0.1:99999/'"),
        ({"url": "http://h/", "timeout_s": 0}, "timeout_s=0"),
        ({"url": "http://h/", "max_attempts": 0}, "max_attempts=0"),
    ],
)
def test_bad_webhook_arguments_name_the_value(
    tmp_path: Path, kwargs: dict[str, object], shown: str
) -> None:
    with pytest.raises(ConfigError, match="invalid") as info:
        WebhookSink(outbox_dir=tmp_path, **kwargs)  # type: ignore[arg-type]
    assert shown in str(info.value)


# -- webhook in memory: Retry-After, driven by a fake clock ---------------------------


class Endpoint:
    """A MockTransport handler: scripted answers first, then 204; each POST kept with its time."""

    def __init__(self, clock: FakeClock, *answers: Response) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.posts: list[tuple[float, Request]] = []
        self.cond = threading.Condition()

    def __call__(self, sent: Request) -> Response:
        with self.cond:
            self.posts.append((self.clock.monotonic_s(), sent))
            self.cond.notify_all()
            return self.answers.pop(0) if self.answers else Response(204)

    def until(self, count: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.posts) >= count, timeout=10)


class Waits:
    """The sink's wait seam: records each wait asked for, then waits on the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.asked_s: list[float] = []
        self.cond = threading.Condition()

    def __call__(self, condition: threading.Condition, timeout_s: float) -> None:
        with self.cond:
            self.asked_s.append(timeout_s)
            self.cond.notify_all()
        self.clock.wait(condition, timeout_s)

    def until(self, wait_s: float) -> None:
        """Return once the sender asked to wait ``wait_s`` (it is then waiting, or about to)."""
        with self.cond:
            assert self.cond.wait_for(lambda: wait_s in self.asked_s, timeout=10)

    def since(self, count: int) -> set[float]:
        """Return the waits asked for after the first ``count`` ones."""
        with self.cond:
            return set(self.asked_s[count:])


def in_memory_sink(
    tmp_path: Path, *answers: Response
) -> tuple[WebhookSink, Endpoint, Waits, FakeClock]:
    clock = FakeClock()
    endpoint, waits = Endpoint(clock, *answers), Waits(clock)
    sink = WebhookSink(
        "https://hooks.example.org/runs",
        outbox_dir=tmp_path,
        clock=clock.monotonic_s,
        wall_clock=clock.wall_s,
        wait=waits,
        transport=MockTransport(endpoint),
    )
    return sink, endpoint, waits, clock


@pytest.mark.parametrize(
    ("status", "header"),
    [(429, "120"), (503, "120"), (503, "Wed, 01 May 2024 12:02:00 GMT")],  # the clock: 12:00:00
)
def test_retry_after_sets_the_wait_and_the_result_arrives_once(
    tmp_path: Path, status: int, header: str
) -> None:
    busy = Response(status, b"slow down", {"retry-after": header})
    sink, endpoint, waits, clock = in_memory_sink(tmp_path, busy)
    sink.write(make_result("r-busy"))
    waits.until(120.0)
    assert waits.since(0) == {120.0}  # not the own first backoff of 0.5 s
    clock.advance(119.0)
    waits.until(1.0)  # woke, still 1 s to go
    assert waits.since(0) == {120.0, 1.0} and len(endpoint.posts) == 1
    clock.advance(1.0)
    endpoint.until(2)
    assert sink.flush(10)
    (t0, first), (t1, second) = endpoint.posts
    assert t1 - t0 == 120.0
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == "r-busy"
    assert first.body == second.body and json.loads(second.body or b"")["run_id"] == "r-busy"
    assert _outbox_files(sink) == []
    sink.close()


@pytest.mark.parametrize(
    ("status", "header", "first_wait_s"),
    [
        (429, "86400", 300.0),  # bounded
        (503, "999999999999999999999999999999", 300.0),
        (429, "-5", 0.5),  # not a Retry-After: the own backoff
        (503, "soon", 0.5),
        (500, "120", 0.5),  # only 429 and 503 are read
        (429, None, 0.5),
    ],
)
def test_retry_after_is_bounded_and_read_only_where_it_means_something(
    tmp_path: Path, status: int, header: str | None, first_wait_s: float
) -> None:
    headers = {} if header is None else {"retry-after": header}
    sink, endpoint, waits, clock = in_memory_sink(tmp_path, Response(status, b"", headers))
    sink.write(make_result("r-bound"))
    waits.until(first_wait_s)
    assert waits.since(0) == {first_wait_s} and len(endpoint.posts) == 1
    clock.advance(first_wait_s)
    endpoint.until(2)
    assert sink.flush(10)
    assert [t for t, _ in endpoint.posts] == [1000.0, 1000.0 + first_wait_s]
    sink.close()


def test_a_retry_after_date_already_past_retries_at_once(tmp_path: Path) -> None:
    past = Response(503, b"", {"retry-after": "Wed, 01 May 2024 11:00:00 GMT"})
    sink, endpoint, waits, _clock = in_memory_sink(tmp_path, past)
    sink.write(make_result("r-past"))
    endpoint.until(2)
    assert waits.asked_s == []  # no wait at all, and none negative
    assert endpoint.posts[0][0] == endpoint.posts[1][0]
    assert sink.flush(10)
    sink.close()


def test_a_flush_does_not_cut_a_retry_after_wait_short(tmp_path: Path) -> None:
    sink, endpoint, waits, clock = in_memory_sink(
        tmp_path, Response(429, b"", {"retry-after": "60"})
    )
    sink.write(make_result("r-patient"))
    waits.until(60.0)
    asked = len(waits.asked_s)
    assert not sink.flush(0)  # wakes the sender, which goes back to waiting
    with waits.cond:
        assert waits.cond.wait_for(lambda: len(waits.asked_s) > asked, timeout=10)
    assert waits.since(0) == {60.0} and len(endpoint.posts) == 1
    clock.advance(60.0)
    endpoint.until(2)
    assert sink.flush(10)
    sink.close()


def test_a_refused_result_is_not_retried_and_stays_in_the_outbox(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink, endpoint, waits, _clock = in_memory_sink(tmp_path, Response(400, b"bad schema"))
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        sink.write(make_result("r-refused"))
        endpoint.until(1)
        assert sink.flush(10)  # nothing left to send in this process
    assert len(endpoint.posts) == 1 and 0.5 not in waits.asked_s
    assert "HTTP 400 bad schema" in caplog.text
    assert "https://hooks.example.org/runs" in caplog.text
    assert _outbox_files(sink) == ["r-refused.json"]
    sink.close()


def test_a_timeout_is_retried_with_the_own_backoff(tmp_path: Path) -> None:
    clock = FakeClock()
    endpoint = Endpoint(clock)
    calls: list[int] = []

    def hang_once(sent: Request) -> Response:
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("timed out")
        return endpoint(sent)

    waits = Waits(clock)
    sink = WebhookSink(
        "https://hooks.example.org/runs",
        outbox_dir=tmp_path,
        clock=clock.monotonic_s,
        wall_clock=clock.wall_s,
        wait=waits,
        transport=MockTransport(hang_once),
    )
    sink.write(make_result("r-hang"))
    waits.until(0.5)
    assert waits.since(0) == {0.5}
    clock.advance(0.5)
    endpoint.until(1)
    assert sink.flush(10)
    assert [r.headers["Idempotency-Key"] for _, r in endpoint.posts] == ["r-hang"]
    sink.close()

"""Ingest latency of the team server: N concurrent reporting runs for S seconds.

The server runs as ``wattprint serve --db URL --workers W`` in processes of
its own (PostgreSQL by default, in a schema made here and dropped at the
end; ``--db sqlite`` for a SQLite file). This process is only the load: one
thread per reporting run, each with its own keep-alive HTTP connection
(the standard library's ``http.client``: httpx costs this machine 1.2 ms
(sync) to 1.8 ms (async) of CPU a request against 0.4 ms, CPU the server
would lose, as the load shares the cores with it) and its own project
token (so the default rate limit of a token applies, unchanged, unhit).

What "N concurrent reporting runs" means here: each run is a CodeCarbon run
(``POST /runs`` once, then ``POST /emissions``) and a wattprint run (native
``POST /v1/ingest`` checkpoints; the body is a real ``ServerSink``
checkpoint captured from a one-second ``Tracker`` run, methodology and
bounds included, about 4 KB, its figures rescaled per message). Every
``--interval`` seconds each run sends one emission, then one checkpoint.
Open loop: the schedule does not wait for a slow answer, and an emission is
timed from when it was due, so a late send counts its lateness. The default
interval, 1 s, is 120 times CodeCarbon's default upload pace (every 8
measurements of 15 s) and the pace of wattprint's sink at ``checkpoint_s=1``.
``--interval 0`` sends back to back as fast as the server answers (closed
loop, a saturation test: its latency is mostly the queue, runs / throughput).
The first ``--warmup`` seconds are not timed (their requests are checked).

It prints p50/p95/p99 per kind, the p95 of each 10 s, the throughput, the
CPU time per request of the server's processes, PostgreSQL's and this one,
and the check that nothing acknowledged is lost and nothing is stored
twice: per run, the stored samples and the run's summed energy against what
the server acknowledged; then every native checkpoint is sent a second time
(as the outbox resends) and none may be stored again. Target: p95 < 50 ms
with 50 runs for 60 s on PostgreSQL on this 2-core machine.

    PYTHONPATH=src python benchmarks/server_ingest.py [--db URL|sqlite] [--runs 50]
        [--seconds 60] [--warmup 5] [--interval 1.0] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ADMIN = "bench-admin-" + uuid.uuid4().hex
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: str, schema: str | None, workers: int, log: Path) -> tuple[Any, str]:
    """Start ``wattprint serve`` in its own process group; return it and its base URL."""
    port = free_port()
    env = {**os.environ, "WATTPRINT_SERVER_ADMIN_TOKEN": ADMIN,
           "PYTHONPATH": os.pathsep.join(filter(None, ["src", os.environ.get("PYTHONPATH")]))}
    if schema:
        env["WATTPRINT_SERVER_DB_SCHEMA"] = schema
    cmd = [sys.executable, "-m", "wattprint", "serve", "--db", db, "--port", str(port),
           "--workers", str(workers)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise SystemExit(f"the server did not answer in 60 s:\n{log.read_text()}")


def stop_server(proc: Any) -> None:
    """Stop the server and its workers (SIGTERM to its process group, then SIGKILL)."""
    import signal

    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def checkpoint_template() -> dict[str, Any]:
    """Return a real ServerSink checkpoint body, from a one-second Tracker run."""
    from wattprint.sinks.server import ServerSink
    from wattprint.tracking.tracker import Tracker

    bodies: list[dict[str, Any]] = []

    class Capture(ServerSink):
        def _put(self, run_id: str, seq: int, body: dict[str, Any]) -> None:
            bodies.append(body)

    with tempfile.TemporaryDirectory() as tmp:
        sink = Capture("http://127.0.0.1:9", "unused", outbox_dir=Path(tmp))
        tracker = Tracker(save_to_file=False, interval_s=0.1, checkpoint_s=0.3, country="FRA",
                          observers=[sink], env={"HOME": tmp}, handle_signals=False)  # fmt: skip
        tracker.start()
        time.sleep(1.0)
        tracker.stop()
        sink.close()
    found = [b for b in bodies if b["kind"] == "checkpoint" and "sample" in b]
    if not found:
        raise SystemExit("no checkpoint was captured from the tracker")
    return found[-1]


@dataclass
class Reporter:
    """One reporting run: its token, its CodeCarbon run, its wattprint run, what it got."""

    token: str
    cc_run: str
    native_run: str = field(default_factory=lambda: str(uuid.uuid4()))
    cc_acked: int = 0
    cc_energy: float = 0.0
    native_acked: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def setup(base: str, runs: int) -> list[Reporter]:
    """Make an organisation, a project, an experiment, and one token and run per reporter."""
    h = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=base, headers=h, timeout=30) as c:
        org = c.post("/organizations", json={"name": "bench", "description": ""}).json()["id"]
        pid = c.post("/projects", json={"name": "bench", "description": "",
                                         "organization_id": org}).json()["id"]  # fmt: skip
        exp = c.post("/experiments", json={"name": "cc", "description": "",
                                           "project_id": pid}).json()["id"]  # fmt: skip
        reporters = []
        for _ in range(runs):
            token = c.post(f"/projects/{pid}/api-tokens", json={"access": 3}).json()["token"]
            run = c.post("/runs", headers={"x-api-token": token},
                         json={"timestamp": dt.datetime.now().isoformat(), "experiment_id": exp,
                               "os": "Linux", "python_version": "3.11.7",
                               "codecarbon_version": "3.3.2", "cpu_count": 2,
                               "cpu_model": "AMD EPYC", "tracking_mode": "machine"})  # fmt: skip
            if run.status_code != 201:
                raise SystemExit(f"POST /runs failed: {run.status_code} {run.text}")
            reporters.append(Reporter(token=token, cc_run=run.json()["id"]))
    return reporters


def emission(run_id: str, n: int) -> dict[str, Any]:
    """Return CodeCarbon 3.3.2's ``POST /emissions`` body: the delta since its last upload."""
    energy = 1e-5 * (1 + n % 7)
    return {"timestamp": dt.datetime.now(dt.timezone.utc).isoformat(), "run_id": run_id,
            "duration": 1, "emissions_sum": energy * 0.056, "emissions_rate": energy * 0.056,
            "cpu_power": 20.0, "gpu_power": 0.0, "ram_power": 5.0, "cpu_energy": energy * 0.8,
            "gpu_energy": 0.0, "ram_energy": energy * 0.2, "energy_consumed": energy,
            "cpu_utilization_percent": 50.0, "gpu_utilization_percent": 0.0,
            "ram_utilization_percent": 30.0, "wue": 0.0}  # fmt: skip


def _scaled(figures: dict[str, Any], factor: float) -> dict[str, Any]:
    """Return ``figures`` with every energy, emissions and water figure times ``factor``."""
    return {k: v * factor if isinstance(v, float) and k.endswith(("_kwh", "_kg", "_l", "_low",
                                                                   "_high")) else v
            for k, v in figures.items()}  # fmt: skip


def checkpoint(template: dict[str, Any], r: Reporter, seq: int, started: str) -> dict[str, Any]:
    """Return the template checkpoint as checkpoint ``seq`` of ``r``'s run.

    Its figures are scaled as a whole (bounds and components with them, so
    the body stays valid): the run's to ``seq`` x 6e-6 kWh, the interval's
    to 2e-6 to 1e-5 kWh.
    """
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    run = _scaled(template["run"], seq * 6e-6 / template["run"]["energy_kwh"])
    run.update(ended_at=now, duration_s=float(seq))
    sample = _scaled(template["sample"], 2e-6 * (1 + seq % 5) / template["sample"]["energy_kwh"])
    sample.update(timestamp=now, duration_s=1.0)
    return {**template, "seq": seq, "run_id": r.native_run, "experiment": "native",
            "started_at": started, "run": run, "sample": sample}  # fmt: skip


class Client:
    """One keep-alive HTTP/1.1 connection (the standard library's: light on the shared cores)."""

    def __init__(self, base: str, token: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.headers = {"content-type": "application/json", "x-api-token": token}

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        """POST ``body`` as JSON; return the status and the answer's body."""
        try:
            self.conn.request("POST", path, body=json.dumps(body).encode(), headers=self.headers)
            answer = self.conn.getresponse()
            return answer.status, answer.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnects at the next request
            raise


def report(
    base: str, r: Reporter, template: dict[str, Any], interval_s: float, start_at: float,
    stop_at: float, times: list[tuple[float, str, float]],
) -> None:  # fmt: skip
    """Send one run's uploads until ``stop_at``, on schedule (or back to back at interval 0).

    Each latency is timed from when the request was due, so a send that
    starts late (a busy client) counts its lateness too.
    """
    started = dt.datetime.now(dt.timezone.utc).isoformat()
    client = Client(base, r.token)
    due = start_at + interval_s * (uuid.UUID(r.native_run).int % 1000) / 1000  # spread starts
    seq = 0
    while due < stop_at:
        if interval_s > 0:
            time.sleep(max(0.0, due - time.monotonic()))
        else:
            due = time.monotonic()
        seq += 1
        body = emission(r.cc_run, seq)
        try:
            status, text = client.post("/emissions", body)
            if status == 201:
                r.cc_acked += 1
                r.cc_energy += body["energy_consumed"]
            else:
                r.errors.append(f"/emissions {status} {text[:200]!r}")
        except (OSError, http.client.HTTPException) as err:
            r.errors.append(f"/emissions {err!r}")
        t1 = time.monotonic()
        times.append((due, "codecarbon", t1 - due))
        msg = checkpoint(template, r, seq, started)
        try:
            status, text = client.post("/v1/ingest", msg)
            if status == 200:
                r.native_acked.append(msg)
            else:
                r.errors.append(f"/v1/ingest {status} {text[:200]!r}")
        except (OSError, http.client.HTTPException) as err:
            r.errors.append(f"/v1/ingest {err!r}")
        times.append((t1, "native", time.monotonic() - t1))
        due += interval_s
    client.conn.close()


def resend(base: str, reporters: list[Reporter]) -> int:
    """Send every acknowledged native checkpoint again; return how many were stored again."""
    stored_again = 0
    for r in reporters:
        client = Client(base, r.token)
        for msg in r.native_acked:
            status, text = client.post("/v1/ingest", msg)
            stored_again += bool(status == 200 and json.loads(text)["stored"])
        client.conn.close()
    return stored_again


def check(db: str, schema: str | None, reporters: list[Reporter]) -> tuple[int, int]:
    """Return (lost, doubled): acknowledged but not stored, and stored more than once."""
    from sqlalchemy import bindparam, create_engine, text

    args = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
    engine = create_engine(db, **args)
    query = text("SELECT r.id, count(s.id), coalesce(sum(s.energy_kwh), 0), r.energy_kwh "
                 "FROM runs r LEFT JOIN samples s ON s.run_id = r.id "
                 "WHERE r.id IN :ids GROUP BY r.id, r.energy_kwh"
                 ).bindparams(bindparam("ids", expanding=True))  # fmt: skip
    from wattprint.server.store import run_key

    ids = [r.cc_run for r in reporters] + [run_key(r.native_run) for r in reporters]
    with engine.connect() as conn:
        stored = {row[0]: row[1:] for row in conn.execute(query, {"ids": ids})}
    engine.dispose()
    lost = doubled = 0
    for r in reporters:
        count, energy, run_energy = stored.get(r.cc_run, (0, 0.0, 0.0))
        lost += max(0, r.cc_acked - count)
        doubled += max(0, count - r.cc_acked)
        if abs(run_energy - r.cc_energy) > 1e-9 * max(1.0, r.cc_energy) + 1e-15:
            print(f"  run {r.cc_run}: run total {run_energy} kWh, acknowledged {r.cc_energy}")
        count, energy, _ = stored.get(run_key(r.native_run), (0, 0.0, 0.0))
        want = len(r.native_acked)
        lost += max(0, want - count)
        doubled += max(0, count - want)
        sent_energy = sum(m["sample"]["energy_kwh"] for m in r.native_acked)
        if abs(energy - sent_energy) > 1e-9 * max(1.0, sent_energy) + 1e-15:
            print(f"  run {r.native_run}: samples hold {energy} kWh, acknowledged {sent_energy}")
    return lost, doubled


def cpu_s(proc: Any) -> dict[str, float]:
    """Return CPU seconds (user + system) so far of the server's processes, PostgreSQL's, ours."""
    import psutil

    def used(p: Any) -> float:
        try:
            t = p.cpu_times()
            return float(t.user + t.system)
        except psutil.Error:
            return 0.0

    server = psutil.Process(proc.pid)
    tree = [server, *server.children(recursive=True)]
    pg = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]
    me = os.times()
    return {"server": sum(map(used, tree)), "postgres": sum(map(used, pg)),
            "client": me.user + me.system}  # fmt: skip


def load_note() -> str:
    """Return the machine's load averages and core count, to print beside the figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def percentiles(values: list[float]) -> str:
    """Return "p50 / p95 / p99 / max" of latencies in seconds, written in ms."""
    if len(values) < 2:
        return "too few requests"
    q = statistics.quantiles(values, n=100)
    return (f"p50 {q[49] * 1e3:6.1f} ms  p95 {q[94] * 1e3:6.1f} ms  p99 {q[98] * 1e3:6.1f} ms  "
            f"max {max(values) * 1e3:6.1f} ms")  # fmt: skip


def run_load(args: argparse.Namespace, base: str, proc: Any, template: dict[str, Any],
             reporters: list[Reporter]) -> dict[str, Any]:  # fmt: skip
    """Run the reporters' threads through the warm-up and the measured time; return figures."""
    times: list[tuple[float, str, float]] = []
    start_at = time.monotonic() + 0.5
    measured_from = start_at + args.warmup
    stop_at = measured_from + args.seconds
    threads = [
        threading.Thread(
            target=report, args=(base, r, template, args.interval, start_at, stop_at, times)
        )
        for r in reporters
    ]
    for t in threads:
        t.start()
    time.sleep(max(0.0, measured_from - time.monotonic()))
    cpu0, before = cpu_s(proc), load_note()
    time.sleep(max(0.0, stop_at - time.monotonic()))
    cpu1, after = cpu_s(proc), load_note()
    for t in threads:
        t.join()
    return {"times": times, "from": measured_from, "to": stop_at, "cpu0": cpu0, "cpu1": cpu1,
            "load": f"before: {before}; after: {after}"}  # fmt: skip


def main() -> None:
    """Parse the arguments, start the server, run the load, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=PG, help="database URL, or 'sqlite' (default: the test "
                    "PostgreSQL, in a schema made and dropped here)")  # fmt: skip
    ap.add_argument("--runs", type=int, default=50, help="concurrent reporting runs")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured time (s)")
    ap.add_argument("--warmup", type=float, default=5.0,
                    help="load before the measured time, not timed (s); its requests are "
                         "checked for loss like the others")  # fmt: skip
    ap.add_argument("--interval", type=float, default=1.0,
                    help="seconds between a run's uploads; 0: back to back")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="server worker processes (default: one per core)")
    args = ap.parse_args()
    schema = f"wp_bench_{uuid.uuid4().hex[:8]}" if args.db.startswith("postgresql") else None
    template = checkpoint_template()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.sqlite3" if args.db == "sqlite" else args.db
        proc, base = start_server(db, schema, args.workers, Path(tmp) / "server.log")
        try:
            reporters = setup(base, args.runs)
            got = run_load(args, base, proc, template, reporters)
            stored_again = resend(base, reporters)
            lost, doubled = check(db, schema, reporters)
            log = (Path(tmp) / "server.log").read_text(errors="replace")
        finally:
            stop_server(proc)
            if schema:
                from sqlalchemy import create_engine, text

                engine = create_engine(args.db)
                with engine.begin() as conn:  # the name is made above from hex digits
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                engine.dispose()
    pace = f"every {args.interval:g} s" if args.interval > 0 else "back to back"
    print(f"{args.runs} runs, each posting one /emissions and one /v1/ingest {pace}; "
          f"{args.seconds:.0f} s measured after {args.warmup:.0f} s of warm-up; server: "
          f"{args.workers} worker(s) on {db.split(':')[0]}")  # fmt: skip
    print(f"  {got['load']} (load averages 1/5/15 min)")
    measured = [(kind, lat) for at, kind, lat in got["times"] if got["from"] <= at < got["to"]]
    for kind in ("codecarbon", "native"):
        values = [lat for k, lat in measured if k == kind]
        print(f"  {kind:10s} {len(values):7d} requests  {percentiles(values)}")
    warm = [lat for at, _, lat in got["times"] if at < got["from"]]
    print(f"  warm-up    {len(warm):7d} requests  {percentiles(warm)}")
    windows = []
    for w0 in range(0, int(args.seconds), 10):
        xs = [lat for at, _, lat in got["times"] if w0 <= at - got["from"] < w0 + 10]
        if len(xs) > 1:
            windows.append(f"{statistics.quantiles(xs, n=20)[18] * 1e3:.0f}")
    print(f"  p95 of each 10 s (ms): {' '.join(windows)}")
    total, cpu0, cpu1 = len(measured), got["cpu0"], got["cpu1"]
    print(f"  throughput {total / args.seconds:.0f} requests/s; CPU per request: " + ", ".join(
        f"{k} {(cpu1[k] - cpu0[k]) / max(total, 1) * 1e3:.2f} ms" for k in cpu0))
    errors = [e for r in reporters for e in r.errors]
    print(f"  errors {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(f"  lost {lost}, stored twice {doubled}; every native checkpoint sent again "
          f"({sum(len(r.native_acked) for r in reporters)}): stored again {stored_again}")
    if "Traceback" in log:
        print("  the server logged errors:\n" + log[-3000:])


if __name__ == "__main__":
    main()

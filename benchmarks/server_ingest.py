"""Ingest latency of the team server: N concurrent reporting runs for S seconds.

Starts ``wattprint serve``'s app under uvicorn on a free loopback port (PostgreSQL
by default, in a schema of its own), makes one project token, then N threads
each create a CodeCarbon run and post ``/emissions`` and native ``/v1/ingest``
checkpoints in turn as fast as the server answers. Prints p50/p95/p99 per
kind and checks that the stored count equals the count sent (none lost or
doubled). Target: p95 < 50 ms with 50 runs for 60 s on this machine.

    python benchmarks/server_ingest.py [--db URL] [--runs 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import statistics
import threading
import time
import uuid

import httpx
import uvicorn

from wattprint.server import create_app
from wattprint.server.config import ServerSettings

ADMIN = "bench-admin"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    schema = f"wp_bench_{uuid.uuid4().hex[:8]}" if args.db.startswith("postgresql") else None
    app = create_app(ServerSettings(db_url=args.db, db_schema=schema, admin_token=ADMIN,
                                    rate_per_s=1e6, rate_burst=10**6, pool_size=args.runs))
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    h = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=base, headers=h) as c:
        org = c.post("/organizations", json={"name": "bench", "description": ""}).json()["id"]
        pid = c.post("/projects", json={"name": "bench", "description": "",
                                         "organization_id": org}).json()["id"]
        exp = c.post("/experiments", json={"name": "e", "description": "",
                                           "project_id": pid}).json()["id"]
        token = c.post(f"/projects/{pid}/api-tokens", json={"access": 3}).json()["token"]
    times: dict[str, list[float]] = {"codecarbon": [], "native": []}
    sent = {"codecarbon": 0, "native": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def worker() -> None:
        with httpx.Client(base_url=base, headers={"x-api-token": token}, timeout=10) as c:
            run_id = c.post("/runs", json={"timestamp": dt.datetime.now().isoformat(),
                                           "experiment_id": exp}).json()["id"]
            native = str(uuid.uuid4())
            seq = 0
            while time.monotonic() < stop_at:
                seq += 1
                now = dt.datetime.now(dt.timezone.utc).isoformat()
                t0 = time.perf_counter()
                r = c.post("/emissions", json={
                    "timestamp": now, "run_id": run_id, "duration": 1, "emissions_sum": 1e-6,
                    "emissions_rate": 1e-6, "cpu_power": 10, "gpu_power": 0, "ram_power": 2,
                    "cpu_energy": 1e-5, "gpu_energy": 0, "ram_energy": 1e-6,
                    "energy_consumed": 1.1e-5})
                t1 = time.perf_counter()
                r2 = c.post("/v1/ingest", json={
                    "kind": "checkpoint", "run_id": native, "seq": seq, "experiment": "native",
                    "started_at": now, "run": {"energy_kwh": seq * 1e-5},
                    "sample": {"timestamp": now, "duration_s": 1, "energy_kwh": 1e-5}})
                t2 = time.perf_counter()
                assert r.status_code == 201 and r2.status_code == 200, (r.text, r2.text)
                with lock:
                    times["codecarbon"].append(t1 - t0)
                    times["native"].append(t2 - t1)
                    sent["codecarbon"] += 1
                    sent["native"] += 1

    threads = [threading.Thread(target=worker) for _ in range(args.runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with httpx.Client(base_url=base, headers=h) as c:
        stored = c.get(f"/projects/{pid}/sums").json()["emissions_count"]
    print(f"{args.runs} runs for {args.seconds:.0f} s on {args.db.split(':')[0]}")
    for kind, values in times.items():
        q = statistics.quantiles(values, n=100)
        print(f"  {kind:10s} {len(values):6d} requests  p50 {q[49]*1e3:6.1f} ms  "
              f"p95 {q[94]*1e3:6.1f} ms  p99 {q[98]*1e3:6.1f} ms")
    total_sent = sent["codecarbon"] + sent["native"]
    lost = total_sent - stored
    print(f"  stored {stored} samples of {total_sent} sent (lost or doubled: {lost})")
    server.should_exit = True
    if schema:
        from sqlalchemy import text

        with app.state.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()

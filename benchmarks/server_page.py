"""Server time of the dashboard and the sums on a big project: 10,000 runs, 1,000,000 samples.

Loads, into a PostgreSQL schema of its own, one organisation with a project
of ``--runs`` runs (20 experiments; 70 % wattprint, 30 % CodeCarbon; a few
countries and cloud regions; some multi-node groups; started over the last
80 days) and ``--samples`` samples spread evenly over them (one a minute of
each run). The runs and the experiments are written with COPY; the samples
are made by PostgreSQL itself (``INSERT ... SELECT`` over
``generate_series``), and each run's totals are then set to the sums of
its samples, as ingest keeps them. A small second project sits beside it.
Loading 1,000,000 samples takes about a minute here.

Then it times, in this process through the app (ASGI, no network, so the
figure is the server's time: routing, queries, the template), each of:
the project page (``/ui/projects/{id}``), the organisation page, the runs
export, CodeCarbon's ``/api/projects/{id}/sums``, ``/api/organizations/{id}/sums``
and ``/api/projects/{id}/experiments/sums``. It prints the median and the
slowest of ``--repeats`` requests after one untimed request each, and with
``--explain`` the SQL of the project page by time spent. Target: the
project page in under 300 ms on PostgreSQL.

    PYTHONPATH=src python benchmarks/server_page.py [--runs 10000] [--samples 1000000]
        [--schema NAME --keep] [--repeats 10] [--explain]

``--keep`` leaves the schema (default: it is dropped at the end); with
``--schema NAME`` of a schema left by ``--keep``, the load is skipped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, event, text

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN = "bench-admin-" + uuid.uuid4().hex
EXPERIMENTS = 20
PLACES = (
    ("FRA", None, None), ("DEU", None, None), ("USA", "us-east-1", "aws"),
    ("IRL", "europe-west1", "gcp"), ("SWE", None, None), ("IND", "ap-south-1", "aws"),
)  # fmt: skip
"""(country, cloud region, provider) of the runs, in turn."""


def _copy(conn: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY ``rows`` into ``table`` (psycopg 3's COPY FROM STDIN)."""
    with conn.cursor() as cur:
        names = ", ".join(columns)  # fixed names from this file, never from input
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def load(engine: Engine, runs: int, samples: int) -> tuple[str, str]:
    """Fill the (migrated, empty) schema; return the organisation's and the project's ids."""
    now = datetime.now(timezone.utc)
    org, project, other = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    experiments = [str(uuid.uuid4()) for _ in range(EXPERIMENTS + 1)]
    per_run = max(1, samples // runs)
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        _copy(conn, "organisations", ["id", "name", "description", "created_at"],
              [(org, "bench org", "", now)])  # fmt: skip
        _copy(conn, "projects", ["id", "organisation_id", "name", "description", "public",
                                 "created_at"],
              [(project, org, "big project", "", False, now),
               (other, org, "small project", "", False, now)])  # fmt: skip
        _copy(conn, "experiments", ["id", "project_id", "name", "description", "timestamp",
                                    "on_cloud"],
              [(e, project if i < EXPERIMENTS else other, f"experiment {i:02d}", "", now, False)
               for i, e in enumerate(experiments)])  # fmt: skip
        rows = []
        for i in range(runs + 10):
            big = i < runs
            country, region, provider = PLACES[i % len(PLACES)]
            start = now - timedelta(minutes=(i * 80 * 1440) // (runs + 10) + 120)
            group = f"job-{i // 4}" if i % 20 < 4 else None
            status = "crashed" if i % 97 == 0 else "completed"
            source = "codecarbon" if i % 10 < 3 else "wattprint"
            rows.append((
                str(uuid.UUID(int=i + 1)), experiments[i % EXPERIMENTS if big else EXPERIMENTS],
                project if big else other, source, start, start, status, f"host-{i % 37}",
                country, region, provider, group, (i % 4) if group else None, -1,
                100.0 + i % 50, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0,
            ))  # fmt: skip
        _copy(conn, "runs", ["id", "experiment_id", "project_id", "source", "timestamp",
                             "last_seen_at", "status", "hostname", "country_iso_code", "region",
                             "provider", "run_group", "rank", "last_seq",
                             "intensity_g_per_kwh", "duration_s", "energy_kwh", "cpu_energy_kwh",
                             "gpu_energy_kwh", "ram_energy_kwh", "emissions_kg", "water_l",
                             "embodied_kg", "samples_count"], rows)  # fmt: skip
        with conn.cursor() as cur:
            # one sample a minute for each run; energies vary by run and by minute
            cur.execute(
                "INSERT INTO samples (id, run_id, seq, timestamp, received_at, duration_s,"
                " energy_kwh, cpu_energy_kwh, gpu_energy_kwh, ram_energy_kwh, emissions_kg,"
                " emissions_rate, cpu_power_w, gpu_power_w, ram_power_w, wue, water_l,"
                " intensity_g_per_kwh)"
                " SELECT gen_random_uuid()::text, r.id, g.n,"
                "  r.timestamp + g.n * interval '1 minute', r.timestamp + g.n * interval"
                "  '1 minute', 60.0, e.kwh, e.kwh * 0.5, e.kwh * 0.4, e.kwh * 0.1,"
                "  e.kwh * r.intensity_g_per_kwh / 1000.0,"
                "  e.kwh * r.intensity_g_per_kwh / 1000.0 / 60.0, e.kwh * 0.5 * 3.6e6 / 60,"
                "  e.kwh * 0.4 * 3.6e6 / 60, e.kwh * 0.1 * 3.6e6 / 60, 0.0, e.kwh * 1.5,"
                "  r.intensity_g_per_kwh"
                " FROM runs r CROSS JOIN generate_series(1, %(per_run)s) AS g(n)"
                " CROSS JOIN LATERAL (SELECT (0.001 + (hashtext(r.id) & 1023) * 1e-6"
                "  + (g.n %% 7) * 1e-4) AS kwh) AS e"
                " WHERE r.project_id = %(project)s",
                {"per_run": per_run, "project": project},
            )
            cur.execute(
                "UPDATE runs SET duration_s = s.seconds, energy_kwh = s.kwh,"
                " cpu_energy_kwh = s.cpu, gpu_energy_kwh = s.gpu, ram_energy_kwh = s.ram,"
                " emissions_kg = s.kg, water_l = s.water, samples_count = s.n,"
                " ended_at = s.last, last_seen_at = s.last, last_seq = s.n"
                " FROM (SELECT run_id, sum(duration_s) AS seconds, sum(energy_kwh) AS kwh,"
                "  sum(cpu_energy_kwh) AS cpu, sum(gpu_energy_kwh) AS gpu,"
                "  sum(ram_energy_kwh) AS ram, sum(emissions_kg) AS kg, sum(water_l) AS water,"
                "  count(*) AS n, max(timestamp) AS last FROM samples GROUP BY run_id) AS s"
                " WHERE s.run_id = runs.id"
            )
            cur.execute("ANALYZE")
        conn.commit()
    finally:
        raw.close()
    return org, project


def _timer(engine: Engine) -> dict[str, list[float]]:
    """Record the time of each SQL statement run on ``engine``, by statement. Units: s."""
    spent: dict[str, list[float]] = defaultdict(list)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("t0", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        spent[statement].append(time.perf_counter() - conn.info["t0"].pop())

    return spent


def main() -> None:
    """Load (or reuse) the big project, then time the pages and the sums."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=PG, help="a PostgreSQL URL (default: the test database)")
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--schema", default=None, help="schema to load into or reuse")
    ap.add_argument("--keep", action="store_true", help="leave the schema for the next run")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--explain", action="store_true",
                    help="print the project page's SQL statements by time spent")
    args = ap.parse_args()
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine

    from wattprint.server import create_app
    from wattprint.server.config import ServerSettings

    schema = args.schema or f"wp_page_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.db)
    with admin.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM information_schema.tables WHERE "
                                  "table_schema = :s AND table_name = 'runs'"),
                             {"s": schema}).scalar_one()  # fmt: skip
    app = create_app(ServerSettings(db_url=args.db, db_schema=schema, admin_token=ADMIN))
    engine: Engine = app.state.engine
    try:
        with engine.connect() as conn:
            have = conn.execute(text("SELECT o.id, p.id FROM projects p JOIN organisations o ON "
                                     "o.id = p.organisation_id WHERE p.name = 'big project'")
                                ).first()  # fmt: skip
        if found and have is not None:
            org, project = have
            print(f"reusing schema {schema}")
        else:
            t0 = time.perf_counter()
            org, project = load(engine, args.runs, args.samples)
            print(f"loaded {args.runs} runs and {args.samples} samples into {schema} in "
                  f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        with engine.connect() as conn:
            runs, samples = conn.execute(text(
                "SELECT (SELECT count(*) FROM runs WHERE project_id = :p), (SELECT count(*) "
                "FROM samples s JOIN runs r ON r.id = s.run_id WHERE r.project_id = :p)"),
                {"p": project}).one()  # fmt: skip
        print(f"project: {runs} runs, {samples} samples; {os.cpu_count()} cores, load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
        spent = _timer(engine)
        client = TestClient(app, headers={"Authorization": f"Bearer {ADMIN}"})
        paths = {
            "project page": f"/ui/projects/{project}",
            "organisation page": f"/ui/orgs/{org}",
            "runs export (csv)": f"/ui/projects/{project}/runs.csv",
            "project sums (API)": f"/api/projects/{project}/sums",
            "organisation sums (API)": f"/api/organizations/{org}/sums",
            "experiments sums (API)": f"/api/projects/{project}/experiments/sums",
        }
        for name, path in paths.items():
            first = client.get(path)
            if first.status_code != 200:
                raise SystemExit(f"{path}: {first.status_code} {first.text[:300]}")
            spent.clear()
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                client.get(path)
                times.append(time.perf_counter() - t0)
            sql = sum(sum(v) for v in spent.values()) / args.repeats
            print(f"  {name:25s} median {statistics.median(times) * 1e3:7.1f} ms  slowest "
                  f"{max(times) * 1e3:7.1f} ms  (SQL {sql * 1e3:6.1f} ms, "
                  f"{sum(map(len, spent.values())) // args.repeats} statements)")  # fmt: skip
            if args.explain and name == "project page":
                for statement, values in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
                    print(f"      {sum(values) / args.repeats * 1e3:6.1f} ms  "
                          f"{' '.join(statement.split())[:150]}")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.begin() as conn:  # the name was checked by make_engine
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            print(f"dropped schema {schema}")
        else:
            print(f"kept schema {schema} (pass --schema {schema} to reuse it)")
        admin.dispose()


if __name__ == "__main__":
    main()

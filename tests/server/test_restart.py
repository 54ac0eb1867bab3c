"""Restarts during ingest lose nothing: the server killed and started again, PostgreSQL restarted.

``wattprint serve`` runs in a process of its own on a free port; real
trackers report checkpoints into it through server sinks (the on-disk
outbox). Mid-run the server is killed (SIGKILL) and started again, or its
PostgreSQL is stopped and started again while the server stays up (it must
answer 503 with a JSON ``detail`` meanwhile, and come back by itself). At
the end every checkpoint and the result of every run are stored, once.

PostgreSQL is restarted as a cluster of its own, made here with ``initdb``
in a temporary folder on a free port: restarting the shared one at
127.0.0.1:5432 would cut the connections of every other test using it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import ADMIN, free_port, make_setup

pytest.importorskip("httpx", reason="needs wattprint[server-test]")


class Counter:
    """An observer that counts a run's checkpoints and keeps its result."""

    name = "counter"

    def __init__(self) -> None:
        self.checkpoints = 0
        self.result: Any = None

    def on_start(self, run: Any) -> None:
        """Nothing to count."""

    def on_checkpoint(self, interim: Any) -> None:
        """Count one checkpoint (the server sink sends it as seq 1, 2, ...)."""
        self.checkpoints += 1

    def on_task_end(self, task: Any) -> None:
        """Nothing to count."""

    def on_stop(self, result: Any) -> None:
        """Keep the result (the sink sends it after the last checkpoint)."""
        self.result = result


@dataclass
class Server:
    """``wattprint serve`` in a process (group) of its own."""

    db_url: str
    schema: str | None
    log: Path
    port: int = field(default_factory=free_port)
    proc: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import httpx

        env = {**os.environ, "WATTPRINT_SERVER_ADMIN_TOKEN": ADMIN}
        if self.schema:
            env["WATTPRINT_SERVER_DB_SCHEMA"] = self.schema
        cmd = [sys.executable, "-m", "wattprint", "serve", "--db", self.db_url,
               "--port", str(self.port), "--workers", "1"]  # fmt: skip
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"the server did not come up:\n{self.log.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@dataclass
class Reporting:
    """Trackers reporting through server sinks, one outbox each."""

    trackers: list[Any]
    sinks: list[Any]
    counters: list[Counter]

    def waiting(self) -> int:
        """Return how many messages wait in the outboxes now."""
        return sum(len(list(sink.outbox.glob("*.json"))) for sink in self.sinks)

    def stop_and_flush(self) -> None:
        for tracker in self.trackers:
            tracker.stop()
        for sink in self.sinks:
            assert sink.flush(60.0), f"{sink.outbox} still holds messages"

    def close(self) -> None:
        for tracker in self.trackers:
            if tracker.running:
                tracker.stop()
        for sink in self.sinks:
            sink.close()


def start_reporting(url: str, token: str, tmp_path: Path, runs: int = 2) -> Reporting:
    from wattprint.sinks.server import ServerSink
    from wattprint.tracking.tracker import Tracker

    trackers, sinks, counters = [], [], []
    for i in range(runs):
        sink = ServerSink(url, token, outbox_dir=tmp_path / f"outbox-{i}")
        counter = Counter()
        tracker = Tracker(save_to_file=False, force_cpu_power_w=20.0 + i, force_ram_power_w=5.0,
                          interval_s=0.05, checkpoint_s=0.2, force_intensity_g_per_kwh=100.0,
                          experiment="restart", observers=[sink, counter],
                          env={"HOME": str(tmp_path)}, handle_signals=False)  # fmt: skip
        tracker.start()
        trackers.append(tracker)
        sinks.append(sink)
        counters.append(counter)
    return Reporting(trackers, sinks, counters)


def assert_stored_once(db_url: str, schema: str | None, counters: list[Counter]) -> None:
    """Each run: its result, and one sample for each of its checkpoints, no more."""
    from sqlalchemy import text

    from wattprint.server.db import make_engine

    engine = make_engine(db_url, schema=schema, pool_size=1)
    try:
        with engine.connect() as conn:
            for counter in counters:
                result = counter.result
                assert result is not None and counter.checkpoints >= 5
                run = conn.execute(text(
                    "SELECT status, last_seq, samples_count, energy_kwh FROM runs WHERE id = :id"
                ), {"id": result.run_id}).one()  # fmt: skip
                seqs = sorted(conn.execute(text(
                    "SELECT seq FROM samples WHERE run_id = :id"), {"id": result.run_id}).scalars())
                assert seqs == list(range(1, counter.checkpoints + 1)), (
                    f"run {result.run_id}: samples {seqs}, {counter.checkpoints} checkpoints")
                assert run.status == "completed"
                assert run.last_seq == counter.checkpoints + 1  # the result came after them
                assert run.samples_count == counter.checkpoints
                assert run.energy_kwh == pytest.approx(result.energy_kwh, rel=1e-9)
    finally:
        engine.dispose()


def test_server_killed_and_started_again_loses_nothing(
    db_target: tuple[str, str | None], tmp_path: Path
) -> None:
    import httpx

    url, schema = db_target
    server = Server(url, schema, tmp_path / "server.log")
    server.start()
    reporting = None
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            s = make_setup(client)
        reporting = start_reporting(server.url, s.token, tmp_path)
        time.sleep(1.5)
        server.kill()  # mid-run, maybe mid-request
        time.sleep(1.5)
        waiting = reporting.waiting()  # the checkpoints made meanwhile
        server.start()
        time.sleep(1.0)
        reporting.stop_and_flush()
    finally:
        if reporting is not None:
            reporting.close()
        server.kill(signal.SIGTERM)
    assert waiting > 0, "no checkpoint waited while the server was down"
    assert_stored_once(url, schema, reporting.counters)
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


# --- PostgreSQL restarted under a running server --------------------------------------


@dataclass
class Cluster:
    """A PostgreSQL cluster of this test's own (initdb in a temporary folder, a free port)."""

    bindir: Path
    root: Path
    port: int
    as_postgres: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
               "-l", str(self.root / "log"), "-w", "-t", "60", *args]  # fmt: skip
        return subprocess.run(cmd, capture_output=True, text=True, timeout=90)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.root} -c max_connections=30")  # fmt: skip
        done = self.pg_ctl("-o", options, "start")
        assert done.returncode == 0, done.stderr + (self.root / "log").read_text()

    def stop(self, mode: str = "fast") -> None:
        done = self.pg_ctl("-m", mode, "stop")
        assert done.returncode == 0, done.stderr


def _bindir() -> Path | None:
    try:
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                               timeout=10).stdout.strip()  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    for candidate in [found, *sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")))]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    """Yield a running cluster of its own; skip, saying why, where one cannot be made."""
    pytest.importorskip("psycopg", reason="needs wattprint[server] (psycopg)")
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    as_postgres: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="wattprint-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root: run it as the postgres user
        runuser = shutil.which("runuser")
        try:
            import pwd

            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        if runuser is None or owner is None:
            shutil.rmtree(root)
            pytest.skip("running as root, and no 'postgres' user (or runuser) to run initdb as")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_postgres = [runuser, "-u", "postgres", "--"]
    made = Cluster(bindir, root, free_port(), as_postgres)
    init = subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(root / "data"),
                           "-A", "trust", "-U", "postgres", "--no-sync"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed here: {init.stderr.strip()[-300:]}")
    made.start()
    try:
        yield made
    finally:
        made.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_postgresql_restarted_under_a_running_server_loses_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    import httpx

    server = Server(cluster.url, None, tmp_path / "server.log")
    server.start()
    reporting = None
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            s = make_setup(client)
            reporting = start_reporting(server.url, s.token, tmp_path)
            time.sleep(1.5)
            cluster.stop("fast")  # every connection of the server is cut
            down = [client.get("/healthz"),
                    client.post("/v1/ingest", headers={"Authorization": f"Bearer {s.token}"},
                                json={"kind": "start", "seq": 0, "run_id": "down",
                                      "experiment": "x", "started_at": "2026-01-01T00:00:00Z",
                                      "run": {}})]  # fmt: skip
            time.sleep(1.0)
            waiting = reporting.waiting()  # the checkpoints made meanwhile
            cluster.start()
            time.sleep(1.0)
            reporting.stop_and_flush()
            assert client.get("/healthz").status_code == 200  # back, without a restart
    finally:
        if reporting is not None:
            reporting.close()
        alive = server.proc.poll() is None
        server.kill(signal.SIGTERM)
    assert alive, "the server exited while PostgreSQL was down"
    assert waiting > 0, "no checkpoint waited while PostgreSQL was down"
    for answer in down:
        assert answer.status_code == 503, answer.text
        assert "not available" in answer.json()["detail"]
        assert answer.headers["retry-after"].isdigit()
    assert_stored_once(cluster.url, None, reporting.counters)

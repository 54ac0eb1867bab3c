"""The Prometheus sink against a real Prometheus and a real Pushgateway.

Both servers are started here on free 127.0.0.1 ports, with temporary
configuration and storage, and stopped at the end. They come from the Debian
packages ``prometheus`` and ``prometheus-pushgateway`` (``.ci/run`` installs
them); without them the tests that need them are skipped, saying so.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from wattprint import ConfigError, MissingDependencyError, ProviderError
from wattprint.grid.intensity import Intensity
from wattprint.grid.location import Location
from wattprint.net import get_json, request
from wattprint.results import ComponentMethod, Host, Methodology, RunResult

NOT_INSTALLED = (
    "the prometheus and prometheus-pushgateway binaries are not on PATH "
    "(Debian packages 'prometheus' and 'prometheus-pushgateway'; .ci/run installs them "
    "when it can)"
)


def make_result(run_id: str, energy_kwh: float) -> RunResult:
    """A run of ``energy_kwh``: cpu 3/4 of it, ram 1/4, 56 g/kWh, 90 W cpu, 30 W ram."""
    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    location = Location("FRA", "FR", "France")
    methodology = Methodology(
        components=(ComponentMethod("cpu", "rapl", True, "package-0", "share"),),
        intensity=Intensity(56.0, "Ember", 2023, "average", "France"),
        location=location,
    )
    return RunResult(
        run_id=run_id, project="proj", experiment="exp", started_at=start,
        ended_at=start + timedelta(seconds=60), duration_s=60.0, energy_kwh=energy_kwh,
        cpu_energy_kwh=energy_kwh * 0.75, gpu_energy_kwh=0.0, ram_energy_kwh=energy_kwh * 0.25,
        cpu_power_w=90.0, gpu_power_w=0.0, ram_power_w=30.0, emissions_kg=energy_kwh * 0.056,
        intensity_g_per_kwh=56.0, water_l=0.0, location=location, status="completed",
        methodology=methodology, cpu_utilization_percent=50.0, ram_used_bytes=1e9,
        mode="process", pue=1.0, wue_l_per_kwh=0.0,
        host=Host(os="Linux", python_version="3.11", cpu_model="cpu", cpu_count=1,
                  gpu_count=0, gpu_model="", ram_total_bytes=2**30),
        ram_utilization_percent=40.0,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(*names: str) -> str | None:
    return next((path for n in names if (path := shutil.which(n))), None)


class Server:
    """A server process of our own on 127.0.0.1, stopped by :meth:`stop`."""

    def __init__(self, argv: list[str], port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.name = Path(argv[0]).name
        self.log = log
        self._log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                request(f"{self.url}/-/ready", timeout_s=1)
                return
            except ProviderError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def registry() -> Any:
    pc = pytest.importorskip("prometheus_client", reason="the [prometheus] extra is not installed")
    return pc.CollectorRegistry()


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[Server]:
    binary = _binary("prometheus-pushgateway", "pushgateway")
    if binary is None:
        pytest.skip(NOT_INSTALLED)
    port = free_port()
    argv = [binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="]
    server = Server(argv, port, tmp_path / "pushgateway.log")
    yield server
    server.stop()


def _start_prometheus(tmp_path: Path, target_port: int) -> Server:
    binary = _binary("prometheus")
    if binary is None:
        pytest.skip(NOT_INSTALLED)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: wattprint-test\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{target_port}']\n"
    )
    port = free_port()
    argv = [
        binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
    ]  # fmt: skip
    return Server(argv, port, tmp_path / "prometheus.log")


def _query(server: Server, promql: str, timeout_s: float = 30) -> list[dict[str, Any]]:
    """Return the instant vector of ``promql`` once it is not empty."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = get_json(f"{server.url}/api/v1/query?{urlencode({'query': promql})}")
        assert answer["status"] == "success"
        if answer["data"]["result"] or time.monotonic() > deadline:
            return list(answer["data"]["result"])
        time.sleep(0.25)


def test_prometheus_scrapes_the_endpoint_and_the_pushgateway_holds_the_push(
    tmp_path: Path, registry: Any, pushgateway: Server
) -> None:
    from wattprint.sinks.prometheus import PrometheusSink

    started = time.monotonic()
    sink = PrometheusSink(port=0, registry=registry, pushgateway_url=pushgateway.url)
    assert sink.port
    prometheus = _start_prometheus(tmp_path, sink.port)
    try:
        pushgateway.wait_ready()
        sink.observe(make_result("run-a", 0.001))  # an interim result...
        sink.write(make_result("run-a", 0.002))  # ...then the final one: counted once
        sink.write(make_result("run-b", 0.004))
        prometheus.wait_ready()

        def series(promql: str) -> dict[str, float]:
            found = _query(prometheus, promql)
            for s in found:
                assert s["metric"]["job"] == "wattprint-test"
                assert (s["metric"]["project"], s["metric"]["experiment"]) == ("proj", "exp")
            return {f"{s['metric']['run_id']}/{s['metric']['component']}": float(s["value"][1])
                    for s in found}  # fmt: skip

        energy = series('wattprint_energy_kwh_total{run_id="run-a"}')
        assert energy == pytest.approx(
            {"run-a/cpu": 0.0015, "run-a/gpu": 0.0, "run-a/ram": 0.0005, "run-a/all": 0.002}
        )
        emissions = series("wattprint_emissions_kg_total")
        assert emissions == pytest.approx({"run-a/all": 0.000112, "run-b/all": 0.000224})
        power = series('wattprint_power_watts{run_id="run-b"}')
        assert power == pytest.approx({"run-b/cpu": 90.0, "run-b/gpu": 0.0, "run-b/ram": 30.0})

        from prometheus_client.parser import text_string_to_metric_families

        text = request(f"{pushgateway.url}/metrics").text()
        pushed = {
            (s.name, s.labels["run_id"], s.labels["component"]): (s.labels["job"], s.value)
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name.startswith("wattprint_") and "component" in s.labels
        }
        assert pushed[("wattprint_energy_kwh_total", "run-a", "all")] == ("wattprint", 0.002)
        assert pushed[("wattprint_energy_kwh_total", "run-b", "cpu")] == ("wattprint", 0.003)
        assert pushed[("wattprint_emissions_kg_total", "run-b", "all")][1] == pytest.approx(
            0.000224
        )
        assert pushed[("wattprint_power_watts", "run-a", "ram")] == ("wattprint", 30.0)
    finally:
        prometheus.stop()
    print(f"real Prometheus + Pushgateway check: {time.monotonic() - started:.1f} s")


def test_observing_again_adds_only_the_increase(registry: Any) -> None:
    from wattprint.sinks.prometheus import PrometheusSink

    sink = PrometheusSink(registry=registry)
    other = PrometheusSink(registry=registry)  # shares the metrics and what was observed

    def cpu(run_id: str) -> float | None:
        labels = {"project": "proj", "experiment": "exp", "run_id": run_id, "component": "cpu"}
        value: float | None = registry.get_sample_value("wattprint_energy_kwh_total", labels)
        return value

    sink.observe(make_result("r", 0.004))
    sink.observe(make_result("r", 0.004))
    other.observe(make_result("r", 0.004))
    assert cpu("r") == pytest.approx(0.003)
    sink.observe(make_result("r", 0.008))
    sink.write(make_result("r", 0.008))  # no Pushgateway: only the update
    assert cpu("r") == pytest.approx(0.006)
    sink.observe(make_result("s", 0.004))
    assert (cpu("r"), cpu("s")) == pytest.approx((0.006, 0.003))


def test_the_endpoint_starts_once_per_port(registry: Any, caplog: pytest.LogCaptureFixture) -> None:
    from prometheus_client import CollectorRegistry

    from wattprint.sinks.prometheus import PrometheusSink

    first = PrometheusSink(port=0, registry=registry)
    again = PrometheusSink(port=first.port, registry=registry)
    assert again.port == first.port
    again.observe(make_result("shared", 0.004))
    body = request(f"http://127.0.0.1:{first.port}/metrics").text()
    assert 'run_id="shared"' in body
    with pytest.raises(ConfigError, match=f"port={first.port}"):
        PrometheusSink(port=first.port, registry=CollectorRegistry())
    with socket.socket() as taken:  # another program's port: logged, not raised
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with caplog.at_level(logging.WARNING, logger="wattprint"):
            busy = PrometheusSink(port=taken.getsockname()[1], registry=CollectorRegistry())
    assert busy.port is None
    assert "cannot serve Prometheus metrics" in caplog.text


def test_an_unreachable_pushgateway_raises_provider_error(registry: Any) -> None:
    from wattprint.sinks.prometheus import PrometheusSink

    sink = PrometheusSink(registry=registry, pushgateway_url=f"127.0.0.1:{free_port()}")
    with pytest.raises(ProviderError, match="PUT http://127.0.0.1"):
        sink.write(make_result("r", 0.001))
    labels = {"project": "proj", "experiment": "exp", "run_id": "r", "component": "all"}
    assert registry.get_sample_value("wattprint_energy_kwh_total", labels) == 0.001


def test_without_prometheus_client_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wattprint.sinks.prometheus import PrometheusSink

    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r'pip install "wattprint\[prometheus\]"'):
        PrometheusSink()


def test_prometheus_scrapes_a_running_run_at_its_checkpoints(
    tmp_path: Path, registry: Any
) -> None:
    """The series are there while the run goes on, not only after stop()."""
    from wattprint import Tracker
    from wattprint.sinks.prometheus import PrometheusSink

    sink = PrometheusSink(port=0, registry=registry)
    assert sink.port
    prometheus = _start_prometheus(tmp_path, sink.port)
    tracker = Tracker(
        project="live", experiment="scrape", country="FR", save_to_file=False,
        force_cpu_power_w=40.0, force_ram_power_w=10.0, mode="machine",
        interval_s=0.1, checkpoint_s=0.2, observers=[sink], handle_signals=False,
    )  # fmt: skip
    try:
        prometheus.wait_ready()
        tracker.start()
        promql = f'wattprint_energy_kwh_total{{run_id="{tracker.run_id}",component="all"}}'
        found = _query(prometheus, promql)
        assert tracker.running, "the series must be scraped while the run goes on"
        assert found, f"no series for {promql} while the run was going on"
        scraped_kwh = float(found[0]["value"][1])
        assert found[0]["metric"]["project"] == "live"
        assert scraped_kwh > 0
        power = _query(prometheus, f'wattprint_power_watts{{run_id="{tracker.run_id}"}}')
        by_component = {s["metric"]["component"]: float(s["value"][1]) for s in power}
        assert by_component["cpu"] == pytest.approx(40.0, rel=0.05)
        result = tracker.stop()
        assert result.energy_kwh >= scraped_kwh  # the final figure includes what was scraped
    finally:
        if tracker.running:
            tracker.stop()
        prometheus.stop()

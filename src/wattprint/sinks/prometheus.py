"""Prometheus metrics: an endpoint to scrape and a push to a Pushgateway.

Needs the ``[prometheus]`` extra (``prometheus_client``), imported when a
sink is created. The series, labelled by ``project``, ``experiment``,
``run_id`` and ``component``:

- ``wattprint_energy_kwh_total`` (counter): energy of the run so far. Units:
  kWh. ``component`` is ``cpu``, ``gpu`` and ``ram`` (IT energy) or ``all``
  (their sum times the PUE, the figure emissions are computed from).
- ``wattprint_emissions_kg_total`` (counter): emissions of the run so far,
  ``component="all"``. Units: kg CO2e.
- ``wattprint_power_watts`` (gauge): mean power of the run so far,
  ``component`` ``cpu``, ``gpu`` or ``ram``. Units: W.

Counters only go up: observing a run again adds what it used since the last
observation of that ``run_id``, so interim results and the final one can all
be observed. The HTTP endpoint is started once per process and address; a
second sink asking for the same port shares it. Each push to the Pushgateway
replaces the group ``job/<job>/run_id/<run_id>``, holding that run's series
only, so concurrent runs never overwrite each other.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from wattprint._log import logger
from wattprint.errors import ConfigError, MissingDependencyError
from wattprint.net import DEFAULT_TIMEOUT_S, Transport, request
from wattprint.results import RunResult, TaskResult
from wattprint.sinks.base import RunStart

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge
    from prometheus_client.metrics_core import Metric


LABELS = ("project", "experiment", "run_id", "component")
"""Labels of every series."""


def _prometheus() -> Any:
    """Import ``prometheus_client``, or say which extra provides it."""
    try:
        import prometheus_client
    except ImportError as err:
        raise MissingDependencyError("prometheus_client", "prometheus") from err
    return prometheus_client


class _Metrics:
    """The metric objects of one registry, and what was last observed of each run."""

    def __init__(self, registry: CollectorRegistry) -> None:
        pc = _prometheus()
        self.energy: Counter = pc.Counter(
            "wattprint_energy_kwh",
            "Energy used by the run so far, kWh; component all = (cpu+gpu+ram) x PUE.",
            LABELS,
            registry=registry,
        )
        self.emissions: Counter = pc.Counter(
            "wattprint_emissions_kg",
            "Emissions of the run so far, kg CO2e.",
            LABELS,
            registry=registry,
        )
        self.power: Gauge = pc.Gauge(
            "wattprint_power_watts",
            "Mean power of the run so far, W.",
            LABELS,
            registry=registry,
        )
        self.lock = threading.Lock()
        self.last: dict[tuple[str, str, str], float] = {}

    def observe(self, result: RunResult) -> None:
        labels = {"project": result.project, "experiment": result.experiment}
        labels["run_id"] = result.run_id
        totals = (
            (self.energy, "energy", "cpu", result.cpu_energy_kwh),
            (self.energy, "energy", "gpu", result.gpu_energy_kwh),
            (self.energy, "energy", "ram", result.ram_energy_kwh),
            (self.energy, "energy", "all", result.energy_kwh),
            (self.emissions, "emissions", "all", result.emissions_kg),
        )
        with self.lock:
            for counter, kind, component, total in totals:
                key = (result.run_id, kind, component)
                delta = total - self.last.get(key, 0.0)
                child = counter.labels(component=component, **labels)  # exists from 0 on
                if delta > 0:  # a counter never goes down; NaN compares False
                    child.inc(delta)
                    self.last[key] = total
                elif delta < 0:
                    logger.debug("wattprint: %s %s of run %s went down", component, kind, key[0])
            for component, power_w in (
                ("cpu", result.cpu_power_w),
                ("gpu", result.gpu_power_w),
                ("ram", result.ram_power_w),
            ):
                self.power.labels(component=component, **labels).set(power_w)


class _RunOnly:
    """A collector giving the series of one run only (what a push sends)."""

    def __init__(self, registry: CollectorRegistry, run_id: str) -> None:
        self.registry = registry
        self.run_id = run_id

    def collect(self) -> Iterable[Metric]:
        pc = _prometheus()
        for family in self.registry.collect():
            if not family.name.startswith("wattprint_"):
                continue
            kept = pc.metrics_core.Metric(
                family.name, family.documentation, family.type, family.unit
            )
            kept.samples = [s for s in family.samples if s.labels.get("run_id") == self.run_id]
            if kept.samples:
                yield kept


class _Process:
    """What a process holds once: the metrics of each registry, the HTTP servers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.metrics: weakref.WeakKeyDictionary[CollectorRegistry, _Metrics] = (
            weakref.WeakKeyDictionary()
        )
        self.servers: dict[tuple[str, int], CollectorRegistry] = {}


_PROCESS = _Process()
"""Per-process state: an HTTP port can be bound once, metric names registered once."""


def _net_handler(transport: Transport | None) -> Callable[..., Callable[[], None]]:
    """Return a push handler for prometheus_client that sends through wattprint's one client."""

    def handler(
        url: str,
        method: str,
        timeout: float | None,
        headers: Sequence[tuple[str, str]],
        data: bytes,
    ) -> Callable[[], None]:
        def send() -> None:
            request(
                url,
                method=method,
                headers=dict(headers),
                body=data,
                timeout_s=DEFAULT_TIMEOUT_S if timeout is None else timeout,
                transport=transport,
            )

        return send

    return handler


class PrometheusSink:
    """Expose runs as Prometheus metrics, scraped, pushed, or both.

    Args:
        port: serve the metrics over HTTP on this port (0: any free port,
            then read :attr:`port`); None serves nothing. A port already
            served by this process is shared. A port taken by another
            program is logged once and left unserved.
        addr: the address to listen on; the default is this machine only.
        pushgateway_url: push each written run to this Pushgateway (e.g.
            ``http://127.0.0.1:9091``); None pushes nothing.
        job: the Pushgateway's ``job`` label.
        registry: the ``prometheus_client`` registry to hold the metrics;
            None uses ``prometheus_client.REGISTRY``, so an endpoint the
            program already serves shows them too.
        timeout_s: time allowed for one push. Units: s.
        transport: what sends the pushes; None for the network.

    Raises:
        MissingDependencyError: ``prometheus_client`` is not installed.
        ConfigError: ``port`` is served by this process for another registry.
    """

    name = "prometheus"

    def __init__(
        self,
        *,
        port: int | None = None,
        addr: str = "127.0.0.1",
        pushgateway_url: str | None = None,
        job: str = "wattprint",
        registry: CollectorRegistry | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: Transport | None = None,
    ) -> None:
        pc = _prometheus()
        if port is not None and (isinstance(port, bool) or not 0 <= port <= 65535):
            raise ConfigError("port", port, "a TCP port from 0 to 65535, or None")
        self.registry: CollectorRegistry = pc.REGISTRY if registry is None else registry
        self.pushgateway_url = pushgateway_url
        self.job = job
        self.timeout_s = timeout_s
        self._transport = transport
        with _PROCESS.lock:
            metrics = _PROCESS.metrics.get(self.registry)
            if metrics is None:
                metrics = _PROCESS.metrics[self.registry] = _Metrics(self.registry)
        self._metrics = metrics
        self.port: int | None = None
        if port is not None:
            self.port = self._serve(pc, addr, port)

    def _serve(self, pc: Any, addr: str, port: int) -> int | None:
        """Start (or share) the HTTP endpoint; return its port, None if it could not start."""
        with _PROCESS.lock:
            served = _PROCESS.servers.get((addr, port)) if port else None
            if served is not None:
                if served is not self.registry:
                    raise ConfigError(
                        "port", port, "a port not already serving another registry in this process"
                    )
                return port
            try:
                server, _thread = pc.start_http_server(port, addr=addr, registry=self.registry)
            except OSError as err:  # taken by another program: the push still works
                logger.warning(
                    "wattprint: cannot serve Prometheus metrics on %s:%s (%s); "
                    "they are not exposed by this process",
                    addr,
                    port,
                    err.strerror or err,
                )
                return None
            bound = int(server.server_port)
            _PROCESS.servers[(addr, bound)] = self.registry
            return bound

    def observe(self, result: RunResult) -> None:
        """Update the metrics from ``result``, final or interim; observing twice adds nothing."""
        self._metrics.observe(result)

    def on_start(self, run: RunStart) -> None:
        """Nothing to show before the first checkpoint."""

    def on_checkpoint(self, interim: RunResult) -> None:
        """Update the series from the running run's figures so far."""
        self.observe(interim)

    def on_task_end(self, task: TaskResult) -> None:
        """Tasks are not series of their own (their energy is in the run's)."""

    def on_stop(self, result: RunResult) -> None:
        """Update the series from the finished run and push them if configured.

        Raises:
            ProviderError: the Pushgateway could not be reached or refused the push.
        """
        self.write(result)

    def write(self, result: RunResult) -> None:
        """Update the metrics from the finished run and push them if configured.

        Raises:
            ProviderError: the Pushgateway could not be reached or refused the push.
        """
        self.observe(result)
        if self.pushgateway_url is not None:
            self.push(result.run_id)

    def push(self, run_id: str) -> None:
        """Push the series of run ``run_id`` to the Pushgateway (replacing its group).

        Raises:
            ProviderError: the Pushgateway could not be reached or refused the push.
        """
        if self.pushgateway_url is None:
            return
        pc = _prometheus()
        pc.push_to_gateway(
            self.pushgateway_url,
            job=self.job,
            registry=_RunOnly(self.registry, run_id),
            grouping_key={"run_id": run_id},
            timeout=self.timeout_s,
            handler=_net_handler(self._transport),
        )

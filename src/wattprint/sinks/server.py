"""The server sink: a run's start, checkpoints and result sent to ``wattprint serve``.

Each message goes through the webhook sink's on-disk outbox (one file per
message, named ``<run_id>.<seq>``, sent oldest first in the background), so a
server that is down loses nothing: what is left is sent by the next sink
made for the same server. The server stores a ``(run_id, seq)`` once, and
never lets an older message overwrite a newer one's figures, so a resent
message never counts twice. A checkpoint carries the interval's energy since
the previous checkpoint (a delta) and the run's figures so far.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from wattprint.records.run_dict import plain
from wattprint.results import RunResult, TaskResult
from wattprint.settings.resolve import Settings
from wattprint.sinks.base import RunStart
from wattprint.sinks.jsonl import to_json
from wattprint.sinks.outbox import outbox_file_name
from wattprint.sinks.webhook import WebhookSink


@dataclass(frozen=True, slots=True)
class _Sent:
    seq: int
    at: datetime
    kwh: tuple[float, float, float, float, float, float]  # energy, cpu, gpu, ram, kg, water


def _figures(r: RunResult) -> tuple[float, float, float, float, float, float]:
    return (r.energy_kwh, r.cpu_energy_kwh, r.gpu_energy_kwh, r.ram_energy_kwh,
            r.emissions_kg, r.water_l)  # fmt: skip


def summary_of(result: RunResult) -> dict[str, Any]:
    """Return the ``run`` part of a message: the run's figures so far and their provenance.

    The bounds of the energy and the emissions travel with them (None in a
    result made before ranges existed: the server then shows no range).
    """
    intensity = result.methodology.intensity
    return {
        "status": result.status, "tool": "wattprint", "mode": result.mode,
        "ended_at": result.ended_at.isoformat(), "duration_s": result.duration_s,
        "energy_kwh": result.energy_kwh, "cpu_energy_kwh": result.cpu_energy_kwh,
        "gpu_energy_kwh": result.gpu_energy_kwh, "ram_energy_kwh": result.ram_energy_kwh,
        "emissions_kg": result.emissions_kg, "water_l": result.water_l,
        "embodied_kg": result.embodied_kg, "intensity_g_per_kwh": result.intensity_g_per_kwh,
        "energy_kwh_low": result.energy_kwh_low, "energy_kwh_high": result.energy_kwh_high,
        "emissions_kg_low": result.emissions_kg_low, "emissions_kg_high": result.emissions_kg_high,
        "intensity_source": intensity.source or None,
        "country_iso_code": result.location.country_iso3 or None,
        "region": result.location.region or None,
        "cloud_provider": result.location.cloud_provider,
        "cloud_region": result.location.cloud_region, "run_group": result.run_group or None,
        "rank": result.rank, "hostname": result.host.hostname or None, "os": result.host.os,
        "python_version": result.host.python_version, "cpu_model": result.host.cpu_model,
        "cpu_count": result.host.cpu_count, "gpu_model": result.host.gpu_model,
        "gpu_count": result.host.gpu_count, "ram_total_gb": result.host.ram_total_bytes / 1e9,
        "methodology": plain(result.methodology), "tasks": plain(result.tasks),
        "series": plain(result.series),
    }  # fmt: skip


class ServerSink(WebhookSink):
    """Send a run's start, checkpoints and result to a wattprint server.

    Args:
        server_url: the server, e.g. ``http://127.0.0.1:8000``.
        token: a project token with write access (never written to disk).
        outbox_dir: the outbox's parent (default: the webhook's).
        **kwargs: passed to :class:`~wattprint.sinks.webhook.WebhookSink`.
    """

    name = "server"

    def __init__(
        self, server_url: str, token: str, *, outbox_dir: Path | None = None, **kwargs: Any
    ) -> None:
        self._sent: dict[str, _Sent] = {}
        self._starts: dict[str, RunStart] = {}
        self._seq_lock = threading.Lock()
        super().__init__(
            server_url.rstrip("/") + "/v1/ingest",
            outbox_dir=outbox_dir,
            headers={"Authorization": f"Bearer {token}"},
            **kwargs,
        )

    def on_start(self, run: RunStart) -> None:
        """Send the run's start (seq 0)."""
        self._starts[run.run_id] = run
        with self._seq_lock:
            self._sent[run.run_id] = _Sent(0, run.started_at, (0.0,) * 6)
        body = {"kind": "start", "seq": 0, **self._head(run.run_id, run.started_at),
                "run": {"mode": run.mode, "run_group": run.group_id or None, "rank": run.rank}}
        self._put(run.run_id, 0, body)  # fmt: skip

    def on_checkpoint(self, interim: RunResult) -> None:
        """Send the interval since the previous checkpoint, and the figures so far."""
        with self._seq_lock:
            last = self._sent.get(interim.run_id, _Sent(0, interim.started_at, (0.0,) * 6))
            now = _figures(interim)
            seq = last.seq + 1
            self._sent[interim.run_id] = _Sent(seq, interim.ended_at, now)
        body: dict[str, Any] = {"kind": "checkpoint", "seq": seq,
                                **self._head(interim.run_id, interim.started_at, interim),
                                "run": summary_of(interim)}  # fmt: skip
        body["run"]["series"] = []
        duration_s = (interim.ended_at - last.at).total_seconds()
        delta = [max(0.0, a - b) for a, b in zip(now, last.kwh, strict=True)]
        if duration_s > 0:
            body["sample"] = {
                "timestamp": interim.ended_at.isoformat(), "duration_s": duration_s,
                "energy_kwh": delta[0], "cpu_energy_kwh": delta[1], "gpu_energy_kwh": delta[2],
                "ram_energy_kwh": delta[3], "emissions_kg": delta[4], "water_l": delta[5],
                "intensity_g_per_kwh": interim.intensity_g_per_kwh,
            }  # fmt: skip
        self._put(interim.run_id, seq, body)

    def on_task_end(self, task: TaskResult) -> None:
        """Tasks travel with the result."""

    def on_stop(self, result: RunResult) -> None:
        """Send the finished run (the last seq)."""
        self.write(result)

    def write(self, result: RunResult) -> None:
        """Send a finished run (also for recovered runs written as a sink)."""
        with self._seq_lock:
            last = self._sent.pop(result.run_id, None)
        seq = (last.seq + 1) if last is not None else 1
        body = {"kind": "result", "seq": seq,
                **self._head(result.run_id, result.started_at, result),
                "run": summary_of(result)}  # fmt: skip
        self._starts.pop(result.run_id, None)
        self._put(result.run_id, seq, body)

    def _head(
        self, run_id: str, started_at: datetime, r: RunResult | None = None
    ) -> dict[str, Any]:
        start = self._starts.get(run_id)
        project = r.project if r is not None else (start.project if start else "default")
        experiment = r.experiment if r is not None else (start.experiment if start else "default")
        return {"run_id": run_id, "project": project, "experiment": experiment,
                "started_at": started_at.isoformat()}  # fmt: skip

    def _put(self, run_id: str, seq: int, body: dict[str, Any]) -> None:
        """Write one message to the outbox atomically and queue it."""
        name = outbox_file_name(f"{run_id}.{seq:08d}")
        data = to_json(body)
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            tmp = self.outbox / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.outbox / name)
        except OSError as err:
            self._warn_once(
                "outbox",
                "wattprint: the server outbox %s cannot be written (%s); kept in memory",
                self.outbox,
                err.strerror or err,
            )
            with self._cond:
                self._in_memory[name] = data
        self._enqueue([name], revive=True)


def server_sinks(settings: Settings) -> list[ServerSink]:
    """Return the server sink the settings ask for (``server_url`` set), else none."""
    if not settings.server_url:
        return []
    return [ServerSink(settings.server_url, settings.server_token or "")]

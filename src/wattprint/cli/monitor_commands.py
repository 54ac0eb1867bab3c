"""``wattprint monitor``: the whole machine, one row per period, until stopped.

Thin: it parses the options, makes a machine-mode tracker (with a Prometheus
endpoint when asked), hands SIGTERM and SIGINT to the loop in
:mod:`wattprint.tracking.monitor`, and prints one line per period to stderr.
"""

from __future__ import annotations

import signal
from typing import Any

import click

from wattprint.cli.group import _usage_error, given
from wattprint.errors import ConfigError, MissingDependencyError
from wattprint.settings.cli import setting_options


@click.command("monitor")
@setting_options(
    "project", "experiment", "country", "region", "cloud", "interval_s",
    "output_dir", "output_file", "pue", "wue", "force_intensity_g_per_kwh",
)  # fmt: skip
@click.option(
    "--period",
    default="1h",
    show_default=True,
    help="Length of one row: 90s, 15m, 1h, 1d. Each period is one run in the CSV file.",
)
@click.option(
    "--prometheus-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve the figures as Prometheus metrics on this port (0: any free port).",
)
@click.option(
    "--prometheus-addr",
    default="127.0.0.1",
    show_default=True,
    help="Address the Prometheus endpoint listens on (0.0.0.0 for every interface).",
)
def monitor(
    period: str, prometheus_port: int | None, prometheus_addr: str, **options: Any
) -> None:
    """Track the whole machine until stopped (SIGTERM, Ctrl-C), one row per period.

    Each period is one run in machine mode, written to the CSV file when it
    ends and checkpointed while it goes on; the last one ends at the stop.
    Examples: wattprint monitor --period 15m --country FR --prometheus-port 9464
    """
    from wattprint.tracking.monitor import Monitor, parse_period
    from wattprint.tracking.tracker import Tracker

    try:
        period_s = parse_period(period)
    except ConfigError as err:
        raise click.BadParameter(str(err), param_hint="'--period'") from err
    sinks: list[Any] = []
    if prometheus_port is not None:
        from wattprint.sinks.prometheus import PrometheusSink

        try:
            sink = PrometheusSink(port=prometheus_port, addr=prometheus_addr)
        except MissingDependencyError as err:
            raise click.ClickException(str(err)) from err
        if sink.port is not None:
            click.echo(
                f"wattprint: Prometheus metrics on http://{prometheus_addr}:{sink.port}/metrics",
                err=True,
            )
        sinks.append(sink)
    try:
        tracker = Tracker(**given(options), mode="machine", sinks=sinks, handle_signals=False)
    except ConfigError as err:
        raise _usage_error(err) from err

    def report(result: Any) -> None:
        click.echo(
            f"wattprint monitor: {result.started_at:%Y-%m-%d %H:%M:%S} "
            f"+{result.duration_s:.1f} s: {result.energy_kwh * 1000:.4g} Wh, "
            f"{result.emissions_kg * 1000:.4g} g CO2e",
            err=True,
        )

    loop = Monitor(tracker, period_s, on_period=report)
    old = {
        sig: signal.signal(sig, lambda *_: loop.request_stop())
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    click.echo(
        f"wattprint: monitoring this machine, one row every {period}; "
        "stop with Ctrl-C or SIGTERM",
        err=True,
    )
    try:
        periods = loop.run()
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    click.echo(f"wattprint monitor: stopped after {periods} period(s)", err=True)

"""IPython and Jupyter: ``%load_ext wattprint``, ``%%wattprint``, ``%wattprint``, auto mode.

::

    %load_ext wattprint
    %%wattprint --country FR          # measure this cell
    %wattprint train(model)           # measure one statement
    %wattprint auto on                # measure every cell from now on (auto off: stop)

Each measurement is a run; its result is shown as a small HTML table in a
notebook and as one line of text in a terminal, and the last one is kept in
the namespace as ``_wattprint``. Options are ``--country``, ``--project``,
``--mode`` and ``--cpu-power`` (W). Nothing is printed while the cell runs.
"""

from __future__ import annotations

import html
import shlex
from typing import Any

from wattprint.integrations._support import Guard, require

_magic = require("IPython.core.magic", "jupyter")

_OPTIONS = {"--country": "country", "--project": "project", "--mode": "mode",
            "--cpu-power": "force_cpu_power_w"}  # fmt: skip


class ResultView:
    """A finished run, shown as an HTML table in notebooks and as text elsewhere."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def _rows(self) -> list[tuple[str, str]]:
        r = self.result
        estimated = "measured" if r.measured_share >= 1.0 else "estimated"
        return [
            ("energy", f"{r.energy_kwh:.6g} kWh ({estimated})"),
            ("emissions", f"{r.emissions_kg * 1000:.6g} g CO2e"),
            ("water", f"{r.water_l:.6g} L"),
            ("duration", f"{r.duration_s:.3f} s"),
            ("grid", f"{r.location.country_name} {r.intensity_g_per_kwh:.0f} gCO2e/kWh"),
        ]

    def __repr__(self) -> str:
        return "wattprint: " + ", ".join(f"{k} {v}" for k, v in self._rows())

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._rows()
        )
        return f"<table class='wattprint'><caption>wattprint</caption>{cells}</table>"


def _parse(line: str) -> tuple[dict[str, Any], str]:
    """Split a magic's line into tracker options and the rest (a statement)."""
    words = shlex.split(line)
    options: dict[str, Any] = {}
    while words and words[0] in _OPTIONS and len(words) > 1:
        flag, value = words.pop(0), words.pop(0)
        options[_OPTIONS[flag]] = float(value) if flag == "--cpu-power" else value
    return options, " ".join(shlex.quote(w) if " " in w else w for w in words)

_Base: Any = _magic.Magics


@_magic.magics_class
class WattprintMagics(_Base):  # type: ignore[misc]
    """The ``%wattprint`` line and cell magic, and the auto mode."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self._guard = Guard("the IPython extension")
        self._auto: Any = None
        self._auto_options: dict[str, Any] = {}

    def _tracker(self, options: dict[str, Any]) -> Any:
        from wattprint.tracking.tracker import Tracker

        return Tracker(**{"save_to_file": False, "handle_signals": False, **options})

    def _show(self, result: Any) -> None:
        view = ResultView(result)
        self.shell.user_ns["_wattprint"] = result
        from IPython.display import display

        display(view)  # type: ignore[no-untyped-call]

    @_magic.line_cell_magic  # type: ignore[untyped-decorator]
    def wattprint(self, line: str, cell: str | None = None) -> None:
        """Measure a cell (``%%wattprint``) or a statement (``%wattprint stmt``)."""
        if cell is None and line.strip().startswith("auto"):
            self._set_auto(line.split()[1:])
            return
        options, statement = _parse(line)
        code = cell if cell is not None else statement
        tracker = self._guard.call("start", lambda: self._tracker(options).start(), None)
        try:
            self.shell.run_cell(code, store_history=False)
        finally:
            if tracker is not None:
                result = self._guard.call("stop", tracker.stop, None)
                if result is not None:
                    self._show(result)

    def _set_auto(self, words: list[str]) -> None:
        on = not words or words[0].lower() in ("on", "1", "true")
        events = self.shell.events
        if on and self._auto is None:
            self._auto_options, _ = _parse(" ".join(words[1:]))
            events.register("pre_run_cell", self._pre)
            events.register("post_run_cell", self._post)
            self._auto = False
        elif not on and self._auto is not None:
            events.unregister("pre_run_cell", self._pre)
            events.unregister("post_run_cell", self._post)
            if self._auto:  # the run of this very cell, started before it turned auto off
                self._guard.call("auto off", self._auto.stop, None)
            self._auto = None
        print(f"wattprint auto mode {'on' if on else 'off'}")

    def _pre(self, info: Any = None) -> None:
        self._auto = self._guard.call(
            "pre_run_cell", lambda: self._tracker(self._auto_options).start(), None
        )

    def _post(self, result: Any = None) -> None:
        tracker, self._auto = self._auto, False
        if tracker:
            done = self._guard.call("post_run_cell", tracker.stop, None)
            if done is not None:
                self._show(done)


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics (``%load_ext wattprint``)."""
    ipython.register_magics(WattprintMagics)


__all__ = ["ResultView", "WattprintMagics", "load_ipython_extension"]

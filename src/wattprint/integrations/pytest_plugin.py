"""A pytest plugin: the energy of each test and of the session (``pytest --wattprint``).

Registered through the ``pytest11`` entry point, and off unless
``--wattprint`` is given (it then costs one option and one marker). With it:

- each test's call (the test function, not its fixtures' setup) is a task of
  one session-wide run; its energy and emissions go into the JUnit XML as
  properties (``wattprint_energy_kwh``, ``wattprint_emissions_kg``);
- the terminal summary shows the session's totals and the top N tests by
  energy (``--wattprint-top N``, default 5);
- ``--wattprint-json PATH`` writes every test's figures and the totals;
- ``@pytest.mark.energy_budget(kwh=...)`` fails a test whose call uses more,
  naming the budget and the measured value.

Tracker settings come from the usual places (``WATTPRINT_*``, config files);
no emissions.csv row is written unless ``save_to_file`` is set there. Under
pytest-xdist each worker measures its own tests, and the machine's energy
is shared between workers' overlapping tests: read per-test figures as such.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

_KEY = pytest.StashKey["_Session"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--wattprint``, ``--wattprint-top`` and ``--wattprint-json``."""
    group = parser.getgroup("wattprint", "energy and carbon of the tests (wattprint)")
    group.addoption("--wattprint", action="store_true", default=False,
                    help="Measure the energy of each test and of the session.")
    group.addoption("--wattprint-top", type=int, default=5, metavar="N",
                    help="Show the N tests that used the most energy (default 5).")
    group.addoption("--wattprint-json", default=None, metavar="PATH",
                    help="Write each test's energy and emissions, and the totals.")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker; with ``--wattprint``, start the session's run."""
    config.addinivalue_line(
        "markers",
        "energy_budget(kwh): fail the test when its call uses more energy than kwh (wattprint).",
    )
    if config.getoption("wattprint"):
        session = _Session(config)
        config.stash[_KEY] = session
        config.pluginmanager.register(session, "wattprint-session")


class EnergyBudgetExceeded(AssertionError):
    """A test used more energy than its ``energy_budget`` marker allows."""


class _Session:
    """The session's run: one tracker, each test call a task."""

    def __init__(self, config: pytest.Config) -> None:
        from wattprint.tracking.tracker import Tracker

        self.config = config
        self.tracker = Tracker(save_to_file=_save_to_file(), handle_signals=False)
        self._warned: set[str] = set()
        self.tests: dict[str, dict[str, float]] = {}
        self.result: Any = None
        self.tracker.start()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        """Measure the test's call; fail it when over its energy budget."""
        name = item.nodeid
        started = self._guard(lambda: self._open(name))
        try:
            return (yield)
        finally:
            if started:
                task = self._guard(lambda: self.tracker.stop_task(name))
                if task is not None:
                    self._record(item, task)

    def _open(self, name: str) -> bool:
        self.tracker.start_task(name)
        return True

    def _guard(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as err:  # measuring must never break the test session
            reason = str(err) or type(err).__name__
            if reason not in self._warned:
                self._warned.add(reason)
                warnings.warn(f"wattprint: measuring a test failed ({reason})", stacklevel=2)
            return None

    def _record(self, item: pytest.Item, task: Any) -> None:
        figures = {"energy_kwh": task.energy_kwh, "emissions_kg": task.emissions_kg,
                   "duration_s": task.duration_s}  # fmt: skip
        self.tests[item.nodeid] = figures
        item.user_properties.append(("wattprint_energy_kwh", task.energy_kwh))
        item.user_properties.append(("wattprint_emissions_kg", task.emissions_kg))
        marker = item.get_closest_marker("energy_budget")
        if marker is None:
            return
        budget_kwh = float(marker.kwargs.get("kwh", marker.args[0] if marker.args else 0.0))
        if task.energy_kwh > budget_kwh:
            raise EnergyBudgetExceeded(
                f"energy budget exceeded: the test used {task.energy_kwh:.6g} kWh, "
                f"over its budget of {budget_kwh:.6g} kWh (@pytest.mark.energy_budget)"
            )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Stop the run; write the JSON file when asked."""
        if self.result is None:
            self.result = self.tracker.stop()
        path = self.config.getoption("wattprint_json")
        if path:
            data = {
                "run_id": self.result.run_id,
                "session": {"energy_kwh": self.result.energy_kwh,
                            "emissions_kg": self.result.emissions_kg,
                            "duration_s": self.result.duration_s},
                "tests": self.tests,
            }  # fmt: skip
            Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Show the session's totals and the tests that used the most energy."""
        r = self.result
        if r is None:
            return
        tr = terminalreporter
        tr.write_sep("-", "wattprint: energy of the tests")
        tr.write_line(
            f"session: {r.energy_kwh:.6g} kWh, {r.emissions_kg * 1000:.6g} g CO2e "
            f"in {r.duration_s:.1f} s ({len(self.tests)} tests measured)"
        )
        top = int(self.config.getoption("wattprint_top"))
        ranked = sorted(self.tests.items(), key=lambda kv: kv[1]["energy_kwh"], reverse=True)
        for nodeid, f in ranked[:top]:
            tr.write_line(f"{f['energy_kwh']:.6g} kWh  {f['duration_s']:.3f} s  {nodeid}")


def _save_to_file() -> bool:
    """Write the session's row only where the user's settings say so (not by default)."""
    from wattprint.settings.resolve import resolve_settings

    settings = resolve_settings({})
    return settings.source_of("save_to_file") != "default" and settings.save_to_file

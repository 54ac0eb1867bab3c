"""Budgets that act: warn at 80 % and 100 %, and stop when asked.

A tracker with ``budget_kwh=`` or ``budget_kg=`` keeps a :class:`BudgetWatch`.
It is told the run's energy and emissions so far (after samples, at task
boundaries) and warns once at 80 % and once at 100 % of each budget. What
happens at 100 % is ``on_budget``'s choice:

* ``"warn"``: the warnings only;
* ``"stop"``: the run is marked ``budget_exceeded``; the library raises
  :class:`~wattprint.errors.BudgetExceeded` at the next task boundary (never
  inside a sample, never from the sampling thread), and ``wattprint run`` ends
  its command (SIGINT, then SIGTERM after a grace period) and exits with 3;
* a callable: called once with the budget and the measured value, from the
  thread that noticed (keep it short); the run goes on unless it stops it.

A projected overrun (a prediction whose low end passes the budget) is warned
once as soon as it is likely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from wattprint._log import logger
from wattprint.errors import BudgetExceeded, ConfigError

if TYPE_CHECKING:  # advice's budgets load only for a run that has one
    from wattprint.advice.budget import Budget
    from wattprint.settings.resolve import Settings


OnBudget = Literal["warn", "stop"] | Callable[["Budget", float], object]


def check_on_budget(value: object) -> OnBudget:
    """Check an ``on_budget`` value.

    Raises:
        ConfigError: neither ``"warn"``, ``"stop"`` nor a callable.
    """
    if callable(value):
        return value
    if isinstance(value, str) and value.strip().lower() in ("warn", "stop"):
        return value.strip().lower()  # type: ignore[return-value]
    raise ConfigError("on_budget", value, "'warn', 'stop', or a callable(budget, value)")


class BudgetWatch:
    """Watch one run's energy and emissions against its budgets.

    Args:
        budgets: the budgets (energy, emissions, or both).
        on_budget: what to do at 100 %: ``"warn"``, ``"stop"`` or a callable.
    """

    def __init__(self, budgets: tuple[Budget, ...], on_budget: OnBudget = "warn") -> None:
        self.budgets = budgets
        self.on_budget = on_budget
        self._lock = threading.Lock()
        self._last: dict[str, float] = {b.quantity: 0.0 for b in budgets}
        self._projected: set[str] = set()
        self.exceeded: tuple[Budget, float] | None = None
        self._raised = False

    @property
    def stop_requested(self) -> bool:
        """True once a budget was passed with ``on_budget="stop"``."""
        return self.on_budget == "stop" and self.exceeded is not None

    def update(self, *, energy_kwh: float, emissions_kg: float) -> None:
        """Take the run's figures so far; warn (and act) on each threshold crossed once."""
        from wattprint.advice.budget import crossed

        values = {"energy_kwh": energy_kwh, "emissions_kg": emissions_kg}
        fire: list[tuple[Budget, float]] = []
        with self._lock:
            for budget in self.budgets:
                now = values[budget.quantity]
                for share in crossed(budget, self._last[budget.quantity], now):
                    what = budget.describe(now)
                    if share < 1.0:
                        logger.warning("wattprint: %s: 80 %% of the budget is used", what)
                        continue
                    logger.warning("wattprint: budget reached: %s", what)
                    if self.exceeded is None:
                        self.exceeded = (budget, now)
                        fire.append((budget, now))
                self._last[budget.quantity] = max(self._last[budget.quantity], now)
        if callable(self.on_budget):
            for budget, now in fire:
                try:
                    self.on_budget(budget, now)
                except Exception as err:  # a user callback must not break the sampling
                    logger.warning("wattprint: the on_budget callback failed: %r", err)

    def project(self, *, energy_kwh_low: float, emissions_kg_low: float) -> None:
        """Warn once per budget when even the low end of a prediction passes it."""
        from wattprint.advice.budget import likely_overrun

        values = {"energy_kwh": energy_kwh_low, "emissions_kg": emissions_kg_low}
        for budget in self.budgets:
            if budget.quantity in self._projected:
                continue
            if likely_overrun(budget, values[budget.quantity]):
                self._projected.add(budget.quantity)
                logger.warning(
                    "wattprint: the run is likely to pass its budget: the prediction's low "
                    "end is %s",
                    budget.describe(values[budget.quantity]),
                )

    def raise_if_stopped(self) -> None:
        """At a task boundary: raise once when ``on_budget="stop"`` and a budget was passed.

        Raises:
            BudgetExceeded: naming the budget and the measured value.
        """
        if self.stop_requested and not self._raised and self.exceeded is not None:
            self._raised = True
            budget, value = self.exceeded
            raise BudgetExceeded(budget.text, value, budget.describe(value))


def budget_watch(settings: Settings) -> BudgetWatch | None:
    """Return the watch of the budgets ``settings`` set, or None when none is."""
    if settings.budget_kwh is None and settings.budget_kg is None:
        return None
    from wattprint.advice.budget import budget_of

    budgets = budget_of(settings.budget_kwh, settings.budget_kg)
    if not budgets:
        return None
    return BudgetWatch(budgets, check_on_budget(settings.on_budget))

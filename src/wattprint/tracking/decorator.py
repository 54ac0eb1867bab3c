"""The ``@track`` decorator: each call of the function is one tracked run."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from wattprint.tracking.tracker import Tracker


def track(func: Callable[..., Any] | None = None, /, **tracker_args: Any) -> Callable[..., Any]:
    """Track each call of a function: ``@track`` or ``@track(project="x")``.

    The arguments are those of :class:`Tracker`, checked when the function is
    decorated. Each call is one run; the function's return value is unchanged.
    """
    return make_tracked(func, tracker_args)


def make_tracked(
    func: Callable[..., Any] | None, tracker_args: Mapping[str, Any]
) -> Callable[..., Any]:
    """Return ``func`` wrapped in a tracker, or a decorator when ``func`` is None."""
    Tracker(**tracker_args)  # check the arguments now, not at the first call

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(f):

            @functools.wraps(f)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with Tracker(**tracker_args):
                    return await f(*args, **kwargs)

            return run_async

        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> Any:
            with Tracker(**tracker_args):
                return f(*args, **kwargs)

        return run

    return decorate(func) if func is not None else decorate

"""The grid request a run's settings make.

``grid/`` does not know the settings object: the tracker, ``wattprint
doctor`` and the command line turn their resolved settings into a
:class:`~wattprint.grid.request.GridRequest` with :func:`request_from`, and
hand that to :func:`~wattprint.grid.plan.plan_grid` and
:func:`~wattprint.grid.request.live_for`.
"""

from __future__ import annotations

from wattprint.grid.request import GridRequest
from wattprint.settings.resolve import Settings

_KEYS = tuple(name for name in GridRequest._fields if name != "sources")
"""The settings a grid request carries: each request field but ``sources``."""


def request_from(settings: Settings) -> GridRequest:
    """Return the grid request of ``settings``: its place and grid options, with their sources."""
    return GridRequest(
        country=settings.country,
        region=settings.region,
        cloud=settings.cloud,
        cloud_provider=settings.cloud_provider,
        cloud_region=settings.cloud_region,
        geoip=settings.geoip,
        force_intensity_g_per_kwh=settings.force_intensity_g_per_kwh,
        pue=settings.pue,
        wue=settings.wue,
        live_provider=settings.live_provider,
        electricitymaps_token=settings.electricitymaps_token,
        sources=tuple((key, where) for key, where in settings.sources if key in _KEYS),
    )


__all__ = ["request_from"]

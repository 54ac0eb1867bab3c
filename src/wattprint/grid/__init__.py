"""Places and electricity: where code runs and how clean its grid is.

``grid`` knows locations (ISO 3166 countries, subdivisions, cloud regions)
and the electricity behind them: the emissions intensity of the grid in
gCO2e/kWh (a shipped table of annual averages, or live providers behind a
timeout and a cache), the water intensity of generation, and the PUE/WUE of
data centres. It knows nothing about hardware, and it is asked by a small
:class:`~wattprint.grid.request.GridRequest` (a place and options, with where
each was set), never by the settings object. Shipped tables live in
``grid/data/`` as small CSV files built by the scripts in ``scripts/``, each
crediting its source, year and licence.
"""

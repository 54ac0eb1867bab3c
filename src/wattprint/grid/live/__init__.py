"""Live grid carbon intensity from online APIs, behind a timeout and a cache.

A live provider answers three questions about one grid zone: the intensity
now (``latest``), the intensity over a past span (``history``) and what it is
expected to be (``forecast``). Each answer is a list of
:class:`~wattprint.grid.live.base.IntensityPoint`, a value in gCO2e/kWh valid
over a time span, with its kind (average or marginal), whether it is a
forecast or an estimate, and where it came from.

Two providers are built in: Electricity Maps (``electricitymaps.py``, world-wide
zones, needs an API token) and the UK NESO Carbon Intensity API
(``uk_carbon.py``, Great Britain only, keyless). ``choose.py`` builds one from
settings; nothing here touches the network unless a provider is configured.
Answers are kept in an on-disk cache (``cache.py``) so that repeated runs do
not ask again, and every failure is a :class:`~wattprint.errors.ProviderError`
that callers answer by falling back to the shipped annual averages.
"""

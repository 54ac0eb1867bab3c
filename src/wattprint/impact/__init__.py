"""Pure formulas from measured figures to impacts: no I/O, no clock, no logging."""

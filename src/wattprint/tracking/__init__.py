"""Tracking: the tracker, the meter, the process tree, tasks, journal, recovery and run groups."""

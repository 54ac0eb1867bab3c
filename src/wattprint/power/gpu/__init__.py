"""GPU power: NVIDIA and AMD backends, polling, device selection, per-process shares."""

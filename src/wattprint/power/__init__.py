"""Power sources: how the energy of each component is known (counters first, then models)."""

"""CPU power: RAPL counters, the TDP x load model, CPU tables and procfs readers."""

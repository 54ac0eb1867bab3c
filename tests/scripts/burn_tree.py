"""A command with a process tree: N children that each burn CPU_S of CPU time.

Usage: python burn_tree.py N CPU_S

Each child spins until ``time.process_time()`` (its own user + system CPU
time) has grown by CPU_S seconds, so the tree uses at least N x CPU_S CPU
seconds whatever the machine's speed. Exits with the first non-zero exit
code of a child, else 0.
"""

from __future__ import annotations

import subprocess
import sys

BURN = """\
import sys, time
end = time.process_time() + float(sys.argv[1])
while time.process_time() < end:
    pass
"""

count, cpu_s = int(sys.argv[1]), sys.argv[2]
children = [subprocess.Popen([sys.executable, "-c", BURN, cpu_s]) for _ in range(count)]
codes = [child.wait() for child in children]
sys.exit(next((code for code in codes if code), 0))

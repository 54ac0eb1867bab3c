"""Build the one optional C extension; everything else is declared in pyproject.toml.

``wattprint.tracking._ticks`` lets the sampling thread wait and read its procfs
files outside the interpreter (Linux only). It is optional: where it cannot be
built (no C compiler, not Linux) the install goes on and the same ticks are
taken in Python, at a higher idle cost (docs/how-numbers-are-computed.md).
"""

import sys

from setuptools import Extension, setup

ext_modules = []
if sys.platform.startswith("linux"):
    ext_modules.append(
        Extension(
            "wattprint.tracking._ticks",
            ["src/wattprint/tracking/_ticks.c"],
            optional=True,
        )
    )

setup(ext_modules=ext_modules)

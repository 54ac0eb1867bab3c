"""Drop-in replacements for other tools' interfaces, measured by wattprint.

:mod:`wattprint.compat.codecarbon` has CodeCarbon 3.3.2's public interface;
:mod:`wattprint.compat.shim` makes ``import codecarbon`` resolve to it for
``wattprint run --as-codecarbon``.
"""

"""Settings: each declared once, resolved from arguments, environment and files.

``schema`` declares every setting (type, default, unit, bounds, doc and its
names elsewhere), ``parsers`` checks values, ``resolve`` turns arguments,
``WATTPRINT_*`` variables, config files and CodeCarbon's names into one
frozen ``Settings`` without side effects, and ``cli`` makes the command-line
options. This package is the bottom layer: it imports nothing of wattprint
but ``errors``.
"""

"""Rendering: a built :class:`wattprint.report.model.Report` written out for people and machines.

Markdown, HTML (with inline SVG charts), LaTeX, and the canonical JSON
report. Renderers only format; every figure comes from the model.
"""

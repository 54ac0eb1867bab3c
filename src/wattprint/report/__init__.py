"""Reports: stored results turned into documents people read, and data machines check.

The flow is one way: :mod:`.load` reads ``emissions.csv`` files (wattprint's
and CodeCarbon's) and JSON-lines files into one run record, marking what a
file does not say as unknown; :mod:`.model` builds the report's figures
(totals, components, tasks, per unit, equivalents, embodied, what-if,
methodology, sources) with the formulas of :mod:`wattprint.impact`; the
renderers (:mod:`.markdown`, :mod:`.html`, :mod:`.latex`, :mod:`.jsonreport`)
write it out, and :mod:`.signing` signs a JSON report and checks one.

Nothing here is imported by ``import wattprint``; import the modules you need.
"""

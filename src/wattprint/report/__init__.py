"""Reports: stored results turned into documents people read, and data machines check.

Three parts, one way:

- reading is :mod:`wattprint.records` (every file form, streamed into one
  run record, what a file does not say left unknown); :mod:`.load` gathers
  the runs of several files, keeps each run once and filters them;
- the model (:mod:`.model`, :mod:`.runs`, :mod:`.embodied`, :mod:`.sources`,
  :mod:`.recompute`) builds the report's figures (totals, components, tasks,
  per unit, equivalents, embodied, what-if, methodology, sources) with the
  formulas of :mod:`wattprint.impact`, crediting a stored run's figures to
  the sources recorded with it;
- rendering (:mod:`.render`: Markdown, HTML, LaTeX, the JSON report) writes
  it out; :mod:`.build` ties the three together, and :mod:`.signing` signs
  a JSON report and checks one.

Nothing here is imported by ``import wattprint``; import the modules you need.
"""

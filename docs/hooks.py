"""MkDocs hooks: generated tables, and a check that the documented API has docstrings.

- ``<!-- settings-table -->`` becomes the settings table of ``scripts/settings_table.py``
  (the one README.md holds), so the two never disagree;
- ``<!-- codecarbon-keywords -->`` becomes the table of CodeCarbon's keywords and
  what wattprint does with each, from the drop-in's and the schema's declarations;
- every public function, class and method of the modules the API reference shows
  must have a docstring: a missing one is a warning, which ``mkdocs build --strict``
  turns into a failure.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
for _name in [n for n in sys.modules if n == "wattprint" or n.startswith("wattprint.")]:
    if not str(getattr(sys.modules[_name], "__file__", "") or "").startswith(str(ROOT)):
        del sys.modules[_name]  # another checkout's, imported before this hook

log = logging.getLogger("mkdocs.hooks.wattprint")

DOCUMENTED = (
    "wattprint.tracking.tracker", "wattprint.tracking.decorator", "wattprint.results",
    "wattprint.sinks.csv_file", "wattprint.sinks.jsonl", "wattprint.sinks.logger",
    "wattprint.sinks.prometheus", "wattprint.sinks.webhook", "wattprint.sinks.base",
    "wattprint.errors", "wattprint.compat.codecarbon", "wattprint.compat.shim",
    "wattprint.tracking.monitor",
)  # fmt: skip


def _settings_table() -> str:
    path = ROOT / "scripts" / "settings_table.py"
    spec = importlib.util.spec_from_file_location("settings_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.table())


def _codecarbon_keywords() -> str:
    from wattprint.compat._keywords import (
        _ONLY_DEFAULT,
        _SERVER_KEYS,
        OFFLINE_PARAMETERS,
        PARAMETERS,
    )
    from wattprint.settings.schema import CODECARBON_UNSUPPORTED, codecarbon_names

    mapped = codecarbon_names()
    special = {
        "output_methods": "`CSV` → the CSV file; `LOGGER` → a logger sink; `PROMETHEUS` → "
        "a Pushgateway push; `API` → the team server (see below); others: one warning",
        "save_to_logger": "a `LoggerSink` on `logging_logger`'s logger",
        "logging_logger": "the logger of the `LoggerSink`",
        "save_to_prometheus": "a `PrometheusSink` pushing to `prometheus_url`",
        "prometheus_url": "the Pushgateway of `save_to_prometheus`",
        "output_handlers": "each is given the run's `EmissionsData` at `flush()` and `stop()`",
        "country_2letter_iso_code": "`country`, when `country_iso_code` is not given",
    }
    server = (
        "the team server's settings where this wattprint has them; "
        "else one warning: not sent anywhere"
    )
    rows = ["| CodeCarbon keyword or key | wattprint |", "| --- | --- |"]
    for key in (*PARAMETERS, *OFFLINE_PARAMETERS):
        if key in mapped:
            what = f"setting `{mapped[key]}`"
        elif key in special:
            what = special[key]
        elif key in _SERVER_KEYS:
            what = server
        elif key in _ONLY_DEFAULT:
            default, why = _ONLY_DEFAULT[key]
            what = f"`{default!r}` honoured; another value: one warning ({why})"
        else:
            what = f"one warning: {CODECARBON_UNSUPPORTED[key]}"
        rows.append(f"| `{key}` | {what} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Put the generated tables in place of their markers."""
    if "<!-- settings-table -->" in markdown:
        markdown = markdown.replace("<!-- settings-table -->", _settings_table())
    if "<!-- codecarbon-keywords -->" in markdown:
        markdown = markdown.replace("<!-- codecarbon-keywords -->", _codecarbon_keywords())
    return markdown


def _public(obj: Any, module: str) -> list[tuple[str, Any]]:
    return [
        (name, value)
        for name, value in vars(obj).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", module) == module
    ]


def on_pre_build(config: Any) -> None:
    """Warn about every public function, class or method of the reference without a docstring."""
    for name in DOCUMENTED:
        module = importlib.import_module(name)
        if not (module.__doc__ or "").strip():
            log.warning("%s has no module docstring", name)
        for attr, value in _public(module, name):
            if not (inspect.getdoc(value) or "").strip():
                log.warning("%s.%s has no docstring", name, attr)
            if inspect.isclass(value):
                for method, member in _public(value, name):
                    if not (member.__doc__ or "").strip():
                        log.warning("%s.%s.%s has no docstring", name, attr, method)

"""The Hugging Face Hub's ``co2_eq_emissions`` block, from a run.

A model card's YAML front matter may say what training emitted
(hub-docs, ``model-cards-co2.md``)::

    co2_eq_emissions:
      emissions: 12.3            # grams of CO2e (not kg)
      source: wattprint 0.4.0
      training_type: fine-tuning
      geographical_location: France (FRA)
      hardware_used: 1 x NVIDIA A100, 8 x AMD EPYC 7763

:func:`model_card_metadata` builds it from a finished run (a
:class:`~wattprint.results.RunResult`, or a run read back from any emissions
file, CodeCarbon's too); :func:`write_model_card` merges it into a README
with ``huggingface_hub`` (``pip install "wattprint[huggingface]"``). Needs
no ML framework.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from wattprint._version import __version__
from wattprint.errors import ConfigError
from wattprint.records.record import RunRecord
from wattprint.results import RunResult
from wattprint.units import G_PER_KG

TrainingType = Literal["pre-training", "fine-tuning"]
TRAINING_TYPES: tuple[str, ...] = ("pre-training", "fine-tuning")


def _place(result: RunResult | RunRecord) -> str:
    if isinstance(result, RunResult):
        loc = result.location
        name, iso3, region = loc.country_name, loc.country_iso3, loc.region
        cloud = f"{loc.cloud_provider} {loc.cloud_region}" if loc.cloud_region else ""
    else:
        p = result.place
        name, iso3, region = p.country_name or "", p.country_iso3 or "", p.region
        cloud = f"{p.cloud_provider} {p.cloud_region}" if p.cloud_region else ""
    if iso3 == "WLD" or not (name or iso3):
        place = "unknown (world average grid)"
    else:
        place = f"{name} ({iso3})" if name and iso3 and name != iso3 else name or iso3
    parts = [place] + ([region] if region else []) + ([cloud.strip()] if cloud else [])
    return ", ".join(parts)


def _hardware(result: RunResult | RunRecord) -> str:
    host = result.host
    cpu_count = host.cpu_count
    parts = []
    if host.gpu_count and host.gpu_model:
        parts.append(f"{host.gpu_count} x {host.gpu_model}")
    if host.cpu_model:
        parts.append(f"{cpu_count} x {host.cpu_model}" if cpu_count else host.cpu_model)
    return ", ".join(parts) or "unknown"


def model_card_metadata(
    result: RunResult | RunRecord, *, training_type: str = "fine-tuning"
) -> dict[str, Any]:
    """Return the Hub's ``co2_eq_emissions`` block for ``result`` (emissions in grams).

    Raises:
        ConfigError: ``training_type`` is not ``pre-training`` or ``fine-tuning``,
            or the run does not record its emissions.
    """
    if training_type not in TRAINING_TYPES:
        raise ConfigError("training_type", training_type, "pre-training or fine-tuning")
    if result.emissions_kg is None:
        raise ConfigError("result", getattr(result, "origin", "?"), "a run with its emissions")
    return {
        "emissions": float(f"{result.emissions_kg * G_PER_KG:.6g}"),  # grams, 6 digits
        "source": f"wattprint {__version__}",
        "training_type": training_type,
        "geographical_location": _place(result),
        "hardware_used": _hardware(result),
    }


def to_yaml(block: dict[str, Any]) -> str:
    """Return ``block`` as the YAML of a model card's front matter (no YAML library needed)."""
    lines = ["co2_eq_emissions:"]
    for key, value in block.items():
        # a JSON string is a valid YAML double-quoted scalar; numbers are the same in both
        lines.append(f"  {key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def write_model_card(path: str | Path, block: dict[str, Any]) -> None:
    """Merge ``block`` into the front matter of the model card at ``path`` (made if missing).

    Raises:
        MissingDependencyError: ``huggingface_hub`` is not installed.
    """
    from wattprint.integrations._support import require

    hub = require("huggingface_hub", "huggingface")
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else "---\n---\n"
    card = hub.ModelCard(text)
    card.data.co2_eq_emissions = block
    path.write_text(str(card), encoding="utf-8")


__all__ = ["TRAINING_TYPES", "model_card_metadata", "to_yaml", "write_model_card"]

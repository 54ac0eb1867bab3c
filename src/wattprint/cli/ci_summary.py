"""What ``wattprint run`` leaves for CI: a Markdown summary and step outputs.

``--summary-md PATH`` appends a Markdown summary of the run to PATH; on
GitHub Actions, ``$GITHUB_STEP_SUMMARY`` is used when no path is given
(GitHub shows it on the run's page; at most 1 MiB per step), and
``$GITHUB_OUTPUT`` gets ``energy_kwh``, ``emissions_kg`` and ``estimated``
for later steps. CI runners are virtual machines without energy counters:
there the figures are modelled, and the summary says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wattprint.results import RunResult

_MAX_SUMMARY_BYTES = 1 << 20


def on_ci(env: Mapping[str, str]) -> bool:
    """Tell whether this looks like a CI runner (``CI`` or ``GITHUB_ACTIONS`` set true)."""
    return any(env.get(k, "").lower() in ("true", "1") for k in ("CI", "GITHUB_ACTIONS"))


def summary_markdown(result: RunResult, command: Sequence[str], env: Mapping[str, str]) -> str:
    """Return the Markdown summary of ``result`` (the run of ``command``)."""
    estimated = result.measured_share < 1.0
    mark = " (estimated)" if estimated else ""
    m = result.methodology
    lines = [
        f"### wattprint: `{' '.join(command)}`",
        "",
        "| | |",
        "|---|---|",
        f"| status | {result.status} |",
        f"| duration | {result.duration_s:.1f} s |",
        f"| energy{mark} | {result.energy_kwh:.6g} kWh |",
        f"| emissions{mark} | {result.emissions_kg * 1000:.6g} g CO2e |",
        f"| water{mark} | {result.water_l:.6g} L |",
        f"| grid | {result.location.country_name}, {result.intensity_g_per_kwh:.0f} gCO2e/kWh "
        f"({m.intensity.source} {m.intensity.year or ''}) |",
    ]
    for c in m.components:
        if c.method != "none":
            how = "measured" if c.measured else "estimated"
            lines.append(f"| {c.component} | {c.method}, {how} |")
    lines.append("")
    if estimated and on_ci(env):
        lines.append(
            "> Estimated: this CI runner is a virtual machine without energy counters, so the "
            "figures come from power models (see the methods above), not measurements."
        )
        lines.append("")
    return "\n".join(lines) + "\n"


def write_ci_outputs(
    result: RunResult, command: Sequence[str], summary_md: Path | None, env: Mapping[str, str]
) -> None:
    """Append the summary (to ``summary_md``, else ``$GITHUB_STEP_SUMMARY``) and step outputs.

    Raises:
        OSError: a file could not be written.
    """
    target = summary_md or (Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY")
                            else None)  # fmt: skip
    if target is not None:
        text = summary_markdown(result, command, env).encode("utf-8")[:_MAX_SUMMARY_BYTES]
        with open(target, "ab") as f:
            f.write(text)
    if env.get("GITHUB_OUTPUT"):
        estimated = "true" if result.measured_share < 1.0 else "false"
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as f:
            f.write(f"energy_kwh={result.energy_kwh:.9g}\nemissions_kg={result.emissions_kg:.9g}\n"
                    f"estimated={estimated}\n")  # fmt: skip


__all__ = ["on_ci", "summary_markdown", "write_ci_outputs"]

"""``wattprint run --summary-md`` and GitHub's files, ``wattprint card hf``, and action.yml."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattprint.cli import main

ROOT = Path(__file__).resolve().parents[2]
FORCED = ["--country", "FR", "--cpu-power", "36", "--mode", "machine"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    log = logging.getLogger("wattprint")
    level, handlers = log.level, list(log.handlers)
    yield
    log.setLevel(level)  # the command line sets them
    log.handlers[:] = handlers


def _run(tmp_path: Path, *extra: str) -> int:
    return main(["run", *FORCED, "--output-dir", str(tmp_path), *extra, "--",
                 sys.executable, "-c", "pass"])  # fmt: skip


def test_summary_md_and_github_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step_summary, outputs = tmp_path / "step.md", tmp_path / "out.txt"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    assert _run(tmp_path) == 0
    assert _run(tmp_path, "--summary-md", str(tmp_path / "mine.md")) == 0
    text = step_summary.read_text()
    assert text.count("### wattprint:") == 1  # the second run went to --summary-md
    assert "| energy (estimated) |" in text and "this CI runner is a virtual machine" in text
    assert "| cpu | constant, estimated |" in text
    assert "### wattprint:" in (tmp_path / "mine.md").read_text()
    lines = outputs.read_text().splitlines()
    assert [line.split("=")[0] for line in lines] == ["energy_kwh", "emissions_kg", "estimated"] * 2
    assert float(lines[0].split("=")[1]) > 0 and lines[2] == "estimated=true"


def test_no_summary_off_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("GITHUB_ACTIONS", "CI", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(key, raising=False)
    assert _run(tmp_path, "--summary-md", str(tmp_path / "s.md")) == 0
    assert "virtual machine" not in (tmp_path / "s.md").read_text()


def test_card_hf_prints_grams_and_merges_into_a_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path) == 0
    csv = tmp_path / "emissions.csv"
    capsys.readouterr()
    assert main(["card", "hf", str(csv), "--training-type", "pre-training"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("co2_eq_emissions:\n  emissions: ")
    assert '  training_type: "pre-training"' in out and "France (FRA)" in out
    from wattprint.records.read import read_records

    kg = next(iter(read_records(csv))).emissions_kg
    grams = float(out.splitlines()[1].split(":")[1])
    assert grams == pytest.approx(kg * 1000, rel=1e-5)  # grams, not kilograms

    hub = pytest.importorskip("huggingface_hub", reason="needs the huggingface extra")
    readme = tmp_path / "README.md"
    readme.write_text("---\nlicense: mit\n---\n# Tiny model\n")
    assert main(["card", "hf", str(csv), "--readme", str(readme)]) == 0
    card = hub.ModelCard.load(readme)
    assert card.data.license == "mit" and "# Tiny model" in card.text
    block = card.data.co2_eq_emissions
    assert block["emissions"] == pytest.approx(kg * 1000, rel=1e-5)
    assert block["source"].startswith("wattprint") and block["training_type"] == "fine-tuning"


def test_card_hf_unknown_run_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path) == 0
    assert main(["card", "hf", str(tmp_path / "emissions.csv"), "--run", "nope"]) == 1
    assert "no run 'nope'" in capsys.readouterr().err


def test_action_yml_is_a_composite_action_wrapping_wattprint_run() -> None:
    yaml = pytest.importorskip("yaml", reason="needs PyYAML")
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"run", "country"} <= set(action["inputs"])
    assert {"energy_kwh", "emissions_kg"} <= set(action["outputs"])
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "pip install" in script and "wattprint run" in script

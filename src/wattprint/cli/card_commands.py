"""``wattprint card hf``: a run's emissions as a Hugging Face model card block.

Reads the run from any emissions file (wattprint's CSV or JSON lines,
CodeCarbon's CSV), prints the ``co2_eq_emissions`` YAML block, or merges it
into a model card's front matter with ``--readme``.
"""

from __future__ import annotations

from pathlib import Path

import click

from wattprint.errors import WattprintError


@click.group("card")
def card() -> None:
    """Write a run's emissions into model cards."""


@card.command("hf")
@click.argument("result", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--run", "run_id", default=None, help="The run to use (default: the file's last).")
@click.option("--readme", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Merge the block into this model card (README.md) instead of printing it.")
@click.option("--training-type", type=click.Choice(["fine-tuning", "pre-training"]),
              default="fine-tuning", show_default=True, help="How the model was trained.")
def hf(result: Path, run_id: str | None, readme: Path | None, training_type: str) -> None:
    """Print the Hub's co2_eq_emissions block (grams) for the run in RESULT."""
    from wattprint.integrations.model_card import model_card_metadata, to_yaml, write_model_card
    from wattprint.records.read import read_records

    try:
        records = [r for r in read_records(result) if run_id is None or r.run_id == run_id]
        if not records:
            raise click.ClickException(f"no run {run_id!r} in {result}")
        block = model_card_metadata(records[-1], training_type=training_type)
        if readme is None:
            click.echo(to_yaml(block), nl=False)
            return
        write_model_card(readme, block)
    except WattprintError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"co2_eq_emissions ({block['emissions']:g} g) written to {readme}", err=True)


__all__ = ["card"]

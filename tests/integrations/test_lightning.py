"""The Lightning callback, with a real Trainer fitting a linear module for 3 epochs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="needs the integrations-test extra")
pl = pytest.importorskip("lightning.pytorch", reason="needs the integrations-test extra")

from conftest import J_PER_KWH, kwh, tracker_options  # noqa: E402
from fakes.fake_clock import FakeClock  # noqa: E402

from wattprint.integrations.lightning import WattprintCallback  # noqa: E402

BATCHES = 4  # per epoch


class _Linear(pl.LightningModule):  # type: ignore[misc]
    def __init__(self, fail_at: int = -1) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)
        self.fail_at = fail_at

    def training_step(self, batch: Any, idx: int) -> Any:
        if self.global_step == self.fail_at:
            raise RuntimeError("NaN loss (pretend)")
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=0.01)

    def train_dataloader(self) -> Any:
        g = torch.Generator().manual_seed(0)
        data = torch.utils.data.TensorDataset(torch.randn(8 * BATCHES, 3, generator=g),
                                              torch.randn(8 * BATCHES, 1, generator=g))
        return torch.utils.data.DataLoader(data, batch_size=8)


class _Tick(pl.Callback):  # type: ignore[misc]
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def on_train_batch_end(self, *args: Any) -> None:
        self.clock.advance(1.0)


def _trainer(clock: FakeClock, callback: WattprintCallback, epochs: int, **kw: Any) -> Any:
    return pl.Trainer(
        accelerator="cpu", max_epochs=epochs, logger=False, enable_progress_bar=False,
        enable_model_summary=False, callbacks=[callback, _Tick(clock)], **kw,
    )  # fmt: skip


def test_epochs_are_tasks_and_their_figures_are_logged(clock: FakeClock) -> None:
    callback = WattprintCallback(**tracker_options(clock))
    trainer = _trainer(clock, callback, 3, enable_checkpointing=False)
    trainer.fit(_Linear())
    result = callback.monitor.result
    assert result is not None and result.status == "completed"
    assert [t.name for t in result.tasks] == ["epoch-1", "epoch-2", "epoch-3"]
    assert [t.energy_kwh for t in result.tasks] == pytest.approx([kwh(BATCHES)] * 3)
    metrics = trainer.callback_metrics
    assert float(metrics["wattprint/energy_kwh"]) == pytest.approx(kwh(3 * BATCHES))
    assert float(metrics["wattprint/epoch_energy_kwh"]) == pytest.approx(kwh(BATCHES))
    assert result.energy_kwh == pytest.approx(kwh(3 * BATCHES))


def test_an_exception_in_fit_closes_the_run_interrupted(clock: FakeClock) -> None:
    callback = WattprintCallback(**tracker_options(clock))
    trainer = _trainer(clock, callback, 3, enable_checkpointing=False)
    with pytest.raises(RuntimeError, match="NaN loss"):
        trainer.fit(_Linear(fail_at=6))
    result = callback.monitor.result
    assert result is not None and result.status == "interrupted"
    assert result.energy_kwh == pytest.approx(kwh(6))


def test_a_resumed_run_continues_its_totals(tmp_path: Path, clock: FakeClock) -> None:
    first = WattprintCallback(**tracker_options(clock))
    trainer = _trainer(clock, first, 2, default_root_dir=tmp_path)
    trainer.fit(_Linear())
    checkpoint = next(tmp_path.rglob("*.ckpt"))

    second = WattprintCallback(**tracker_options(clock))
    trainer = _trainer(clock, second, 3, default_root_dir=tmp_path)
    trainer.fit(_Linear(), ckpt_path=str(checkpoint))
    assert second.monitor.carried["energy_kwh"] == pytest.approx(kwh(2 * BATCHES))
    assert second.monitor.result is not None
    assert second.monitor.result.energy_kwh == pytest.approx(kwh(BATCHES))  # this run alone
    total = float(trainer.callback_metrics["wattprint/energy_kwh"])
    assert total == pytest.approx(kwh(3 * BATCHES))  # both runs


def test_a_budget_stops_training_gracefully_and_the_prediction_is_logged(
    clock: FakeClock,
) -> None:
    # 36 W x 4 s per epoch = 144 J; a 300 J budget is passed in epoch 3 of 10.
    budget_kwh = 300.0 / J_PER_KWH
    callback = WattprintCallback(**tracker_options(clock, budget_kwh=budget_kwh,
                                                   on_budget="stop"))  # fmt: skip
    trainer = _trainer(clock, callback, 10, enable_checkpointing=False)
    trainer.fit(_Linear())
    result = callback.monitor.result
    assert result is not None and result.status == "budget_exceeded"
    assert trainer.current_epoch == 3  # stopped after the third epoch, not the tenth
    predicted = float(trainer.callback_metrics["wattprint/predicted_energy_kwh"])
    assert predicted == pytest.approx(kwh(10 * BATCHES), rel=0.05)

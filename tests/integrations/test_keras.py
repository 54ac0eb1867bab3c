"""The Keras 3 callback (torch backend), with a real model fitted for 3 epochs."""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="needs the integrations-test extra")
np = pytest.importorskip("numpy", reason="needs the integrations-test extra")

from conftest import POWER_W, kwh, tracker_options  # noqa: E402
from fakes.fake_clock import FakeClock  # noqa: E402

from wattprint.integrations.keras import WattprintCallback  # noqa: E402

BATCHES = 4


class _Tick(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.clock.advance(1.0)


def test_history_has_the_figures_of_every_epoch(clock: FakeClock) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8 * BATCHES, 3)), rng.normal(size=(8 * BATCHES, 1))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    callback = WattprintCallback(**tracker_options(clock))
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0,
                        callbacks=[callback, _Tick(clock)])  # fmt: skip
    h = history.history
    assert h["wattprint/epoch_energy_kwh"] == pytest.approx([kwh(BATCHES)] * 3)
    assert h["wattprint/energy_kwh"] == pytest.approx([kwh(BATCHES * n) for n in (1, 2, 3)])
    assert h["wattprint/epoch_power_w"] == pytest.approx([POWER_W] * 3)
    assert len(h["loss"]) == 3
    result = callback.monitor.result
    assert result is not None and result.status == "completed"
    assert [t.name for t in result.tasks] == ["epoch-1", "epoch-2", "epoch-3"]

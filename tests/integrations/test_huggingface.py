"""The Hugging Face Trainer callback, with a real Trainer training a tiny BERT for 20 steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

transformers = pytest.importorskip("transformers", reason="needs the integrations-test extra")
torch = pytest.importorskip("torch", reason="needs the integrations-test extra")

from conftest import POWER_W, kwh, make_tracker, tracker_options  # noqa: E402
from fakes.fake_clock import FakeClock  # noqa: E402

from wattprint.integrations.huggingface import WattprintCallback, attach  # noqa: E402

STEPS = 20
STEPS_PER_EPOCH = 8  # 16 examples, batch size 2


class _Data(torch.utils.data.Dataset):  # type: ignore[misc]
    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, 99, (16, 8), generator=g)
        self.labels = torch.randint(0, 2, (16,), generator=g)

    def __len__(self) -> int:
        return 16

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


class _Tick(transformers.TrainerCallback):  # type: ignore[misc]
    """Each step takes exactly one second of the fake clock."""

    def __init__(self, clock: FakeClock, fail_at: int = 0) -> None:
        self.clock, self.fail_at = clock, fail_at

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.clock.advance(1.0)
        if state.global_step == self.fail_at:
            raise RuntimeError("out of memory (pretend)")


def _trainer(tmp_path: Path, clock: FakeClock, *, fail_at: int = 0, **overrides: Any) -> Any:
    config = transformers.BertConfig(
        vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, num_labels=2,
    )  # fmt: skip
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    options: dict[str, Any] = dict(
        output_dir=str(tmp_path / "out"), use_cpu=True, max_steps=STEPS, logging_steps=5,
        per_device_train_batch_size=2, report_to="none", save_strategy="no",
        disable_tqdm=True, run_name="tiny-bert",
    )  # fmt: skip
    args = transformers.TrainingArguments(**{**options, **overrides})
    return transformers.Trainer(
        model=model, args=args, train_dataset=_Data(), callbacks=[_Tick(clock, fail_at)]
    )


def test_trainer_logs_carry_the_exact_energy_and_the_run_is_written(
    tmp_path: Path, clock: FakeClock
) -> None:
    tracker = make_tracker(clock, save_to_file=True, output_dir=str(tmp_path))
    trainer = _trainer(tmp_path, clock)
    callback = attach(trainer, tracker=tracker)
    assert trainer.callback_handler.callbacks[0] is callback
    trainer.train()

    history = trainer.state.log_history
    logged = [h for h in history if "loss" in h]
    assert [h["step"] for h in logged] == [5, 8, 10, 15, 16, 20]  # every 5, and each epoch's end
    for row in logged:
        assert row["wattprint/energy_kwh"] == pytest.approx(kwh(row["step"]))
        assert row["wattprint/power_w"] == pytest.approx(POWER_W)
        assert row["wattprint/emissions_kg"] > 0 and row["wattprint/water_l"] >= 0
    epochs = [h for h in history if "wattprint/epoch_energy_kwh" in h]
    assert [h["wattprint/epoch_energy_kwh"] for h in epochs] == pytest.approx(
        [kwh(STEPS_PER_EPOCH), kwh(STEPS_PER_EPOCH), kwh(STEPS - 2 * STEPS_PER_EPOCH)]
    )
    final = history[-1]
    assert "train_runtime" in final and final["wattprint/energy_kwh"] == pytest.approx(kwh(STEPS))

    result = callback.monitor.result
    assert result is not None and result.status == "completed"
    assert result.energy_kwh == pytest.approx(kwh(STEPS))
    assert [t.name for t in result.tasks] == ["epoch-1", "epoch-2", "epoch-3"]
    rows = (tmp_path / "emissions.csv").read_text().splitlines()
    assert len(rows) == 2 and result.run_id in rows[1]


def test_a_failure_inside_training_closes_the_run_interrupted_with_its_data(
    tmp_path: Path, clock: FakeClock
) -> None:
    trainer = _trainer(tmp_path, clock, fail_at=7)
    callback = attach(trainer, **tracker_options(clock, save_to_file=True, output_dir=tmp_path))
    with pytest.raises(RuntimeError, match="out of memory"):
        trainer.train()
    result = callback.monitor.result
    assert result is not None and result.status == "interrupted"
    assert result.experiment == "tiny-bert"  # the Trainer's run name, as no tracker was given
    assert result.energy_kwh == pytest.approx(kwh(7))
    assert not callback.monitor.running
    assert "interrupted" in (tmp_path / "emissions.csv").read_text()


def test_a_broken_tracker_is_one_warning_and_training_goes_on(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    class _Broken:
        group = None
        running = True

        def flush(self) -> None:
            raise OSError("disk on fire")

        def __getattr__(self, name: str) -> Any:
            raise OSError("disk on fire")

    trainer = _trainer(tmp_path, clock)
    trainer.add_callback(WattprintCallback(tracker=_Broken()))  # type: ignore[arg-type]
    trainer.train()  # does not raise
    assert trainer.state.global_step == STEPS
    warnings = [r for r in caplog.records if "disk on fire" in r.getMessage()]
    assert warnings and len({r.getMessage() for r in warnings}) == len(warnings)
    assert all(r.levelname == "WARNING" for r in warnings)


def test_a_resumed_trainer_continues_its_totals(tmp_path: Path, clock: FakeClock) -> None:
    first = _trainer(tmp_path, clock, max_steps=10, save_strategy="steps", save_steps=10)
    callback = attach(first, **tracker_options(clock))
    first.train()
    saved = tmp_path / "out" / "checkpoint-10" / "wattprint_state.json"
    assert saved.exists()

    second = _trainer(tmp_path, clock)
    resumed = attach(second, **tracker_options(clock))
    second.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-10"))
    assert callback.monitor.result is not None
    assert resumed.monitor.carried["energy_kwh"] == pytest.approx(kwh(10))
    assert resumed.monitor.result is not None
    assert resumed.monitor.result.energy_kwh == pytest.approx(kwh(STEPS - 10))  # this run alone
    final = second.state.log_history[-1]
    assert final["wattprint/energy_kwh"] == pytest.approx(kwh(STEPS))  # both runs

"""wattprint inside the tools ML people already use.

Each module is importable only when its framework is installed, and costs
nothing otherwise (nothing here is imported by ``import wattprint``):

- :mod:`.monitor`: the training monitor every framework callback shares;
- :mod:`.huggingface`, :mod:`.lightning`, :mod:`.keras`: training callbacks;
- :mod:`.mlflow`, :mod:`.comet`, :mod:`.wandb`: experiment trackers as observers;
- :mod:`.pytest_plugin`: energy per test (``pytest --wattprint``);
- :mod:`.ipython`: ``%load_ext wattprint``, ``%%wattprint`` and ``%wattprint``;
- :mod:`.model_card`: the Hugging Face Hub's ``co2_eq_emissions`` block.

An integration never breaks what it sits in: a failure inside it is one
warning, and training (or the test session, or the cell) goes on.
"""

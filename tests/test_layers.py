"""The import layers of ARCHITECTURE.md hold, checked by import-linter.

The contracts are in ``pyproject.toml`` (``[tool.importlinter]``); CI also
runs ``lint-imports`` on its own. Here the suite fails too when a layer
breaks, and a copy of the package with a wrong import shows the contracts
catch it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wattprint

pytest.importorskip(
    "importlinter", reason="import-linter is not installed (pip install -e .[test])"
)

PACKAGE = Path(wattprint.__file__).parent
ROOT = Path(__file__).parent.parent
PYPROJECT = ROOT / "pyproject.toml"

_LINT = (
    "import sys\n"
    "from importlinter.cli import lint_imports\n"
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))\n"
)


def _lint(project: Path, src: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with ``project``'s contracts on the package found in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [sys.executable, "-c", _LINT],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def contracts() -> Path:
    if not PYPROJECT.is_file() or "[tool.importlinter]" not in PYPROJECT.read_text():
        pytest.skip("no pyproject.toml with the import contracts next to the tests")
    return PYPROJECT


def test_the_layers_and_no_circles_hold(contracts: Path) -> None:
    out = _lint(contracts.parent, PACKAGE.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "BROKEN" not in out.stdout and "3 kept, 0 broken" in out.stdout


def test_an_upward_import_the_settings_and_a_circle_are_caught(
    contracts: Path, tmp_path: Path
) -> None:
    shutil.copytree(PACKAGE, tmp_path / "src" / "wattprint",
                    ignore=shutil.ignore_patterns("__pycache__", "data"))  # fmt: skip
    shutil.copy(contracts, tmp_path / "pyproject.toml")
    grid = tmp_path / "src" / "wattprint" / "grid"
    wrong = {
        "request.py": "from wattprint.settings.resolve import Settings",  # the settings object
        "water.py": "from wattprint.power.base import Reading",  # grid and power meet
        "tables.py": "from wattprint.grid.plan import plan_grid",  # tables <-> plan
    }
    for name, line in wrong.items():
        with open(grid / name, "a") as f:
            f.write(f"\n{line}  # noqa\n")
    out = _lint(tmp_path, tmp_path / "src")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "0 kept, 3 broken" in out.stdout
    assert "wattprint.grid is not allowed to import wattprint.settings" in out.stdout
    assert "wattprint.grid is not allowed to import wattprint.power" in out.stdout
    assert "No cycles are allowed in wattprint.grid" in out.stdout

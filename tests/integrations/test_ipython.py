"""The IPython extension, in an in-process shell and in a real Jupyter kernel (nbclient)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

IPython = pytest.importorskip("IPython", reason="needs IPython")

ENV = {"WATTPRINT_COUNTRY": "FR", "WATTPRINT_FORCE_CPU_POWER_W": "36",
       "WATTPRINT_FORCE_RAM_POWER_W": "0", "WATTPRINT_MODE": "machine"}  # fmt: skip


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> object:
    from IPython.core.interactiveshell import InteractiveShell

    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    ip = InteractiveShell.instance()
    ip.run_cell("%load_ext wattprint")
    yield ip
    InteractiveShell.clear_instance()


def test_cell_line_and_auto_magics(shell: object, capsys: pytest.CaptureFixture[str]) -> None:
    ip = shell
    # 20 ms long, so that a few µs of scheduling between the two readings do not count
    cell = "%%wattprint --project nb\nimport time\nx = sum(range(1000))\ntime.sleep(0.02)"
    ip.run_cell(cell)  # type: ignore[attr-defined]
    first = ip.user_ns["_wattprint"]  # type: ignore[attr-defined]
    assert first.project == "nb" and ip.user_ns["x"] == 499500  # type: ignore[attr-defined]
    assert first.energy_kwh == pytest.approx(36 * first.duration_s / 3.6e6, rel=0.2)
    ip.run_cell("%wattprint y = 2")  # type: ignore[attr-defined]
    assert ip.user_ns["_wattprint"] is not first and ip.user_ns["y"] == 2  # type: ignore[attr-defined]
    ip.run_cell("%wattprint auto on")  # type: ignore[attr-defined]
    ip.run_cell("z = 3")  # type: ignore[attr-defined]
    auto = ip.user_ns["_wattprint"]  # type: ignore[attr-defined]
    ip.run_cell("%wattprint auto off")  # type: ignore[attr-defined]
    ip.run_cell("w = 4")  # type: ignore[attr-defined]
    assert ip.user_ns["_wattprint"] is auto  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert out.count("wattprint: energy") == 3 and "kWh (estimated)" in out  # text in a terminal


def test_a_notebook_shows_an_html_table(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="needs the integrations-test extra")
    nbclient = pytest.importorskip("nbclient", reason="needs the integrations-test extra")
    pytest.importorskip("ipykernel", reason="needs the integrations-test extra")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%load_ext wattprint"),
                nbformat.v4.new_code_cell("%%wattprint\ntotal = sum(range(10_000))"),
                nbformat.v4.new_code_cell("print(total, _wattprint.status)")]  # fmt: skip
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**ENV, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        resources = {"metadata": {"path": str(tmp_path)}}
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                         resources=resources)  # fmt: skip
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    html = nb.cells[1].outputs[0]["data"]["text/html"]
    assert "<table class='wattprint'>" in html and "kWh (estimated)" in html and "France" in html
    assert nb.cells[2].outputs[0]["text"].strip() == "49995000 completed"

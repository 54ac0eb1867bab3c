"""Reports as the documents people open: the HTML page in headless Chromium, the LaTeX
snippet compiled by pdflatex.

Both tools come from Debian packages that ``.ci/run`` installs (``chromium``,
``texlive-latex-base``); each test is skipped, saying why, when its tool is absent.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from wattprint.report.build import render, report_from_files
from wattprint.report.render import text as t

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
INPUTS = [FIXTURES / "runs.jsonl", FIXTURES / "codecarbon_v2_31_columns.csv"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium on PATH (install Debian's 'chromium' package; .ci/run does)")


def _chromium_args(tmp_path: Path) -> list[str]:
    return [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]


def test_html_opens_in_headless_chromium(tmp_path: Path) -> None:
    built = report_from_files(INPUTS)
    page = tmp_path / "report.html"
    page.write_text(render(built, "html"), encoding="utf-8")
    args = _chromium_args(tmp_path)
    shot = tmp_path / "report.png"
    subprocess.run(
        [*args, f"--screenshot={shot}", "--window-size=1100,2400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists(), "chromium wrote no screenshot"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = subprocess.run(
        [*args, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    s = built.totals
    assert f"<h1>{built.title}</h1>" in dom
    energy = t.energy_range(s.energy_kwh, s.energy_kwh_low, s.energy_kwh_high)
    assert f"{energy} (IT {t.energy(s.it_energy_kwh)})" in dom and "–" in energy
    emissions = t.mass_range(s.emissions_kg, s.emissions_kg_low, s.emissions_kg_high)
    assert emissions in dom and t.intensity(s.intensity_g_per_kwh) in dom
    assert f"{s.runs} ({s.runs_counted} counted)" in dom
    assert dom.count("<svg") == 3  # components, tasks, what-if (no power series here)


def test_latex_snippet_compiles(tmp_path: Path) -> None:
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("no pdflatex on PATH (install Debian's 'texlive-latex-base'; .ci/run does)")
    for name, inputs in (("ours", INPUTS[:1]), ("codecarbon", INPUTS[1:])):
        snippet = tmp_path / f"{name}.tex"
        snippet.write_text(render(report_from_files(inputs), "latex"), encoding="utf-8")
        wrapper = tmp_path / f"paper-{name}.tex"
        wrapper.write_text(
            "\\documentclass{article}\n\\begin{document}\n"
            f"\\input{{{snippet.name}}}\n\\end{{document}}\n",
            encoding="utf-8",
        )
        done = subprocess.run(
            [pdflatex, "-interaction=nonstopmode", "-halt-on-error", wrapper.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:]
        assert (tmp_path / f"paper-{name}.pdf").stat().st_size > 1000


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0.0, "0"),
        (30000.0, "30,000"),
        (1500.0, "1,500"),
        (12.5, "12.5"),
        (0.25, "0.25"),
        (0.00002, "2.0e-05"),
    ],
)
def test_axis_labels_are_read_at_once(value: float, label: str) -> None:
    from wattprint.report.render.svg import tick_label

    assert tick_label(value) == label


def test_long_run_axis_has_no_exponent() -> None:
    from wattprint.report.render.svg import Line, line_chart

    svg = line_chart(
        [Line("cpu", [(0.0, 10.0), (40000.0, 12.0)])], title="t", x_label="s", y_label="W"
    )
    assert "e+0" not in svg
    assert ",000</text>" in svg

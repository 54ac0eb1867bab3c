"""Write the docs' emissions.csv column table from ``records/columns.py``.

The table sits between two marker comments in ``docs/emissions-csv.md``;
everything between them is replaced. Run from the repository root after changing
``src/wattprint/records/columns.py``::

    python scripts/columns_table.py          # rewrite docs/emissions-csv.md
    python scripts/columns_table.py --check  # exit 1 if it is out of date

A test runs the check, so the docs cannot fall behind the columns.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from wattprint.records.columns import TABLE  # noqa: E402

START = "<!-- columns-table:start (made by scripts/columns_table.py; do not edit) -->"
END = "<!-- columns-table:end -->"
PAGE = ROOT / "docs" / "emissions-csv.md"

_SINCE = {"2": "2.x, 3.x", "3": "3.x", "": "no (wattprint's)"}


def table() -> str:
    """Return the column table, in Markdown."""
    lines = ["| # | Column | Unit | In CodeCarbon | What |", "|---|---|---|---|---|"]
    for number, c in enumerate(TABLE, start=1):
        cells = [str(number), f"`{c.name}`", c.unit, _SINCE[c.since], c.meaning]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def with_table(page: str) -> str:
    """Return ``page`` with the text between the markers replaced by the table.

    Raises:
        ValueError: the markers are missing.
    """
    start, end = page.find(START), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the page has no {START!r} ... {END!r} markers")
    return page[: start + len(START)] + "\n\n" + table() + "\n\n" + page[end:]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the page, or with ``--check`` say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, exit 1 if stale")
    parser.add_argument("--page", type=Path, default=PAGE, help="the page holding the markers")
    args = parser.parse_args(argv)
    current = args.page.read_text(encoding="utf-8")
    wanted = with_table(current)
    if args.check:
        if current != wanted:
            print(f"{args.page} is out of date: run python scripts/columns_table.py")
            return 1
        return 0
    if current != wanted:
        args.page.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

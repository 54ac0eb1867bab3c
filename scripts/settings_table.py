"""Write the README's settings table from the settings schema.

The table sits between two marker comments in ``README.md``; everything
between them is replaced. Run from the repository root after changing
``src/wattprint/settings/schema.py``::

    python scripts/settings_table.py          # rewrite README.md
    python scripts/settings_table.py --check  # exit 1 if README.md is out of date

A test runs the check, so the README cannot fall behind the schema.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from wattprint.settings.schema import SETTINGS  # noqa: E402

START = "<!-- settings-table:start (made by scripts/settings_table.py; do not edit) -->"
END = "<!-- settings-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def table() -> str:
    """Return the settings table, in Markdown."""
    lines = [
        "| Setting | Type | Default | Unit | Environment | CodeCarbon | CLI | Accepted | What |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = str(s.default) if s.default is not None else "None"
        cells = [
            _code(s.name),
            _code(s.type),
            _code(default),
            s.unit,
            _code(s.env),
            ", ".join(_code(n) for n in s.codecarbon),
            _code(s.cli),
            s.accepted,
            s.doc,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def with_table(readme: str) -> str:
    """Return ``readme`` with the text between the markers replaced by the table.

    Raises:
        ValueError: the markers are missing.
    """
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no {START!r} ... {END!r} markers")
    return readme[: start + len(START)] + "\n\n" + table() + "\n\n" + readme[end:]


def main(argv: list[str] | None = None) -> int:
    """Rewrite README.md, or with ``--check`` say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, exit 1 if stale")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    wanted = with_table(current)
    if args.check:
        if current != wanted:
            print(f"{args.readme} is out of date: run python scripts/settings_table.py")
            return 1
        return 0
    if current != wanted:
        args.readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

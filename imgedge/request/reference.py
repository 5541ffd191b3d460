"""The README's parameter table, written from the option table so the two cannot disagree.

``python -m imgedge.request.reference README.md`` rewrites the table in place; a test fails while the
README's copy differs from ``parameter_table()``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable

from .options import OPTIONS, Option
from .signing import SIGNATURE_PARAM

HEADER = ("parameter", "aliases", "values", "default", "unsigned URLs")
_CLOSED = "**no**: signed, or in `allowed_options`"


def parameter_table() -> str:
    """The Markdown table: one row per option, consecutive options documented alike (``bri``, ``con``,
    ``sat``) sharing a row, then the signature parameter."""
    groups: list[list[Option]] = []
    for option in OPTIONS:
        if groups and _doc(groups[-1][0]) == _doc(option):
            groups[-1].append(option)
        else:
            groups.append([option])
    rows = [_row(HEADER), "|" + "|".join("---" for _ in HEADER) + "|"]
    for group in groups:
        first = group[0]
        rows.append(_row((_code(o.name for o in group), _code(a for o in group for a in o.aliases), first.values,
                          first.default, "yes" if first.open else _CLOSED)))
    rows.append(_row((f"`{SIGNATURE_PARAM}`", "", "HMAC signature, when signing is configured (see below)", "none",
                      "—")))
    return "\n".join(rows)


def _row(cells: Iterable[str]) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


def _doc(option: Option) -> tuple[str, str, bool]:
    return option.values, option.default, option.open


def _code(words: Iterable[str]) -> str:
    return ", ".join(f"`{word}`" for word in words)


def rewrite(text: str) -> str:
    """``text`` with its parameter table (the lines from the header row to the next blank line) replaced."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("| parameter | aliases |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return "\n".join([*lines[:start], parameter_table(), *lines[end:]])


if __name__ == "__main__":
    readme = Path(sys.argv[1])
    readme.write_text(rewrite(readme.read_text(encoding="utf-8")), encoding="utf-8")

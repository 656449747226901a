"""Cells that are safe to open in a spreadsheet.

A text cell beginning with `=`, `+`, `-` or `@` (or a tab or carriage return before one)
is taken for a formula by Excel and LibreOffice: `=HYPERLINK("http://…")` would call out
and `+cmd|' /C calc'!A0` run a program on the auditor's machine. OWASP's rule: such a
cell gets a leading apostrophe, which shows the text as it was written and runs nothing.
Every CSV and XLSX the app writes passes its cells through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with an apostrophe in front if a spreadsheet would take it for a formula.
    Numbers, dates and empty cells are kept as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]

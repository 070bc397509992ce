"""CSV cells that spreadsheet programs will not run as formulas."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A value like "=HYPERLINK(...)" typed into a login form must stay text in Excel.
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def row(values: list[object]) -> list[str]:
    return [cell(v) for v in values]

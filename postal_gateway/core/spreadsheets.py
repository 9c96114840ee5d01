"""Cell values for every XLSX and CSV export, made safe to open in a spreadsheet program.

Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run as a formula
by Excel or LibreOffice (``=HYPERLINK(...)`` in a staff comment becomes a live link; DDE payloads
start with ``+`` or ``-``). Such text gets a leading apostrophe, which spreadsheets read as "this is
text". Real numbers are left as numbers, so a negative amount column stays numeric and sums.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

#: first characters a spreadsheet may read as the start of a formula (OWASP "CSV injection")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: a signed integer or decimal written as text (e.g. "-50000" in a CSV): a number, not a formula
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a cell: text that could start a formula is quoted, the rest kept."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """One row of cells through ``safe_cell``: for ``sheet.append`` and ``csv.writer.writerow``."""
    return [safe_cell(value) for value in values]


def csv_text(rows: Iterable[Iterable[Any]], **writer_options: Any) -> str:
    """Rows written as CSV, every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, **writer_options)
    for row in rows:
        writer.writerow(safe_row(row))
    return buffer.getvalue()

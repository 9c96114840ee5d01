"""The register book (form 06) as an XLSX workbook: the same columns as the PDF, every text cell through
core.spreadsheets (a note such as "=HYPERLINK(...)" stays text, never a live formula)."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from postal_gateway.core.spreadsheets import safe_row
from postal_gateway.official_forms.documents import (
    REGISTER_HEADERS,
    REGISTER_TITLE,
    register_cells,
)
from postal_gateway.official_forms.services import Register

#: column widths in characters, in REGISTER_HEADERS' order
WIDTHS = (6, 30, 40, 26, 30, 30, 17, 22, 17, 17, 17, 10, 50)


def register_xlsx(book: Register) -> bytes:
    """One sheet: the agency, the title, the period, the header row, one row per received dossier."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "So theo doi ho so"
    sheet.append(safe_row([book.agency.name.upper()]))
    sheet.append(safe_row([REGISTER_TITLE]))
    sheet.append(safe_row([f"Từ ngày {book.period.first:%d/%m/%Y} đến ngày {book.period.last:%d/%m/%Y}"]))
    sheet.append(safe_row(REGISTER_HEADERS))
    for row in book.rows:
        cells = register_cells(row)
        sheet.append(safe_row([row.number, *cells[1:]]))
    sheet["A2"].font = Font(bold=True, size=13)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

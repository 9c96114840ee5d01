"""The statistics tables as an XLSX workbook: the seed's table with its Vietnamese headers (two header rows,
groups merged over their columns) on the first sheet, "Tiếp nhận qua bưu chính" on the second; and an inline SVG
chart of on-time against late per agency."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from postal_gateway.core.domain import N_
from postal_gateway.core.spreadsheets import safe_row
from postal_gateway.statistics.service import COLUMNS, NO_DATA_KEYS, RECEPTION_COLUMNS, Report

#: the mark after the header of a column the gateway has no data for, explained under the table
NO_DATA_MARK = " *"
#: the explanation of NO_DATA_MARK
NO_DATA_NOTE = N_("* Chưa có dữ liệu: cột này luôn bằng 0 cho đến khi hệ thống ghi nhận loại chờ này.")


def _period_line(report: Report, translate) -> list[str]:
    first, last = report.period.first.strftime("%d/%m/%Y"), report.period.last.strftime("%d/%m/%Y")
    return [translate("Từ ngày") + f" {first} " + translate("đến ngày") + f" {last}"]


def xlsx(report: Report, translate=lambda text: text) -> bytes:
    """Two sheets. The seed's table: title, period, two header rows, one row per agency, the total row, the
    note on columns without data. "Tiếp nhận qua bưu chính": title, period, one header row, one row per agency,
    the total row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Thong ke"
    sheet.append(safe_row([translate("Thống kê tình hình giải quyết hồ sơ thủ tục hành chính")]))
    sheet.append(safe_row(_period_line(report, translate)))
    groups = [translate("Đơn vị")] + [translate(group) for _key, group, _col in COLUMNS]
    heads = [translate("Đơn vị")] + [translate(column) + (NO_DATA_MARK if key in NO_DATA_KEYS else "")
                                     for key, _group, column in COLUMNS]
    sheet.append(safe_row(groups))
    sheet.append(safe_row(heads))
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet["A1"].font = Font(bold=True, size=13)
    # Merge each group header over its columns, and single-column headers over both rows.
    column = 2
    while column <= len(groups):
        span = 1
        while column + span <= len(groups) and groups[column + span - 1] == groups[column - 1]:
            span += 1
        if span > 1:
            sheet.merge_cells(start_row=3, start_column=column, end_row=3, end_column=column + span - 1)
        elif groups[column - 1] == heads[column - 1]:
            sheet.merge_cells(start_row=3, start_column=column, end_row=4, end_column=column)
        column += span
    sheet.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    for row in sheet.iter_rows(min_row=3, max_row=4):
        for cell in row:
            cell.font, cell.alignment = bold, centre
    for row in [*report.rows, report.total]:
        values = [translate(row.agency_name) if not row.agency_code else row.agency_name]
        for key, _group, _column in COLUMNS:
            if key == "on_time_pct":
                values.append(None if row.on_time_pct is None else row.on_time_pct / 100)
            else:
                values.append(row.counts[key])
        sheet.append(safe_row(values))
    pct_column = get_column_letter(2 + [key for key, _g, _c in COLUMNS].index("on_time_pct"))
    for cell in sheet[pct_column][4:]:
        cell.number_format = "0.0%"
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.append(safe_row([translate(NO_DATA_NOTE)]))
    sheet.column_dimensions["A"].width = 40
    for index in range(2, len(groups) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 13
    sheet.row_dimensions[3].height = 30
    sheet.freeze_panes = "B5"
    _reception_sheet(book.create_sheet("Tiep nhan qua buu chinh"), report, translate, bold, centre)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _reception_sheet(sheet, report: Report, translate, bold, centre) -> None:
    sheet.append(safe_row([translate("Tiếp nhận qua bưu chính")]))
    sheet.append(safe_row(_period_line(report, translate)))
    sheet.append(safe_row([translate("Đơn vị")] + [translate(header) for _key, header in RECEPTION_COLUMNS]))
    sheet["A1"].font = Font(bold=True, size=13)
    for cell in sheet[3]:
        cell.font, cell.alignment = bold, centre
    for row in [*report.reception, report.reception_total]:
        values = [translate(row.agency_name) if not row.agency_code else row.agency_name]
        for key, _header in RECEPTION_COLUMNS:
            values.append(row.median_working_hours if key == "median_working_hours" else row.counts[key])
        sheet.append(safe_row(values))
    median_column = get_column_letter(2 + [key for key, _h in RECEPTION_COLUMNS].index("median_working_hours"))
    for cell in sheet[median_column][3:]:
        cell.number_format = "0.0"
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.column_dimensions["A"].width = 40
    for index in range(2, len(RECEPTION_COLUMNS) + 2):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.row_dimensions[3].height = 45
    sheet.freeze_panes = "B4"


def chart_svg(report: Report, *, on_time_label: str, late_label: str, title: str) -> str:
    """Horizontal stacked bars per agency: dossiers settled on time (green) and late (red), with
    the on-time rate. Drawn on the server, scales to the page width (viewBox), no script. The
    viewBox is a little narrower than a phone's card, so 13-unit text shows at about 12 px there."""
    width, left, bar, gap, top, font = 320, 0, 16, 32, 30, 13
    rows = report.rows
    biggest = max([r.counts["settled_on_time"] + r.counts["settled_late"] for r in rows] + [1])
    height = top + len(rows) * (bar + gap) + 8
    usable = width
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="stats-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<rect x="0" y="4" width="12" height="12" fill="#1b7f3b"/>'
        f'<text x="16" y="15" font-size="{font}">{escape(on_time_label)}</text>',
        f'<rect x="150" y="4" width="12" height="12" fill="#b3261e"/>'
        f'<text x="166" y="15" font-size="{font}">{escape(late_label)}</text>',
    ]
    for index, row in enumerate(rows):
        y = top + index * (bar + gap)
        on_time, late = row.counts["settled_on_time"], row.counts["settled_late"]
        green = round(usable * on_time / biggest, 1)
        red = round(usable * late / biggest, 1)
        pct = "—" if row.on_time_pct is None else f"{row.on_time_pct:.1f}%".replace(".", ",")
        name = row.agency_name if len(row.agency_name) <= 30 else row.agency_name[:29] + "…"
        parts.append(f'<text x="{left}" y="{y + 10}" font-size="{font}">{escape(name)}</text>')
        parts.append(f'<g><title>{escape(row.agency_name)}: {on_time} / {late}</title>'
                     f'<rect x="{left}" y="{y + 14}" width="{green}" height="{bar}" fill="#1b7f3b"/>'
                     f'<rect x="{left + green}" y="{y + 14}" width="{red}" height="{bar}" fill="#b3261e"/></g>')
        parts.append(f'<text x="{width}" y="{y + 10}" font-size="{font}" text-anchor="end">'
                     f'{on_time}/{late} · {pct}</text>')
    parts.append("</svg>")
    return "".join(parts)

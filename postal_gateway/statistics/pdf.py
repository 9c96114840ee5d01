"""The statistics tables as a PDF (R-21), A4 landscape like the reconciliation report: seed 001's table with its
two header rows and the no-data marks explained under it, then "Tiếp nhận qua bưu chính"."""
from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from postal_gateway.core.domain import N_
from postal_gateway.core.formatting import format_local_datetime
from postal_gateway.core.pdf import FONT_BOLD, FONT_REGULAR, page_numbers, register_fonts
from postal_gateway.statistics.export import NO_DATA_MARK, NO_DATA_NOTE
from postal_gateway.statistics.service import COLUMNS, NO_DATA_KEYS, RECEPTION_COLUMNS, Report

#: A4 landscape less 10 mm margins: 277 mm; the agency column takes what the figures leave
AGENCY_WIDTH = 52 * mm
FIGURE_WIDTH = (277 * mm - AGENCY_WIDTH) / len(COLUMNS)
RECEPTION_WIDTH = (277 * mm - AGENCY_WIDTH) / len(RECEPTION_COLUMNS)
#: under the title: when the report was printed, in Vietnam time
PRINTED_AT = N_("In lúc %(at)s")


def _decimal(value: float | None, suffix: str = "") -> str:
    """One decimal with a Vietnamese comma, "—" when there is nothing to measure."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + suffix


def _agency_name(row, translate) -> str:
    return row.agency_name if row.agency_code else translate(row.agency_name)


def _grid(header_rows: int) -> list:
    return [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#eeeeee")),
        ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f6f6f6")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]


def _seed_table(report: Report, translate, styles: dict) -> Table:
    """Two header rows: a group over its columns, a single-column group over both rows (as the XLSX merges)."""
    th, cell, figure, total, total_figure = (styles[k] for k in ("th", "cell", "figure", "total", "total_figure"))
    groups = [group for _key, group, _column in COLUMNS]
    top = [Paragraph(escape(translate("Đơn vị")), th)]
    below = [""]
    spans = [("SPAN", (0, 0), (0, 1))]
    index = 0
    while index < len(COLUMNS):
        span = 1
        while index + span < len(COLUMNS) and groups[index + span] == groups[index]:
            span += 1
        top.append(Paragraph(escape(translate(groups[index])), th))
        top += [""] * (span - 1)
        first = index + 1  # the agency column comes first
        spans.append(("SPAN", (first, 0), (first + span - 1, 0 if span > 1 else 1)))
        for key, _group, column in COLUMNS[index:index + span]:
            mark = NO_DATA_MARK.strip() if key in NO_DATA_KEYS else ""
            below.append(Paragraph(escape(translate(column)) + (f"<super>{mark}</super>" if mark else ""), th)
                         if span > 1 else "")
        index += span
    rows = [top, below]
    for number, row in enumerate([*report.rows, report.total]):
        last = number == len(report.rows)
        values = [_decimal(row.on_time_pct, "%") if key == "on_time_pct" else str(row.counts[key])
                  for key, _group, _column in COLUMNS]
        rows.append([Paragraph(escape(_agency_name(row, translate)), total if last else cell)]
                    + [Paragraph(value, total_figure if last else figure) for value in values])
    table = Table(rows, colWidths=[AGENCY_WIDTH] + [FIGURE_WIDTH] * len(COLUMNS), repeatRows=2)
    table.setStyle(TableStyle(_grid(2) + spans))
    return table


def _reception_table(report: Report, translate, styles: dict) -> Table:
    th, cell, figure, total, total_figure = (styles[k] for k in ("th", "cell", "figure", "total", "total_figure"))
    rows = [[Paragraph(escape(translate("Đơn vị")), th)]
            + [Paragraph(escape(translate(header)), th) for _key, header in RECEPTION_COLUMNS]]
    for number, row in enumerate([*report.reception, report.reception_total]):
        last = number == len(report.reception)
        values = [_decimal(row.median_working_hours) if key == "median_working_hours" else str(row.counts[key])
                  for key, _header in RECEPTION_COLUMNS]
        rows.append([Paragraph(escape(_agency_name(row, translate)), total if last else cell)]
                    + [Paragraph(value, total_figure if last else figure) for value in values])
    table = Table(rows, colWidths=[AGENCY_WIDTH] + [RECEPTION_WIDTH] * len(RECEPTION_COLUMNS), repeatRows=1)
    table.setStyle(TableStyle(_grid(1)))
    return table


def pdf(report: Report, *, printed_at: datetime, translate=lambda text: text) -> bytes:
    """Title, period, seed 001's table with the no-data note, then the reception table; page numbers at the foot."""
    register_fonts()
    cell = ParagraphStyle("cell", fontName=FONT_REGULAR, fontSize=7.5, leading=9)
    styles = {
        "cell": cell,
        "th": ParagraphStyle("th", parent=cell, fontName=FONT_BOLD, alignment=TA_CENTER),
        "figure": ParagraphStyle("figure", parent=cell, alignment=TA_RIGHT),
        "total": ParagraphStyle("total", parent=cell, fontName=FONT_BOLD),
        "total_figure": ParagraphStyle("total_figure", parent=cell, fontName=FONT_BOLD, alignment=TA_RIGHT),
    }
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=13, leading=16, alignment=TA_CENTER)
    heading = ParagraphStyle("heading", fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=6)
    normal = ParagraphStyle("normal", fontName=FONT_REGULAR, fontSize=9, leading=11)
    period = (translate("Từ ngày") + f" {report.period.first:%d/%m/%Y} " + translate("đến ngày")
              + f" {report.period.last:%d/%m/%Y}")
    story = [
        Paragraph(escape(translate("Thống kê tình hình giải quyết hồ sơ thủ tục hành chính")), title),
        Paragraph(escape(period), ParagraphStyle("period", parent=normal, alignment=TA_CENTER)),
        Paragraph(escape(translate(PRINTED_AT) % {"at": format_local_datetime(printed_at)}),
                  ParagraphStyle("printed", parent=normal, alignment=TA_CENTER, fontSize=8)),
        Spacer(1, 4 * mm),
        _seed_table(report, translate, styles),
        Spacer(1, 2 * mm),
        Paragraph(escape(translate(NO_DATA_NOTE)), normal),
        Paragraph(escape(translate("Tiếp nhận qua bưu chính")), heading),
        Spacer(1, 2 * mm),
        _reception_table(report, translate, styles),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                                 topMargin=12 * mm, bottomMargin=12 * mm,
                                 title=translate("Thống kê tình hình giải quyết hồ sơ thủ tục hành chính"))
    numbered = page_numbers()
    document.build(story, onFirstPage=numbered, onLaterPages=numbered)
    return buffer.getvalue()

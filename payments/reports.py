"""Reconciliation reports: XLSX (openpyxl), PDF (reportlab, DejaVu fonts) and the page's SVG chart."""
from __future__ import annotations

import io
from html import escape

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from payments.models import ReconciliationDay, ReconciliationItem
from payments.reconciliation import CATEGORIES
from postal_gateway.core.formatting import format_local_datetime, format_vnd
from postal_gateway.core.pdf import FONT_BOLD, FONT_REGULAR, register_fonts
from postal_gateway.core.spreadsheets import safe_row

#: chart bar colours, exceptions in warm tones
COLOURS = {
    "matched": "#2e7d32", "refunded": "#1565c0", "cash_remitted": "#00838f", "missing_at_gateway": "#c62828",
    "missing_here": "#ad1457", "amount_mismatch": "#ef6c00", "duplicate": "#6a1b9a", "late": "#f9a825",
    "cash_not_remitted": "#4e342e",
}


def _label(category: str) -> str:
    return _(CATEGORIES[category][0])


def chart_svg(totals: dict) -> str:
    """Bars of line counts per category, drawn server-side. Each label sits above its bar over the
    full width, so on a 360 px phone the text still renders at about 13 px."""
    rows = [(c, (totals.get(c) or {}).get("count", 0)) for c in CATEGORIES]
    top = max([count for _c, count in rows] + [1])
    label_height, bar_height, gap, width, font = 17, 12, 9, 320, 14
    row_height = label_height + bar_height + gap
    title = escape(_("Số dòng theo loại đối soát"))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {len(rows) * row_height}" width="100%" '
             f'role="img" aria-label="{title}">']
    for index, (category, count) in enumerate(rows):
        y = index * row_height
        bar = 0 if count == 0 else max(2, round(width * count / top))
        parts.append(f'<text x="0" y="{y + 13}" font-size="{font}">{escape(_label(category))}</text>')
        parts.append(f'<text x="{width}" y="{y + 13}" font-size="{font}" text-anchor="end" '
                     f'font-weight="bold">{count}</text>')
        parts.append(f'<rect x="0" y="{y + label_height}" width="{width}" height="{bar_height}" fill="#eef0f3"/>')
        parts.append(f'<rect x="0" y="{y + label_height}" width="{bar}" height="{bar_height}" '
                     f'fill="{COLOURS[category]}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _item_row(item: ReconciliationItem) -> list:
    return [_label(item.category), item.dossier_code, item.txn_ref, item.owed_vnd, item.ours_vnd, item.gateway_vnd,
            _("Có") if item.is_exception else _("Không"), item.comment]


def _headers() -> list[str]:
    return [_("Loại"), _("Mã hồ sơ"), _("Mã giao dịch"), _("Phải thu"), _("Hệ thống ghi nhận"), _("Cổng thanh toán"),
            _("Chênh lệch"), _("Nhận xét")]


def xlsx(record: ReconciliationDay, items: list[ReconciliationItem]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Tổng hợp")
    sheet.append(safe_row([_("Đối soát lệ phí"), record.agency.name]))
    sheet.append([_("Ngày"), record.day.isoformat()])
    sheet.append(safe_row([_("Trạng thái"), _("Đã ký xác nhận") if record.signed_off_at else _("Chưa ký xác nhận")]))
    sheet.append([])
    sheet.append(safe_row([_("Loại"), _("Số dòng"), _("Hệ thống ghi nhận"), _("Cổng thanh toán")]))
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    for category in CATEGORIES:
        total = record.totals.get(category) or {}
        sheet.append([_label(category), total.get("count", 0), total.get("ours_vnd", 0), total.get("gateway_vnd", 0)])
    detail = book.create_sheet(_("Chi tiết"))
    detail.append(safe_row(_headers()))
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for item in items:
        detail.append(safe_row(_item_row(item)))
    for column, width in zip("ABCDEFGH", (26, 30, 32, 12, 14, 14, 10, 40)):
        detail.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf(record: ReconciliationDay, items: list[ReconciliationItem]) -> bytes:
    register_fonts()
    normal = ParagraphStyle("n", fontName=FONT_REGULAR, fontSize=8, leading=10)
    heading = ParagraphStyle("h", fontName=FONT_BOLD, fontSize=13, leading=16)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                                 topMargin=12 * mm, bottomMargin=12 * mm, title=_("Đối soát lệ phí"))
    story = [
        Paragraph(escape(_("Đối soát lệ phí %(agency)s ngày %(day)s", agency=record.agency.name,
                            day=record.day.strftime("%d/%m/%Y"))), heading),
        Paragraph(escape(_("Ký xác nhận lúc %(at)s", at=format_local_datetime(record.signed_off_at))
                         if record.signed_off_at else _("Chưa ký xác nhận")), normal),
        Spacer(1, 4 * mm),
    ]
    summary = [[_("Loại"), _("Số dòng"), _("Hệ thống ghi nhận"), _("Cổng thanh toán")]] + [
        [_label(c), str((record.totals.get(c) or {}).get("count", 0)),
         format_vnd((record.totals.get(c) or {}).get("ours_vnd", 0)), format_vnd((record.totals.get(c) or {}).get("gateway_vnd", 0))]
        for c in CATEGORIES
    ]
    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT_REGULAR), ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
                        ("FONTSIZE", (0, 0), (-1, -1), 8), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 1), (-1, -1), "RIGHT")])
    story += [Table(summary, style=style, hAlign="LEFT"), Spacer(1, 5 * mm)]
    if not items:
        story.append(Paragraph(escape(_("Không có dòng nào cần xem.")), normal))
        document.build(story)
        return buffer.getvalue()
    bold = ParagraphStyle("b", parent=normal, fontName=FONT_BOLD)
    money = ParagraphStyle("m", parent=normal, alignment=TA_RIGHT)

    def cells(item: ReconciliationItem) -> list:
        row = _item_row(item)
        return ([Paragraph(escape(str(v or "")), normal) for v in row[:3]]
                + [Paragraph(format_vnd(v) if v is not None else "", money) for v in row[3:6]]
                + [Paragraph(escape(str(v or "")), normal) for v in row[6:]])

    # Header cells are paragraphs too, so long Vietnamese headings wrap inside their column.
    detail = [[Paragraph(escape(h), bold) for h in _headers()]] + [cells(item) for item in items]
    story.append(Table(detail, style=style, repeatRows=1,
                       colWidths=[32 * mm, 46 * mm, 50 * mm, 22 * mm, 24 * mm, 24 * mm, 17 * mm, 55 * mm]))
    document.build(story)
    return buffer.getvalue()

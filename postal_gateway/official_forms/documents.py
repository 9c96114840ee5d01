"""Forms 05 and 06 as PDFs (reportlab): Vietnamese official documents, printed as they are whatever the
reader's interface language. Form 05 on A4 portrait, form 06 on A4 landscape."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from postal_gateway.core.domain import N_
from postal_gateway.core.formatting import (
    format_local_date,
    format_local_datetime,
    to_local,
)
from postal_gateway.core.pdf import FONT_BOLD, FONT_REGULAR, page_numbers, register_fonts
from postal_gateway.official_forms.services import ControlSheet, Register

CONTROL_SHEET_TITLE = "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
REGISTER_TITLE = "SỔ THEO DÕI HỒ SƠ"
#: form 06's columns, in the Circular's order, for the ones we hold data for
REGISTER_HEADERS = (
    N_("STT"), N_("Mã hồ sơ"), N_("Tên thủ tục hành chính"), N_("Tên cá nhân, tổ chức"), N_("Địa chỉ, số điện thoại"),
    N_("Cơ quan chủ trì giải quyết"), N_("Nhận hồ sơ"), N_("Hẹn trả kết quả"),
    N_("Chuyển hồ sơ đến cơ quan giải quyết"), N_("Nhận kết quả từ cơ quan giải quyết"),
    N_("Trả kết quả cho cá nhân, tổ chức"), N_("Ký nhận"), N_("Ghi chú"),
)


def _styles(size: float = 10.5) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT_REGULAR, fontSize=size, leading=size * 1.35)
    return {
        "base": base,
        "head": ParagraphStyle("head", parent=base, alignment=TA_CENTER),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=14, leading=19,
                                alignment=TA_CENTER, spaceBefore=5 * mm, spaceAfter=4 * mm),
        "cell": ParagraphStyle("cell", parent=base, fontSize=size - 2, leading=(size - 2) * 1.3),
        "th": ParagraphStyle("th", parent=base, fontName=FONT_BOLD, fontSize=size - 2, leading=(size - 2) * 1.3,
                             alignment=TA_CENTER),
    }


def _header(agency_name: str, left_extra: str, right_line: str, style, widths) -> Table:
    """The agency and its one-stop office on the left, the national motto on the right."""
    head = Table(
        [[Paragraph(f"{escape(agency_name.upper())}<br/><b>BỘ PHẬN MỘT CỬA</b>", style["head"]),
          Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/><b>Độc lập - Tự do - Hạnh phúc</b>", style["head"])],
         [Paragraph(left_extra, style["head"]), Paragraph(right_line, style["head"])]],
        colWidths=widths,
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return head


def _grid(header_rows: int = 1) -> list:
    return [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#eeeeee")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]


def _when(moment) -> str:
    """"… giờ … phút, ngày … tháng … năm …" as the form writes it."""
    local = to_local(moment)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local:%Y}"


def control_sheet_pdf(sheet: ControlSheet, *, printed_at) -> bytes:
    """Form 05 (Điều 9.2.a-b), A4 portrait: the dossier, then one row per hand-off."""
    register_fonts()
    style = _styles()
    dossier = sheet.dossier
    printed = to_local(printed_at)
    story = [
        _header(dossier.agency.name, "", f"<i>Ngày {printed:%d} tháng {printed:%m} năm {printed:%Y}</i>", style,
                [75 * mm, 100 * mm]),
        Paragraph(CONTROL_SHEET_TITLE, style["title"]),
        Paragraph(f"Mã hồ sơ: <b>{escape(dossier.code)}</b>", style["base"]),
        Paragraph(f"Kèm theo hồ sơ của: <b>{escape(sheet.applicant)}</b>", style["base"]),
        Paragraph(f"Thủ tục: {escape(dossier.procedure.name)}", style["base"]),
        Paragraph(f"Nộp tại: Bộ phận Một cửa, {escape(dossier.agency.name)}; tiếp nhận lúc "
                  f"{format_local_datetime(dossier.received_at)}; hẹn trả kết quả ngày "
                  f"{format_local_date(dossier.appointment_date)}", style["base"]),
        Paragraph(f"Cơ quan (bộ phận) giải quyết hồ sơ: {escape(sheet.handling_body)}", style["base"]),
        Paragraph(f"Cơ quan phối hợp giải quyết hồ sơ: {escape(sheet.cooperating or '—')}", style["base"]),
        Spacer(1, 4 * mm),
    ]
    cell, th = style["cell"], style["th"]
    rows = [[Paragraph(text, th) for text in (
        "TÊN CƠ QUAN", "THỜI GIAN GIAO, NHẬN HỒ SƠ", "HẠN CỦA BƯỚC", "KẾT QUẢ GIẢI QUYẾT HỒ SƠ<br/>(Trước hạn/đúng hạn/quá hạn)",
        "GHI CHÚ")]]
    for index, line in enumerate(sheet.lines, start=1):
        giver = escape(line.giver) + (f"<br/>Người giao: {escape(line.giver_person)}" if line.giver_person else "")
        receiver = escape(line.receiver) + (f"<br/>Người nhận: {escape(line.receiver_person)}"
                                            if line.receiver_person else "<br/>Người nhận: ")
        rows.append([
            Paragraph(f"{index}. Giao: {giver}<br/>Nhận: {receiver}", cell),
            Paragraph(_when(line.at), cell),
            Paragraph(format_local_datetime(line.due_at) if line.due_at else "—", cell),
            Paragraph(f"<b>{escape(line.result)}</b>", cell),
            Paragraph(escape(line.note), cell),
        ])
    table = Table(rows, colWidths=[58 * mm, 35 * mm, 24 * mm, 26 * mm, 32 * mm], repeatRows=1)
    table.setStyle(TableStyle(_grid()))
    story.append(table)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"Phiếu kiểm soát {dossier.code}", author=dossier.agency.name)
    doc.build(story)
    return buffer.getvalue()


def register_cells(row) -> list[str]:
    """One register row as the texts of REGISTER_HEADERS (the PDF, the page and the spreadsheet agree)."""
    appointment = format_local_date(row.appointment_date)
    if row.first_appointment_date:
        appointment += f" (hẹn lần đầu {format_local_date(row.first_appointment_date)})"
    return [
        str(row.number), row.code, row.procedure, row.applicant, row.address_phone, row.handling_body,
        format_local_datetime(row.received_at), appointment, format_local_datetime(row.transferred_at),
        format_local_datetime(row.settled_at), format_local_datetime(row.returned_at), "", "; ".join(row.notes),
    ]


def register_pdf(book: Register, *, printed_at) -> bytes:
    """Form 06 (Điều 9.3.c, 10.2.g), A4 landscape: title, period, one row per received dossier."""
    register_fonts()
    style = _styles(9.5)
    printed = to_local(printed_at)
    period = (f"Từ ngày {book.period.first:%d/%m/%Y} đến ngày {book.period.last:%d/%m/%Y}")
    story = [
        _header(book.agency.name, "", f"<i>Ngày {printed:%d} tháng {printed:%m} năm {printed:%Y}</i>", style,
                [110 * mm, 150 * mm]),
        Paragraph(REGISTER_TITLE, style["title"]),
        Paragraph(period, style["head"]),
        Spacer(1, 4 * mm),
    ]
    cell, th = style["cell"], style["th"]
    rows = [[Paragraph(escape(text), th) for text in REGISTER_HEADERS]]
    for row in book.rows:
        texts = [escape(text) for text in register_cells(row)]
        texts[1] = texts[1].replace("-", "-<br/>", 1)  # the code breaks after the agency's identifier
        rows.append([Paragraph(text, cell) for text in texts])
    if not book.rows:
        rows.append([Paragraph("Không có hồ sơ tiếp nhận trong kỳ.", cell)] + [""] * (len(REGISTER_HEADERS) - 1))
    widths = [8, 26, 32, 24, 24, 22, 19, 20, 19, 19, 19, 14, 31]
    table = Table(rows, colWidths=[width * mm for width in widths], repeatRows=1)
    styles = _grid()
    if not book.rows:
        styles.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(styles))
    story.append(table)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=f"Sổ theo dõi hồ sơ {book.agency.name}",
                            author=book.agency.name)
    numbered = page_numbers("Trang")  # a long period runs over many pages
    doc.build(story, onFirstPage=numbered, onLaterPages=numbered)
    return buffer.getvalue()

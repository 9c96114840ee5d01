"""The apology letter (thư xin lỗi, R-12, Điều 9.3.d) as an A4 PDF in Vietnamese: an official
document, printed as it is whatever the reader's interface language."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from postal_gateway.core.formatting import format_local_date, format_local_datetime, to_local
from postal_gateway.core.pdf import FONT_BOLD, FONT_REGULAR, register_fonts
from postal_gateway.workbench.models import ApologyLetter


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT_REGULAR, fontSize=12, leading=17)
    return {
        "base": base,
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "head": ParagraphStyle("head", parent=base, alignment=TA_CENTER, fontSize=10.5, leading=14),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=15, leading=20, alignment=TA_CENTER,
                                spaceBefore=8 * mm, spaceAfter=6 * mm),
        "body": ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, spaceAfter=3 * mm, firstLineIndent=8 * mm),
    }


def apology_pdf(letter: ApologyLetter) -> bytes:
    """The letter for ``letter``'s dossier: who apologises, for which dossier, why, and the new date."""
    register_fonts()
    dossier = letter.dossier
    agency = dossier.agency
    style = _styles()
    issued = to_local(letter.issued_at)
    head = Table(
        [[Paragraph(f"<b>{escape(agency.name.upper())}</b><br/>Bộ phận Một cửa", style["head"]),
          Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/><b>Độc lập - Tự do - Hạnh phúc</b>", style["head"])],
         [Paragraph(f"Số: {letter.number}/TXL<br/>{escape(dossier.code)}", style["head"]),
          Paragraph(f"Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}", style["head"])]],
        colWidths=[80 * mm, 95 * mm],
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    applicant = escape(dossier.citizen.full_name)
    if dossier.organisation_name:
        applicant += f" ({escape(dossier.organisation_name)})"
    story = [
        head,
        Paragraph("THƯ XIN LỖI<br/>Về việc trễ hẹn trả kết quả giải quyết hồ sơ", style["title"]),
        Paragraph(f"Kính gửi: Ông/Bà <b>{applicant}</b>", style["base"]),
        Spacer(1, 4 * mm),
        Paragraph(
            f"{escape(agency.name)} đã tiếp nhận hồ sơ mã số <b>{escape(dossier.code)}</b> về thủ tục "
            f"“{escape(dossier.procedure.name)}” lúc {format_local_datetime(dossier.received_at)}, "
            f"hẹn trả kết quả ngày {format_local_date(letter.previous_appointment_date)}.",
            style["body"],
        ),
        Paragraph(
            f"Đến hạn {format_local_datetime(letter.missed_due_at)}, hồ sơ chưa được giải quyết xong. "
            f"Lý do: {escape(letter.reason.rstrip())}{'' if letter.reason.rstrip().endswith(('.', '!', '?')) else '.'}",
            style["body"],
        ),
        Paragraph(
            f"{escape(agency.name)} thành thật xin lỗi Ông/Bà vì sự chậm trễ này và xin hẹn trả kết quả vào "
            f"ngày <b>{format_local_date(letter.new_appointment_date)}</b>.",
            style["body"],
        ),
        Paragraph(
            f"Mọi thắc mắc xin liên hệ Bộ phận Một cửa, điện thoại {escape(agency.one_stop_phone or '')}"
            + (f"; lãnh đạo cơ quan: {escape(agency.head_name)} {escape(agency.head_phone)}" if agency.head_name else "")
            + ".",
            style["body"],
        ),
        Spacer(1, 10 * mm),
        Table([["", Paragraph("<b>CÁN BỘ BỘ PHẬN MỘT CỬA</b><br/><br/><br/><br/>"
                              f"{escape(letter.issued_by.full_name)}", style["center"])]],
              colWidths=[80 * mm, 95 * mm]),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"Thư xin lỗi {dossier.code}", author=agency.name)
    doc.build(story)
    return buffer.getvalue()

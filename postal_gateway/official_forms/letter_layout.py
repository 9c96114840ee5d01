"""The page of forms 02, 03 and 04: one A4 letter from the issuing body, drawn from the values the
form prints (frozen in ``OfficialForm.data``), so the stored PDF and the data always agree.

The values it reads:

- ``issuer_name``, ``issuer_unit`` (e.g. "BỘ PHẬN MỘT CỬA", may be empty), ``number_line``, ``place``
  (may be empty), ``issued_at`` (ISO), ``title``;
- ``addressee`` (the "Kính gửi" line, may be empty), ``paragraphs`` (plain text, in order),
  ``items`` (a numbered list of {"item", "reason"}, may be empty), ``closing`` (may be empty);
- ``signature_title``, ``signer_name``, ``small_print`` (may be empty).

Official documents are printed in Vietnamese whatever the reader's interface language.
"""
from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from postal_gateway.core.formatting import to_local
from postal_gateway.core.pdf import FONT_BOLD, FONT_REGULAR, register_fonts

COLUMNS = (80 * mm, 95 * mm)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT_REGULAR, fontSize=12, leading=17)
    return {
        "base": base,
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "head": ParagraphStyle("head", parent=base, alignment=TA_CENTER, fontSize=10.5, leading=14),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=14, leading=19,
                                alignment=TA_CENTER, spaceBefore=8 * mm, spaceAfter=6 * mm),
        "body": ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, spaceAfter=3 * mm, firstLineIndent=8 * mm),
        "item": ParagraphStyle("item", parent=base, alignment=TA_JUSTIFY, spaceAfter=2 * mm, leftIndent=8 * mm),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
    }


def date_line(place: str, at: datetime) -> str:
    """"Bình Phước, ngày 07 tháng 12 năm 2026" (the place may be left out)."""
    local = to_local(at)
    written = f"ngày {local:%d} tháng {local:%m} năm {local:%Y}"
    return f"{place}, {written}" if place else written[0].upper() + written[1:]


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", ":", ";")) else text + "."


def letter_pdf(data: dict) -> bytes:
    """The A4 PDF of one form 02, 03 or 04."""
    register_fonts()
    style = _styles()
    issued_at = datetime.fromisoformat(data["issued_at"])
    issuer = f"{escape(data['issuer_name'].upper())}"
    if data.get("issuer_unit"):
        issuer += f"<br/><b>{escape(data['issuer_unit'])}</b>"
    head = Table(
        [[Paragraph(issuer, style["head"]),
          Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/><b>Độc lập - Tự do - Hạnh phúc</b>", style["head"])],
         [Paragraph(escape(data["number_line"]), style["head"]),
          Paragraph(f"<i>{escape(date_line(data.get('place', ''), issued_at))}</i>", style["head"])]],
        colWidths=COLUMNS,
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story = [head, Paragraph(escape(data["title"]), style["title"])]
    if data.get("addressee"):
        story += [Paragraph(f"Kính gửi: <b>{escape(data['addressee'])}</b>", style["center"]), Spacer(1, 4 * mm)]
    story += [Paragraph(escape(paragraph), style["body"]) for paragraph in data.get("paragraphs", [])]
    for position, entry in enumerate(data.get("items", []), start=1):
        line = f"{position}. {escape(_sentence(entry['item']))}"
        if entry.get("reason"):
            line += f" Lý do: {escape(_sentence(entry['reason']))}"
        story.append(Paragraph(line, style["item"]))
    if data.get("closing"):
        story.append(Paragraph(escape(data["closing"]), style["body"]))
    story += [
        Spacer(1, 8 * mm),
        Table([["", Paragraph(f"<b>{escape(data['signature_title'])}</b><br/><i>(Ký và ghi rõ họ tên)</i>"
                              f"<br/><br/><br/><br/>{escape(data['signer_name'])}", style["center"])]],
              colWidths=COLUMNS),
    ]
    if data.get("small_print"):
        story += [Spacer(1, 10 * mm), Paragraph(escape(data["small_print"]), style["small"])]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=f"{data['title'].capitalize()} {data['number_line']}",
                                 author=data["issuer_name"])
    document.build(story)
    return buffer.getvalue()

"""The post's own receipt: the consignment slip (Phiếu gửi hồ sơ qua dịch vụ bưu chính công ích).

Given to the citizen when the postal worker takes the dossier and submits it online (Điều 21.1). It is
not one of the agency's forms: it says what the post took, what it collected and how, who and where,
when, under which consent, and the shipment number to look it up by. It says plainly that it is not
the Giấy tiếp nhận hồ sơ và hẹn trả kết quả, which only the agency issues when it accepts the dossier
(Điều 9.1.c, 14.4). Nothing here knows Flask: a view calls ``consignment_pdf`` and sends the bytes.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from postal_gateway.core.domain import N_, InvalidInput
from postal_gateway.core.formatting import format_local_datetime, format_vnd
from postal_gateway.core.pdf import FONT_BOLD, FONT_REGULAR, QrCode, qr_matrix, register_fonts, story_height
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, Dossier, PaymentKind
from postal_gateway.dossiers.services import lookup_url

TITLE = "PHIẾU GỬI HỒ SƠ QUA DỊCH VỤ BƯU CHÍNH CÔNG ÍCH"
#: the line that keeps the two receipts apart (Điều 14.4, 9.1.c)
NOT_FORM_01 = (
    "Phiếu này không phải Giấy tiếp nhận hồ sơ và hẹn trả kết quả; mã hồ sơ và ngày hẹn trả do cơ quan "
    "có thẩm quyền cấp khi tiếp nhận."
)
METHODS = {
    CollectionMethod.cash: "tiền mặt",
    CollectionMethod.collection_on_behalf: "thu hộ",
    CollectionMethod.bank_transfer: "chuyển khoản",
    CollectionMethod.card: "thẻ",
    CollectionMethod.online: "trực tuyến",
}
KINDS = {PaymentKind.fee: "Lệ phí", PaymentKind.postage: "Cước"}
#: page width, page height (None: as tall as the content), margin, font size
LAYOUTS = {"a4": (A4[0], A4[1], 18 * mm, 10.5), "a5": (A5[0], A5[1], 10 * mm, 8.5), "roll80": (80 * mm, None, 4 * mm, 8)}


def facts(dossier: Dossier, public_base_url: str = "") -> list[tuple[str, str]]:
    """What the slip prints, label by label, read from the dossier row."""
    worker = dossier.submitted_by
    office = dossier.post_office
    consent = dossier.consent_id
    documents = [document.title for document in dossier.documents]
    collected = [collected_line(row) for row in dossier.collected]
    return [
        ("Số hiệu bưu gửi", dossier.shipment_number),
        ("Thủ tục", dossier.procedure.name),
        ("Gửi đến", dossier.agency.name),
        ("Người nộp", dossier.citizen.full_name + (f" ({dossier.organisation_name})" if dossier.organisation_name else "")),
        ("Thời điểm nhận và nộp trực tuyến", format_local_datetime(dossier.submitted_at)),
        ("Giấy tờ đã nhận", f"{len(documents)} giấy tờ (bản chụp nộp trực tuyến)"),
        ("Đã thu", "; ".join(collected) or "Không thu tiền"),
        ("Nhân viên bưu chính", worker.full_name if worker else ""),
        ("Bưu cục", office.name if office else ""),
        ("Đồng ý của công dân", f"số {consent}" if consent else "Không có"),
        ("Tra cứu", lookup_url(dossier.shipment_number, public_base_url)),
    ]


def collected_line(row: CollectedAmount) -> str:
    """One amount as the citizen's receipt states it: what, how much, how, by whom and, for cash or thu hộ, the
    cash shift whose book holds it (Điều 23.4: the post accounts for every lệ phí it collects), e.g.
    "Lệ phí: 50.000 ₫ – tiền mặt, người thu Trần Thị Bưu, ca thu tiền số 12"."""
    parts = [METHODS.get(row.method, row.method.value)]
    if row.collected_by is not None:
        parts.append(f"người thu {row.collected_by.full_name}")
    if row.shift_id is not None:
        parts.append(f"ca thu tiền số {row.shift_id}")
    return f"{KINDS[row.kind]}: {format_vnd(row.amount_vnd)} – {', '.join(parts)}"


def consignment_pdf(dossier: Dossier, layout: str = "a4", public_base_url: str = "") -> bytes:
    """The consignment slip as PDF bytes; ``layout`` is "a4", "a5" or "roll80"."""
    if layout not in LAYOUTS:
        raise InvalidInput.on_field("layout", N_("Chọn khổ a4, a5 hoặc roll80."))
    register_fonts()
    width, height, margin, size = LAYOUTS[layout]
    body = ParagraphStyle("body", fontName=FONT_REGULAR, fontSize=size, leading=size * 1.35)
    bold = ParagraphStyle("bold", parent=body, fontName=FONT_BOLD)
    title = ParagraphStyle("title", parent=bold, fontSize=size * 1.3, leading=size * 1.7, alignment=TA_CENTER,
                           spaceAfter=size * 0.6)
    center = ParagraphStyle("center", parent=body, alignment=TA_CENTER)
    number = ParagraphStyle("number", parent=bold, fontSize=size * 1.6, leading=size * 2, alignment=TA_CENTER)
    frame_width = width - 2 * margin

    def story():
        office = dossier.post_office.name if dossier.post_office else ""
        rows = [[Paragraph(escape(label), bold), Paragraph(escape(value), body)]
                for label, value in facts(dossier, public_base_url)]
        label_width = frame_width * (0.42 if layout == "roll80" else 0.32)
        table = Table(rows, colWidths=[label_width, frame_width - label_width])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.3)]))
        items = [Paragraph(f"{n}. {escape(doc.title)}", body) for n, doc in enumerate(dossier.documents, 1)]
        return [
            Paragraph(escape(f"BƯU CHÍNH CÔNG ÍCH – {office}".rstrip(" –")), center),
            Paragraph(TITLE, title),
            Paragraph(escape(dossier.shipment_number), number),
            _centred(QrCode(qr_matrix(lookup_url(dossier.shipment_number, public_base_url)),
                            (26 if layout != "a4" else 32) * mm)),
            Spacer(1, size * 0.6),
            table,
            Paragraph("Giấy tờ đã nhận:", bold),
            *items,
            Spacer(1, size),
            HRFlowable(width="100%", thickness=0.6),
            Spacer(1, size * 0.4),
            Paragraph(escape(NOT_FORM_01), bold),
        ]

    # the roll is as tall as its content, with room for the table's padding that the estimate leaves out
    page_height = height if height is not None else story_height(story(), frame_width) * 1.15 + 2 * margin + 10 * mm
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=(width, page_height), leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=margin, title=f"{TITLE} {dossier.shipment_number}",
                            author="Bưu chính công ích", creator="postal_gateway", initialFontName=FONT_REGULAR,
                            invariant=1)
    doc.build(story())
    return buffer.getvalue()


def _centred(flowable):
    flowable.hAlign = "CENTER"
    return flowable

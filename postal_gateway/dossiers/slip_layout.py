"""How the receipt and appointment slip (R-09, Điều 17–18) is drawn: an A4 or A5 sheet (front and back
pages) or an 80 mm thermal roll (one long page, the back after a rule).

``render_slip`` turns a ``SlipData`` (``postal_gateway.dossiers.slip``, what the slip says) into PDF bytes.
Nothing here knows Flask: a view calls it and sends the bytes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from postal_gateway.core.domain import N_, FieldError, InvalidInput
from postal_gateway.core.formatting import format_vnd
from postal_gateway.core.pdf import FONT_BOLD, FONT_REGULAR, QrCode, ShortRule, qr_matrix, register_fonts, story_height
from postal_gateway.dossiers import slip
from postal_gateway.dossiers.slip import (
    BACK_NOTICE,
    DOTTED,
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    NO_FEE,
    NO_POSTAGE,
    ORIGINALS_BY_POST_NOTE,
    TITLE,
    SlipData,
    format_appointment,
    format_receipt_time,
)

_INK = colors.HexColor("#111111")
_MUTED = colors.HexColor("#555555")
_RULE = colors.HexColor("#999999")


@dataclass(frozen=True)
class _Layout:
    page_width: float
    #: None: the page is as tall as its content (thermal roll)
    page_height: float | None
    margin: float
    font_size: float
    qr_size: float

    @property
    def is_roll(self) -> bool:
        return self.page_height is None

    @property
    def frame_width(self) -> float:
        return self.page_width - 2 * self.margin


LAYOUTS: dict[str, _Layout] = {
    "a4": _Layout(A4[0], A4[1], margin=18 * mm, font_size=10.5, qr_size=32 * mm),
    "a5": _Layout(A5[0], A5[1], margin=10 * mm, font_size=8.5, qr_size=26 * mm),
    "roll80": _Layout(80 * mm, None, margin=4 * mm, font_size=8, qr_size=34 * mm),
}

def render_form_01(values: dict) -> bytes:
    """The A4 PDF of an issued form 01 from the values frozen with it (``official_forms.issuing`` renderer)."""
    return render_slip(slip.from_form_values(values), "a4")


def render_slip(data: SlipData, layout: str = "a4") -> bytes:
    """The slip as PDF bytes; ``layout`` is "a4", "a5" or "roll80"."""
    faults = slip.faults(data)
    if layout not in LAYOUTS:
        faults.insert(0, FieldError("layout", N_("Khổ giấy không hỗ trợ: %(layout)s."), {"layout": str(layout)}))
    if faults:
        raise InvalidInput(N_("Không thể in giấy tiếp nhận hồ sơ."), field_errors=faults)
    register_fonts()
    data = slip.normalised(data)
    page = LAYOUTS[layout]
    styles = _styles(page)
    buffer = io.BytesIO()
    if page.is_roll:
        story = _roll_story(data, page, styles)
        height = story_height(_roll_story(data, page, styles), page.frame_width)
        page_size = (page.page_width, height + 2 * page.margin)
    else:
        back = _BackBegins()
        story = _sheet_story(data, page, styles, back)
        page_size = (page.page_width, page.page_height)
    doc = BaseDocTemplate(
        buffer,
        pagesize=page_size,
        leftMargin=page.margin,
        rightMargin=page.margin,
        topMargin=page.margin,
        bottomMargin=page.margin,
        title=f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả {data.dossier_code}",
        author=data.agency_name,
        subject=data.procedure_name,
        creator="postal_gateway",
        initialFontName=FONT_REGULAR,
        invariant=1,
    )
    frame = Frame(
        page.margin,
        page.margin,
        page_size[0] - 2 * page.margin,
        page_size[1] - 2 * page.margin,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    template = PageTemplate(id="slip", frames=[frame])
    if not page.is_roll:
        # Drawn when the page ends, so it knows whether the back has begun on this page.
        template.onPageEnd = _sheet_footer(data, page, back)
    doc.addPageTemplates([template])
    doc.build(story)
    return buffer.getvalue()


# --- content -----------------------------------------------------------------------------


def _text(value: str) -> str:
    """Escape for reportlab paragraph markup; an empty value prints a dash."""
    return escape(value) if value.strip() else "—"


def _or_dots(value: str) -> str:
    """A contact the regulation asks for but nobody configured: a dotted line to write it in by hand."""
    return escape(value) if value.strip() else DOTTED


def _facts(data: SlipData) -> list[tuple[str, str]]:
    """(label, paragraph markup) pairs of the front, in the order of Điều 17.1 and 18.1."""
    rows = [
        ("Thủ tục hành chính", _text(data.procedure_name)),
        ("Cơ quan tiếp nhận", _text(data.agency_name)),
        ("Phòng, ban xử lý", _text(data.processing_department)),
    ]
    if data.organisation_name.strip():
        rows.append(("Tổ chức nộp hồ sơ", _text(data.organisation_name)))
    rows += [
        ("Người nộp hồ sơ", f"<b>{_text(data.applicant_name)}</b>"),
        ("Thời gian nhận hồ sơ", escape(format_receipt_time(data.received_at))),
        ("Ngày hẹn trả kết quả", f"<b>{escape(format_appointment(data.appointment_date))}</b>"),
        ("Tình trạng hồ sơ", _text(data.status_label)),
        ("Phí, lệ phí", format_vnd(data.fee_vnd, unit="đồng") if data.fee_vnd else NO_FEE),
        ("Cước bưu chính", format_vnd(data.postage_vnd, unit="đồng") if data.postage_vnd else NO_POSTAGE),
        ("Điện thoại Bộ phận Một cửa", _text(data.one_stop_phone)),
    ]
    return rows


def _styles(page: _Layout) -> dict[str, ParagraphStyle]:
    size = page.font_size
    body = ParagraphStyle(
        "body", fontName=FONT_REGULAR, fontSize=size, leading=size * 1.35, textColor=_INK, alignment=TA_LEFT
    )
    return {
        "body": body,
        "bold": ParagraphStyle("bold", parent=body, fontName=FONT_BOLD),
        "center": ParagraphStyle("center", parent=body, alignment=TA_CENTER),
        "center_bold": ParagraphStyle("center_bold", parent=body, fontName=FONT_BOLD, alignment=TA_CENTER),
        "small": ParagraphStyle("small", parent=body, fontSize=size * 0.85, leading=size * 1.15, textColor=_MUTED),
        "small_center": ParagraphStyle(
            "small_center", parent=body, fontSize=size * 0.85, leading=size * 1.15, textColor=_MUTED,
            alignment=TA_CENTER,
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=size * 1.35, leading=size * 1.7,
            alignment=TA_CENTER, spaceBefore=size * 0.6, spaceAfter=size * 0.5,
        ),
        "code": ParagraphStyle("code", parent=body, fontName=FONT_BOLD, fontSize=size * 1.3, leading=size * 1.6),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=FONT_BOLD, spaceBefore=size * 0.8, spaceAfter=size * 0.3
        ),
        "item": ParagraphStyle(
            "item", parent=body, leftIndent=size * 1.8, bulletIndent=size * 0.4,
            bulletFontName=FONT_REGULAR, bulletFontSize=size,
        ),
    }


def _numbered(items: tuple[str, ...], styles) -> list[Flowable]:
    return [Paragraph(_text(item), styles["item"], bulletText=f"{n}.") for n, item in enumerate(items, 1)]


def _documents_section(data: SlipData, styles) -> list[Flowable]:
    count = len(data.document_titles)
    story: list[Flowable] = [
        Paragraph(f"Số lượng giấy tờ đã nộp: {count}", styles["heading"]),
    ]
    if count:
        story += _numbered(data.document_titles, styles)
    else:
        story.append(Paragraph("Chưa có giấy tờ nào.", styles["body"]))
    if data.missing_items:
        story.append(Paragraph("Giấy tờ còn thiếu, cần bổ sung:", styles["heading"]))
        story += _numbered(data.missing_items, styles)
    if data.originals_by_post:
        story.append(Paragraph(ORIGINALS_BY_POST_NOTE, styles["heading"]))
    return story


def _back_section(data: SlipData, styles) -> list[Flowable]:
    head = _text(data.agency_head_name)
    lines = [
        f"a) Thủ trưởng đơn vị giải quyết thủ tục hành chính: <b>{head}</b>, "
        f"điện thoại: {_text(data.agency_head_phone)}, email: {_text(data.agency_head_email)}. "
        f"Số điện thoại cơ quan giải quyết thủ tục hành chính: {_text(data.agency_phone)}.",
        "b) Phòng Tổng hợp thuộc Văn phòng Ủy ban nhân dân tỉnh: thư điện tử (email): "
        f"{_text(data.province_office_email)}, điện thoại: {_or_dots(data.province_office_phone)}.",
        "c) Thường trực Tổ Kiểm tra Cải cách hành chính – Sở Nội vụ: thư điện tử (email): "
        f"{_text(data.inspection_team_email)}, điện thoại: {_or_dots(data.inspection_team_phone)}.",
        "d) Địa chỉ trên Internet để tra cứu thủ tục hành chính và tra cứu tình trạng hồ sơ: "
        f"<b>{_text(data.portal_addresses)}</b>.",
        "đ) Tổng đài tra cứu tình trạng hồ sơ trên Zalo: Địa chỉ trên Zalo để tra cứu tình trạng hồ sơ: "
        f"<b>{_text(data.zalo_lookup_name)}</b>.",
    ]
    spaced = ParagraphStyle("contact", parent=styles["body"], spaceBefore=styles["body"].fontSize * 0.5)
    return [
        Paragraph("THÔNG TIN LIÊN HỆ, PHẢN ÁNH", styles["center_bold"]),
        Paragraph(f"Mã hồ sơ: {escape(data.dossier_code)}", styles["small_center"]),
        Spacer(0, styles["body"].fontSize * 0.8),
        Paragraph(escape(BACK_NOTICE), styles["body"]),
        *[Paragraph(line, spaced) for line in lines],
    ]


def _signatures(data: SlipData, page: _Layout, styles) -> list[Flowable]:
    half = page.frame_width / 2
    gap = page.font_size * (3 if page.is_roll else 5)
    heading = styles["center_bold"]
    if page.is_roll:
        heading = ParagraphStyle("roll_sign", parent=heading, fontSize=page.font_size * 0.85)
    table = Table(
        [
            [Paragraph("NGƯỜI NỘP HỒ SƠ", heading), Paragraph("NGƯỜI TIẾP NHẬN HỒ SƠ", heading)],
            [Paragraph("(Ký và ghi rõ họ tên)", styles["small_center"]) for _ in range(2)],
            [Spacer(0, gap), Spacer(0, gap)],
            [Paragraph(_text(data.applicant_name), styles["center"]),
             Paragraph(escape(data.officer_name), styles["center"]) if data.officer_name.strip() else Spacer(0, 0)],
        ],
        colWidths=[half, half],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return [Spacer(0, page.font_size), table]


def _sheet_story(data: SlipData, page: _Layout, styles, back: "_BackBegins") -> list[Flowable]:
    width = page.frame_width
    size = page.font_size
    header = Table(
        [
            [
                Paragraph(f"<b>{escape(data.agency_name.upper())}</b>", styles["center"]),
                Paragraph(f"<b>{NATIONAL_NAME}</b><br/><b>{NATIONAL_MOTTO}</b>", styles["center"]),
            ],
            [ShortRule(width * 0.14), ShortRule(width * 0.28)],
            [Paragraph(escape(data.number_line), styles["center"]), ""],
        ],
        colWidths=[width * 0.42, width * 0.58],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 1), (-1, 1), "CENTER"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                ("TOPPADDING", (0, 1), (-1, 1), 1)]))

    code_block = Table(
        [[
            [
                Paragraph("Mã hồ sơ", styles["small"]),
                Paragraph(escape(data.dossier_code), styles["code"]),
                Spacer(0, size * 0.4),
                Paragraph("Quét mã QR hoặc truy cập địa chỉ dưới đây để tra cứu tình trạng hồ sơ:", styles["small"]),
                Paragraph(_text(data.portal_addresses), styles["body"]),
            ],
            QrCode(qr_matrix(data.lookup_url), page.qr_size),
        ]],
        colWidths=[width - page.qr_size - 4 * mm, page.qr_size + 4 * mm],
    )
    code_block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                    ("BOX", (0, 0), (-1, -1), 0.6, _RULE),
                                    ("LEFTPADDING", (0, 0), (0, 0), size * 0.8),
                                    ("TOPPADDING", (0, 0), (-1, -1), size * 0.3),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.3)]))

    label_width = width * 0.34
    facts = Table(
        [[Paragraph(label, styles["small"]), Paragraph(value, styles["body"])] for label, value in _facts(data)],
        colWidths=[label_width, width - label_width],
    )
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -2), 0.3, _RULE),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), size * 0.25),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.3)]))

    return [
        header,
        Paragraph(TITLE, styles["title"]),
        code_block,
        Spacer(0, size * 0.8),
        facts,
        *_documents_section(data, styles),
        KeepTogether(_signatures(data, page, styles)),
        PageBreak(),
        back,
        *_back_section(data, styles),
    ]


def _roll_story(data: SlipData, page: _Layout, styles) -> list[Flowable]:
    size = page.font_size
    qr = QrCode(qr_matrix(data.lookup_url), page.qr_size)
    qr.hAlign = "CENTER"
    story: list[Flowable] = [
        Paragraph(f"<b>{escape(data.agency_name.upper())}</b>", styles["center"]),
        Paragraph(f"{NATIONAL_NAME}<br/>{NATIONAL_MOTTO}", styles["small_center"]),
        # Broken by hand: on a 72 mm line the title would otherwise split mid-phrase.
        Paragraph(TITLE.replace(" VÀ ", "<br/>VÀ "), styles["title"]),
        *([Paragraph(escape(data.number_line), styles["small_center"])] if data.number_line else []),
        qr,
        Paragraph(escape(data.dossier_code), ParagraphStyle("roll_code", parent=styles["code"], alignment=TA_CENTER)),
        Paragraph("Quét mã QR để tra cứu tình trạng hồ sơ", styles["small_center"]),
        HRFlowable(width="100%", thickness=0.5, color=_RULE, spaceBefore=size * 0.5, spaceAfter=size * 0.3),
    ]
    fact = ParagraphStyle("fact", parent=styles["body"], spaceBefore=size * 0.25)
    story += [Paragraph(f"<font color='#555555'>{label}:</font> {value}", fact) for label, value in _facts(data)]
    story += _documents_section(data, styles)
    story += _signatures(data, page, styles)
    story.append(HRFlowable(width="100%", thickness=0.8, color=_INK, dash=(3, 2),
                            spaceBefore=size * 1.2, spaceAfter=size * 0.8))
    story += _back_section(data, styles)
    return story


def _sheet_footer(data: SlipData, page: _Layout, back: "_BackBegins"):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT_REGULAR, page.font_size * 0.75)
        canvas.setFillColor(_MUTED)
        side = "Mặt sau" if back.drawn else "Mặt trước"
        canvas.drawString(page.margin, page.margin * 0.5, f"Mã hồ sơ {data.dossier_code}")
        canvas.drawRightString(page.page_width - page.margin, page.margin * 0.5, f"{side} – trang {doc.page}")
        canvas.restoreState()

    return draw


class _BackBegins(Flowable):
    """Zero-size marker at the top of the back, telling the page footer which side it is on."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn = False

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self) -> None:
        self.drawn = True

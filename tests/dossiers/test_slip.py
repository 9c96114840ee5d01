"""Receipt and appointment slip (R-09, Điều 17–18): content, layouts, QR code, Vietnamese text."""
from __future__ import annotations

import io
import time
import unicodedata
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import InvalidInput
from postal_gateway.core.pdf import QR_MARK, qr_matrix
from postal_gateway.dossiers.labels import STATUS_LABELS, status_label
from postal_gateway.dossiers.models import Channel, Dossier, DossierDocument, DossierStatus, ReceiptBasis
from postal_gateway.dossiers.slip import (
    BACK_NOTICE,
    BackPageContacts,
    SlipData,
    format_receipt_time,
    slip_data_for,
)
from postal_gateway.dossiers.slip_layout import render_slip
from tests import factories

MM = 72 / 25.4


def sample(**changes) -> SlipData:
    data = SlipData(
        dossier_code="000.00.20.H10-260312-0007",
        lookup_url="http://testserver/lookup?code=000.00.20.H10-260312-0007",
        procedure_name="Cấp giấy phép xuất bản bản tin (trong nước)",
        agency_name="Sở Thông tin và Truyền thông tỉnh Bình Phước",
        processing_department="Phòng Thông tin – Báo chí – Xuất bản",
        organisation_name="",
        applicant_name="Nguyễn Thị Ánh Tuyết",
        received_at=datetime(2026, 3, 12, 2, 5, tzinfo=timezone.utc),
        appointment_date=date(2026, 3, 27),
        status_label="Đã tiếp nhận",
        fee_vnd=0,
        postage_vnd=32_000,
        one_stop_phone="0271 3888 207",
        document_titles=("Đơn đề nghị cấp giấy phép", "Bản sao quyết định thành lập", "Sơ yếu lý lịch"),
        missing_items=(),
        agency_head_name="Lê Văn Hùng",
        agency_head_phone="0913 456 789",
        agency_head_email="giamdoc.stttt@binhphuoc.gov.vn",
        agency_phone="0271 3888 207",
        province_office_email="thutuchanhchinh@binhphuoc.gov.vn",
        inspection_team_email="BP-congdanvacongvu@binhphuoc.gov.vn",
        portal_addresses="http://www.binhphuoc.gov.vn; dichvucong.binhphuoc.gov.vn",
        zalo_lookup_name="BP-công dân và công vụ",
        number_line="Số: 7/TNHS",
        officer_name="Phạm Minh Châu",
    )
    return replace(data, **changes)


def pages_text(pdf: bytes) -> list[str]:
    """Text of each page with runs of whitespace folded, so line wrapping does not matter."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def all_text(pdf: bytes) -> str:
    return " ".join(pages_text(pdf))


@pytest.mark.parametrize("layout", ["a4", "a5", "roll80"])
def test_every_layout_prints_the_front_fields_with_exact_diacritics(layout):
    pdf = render_slip(sample(fee_vnd=50_000), layout)

    assert pdf.startswith(b"%PDF-")
    text = all_text(pdf)
    assert "GIẤY TIẾP NHẬN HỒ SƠ" in text
    assert "VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH BÌNH PHƯỚC" in text
    assert "000.00.20.H10-260312-0007" in text
    assert "Phòng Thông tin – Báo chí – Xuất bản" in text
    assert "Nguyễn Thị Ánh Tuyết" in text
    assert "09:05 ngày 12/03/2026" in text
    assert "27/03/2026" in text
    assert "Đã tiếp nhận" in text
    assert "50.000 đồng" in text
    assert "Không thu phí" not in text
    assert "32.000 đồng" in text
    assert "0271 3888 207" in text
    assert "Số lượng giấy tờ đã nộp: 3" in text
    for title in ("Đơn đề nghị cấp giấy phép", "Bản sao quyết định thành lập", "Sơ yếu lý lịch"):
        assert title in text
    # Điều 18.1 form 01: its number and the officer who accepted it; the post office is the consignment slip's
    assert "Số: 7/TNHS" in text and "Phạm Minh Châu" in text
    assert "Nơi tiếp nhận" not in text


@pytest.mark.parametrize("layout", ["a4", "a5", "roll80"])
def test_zero_fee_prints_no_fee(layout):
    text = all_text(render_slip(sample(fee_vnd=0, postage_vnd=0), layout))

    assert "Không thu phí" in text
    assert "Không thu cước" in text
    assert "0 đồng" not in text


def test_large_amounts_use_dot_thousands_separators():
    text = all_text(render_slip(sample(fee_vnd=1_234_000)))

    assert "1.234.000 đồng" in text


def test_a4_has_the_front_then_the_back_page():
    pdf = render_slip(sample(), "a4")
    reader = PdfReader(io.BytesIO(pdf))

    assert len(reader.pages) == 2
    assert float(reader.pages[0].mediabox.width) == pytest.approx(210 * MM, abs=0.1)
    assert float(reader.pages[0].mediabox.height) == pytest.approx(297 * MM, abs=0.1)
    front, back = pages_text(pdf)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in front
    assert "vui lòng liên hệ" not in front
    assert BACK_NOTICE in back
    assert "Lê Văn Hùng" in back
    assert "0913 456 789" in back
    assert "giamdoc.stttt@binhphuoc.gov.vn" in back
    assert "thutuchanhchinh@binhphuoc.gov.vn" in back
    assert "BP-congdanvacongvu@binhphuoc.gov.vn" in back
    assert "http://www.binhphuoc.gov.vn; dichvucong.binhphuoc.gov.vn" in back
    assert "Địa chỉ trên Zalo để tra cứu tình trạng hồ sơ: BP-công dân và công vụ" in back


def test_a5_is_two_a5_pages():
    reader = PdfReader(io.BytesIO(render_slip(sample(), "a5")))

    assert len(reader.pages) == 2
    assert float(reader.pages[0].mediabox.width) == pytest.approx(148 * MM, abs=0.1)
    assert BACK_NOTICE in " ".join(reader.pages[1].extract_text().split())


def test_roll80_is_one_80mm_page_with_the_back_after_the_front():
    pdf = render_slip(sample(), "roll80")
    reader = PdfReader(io.BytesIO(pdf))

    assert len(reader.pages) == 1
    assert float(reader.pages[0].mediabox.width) == pytest.approx(80 * MM, abs=0.1)
    text = pages_text(pdf)[0]
    assert text.index("Nguyễn Thị Ánh Tuyết") < text.index(BACK_NOTICE)
    assert "BP-congdanvacongvu@binhphuoc.gov.vn" in text


def test_roll80_grows_with_the_number_of_documents():
    short = PdfReader(io.BytesIO(render_slip(sample(), "roll80"))).pages[0]
    titles = tuple(f"Giấy tờ kèm theo số {n}: bản sao có chứng thực" for n in range(1, 41))
    long_pdf = render_slip(sample(document_titles=titles), "roll80")
    long = PdfReader(io.BytesIO(long_pdf)).pages

    assert len(long) == 1
    assert float(long[0].mediabox.height) > float(short.mediabox.height) + 100 * MM
    text = pages_text(long_pdf)[0]
    assert "Số lượng giấy tờ đã nộp: 40" in text
    assert "Giấy tờ kèm theo số 40" in text
    assert "dichvucong.binhphuoc.gov.vn" in text and "BP-công dân và công vụ" in text  # the back, after the front


def test_receipt_time_is_printed_in_vietnam_whatever_the_server_zone(monkeypatch):
    # 20:30 UTC on 12 March is 03:30 on 13 March in Vietnam.
    late = sample(received_at=datetime(2026, 3, 12, 20, 30, tzinfo=timezone.utc))
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        text = all_text(render_slip(late))
    finally:
        monkeypatch.undo()
        time.tzset()

    assert "03:30 ngày 13/03/2026" in text
    assert "20:30" not in text


def test_receipt_time_from_another_zone_is_converted():
    tokyo = timezone(timedelta(hours=9))

    assert format_receipt_time(datetime(2026, 1, 5, 9, 0, tzinfo=tokyo)) == "07:00 ngày 05/01/2026"


def test_organisation_is_printed_only_when_there_is_one():
    without = all_text(render_slip(sample(organisation_name="")))
    with_org = all_text(render_slip(sample(organisation_name="Công ty TNHH Truyền thông Đồng Xoài")))

    assert "Tổ chức nộp hồ sơ" not in without
    assert "Tổ chức nộp hồ sơ" in with_org
    assert "Công ty TNHH Truyền thông Đồng Xoài" in with_org


def test_originals_by_post_are_announced_only_when_they_must_follow():
    assert "Bản gốc gửi kèm qua bưu chính" not in all_text(render_slip(sample()))
    assert "Bản gốc gửi kèm qua bưu chính, ghi mã hồ sơ." in all_text(
        render_slip(sample(originals_by_post=True), "roll80")
    )


def test_missing_items_are_listed():
    text = all_text(render_slip(sample(missing_items=("Bản sao giấy phép hoạt động báo chí",))))

    assert "Giấy tờ còn thiếu, cần bổ sung:" in text
    assert "Bản sao giấy phép hoạt động báo chí" in text


def test_decomposed_input_comes_out_precomposed():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    assert decomposed != "Nguyễn Thị Ánh Tuyết"

    text = all_text(render_slip(sample(applicant_name=decomposed)))

    assert "Nguyễn Thị Ánh Tuyết" in text


def test_markup_characters_in_names_are_printed_literally():
    text = all_text(render_slip(sample(organisation_name="Công ty A & B <Đồng Xoài>"), "roll80"))

    assert "Công ty A & B <Đồng Xoài>" in text


def test_dejavu_sans_is_embedded():
    reader = PdfReader(io.BytesIO(render_slip(sample())))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        # reportlab embeds TrueType subsets as simple fonts; a Type0 font would nest the descriptor.
        parts = [font] + [d.get_object() for d in font.get("/DescendantFonts", [])]
        for part in parts:
            descriptor = part.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.append(str(font["/BaseFont"]))
    assert any(name.endswith("+DejaVuSans") for name in embedded)
    assert any(name.endswith("+DejaVuSans-Bold") for name in embedded)


def drawn_qr_modules(page) -> set[tuple[int, int]]:
    """Rebuild the dark QR modules (row, column) from the rectangles inside the QR block."""
    operations = ContentStream(page.get_contents(), page.pdf).operations
    inside = False
    rectangles = []
    for operands, operator in operations:
        if operator == b"BMC" and operands and operands[0] == f"/{QR_MARK}":
            inside = True
        elif operator == b"EMC":
            inside = False
        elif inside and operator == b"re":
            rectangles.append(tuple(float(value) for value in operands))
    assert rectangles, "no QR code drawn"
    module = rectangles[0][3]
    size = max(y + h for _, y, _, h in rectangles)
    count_from_top = round(size / module)
    cells = set()
    for x, y, width, height in rectangles:
        assert height == pytest.approx(module)
        row = count_from_top - round((y + height) / module)
        first = round(x / module)
        for column in range(first, first + round(width / module)):
            cells.add((row, column))
    return cells


@pytest.mark.parametrize("layout", ["a4", "roll80"])
def test_the_qr_code_drawn_is_the_one_for_the_lookup_url(layout):
    data = sample(lookup_url="http://testserver/lookup?code=000.00.20.H10-260312-0007")
    page = PdfReader(io.BytesIO(render_slip(data, layout))).pages[0]

    expected_matrix = qr_matrix(data.lookup_url)
    expected = {
        (r, c) for r, row in enumerate(expected_matrix) for c, dark in enumerate(row) if dark
    }
    # Drawn rows count from the topmost dark module (blank quiet zone leaves no trace), so they
    # are aligned on the matrix's first dark row, which lies below the 4-module quiet zone.
    drawn = drawn_qr_modules(page)
    quiet = 4
    top_row = min(r for r, _ in expected)
    assert top_row == quiet
    shift = min(r for r, _ in drawn) - top_row
    assert {(r - shift, c) for r, c in drawn} == expected


def test_qr_matrix_depends_on_the_url():
    assert qr_matrix("http://testserver/lookup?code=A") != qr_matrix("http://testserver/lookup?code=B")


def test_unknown_layout_and_naive_time_are_named_together():
    with pytest.raises(InvalidInput) as caught:
        render_slip(sample(received_at=datetime(2026, 3, 12, 9, 5), fee_vnd=-1), "letter")

    assert {error.field for error in caught.value.field_errors} == {"layout", "received_at", "fee_vnd"}


def test_a_lookup_url_too_long_for_a_qr_code_is_refused_clearly():
    with pytest.raises(InvalidInput) as caught:
        render_slip(sample(lookup_url="http://testserver/lookup?code=" + "x" * 3000))

    assert [error.field for error in caught.value.field_errors] == ["lookup_url"]


def test_every_status_has_a_vietnamese_label():
    assert set(STATUS_LABELS) == set(DossierStatus)
    assert status_label("received") == "Đã tiếp nhận"
    assert status_label(DossierStatus.returned) == "Đã trả kết quả"


def test_slip_data_is_read_from_a_dossier(session):
    agency = factories.agency(
        session,
        code="000.00.20.H10",
        name="Sở Thông tin và Truyền thông tỉnh Bình Phước",
        one_stop_phone="0271 3888 207",
        head_name="Lê Văn Hùng",
        head_phone="0913 456 789",
        head_email="giamdoc.stttt@binhphuoc.gov.vn",
        province_office_email="thutuchanhchinh@binhphuoc.gov.vn",
        inspection_team_email="BP-congdanvacongvu@binhphuoc.gov.vn",
    )
    procedure = factories.procedure(
        session, agency, name="Cấp giấy phép xuất bản bản tin", processing_department="Phòng Báo chí"
    )
    office = factories.post_office(session, name="Bưu cục Đồng Xoài")
    citizen = factories.user(session, full_name="Nguyễn Thị Ánh Tuyết")
    worker = factories.user(session, role=Role.postal_staff, full_name="Trần Thị B", post_office=office)
    received = datetime(2026, 3, 12, 2, 5, tzinfo=timezone.utc)
    dossier = Dossier(
        code="000.00.20.H10-260312-0007",
        agency=agency,
        procedure=procedure,
        citizen=citizen,
        organisation_name="",
        channel=Channel.postal,
        level=4,
        status=DossierStatus.received,
        post_office=office,
        submitted_by=worker,
        entered_at=received,
        submitted_at=received,
        shipment_number="RA000000014VN",
        accepted_at=received,
        receipt_basis=ReceiptBasis.online_valid,
        received_at=received,
        processing_start_at=received,
        due_at=received + timedelta(days=15),
        appointment_date=date(2026, 3, 27),
        fee_vnd=50_000,
        postage_vnd=32_000,
        missing_items=["Bản sao giấy phép hoạt động báo chí"],
    )
    for title in ("Đơn đề nghị", "Bản sao quyết định thành lập"):
        dossier.documents.append(
            DossierDocument(
                title=title, filename="scan.pdf", content_type="application/pdf", size_bytes=3,
                sha256="0" * 64, content=b"%PD",
            )
        )
    session.add(dossier)
    session.flush()

    data = slip_data_for(dossier, "http://testserver/", BackPageContacts("https://dichvucong.example.vn", "Zalo X"))

    assert data.lookup_url == "http://testserver/lookup?code=000.00.20.H10-260312-0007"
    assert data.portal_addresses == "https://dichvucong.example.vn" and data.zalo_lookup_name == "Zalo X"
    assert data.applicant_name == "Nguyễn Thị Ánh Tuyết"
    assert data.agency_name == "Sở Thông tin và Truyền thông tỉnh Bình Phước"
    assert data.processing_department == "Phòng Báo chí"
    assert data.status_label == "Đã tiếp nhận"
    assert data.document_titles == ("Đơn đề nghị", "Bản sao quyết định thành lập")
    assert data.missing_items == ("Bản sao giấy phép hoạt động báo chí",)
    assert data.fee_vnd == 50_000 and data.postage_vnd == 32_000
    assert data.agency_head_name == "Lê Văn Hùng"
    assert data.inspection_team_email == "BP-congdanvacongvu@binhphuoc.gov.vn"
    text = all_text(render_slip(data, "a4"))
    assert "Số lượng giấy tờ đã nộp: 2" in text
    assert "50.000 đồng" in text


def test_lookup_url_escapes_the_code(session):
    agency = factories.agency(session)
    procedure = factories.procedure(session, agency)
    citizen = factories.user(session)
    moment = datetime(2026, 3, 12, 2, 5, tzinfo=timezone.utc)
    dossier = Dossier(
        code="X&Y 1", agency=agency, procedure=procedure, citizen=citizen, channel=Channel.online,
        level=3, entered_at=moment, submitted_at=moment, shipment_number="RA000000028VN", accepted_at=moment,
        receipt_basis=ReceiptBasis.online_valid, received_at=moment, processing_start_at=moment, due_at=moment,
        appointment_date=date(2026, 3, 20),
    )
    session.add(dossier)
    session.flush()

    data = slip_data_for(dossier, "http://testserver", BackPageContacts("http://www.binhphuoc.gov.vn", "BP"))

    assert data.lookup_url == "http://testserver/lookup?code=X%26Y%201"
    assert render_slip(data, "roll80").startswith(b"%PDF-")


def test_a_long_front_on_a5_runs_on_and_the_back_still_starts_on_its_own_page():
    titles = tuple(f"Giấy tờ kèm theo số {n}" for n in range(1, 41))
    pages = pages_text(render_slip(sample(document_titles=titles), "a5"))

    assert len(pages) >= 3
    assert all("Mặt trước" in text for text in pages[:-1])
    assert "Mặt sau" in pages[-1]
    assert BACK_NOTICE in pages[-1]
    assert not any(BACK_NOTICE in text for text in pages[:-1])

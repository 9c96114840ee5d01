"""The post's consignment slip (phiếu gửi hồ sơ): the citizen's receipt from the post at intake, which is
not the agency's Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Điều 21.1, 14.4, 9.1.c)."""
from __future__ import annotations

import io
import unicodedata
from datetime import datetime, timezone

from pypdf import PdfReader

from postal_gateway.accounts.models import Role
from postal_gateway.dossiers.consignment import NOT_FORM_01, TITLE
from postal_gateway.dossiers.models import (
    CollectionMethod,
    DossierDocument,
    DossierStatus,
    PaymentKind,
)
from tests import factories
from tests.conftest import log_in

SUBMITTED = datetime(2026, 12, 11, 9, 30, tzinfo=timezone.utc)  # 16:30 Friday in Vietnam


def text_of(pdf: bytes) -> str:
    raw = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return unicodedata.normalize("NFC", " ".join(raw.split()))


def test_consignment_slip_is_the_posts_receipt_not_form_01__dieu_21_1_14_4(client, session):
    """Điều 21.1, 14.4: at intake the citizen gets the post's consignment slip (shipment number, what was
    taken, money with its method, collector and cash shift (Điều 23.4), worker, office, time, consent, lookup),
    saying it is not form 01; form 01
    itself is refused until the agency accepts the dossier."""
    office = factories.post_office(session, name="Bưu cục Đồng Xoài")
    staff = factories.user(session, Role.postal_staff, full_name="Trần Thị Bưu", post_office=office)
    citizen = factories.user(session, full_name="Nguyễn Văn Dân")
    procedure = factories.procedure(session, factories.agency(session, name="Sở Thông tin và Truyền thông"),
                                    name="Cấp giấy phép bưu chính")
    dossier = factories.postal_dossier(
        session, procedure=procedure, citizen=citizen, staff=staff, entered_at=SUBMITTED,
        status=DossierStatus.submitted, code=None, received_at=None, processing_start_at=None, due_at=None,
        appointment_date=None, accepted_at=None, receipt_basis=None,
    )
    for title in ("Đơn đề nghị", "Bản sao giấy phép"):
        dossier.documents.append(DossierDocument(title=title, filename="a.pdf", content_type="application/pdf",
                                                 size_bytes=3, sha256="0" * 64, content=b"%PD"))
    fee = factories.amount_collected(session, dossier, PaymentKind.fee, 50_000, by=staff, at=SUBMITTED)
    factories.amount_collected(session, dossier, PaymentKind.postage, 30_000,
                               method=CollectionMethod.collection_on_behalf, by=staff, at=SUBMITTED)
    session.commit()
    log_in(client, staff)
    page = client.get(f"/dossiers/{dossier.shipment_number}").get_data(as_text=True)
    assert 'id="consignment"' in page
    for layout in ("a4", "a5", "roll80"):
        response = client.get(f"/dossiers/{dossier.shipment_number}/consignment.pdf?layout={layout}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(client.get(f"/dossiers/{dossier.shipment_number}/consignment.pdf").data)
    for expected in (TITLE, dossier.shipment_number, "Cấp giấy phép bưu chính", "Sở Thông tin và Truyền thông",
                     "Nguyễn Văn Dân", "16:30 11/12/2026", "2 giấy tờ", "Đơn đề nghị", "Bản sao giấy phép",
                     "Lệ phí: 50.000", "tiền mặt", "Cước: 30.000", "thu hộ", "Trần Thị Bưu", "Bưu cục Đồng Xoài",
                     f"/lookup?code={dossier.shipment_number}", NOT_FORM_01,
                     # how and by whom each amount was taken, and the cash shift whose book holds it (Điều 23.4)
                     f"Lệ phí: 50.000 ₫ – tiền mặt, người thu Trần Thị Bưu, ca thu tiền số {fee.shift_id}",
                     f"Cước: 30.000 ₫ – thu hộ, người thu Trần Thị Bưu, ca thu tiền số {fee.shift_id}"):
        assert expected in text, expected
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" not in text
    assert client.get(f"/dossiers/{dossier.shipment_number}/slip.pdf").status_code == 409
    assert client.get(f"/dossiers/{dossier.shipment_number}/consignment.pdf?layout=a3").status_code == 422

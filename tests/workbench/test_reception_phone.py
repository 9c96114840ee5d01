"""Accepting a submitted dossier on a 360 px phone (Điều 12.1.a–d): the 'Chờ tiếp nhận' tab, the paper
hand-over signed, then 'Tiếp nhận hồ sơ (thời điểm giao nhận đầy đủ)'; no sideways scroll."""
from __future__ import annotations

from datetime import timedelta

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import DossierStatus
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot
from tests.workbench.test_workbench_phone import no_sideways_scroll


def test_officer_accepts_a_submitted_dossier_on_a_phone__dieu_12_1_d(session, live_server, phone):
    """Điều 12.1.d: the officer signs for the paper and accepts at the hand-over moment, on a phone."""
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông tỉnh Bình Phước")
    officer = factories.user(session, Role.agency_staff, agency=agency)
    procedure = factories.procedure(session, agency, level=3, fee_vnd=0, name="Cấp giấy phép hoạt động in xuất bản phẩm")
    dossier = factories.postal_dossier(
        session, procedure=procedure, entered_at=utcnow() - timedelta(hours=2), status=DossierStatus.submitted,
        code=None, received_at=None, processing_start_at=None, due_at=None, appointment_date=None, accepted_at=None,
        receipt_basis=None,
    )
    session.commit()
    log_in_on_page(phone, live_server, officer)
    phone.goto(f"{live_server}/workbench?status=submitted")
    assert dossier.shipment_number in phone.content() and no_sideways_scroll(phone)
    save_screenshot(phone, "reception-queue")
    assert_accessible(phone)
    phone.click("text=Nhận hồ sơ từ bưu chính (quét mã)")
    phone.fill("#code", dossier.shipment_number.lower())
    phone.click("button[type=submit]")
    phone.check("input[name=paper_matches][value=yes]")
    phone.click("text=Ký nhận hồ sơ giấy")
    assert "Tiếp nhận hồ sơ (thời điểm giao nhận đầy đủ)" in phone.content() and no_sideways_scroll(phone)
    save_screenshot(phone, "reception-dossier")
    assert_accessible(phone)
    phone.click("text=Tiếp nhận hồ sơ (thời điểm giao nhận đầy đủ)")
    assert "Đã tiếp nhận hồ sơ" in phone.content() and "000.00.20" not in dossier.shipment_number
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "reception-accepted")
    assert_accessible(phone)

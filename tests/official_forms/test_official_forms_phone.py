"""The register book (form 06, Điều 9.3.c) on a 360 px phone: the wide table scrolls inside its card, the
page does not scroll sideways, and the dossier page links its control sheet (form 05, Điều 9.2.a)."""
from __future__ import annotations

from datetime import timedelta

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import utcnow
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot
from tests.workbench.test_workbench_phone import no_sideways_scroll


def test_register_page_on_a_phone__dieu_9_3_c(session, live_server, phone):
    """Điều 9.3.c, 9.2.a: the officer reads this month's register on a phone and opens a dossier's control sheet."""
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông tỉnh Bình Phước")
    officer = factories.user(session, Role.agency_staff, agency=agency)
    procedure = factories.procedure(session, agency, name="Cấp giấy phép hoạt động in xuất bản phẩm",
                                    processing_department="Phòng Thông tin - Báo chí - Xuất bản")
    dossier = factories.postal_dossier(session, procedure=procedure, entered_at=utcnow() - timedelta(minutes=30))
    session.commit()
    log_in_on_page(phone, live_server, officer)
    phone.goto(f"{live_server}/workbench/register")
    assert dossier.code in phone.content()
    save_screenshot(phone, "official-forms-register")
    assert_accessible(phone)
    assert no_sideways_scroll(phone)
    phone.goto(f"{live_server}/workbench/{dossier.code}")
    assert f"/workbench/{dossier.code}/control-sheet.pdf" in phone.content()

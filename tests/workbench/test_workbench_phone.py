"""The workbench and statistics pages on a 360 px phone: the officer's walk with one thumb, no
sideways scroll of the page (the wide statistics table scrolls inside its card)."""
from __future__ import annotations

from datetime import timedelta

from postal_gateway import calendar
from postal_gateway.accounts.models import Role
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import to_local
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_officer_works_a_dossier_on_a_phone(session, live_server, phone):
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông tỉnh Bình Phước")
    officer = factories.user(session, Role.agency_staff, agency=agency)
    procedure = factories.procedure(session, agency, level=3, fee_vnd=0,
                                    name="Cấp giấy phép hoạt động in xuất bản phẩm")
    dossier = factories.postal_dossier(session, procedure=procedure, entered_at=utcnow() - timedelta(days=20),
                                       due_at=utcnow() - timedelta(days=2))
    session.commit()
    log_in_on_page(phone, live_server, officer)
    phone.goto(f"{live_server}/workbench")
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "workbench-queue")
    assert_accessible(phone)
    phone.click("text=Nhận hồ sơ từ bưu chính (quét mã)")
    phone.fill("#code", dossier.code.lower())
    phone.click("button[type=submit]")
    assert no_sideways_scroll(phone)
    phone.check("input[name=paper_matches][value=yes]")
    save_screenshot(phone, "workbench-compare")
    assert_accessible(phone)
    phone.click("text=Ký nhận hồ sơ giấy")
    assert "Đã ký nhận hồ sơ giấy" in phone.content()
    phone.click("text=Chuyển phòng chuyên môn")
    phone.click("text=Bắt đầu xử lý")
    phone.click("summary:has-text('Yêu cầu bổ sung')")
    phone.fill("#s-items", "Bản sao giấy phép kinh doanh có chứng thực\nTờ khai ký ghi rõ họ tên")
    phone.fill("#s-reasons", "Bản sao chưa chứng thực\nTờ khai chưa ký")
    phone.click("text=Lập phiếu yêu cầu bổ sung và gửi công dân")
    phone.click("text=Đã nhận đủ hồ sơ bổ sung")
    new_date = calendar.next_working_day(to_local(utcnow()).date() + timedelta(days=1))
    phone.fill("#a-reason", "Chờ ý kiến thẩm định của phòng chuyên môn")
    phone.fill("#a-date", new_date.isoformat())
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "workbench-dossier")
    assert_accessible(phone)
    phone.click("#apology button[type=submit]")
    phone.click("text=Chuyển phiếu cho công dân, ghi ngày hẹn mới (Điều 9.4.d)")
    assert "Đã chuyển phiếu xin lỗi cho công dân" in phone.content()
    phone.click("text=Báo có kết quả")
    phone.click("button:has-text('Giao kết quả cho bưu chính')")
    assert "Đã giao kết quả cho bưu chính; hồ sơ hoàn thành khi bưu chính phát kết quả." in phone.content()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "workbench-returned")
    assert_accessible(phone)
    first = to_local(dossier.received_at).date().isoformat()
    phone.goto(f"{live_server}/statistics?from={first}")
    save_screenshot(phone, "statistics")
    assert_accessible(phone)
    assert "0/1" in phone.content()
    assert no_sideways_scroll(phone)

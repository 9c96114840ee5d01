"""The operator's calendar page (R-07, R-08: the working days behind the receipt time and the appointment date):
the year's official holidays with their source, the extra days off and make-up working days with their reason and
legal reference, added and removed through the same services as ``flask calendar``."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.calendar.models import CalendarOverride, DayKind
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in, log_in_on_page, save_screenshot


@pytest.fixture()
def operator(session):
    user = factories.user(session, Role.operator)
    session.commit()
    return user


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(CalendarOverride))


def test_the_page_lists_the_official_days_of_the_year_with_their_source(client, operator):
    log_in(client, operator)
    html = client.get("/calendar?year=2026").get_data(as_text=True)
    assert "Lịch làm việc năm 2026" in html
    assert "17/02/2026" in html and "Tết Nguyên Đán" in html           # from the holidays package
    assert "02/09/2026" in html and "Quốc khánh" in html
    assert "22/08/2026" in html and "Ngày làm việc bù" in html          # the Saturday worked for 31/08
    assert "Thư viện holidays" in html and "Điều 112 Bộ luật Lao động 2019" in html
    assert "01/01/2027" not in html
    assert "Tết Dương lịch" in client.get("/calendar?year=2027").get_data(as_text=True)
    refused = client.get("/calendar?year=abc")
    assert refused.status_code == 422 and "Lịch làm việc chỉ áp dụng cho các năm 1901–2099" in refused.get_data(
        as_text=True)


def test_the_operator_adds_and_removes_an_adjustment_with_reason_and_legal_reference(client, session, operator):
    log_in(client, operator)
    added = client.post("/calendar/days", data={"day": "2027-02-20", "kind": "working_day",
                                                "reason": "Làm bù cho ngày 15/02/2027",
                                                "legal_reference": "Thông báo 123/TB-BNV"})
    assert added.status_code == 302 and added.headers["Location"].endswith("/calendar?year=2027")
    row = session.get(CalendarOverride, date(2027, 2, 20))
    assert (row.kind, row.reason, row.legal_reference, row.created_by_id) == (
        DayKind.working_day, "Làm bù cho ngày 15/02/2027", "Thông báo 123/TB-BNV", operator.id)
    html = client.get("/calendar?year=2027").get_data(as_text=True)
    assert "20/02/2027" in html and "Làm bù cho ngày 15/02/2027" in html and "Thông báo 123/TB-BNV" in html
    removed = client.post("/calendar/days/remove", data={"day": "2027-02-20"})
    assert removed.status_code == 302 and removed.headers["Location"].endswith("/calendar?year=2027")
    session.expire_all()
    assert session.get(CalendarOverride, date(2027, 2, 20)) is None
    assert "Làm bù cho ngày 15/02/2027" not in client.get("/calendar?year=2027").get_data(as_text=True)


def test_a_refused_adjustment_names_every_fault_in_vietnamese_and_saves_nothing(client, session, operator):
    log_in(client, operator)
    refused = client.post("/calendar/days", data={"day": "20/02/2027", "kind": "holiday", "reason": " ",
                                                  "legal_reference": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    for message in ("Ngày phải có dạng YYYY-MM-DD.", "Chọn ngày nghỉ hoặc ngày làm việc.",
                    "Ghi căn cứ, ví dụ số thông báo của cơ quan có thẩm quyền.",
                    "Ghi văn bản pháp lý làm căn cứ, ví dụ số công văn."):
        assert message in html, message
    assert _count(session) == 0
    first = {"day": "2027-04-30", "kind": "day_off", "reason": "Nghỉ thêm", "legal_reference": "Công văn 1/UBND"}
    assert client.post("/calendar/days", data=first).status_code == 302
    twice = client.post("/calendar/days", data=first)
    assert twice.status_code == 409 and "đã được điều chỉnh" in twice.get_data(as_text=True)
    missing = client.post("/calendar/days/remove", data={"day": "2027-05-02"})
    assert missing.status_code == 404 and "không có điều chỉnh nào" in missing.get_data(as_text=True)
    assert _count(session) == 1


@pytest.mark.parametrize("role", [Role.agency_admin, Role.postal_staff, Role.office_manager, Role.citizen])
def test_only_operators_reach_the_calendar(client, session, role):
    user = factories.user(session, role)
    session.commit()
    log_in(client, user)
    assert client.get("/calendar").status_code == 403
    form = {"day": "2027-02-20", "kind": "day_off", "reason": "x", "legal_reference": "y"}
    assert client.post("/calendar/days", data=form).status_code == 403
    assert _count(session) == 0


def test_a_form_without_its_csrf_token_is_refused(app, client, session, operator):
    log_in(client, operator)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/calendar/days", data={"day": "2027-02-20", "kind": "day_off", "reason": "x",
                                                       "legal_reference": "y"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and _count(session) == 0


def test_the_calendar_page_on_a_360_px_phone(session, live_server, phone):
    operator = factories.user(session, Role.operator)
    session.commit()
    log_in_on_page(phone, live_server, operator)
    phone.goto(f"{live_server}/calendar?year=2026")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.fill("#day", "2026-12-31")
    phone.select_option("#kind", "day_off")
    phone.fill("#reason", "Nghỉ cuối năm theo quyết định của tỉnh")
    phone.fill("#legal_reference", "Quyết định 99/QĐ-UBND")
    phone.click("form[action$='/calendar/days'] button[type=submit]")
    assert "Quyết định 99/QĐ-UBND" in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshot(phone, "issue15-item11-operator-calendar")
    assert_accessible(phone)

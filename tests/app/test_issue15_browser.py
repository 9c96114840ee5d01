"""Browser tests of issue 15's numbered items that no other area's browser test walked: each on a 360 px phone
in Chromium, through the page as its user would, with a screenshot `issue15-item<N>-<what>` kept in
test-artifacts/screenshots/. The table of every item and its tests is tests/app/test_issue15_items.py."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import db_session
from postal_gateway.dossiers.models import CollectedAmount, Dossier
from postal_gateway.lookup import ratelimit
from tests import factories
from tests.codes import last_code
from tests.conftest import log_in_on_page, save_screenshot
from tests.dossiers.test_intake_phone import png_bytes


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def fresh_session():
    db_session.remove()  # the live server committed in its own sessions
    return db_session()


# --- item 1: cash taken with no open shift lands in a shift; the post's receipt says what, how and by whom ------

@pytest.mark.timeout(180)
def test_item1_cash_taken_with_no_shift_open_is_in_the_cash_book_and_on_the_receipt__dieu_23_4(
        session, live_server, phone):
    """Điều 23.4: every amount the post collects is accounted for; the first cash intake opens the worker's shift."""
    agency = factories.agency(session, code="000.00.20.H10", province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, checklist=("Tờ khai",), fee_vnd=94_000, level=3,
                                    name="Cấp giấy phép hoạt động in")
    staff = factories.user(session, Role.postal_staff, full_name="Trần Thị Bưu",
                           post_office=factories.post_office(session, province_code="70", district_code="689"))
    citizen = factories.user(session, Role.citizen)
    factories.consent(session, citizen, staff, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.commit()

    log_in_on_page(phone, live_server, staff)
    phone.locator("nav.tabbar a", has_text="Sổ thu tiền").click()
    expect(phone.locator("main")).to_contain_text("Chưa có ca nào.")  # no shift open at the start
    phone.goto(f"{live_server}/intake?citizen_id={citizen.id}")
    phone.click("text=Chọn thủ tục này")
    phone.check(f"input[name=item][value='{procedure.checklist[0].id}']")
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(r".*/scans$"))
    phone.set_input_files(f"#scan_{procedure.checklist[0].id}",
                          {"name": "to-khai.png", "mimeType": "image/png", "buffer": png_bytes((1, 2, 3))})
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(r".*/collection$"))
    phone.select_option("#fee_method", "cash")
    phone.fill("#postage_vnd", "55000")
    phone.select_option("#postage_method", "cash")
    phone.click("main button[type=submit]:not([value=quote])")
    phone.wait_for_url(re.compile(r".*/review$"))
    phone.click("#submit-button")
    phone.wait_for_url(re.compile(r".*/dossiers/RA\d{9}VN$"))
    collected = phone.locator("section.card", has_text="Đã thu")
    expect(collected).to_contain_text("94.000 ₫")
    expect(collected).to_contain_text("55.000 ₫")
    expect(collected).to_contain_text("Tiền mặt")
    fits(phone)
    save_screenshot(phone, "issue15-item1-dossier-collected")

    # the post's receipt (consignment slip) names the amounts, how they were taken and by whom
    slip = phone.context.request.get(live_server + phone.locator("#consignment").get_attribute("href"))
    assert slip.ok and slip.headers["content-type"].startswith("application/pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(slip.body())).pages)
    assert "94.000" in text and "55.000" in text and "người thu Trần Thị Bưu" in text, text

    # the cash book: the shift the intake opened holds both amounts
    phone.locator("nav.tabbar a", has_text="Sổ thu tiền").click()
    book = phone.locator("main section.card").first
    expect(book.locator(".cash-lines li")).to_have_count(2)
    expect(book.locator("dt:has-text('Tổng phải nộp') + dd")).to_have_text("149.000 ₫")
    fits(phone)
    save_screenshot(phone, "issue15-item1-cash-book")
    rows = fresh_session().scalars(select(CollectedAmount)).all()
    assert len(rows) == 2 and all(row.shift_id is not None for row in rows)


# --- item 10: no transfer to the department before the paper dossier is signed for; history in time order ------

@pytest.mark.timeout(120)
def test_item10_the_officer_cannot_transfer_before_signing_for_the_paper__dieu_12_1_d(session, live_server, phone):
    """Điều 12.1.d: the one-stop office receives the paper dossier from the post before it moves on."""
    agency = factories.agency(session)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    dossier = factories.postal_dossier(session, procedure=factories.procedure(session, agency))
    session.commit()
    status = dossier.status

    log_in_on_page(phone, live_server, officer)
    phone.goto(f"{live_server}/workbench/{dossier.ref}")
    phone.click("button:has-text('Chuyển phòng chuyên môn')")
    expect(phone.locator("main")).to_contain_text("Chưa ký nhận hồ sơ giấy từ bưu chính")
    fits(phone)
    save_screenshot(phone, "issue15-item10-transfer-refused")
    assert fresh_session().get(Dossier, dossier.id).status == status

    # signed for, the transfer goes through and the history lists the steps in time order
    phone.goto(f"{live_server}/workbench/receive")
    phone.fill("#code", dossier.code)
    phone.click("main button[type=submit]")
    phone.check("input[name=paper_matches][value=yes]")
    phone.click("text=Ký nhận hồ sơ giấy")
    phone.click("button:has-text('Chuyển phòng chuyên môn')")
    expect(phone.locator("main")).not_to_contain_text("Chưa ký nhận hồ sơ giấy từ bưu chính")
    assert fresh_session().get(Dossier, dossier.id).status != status
    steps = phone.locator("ol.timeline li .hint").all_inner_texts()
    times = [datetime.strptime(" ".join(re.search(r"(\d{2}:\d{2}) (\d{2}/\d{2}/\d{4})", step).groups()),
                               "%H:%M %d/%m/%Y") for step in steps]
    assert len(times) >= 2 and times == sorted(times), steps
    save_screenshot(phone, "issue15-item10-history-in-order")


# --- item 11: the agency admin's SLA page and statistics PDF; the operator's limits need confirmation -------------

@pytest.mark.timeout(120)
def test_item11_the_agency_admin_opens_the_sla_page_and_the_statistics_pdf__dieu_25_2(session, live_server, phone):
    """Điều 25.2 clocks of the agency's own dossiers; statistics export as PDF like reconciliation."""
    agency = factories.agency(session)
    admin = factories.user(session, Role.agency_admin, agency=agency)
    factories.postal_dossier(session, procedure=factories.procedure(session, agency))
    session.commit()

    log_in_on_page(phone, live_server, admin)
    phone.locator("nav.menu a", has_text="Theo dõi toàn trình").click()
    expect(phone.locator("h1")).to_be_visible()
    assert "/tracking/manager" in phone.url
    expect(phone.locator("main")).not_to_contain_text("Không được phép")
    fits(phone)
    save_screenshot(phone, "issue15-item11-sla-page-agency-admin")

    phone.locator("nav.menu a", has_text="Thống kê").click()
    pdf_link = phone.locator("a[href*='.pdf'], a[href*='pdf']").first
    expect(pdf_link).to_be_visible()
    answer = phone.context.request.get(live_server + pdf_link.get_attribute("href"))
    assert answer.ok and answer.headers["content-type"].startswith("application/pdf")
    assert answer.body().startswith(b"%PDF")
    save_screenshot(phone, "issue15-item11-statistics-pdf-link")


# --- item 13: lookup by ID number masks names until the one-time code; codes are rate limited ---------------

@pytest.mark.timeout(120)
def test_item13_lookup_by_id_number_masks_names_until_the_one_time_code(session, live_server, phone):
    """Nghị định 13/2023/NĐ-CP: a person's dealings with the state are shown by ID number only with the name
    masked, until the holder proves the number is theirs with a code sent to the phone on file."""
    ratelimit.reset_all()
    citizen = factories.user(session, Role.citizen, full_name="Nguyễn Văn Dân", id_number="001098765432",
                             phone="+84922222222")
    dossier = factories.postal_dossier(session, citizen=citizen)
    session.commit()

    phone.goto(f"{live_server}/lookup")
    phone.click("summary")
    phone.fill("#id_number", "001098765432")
    phone.click("main form button[type=submit]")
    expect(phone.locator("main")).to_contain_text("Nguyễn V. D.")
    expect(phone.locator("main")).not_to_contain_text("Nguyễn Văn Dân")
    expect(phone.locator("main")).to_contain_text(dossier.shipment_number)
    fits(phone)
    save_screenshot(phone, "issue15-item13-masked")

    phone.click("button:has-text('Gửi mã xác minh')")
    phone.fill("#otp", last_code(fresh_session(), user_id=citizen.id))
    phone.click("button:has-text('Xác minh')")
    expect(phone.locator("main")).to_contain_text("Nguyễn Văn Dân")
    save_screenshot(phone, "issue15-item13-proven")

    # asking codes again and again: a plain answer that says to wait, never a server error
    for _ in range(ratelimit.by_proof.capacity + 1):
        answer = phone.context.request.post(f"{live_server}/lookup", form={
            "id_number": "001098765432", "action": "send_proof",
            "csrf_token": phone.locator("input[name=csrf_token]").first.input_value()})
    assert answer.status == 429
    phone.set_content(answer.text())
    save_screenshot(phone, "issue15-item13-rate-limited")
    ratelimit.reset_all()

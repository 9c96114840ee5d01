"""Browser tests of issue 15's numbered items that no other area's browser test walked: each on a 360 px phone
in Chromium, through the page as its user would, with a screenshot `issue15-item<N>-<what>` kept in
test-artifacts/screenshots/. The table of every item and its tests is tests/app/test_issue15_items.py."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import db_session
from postal_gateway.dossiers.models import CollectedAmount, Dossier, DossierStatus, PaymentKind
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
    expect(phone.locator("main")).to_contain_text("quá nhiều lần")
    save_screenshot(phone, "issue15-item13-rate-limited")
    ratelimit.reset_all()


# --- item 3: the post's hand-over is not "returned"; the result file; short-lived audited scan links -------------

def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(40, 800, "Ket qua giai quyet")
    page.save()
    return buffer.getvalue()


@pytest.mark.timeout(180)
def test_item3_the_result_with_the_post_is_not_returned_until_delivered__dieu_25_2(session, live_server, browser):
    """Điều 25.2: the result handed to the post is its own state; "returned" comes from the delivery event."""
    from postal_gateway.consents.models import AuditEntry
    from postal_gateway.dossiers.models import DossierDocument
    from postal_gateway.workbench import scans

    agency = factories.agency(session)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    worker = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=worker, procedure=factories.procedure(session, agency, level=3),
                                       delivery_address="12 Lê Duẩn, Đồng Phú, Bình Phước")
    recipient = dossier.citizen.full_name
    picture = png_bytes((9, 9, 9))
    session.add(DossierDocument(dossier_id=dossier.id, title="Bản sao giấy phép", filename="giay-phep.png",
                                content_type="image/png", size_bytes=len(picture),
                                sha256=hashlib.sha256(picture).hexdigest(), content=picture))
    session.commit()

    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="vi-VN", service_workers="block")
    page = context.new_page()
    log_in_on_page(page, live_server, officer)
    page.goto(f"{live_server}/workbench/receive")
    page.fill("#code", dossier.code)
    page.click("main button[type=submit]")
    page.check("input[name=paper_matches][value=yes]")
    page.click("text=Ký nhận hồ sơ giấy")
    # the scans open by a short-lived link, and the view is audited
    link = page.locator("#scans a").first
    expect(link).to_have_attribute("href", re.compile(r"/documents/\d+\?t=."))  # a signed, short-lived link
    scan = context.request.get(live_server + link.get_attribute("href"))
    assert scan.ok and scan.body() == picture
    assert fresh_session().scalars(select(AuditEntry).where(AuditEntry.action == scans.VIEWED)).all()
    page.click("text=Chuyển phòng chuyên môn")
    page.click("text=Bắt đầu xử lý")
    page.set_input_files("#result_file", {"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": _pdf()})
    page.click("button:has-text('Báo có kết quả')")
    expect(page.locator("#scans")).to_contain_text("ket-qua.pdf")
    page.click("button:has-text('Giao kết quả cho bưu chính')")
    expect(page.locator("main")).to_contain_text("hồ sơ hoàn thành khi bưu chính phát kết quả")
    fits(page)
    save_screenshot(page, "issue15-item3-handed-to-post")
    assert fresh_session().get(Dossier, dossier.id).status == DossierStatus.result_with_post

    citizen_view = context.new_page()
    citizen_view.goto(f"{live_server}/lookup?code={dossier.code}")
    badge = citizen_view.locator(".lookup-result .lookup-head")
    expect(badge).to_contain_text("Đã giao kết quả cho bưu chính")
    expect(badge).not_to_contain_text("Đã trả kết quả")
    save_screenshot(citizen_view, "issue15-item3-lookup-with-post")
    context.close()

    # the postal worker takes the result and delivers it: only then is the dossier returned
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="vi-VN", service_workers="block")
    page = context.new_page()
    log_in_on_page(page, live_server, worker)
    page.goto(f"{live_server}/tracking/handheld?code={dossier.code}")
    for event in ("result_handed_to_post", "delivered"):
        page.wait_for_function(
            "want => [...document.querySelectorAll('#type option')].some(o => o.value === want)", arg=event)
        page.select_option("#type", event)
        if event == "delivered":
            page.fill("#recipient_name", recipient)
            page.check("#id_checked")
        page.click("#track button[type=submit]")
        expect(page.locator("#pending")).to_have_text("0", timeout=30000)
    page.goto(f"{live_server}/lookup?code={dossier.code}")
    expect(page.locator(".lookup-result .lookup-head")).to_contain_text("Đã trả kết quả")
    save_screenshot(page, "issue15-item3-lookup-returned")
    assert fresh_session().get(Dossier, dossier.id).status == DossierStatus.returned
    context.close()


# --- item 5: every code input takes the code, the lookup address or the shipment number -------------------------

@pytest.mark.timeout(120)
def test_item5_code_inputs_take_the_lookup_address_and_the_shipment_number(session, live_server, phone):
    agency = factories.agency(session)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    worker = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=worker, procedure=factories.procedure(session, agency))
    session.commit()

    # the officer's receive screen: the slip's QR code holds the lookup address, typed (or scanned) as is
    log_in_on_page(phone, live_server, officer)
    phone.goto(f"{live_server}/workbench/receive")
    phone.fill("#code", f"HTTP://127.0.0.1:8000/lookup?code={dossier.code}")
    phone.click("main button[type=submit]")
    phone.wait_for_url(f"**/workbench/{dossier.ref}/receive")
    expect(phone.locator("main")).not_to_contain_text("Không tìm thấy")
    save_screenshot(phone, "issue15-item5-receive-by-lookup-address")
    phone.locator("footer button", has_text="Đăng xuất").click()

    # the handheld: the shipment number on the parcel
    log_in_on_page(phone, live_server, worker)
    phone.goto(f"{live_server}/tracking/handheld")
    phone.fill("#code", dossier.shipment_number)
    expect(phone.locator("#progress")).to_contain_text(dossier.code)
    save_screenshot(phone, "issue15-item5-handheld-by-shipment-number")


# --- item 6: "Chia sẻ" only where the phone can share, and it shares the public lookup ---------------------------

RECORD_SHARE = """
  window.__shared = [];
  navigator.share = function (data) { window.__shared.push(data); return Promise.resolve(); };
  navigator.canShare = function () { return true; };
"""
NO_SHARE = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;"


@pytest.mark.timeout(120)
def test_item6_share_shows_only_where_the_phone_can_share_and_sends_the_public_lookup(session, live_server, browser):
    worker = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=worker)
    session.commit()
    for script, name in ((NO_SHARE, "no-share"), (RECORD_SHARE, "share")):
        context = browser.new_context(viewport={"width": 360, "height": 780}, locale="vi-VN")
        context.add_init_script(script)
        page = context.new_page()
        log_in_on_page(page, live_server, worker)
        page.goto(f"{live_server}/dossiers/{dossier.ref}")
        page.wait_for_load_state("load")
        if name == "no-share":
            expect(page.locator("#share")).to_be_hidden()
        else:
            expect(page.locator("#share")).to_be_visible()
            page.click("#share")
            page.wait_for_function("() => window.__shared.length === 1")
            shared = page.evaluate("window.__shared[0].url")
            assert re.search(r"/lookup\?code=", shared) and dossier.ref in shared, shared
        save_screenshot(page, f"issue15-item6-{name}")
        context.close()


# --- item 11: lowering a national limit lists the contracts it breaks and asks for confirmation -----------------

@pytest.mark.timeout(120)
def test_item11_lowering_a_national_limit_asks_for_confirmation_listing_the_contracts__dieu_22_5(
        session, live_server, phone):
    """Điều 22.5: a contract may not agree more than the national ceiling."""
    from contracts.limits import national_limits
    from contracts.models import Leg, Zone

    factories.contract(session, factories.agency(session, name="Sở Tư pháp"), number="HĐ-HIỆN-HÀNH")
    operator = factories.user(session, Role.operator)
    session.commit()
    before = national_limits(fresh_session())[(Leg.return_, Zone.other_province)].max_hours

    log_in_on_page(phone, live_server, operator)
    phone.goto(f"{live_server}/contracts/limits")
    phone.select_option("#leg", "return")
    phone.select_option("#zone", "other_province")
    phone.fill("#max_hours", "72")
    phone.fill("#legal_source", "Thông tư 14/2018/TT-BTTTT")
    phone.click("form.card button[type=submit]")
    pending = phone.locator("section[role=alert]")
    expect(pending).to_contain_text("Xác nhận hạ giới hạn")
    expect(pending).to_contain_text("HĐ-HIỆN-HÀNH")
    fits(phone)
    save_screenshot(phone, "issue15-item11-limit-confirmation")
    assert national_limits(fresh_session())[(Leg.return_, Zone.other_province)].max_hours == before
    pending.locator("button[type=submit]").click()
    expect(phone.locator("section[role=alert]")).to_have_count(0)
    assert national_limits(fresh_session())[(Leg.return_, Zone.other_province)].max_hours == 72


# --- item 12: favicon, disabled buttons, money and words in the chosen language ---------------------------------

@pytest.mark.timeout(120)
def test_item12_favicon_disabled_buttons_and_the_english_page(session, live_server, phone):
    worker = factories.user(session, Role.postal_staff)
    citizen = factories.user(session, Role.citizen)
    dossier = factories.postal_dossier(session, staff=worker, citizen=citizen, status=DossierStatus.rejected)
    factories.amount_collected(session, dossier, PaymentKind.fee, 1_234_000)
    session.commit()

    log_in_on_page(phone, live_server, citizen)
    phone.goto(f"{live_server}/dossiers/{dossier.ref}")
    icon = phone.locator("link[rel=icon]").get_attribute("href")
    assert phone.context.request.get(live_server + icon).ok
    assert phone.context.request.get(f"{live_server}/favicon.ico").ok
    # a disabled button does not look like one that works
    looks = phone.evaluate("""() => {
        const on = document.createElement('button'), off = document.createElement('button');
        off.disabled = true; document.querySelector('main').append(on, off);
        const a = getComputedStyle(on), b = getComputedStyle(off);
        const seen = [a.backgroundColor !== b.backgroundColor, b.cursor];
        on.remove(); off.remove(); return seen; }""")
    assert looks == [True, "not-allowed"], looks
    expect(phone.locator("main")).to_contain_text("1.234.000 ₫")
    expect(phone.locator("main")).to_contain_text("Từ chối giải quyết")

    phone.click("nav.lang a")  # English
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    main = phone.locator("main")
    expect(main).to_contain_text("1,234,000 ₫")
    expect(main).to_contain_text("Declined by the agency")
    expect(main).not_to_contain_text("Từ chối giải quyết")
    expect(main).not_to_contain_text("Rejected")
    fits(phone)
    save_screenshot(phone, "issue15-item12-english-money-and-status")

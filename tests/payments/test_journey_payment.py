"""The demo citizen pays a level-4 dossier's lệ phí on a 360 px phone through the local VNPay sandbox,
and the agency admin reconciles and signs off the day: the issue's "done when", from the demo data.

The sandbox reaches the IPN the way VNPay does: the live server is told (PAYMENTS_SANDBOX_IPN_URL) to
call GET /payments/vnpay/ipn over HTTP, so the payment is settled by the very view VNPay calls.
IPNs held back ("reordered") are delivered by the beat task's own function, as the worker runs it.
"""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from contracts.demo import load_demo_contracts
from payments import services as payments
from payments.demo import DEMO_KEY, load_demo_payments
from payments.models import DayStatus, Payment, PaymentStatus, ReconciliationDay
from payments.tasks import sandbox_deliver_task
from payments.vnpay import GMT7
from postal_gateway.accounts.demo import DEMO_PASSWORD, load_demo_users
from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.core.db import db_session
from postal_gateway.dossiers.models import (
    Channel,
    Dossier,
    DossierStatus,
    PaymentKind,
)
from postal_gateway.workbench.demo import load_demo_workbench
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import save_screenshot
from tracking.demo import load_demo_tracking

CITIZEN_ID_NUMBER = "070085001234"
ADMIN_EMAIL = "lanhdao@demo.stttt.gov.vn"


def load_demo(session) -> None:
    """What `flask load-demo` loads, in its order, then the payments loader."""
    load_demo_catalogue(session)
    load_demo_users(session)
    session.commit()
    for load in (load_demo_contracts, load_demo_tracking, load_demo_workbench, load_demo_payments):
        load(session)
        session.commit()


def demo_dossier(session) -> Dossier:
    citizen = session.scalar(select(User).where(User.id_number == CITIZEN_ID_NUMBER))
    return session.scalar(select(Dossier).where(Dossier.submitted_by_id == citizen.id, Dossier.submission_key == DEMO_KEY))


def fresh(model, row_id):
    db_session.remove()  # the live server committed in its own sessions
    return db_session.get(model, row_id)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture()
def served(app, live_server, monkeypatch):
    """The live server as the public address (VNPay sends the browser back there) and as the IPN URL."""
    monkeypatch.setattr(app.config["SETTINGS"], "public_base_url", live_server)
    monkeypatch.setenv("PAYMENTS_SANDBOX_IPN_URL", f"{live_server}/payments/vnpay/ipn")
    return live_server


def log_in(page, base: str, identifier: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def pay_in_sandbox(page, base: str, code: str, *, outcome: str, fault: str = "", shots: str = "") -> None:
    """From the dossier page through the pay page and the sandbox, back to the return page."""
    page.goto(f"{base}/dossiers/{code}")
    if shots:
        save_screenshot(page, f"{shots}-2-dossier")
        assert no_sideways_scroll(page)
        assert_accessible(page)
    page.click("#pay-fee")
    page.wait_for_url(re.compile(rf".*/payments/dossiers/{re.escape(code)}$"))
    if shots:
        save_screenshot(page, f"{shots}-3-pay")
        assert no_sideways_scroll(page)
        assert_accessible(page)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/payments/sandbox/paymentv2/vpcpay\.html\?.*"))
    if shots:
        save_screenshot(page, f"{shots}-4-sandbox")
        assert no_sideways_scroll(page)
        assert_accessible(page)
    page.check(f"input[name=outcome][value='{outcome}']")
    page.select_option("#fault", fault)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/payments/vnpay/return\?.*"))


# --- the demo data --------------------------------------------------------------------------------


def test_demo_loads_one_online_level_4_dossier_with_its_fee_unpaid(session):
    load_demo(session)
    again = load_demo_payments(session)
    session.commit()
    dossier = demo_dossier(session)
    assert again == load_demo_payments(session) and dossier.code in again[0]
    assert len(session.scalars(select(Dossier).where(Dossier.submission_key == DEMO_KEY)).all()) == 1
    assert (dossier.channel, dossier.level, dossier.status) == (Channel.online, 4, DossierStatus.received)
    assert dossier.fee_vnd == dossier.procedure.fee_vnd > 0 and dossier.citizen.id_number == CITIZEN_ID_NUMBER
    # submitted online, then accepted by the agency (Điều 12.1.d): two steps since the receipt moved to the agency
    assert [step.to_status for step in dossier.history] == [DossierStatus.submitted, DossierStatus.received]
    balance = payments.fee_balance(session, dossier)
    assert balance.due_vnd == dossier.fee_vnd and payments.completion_blocked(session, dossier)


def test_loader_waits_for_the_citizen_and_agency(session):
    assert load_demo_payments(session) == ["payments: demo citizen or agency missing; load them first"]
    assert session.scalar(select(Dossier.id)) is None


# --- the dossier pages ----------------------------------------------------------------------------


def test_only_the_owner_sees_the_pay_button_and_only_while_the_fee_is_due(client, session):
    load_demo(session)
    dossier = demo_dossier(session)
    citizen, code, fee = dossier.citizen, dossier.code, dossier.fee_vnd
    client.post("/login", data={"identifier": CITIZEN_ID_NUMBER, "password": DEMO_PASSWORD})
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert f'href="/payments/dossiers/{code}"' in page and "Chưa nộp lệ phí" in page
    listing = client.get("/dossiers").get_data(as_text=True)
    assert "Chưa nộp lệ phí" in listing
    client.post("/logout")

    client.post("/login", data={"identifier": ADMIN_EMAIL, "password": DEMO_PASSWORD})
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Chưa nộp lệ phí" in page and "/payments/dossiers/" not in page  # staff see the state, not the button
    client.post("/logout")

    # paid at the counter in cash: no button any more, and the page says so
    factories.amount_collected(session, dossier, PaymentKind.fee, fee)
    session.commit()
    client.post("/login", data={"identifier": citizen.id_number, "password": DEMO_PASSWORD})
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Đã nộp lệ phí" in page and f'href="/payments/dossiers/{code}"' not in page
    assert "Chưa nộp lệ phí" not in client.get("/dossiers").get_data(as_text=True)


def test_no_pay_button_for_a_closed_or_level_3_dossier(client, session):
    citizen = factories.user(session, Role.citizen)
    agency = factories.agency(session)
    level3 = factories.postal_dossier(session, citizen=citizen, procedure=factories.procedure(session, agency, level=3, fee_vnd=50_000))
    rejected = factories.postal_dossier(session, citizen=citizen, procedure=factories.procedure(session, agency, level=4, fee_vnd=50_000),
                                        status=DossierStatus.rejected)
    session.commit()
    client.post("/login", data={"identifier": citizen.email, "password": factories.DEFAULT_PASSWORD})
    for dossier in (level3, rejected):
        page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
        assert "/payments/dossiers/" not in page and "Chưa nộp lệ phí" not in page


# --- on the phone -----------------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_demo_citizen_pays_the_fee_on_a_phone(session, served, phone):
    load_demo(session)
    dossier = demo_dossier(session)
    dossier_id, code = dossier.id, dossier.code
    log_in(phone, served, CITIZEN_ID_NUMBER)
    phone.goto(f"{served}/dossiers")
    assert "Chưa nộp lệ phí" in phone.inner_text("main")
    save_screenshot(phone, "payment-1-list")
    assert no_sideways_scroll(phone)
    assert_accessible(phone)

    pay_in_sandbox(phone, served, code, outcome="00", shots="payment")
    save_screenshot(phone, "payment-5-return")
    assert no_sideways_scroll(phone)
    assert_accessible(phone)
    assert "Đã thanh toán" in phone.inner_text("main")

    # The IPN came over HTTP to /payments/vnpay/ipn before the browser returned; it alone settled it.
    dossier = fresh(Dossier, dossier_id)
    payment = db_session.scalar(select(Payment).where(Payment.dossier_id == dossier_id))
    assert (payment.status, payment.settled_via, payment.fee_vnd) == (PaymentStatus.paid, "ipn", dossier.fee_vnd)
    assert payments.fee_balance(db_session, dossier).settled and not payments.completion_blocked(db_session, dossier)

    phone.click("text=Xem hồ sơ")
    phone.wait_for_url(re.compile(rf".*/dossiers/{re.escape(code)}$"))
    main = phone.inner_text("main")
    assert "Đã nộp lệ phí" in main and "Trực tuyến (VNPay)" in main and phone.locator("#pay-fee").count() == 0
    save_screenshot(phone, "payment-6-dossier-paid")
    assert no_sideways_scroll(phone)
    assert_accessible(phone)
    phone.goto(f"{served}/payments/dossiers/{code}")
    assert "Đã thanh toán đủ" in phone.inner_text("main") and phone.locator("main form").count() == 0
    save_screenshot(phone, "payment-7-pay-page-after")
    assert no_sideways_scroll(phone)
    assert_accessible(phone)


@pytest.mark.timeout(180)
def test_a_cancelled_payment_leaves_the_fee_unpaid_and_payable(session, served, phone):
    load_demo(session)
    dossier = demo_dossier(session)
    dossier_id, code = dossier.id, dossier.code
    log_in(phone, served, CITIZEN_ID_NUMBER)
    pay_in_sandbox(phone, served, code, outcome="24")
    assert "Không thành công" in phone.inner_text("main")
    save_screenshot(phone, "payment-cancelled-return")
    assert_accessible(phone)
    payment = fresh(Payment, db_session.scalar(select(Payment.id).where(Payment.dossier_id == dossier_id)))
    assert (payment.status, payment.response_code, payment.settled_via) == (PaymentStatus.failed, "24", "ipn")
    assert payments.fee_balance(db_session, db_session.get(Dossier, dossier_id)).due_vnd == payment.fee_vnd
    phone.goto(f"{served}/dossiers/{code}")
    assert "Chưa nộp lệ phí" in phone.inner_text("main") and phone.locator("#pay-fee").count() == 1


@pytest.mark.timeout(180)
def test_an_ipn_held_back_is_delivered_by_the_beat_task(session, served, phone):
    load_demo(session)
    dossier = demo_dossier(session)
    dossier_id, code = dossier.id, dossier.code
    log_in(phone, served, CITIZEN_ID_NUMBER)
    pay_in_sandbox(phone, served, code, outcome="00", fault="reordered")
    assert "Đang chờ xác nhận" in phone.inner_text("main")
    save_screenshot(phone, "payment-waiting-return")
    assert_accessible(phone)
    assert fresh(Payment, db_session.scalar(select(Payment.id).where(Payment.dossier_id == dossier_id))).status == PaymentStatus.pending
    assert sandbox_deliver_task.apply().get() == 1  # what the worker runs every 30 s
    payment = fresh(Payment, db_session.scalar(select(Payment.id).where(Payment.dossier_id == dossier_id)))
    assert (payment.status, payment.settled_via) == (PaymentStatus.paid, "ipn")
    phone.goto(f"{served}/dossiers/{code}")
    assert "Đã nộp lệ phí" in phone.inner_text("main")


@pytest.mark.timeout(240)
def test_agency_admin_reconciles_and_signs_off_the_day_on_a_phone(session, served, phone, browser):
    load_demo(session)
    dossier = demo_dossier(session)
    code = dossier.code
    # A second level-4 dossier of the same citizen whose IPN is lost: paid at VNPay, pending here.
    other = factories.postal_dossier(session, citizen=dossier.citizen, procedure=dossier.procedure, postage_vnd=0,
                                     code=f"{dossier.agency.code}-{dossier.received_at.astimezone(GMT7):%y%m%d}-9001")
    other_code = other.code
    session.commit()
    log_in(phone, served, CITIZEN_ID_NUMBER)
    pay_in_sandbox(phone, served, code, outcome="00")
    pay_in_sandbox(phone, served, other_code, outcome="00", fault="lost")
    assert "Đang chờ xác nhận" in phone.inner_text("main")

    admin = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=1, locale="vi-VN").new_page()
    try:
        log_in(admin, served, ADMIN_EMAIL)
        admin.goto(f"{served}/payments/reconciliation")
        save_screenshot(admin, "reconciliation-1-index")
        assert no_sideways_scroll(admin)
        assert_accessible(admin)
        admin.click("main form button[type=submit]")  # today is the default day
        today = datetime.now(GMT7).date().isoformat()
        admin.wait_for_url(re.compile(rf".*/payments/reconciliation/{today}$"))
        admin.click("text=Lấy tệp từ cổng thử nghiệm và đối soát")
        admin.wait_for_url(re.compile(rf".*/payments/reconciliation/{today}$"))
        main = admin.inner_text("main")
        assert "Thiếu ở hệ thống" in main and other_code in main
        assert admin.locator("button:has-text('Ký xác nhận ngày đối soát')").is_disabled()
        save_screenshot(admin, "reconciliation-2-day")
        assert no_sideways_scroll(admin)
        assert_accessible(admin)

        item = admin.locator("li", has_text=other_code)
        item.locator("textarea").fill("IPN bị mất; VNPay đã trừ tiền, hệ thống sẽ truy vấn querydr để ghi nhận.")
        item.locator("button:has-text('Lưu nhận xét')").click()
        admin.wait_for_load_state()
        assert "(0 chưa có nhận xét)" in admin.inner_text("main")
        admin.click("button:has-text('Ký xác nhận ngày đối soát')")
        admin.wait_for_url(re.compile(rf".*/payments/reconciliation/{today}$"))
        assert "Đã ký xác nhận" in admin.inner_text("main")
        save_screenshot(admin, "reconciliation-3-signed-off")
        assert no_sideways_scroll(admin)
        assert_accessible(admin)

        # The refunds page with a refund made (the service was not performed, R-13).
        admin.goto(f"{served}/payments/dossiers/{code}/refunds")
        admin.fill("#amount_vnd", "20000")
        admin.fill("#reason", "Cơ quan không thực hiện được một phần dịch vụ; hoàn lại phần lệ phí tương ứng.")
        admin.click("main form button[type=submit]")
        admin.wait_for_url(re.compile(rf".*/payments/dossiers/{re.escape(code)}/refunds$"))
        assert "Đã hoàn xong" in admin.inner_text("main")
        save_screenshot(admin, "payment-refunds")
        assert no_sideways_scroll(admin)
        assert_accessible(admin)
    finally:
        admin.context.close()

    db_session.remove()
    agency_id = db_session.scalar(select(User.agency_id).where(User.email == ADMIN_EMAIL))
    record = db_session.scalar(select(ReconciliationDay).where(ReconciliationDay.agency_id == agency_id))
    assert record.status == DayStatus.signed_off and record.totals["matched"]["count"] == 1
    assert record.totals["missing_here"]["count"] == 1

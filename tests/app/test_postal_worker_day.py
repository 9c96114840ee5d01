"""A postal worker's whole day on a 360 px phone, by taps alone, on the data `make run` loads (issue 15, done-when):
open the shift, take a dossier in at the counter (cash) and one at the citizen's door, open the day's run sheet,
record a pickup and a delivery on the handheld (the delivery with no signal, sent when the signal is back), close
the shift and hand the cash to the office manager; the cash book, the remittance and what was collected agree.

Only the first address is typed (the app's own); every other page is reached by tapping a link or a button. Text
is typed where a person types it (the citizen's ID number, the code the citizen reads out, addresses, amounts).
Documents are photographed with the camera page by page: one page each at the counter, two at the door; each
document reaches the dossier as one PDF of its pages.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select
from unidecode import unidecode

from contracts.models import CashShift, Leg, Remittance, ShiftStatus
from postal_gateway.accounts.demo import DEMO_PASSWORD
from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import Agency, Procedure
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.formatting import to_local
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, Dossier, DossierStatus
from tests.codes import last_code
from tests.conftest import log_in_on_page, save_screenshot
from tests.dossiers.test_intake_phone import png_bytes
from tracking.models import LegState, ShipmentLeg

WORKER = "buudien1@demo.buudien.vn"
MANAGER = "buudien.truong@demo.buudien.vn"
CITIZEN_ID_NUMBER = "070085001234"


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def tap_task(page, label: str) -> None:
    """A daily task of the bottom bar, or an entry of its "more" menu."""
    bar = page.locator("nav.tabbar")
    link = bar.locator("> a", has_text=label)
    if link.count():
        link.first.click()
        return
    bar.locator("summary").click()
    bar.locator(".tabbar-more-menu a", has_text=label).first.click()


def fresh_session():
    db_session.remove()  # the live server committed in its own sessions
    return db_session()


def stop(page, ref: str):
    return page.locator(f"#stops > li[data-ref='{ref}']")


def cash_rows(*shipment_numbers: str, session=None):
    """The cash and thu hộ rows of these dossiers, each a line of one shift's book."""
    session = session or fresh_session()
    return session.scalars(select(CollectedAmount).join(Dossier).where(
        Dossier.shipment_number.in_(shipment_numbers),
        CollectedAmount.method.in_((CollectionMethod.cash, CollectionMethod.collection_on_behalf))))


def money(text: str) -> int:
    return int(re.sub(r"\D", "", text) or 0)


def to_the_citizen(page) -> None:
    """From anywhere: the intake's citizen search, the demo citizen, and on to their consent or intake."""
    tap_task(page, "Nhận hồ sơ")
    page.locator("a.button", has_text="Tìm công dân").click()
    page.fill("#q", CITIZEN_ID_NUMBER)
    page.click("form[role=search] button[type=submit]")
    page.locator("main ul a").first.click()
    page.wait_for_url(re.compile(r".*/citizens/\d+$"))
    page.locator("a.button", has_text="Tiếp tục").click()


def take_in(page, procedure: Procedure, *, at_the_door: bool, photo_colour) -> str:
    """One intake from the procedure step to the slip, fee and postage in cash; returns the shipment number.
    The procedure is found by its name typed without accents, as a phone keyboard often gives it."""
    page.wait_for_url(re.compile(r".*/intake.*"))
    page.fill("#q", unidecode(procedure.name))
    page.click("main form.card button[type=submit]")
    page.locator("#procedures li", has=page.locator(f"input[name=procedure_code][value='{procedure.code}']")) \
        .locator("button:has-text('Chọn thủ tục này')").click()
    page.wait_for_url(re.compile(r".*/checklist$"))
    for box in page.locator("input[name=item]").all():
        box.check()
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/scans$"))
    # with the camera, page by page: one page each at the counter, two pages each at the door
    cameras = page.locator("input[type=file][capture=environment]").all()
    pages_each = 2 if at_the_door else 1
    for camera in cameras:
        for number in range(pages_each):
            camera.set_input_files({"name": f"trang-{number + 1}.png", "mimeType": "image/png",
                                    "buffer": png_bytes(photo_colour)})
    page.wait_for_function(
        f"() => document.querySelectorAll('.page-row').length === {len(cameras) * pages_each}"
        " && document.querySelectorAll('.upload-row progress').length === 0", timeout=60000)
    fits(page)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/collection$"))
    if at_the_door:
        page.check("input[value=citizen_address]")
        page.fill("#pickup_address", "Số 12 đường Phú Riềng Đỏ, phường Tân Phú, Đồng Xoài, Bình Phước")
    page.select_option("#fee_method", "cash")
    page.select_option("#postage_method", "cash")
    fits(page)
    page.click("main button[type=submit]:not([value=quote])")
    page.wait_for_url(re.compile(r".*/review$"))
    fits(page)
    page.click("#submit-button")
    page.wait_for_url(re.compile(r".*/dossiers/RA\d{9}VN$"))
    fits(page)
    return page.url.rsplit("/", 1)[1]


@pytest.mark.timeout(420)
def test_a_postal_workers_whole_day_by_touch_on_the_demo_data(app, live_server, phone):
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    session = fresh_session()
    worker = session.scalar(select(User).where(User.email == WORKER))
    citizen = session.scalar(select(User).where(User.id_number == CITIZEN_ID_NUMBER))
    # a procedure with a fee, so the fee goes into the cash book too
    procedure = session.scalars(select(Procedure).where(
        Procedure.agency.has(Agency.code == "000.00.20.H10"), Procedure.postal_eligible.is_(True),
        Procedure.fee_vnd > 0).order_by(Procedure.code)).first()
    # the door pickup is only submitted: named by its shipment number until the agency accepts it (Điều 14.4)
    pickup_code = next(line for line in result.output.splitlines() if "waits for pickup" in line).split()[3]
    delivery_code = next(line for line in result.output.splitlines() if "is with the post" in line).split()[6]

    log_in_on_page(phone, live_server, WORKER, DEMO_PASSWORD)
    phone.wait_for_url(re.compile(r".*/$|.*/intake.*|.*/dossiers.*"))
    fits(phone)

    # 1. open the shift
    tap_task(phone, "Sổ thu tiền")
    phone.click("button:has-text('Mở ca')")
    expect(phone.locator("button:has-text('Đóng ca')")).to_be_visible()
    save_screenshot(phone, "issue15-day-1-shift-open")

    # 2. the citizen at the counter: consent for the day, confirmed with the code the citizen reads out
    to_the_citizen(phone)
    phone.wait_for_url(re.compile(r".*/consent$"))
    phone.check("input[name=scope][value=period]")
    phone.fill("#valid_until", (to_local(utcnow()) + timedelta(days=1)).date().isoformat())
    phone.click("button[name=method][value=code]")
    phone.wait_for_url(re.compile(r".*/consents/\d+/confirm$"))
    phone.fill("#code", last_code(fresh_session(), user_id=citizen.id))
    phone.click("button[name=action][value=confirm]")
    save_screenshot(phone, "issue15-day-2-consent")
    at_counter = take_in(phone, procedure, at_the_door=False, photo_colour=(200, 30, 30))
    save_screenshot(phone, "issue15-day-3-counter-intake")

    # 3. later, at the citizen's door: the consent of the day still holds
    to_the_citizen(phone)
    phone.locator("a.button", has_text="Tiếp tục làm hồ sơ").click()
    at_door = take_in(phone, procedure, at_the_door=True, photo_colour=(30, 30, 200))
    save_screenshot(phone, "issue15-day-4-door-intake")

    # what the two intakes took in cash, as the database holds it
    session = fresh_session()
    taken = {}
    for number in (at_counter, at_door):
        dossier = session.scalar(select(Dossier).where(Dossier.shipment_number == number))
        taken[number] = sum(row.amount_vnd for row in dossier.collected if row.method == CollectionMethod.cash)
        assert taken[number] > 0, number
        pages = {len(PdfReader(io.BytesIO(document.content)).pages) for document in dossier.documents}
        assert dossier.documents and pages == ({2} if number == at_door else {1}), (number, pages)

    # 4. the run sheet: the demo's door pickup and the result to deliver today
    tap_task(phone, "Lộ trình hôm nay")
    stops = phone.locator("#stops > li")
    expect(stops).to_have_count(2)
    assert sorted(stops.nth(i).get_attribute("data-ref") for i in range(2)) == sorted([pickup_code, delivery_code])
    assert stops.locator("a[href^='geo:']").count() == 2 and stops.locator("a[href^='tel:']").count() == 2
    fits(phone)
    save_screenshot(phone, "issue15-day-5-run-sheet")

    # 5. the pickup at the citizen's door, on the handheld: only what may happen next is offered
    stop(phone, pickup_code).locator("a", has_text="Ghi sự kiện").click()
    expect(phone.locator("#progress")).to_contain_text("Chờ xử lý")
    assert "delivered" not in phone.eval_on_selector_all("#type option", "options => options.map(o => o.value)")
    phone.select_option("#type", "picked_up")
    phone.click("#track button[type=submit]")
    expect(phone.locator("#pending")).to_have_text("0", timeout=30000)
    expect(phone.locator("#results li").first).to_contain_text("Đã ghi")
    # the handheld keeps its page for the road: its service worker takes over
    phone.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
                            timeout=60000)  # the shell is fetched on install: slow on a busy machine
    save_screenshot(phone, "issue15-day-6-pickup")

    # 6. the delivery: out for delivery with signal, then the hand-over where there is none
    tap_task(phone, "Lộ trình hôm nay")
    expect(stops).to_have_count(1)  # the pickup is done: its stop is gone
    stop(phone, delivery_code).locator("a", has_text="Ghi sự kiện").click()
    expect(phone.locator("#progress")).to_contain_text("Bưu điện đã nhận kết quả")
    phone.select_option("#type", "out_for_delivery")
    phone.click("#track button[type=submit]")
    expect(phone.locator("#pending")).to_have_text("0", timeout=30000)
    expect(phone.locator("#progress")).to_contain_text("Đang phát")
    tap_task(phone, "Lộ trình hôm nay")  # kept on the phone for the road
    expect(stops).to_have_count(1)
    phone.context.set_offline(True)
    stop(phone, delivery_code).locator("a", has_text="Ghi sự kiện").click()
    expect(phone.locator("#net")).to_have_class(re.compile("warn"))
    phone.select_option("#type", "delivered")
    phone.fill("#recipient_name", citizen.full_name)
    phone.check("#id_checked")
    phone.click("#track button[type=submit]")
    expect(phone.locator("#pending")).to_have_text("1")
    # the waiting line tells the time in Vietnam, whatever zone the phone (here the browser: UTC) is set to
    hours = {to_local(utcnow() - timedelta(minutes=back)).strftime("%H:%M") for back in (0, 1, 2)}
    waiting = phone.locator("#queue li").inner_text()
    assert any(hour in waiting for hour in hours), (waiting, hours)
    save_screenshot(phone, "issue15-day-7-delivered-offline")
    phone.context.set_offline(False)  # the signal is back: the queue goes by itself
    expect(phone.locator("#pending")).to_have_text("0", timeout=30000)
    expect(phone.locator("#results li").first).to_contain_text("Đã ghi")
    save_screenshot(phone, "issue15-day-8-synced")
    session = fresh_session()
    delivered = session.scalar(select(Dossier).where(Dossier.code == delivery_code))
    assert delivered.status == DossierStatus.returned  # returned by the delivery event (issue 15, item 3)
    picked_up = session.scalar(select(ShipmentLeg).join(Dossier).where(
        Dossier.shipment_number == pickup_code, ShipmentLeg.kind == Leg.forward))
    brought = session.scalar(select(ShipmentLeg).join(Dossier).where(
        Dossier.code == delivery_code, ShipmentLeg.kind == Leg.return_))
    assert (picked_up.state, brought.state) == (LegState.picked_up, LegState.delivered)

    # 7. the end of the shift: the cash book holds exactly what the two intakes took, then the shift closes
    tap_task(phone, "Sổ thu tiền")
    book = phone.locator("main section.card").first
    expect(book.locator(".cash-lines li")).to_have_count(sum(1 for _ in cash_rows(at_counter, at_door)))
    total = money(book.locator("dt:has-text('Tổng phải nộp') + dd").inner_text())
    assert total == sum(taken.values())
    assert money(book.locator("dt:has-text('Số hồ sơ') + dd").inner_text()) == 2
    assert money(book.locator("dt:has-text('Lệ phí') + dd").first.inner_text()) == 2 * procedure.fee_vnd
    save_screenshot(phone, "issue15-day-9-cash-book")
    phone.click("button:has-text('Đóng ca')")
    phone.locator("footer button", has_text="Đăng xuất").click()

    # 8. the office manager takes the cash: the remittance form starts from the book, and it adds up
    phone.locator("footer a", has_text="Đăng nhập").click()
    phone.fill("#identifier", MANAGER)
    phone.fill("#password", DEMO_PASSWORD)
    phone.click("main button[type=submit]")
    tap_task(phone, "Sổ thu tiền")
    phone.locator("a.button", has_text="Nhận tiền nộp").click()
    phone.locator("main li a", has_text=worker.full_name).click()
    assert money(phone.input_value("#handed_vnd")) == sum(taken.values())
    fits(phone)
    save_screenshot(phone, "issue15-day-10-remit")
    phone.click("main button[type=submit]")
    expect(phone.locator(".flash")).to_contain_text("Đã ghi nhận tiền nộp của ca.")
    save_screenshot(phone, "issue15-day-11-remitted")

    session = fresh_session()
    shifts = list(session.scalars(select(CashShift).where(CashShift.worker_id == worker.id)))
    assert len(shifts) == 1 and shifts[0].status == ShiftStatus.remitted
    remittance = session.scalar(select(Remittance).where(Remittance.shift_id == shifts[0].id))
    assert remittance.handed_vnd == remittance.expected_vnd == sum(taken.values())
    assert remittance.discrepancy_vnd == 0
    rows = list(cash_rows(at_counter, at_door, session=session))
    assert {row.shift_id for row in rows} == {shifts[0].id}  # every amount taken is a line of that shift's book
    assert sum(row.amount_vnd for row in rows) == sum(taken.values())

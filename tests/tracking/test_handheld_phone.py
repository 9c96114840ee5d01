"""The handheld page on a 360 px phone tells the worker what to do next (issue 15, items 5, 6 and 8): the leg's
state and only the events allowed from it, each result line naming its event, a resent event shown as already
recorded, a first visit enough for an offline reload, and QR reading offered only where it can work."""
from __future__ import annotations

import io

import pytest
import qrcode
from playwright.sync_api import expect

from postal_gateway.accounts.models import Role
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot
from tracking.models import LegState
from tracking.vocabulary import EVENTS, EventType, next_events

NO_SCANNER = """
  delete window.BarcodeDetector;
  Object.defineProperty(navigator, 'mediaDevices', {value: undefined, configurable: true});
"""


def _context(browser, **options):
    return browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=1, locale="vi-VN",
                               **options)


def _qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer, format="PNG")
    return buffer.getvalue()


def _offered(page) -> list[str]:
    return page.eval_on_selector_all("#type option", "options => options.map(o => o.value)")


@pytest.mark.timeout(180)
def test_only_allowed_events_are_offered_and_each_result_names_its_event_dieu_21_1(live_server, browser, worker):
    """Điều 21.1: before pickup only taking the dossier is offered; after it, what may follow, and the result line
    says which event was recorded."""
    staff, dossier = worker
    context = _context(browser, service_workers="block")
    page = context.new_page()
    log_in_on_page(page, live_server, staff)
    page.goto(f"{live_server}/tracking/handheld?code={dossier.code}")
    expect(page.locator("#progress")).to_contain_text("Bưu điện chưa nhận hồ sơ")
    assert _offered(page) == [event.value for event in next_events(None, None)]

    page.select_option("#type", "picked_up")
    page.click("#track button[type=submit]")
    expect(page.locator("#pending")).to_have_text("0", timeout=30000)
    expect(page.locator("#progress")).to_contain_text("Đã nhận từ công dân")
    line = page.locator("#results li").first
    expect(line).to_contain_text("Đã nhận hồ sơ từ công dân")
    expect(line).to_contain_text("Đã ghi")
    expect(line).to_have_class("ok")
    expected = [event.value for event in next_events(LegState.picked_up, None)]
    page.wait_for_function("want => [...document.querySelectorAll('#type option')].map(o => o.value).join() === want",
                           arg=",".join(expected))
    assert "picked_up" not in _offered(page) and "delivered" not in _offered(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    save_screenshot(page, "issue15-item8-next-events")
    assert_accessible(page)
    context.close()


@pytest.mark.timeout(180)
def test_an_event_resent_after_a_lost_answer_is_shown_as_already_recorded(live_server, browser, worker):
    """The server kept the event but the answer never reached the phone: the resend is a success, named."""
    staff, dossier = worker
    context = _context(browser, service_workers="block")
    page = context.new_page()
    log_in_on_page(page, live_server, staff)
    page.goto(f"{live_server}/tracking/handheld?code={dossier.code}")
    expect(page.locator("#progress")).to_contain_text("Bưu điện chưa nhận hồ sơ")

    def lose_the_answer(route):
        route.fetch()  # the server records it
        route.abort()

    page.route("**/tracking/sync", lose_the_answer)
    page.select_option("#type", "accepted_at_office")
    page.click("#track button[type=submit]")
    page.wait_for_timeout(1500)
    expect(page.locator("#pending")).to_have_text("1")
    page.unroute("**/tracking/sync")
    page.click("#sync")
    expect(page.locator("#pending")).to_have_text("0", timeout=30000)
    line = page.locator("#results li").first
    expect(line).to_contain_text("Đã ghi từ trước")
    expect(line).to_contain_text(EVENTS[EventType.accepted_at_office].label)
    expect(line).to_have_class("ok")
    expect(page.locator("#results li.field-error")).to_have_count(0)
    save_screenshot(page, "issue15-item8-already-recorded")
    assert_accessible(page)
    context.close()


@pytest.mark.timeout(180)
def test_offline_reload_works_after_the_first_visit(live_server, browser, worker):
    """The page that installs the service worker is not served through it: the shell is cached on install."""
    staff, dossier = worker
    context = _context(browser)
    page = context.new_page()
    log_in_on_page(page, live_server, staff)
    page.goto(f"{live_server}/tracking/handheld?code={dossier.code}")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.reload()
    expect(page.locator("#track")).to_be_visible()
    expect(page.locator("#net")).to_have_class("badge warn")
    expect(page.locator("#code")).to_have_value(dossier.code)
    page.select_option("#type", "picked_up")
    page.click("#track button[type=submit]")
    expect(page.locator("#pending")).to_have_text("1")
    save_screenshot(page, "issue15-item8-offline-first-visit")
    assert_accessible(page)
    context.close()


@pytest.mark.timeout(180)
def test_no_scan_button_where_nothing_can_read_a_code(live_server, browser, worker):
    """No BarcodeDetector, no camera and no decoder library: neither the scan nor the photo button shows."""
    staff, dossier = worker
    context = _context(browser, service_workers="block")
    context.add_init_script(NO_SCANNER)
    context.route("**/static/vendor/zxing-library/**", lambda route: route.abort())
    page = context.new_page()
    log_in_on_page(page, live_server, staff)
    page.goto(f"{live_server}/tracking/handheld")
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    expect(page.locator("[data-scan-live]")).to_have_count(1)
    expect(page.locator("[data-scan-photo]")).to_have_count(1)
    expect(page.locator("[data-scan-live]")).to_be_hidden()
    expect(page.locator("[data-scan-photo]")).to_be_hidden()
    save_screenshot(page, "issue15-item6-no-scan-button")
    assert_accessible(page)
    context.close()


@pytest.mark.timeout(180)
def test_a_photo_of_the_slips_qr_code_fills_the_code_without_a_camera(live_server, browser, worker):
    """No camera and no BarcodeDetector: the vendored decoder reads a photo of the code, and the lookup link it
    holds becomes the dossier code; the live scan stays hidden since it cannot work."""
    staff, dossier = worker
    context = _context(browser, service_workers="block")
    context.add_init_script(NO_SCANNER)
    page = context.new_page()
    log_in_on_page(page, live_server, staff)
    page.goto(f"{live_server}/tracking/handheld")
    expect(page.locator("[data-scan-photo]")).to_be_visible()
    expect(page.locator("[data-scan-live]")).to_be_hidden()
    page.set_input_files("[data-scan-file]", files=[{
        "name": "qr.png", "mimeType": "image/png", "buffer": _qr_png(f"{live_server}/lookup?code={dossier.code}")}])
    expect(page.locator("#code")).to_have_value(dossier.code)
    expect(page.locator("#progress")).to_contain_text("Bưu điện chưa nhận hồ sơ")
    save_screenshot(page, "issue15-item5-handheld-photo-of-qr")
    assert_accessible(page)
    context.close()


@pytest.mark.timeout(180)
def test_the_officers_receive_screen_reads_a_photo_of_the_qr_code(live_server, browser, session):
    """The officer's receive screen: a photo of the slip's QR code opens the dossier to sign for (Điều 14.4)."""
    agency = factories.agency(session)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    dossier = factories.postal_dossier(session, procedure=factories.procedure(session, agency))
    session.commit()
    context = _context(browser, service_workers="block")
    context.add_init_script(NO_SCANNER)
    page = context.new_page()
    log_in_on_page(page, live_server, officer)
    page.goto(f"{live_server}/workbench/receive")
    expect(page.locator("[data-scan-photo]")).to_be_visible()
    page.set_input_files("[data-scan-file]", files=[{
        "name": "qr.png", "mimeType": "image/png", "buffer": _qr_png(f"{live_server}/lookup?code={dossier.code}")}])
    # the decoder library is fetched and run in the page: slow on a busy machine
    page.wait_for_url(f"**/workbench/{dossier.ref}/receive", timeout=60000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    save_screenshot(page, "issue15-item5-receive-photo-of-qr")
    assert_accessible(page)
    context.close()

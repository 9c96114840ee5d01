"""The run sheet on a 360 px phone: it fits, each stop has its map and phone links, the page opens with no
signal, and a delivery recorded on the handheld takes the stop off the copy kept on the phone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import utcnow
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot
from tracking import ingestion, services

DONG_XOAI = (11.5349, 106.8886)


def result_out_for_delivery(session, staff, address: str, *, hours_since_result: int):
    """A postal dossier whose result the worker is carrying to ``address``."""
    now = utcnow()
    dossier = factories.postal_dossier(session, staff=staff, delivery_address=address,
                                       entered_at=now - timedelta(hours=60))
    officer = factories.user(session, Role.agency_staff, agency_id=dossier.agency_id)
    services.record_handover_to_agency(session, dossier=dossier, officer=officer, at=now - timedelta(hours=50))
    services.open_return_leg(session, dossier=dossier, result_available_at=now - timedelta(hours=hours_since_result))
    for number, kind in enumerate(("result_handed_to_post", "out_for_delivery")):
        at = (now - timedelta(minutes=30 - number)).isoformat()
        ingestion.record_events(session, actor=staff, now=now, dossier_code=dossier.code, events=[
            {"event_id": f"{dossier.shipment_number}-{number}", "type": kind, "occurred_at": at, "recorded_at": at,
             "post_office_code": staff.post_office.code}])
    return dossier


@pytest.mark.timeout(180)
def test_run_sheet_fits_a_phone_opens_offline_and_follows_the_handheld(session, live_server, phone):
    office = factories.post_office(session, latitude=DONG_XOAI[0], longitude=DONG_XOAI[1], province_code="70",
                                   district_code="689")
    staff = factories.user(session, Role.postal_staff, post_office=office)
    # both overdue (the 24-hour commitment of Điều 25.2 has passed), so both are on today's sheet at any hour
    first = result_out_for_delivery(session, staff, "Tổ 3, ấp Tân Hòa, Đồng Phú, Bình Phước", hours_since_result=27)
    second = result_out_for_delivery(session, staff, "Thôn 2, Đức Liễu, Bù Đăng, Bình Phước", hours_since_result=25)
    session.commit()

    log_in_on_page(phone, live_server, staff)
    phone.goto(f"{live_server}/tracking/run-sheet")
    stops = phone.locator("#stops > li")
    expect(stops).to_have_count(2)
    assert stops.nth(0).get_attribute("data-ref") == first.code  # the earlier promise first
    assert stops.nth(0).locator("a[href^='geo:']").count() == 1
    assert stops.nth(0).locator(f"a[href='tel:{first.citizen.phone}']").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    save_screenshot(phone, "tracking-run-sheet")
    assert_accessible(phone)

    # the service worker takes the page over, then keeps a copy of it
    phone.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15000)
    phone.reload()
    kept = ("ref => caches.open('tracking-run-sheet-v1').then(c => c.match('/tracking/run-sheet'))"
            ".then(r => r ? r.text() : '').then(t => t.includes(ref))")
    phone.wait_for_function(kept, arg=second.code, timeout=15000)

    # deliver the first result on the handheld; the kept copy is fetched again once the event is accepted
    stops.nth(0).locator("a[href*='/tracking/handheld']").click()
    phone.select_option("#type", "delivered")
    phone.fill("#recipient_name", first.citizen.full_name)
    phone.check("#id_checked")
    phone.click("#track button[type=submit]")
    expect(phone.locator("#pending")).to_have_text("0", timeout=30000)
    gone = ("ref => caches.open('tracking-run-sheet-v1').then(c => c.match('/tracking/run-sheet'))"
            ".then(r => r ? r.text() : '').then(t => t.length > 0 && !t.includes(ref))")
    phone.wait_for_function(gone, arg=first.code, timeout=15000)

    phone.context.set_offline(True)
    phone.goto(f"{live_server}/tracking/run-sheet")
    expect(phone.locator(f"#stops > li[data-ref='{first.code}']")).to_have_count(0)
    expect(phone.locator("#stops > li")).to_have_count(1)
    assert phone.locator("#stops > li").get_attribute("data-ref") == second.code
    expect(phone.locator("#sheet-net.warn")).to_contain_text("Mất sóng")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    save_screenshot(phone, "issue15-item9-run-sheet-offline")
    assert_accessible(phone)
    phone.context.set_offline(False)

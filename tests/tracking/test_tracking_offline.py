"""The handheld page on a 360 px phone with no signal: events queue on the device and are sent,
once each, when the link returns; the citizen then sees them in the public lookup."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import db_session
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot
from tracking.models import EventOutcome, LegState, ShipmentEvent, ShipmentLeg


@pytest.mark.timeout(180)
def test_events_recorded_offline_sync_when_back_online(session, live_server, phone):
    staff = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=staff)
    session.commit()
    code = dossier.code

    log_in_on_page(phone, live_server, staff)
    phone.goto(f"{live_server}/tracking/handheld?code={code}")
    phone.wait_for_selector("#net.ok")

    phone.context.set_offline(True)
    phone.wait_for_selector("#net.warn")
    phone.select_option("#type", "picked_up")
    phone.click("#track button[type=submit]")
    expect(phone.locator("#pending")).to_have_text("1")
    phone.select_option("#type", "dispatched")
    phone.click("#track button[type=submit]")
    expect(phone.locator("#pending")).to_have_text("2")
    save_screenshot(phone, "tracking-handheld-offline")
    assert_accessible(phone)
    db_session.remove()
    assert db_session.scalar(select(func.count()).select_from(ShipmentEvent)) == 0

    phone.context.set_offline(False)
    expect(phone.locator("#pending")).to_have_text("0", timeout=30000)
    save_screenshot(phone, "tracking-handheld-synced")
    assert_accessible(phone)
    db_session.remove()
    events = db_session.scalars(select(ShipmentEvent).order_by(ShipmentEvent.occurred_at)).all()
    assert [e.event_type for e in events] == ["picked_up", "dispatched"]
    assert all(e.outcome == EventOutcome.accepted for e in events)
    assert db_session.scalar(select(ShipmentLeg.state)) == LegState.in_transit
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360

    phone.goto(f"{live_server}/lookup?code={code}")
    assert "Đã chuyển đi" in phone.content()
    save_screenshot(phone, "lookup-timeline")
    assert_accessible(phone)


@pytest.mark.timeout(180)
def test_whole_journey_on_a_phone_and_the_citizen_sees_it(session, live_server, phone):
    staff = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=staff)
    session.commit()
    code = dossier.code

    log_in_on_page(phone, live_server, staff)
    phone.goto(f"{live_server}/tracking/handheld")
    phone.fill("#code", code.lower())

    def record(kind, expected_pending_done=True, **fields):
        phone.select_option("#type", kind)
        for selector, value in fields.items():
            if value is True:
                phone.check(f"#{selector}")
            else:
                phone.fill(f"#{selector}", value)
        phone.click("#track button[type=submit]")
        expect(phone.locator("#pending")).to_have_text("0", timeout=30000)

    record("picked_up")
    record("handed_to_agency", officer_name="Lê Thị Một Cửa")
    record("result_handed_to_post")
    record("out_for_delivery")
    phone.select_option("#type", "delivered")
    save_screenshot(phone, "tracking-handheld-deliver")
    assert_accessible(phone)
    record("delivered", recipient_name="Nguyễn Văn Dân", id_checked=True)
    assert phone.locator("#results li.field-error").count() == 0
    assert phone.locator("#results li.ok").count() == 5

    db_session.remove()
    states = dict(db_session.execute(select(ShipmentLeg.kind, ShipmentLeg.state)).all())
    assert {k.value: v for k, v in states.items()} == {"forward": LegState.handed_to_agency, "return": LegState.delivered}

    citizen_view = phone.context.browser.new_context(viewport={"width": 360, "height": 780})
    page = citizen_view.new_page()
    page.goto(f"{live_server}/lookup?code={code}")
    text = page.inner_text("main")
    for label in ("Đã nhận hồ sơ từ công dân", "Đã giao cho Bộ phận Một cửa", "Bưu điện đã nhận kết quả",
                  "Đang phát kết quả", "Đã trả kết quả"):
        assert label in text
    assert "Lê Thị Một Cửa" not in text and "Nguyễn Văn Dân" not in text.split("Hành trình")[1]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    save_screenshot(page, "lookup-after-delivery")
    assert_accessible(page)
    citizen_view.close()


@pytest.mark.timeout(120)
def test_manager_view_fits_a_phone(session, live_server, phone):
    from datetime import timedelta

    from postal_gateway.core.db import utcnow
    from tracking import services

    staff = factories.user(session, Role.postal_staff)
    officer = None
    for hours in (100, 60, 10):
        dossier = factories.postal_dossier(session, staff=staff, entered_at=utcnow() - timedelta(hours=hours))
        services.open_forward_leg(session, dossier=dossier, picked_up_at=utcnow() - timedelta(hours=hours))
        if hours == 10:
            officer = officer or factories.user(session, Role.agency_staff, agency_id=dossier.agency_id)
            services.record_handover_to_agency(session, dossier=dossier, officer=officer, at=utcnow())
    session.commit()
    log_in_on_page(phone, live_server, staff)
    phone.goto(f"{live_server}/tracking/manager")
    assert phone.locator("svg.sla-chart").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    save_screenshot(phone, "tracking-manager")
    assert_accessible(phone)

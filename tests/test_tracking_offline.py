"""The handheld page on a 360 px phone with no signal: events queue on the device and are sent,
once each, when the link returns; the citizen then sees them in the public lookup."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.db import db_session
from tests import factories
from tests.conftest import save_screenshot
from tracking.models import EventOutcome, LegState, ShipmentEvent, ShipmentLeg


@pytest.mark.timeout(180)
def test_events_recorded_offline_sync_when_back_online(session, live_server, phone):
    staff = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=staff)
    session.commit()
    code = dossier.code

    phone.goto(f"{live_server}/login")
    phone.fill("#identifier", staff.email)
    phone.fill("#password", factories.DEFAULT_PASSWORD)
    phone.click("button[type=submit]")
    phone.goto(f"{live_server}/tracking/handheld?code={code}")
    phone.wait_for_selector("#net.ok")

    phone.context.set_offline(True)
    phone.wait_for_selector("#net.warn")
    phone.select_option("#type", "picked_up")
    phone.click("#track button[type=submit]")
    phone.wait_for_function("document.getElementById('pending').textContent === '1'")
    phone.select_option("#type", "dispatched")
    phone.click("#track button[type=submit]")
    phone.wait_for_function("document.getElementById('pending').textContent === '2'")
    save_screenshot(phone, "tracking-handheld-offline")
    db_session.remove()
    assert db_session.scalar(select(func.count()).select_from(ShipmentEvent)) == 0

    phone.context.set_offline(False)
    phone.wait_for_function("document.getElementById('pending').textContent === '0'", timeout=30000)
    save_screenshot(phone, "tracking-handheld-synced")
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

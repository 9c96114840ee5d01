"""The day's run sheet of a post office (tracking.run_sheet): which stops, in which order, for whom;
its page and its API twin."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from geopy.exc import GeocoderTimedOut

from contracts import zones
from contracts.models import Leg
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.dossiers.models import CollectionPlace
from tests import factories
from tests.conftest import log_in
from tracking import ingestion, run_sheet, services
from tracking.models import LegState, ShipmentLeg

#: 08:00 in Vietnam: the sheet covers deliveries promised by midnight
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=VIETNAM)
#: the worker's office, in Đồng Xoài (Bình Phước)
DONG_XOAI = (11.5349, 106.8886)
NEAR = "12 Lê Duẩn, Đồng Phú, Bình Phước"  # about 7 km from Đồng Xoài
FAR = "5 Quốc lộ 14, Bù Đăng, Bình Phước"  # about 40 km


@pytest.fixture()
def office_staff(session):
    office = factories.post_office(session, latitude=DONG_XOAI[0], longitude=DONG_XOAI[1], province_code="70",
                                   district_code="689")
    return factories.user(session, Role.postal_staff, post_office=office)


def delivery(session, staff, address: str, due_at: datetime, *, state=LegState.with_post, **leg):
    """A result on its way back to ``address``, promised (24-hour commitment) by ``due_at``."""
    dossier = factories.postal_dossier(session, staff=staff, delivery_address=address)
    row = ShipmentLeg(dossier_id=dossier.id, kind=Leg.return_, state=state, post_office_id=staff.post_office_id,
                      started_at=due_at - timedelta(hours=24), commitment_due_at=due_at,
                      due_at=due_at + timedelta(hours=24), **leg)
    session.add(row)
    session.flush()
    return dossier


def pickup(session, staff, address: str):
    """A dossier to be collected at the citizen's door, whose forward leg is open with no pickup yet."""
    dossier = factories.postal_dossier(session, staff=staff, collection_place=CollectionPlace.citizen_address,
                                       pickup_address=address)
    session.add(ShipmentLeg(dossier_id=dossier.id, kind=Leg.forward, state=LegState.open,
                            post_office_id=staff.post_office_id))
    session.flush()
    return dossier


def refs(sheet) -> list[str]:
    return [stop.dossier_ref for stop in sheet.stops]


def test_stops_go_by_due_time_then_distance_from_the_post_office_dieu_25_2(session, office_staff):
    """Điều 25.2 (the 24-hour return commitment) sets the order; at the same due time the nearer address
    comes first; a requested pickup (Điều 20.1) with no promised time comes after the timed stops."""
    ten = MORNING.replace(hour=10)
    far_at_ten = delivery(session, office_staff, FAR, ten)
    near_at_ten = delivery(session, office_staff, NEAR, ten)
    far_at_nine = delivery(session, office_staff, FAR, MORNING.replace(hour=9))
    unplaced_at_ten = delivery(session, office_staff, "Số 7, hẻm không tên", ten)
    door = pickup(session, office_staff, NEAR)

    sheet = run_sheet.run_sheet(session, post_office=office_staff.post_office, now=MORNING)

    assert refs(sheet) == [far_at_nine.code, near_at_ten.code, far_at_ten.code, unplaced_at_ten.code, door.code]
    near, far = sheet.stops[1], sheet.stops[2]
    assert 3 < near.distance_km < 15 < 30 < far.distance_km < 60
    assert sheet.stops[3].distance_km is None and sheet.stops[3].place_label == ""
    assert [stop.kind for stop in sheet.stops] == [run_sheet.DELIVERY] * 4 + [run_sheet.PICKUP]
    assert sheet.deliveries == 4 and sheet.pickups == 1


def test_each_stop_has_a_map_link_and_the_citizens_phone(session, office_staff):
    dossier = delivery(session, office_staff, NEAR, MORNING.replace(hour=11))
    stop = run_sheet.run_sheet(session, post_office=office_staff.post_office, now=MORNING).stops[0]
    # placed in the commune that replaced old Đồng Phú district, at the package's centroid (two-level map, 2025)
    assert stop.place_label == "Xã Đồng Phú, Đồng Nai"
    assert stop.geo_uri.startswith(f"geo:{stop.latitude:.6f},{stop.longitude:.6f}?q=12%20L")
    assert (round(stop.latitude, 2), round(stop.longitude, 2)) == (11.41, 106.85)
    assert stop.citizen_phone == dossier.citizen.phone and stop.phone_uri == f"tel:{dossier.citizen.phone}"
    assert stop.citizen_name == dossier.citizen.full_name and stop.address == NEAR


def test_only_the_workers_own_office(session, office_staff):
    other_staff = factories.user(session, Role.postal_staff)
    mine = delivery(session, office_staff, NEAR, MORNING.replace(hour=10))
    theirs = delivery(session, other_staff, NEAR, MORNING.replace(hour=10))
    pickup(session, other_staff, NEAR)

    assert refs(run_sheet.run_sheet(session, post_office=office_staff.post_office, now=MORNING)) == [mine.code]
    assert refs(run_sheet.run_sheet(session, post_office=other_staff.post_office, now=MORNING))[0] == theirs.code


def test_what_is_not_a_stop_today(session, office_staff):
    """Due tomorrow, left at the counter, lost, or collected at the post office (no delivery address):
    none is a stop; an overdue delivery stays until it is done. A pickup already made is not a stop."""
    overdue = delivery(session, office_staff, NEAR, MORNING - timedelta(hours=5))
    late_tonight = delivery(session, office_staff, NEAR, MORNING.replace(hour=23, minute=59))
    delivery(session, office_staff, NEAR, MORNING + timedelta(days=1))
    delivery(session, office_staff, NEAR, MORNING.replace(hour=10), state=LegState.held_at_post_office)
    delivery(session, office_staff, NEAR, MORNING.replace(hour=10), state=LegState.lost)
    delivery(session, office_staff, "", MORNING.replace(hour=10))
    picked = pickup(session, office_staff, NEAR)
    services.open_forward_leg(session, dossier=picked, picked_up_at=MORNING - timedelta(hours=1))

    sheet = run_sheet.run_sheet(session, post_office=office_staff.post_office, now=MORNING)

    assert refs(sheet) == [overdue.code, late_tonight.code]
    assert sheet.stops[0].overdue(MORNING) and not sheet.stops[1].overdue(MORNING)


def test_a_delivered_result_drops_off_the_sheet_dieu_26_1(session, office_staff):
    """Điều 26.1: once the handheld records the delivery, the stop is gone; a failed attempt keeps it."""
    now = utcnow()
    dossier = factories.postal_dossier(session, staff=office_staff, delivery_address=NEAR,
                                       entered_at=now - timedelta(hours=40))
    officer = factories.user(session, Role.agency_staff, agency_id=dossier.agency_id)
    services.record_handover_to_agency(session, dossier=dossier, officer=officer, at=now - timedelta(hours=30))
    # available 25 hours ago: the 24-hour commitment is already past, so the stop is on today's sheet whatever the hour
    services.open_return_leg(session, dossier=dossier, result_available_at=now - timedelta(hours=25))
    office = office_staff.post_office

    def record(event_id, kind, minutes_ago, **details):
        at = (now - timedelta(minutes=minutes_ago)).isoformat()
        raw = {"event_id": event_id, "type": kind, "occurred_at": at, "recorded_at": at,
               "post_office_code": office.code, "details": details}
        [result] = ingestion.record_events(session, actor=office_staff, events=[raw], now=now,
                                           dossier_code=dossier.code)
        assert result.status == "accepted", result

    record("rs-000001", "result_handed_to_post", 90)
    record("rs-000002", "out_for_delivery", 60)
    record("rs-000003", "delivery_failed", 40, reason="Vắng nhà")
    assert refs(run_sheet.run_sheet(session, post_office=office, now=now)) == [dossier.code]
    record("rs-000004", "out_for_delivery", 20)
    record("rs-000005", "delivered", 10, recipient_name="Nguyễn Văn Dân", id_checked=True)
    assert refs(run_sheet.run_sheet(session, post_office=office, now=now)) == []


def test_the_page_and_its_api_twin_show_the_callers_office(client, session, office_staff):
    due = utcnow() - timedelta(minutes=1)  # overdue: on today's sheet whatever the hour
    dossier = delivery(session, office_staff, NEAR, due)
    other_staff = factories.user(session, Role.postal_staff)
    token, _ = issue_token(session, office_staff)
    other_token, _ = issue_token(session, other_staff)
    session.commit()

    answer = client.get("/api/v1/run-sheet", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["post_office_code"] == office_staff.post_office.code
    [stop] = body["stops"]
    assert stop["dossier_ref"] == dossier.code and stop["kind"] == "delivery" and stop["overdue"] is True
    assert stop["geo_uri"].startswith("geo:") and stop["citizen_phone"] == dossier.citizen.phone
    assert client.get("/api/v1/run-sheet", headers={"Authorization": f"Bearer {other_token}"}).get_json()["stops"] == []
    citizen_token, _ = issue_token(session, factories.user(session, Role.citizen))
    assert client.get("/api/v1/run-sheet", headers={"Authorization": f"Bearer {citizen_token}"}).status_code == 403

    log_in(client, office_staff)
    page = client.get("/tracking/run-sheet").get_data(as_text=True)
    assert dossier.code in page and 'href="geo:' in page and f'href="tel:{dossier.citizen.phone}"' in page
    assert "Lộ trình hôm nay" in client.get("/").get_data(as_text=True)


def test_a_geocoder_that_cannot_answer_leaves_the_stop_on_the_sheet_unplaced(session, office_staff):
    class Unreachable:
        def locate(self, address):
            raise GeocoderTimedOut("no network")

    dossier = delivery(session, office_staff, NEAR, MORNING.replace(hour=10))
    zones.set_geocoder(Unreachable())
    try:
        [stop] = run_sheet.run_sheet(session, post_office=office_staff.post_office, now=MORNING).stops
    finally:
        zones.set_geocoder(None)
    assert stop.dossier_ref == dossier.code and stop.distance_km is None and stop.geo_uri.startswith("geo:0,0?q=")

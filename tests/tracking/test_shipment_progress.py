"""What the handheld may record next: each leg's state and the events allowed from it (Điều 21.1, 25.2), in the
transition table's own terms, for the office that holds the leg; the API and the handheld page's twin."""
from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.models import Leg
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from tests import factories
from tests.conftest import log_in
from tracking import ingestion
from tracking.models import LegState
from tracking.vocabulary import EVENTS, TRANSITIONS, EventType, next_events, next_state

E, S = EventType, LegState


def test_before_pickup_only_taking_the_dossier_is_offered_dieu_21_1():
    """Điều 21.1: nothing has happened until the post takes the dossier (at the door or at the counter)."""
    assert next_events(None, None) == {E.picked_up: Leg.forward, E.accepted_at_office: Leg.forward}


def test_the_return_leg_opens_only_once_the_officer_has_signed_dieu_25_2():
    """Điều 25.2: the post takes the result once the forward leg is over; not while the dossier is on its way."""
    assert next_events(S.handed_to_agency, None) == {E.result_handed_to_post: Leg.return_}
    assert E.result_handed_to_post not in next_events(S.in_transit, None)


def test_every_offered_event_is_one_the_transition_table_accepts_and_no_other_dieu_25_2():
    """Điều 25.2: for every pair of leg states, the events offered are exactly those the table would accept on the
    leg each lands on; final states offer nothing on their leg."""
    for forward in TRANSITIONS[Leg.forward]:
        allowed = next_events(forward, None)
        for event, info in EVENTS.items():
            kind = info.leg or Leg.forward
            expected = kind == Leg.forward and next_state(Leg.forward, forward, event) is not None
            assert (event in allowed) == expected, (forward, event)
    for state in list(TRANSITIONS[Leg.return_]) + [S.delivered, S.returned_to_agency]:
        allowed = next_events(S.handed_to_agency, state)
        for event, info in EVENTS.items():
            kind = info.leg or Leg.return_
            table_state = S.handed_to_agency if kind == Leg.forward else state
            expected = next_state(kind, table_state, event) is not None
            assert (event in allowed) == expected, (state, event)
            if event in allowed:
                assert allowed[event] == kind
    assert next_events(S.handed_to_agency, S.delivered) == {}


@pytest.fixture()
def world(session):
    staff = factories.user(session, Role.postal_staff)
    stranger = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=staff, entered_at=utcnow() - timedelta(hours=5))
    token, _ = issue_token(session, staff)
    stranger_token, _ = issue_token(session, stranger)
    session.commit()
    return {"staff": staff, "stranger": stranger, "dossier": dossier,
            "auth": {"Authorization": f"Bearer {token}"},
            "stranger_auth": {"Authorization": f"Bearer {stranger_token}"}}


def _record(session, staff, dossier, *types):
    for number, kind in enumerate(types):
        ingestion.record_events(session, actor=staff, dossier_code=dossier.code, events=[{
            "event_id": f"progress-{kind}-{number}", "type": kind, "post_office_code": staff.post_office.code,
            "occurred_at": (utcnow() - timedelta(hours=4) + timedelta(minutes=number)).isoformat(),
            **({"details": {"officer_name": "Lê Thị Một Cửa"}} if kind == "handed_to_agency" else {}),
        }])
    session.commit()


def test_api_gives_the_current_state_and_the_events_allowed_from_it_dieu_21_1(client, session, world):
    """Điều 21.1: after pickup the worker is offered what may follow it, named in words, and nothing else."""
    dossier = world["dossier"]
    fresh = client.get(f"/api/v1/shipments/{dossier.code}/progress", headers=world["auth"]).get_json()
    assert fresh["current"] is None and fresh["legs"] == []
    assert [e["type"] for e in fresh["next_events"]] == ["picked_up", "accepted_at_office"]
    _record(session, world["staff"], dossier, "picked_up")
    body = client.get(f"/api/v1/shipments/{dossier.shipment_number}/progress", headers=world["auth"]).get_json()
    assert body["dossier_ref"] == dossier.code
    assert body["current"] == {"leg": "forward", "leg_label": "Chiều đi (hồ sơ đến cơ quan)", "state": "picked_up",
                               "state_label": "Đã nhận từ công dân", "may_record": True}
    offered = {e["type"]: e for e in body["next_events"]}
    assert set(offered) == {t.value for t in next_events(S.picked_up, None)}
    assert "picked_up" not in offered and "delivered" not in offered
    assert offered["handed_to_agency"]["required"] == ["officer_name"]
    assert offered["dispatched"]["label"] == "Đã chuyển đi"


def test_page_twin_takes_the_shipment_number_dieu_25_2(client, session, world):
    """Điều 25.2: the handheld asks with what was typed or scanned: the shipment number before the code exists."""
    dossier = world["dossier"]
    _record(session, world["staff"], dossier, "picked_up", "handed_to_agency")
    log_in(client, world["staff"])
    body = client.get(f"/tracking/shipments/{dossier.shipment_number.lower()}/progress")
    assert body.status_code == 200
    answer = body.get_json()
    assert answer["current"]["state"] == "handed_to_agency"
    assert [e["type"] for e in answer["next_events"]] == ["result_handed_to_post"]
    assert client.get("/tracking/shipments/000.00.20.H10-260101-9999/progress").status_code == 404


def test_strangers_are_refused_as_recording_would_be(client, world):
    """Custody: an office that holds no leg of the dossier learns nothing and is offered nothing."""
    dossier = world["dossier"]
    assert client.get(f"/api/v1/shipments/{dossier.code}/progress", headers=world["stranger_auth"]).status_code == 403
    assert client.get(f"/api/v1/shipments/{dossier.code}/progress").status_code == 401
    assert client.get("/api/v1/shipments/NOPE/progress", headers=world["auth"]).status_code == 404

"""The result's last steps (Điều 25.2): handing it to the post is a state of its own ("Đã giao kết quả cho bưu
chính"); the dossier is "returned" only when the return leg delivers it, or when the citizen collects it at the
counter; the public lookup shows the steps in time order with "returned" last."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from postal_gateway import calendar
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.dossiers.models import DossierStatus as S
from postal_gateway.dossiers.workflow import IllegalTransition
from postal_gateway.lookup.models import LookupRecord
from postal_gateway.workbench import services
from tests import factories
from tracking import ingestion
from tracking.models import LegState

#: Monday 7 December 2026, 07:00 in Vietnam; the result is ready on the Wednesday at 09:00
MONDAY = datetime(2026, 12, 7, 7, 0, tzinfo=VIETNAM)
READY = datetime(2026, 12, 9, 9, 0, tzinfo=VIETNAM)


@pytest.fixture()
def world(session):
    agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, processing_half_days=10, level=3, fee_vnd=0)
    office = factories.post_office(session, province_code="70", district_code="689")
    staff = factories.user(session, Role.postal_staff, post_office=office, full_name="Lê Văn Phát")
    officer = factories.user(session, Role.agency_staff, agency=agency)
    received = calendar.receipt_time(MONDAY)
    dossier = factories.postal_dossier(
        session, procedure=procedure, staff=staff, entered_at=MONDAY, received_at=received,
        processing_start_at=calendar.processing_start(received), due_at=calendar.due_at(received, 5),
        appointment_date=calendar.appointment_date(received, 5),
    )
    session.commit()
    officer_code = dossier.code
    services.receive_from_post(session, officer=officer, code=officer_code, paper_matches=True, now=MONDAY)
    for minutes, action in ((5, "transfer"), (10, "start_processing")):
        services.advance(session, officer=officer, code=officer_code, action=action,
                         now=MONDAY + timedelta(minutes=minutes))
    with unit_of_work(session):  # the return leg opens with the step
        services.mark_result_ready(session, officer=officer, code=officer_code, now=READY)
    return {"dossier": dossier, "officer": officer, "office": office, "staff": staff}


def _hand_to_post(session, world, at=READY + timedelta(minutes=20)):
    with unit_of_work(session):
        services.return_result(session, officer=world["officer"], code=world["dossier"].code, via="post", now=at)


def _post_events(session, world, *kinds_and_hours, prefix="ev"):
    """The post's handheld events on the return leg, recorded in one unit of work as the handheld page does."""
    events = []
    for kind, hours in kinds_and_hours:
        at = READY + timedelta(hours=hours)
        event = {"event_id": f"{prefix}-{kind}", "type": kind, "occurred_at": at.isoformat(),
                 "recorded_at": at.isoformat(), "leg": "return", "post_office_code": world["office"].code}
        if kind == "delivered":
            event["details"] = {"recipient_name": "Nguyễn Văn A", "id_checked": True}
        events.append(event)
    last = READY + timedelta(hours=max(hours for _, hours in kinds_and_hours))
    with unit_of_work(session):
        results = ingestion.record_events(session, actor=world["staff"], now=last + timedelta(minutes=1),
                                          dossier_code=world["dossier"].code, trusted=True, events=events)
    return results


def test_handing_the_result_to_the_post_is_not_returning_it_dieu_25_2(session, world):
    """Điều 25.2: "Giao kết quả cho bưu chính" leaves the dossier with the post (result_with_post), settled at the
    result's time for the statistics, and never "returned"."""
    dossier = world["dossier"]
    _hand_to_post(session, world)
    assert dossier.status == S.result_with_post
    assert dossier.settled_at == READY  # statistics: settled when the result was ready, unchanged by the hand-over
    step = dossier.history[-1]
    assert (step.action, step.to_status, step.details) == ("hand_to_post", S.result_with_post, {"via": "post"})
    assert all(change.to_status != S.returned for change in dossier.history)
    # handing it over twice is refused, naming the state
    with pytest.raises(IllegalTransition):
        services.return_result(session, officer=world["officer"], code=dossier.code, via="post", now=READY)


def test_the_return_legs_delivery_event_returns_the_dossier_dieu_25_2(session, world):
    """Điều 25.2: the return leg's "delivered" event makes the dossier "returned", at the delivery's time, by the
    postal worker who recorded it; events before it (received, out for delivery) do not."""
    dossier = world["dossier"]
    _hand_to_post(session, world)
    _post_events(session, world, ("result_handed_to_post", 1), ("out_for_delivery", 2))
    assert dossier.status == S.result_with_post
    results = _post_events(session, world, ("delivered", 4))
    assert [r.status for r in results] == ["accepted"]
    assert dossier.status == S.returned
    step = dossier.history[-1]
    assert (step.from_status, step.at, step.actor_id) == (S.result_with_post, READY + timedelta(hours=4),
                                                          world["staff"].id)
    assert step.details["via"] == "delivery"
    # the same event sent again changes nothing
    again = _post_events(session, world, ("delivered", 4))
    assert [r.status for r in again] == ["duplicate"]
    assert [c.to_status for c in dossier.history].count(S.returned) == 1


def test_a_delivery_before_the_officers_hand_over_step_still_returns_the_dossier_dieu_25_2(session, world):
    """Điều 25.2: the post collected the result without the officer pressing the hand-over: its delivery is
    what returned the result, so the dossier is returned from "result ready"."""
    dossier = world["dossier"]
    _post_events(session, world, ("result_handed_to_post", 1), ("delivered", 3))
    assert dossier.status == S.returned and dossier.history[-1].from_status == S.result_ready


def test_collection_at_the_counter_returns_the_dossier_dieu_25_2(session, world):
    """Điều 25.2: collected at the one-stop counter, the dossier is returned at once; also when the post had it
    and gave it back (the citizen then comes to the counter)."""
    dossier = world["dossier"]
    with unit_of_work(session):
        services.return_result(session, officer=world["officer"], code=dossier.code, via="counter",
                               now=READY + timedelta(hours=1))
    assert dossier.status == S.returned and dossier.history[-1].details == {"via": "counter"}


def test_collection_at_the_counter_after_the_post_gave_the_result_back_dieu_25_2(session, world):
    dossier = world["dossier"]
    _hand_to_post(session, world)
    with unit_of_work(session):
        services.return_result(session, officer=world["officer"], code=dossier.code, via="counter",
                               now=READY + timedelta(days=2))
    assert dossier.status == S.returned
    assert [c.to_status for c in dossier.history][-2:] == [S.result_with_post, S.returned]


def test_the_lookup_shows_the_steps_in_time_order_with_returned_last_dieu_25_2(session, world):
    """R-19, Điều 25.2: the citizen sees the hand-over, the post receiving the result, the delivery, and
    "Đã trả kết quả" once, last."""
    dossier = world["dossier"]
    _hand_to_post(session, world)
    _post_events(session, world, ("result_handed_to_post", 1), ("out_for_delivery", 2), ("delivered", 4))
    record = session.scalar(select(LookupRecord).where(LookupRecord.dossier_id == dossier.id))
    labels = [item["label"] for item in record.timeline]
    times = [datetime.fromisoformat(item["at"]) for item in record.timeline]
    assert record.status == "returned"
    assert times == sorted(times)
    assert labels[-1] == "Đã trả kết quả" and labels.count("Đã trả kết quả") == 1
    tail = labels[labels.index("Đã có kết quả, chờ trả"):]
    assert tail == ["Đã có kết quả, chờ trả", "Đã giao kết quả cho bưu chính", "Bưu điện đã nhận kết quả",
                    "Đang phát kết quả", "Đã trả kết quả"]


def test_the_lookup_puts_returned_last_even_when_recorded_at_the_same_time_dieu_25_2(session, world):
    """A counter collection recorded at the very moment of another step still reads last."""
    dossier = world["dossier"]
    at = READY + timedelta(hours=1)
    _post_events(session, world, ("result_handed_to_post", 1))
    with unit_of_work(session):
        services.return_result(session, officer=world["officer"], code=dossier.code, via="counter", now=at)
    record = session.scalar(select(LookupRecord).where(LookupRecord.dossier_id == dossier.id))
    assert [item["label"] for item in record.timeline][-2:] == ["Bưu điện đã nhận kết quả", "Đã trả kết quả"]


def test_the_return_leg_ends_delivered_while_the_dossier_becomes_returned(session, world):
    _hand_to_post(session, world)
    _post_events(session, world, ("result_handed_to_post", 1), ("delivered", 2))
    leg = ingestion._current_leg(session, world["dossier"], ingestion.Leg.return_)
    assert leg.state == LegState.delivered and world["dossier"].status == S.returned


def test_the_api_names_the_hand_over_as_a_next_step_and_takes_it_dieu_25_2(client, session, world):
    """Điều 25.2: the API lists "hand_to_post" as allowed from "result ready" and takes it by that name."""
    token, _ = issue_token(session, world["officer"])
    session.commit()
    url = f"/api/v1/workbench/dossiers/{world['dossier'].code}"
    auth = {"Authorization": f"Bearer {token}"}
    body = client.get(url, headers=auth).get_json()
    assert "hand_to_post" in body["allowed_actions"]
    done = client.post(f"{url}/actions", json={"action": "hand_to_post", "version": body["version"]}, headers=auth)
    assert done.status_code == 200, done.get_json()
    session.expire_all()
    assert world["dossier"].status == S.result_with_post

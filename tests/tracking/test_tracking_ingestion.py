"""Legs and events: duplicates, out-of-order uploads, impossible sequences, bad input, hand-overs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from contracts.models import Leg
from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import InvalidInput
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.dossiers.models import Channel
from tests import factories
from tracking import ingestion, services
from tracking.models import (
    CompensationCase,
    CompensationStatus,
    EventOutcome,
    LegState,
    ShipmentEvent,
    ShipmentLeg,
)

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=VN)


@pytest.fixture()
def world(session):
    staff = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=staff, entered_at=NOW - timedelta(hours=5))
    session.commit()
    return staff, dossier


def ev(event_id, type_, at, **extra):
    raw = {"event_id": event_id, "type": type_, "occurred_at": at.isoformat(), "post_office_code": extra.pop("office", None)}
    raw.update(extra)
    return {k: v for k, v in raw.items() if v is not None}


def record(session, staff, dossier, *events, now=NOW):
    office = staff.post_office.code
    events = [dict(e, post_office_code=e.get("post_office_code", office)) if isinstance(e, dict) and "latitude" not in e else e
              for e in events]
    return ingestion.record_events(session, actor=staff, events=list(events), now=now, dossier_code=dossier.code)


def test_events_in_order_drive_the_forward_leg_to_the_agency(session, world):
    staff, dossier = world
    results = record(
        session, staff, dossier,
        ev("dev1-000001", "picked_up", NOW - timedelta(hours=4)),
        ev("dev1-000002", "dispatched", NOW - timedelta(hours=3)),
        ev("dev1-000003", "arrived", NOW - timedelta(hours=2)),
        ev("dev1-000004", "handed_to_agency", NOW - timedelta(hours=1), details={"officer_name": "Lê Thị Cán Bộ"}),
    )
    assert [r.status for r in results] == ["accepted"] * 4
    leg = services.leg_of(session, dossier, Leg.forward)
    assert leg.state == LegState.handed_to_agency
    assert leg.started_at == NOW - timedelta(hours=4)
    assert leg.completed_at == NOW - timedelta(hours=1)
    assert leg.due_at == leg.started_at + timedelta(hours=72) and leg.due_basis == "default"
    assert session.scalar(select(func.count()).select_from(IntegrationEvent).where(
        IntegrationEvent.event_type == "shipment.event_recorded")) == 4


def test_out_of_order_upload_is_placed_by_occurrence_time(session, world):
    staff, dossier = world
    # the device that saw the hand-over synced before the one that saw the pickup
    first = record(session, staff, dossier,
                   ev("late-000003", "arrived", NOW - timedelta(hours=2)))
    assert first[0].status == "rejected"  # nothing picked up yet, as far as we know
    second = record(session, staff, dossier,
                    ev("late-000001", "picked_up", NOW - timedelta(hours=4)),
                    ev("late-000002", "dispatched", NOW - timedelta(hours=3)))
    assert [r.status for r in second] == ["accepted", "accepted"]
    leg = services.leg_of(session, dossier, Leg.forward)
    # the earlier-uploaded "arrived" now fits after pickup and dispatch: state derived from history
    assert leg.state == LegState.arrived
    arrived = session.scalar(select(ShipmentEvent).where(ShipmentEvent.event_id == "late-000003"))
    assert arrived.outcome == EventOutcome.accepted
    # a late "dispatched" older than the last arrival does not regress the state
    third = record(session, staff, dossier, ev("late-000004", "accepted_at_office", NOW - timedelta(hours=3, minutes=30)))
    assert third[0].status == "accepted"
    assert services.leg_of(session, dossier, Leg.forward).state == LegState.arrived


def test_duplicates_are_acknowledged_not_counted(session, world):
    staff, dossier = world
    batch = [ev("dup-0000001", "picked_up", NOW - timedelta(hours=4)),
             ev("dup-0000002", "dispatched", NOW - timedelta(hours=3))]
    record(session, staff, dossier, *batch)
    session.commit()
    again = record(session, staff, dossier, *batch, batch[0])
    assert [r.status for r in again] == ["duplicate", "duplicate", "duplicate"]
    assert session.scalar(select(func.count()).select_from(ShipmentEvent)) == 2
    assert session.scalar(select(func.count()).select_from(IntegrationEvent)) == 2
    reused = record(session, staff, dossier, ev("dup-0000001", "lost", NOW - timedelta(hours=1)))
    assert reused[0].status == "invalid" and reused[0].errors[0].field == "event_id"


def test_delivered_before_pickup_is_refused_with_reason_and_kept(session, world):
    staff, dossier = world
    results = record(session, staff, dossier,
                     ev("bad-0000001", "delivered", NOW - timedelta(hours=1),
                        details={"recipient_name": "Nguyễn Văn A", "id_checked": True}))
    assert results[0].status == "rejected"
    assert "chưa nhận kết quả" in results[0].reason
    kept = session.scalar(select(ShipmentEvent).where(ShipmentEvent.event_id == "bad-0000001"))
    assert kept.outcome == EventOutcome.rejected and kept.leg_id is None


def test_bad_input_is_reported_per_event_and_the_good_ones_count(session, world):
    staff, dossier = world
    results = record(
        session, staff, dossier,
        ev("good-000001", "picked_up", NOW - timedelta(hours=4)),
        ev("bad-future-1", "dispatched", NOW + timedelta(hours=2)),
        ev("bad-past-001", "dispatched", NOW - timedelta(days=40)),
        {"event_id": "bad-coord-01", "type": "arrived", "occurred_at": (NOW - timedelta(hours=1)).isoformat(),
         "latitude": 95, "longitude": 200},
        {"event_id": "bad-naive-01", "type": "arrived", "occurred_at": "2026-11-20T08:00:00"},
        {"event_id": "x", "type": "teleported", "occurred_at": "yesterday"},
        "not an object",
    )
    assert [r.status for r in results] == ["accepted"] + ["invalid"] * 6
    assert results[1].errors[0].field == "occurred_at"
    assert results[2].errors[0].field == "occurred_at"
    assert {e.field for e in results[3].errors} == {"latitude", "longitude"}
    assert {e.field for e in results[5].errors} >= {"event_id", "type", "occurred_at"}
    assert session.scalar(select(func.count()).select_from(ShipmentEvent)) == 1


def test_unknown_dossier_and_huge_batch(session, world):
    staff, _dossier = world
    results = ingestion.record_events(session, actor=staff, now=NOW, events=[
        {"event_id": "nodossier-1", "type": "picked_up", "occurred_at": NOW.isoformat(),
         "post_office_code": staff.post_office.code, "dossier_code": "000.00.20.H10-260101-9999"}])
    assert results[0].status == "invalid" and results[0].errors[0].field == "dossier_code"
    with pytest.raises(InvalidInput):
        ingestion.record_events(session, actor=staff, now=NOW, events=[{}] * (ingestion.MAX_BATCH + 1))
    with pytest.raises(InvalidInput):
        ingestion.record_events(session, actor=staff, now=NOW, events=[])


def test_delivery_requires_the_recipient_and_id_check(session, world):
    staff, dossier = world
    results = record(session, staff, dossier, ev("deliv-00001", "delivered", NOW - timedelta(hours=1), details={}))
    assert {e.field for e in results[0].errors} == {"details.recipient_name", "details.id_checked"}


def test_full_journey_through_the_services(session, world):
    staff, dossier = world
    officer = factories.user(session, Role.agency_staff, agency_id=dossier.agency_id)
    services.open_forward_leg(session, dossier=dossier, picked_up_at=NOW - timedelta(hours=5))
    services.open_forward_leg(session, dossier=dossier, picked_up_at=NOW - timedelta(hours=5))  # idempotent
    leg = services.record_handover_to_agency(session, dossier=dossier, officer=officer, at=NOW - timedelta(hours=1))
    assert leg.state == LegState.handed_to_agency
    services.record_handover_to_agency(session, dossier=dossier, officer=officer, at=NOW - timedelta(hours=1))
    handover = session.scalar(select(ShipmentEvent).where(ShipmentEvent.event_type == "handed_to_agency"))
    assert handover.details["officer_id"] == officer.id
    back = services.open_return_leg(session, dossier=dossier, result_available_at=NOW)
    assert back.due_at == NOW + timedelta(hours=24) and back.state == LegState.open
    later = NOW + timedelta(hours=3)
    results = record(
        session, staff, dossier,
        ev("ret-0000001", "result_handed_to_post", NOW + timedelta(hours=1)),
        ev("ret-0000002", "out_for_delivery", NOW + timedelta(hours=2)),
        ev("ret-0000003", "delivered", NOW + timedelta(hours=2, minutes=30), latitude=11.53, longitude=106.88,
           details={"recipient_name": "Nguyễn Văn A", "id_checked": True}),
        now=later,
    )
    assert [r.status for r in results] == ["accepted"] * 3
    assert back.state == LegState.delivered and back.completed_at == NOW + timedelta(hours=2, minutes=30)
    assert session.scalar(select(func.count()).select_from(ShipmentLeg)) == 2


def test_return_event_before_the_result_was_available_is_rejected(session, world):
    staff, dossier = world
    services.open_return_leg(session, dossier=dossier, result_available_at=NOW)
    results = record(session, staff, dossier, ev("early-00001", "result_handed_to_post", NOW - timedelta(hours=1)))
    assert results[0].status == "rejected"


def test_not_postal_dossier_has_no_legs(session):
    dossier = factories.postal_dossier(session, channel=Channel.online)
    assert services.open_forward_leg(session, dossier=dossier, picked_up_at=NOW) is None
    assert services.open_return_leg(session, dossier=dossier, result_available_at=NOW) is None


def test_lost_opens_compensation_and_found_withdraws_it(session, world):
    staff, dossier = world
    manager = factories.user(session, Role.office_manager, post_office=staff.post_office)
    record(session, staff, dossier, ev("lost-000001", "picked_up", NOW - timedelta(hours=4)),
           ev("lost-000002", "lost", NOW - timedelta(hours=3)))
    case = session.scalar(select(CompensationCase))
    assert case.status == CompensationStatus.open
    assert case.fee_vnd == dossier.fee_vnd and case.postage_vnd == dossier.postage_vnd
    record(session, staff, dossier, ev("lost-000003", "found", NOW - timedelta(hours=2)))
    assert case.status == CompensationStatus.withdrawn
    record(session, staff, dossier, ev("lost-000004", "lost", NOW - timedelta(hours=1)))
    assert case.status == CompensationStatus.open
    services.propose_compensation(session, case.id, actor=staff, costs_vnd=15_000, note="Sao chụp lại")
    services.approve_compensation(session, case.id, actor=manager)
    paid = services.pay_compensation(session, case.id, actor=manager, payment_reference="PC-0001",
                                     payment_method="cash", redo_arranged=True)
    assert paid.status == CompensationStatus.paid and paid.total_vnd == dossier.fee_vnd + dossier.postage_vnd + 15_000
    with pytest.raises(Exception):
        services.pay_compensation(session, case.id, actor=manager, payment_reference="PC-0002", payment_method="cash")


def test_result_handed_to_post_opens_the_return_leg_when_nobody_did(session, world):
    staff, dossier = world
    results = record(session, staff, dossier,
                     ev("ev-r-000001", "picked_up", NOW - timedelta(hours=4)),
                     ev("ev-r-000002", "result_handed_to_post", NOW - timedelta(hours=3)))
    assert [r.status for r in results] == ["accepted", "rejected"]  # the dossier is not at the agency yet
    results = record(session, staff, dossier,
                     ev("ev-r-000003", "handed_to_agency", NOW - timedelta(hours=2), details={"officer_name": "B"}),
                     ev("ev-r-000004", "result_handed_to_post", NOW - timedelta(hours=1)))
    assert [r.status for r in results] == ["accepted", "accepted"]
    back = services.leg_of(session, dossier, Leg.return_)
    assert back.state == LegState.with_post and back.due_at == NOW - timedelta(hours=1) + timedelta(hours=24)


def test_intake_starts_the_forward_leg_and_the_public_record(session):
    from postal_gateway.dossiers.services import submit
    from postal_gateway.lookup.models import LookupRecord
    from tests.dossiers.test_dossier_services import command  # noqa: F401
    from tests.dossiers.test_dossier_services import world as dossier_world

    fixture = dossier_world.__wrapped__(session)  # the intake tests' own world: agency, consent, scans
    dossier = submit(session, command(fixture)).dossier
    session.commit()
    leg = services.leg_of(session, dossier, Leg.forward)
    assert leg is not None and leg.started_at == dossier.entered_at
    assert leg.state in (LegState.at_post_office, LegState.picked_up)
    assert session.scalar(select(LookupRecord.code).where(LookupRecord.code == dossier.code)) == dossier.code


@pytest.mark.commits  # four threads, four connections
def test_the_same_batch_sent_by_four_requests_at_once_is_stored_once(app, session, world):
    import threading

    from sqlalchemy.orm import Session as OrmSession

    from postal_gateway.accounts.models import User

    staff, dossier = world
    office = staff.post_office.code
    batch = [dict(ev(f"race-{n:07d}", kind, NOW - timedelta(hours=5 - n)), post_office_code=office)
             for n, kind in enumerate(("picked_up", "dispatched", "arrived"), start=1)]
    engine = app.extensions["engine"]
    outcomes: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def send():
        try:
            with OrmSession(engine) as own:
                actor = own.get(User, staff.id)
                barrier.wait()
                results = ingestion.record_events(own, actor=actor, events=batch, now=NOW, dossier_code=dossier.code)
                own.commit()
                outcomes.append([r.status for r in results])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(statuses.count("accepted") for statuses in outcomes) == 3
    assert all(set(statuses) <= {"accepted", "duplicate"} for statuses in outcomes)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ShipmentEvent)) == 3
    assert session.scalar(select(func.count()).select_from(ShipmentLeg)) == 1
    assert session.scalar(select(func.count()).select_from(IntegrationEvent)) == 3


def test_a_lost_dossier_signed_for_by_the_agency_was_found(session, world):
    staff, dossier = world
    officer = factories.user(session, Role.agency_staff, agency_id=dossier.agency_id)
    record(session, staff, dossier, ev("found-00001", "picked_up", NOW - timedelta(hours=4)),
           ev("found-00002", "lost", NOW - timedelta(hours=3)))
    assert session.scalar(select(CompensationCase)).status == CompensationStatus.open
    leg = services.record_handover_to_agency(session, dossier=dossier, officer=officer, at=NOW - timedelta(hours=1))
    assert leg.state == LegState.handed_to_agency
    assert session.scalar(select(CompensationCase)).status == CompensationStatus.withdrawn

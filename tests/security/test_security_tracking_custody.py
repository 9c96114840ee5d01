"""Custody of shipment legs: only the offices that hold a leg record its events (R-16: a "lost"
recorded by a stranger would show on the public lookup and open a compensation case against the
office that really holds the dossier)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contracts.models import Leg
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from tests import factories
from tests.conftest import log_in
from tracking import ingestion, services
from tracking.models import CompensationCase, LegState, ShipmentEvent


@pytest.fixture()
def world(session):
    owner = factories.user(session, Role.postal_staff)
    stranger = factories.user(session, Role.postal_staff)  # staff of another post office
    dossier = factories.postal_dossier(session, staff=owner, entered_at=utcnow() - timedelta(hours=6))
    services.open_forward_leg(session, dossier=dossier, picked_up_at=utcnow() - timedelta(hours=5), actor=owner)
    session.commit()
    return {"owner": owner, "stranger": stranger, "dossier": dossier}


def event(event_id, type_, hours_ago, office, **extra):
    return {"event_id": event_id, "type": type_, "occurred_at": (utcnow() - timedelta(hours=hours_ago)).isoformat(),
            "post_office_code": office, **extra}


def _events_of(session, dossier) -> int:
    return session.scalar(select(func.count()).select_from(ShipmentEvent).where(ShipmentEvent.dossier_id == dossier.id))


def test_a_stranger_office_cannot_mark_a_shipment_lost(session, world):
    stranger, dossier = world["stranger"], world["dossier"]
    before = _events_of(session, dossier)
    [result] = ingestion.record_events(session, actor=stranger, dossier_code=dossier.code, now=utcnow(),
                                       events=[event("steal-000001", "lost", 1, stranger.post_office.code)])
    session.commit()
    assert result.status == "forbidden"
    assert _events_of(session, dossier) == before
    assert services.leg_of(session, dossier, Leg.forward).state == LegState.at_post_office
    assert session.scalar(select(func.count()).select_from(CompensationCase)) == 0


def test_the_holding_office_still_records(session, world):
    owner, dossier = world["owner"], world["dossier"]
    [result] = ingestion.record_events(session, actor=owner, dossier_code=dossier.code, now=utcnow(),
                                       events=[event("own-0000001", "dispatched", 1, owner.post_office.code)])
    assert result.status == "accepted"


def test_api_answers_403_to_a_stranger_office_and_stores_nothing(client, session, world):
    stranger, dossier = world["stranger"], world["dossier"]
    token, _ = issue_token(session, stranger)
    session.commit()
    before = _events_of(session, dossier)
    response = client.post(f"/api/v1/shipments/{dossier.code}/events",
                           json=event("steal-api-0001", "lost", 1, stranger.post_office.code),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert _events_of(session, dossier) == before
    assert session.scalar(select(func.count()).select_from(CompensationCase)) == 0


def test_offline_batch_reports_the_refused_event_and_keeps_the_rest(client, session, world):
    stranger, dossier = world["stranger"], world["dossier"]
    own = factories.postal_dossier(session, staff=stranger, entered_at=utcnow() - timedelta(hours=3))
    session.commit()
    office = stranger.post_office.code
    log_in(client, stranger)
    results = client.post("/tracking/sync", json={"events": [
        dict(event("batch-000001", "picked_up", 2, office), dossier_code=own.code),
        dict(event("batch-000002", "lost", 1, office), dossier_code=dossier.code),
        dict(event("batch-000003", "dispatched", 1, office), dossier_code=own.code),
    ]}).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "forbidden", "accepted"]
    assert dossier.code in results[1]["reason"]
    session.expire_all()
    assert services.leg_of(session, dossier, Leg.forward).state == LegState.at_post_office
    assert services.leg_of(session, own, Leg.forward).state == LegState.in_transit
    assert session.scalar(select(ShipmentEvent).where(ShipmentEvent.event_id == "batch-000002")) is None


def test_an_explicit_hand_over_gives_the_next_office_custody(session, world):
    owner, stranger, dossier = world["owner"], world["stranger"], world["dossier"]
    next_office = stranger.post_office.code
    arrived = event("next-0000001", "arrived", 1, next_office)
    [refused] = ingestion.record_events(session, actor=stranger, dossier_code=dossier.code, now=utcnow(), events=[arrived])
    assert refused.status == "forbidden"
    [handed] = ingestion.record_events(
        session, actor=owner, dossier_code=dossier.code, now=utcnow(),
        events=[event("hand-0000001", "dispatched", 2, owner.post_office.code,
                      details={"to_post_office_code": next_office})])
    assert handed.status == "accepted"
    [accepted] = ingestion.record_events(session, actor=stranger, dossier_code=dossier.code, now=utcnow(),
                                         events=[dict(arrived, event_id="next-0000002")])
    assert accepted.status == "accepted" and accepted.leg_state == LegState.arrived.value


def test_a_hand_over_to_an_unknown_office_is_invalid(session, world):
    owner, dossier = world["owner"], world["dossier"]
    [result] = ingestion.record_events(
        session, actor=owner, dossier_code=dossier.code, now=utcnow(),
        events=[event("hand-0000009", "dispatched", 1, owner.post_office.code,
                      details={"to_post_office_code": "999999"})])
    assert result.status == "invalid" and result.errors[0].field == "details.to_post_office_code"


def test_a_strangers_early_event_is_not_kept_to_be_replayed_on_the_return_leg(session, world):
    stranger, dossier = world["stranger"], world["dossier"]
    [result] = ingestion.record_events(session, actor=stranger, dossier_code=dossier.code, now=utcnow(),
                                       events=[event("early-000001", "lost", 1, stranger.post_office.code, leg="return")])
    assert result.status == "forbidden"
    leg = services.open_return_leg(session, dossier=dossier, result_available_at=utcnow() - timedelta(hours=2))
    assert leg.state == LegState.open
    assert session.scalar(select(func.count()).select_from(CompensationCase)) == 0


def test_operators_record_on_any_shipment(session, world):
    operator = factories.user(session, Role.operator)
    dossier = world["dossier"]
    [result] = ingestion.record_events(session, actor=operator, dossier_code=dossier.code, now=utcnow(),
                                       events=[event("oper-0000001", "dispatched", 1, world["owner"].post_office.code)])
    assert result.status == "accepted"

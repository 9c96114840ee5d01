"""A batch of handheld events costs the same on a leg with a long history as on a fresh one: the leg's state
advances from its stored state instead of replaying every event it ever had (issue 16, item 7)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from contracts.models import Leg
from postal_gateway.accounts.models import Role
from postal_gateway.lookup import projection
from postal_gateway.lookup.models import LookupRecord
from tests import factories
from tests.statements import counting
from tracking import ingestion, services
from tracking.models import EventOutcome, LegState, ShipmentEvent

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=VN)


def _leg_with_history(session, events: int):
    """A forward leg picked up 20 days ago that went back and forth between offices ``events`` times."""
    staff = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=staff, entered_at=NOW - timedelta(days=21))
    start = NOW - timedelta(days=20)
    office = staff.post_office.code
    ingestion.record_events(session, actor=staff, now=start + timedelta(minutes=1), dossier_code=dossier.code,
                            events=[{"event_id": f"hist-{dossier.id}-0000", "type": "picked_up",
                                     "occurred_at": start.isoformat(), "post_office_code": office}])
    leg = services.leg_of(session, dossier, Leg.forward)
    # the rest of the history written directly: the cost under test is the next batch's
    session.add_all(ShipmentEvent(
        event_id=f"hist-{dossier.id}-{n:04d}", leg_id=leg.id, dossier_id=dossier.id,
        event_type="dispatched" if n % 2 else "arrived", occurred_at=start + timedelta(minutes=n),
        recorded_at=start + timedelta(minutes=n), received_at=start + timedelta(minutes=n),
        actor_id=staff.id, post_office_code=office, outcome=EventOutcome.accepted,
    ) for n in range(1, events))
    session.flush()
    ingestion.derive(session, leg)
    projection.refresh_record(session, dossier)  # the public record as the consumer would rebuild it
    session.commit()
    assert leg.state == (LegState.in_transit if (events - 1) % 2 else LegState.arrived)
    return staff, dossier, leg


def _batch(session, engine, staff, dossier):
    office = staff.post_office.code
    at = NOW - timedelta(hours=2)
    last = session.scalar(select(ShipmentEvent.event_type).where(ShipmentEvent.dossier_id == dossier.id)
                          .order_by(ShipmentEvent.occurred_at.desc()).limit(1))
    types = ["arrived", "dispatched", "arrived"] if last == "dispatched" else ["dispatched", "arrived", "dispatched"]
    batch = [{"event_id": f"new-event-{dossier.id}-{n}", "type": kind, "post_office_code": office,
              "occurred_at": (at + timedelta(minutes=n)).isoformat()} for n, kind in enumerate(types)]
    session.expire_all()
    with counting(engine) as seen:
        results = ingestion.record_events(session, actor=staff, events=batch, now=NOW, dossier_code=dossier.code)
        session.flush()
    assert [r.status for r in results] == ["accepted"] * 3, results
    return seen


@pytest.mark.parametrize("history", [500])
def test_a_batch_costs_the_same_after_5_and_after_500_events(app, session, history):
    engine = app.extensions["engine"]
    short = _batch(session, engine, *_leg_with_history(session, 5)[:2])
    long = _batch(session, engine, *_leg_with_history(session, history)[:2])
    assert long.statements == short.statements, (short.log, long.log)
    # nothing of the history is read: the same rows come back whatever its length
    assert long.rows_read == short.rows_read, "\n".join(long.log)
    assert long.rows_read < 60


def test_the_public_timeline_appended_by_a_batch_is_the_one_a_rebuild_gives(app, session):
    staff, dossier, _ = _leg_with_history(session, 5)
    record = session.scalar(select(LookupRecord).where(LookupRecord.dossier_id == dossier.id))
    before = list(record.timeline)
    _batch(session, app.extensions["engine"], staff, dossier)
    session.flush()
    assert len(record.timeline) == len(before) + 3
    assert record.timeline == projection._timeline(session, dossier)


def test_an_event_placed_inside_the_history_still_replays_it(app, session):
    """A late upload landing before the leg's latest event is judged at its place (the history is replayed)."""
    staff, dossier, leg = _leg_with_history(session, 5)
    late = {"event_id": f"late-event-{dossier.id}", "type": "handed_to_agency",
            "post_office_code": staff.post_office.code,
            "occurred_at": (NOW - timedelta(days=20) + timedelta(minutes=2, seconds=30)).isoformat(),
            "details": {"officer_name": "Lê Thị Cán Bộ"}}
    results = ingestion.record_events(session, actor=staff, events=[late], now=NOW - timedelta(days=19),
                                      dossier_code=dossier.code)
    assert results[0].status == "accepted", results
    # handed to the agency between the 2nd and 3rd move: the later moves no longer fit and are rejected
    assert leg.state == LegState.handed_to_agency
    outcomes = dict(session.execute(select(ShipmentEvent.occurred_at, ShipmentEvent.outcome)
                                    .where(ShipmentEvent.leg_id == leg.id)).all())
    assert sorted(outcomes.values()).count(EventOutcome.rejected) == 2

"""SLA clocks: every state of each clock, the 24-hour return clock across weekends and holidays,
and the breach scan raising each breach exactly once, even run twice or concurrently."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import Role
from postal_gateway.core.config import Settings
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.dossiers.models import DossierStatus
from postal_gateway.notifications.models import OutboxMessage
from tests import factories
from tracking import services, sla
from tracking.models import SlaBreach
from tracking.sla import SlaState, clock_state

VN = timezone(timedelta(hours=7))
START = datetime(2026, 11, 16, 8, 0, tzinfo=VN)


@pytest.mark.parametrize(
    ("hours_later", "stopped", "expected"),
    [
        (1, None, SlaState.on_time),
        (17, None, SlaState.on_time),
        (18, None, SlaState.at_risk),  # 75 % of 24 h used
        (24, None, SlaState.at_risk),  # due exactly now: not yet late
        (25, None, SlaState.breached),
        (30, 23, SlaState.on_time),  # stopped in time stays on time for ever
        (30, 26, SlaState.breached),  # stopped late
    ],
)
def test_clock_states(hours_later, stopped, expected):
    state = clock_state(
        started_at=START, due_at=START + timedelta(hours=24), now=START + timedelta(hours=hours_later),
        stopped_at=START + timedelta(hours=stopped) if stopped is not None else None, at_risk_share=0.75,
    )
    assert state == expected


def test_at_risk_share_is_configurable(monkeypatch):
    args = dict(started_at=START, due_at=START + timedelta(hours=10), now=START + timedelta(hours=6))
    assert clock_state(**args, at_risk_share=0.5) == SlaState.at_risk
    assert clock_state(**args, at_risk_share=0.9) == SlaState.on_time
    monkeypatch.setenv("TRACKING_AT_RISK_SHARE", "0.5")
    assert clock_state(**args, at_risk_share=Settings.from_environment(secret_key="x").tracking_at_risk_share) \
        == SlaState.at_risk
    for unusable in ("1.5", "0", "half"):
        monkeypatch.setenv("TRACKING_AT_RISK_SHARE", unusable)
        assert Settings.from_environment(secret_key="x").tracking_at_risk_share == 0.75


def test_a_clock_not_started_has_no_state():
    assert clock_state(started_at=None, due_at=None, now=START) is None


@pytest.mark.parametrize(
    ("available", "due"),
    [
        # Friday afternoon: due Saturday afternoon; clock hours, the weekend does not stop it
        (datetime(2026, 11, 20, 15, 30, tzinfo=VN), datetime(2026, 11, 21, 15, 30, tzinfo=VN)),
        # eve of National Day (2 September 2026 is a holiday): due on the holiday itself
        (datetime(2026, 9, 1, 16, 45, tzinfo=VN), datetime(2026, 9, 2, 16, 45, tzinfo=VN)),
        # Tết 2027 (6 February is the 30th of the last lunar month): still 24 hours
        (datetime(2027, 2, 5, 10, 0, tzinfo=VN), datetime(2027, 2, 6, 10, 0, tzinfo=VN)),
    ],
)
def test_return_clock_is_24_clock_hours_across_weekends_and_holidays(session, available, due):
    """Điều 25.2: the commitment clock counts clock hours; without a contract the delivery is due then too."""
    dossier = factories.postal_dossier(session)
    leg = services.open_return_leg(session, dossier=dossier, result_available_at=available)
    assert leg.commitment_due_at == due
    assert leg.due_at == due and leg.due_basis == "default"
    assert clock_state(started_at=leg.started_at, due_at=leg.commitment_due_at,
                       now=due + timedelta(minutes=1)) == SlaState.breached


def test_forward_clock_without_contract_uses_the_default_and_says_so(session):
    dossier = factories.postal_dossier(session)
    leg = services.open_forward_leg(session, dossier=dossier, picked_up_at=START)
    assert leg.due_at == START + sla.DEFAULT_FULL_TRIP_TIME and leg.due_basis == "default"


def _overdue_world(session, now):
    office = factories.post_office(session, phone="+84271388000")
    staff = factories.user(session, Role.postal_staff, post_office=office)
    late = factories.postal_dossier(session, staff=staff, entered_at=now - timedelta(days=5),
                                    due_at=now + timedelta(days=3))
    services.open_forward_leg(session, dossier=late, picked_up_at=now - timedelta(days=4))  # 72 h: late
    fine = factories.postal_dossier(session, staff=staff, entered_at=now - timedelta(hours=2),
                                    due_at=now + timedelta(days=3))
    services.open_forward_leg(session, dossier=fine, picked_up_at=now - timedelta(hours=2))
    back = factories.postal_dossier(session, staff=staff, entered_at=now - timedelta(days=9),
                                    due_at=now - timedelta(days=1))  # appointment passed too
    services.open_return_leg(session, dossier=back, result_available_at=now - timedelta(hours=30))
    session.commit()
    return late, fine, back


def test_breaches_are_raised_once_with_event_and_message(session):
    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    late, fine, back = _overdue_world(session, now)
    first = sla.raise_breaches(session, now=now)
    session.commit()
    got = {(b.dossier_id, b.clock) for b in first}
    # no contract: the return leg's delivery and its 24-hour commitment (Điều 25.2) both ran out
    assert got == {(late.id, "forward"), (back.id, "return"), (back.id, "return_commitment"), (back.id, "appointment")}
    assert sla.raise_breaches(session, now=now + timedelta(minutes=5)) == []
    session.commit()
    assert session.scalar(select(func.count()).select_from(SlaBreach)) == 4
    events = session.scalars(select(IntegrationEvent).where(IntegrationEvent.event_type == "sla.breached")).all()
    assert sorted(e.payload["clock"] for e in events) == ["appointment", "forward", "return", "return_commitment"]
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "sla_breached")).all()
    assert len(messages) == 1 and "2 ho so" in messages[0].body and late.code in messages[0].body


def test_a_leg_completed_late_is_still_a_breach(session):
    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    officer_dossier = factories.postal_dossier(session, entered_at=now - timedelta(days=5))
    officer = factories.user(session, Role.agency_staff, agency_id=officer_dossier.agency_id)
    services.open_forward_leg(session, dossier=officer_dossier, picked_up_at=now - timedelta(days=4))
    services.record_handover_to_agency(session, dossier=officer_dossier, officer=officer, at=now - timedelta(hours=2))
    session.commit()
    assert [(b.clock, b.dossier_id) for b in sla.raise_breaches(session, now=now)] == [("forward", officer_dossier.id)]


@pytest.mark.commits  # threads on their own connections
def test_concurrent_scans_raise_each_breach_once(app, session):
    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    _overdue_world(session, now)
    engine = app.extensions["engine"]
    counts: list[int] = []
    barrier = threading.Barrier(4)

    def scan():
        with Session(engine) as own:
            barrier.wait()
            counts.append(len(sla.raise_breaches(own, now=now)))
            own.commit()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(counts) == 4
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SlaBreach)) == 4
    assert session.scalar(select(func.count()).select_from(IntegrationEvent).where(
        IntegrationEvent.event_type == "sla.breached")) == 4
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template == "sla_breached")) == 1


def test_celery_task_runs_the_scan(app, session, monkeypatch):
    from tracking import tasks

    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    _overdue_world(session, now)
    monkeypatch.setattr("postal_gateway.core.db.utcnow", lambda: now)
    assert tasks.scan_breaches.run() == 4
    assert tasks.scan_breaches.run() == 0
    assert "tracking-breach-scan" in tasks.BEAT_SCHEDULE


def test_clocks_follow_the_contract_in_force(session):
    """Forward: pickup + the contract's full-trip time for the zone; return (Điều 22.5, 25.2): due at the
    contract's return-leg zone time, committed within the contract's shorter commitment (12 h here)."""
    from contracts.services import attach_contract

    agency = factories.agency(session, province_code="70", district_code="689")
    proc = factories.procedure(session, agency)
    factories.contract(session, agency, return_commitment_hours=12)
    near = factories.post_office(session, province_code="70", district_code="689")
    far = factories.post_office(session, province_code="70", district_code="", address="Bình Long, Bình Phước")
    staff_near = factories.user(session, Role.postal_staff, post_office=near)
    staff_far = factories.user(session, Role.postal_staff, post_office=far)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=VN)
    same_commune = factories.postal_dossier(session, procedure=proc, staff=staff_near, entered_at=at)
    same_province = factories.postal_dossier(session, procedure=proc, staff=staff_far, entered_at=at)
    attach_contract(session, same_commune)  # the version and zones recorded at receipt
    leg = services.open_forward_leg(session, dossier=same_commune, picked_up_at=at)
    assert (leg.due_at, leg.due_basis, leg.zone) == (at + timedelta(hours=24), "contract", "same_commune")
    leg = services.open_forward_leg(session, dossier=same_province, picked_up_at=at)  # zone placed now
    assert (leg.due_at, leg.due_basis, leg.zone) == (at + timedelta(hours=48), "contract", "same_province")
    back = services.open_return_leg(session, dossier=same_commune, result_available_at=at + timedelta(days=5))
    assert (back.due_at, back.due_basis, back.zone) == (at + timedelta(days=5, hours=24), "contract", "same_commune")
    assert back.commitment_due_at == at + timedelta(days=5, hours=12)


def test_scan_on_sqlite_as_in_make_run(tmp_path):
    """`make run` uses SQLite: the portable path raises the same breaches, once."""
    from postal_gateway.core.db import make_engine
    from postal_gateway.models import metadata

    engine = make_engine(f"sqlite:///{tmp_path / 'scan.sqlite'}")
    metadata.create_all(engine)
    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    with Session(engine) as own:
        late, _fine, back = _overdue_world(own, now)
        got = {(b.dossier_id, b.clock) for b in sla.raise_breaches(own, now=now)}
        own.commit()
        assert got == {(late.id, "forward"), (back.id, "return"), (back.id, "return_commitment"),
                       (back.id, "appointment")}
        assert sla.raise_breaches(own, now=now) == []
        assert own.scalar(select(func.count()).select_from(IntegrationEvent)) == 4 + own.scalar(
            select(func.count()).select_from(IntegrationEvent).where(IntegrationEvent.event_type != "sla.breached"))
    engine.dispose()


def test_a_dossier_not_yet_accepted_is_named_by_its_shipment_number_in_the_breach_event(session):
    """Before the one-stop officer accepts it a postal dossier has no code (Điều 12.1.d, 14.4): a forward
    leg that runs out then is raised under the shipment number, in the event and in the office's digest."""
    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    dossier = factories.postal_dossier(
        session, entered_at=now - timedelta(days=6), code=None, status=DossierStatus.submitted, accepted_at=None,
        receipt_basis=None, received_at=None, processing_start_at=None, due_at=None, appointment_date=None,
    )
    services.open_forward_leg(session, dossier=dossier, picked_up_at=now - timedelta(days=5))
    session.commit()
    assert [(b.clock, b.dossier_id) for b in sla.raise_breaches(session, now=now)] == [("forward", dossier.id)]
    session.commit()
    event = session.scalars(select(IntegrationEvent).where(IntegrationEvent.event_type == "sla.breached")).one()
    assert event.aggregate_id == dossier.shipment_number == event.payload["dossier_code"]

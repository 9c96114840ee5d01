"""The SQL one postal submission sends (issue 16): a bounded number of statements, no lazy load, one savepoint,
the forward leg opened with one insert, the lookup record written once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import Role
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, CollectionPlace
from postal_gateway.dossiers.services import CollectedPayment, PostalSubmission, submit
from postal_gateway.lookup.models import LookupRecord
from tests import factories
from tracking.models import EventOutcome, ShipmentEvent, ShipmentLeg

ENTERED = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
#: what one submission without scans sends today, BEGIN and COMMIT aside (60 before issue 16; its aim is 15)
MAX_STATEMENTS = 22


@pytest.fixture()
def under_contract(session):
    agency = factories.agency(session, code="000.00.20.H10", province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, checklist=(), fee_vnd=50_000, level=4)
    staff = factories.user(session, Role.postal_staff)
    staff.post_office.province_code, staff.post_office.district_code = "70", "690"
    citizen = factories.user(session, Role.citizen)
    factories.consent(session, citizen, staff, now=ENTERED - timedelta(days=1))
    factories.contract(session, agency)
    session.commit()
    return staff, citizen, procedure


def _command(staff, citizen, procedure, key="key-1") -> PostalSubmission:
    return PostalSubmission(
        staff=staff, citizen=citizen, procedure_code=procedure.code, checklist_ticked=[], scans=[],
        collection_place=CollectionPlace.post_office, pickup_address="", delivery_address="",
        fee_collected=CollectedPayment(50_000, CollectionMethod.cash), postage_vnd=25_000,
        postage_collected=CollectedPayment(25_000, CollectionMethod.cash), submission_key=key,
        max_scan_bytes=1 << 20, entered_at=ENTERED,
    )


def test_a_submission_without_scans_sends_few_statements_and_loads_nothing_lazily(session, under_contract):
    staff, citizen, procedure = under_contract
    submit(session, _command(staff, citizen, procedure, key="first"))  # the worker's cash shift opens here, once
    session.commit()
    staff.post_office  # noqa: B018 - a request has the worker's post office at hand
    engine = session.get_bind()
    engine = getattr(engine, "engine", engine)
    statements: list[str] = []
    lazy_loads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def watch(state):
        if state.is_relationship_load:
            lazy_loads.append(str(state.statement)[:200])

    event.listen(engine, "before_cursor_execute", count)
    event.listen(Session, "do_orm_execute", watch)
    try:
        dossier = submit(session, _command(staff, citizen, procedure)).dossier
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(Session, "do_orm_execute", watch)
    session.commit()
    if statements and statements[0].startswith("SAVEPOINT"):  # the test harness's own transaction, not the intake's
        statements = statements[1:]

    assert lazy_loads == []
    assert len(statements) <= MAX_STATEMENTS, "\n".join(" ".join(s.split())[:120] for s in statements)
    assert sum(s.lstrip().upper().startswith("SAVEPOINT") for s in statements) == 1
    # the forward leg and its first event: one insert each, no read of a history
    assert sum(s.lstrip().startswith("INSERT INTO shipment_legs") for s in statements) == 1
    assert not any(s.lstrip().startswith(("UPDATE shipment_legs", "SELECT shipment_events")) for s in statements)
    # the lookup record written once, never read back nor updated in the same submission
    assert [s.lstrip().split()[0] for s in statements if "lookup_records" in s.split("(")[0]] == ["INSERT"]

    leg = session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id)).one()
    assert (leg.state.value, leg.started_at, leg.due_basis) == ("at_post_office", ENTERED, "contract")
    first = session.scalars(select(ShipmentEvent).where(ShipmentEvent.leg_id == leg.id)).one()
    assert first.outcome == EventOutcome.accepted and first.event_id == f"intake:{dossier.shipment_number}"
    record = session.scalars(select(LookupRecord).where(LookupRecord.dossier_id == dossier.id)).one()
    assert record.status == "submitted" and len(record.timeline) == 2
    assert len(session.scalars(select(CollectedAmount).where(CollectedAmount.dossier_id == dossier.id)).all()) == 2

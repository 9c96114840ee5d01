"""The audit log: acts name actor and citizen, rows are never changed (ORM and PostgreSQL trigger)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from postal_gateway.accounts.models import Role
from postal_gateway.consents import audit
from postal_gateway.consents.models import AuditEntry
from postal_gateway.core.domain import Forbidden
from tests import factories

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture()
def people(session):
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session)
    consent = factories.consent(session, citizen, staff)
    return staff, citizen, consent


def test_record_names_actor_citizen_and_consent(session, people):
    staff, citizen, consent = people
    entry = audit.record(
        session, action="dossier.submitted", subject_type="dossier", subject_id=7, actor=staff,
        on_behalf_of=citizen, consent=consent, details={"code": "000.00.20.H10-260302-0001"}, at=T0,
    )
    session.commit()
    stored = session.get(AuditEntry, entry.id)
    assert (stored.actor_id, stored.on_behalf_of_id, stored.consent_id) == (staff.id, citizen.id, consent.id)
    assert stored.details == {"code": "000.00.20.H10-260302-0001"}
    assert stored.at == T0


def test_acting_for_a_citizen_without_consent_is_refused(session, people):
    staff, citizen, _consent = people
    with pytest.raises(Forbidden):
        audit.record(session, action="dossier.submitted", subject_type="dossier", subject_id=1,
                     actor=staff, on_behalf_of=citizen)
    assert session.query(AuditEntry).count() == 0


def test_someone_elses_consent_does_not_cover_a_citizen(session, people):
    staff, _citizen, consent = people
    other = factories.user(session)
    with pytest.raises(Forbidden):
        audit.record(session, action="dossier.submitted", subject_type="dossier", subject_id=1,
                     actor=staff, on_behalf_of=other, consent=consent)


def test_database_refuses_behalf_without_consent(session, people):
    staff, citizen, _consent = people
    session.add(AuditEntry(actor_id=staff.id, on_behalf_of_id=citizen.id, action="x", subject_type="dossier"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_orm_refuses_to_update_an_entry(session, people):
    staff, _citizen, _consent = people
    entry = audit.record(session, action="consent.requested", subject_type="consent", subject_id=1, actor=staff)
    session.commit()
    entry.action = "consent.forged"
    with pytest.raises(audit.AuditLogIsAppendOnly, match="append-only"):
        session.flush()
    session.rollback()
    assert session.get(AuditEntry, entry.id).action == "consent.requested"


def test_orm_refuses_to_delete_an_entry(session, people):
    staff, _citizen, _consent = people
    entry = audit.record(session, action="consent.requested", subject_type="consent", subject_id=1, actor=staff)
    session.commit()
    session.delete(entry)
    with pytest.raises(audit.AuditLogIsAppendOnly):
        session.flush()
    session.rollback()
    assert session.query(AuditEntry).count() == 1


def test_orm_refuses_bulk_update_and_delete(session, people):
    staff, _citizen, _consent = people
    audit.record(session, action="consent.requested", subject_type="consent", subject_id=1, actor=staff)
    session.commit()
    with pytest.raises(audit.AuditLogIsAppendOnly):
        session.execute(update(AuditEntry).values(action="x"))
    with pytest.raises(audit.AuditLogIsAppendOnly):
        session.execute(delete(AuditEntry))
    session.rollback()
    assert session.query(AuditEntry).one().action == "consent.requested"


def test_unchanged_entries_in_a_flush_are_fine(session, people):
    staff, _citizen, consent = people
    entry = audit.record(session, action="consent.requested", subject_type="consent", subject_id=1, actor=staff)
    entry.action = entry.action  # same value: not a modification
    consent.revocation_reason = "khác"  # other rows still flush
    session.flush()
    session.commit()


@pytest.fixture()
def append_only_trigger(app):
    engine = app.extensions["engine"]
    with engine.begin() as connection:
        # The schema setup may already install it; then leave it installed afterwards.
        already = connection.execute(
            text("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_entries_append_only'")
        ).scalar()
        audit.install_append_only_trigger(connection)
        audit.install_append_only_trigger(connection)  # idempotent
    yield engine
    with engine.begin() as connection:
        audit.drop_append_only_trigger(connection)
        if already:
            audit.install_append_only_trigger(connection)


@pytest.mark.commits  # a second connection changes the trigger and reads the rows
def test_postgresql_trigger_refuses_raw_update_and_delete(session, people, append_only_trigger):
    staff, _citizen, _consent = people
    entry = audit.record(session, action="consent.requested", subject_type="consent", subject_id=1, actor=staff)
    session.commit()
    engine = append_only_trigger
    assert engine.dialect.name == "postgresql"
    for statement in ("UPDATE audit_entries SET action = 'forged'", "DELETE FROM audit_entries"):
        with engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_entries")).scalars().all() == ["consent.requested"]
        # Inserting is still allowed.
        connection.execute(
            text("INSERT INTO audit_entries (at, action, subject_type, details) VALUES (now(), 'x', 'y', '{}')")
        )
        connection.commit()
    # And it is the trigger that refused: once dropped, the same UPDATE goes through.
    with engine.begin() as connection:
        audit.drop_append_only_trigger(connection)
        connection.execute(text("UPDATE audit_entries SET action = 'changed' WHERE id = :id"), {"id": entry.id})


def test_history_for_is_chronological_and_acts_on_behalf_newest_first(session, people):
    staff, citizen, consent = people
    other = factories.user(session)
    audit.record(session, action="dossier.submitted", subject_type="dossier", subject_id=5, actor=staff,
                 on_behalf_of=citizen, consent=consent, at=T0 + timedelta(minutes=1))
    audit.record(session, action="dossier.received", subject_type="dossier", subject_id=5, actor=staff, at=T0)
    audit.record(session, action="dossier.returned", subject_type="dossier", subject_id=5, actor=staff,
                 on_behalf_of=citizen, consent=consent, at=T0 + timedelta(hours=1))
    audit.record(session, action="dossier.submitted", subject_type="dossier", subject_id=6, actor=other)
    session.commit()
    assert [e.action for e in audit.history_for(session, "dossier", 5)] == [
        "dossier.received", "dossier.submitted", "dossier.returned"]
    assert [e.action for e in audit.acts_on_behalf_of(session, citizen.id)] == [
        "dossier.returned", "dossier.submitted"]
    assert audit.acts_on_behalf_of(session, other.id) == []

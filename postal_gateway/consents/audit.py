"""The append-only audit log: who did what, and on whose behalf under which consent (R-02).

Rows are only ever inserted. Three guards keep it so:
- ``before_flush``: the ORM refuses to flush a changed or deleted AuditEntry;
- ``do_orm_execute``: the ORM refuses bulk ``update(AuditEntry)`` / ``delete(AuditEntry)``;
- on PostgreSQL (and SQLite) a trigger refuses UPDATE and DELETE from any client, raw SQL included.
  ``install_append_only_trigger(connection)`` installs it (from the Alembic migration and the tests).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import User
from postal_gateway.consents.models import AuditEntry, Consent
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, Forbidden


class AuditLogIsAppendOnly(RuntimeError):
    """Someone tried to change or delete an audit entry: a programming error, never user input."""


def record(
    session: Session,
    *,
    action: str,
    subject_type: str,
    subject_id: int | None,
    actor: User | None,
    on_behalf_of: User | None = None,
    consent: Consent | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry and flush it. An act on a citizen's behalf must name that citizen's consent."""
    if on_behalf_of is not None:
        if consent is None:
            raise Forbidden(N_("Chưa có ủy quyền hợp lệ của công dân cho thao tác này."))
        if consent.citizen_id != on_behalf_of.id:
            raise Forbidden(N_("Ủy quyền này không phải của công dân được nêu."))
    entry = AuditEntry(
        at=at or utcnow(),
        actor_id=actor.id if actor is not None else None,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of is not None else None,
        consent_id=consent.id if consent is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=dict(details or {}),
    )
    session.add(entry)
    session.flush()
    return entry


def history_for(session: Session, subject_type: str, subject_id: int) -> list[AuditEntry]:
    """Everything recorded about one subject, oldest first (a timeline)."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


def acts_on_behalf_of(session: Session, citizen_id: int) -> list[AuditEntry]:
    """Every act anyone took on this citizen's behalf, newest first (what the citizen reads)."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.on_behalf_of_id == citizen_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )


# --- guards -------------------------------------------------------------------------------------


def _refuse_changes_to_audit_entries(session: Session, _flush_context, _instances) -> None:
    for row in session.deleted:
        if isinstance(row, AuditEntry):
            raise AuditLogIsAppendOnly(f"audit entry {row.id} cannot be deleted: the audit log is append-only")
    for row in session.dirty:
        if isinstance(row, AuditEntry) and session.is_modified(row, include_collections=False):
            raise AuditLogIsAppendOnly(f"audit entry {row.id} cannot be changed: the audit log is append-only")


def _refuse_bulk_changes_to_audit_entries(state) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and getattr(table, "name", None) == AuditEntry.__tablename__:
        raise AuditLogIsAppendOnly("audit entries cannot be updated or deleted: the audit log is append-only")


def install_guards() -> None:
    """Refuse, in every Session of the process, to change or delete an audit entry (the database
    trigger refuses it again on PostgreSQL); postal_gateway.bootstrap calls it once per process."""
    if not event.contains(Session, "before_flush", _refuse_changes_to_audit_entries):
        event.listen(Session, "before_flush", _refuse_changes_to_audit_entries)
        event.listen(Session, "do_orm_execute", _refuse_bulk_changes_to_audit_entries)


#: PostgreSQL: a plpgsql function that refuses, and a row trigger calling it before UPDATE and DELETE.
#: Several statements in one string (no bind parameters, no % or : in it), run as one batch.
APPEND_ONLY_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit_entries is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$;
DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries;
CREATE TRIGGER audit_entries_append_only
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
"""

DROP_APPEND_ONLY_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries;
DROP FUNCTION IF EXISTS audit_entries_append_only();
"""

#: SQLite (development database): the same guard, one statement per item (sqlite3 runs one at a time).
SQLITE_APPEND_ONLY_TRIGGER_STATEMENTS = (
    "CREATE TRIGGER IF NOT EXISTS audit_entries_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END",
)
SQLITE_DROP_APPEND_ONLY_TRIGGER_STATEMENTS = (
    "DROP TRIGGER IF EXISTS audit_entries_no_update",
    "DROP TRIGGER IF EXISTS audit_entries_no_delete",
)


def install_append_only_trigger(connection: Connection) -> None:
    """Install the database guard (idempotent). Call with ``op.get_bind()`` in a migration."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(APPEND_ONLY_TRIGGER_SQL)
    elif connection.dialect.name == "sqlite":
        for statement in SQLITE_APPEND_ONLY_TRIGGER_STATEMENTS:
            connection.exec_driver_sql(statement)


def drop_append_only_trigger(connection: Connection) -> None:
    """Remove the database guard (the migration's downgrade)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(DROP_APPEND_ONLY_TRIGGER_SQL)
    elif connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP_APPEND_ONLY_TRIGGER_STATEMENTS:
            connection.exec_driver_sql(statement)

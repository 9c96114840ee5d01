"""One lock for the money of one dossier, held until the caller's transaction ends.

Starting a payment, settling one and authorising a refund each read what was paid and then write
on that basis; two of them interleaved would both act on the same stale figure (two open attempts,
a fee counted twice, refunds beyond what was paid). They therefore take this lock first, always
in the same order (the dossier, then its payments), so they run one after the other per dossier.

PostgreSQL: a row lock on the dossier (SELECT ... FOR UPDATE); under READ COMMITTED every later
statement of the transaction sees what the previous holder committed.
SQLite has no row locks: the transaction takes the database's write lock up front
(BEGIN IMMEDIATE), so writers are serialised and the reads that follow are current.
"""
from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from postal_gateway.dossiers.models import Dossier


def lock_dossier_money(session: Session, dossier_id: int) -> None:
    """Serialise this transaction with every other money transaction of ``dossier_id``."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        _take_sqlite_write_lock(connection)
    else:
        session.execute(select(Dossier.id).where(Dossier.id == dossier_id).with_for_update())


def _take_sqlite_write_lock(connection: Connection) -> None:
    """BEGIN IMMEDIATE unless the driver already opened a transaction.

    The sqlite3 driver opens a transaction only before a data-changing statement, and that
    statement already took the write lock: then the lock is held and nothing more is needed.
    Otherwise no transaction is open yet and BEGIN IMMEDIATE waits (busy_timeout) for the lock.
    """
    driver_connection = connection.connection.driver_connection
    if not driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

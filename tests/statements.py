"""Count the SQL statements (and the rows they return) that a piece of work sends to the database.

    with counting(engine) as seen:
        client.get("/dossiers")
    assert seen.statements <= 8, seen.log

Savepoints count as statements: they are round trips too."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event


@dataclass
class Seen:
    statements: int = 0
    #: rows returned by SELECTs (and RETURNING), as the driver reports them
    rows_read: int = 0
    log: list[str] = field(default_factory=list)


@contextmanager
def counting(engine):
    seen = Seen()

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.statements += 1
        if cursor.description is not None and cursor.rowcount and cursor.rowcount > 0:
            seen.rows_read += cursor.rowcount
        seen.log.append(f"[{cursor.rowcount}] " + " ".join(statement.split())[:160])

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", after)

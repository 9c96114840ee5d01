"""Database plumbing shared by every area: the declarative base, the UTC column type and sessions.

Domain services receive a ``Session`` argument and never import Flask; the web layer hands them
``db_session()``, which lives for one request.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from postal_gateway.core.unicode_text import normalise_text_columns

# Stable constraint names, so Alembic migrations are identical on PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every text column of every model stores NFC, so NFD and NFC spellings of a name find each
        # other; the columns are known once the class's mapper is configured.
        event.listen(cls, "mapper_configured", normalise_text_columns)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored in UTC on every backend.

    SQLite has no time zones, so values are stored there as naive UTC and made aware on load.
    A naive datetime is refused: its meaning depends on the server's zone, which we never trust.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a time zone")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - per connection
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=20)


SessionFactory = sessionmaker(expire_on_commit=False)
db_session = scoped_session(SessionFactory)


def bind_engine(engine: Engine) -> None:
    SessionFactory.configure(bind=engine)
    db_session.remove()


def bind_once(database_url: str) -> None:
    """Bind the shared session factory in a bare worker process; a process already bound (the app,
    an earlier task) keeps its engine."""
    if SessionFactory.kw.get("bind") is None:
        bind_engine(make_engine(database_url))

"""The Alembic migrations build exactly the schema the models describe, on PostgreSQL and SQLite."""
from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from postal_gateway.core.config import PROJECT_ROOT
from postal_gateway.models import metadata
from tests.conftest import ADMIN_URL, _database_url


def _upgrade_and_diff(url: str) -> list:
    engine = create_engine(url)
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    return differences


@pytest.mark.slow  # runs the whole Alembic chain (seconds): `make test` runs it
def test_migrations_match_models_on_sqlite(tmp_path):
    assert _upgrade_and_diff(f"sqlite:///{tmp_path / 'fresh.sqlite'}") == []


@pytest.fixture()
def empty_postgres_database():
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"pg_migrate_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield _database_url(ADMIN_URL, name)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.slow
def test_migrations_match_models_on_postgresql(empty_postgres_database):
    assert _upgrade_and_diff(empty_postgres_database) == []

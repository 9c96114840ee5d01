"""Test harness: a fresh PostgreSQL database per run (per xdist worker), each test rolled back.

Each test runs inside one outer transaction that is rolled back at its end: the app's scoped session
is bound to that connection with ``join_transaction_mode="create_savepoint"``, so the views' own
``commit()`` and ``rollback()`` calls only release or roll back savepoints. Tests that must really
commit (other threads or connections, the live server, a second app or engine, the worker, the
relay) carry ``@pytest.mark.commits`` or use a fixture that implies it (``COMMITTING_FIXTURES``);
every table is emptied after them. A test that leaves rows behind without the marker is reported.

PostgreSQL must be reachable; the run stops loudly otherwise, it never falls back to SQLite.
"""
from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from postal_gateway.accounts import passwords
from postal_gateway.app import create_app
from postal_gateway.calendar import store as calendar_store
from postal_gateway.consents.audit import install_append_only_trigger
from postal_gateway.core.config import Settings
from postal_gateway.core.db import SessionFactory, db_session
from postal_gateway.models import metadata
from postal_gateway.web import throttling
from tests import factories
from tests.held_messages import held_dispatcher

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


# Property tests: `make test` tries 200 examples of each; `make test-fast` (--hypothesis-profile=quick) 30.
hypothesis_settings.register_profile("thorough", max_examples=200)
hypothesis_settings.register_profile("quick", max_examples=30)
hypothesis_settings.load_profile("thorough")

@pytest.fixture(scope="session")
def database_url():
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to connect is fatal
        pytest.exit(f"PostgreSQL is not reachable at {ADMIN_URL}: {error}", returncode=3)
    name = f"pg_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = _database_url(ADMIN_URL, name)
    with admin.connect() as connection:
        # A throw-away database need not wait for the disk at each commit: the committing tests commit
        # often, and what they check (visibility, locks, constraints) does not depend on durability.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    engine = create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        install_append_only_trigger(connection)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Argon2 at the production cost spends about 0.4 s of CPU on each hash and each verification:
    registrations, password resets, the demo's accounts and every log-in attempt for an unknown account
    would spend minutes of the run on it. The tests check which hashes are made and verified, not how
    hard they are to crack; the argon2 algorithm is the same."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def _app(database_url, instance_dir):
    # The local VNPay sandbox is on, as in `make run`, for the app and for worker code run outside a
    # request (threads, eager tasks), which is handed the app's settings (config.process_settings).
    os.environ["VNPAY_SANDBOX"] = "1"
    os.environ["ZALO_SANDBOX"] = "1"  # the local Zalo sandbox too, as in `make run`
    settings = Settings.from_environment(
        database_url=database_url,
        instance_dir=instance_dir,
        secret_key="test-secret-key",
        testing=True,
        log_format="plain",  # the suite reads plain logs; JSON logs have their own tests
        public_base_url="http://testserver",
    )
    return create_app(settings, notification_dispatcher=held_dispatcher)  # no worker runs under test


#: Fixtures whose tests need real commits: a server thread, a second app (and engine), a browser.
COMMITTING_FIXTURES = frozenset({"live_server", "browser", "phone", "make_app"})

#: A test that drives headless Chromium uses one of these.
BROWSER_FIXTURES = frozenset({"live_server", "browser", "phone"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & BROWSER_FIXTURES and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
        if fixtures & COMMITTING_FIXTURES and not item.get_closest_marker("commits"):
            item.add_marker(pytest.mark.commits)


_LEFT_ROWS_PROBE = text(
    " UNION ALL ".join(
        f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM \"{table.name}\")" for table in metadata.sorted_tables
    )
)

#: Every sequence owned by a column of the schema's tables (serial or identity), at its start again.
_RESTART_SEQUENCES = text(
    """
    SELECT setval(sequence.oid, pg_sequence.seqstart, false)
    FROM pg_class AS sequence
    JOIN pg_sequence ON pg_sequence.seqrelid = sequence.oid
    JOIN pg_depend ON pg_depend.objid = sequence.oid AND pg_depend.classid = 'pg_class'::regclass
        AND pg_depend.refclassid = 'pg_class'::regclass AND pg_depend.deptype IN ('a', 'i')
    JOIN pg_class AS owner ON owner.oid = pg_depend.refobjid
    WHERE sequence.relkind = 'S' AND owner.relname = ANY(:tables)
    """
)


def _left_rows(engine) -> list[str]:
    """The tables holding rows, in one cheap query (each probe stops at the first row)."""
    with engine.connect() as connection:
        return list(connection.execute(_LEFT_ROWS_PROBE).scalars())


def _empty_all_tables(engine) -> None:
    """Leave every table empty and every id sequence at its start, as TRUNCATE ... RESTART IDENTITY would.

    TRUNCATE of all the tables takes seconds even when they are empty (it gives each table and index a
    new file); deleting the rows of the few tables a test filled takes milliseconds. The deletion runs
    in the replica role, which fires no trigger: neither the foreign keys (so the order does not
    matter) nor the audit trail's append-only guard. Only a superuser may take that role; any other
    test account truncates as before.
    """
    with engine.begin() as connection:
        if not connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
            tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for name in connection.execute(_LEFT_ROWS_PROBE).scalars():
            connection.execute(text(f'DELETE FROM "{name}"'))
        connection.execute(_RESTART_SEQUENCES, {"tables": [table.name for table in metadata.sorted_tables]})


@pytest.fixture()
def app(_app, request):
    _app.config["WTF_CSRF_ENABLED"] = False
    engine = _app.extensions["engine"]
    committing = request.node.get_closest_marker("commits") is not None
    connection = None
    if not committing:
        connection = engine.connect()
        outer = connection.begin()
        SessionFactory.configure(bind=connection, join_transaction_mode="create_savepoint")
        db_session.remove()
    try:
        with _app.app_context():
            yield _app
    finally:
        db_session.remove()
        if connection is not None:
            outer.rollback()
            connection.close()
        # Some tests bind the session elsewhere (another app); every test starts from the engine.
        SessionFactory.configure(bind=engine, join_transaction_mode="conditional_savepoint")
        if committing:
            _empty_all_tables(engine)
        else:
            leaked = _left_rows(engine)
            if leaked:
                _empty_all_tables(engine)
                warnings.warn(
                    f"{request.node.nodeid} committed rows outside its rolled-back transaction "
                    f"({', '.join(sorted(leaked))}); mark it @pytest.mark.commits",
                    pytest.PytestWarning,
                    stacklevel=1,
                )
        calendar_store.invalidate_cache()
        throttling.limiter.reset()  # each test starts with no failed log-ins counted


@pytest.fixture()
def client(app, fresh_login_per_request):
    return app.test_client()


@pytest.fixture()
def fresh_login_per_request(monkeypatch):
    """The app fixture keeps one app context for the whole test, so Flask-Login's per-request
    cache (g._login_user) would leak from one request to the next; real requests never share it.
    Every test client gets it."""
    from flask import g
    from flask.testing import FlaskClient

    original = FlaskClient.open

    def open_fresh(self, *args, **kwargs):
        g.pop("_login_user", None)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FlaskClient, "open", open_fresh)


def log_in(client, user, password: str = factories.DEFAULT_PASSWORD):
    """Log in through the login form with the test client; `user` is a User or the identifier typed."""
    identifier = user if isinstance(user, str) else user.email or user.id_number
    response = client.post("/login", data={"identifier": identifier, "password": password})
    assert response.status_code in (302, 303), f"log-in refused for {identifier}"
    return response


def log_in_on_page(page, base_url: str, user, password: str = factories.DEFAULT_PASSWORD) -> None:
    """Log in through the login form in a browser page; `user` is a User or the identifier typed."""
    identifier = user if isinstance(user, str) else user.email or user.id_number
    page.goto(f"{base_url}/login")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    page.click("button[type=submit]")


@pytest.fixture()
def session(app):
    """The request-scoped session, outside a request: commit explicitly to make rows visible."""
    return db_session()


@pytest.fixture()
def live_server(app):
    """The app served over real HTTP on a free loopback port, for the browser tests."""
    import threading

    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    app.config["WTF_CSRF_ENABLED"] = False


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.exit(f"Chromium not found at {CHROMIUM}; `make test` installs it", returncode=3)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture()
def phone(browser):
    """A 360 px wide page, like the postal staff's phones."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=1, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def save_screenshot(page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

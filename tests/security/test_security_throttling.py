"""Guessing is throttled: log-in (page and API token, one count), password-reset and one-time-code
requests, per account and per client, with Retry-After; the client is never taken from a raw
X-Forwarded-For header."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from postal_gateway.accounts import passwords, throttles
from postal_gateway.accounts.models import Role
from postal_gateway.app import trust_reverse_proxies
from postal_gateway.core.config import Settings
from tests import factories

ACCOUNT_LIMIT = int(throttles.FAILED_LOGINS_PER_ACCOUNT.split()[0])
CLIENT_LIMIT = int(throttles.FAILED_LOGINS_PER_CLIENT.split()[0])
WRONG = "sai-mat-khau-2026"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Unknown accounts are checked against a dummy hash of the real cost; these tests make
    hundreds of failed log-ins, so use the factories' cheap parameters for it."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture()
def staff(session):
    user = factories.user(session, Role.postal_staff, email="buudien@example.vn", phone="+84912000111")
    session.commit()
    return user


def page_login(client, identifier, password, address="203.0.113.7", headers=None):
    return client.post(
        "/login", data={"identifier": identifier, "password": password},
        environ_base={"REMOTE_ADDR": address}, headers=headers or {},
    )


def api_login(client, identifier, password, address="203.0.113.7"):
    return client.post(
        "/api/v1/token", json={"identifier": identifier, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def assert_throttled(response, window_seconds=15 * 60):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= window_seconds


def test_thirty_wrong_passwords_do_not_all_get_a_try(client, staff):
    statuses = [page_login(client, staff.email, WRONG).status_code for _ in range(30)]
    assert statuses == [401] * ACCOUNT_LIMIT + [429] * (30 - ACCOUNT_LIMIT)
    # The right password waits too: otherwise the 31st guess could still be the lucky one.
    response = page_login(client, staff.email, factories.DEFAULT_PASSWORD)
    assert_throttled(response)
    assert "thử quá nhiều lần" in response.get_data(as_text=True)


def test_account_limit_holds_across_clients_and_spellings(client, staff):
    for attempt in range(ACCOUNT_LIMIT):
        spelling = staff.email.upper() if attempt % 2 else f"  {staff.email} "
        assert page_login(client, spelling, WRONG, address=f"198.51.100.{attempt + 1}").status_code == 401
    assert_throttled(page_login(client, staff.email, factories.DEFAULT_PASSWORD, address="192.0.2.200"))


def test_unknown_accounts_are_throttled_alike(client):
    statuses = [page_login(client, "khong-ai@example.vn", WRONG).status_code for _ in range(ACCOUNT_LIMIT + 1)]
    assert statuses == [401] * ACCOUNT_LIMIT + [429]


def test_page_and_api_share_one_count_and_the_api_answers_problem_json(client, staff):
    for attempt in range(ACCOUNT_LIMIT):
        login = page_login if attempt % 2 else api_login
        assert login(client, staff.email, WRONG).status_code == 401
    response = api_login(client, staff.email, factories.DEFAULT_PASSWORD)
    assert_throttled(response)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 429


def test_one_client_spraying_many_accounts_is_throttled(client, staff):
    for number in range(CLIENT_LIMIT):
        assert api_login(client, f"nguoi{number}@example.vn", WRONG).status_code == 401
    assert_throttled(api_login(client, staff.email, factories.DEFAULT_PASSWORD))
    # Another client, and this account from it, are not affected.
    assert api_login(client, staff.email, factories.DEFAULT_PASSWORD, address="192.0.2.9").status_code == 200


def test_successful_log_ins_do_not_count(client, staff):
    """A post office's staff all log in each morning from one address."""
    for _ in range(CLIENT_LIMIT + 5):
        assert page_login(client, staff.email, factories.DEFAULT_PASSWORD).status_code == 302


def test_forged_forwarded_for_does_not_make_a_new_client(client):
    for number in range(CLIENT_LIMIT):
        forged = {"X-Forwarded-For": f"10.9.{number}.1"}
        assert page_login(client, f"nguoi{number}@example.vn", WRONG, headers=forged).status_code == 401
    assert_throttled(page_login(client, "nguoi-khac@example.vn", WRONG, headers={"X-Forwarded-For": "10.9.99.1"}))


def test_behind_a_trusted_proxy_the_client_is_what_the_proxy_saw(app, client, monkeypatch):
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # put back after the test
    trust_reverse_proxies(app, 1)
    proxy = "10.0.0.2"
    for number in range(CLIENT_LIMIT):
        # The left entry is the client's own claim; only the right one, added by our proxy, counts.
        forwarded = {"X-Forwarded-For": f"192.0.2.{number}, 198.51.100.20"}
        assert page_login(client, f"nguoi{number}@example.vn", WRONG, address=proxy, headers=forwarded).status_code == 401
    blocked = {"X-Forwarded-For": "192.0.2.250, 198.51.100.20"}
    assert_throttled(page_login(client, "nguoi-khac@example.vn", WRONG, address=proxy, headers=blocked))
    other_client = {"X-Forwarded-For": "198.51.100.21"}
    assert page_login(client, "nguoi-khac@example.vn", WRONG, address=proxy, headers=other_client).status_code == 401


def test_password_reset_requests_are_throttled_per_account_and_per_client(client, staff):
    per_account = int(throttles.RESET_REQUESTS_PER_ACCOUNT.split()[0])
    for attempt in range(per_account):
        response = client.post("/password/forgot", data={"identifier": staff.email}, environ_base={"REMOTE_ADDR": f"198.51.100.{attempt + 1}"})
        assert response.status_code == 302
    response = client.post("/password/forgot", data={"identifier": staff.email}, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert_throttled(response, window_seconds=3600)

    per_client = int(throttles.CODE_REQUESTS_PER_CLIENT.split()[0])
    for number in range(per_client):
        assert client.post("/password/forgot", data={"identifier": f"nguoi{number}@example.vn"}).status_code == 302
    assert_throttled(client.post("/password/forgot", data={"identifier": "nguoi-khac@example.vn"}), window_seconds=3600)


def test_wrong_reset_codes_are_throttled_per_account_even_without_the_field(client, staff):
    per_account = int(throttles.FAILED_RESET_CODES_PER_ACCOUNT.split()[0])
    client.post("/password/forgot", data={"identifier": staff.email})
    form = {"code": "000000", "new_password": "mat-khau-moi-2026", "confirm_password": "mat-khau-moi-2026"}
    for attempt in range(per_account):
        # Alternating clients, and leaving the identifier to the session, change nothing.
        data = form if attempt % 2 else {**form, "identifier": staff.email}
        response = client.post("/password/reset", data=data, environ_base={"REMOTE_ADDR": f"198.51.100.{attempt + 1}"})
        assert response.status_code == 422
    assert_throttled(client.post("/password/reset", data=form, environ_base={"REMOTE_ADDR": "192.0.2.1"}))


def test_wrong_activation_codes_are_throttled_per_client(client, session):
    per_client = int(throttles.FAILED_CODES_PER_CLIENT.split()[0])
    citizen = factories.user(session, is_active=False)
    session.commit()
    with client.session_transaction() as cookie_session:
        cookie_session["pending_activation_user_id"] = citizen.id
    statuses = {client.post("/activate", data={"code": "000000"}).status_code for _ in range(per_client)}
    assert statuses <= {422, 429}
    assert_throttled(client.post("/activate", data={"code": "000000"}))


def test_settings_read_storage_and_proxy_count_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "2")
    settings = Settings.from_environment(instance_dir=tmp_path, secret_key="k")
    assert (settings.ratelimit_storage_uri, settings.trusted_proxy_count) == ("redis://127.0.0.1:6379/3", 2)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    monkeypatch.delenv("TRUSTED_PROXY_COUNT")
    settings = Settings.from_environment(instance_dir=tmp_path, secret_key="k")
    assert (settings.ratelimit_storage_uri, settings.trusted_proxy_count) == ("memory://", 0)

"""The accounts API: bearer tokens and citizens registered by postal staff."""

from sqlalchemy import select

from postal_gateway.accounts.models import ApiToken, Role, User
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.web.auth import token_digest
from tests import factories
from tests.codes import code_of
from tests.conftest import log_in
from tests.identity_cards import card_json


def token_for(client, identifier, password=factories.DEFAULT_PASSWORD):
    response = client.post("/api/v1/token", json={"identifier": identifier, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def test_token_is_issued_stored_hashed_and_revoked(client, session):
    factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    session.commit()
    response = client.post("/api/v1/token", json={"identifier": "buudien@example.vn", "password": factories.DEFAULT_PASSWORD})
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 12 * 3600
    row = session.scalars(select(ApiToken)).one()
    assert row.token_sha256 == token_digest(body["access_token"]) and body["access_token"] not in row.token_sha256
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/citizens?q=abc", headers=headers).status_code == 200
    assert client.delete("/api/v1/token", headers=headers).status_code == 204
    assert client.get("/api/v1/citizens?q=abc", headers=headers).status_code == 401


def test_wrong_credentials_are_401_problem(client, session):
    factories.user(session, email="hoa@example.vn")
    session.commit()
    for body in ({"identifier": "hoa@example.vn", "password": "sai-mat-khau"}, {"identifier": "ai@example.vn", "password": "x"}, {}):
        response = client.post("/api/v1/token", json=body)
        assert response.status_code == 401 and response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.post("/api/v1/token", data="not json", content_type="application/json").status_code == 422


def test_inactive_account_gets_no_token(client, session):
    factories.user(session, email="hoa@example.vn", is_active=False)
    session.commit()
    assert client.post("/api/v1/token", json={"identifier": "hoa@example.vn", "password": factories.DEFAULT_PASSWORD}).status_code == 401


def test_staff_registers_and_activates_a_citizen(client, session):
    staff = factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    session.commit()
    headers = {"Authorization": f"Bearer {token_for(client, 'buudien@example.vn')}"}
    payload = {"full_name": "Lê Văn Tám", "id_number": "070080009999", "phone": "0987000111"} | card_json()
    response = client.post("/api/v1/citizens", json=payload, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "activation_pending" and body["registered_by_id"] == staff.id
    assert response.headers["Location"].endswith(f"/api/v1/citizens/{body['id']}")
    again = client.post("/api/v1/citizens", json=payload, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]

    message = session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == "+84987000111", OutboxMessage.template == "one_time_code")).one()
    code = code_of(session, message)
    wrong = client.post(f"/api/v1/citizens/{body['id']}/activation", json={"code": f"{(int(code) + 1) % 1_000_000:06d}"}, headers=headers)
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["field"] == "code"
    done = client.post(f"/api/v1/citizens/{body['id']}/activation", json={"code": code}, headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "active"
    assert client.get(f"/api/v1/citizens/{body['id']}", headers=headers).get_json()["full_name"] == "Lê Văn Tám"
    found = client.get("/api/v1/citizens?q=070080009999", headers=headers).get_json()["items"]
    assert [item["id"] for item in found] == [body["id"]]


def test_registration_errors_are_422_with_every_field(client, session):
    factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    session.commit()
    headers = {"Authorization": f"Bearer {token_for(client, 'buudien@example.vn')}"}
    response = client.post("/api/v1/citizens", json={"full_name": 5, "id_number": "1", "phone": "2", "email": "x"}, headers=headers)
    assert response.status_code == 422
    assert {item["field"] for item in response.get_json()["errors"]} == {
        "full_name", "id_number", "phone", "email", "id_issued_on", "id_photo"}
    assert session.scalars(select(User).where(User.role == Role.citizen)).all() == []


def test_citizen_api_roles(client, session):
    citizen = factories.user(session, email="dan@example.vn")
    other = factories.user(session)
    session.commit()
    headers = {"Authorization": f"Bearer {token_for(client, 'dan@example.vn')}"}
    assert client.post("/api/v1/citizens", json={}, headers=headers).status_code == 403
    assert client.get(f"/api/v1/citizens/{citizen.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/citizens/{other.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/citizens?q=abc").status_code == 401


def test_session_cookie_does_not_open_the_api(client, session):
    factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    session.commit()
    log_in(client, "buudien@example.vn")
    assert client.get("/api/v1/citizens?q=abc").status_code == 401

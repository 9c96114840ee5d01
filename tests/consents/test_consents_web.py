"""Consent pages (staff on a phone, the citizen's own list) and the consents API."""
from __future__ import annotations

import io
import secrets
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from postal_gateway.accounts.identity import mask_phone
from postal_gateway.accounts.models import ApiToken, Role
from postal_gateway.consents.models import Consent, ConsentMethod, ConsentStatus
from postal_gateway.core.db import utcnow
from postal_gateway.web.auth import token_digest
from tests import factories
from tests.codes import last_code


@pytest.fixture(autouse=True)
def _code_secret(app):
    from postal_gateway.accounts import one_time_codes

    one_time_codes.configure(app.config["SECRET_KEY"])


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    """The `app` fixture keeps one app context (and so one `g`) open across requests, and
    Flask-Login caches the user in g: forget it so each request finds its own user."""
    from flask import g, request_started

    def forget(_sender, **_extra):
        g.pop("_login_user", None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture()
def people(session):
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session)
    session.commit()
    return staff, citizen


def log_in(client, user) -> None:
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = str(user.id)
        cookie_session["_fresh"] = True


def bearer(session, user) -> dict:
    raw = secrets.token_urlsafe(24)
    session.add(ApiToken(user_id=user.id, token_sha256=token_digest(raw), expires_at=utcnow() + timedelta(hours=1)))
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


def sent_code(session, citizen) -> str:
    session.expire_all()
    return last_code(session, citizen.phone)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 12), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def stored_consents(session, citizen):
    session.expire_all()
    return session.scalars(select(Consent).where(Consent.citizen_id == citizen.id)).all()


# --- pages --------------------------------------------------------------------------------------


def test_start_page_offers_code_and_camera_upload(client, people):
    staff, citizen = people
    log_in(client, staff)
    html = client.get(f"/citizens/{citizen.id}/consent").get_data(as_text=True)
    assert citizen.full_name in html
    assert 'capture="environment"' in html and 'accept="image/*,application/pdf"' in html
    assert 'name="csrf_token"' in html


def test_anonymous_and_citizens_cannot_open_the_staff_page(client, people):
    staff, citizen = people
    assert client.get(f"/citizens/{citizen.id}/consent").status_code == 302
    log_in(client, citizen)
    assert client.get(f"/citizens/{citizen.id}/consent").status_code == 403


def test_code_flow_through_the_pages(client, session, people):
    staff, citizen = people
    log_in(client, staff)
    response = client.post(f"/citizens/{citizen.id}/consent", data={"scope": "single_dossier", "method": "code"})
    assert response.status_code == 302
    (consent,) = stored_consents(session, citizen)
    assert response.headers["Location"].endswith(f"/consents/{consent.id}/confirm")
    assert consent.status == ConsentStatus.pending
    code = sent_code(session, citizen)

    page = client.get(f"/consents/{consent.id}/confirm").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and mask_phone(citizen.phone) in page

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(f"/consents/{consent.id}/confirm", data={"action": "confirm", "code": wrong})
    assert response.status_code == 422
    assert "Mã không đúng" in response.get_data(as_text=True)

    resend = client.post(f"/consents/{consent.id}/confirm", data={"action": "resend"})
    assert resend.status_code == 429  # a code went out less than a minute ago

    response = client.post(f"/consents/{consent.id}/confirm", data={"action": "confirm", "code": code})
    assert response.status_code == 302
    if "dossiers.intake_start" not in client.application.view_functions:
        assert response.headers["Location"].endswith(f"/consents/{consent.id}")
    assert stored_consents(session, citizen)[0].status == ConsentStatus.active
    # Once active, the confirm page sends the worker to the consent itself.
    assert client.get(f"/consents/{consent.id}/confirm").status_code == 302
    assert client.get(f"/consents/{consent.id}").status_code == 200


def test_signed_scan_through_the_page(client, session, people):
    staff, citizen = people
    log_in(client, staff)
    until = (utcnow() + timedelta(days=30)).date().isoformat()
    response = client.post(
        f"/citizens/{citizen.id}/consent",
        data={"scope": "period", "valid_until": until, "method": "scan",
              "scan": (io.BytesIO(png_bytes()), "giấy ủy quyền.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    (consent,) = stored_consents(session, citizen)
    assert consent.method == ConsentMethod.signed_scan and consent.status == ConsentStatus.awaiting_review
    assert consent.scan_filename == "giấy ủy quyền.png"
    scan = client.get(f"/consents/{consent.id}/scan")
    assert scan.status_code == 200 and scan.mimetype == "image/png" and scan.data == png_bytes()


def test_bad_inputs_are_named_on_the_page_and_change_nothing(client, session, people):
    staff, citizen = people
    log_in(client, staff)
    response = client.post(
        f"/citizens/{citizen.id}/consent",
        data={"scope": "period", "valid_until": "2001-01-01", "method": "scan",
              "scan": (io.BytesIO(png_bytes()), "uy-quyen.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "uy-quyen.pdf" in response.get_data(as_text=True)
    response = client.post(f"/citizens/{citizen.id}/consent",
                           data={"scope": "period", "valid_until": "không phải ngày", "method": "code"})
    assert response.status_code == 422
    assert "Ngày hết hạn không hợp lệ" in response.get_data(as_text=True)
    response = client.post(f"/citizens/{citizen.id}/consent", data={"scope": "period", "valid_until": "2001-01-01"})
    assert response.status_code == 422
    assert stored_consents(session, citizen) == []
    assert client.get("/citizens/999999/consent").status_code == 404


def test_citizen_sees_and_revokes_their_consents(client, session, people):
    staff, citizen = people
    consent = factories.consent(session, citizen, staff)
    session.commit()
    log_in(client, citizen)
    html = client.get("/my/consents").get_data(as_text=True)
    assert "Ủy quyền của tôi" in html and staff.post_office.name in html
    response = client.post(f"/consents/{consent.id}/revoke", data={"reason": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/consents")
    assert stored_consents(session, citizen)[0].status == ConsentStatus.revoked


def test_staff_of_another_office_see_nothing(client, session, people):
    staff, citizen = people
    consent = factories.consent(session, citizen, staff)
    stranger = factories.user(session, Role.postal_staff)
    session.commit()
    log_in(client, stranger)
    assert client.get(f"/consents/{consent.id}").status_code == 404
    assert client.post(f"/consents/{consent.id}/revoke", data={"reason": "x"}).status_code == 404
    assert consent.post_office.name not in client.get(f"/citizens/{citizen.id}/consents").get_data(as_text=True)


def test_staff_revoke_needs_a_reason(client, session, people):
    staff, citizen = people
    consent = factories.consent(session, citizen, staff)
    session.commit()
    log_in(client, staff)
    assert client.post(f"/consents/{consent.id}/revoke", data={"reason": ""}).status_code == 422
    response = client.post(f"/consents/{consent.id}/revoke", data={"reason": "Công dân gọi điện yêu cầu"})
    assert response.status_code == 302
    assert stored_consents(session, citizen)[0].status == ConsentStatus.revoked


# --- API ----------------------------------------------------------------------------------------


def test_api_request_confirm_list_and_revoke(client, session, people):
    staff, citizen = people
    headers = bearer(session, staff)
    response = client.post("/api/v1/consents", json={"citizen_id": citizen.id, "scope": "single_dossier"},
                           headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["usable_now"] is False
    consent_id = body["id"]

    wrong = client.post(f"/api/v1/consents/{consent_id}/confirm", json={"code": "12"}, headers=headers)
    assert wrong.status_code == 422 and wrong.mimetype == "application/problem+json"
    assert wrong.get_json()["errors"][0]["field"] == "code"

    confirmed = client.post(f"/api/v1/consents/{consent_id}/confirm",
                            json={"code": sent_code(session, citizen)}, headers=headers)
    assert confirmed.status_code == 200
    assert confirmed.get_json()["status"] == "active" and confirmed.get_json()["usable_now"] is True

    listed = client.get(f"/api/v1/citizens/{citizen.id}/consents", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [consent_id]

    citizen_headers = bearer(session, citizen)
    revoked = client.post(f"/api/v1/consents/{consent_id}/revoke", json={}, headers=citizen_headers)
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    again = client.post(f"/api/v1/consents/{consent_id}/revoke", json={}, headers=citizen_headers)
    assert again.status_code == 409


def test_api_names_every_bad_field(client, session, people):
    staff, _citizen = people
    response = client.post("/api/v1/consents", json={"citizen_id": "one", "scope": "ever", "valid_until": "x"},
                           headers=bearer(session, staff))
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {"citizen_id", "scope", "valid_until"}
    assert client.post("/api/v1/consents", data="not json", headers=bearer(session, staff)).status_code == 422


def test_api_guards(client, session, people):
    staff, citizen = people
    other_citizen = factories.user(session)
    session.commit()
    assert client.post("/api/v1/consents", json={}).status_code == 401
    log_in(client, staff)  # a session cookie is not enough for the API
    assert client.post("/api/v1/consents", json={"citizen_id": citizen.id, "scope": "single_dossier"}).status_code == 401
    citizen_headers = bearer(session, citizen)
    client = client.application.test_client()  # no session cookie from here on
    assert client.post("/api/v1/consents", json={"citizen_id": citizen.id, "scope": "single_dossier"},
                       headers=citizen_headers).status_code == 403
    assert client.get(f"/api/v1/citizens/{other_citizen.id}/consents", headers=citizen_headers).status_code == 404
    assert client.get(f"/api/v1/citizens/{citizen.id}/consents", headers=citizen_headers).status_code == 200

"""The dossiers API: create with Idempotency-Key, read, slip, problem+json errors, never a 500."""
from __future__ import annotations

import base64
import io
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import Dossier
from postal_gateway.workbench import reception
from tests import factories
from tests.conftest import log_in


def png_b64(colour=(5, 5, 200)) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture()
def world(session):
    agency = factories.agency(session, code="000.00.20.H10")
    procedure = factories.procedure(session, agency, checklist=("Tờ khai", "Bản sao giấy phép"), fee_vnd=50_000, level=4)
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session, Role.citizen)
    factories.consent(session, citizen, staff, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    staff_token, _ = issue_token(session, staff)
    citizen_token, _ = issue_token(session, citizen)
    stranger_token, _ = issue_token(session, factories.user(session, Role.citizen))
    session.commit()
    return {
        "procedure": procedure, "staff": staff, "citizen": citizen,
        "staff_auth": {"Authorization": f"Bearer {staff_token}"},
        "citizen_auth": {"Authorization": f"Bearer {citizen_token}"},
        "stranger_auth": {"Authorization": f"Bearer {stranger_token}"},
    }


def body(world, **overrides) -> dict:
    first, second = [item.id for item in world["procedure"].checklist]
    values = {
        "citizen_id": world["citizen"].id,
        "procedure_code": world["procedure"].code,
        "checklist": [first, second],
        "documents": [
            {"checklist_item_id": first, "filename": "to-khai.png", "content_base64": png_b64()},
            {"checklist_item_id": second, "filename": "giay-phep.png", "content_base64": png_b64((9, 9, 9))},
        ],
        "collection_place": "post_office",
        "delivery_address": "12 Trần Hưng Đạo",
        "fee": {"amount_vnd": 50_000, "method": "cash"},
        "postage": {"amount_vnd": 20_000, "method": "collection_on_behalf"},
    }
    values.update(overrides)
    return values


def post(client, world, payload, key="k-1", auth="staff_auth"):
    headers = dict(world[auth])
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/dossiers", json=payload, headers=headers)


def test_create_replay_conflict_read_and_slip(client, session, world):
    created = post(client, world, body(world))
    assert created.status_code == 201, created.get_json()
    dossier = created.get_json()
    # submitted by the post, not received: a shipment number, no code or dates yet (Điều 21.1, 14.4)
    assert dossier["status"] == "submitted" and dossier["status_label"] == "Mới đăng ký"
    assert dossier["code"] is None and dossier["received_at"] is None and dossier["appointment_date"] is None
    ref = dossier["shipment_number"]
    assert re.fullmatch(r"RA\d{9}VN", ref) and dossier["submitted_at"]
    assert created.headers["Location"].endswith(f"/api/v1/dossiers/{ref}")
    assert dossier["originals_by_post"] is True
    assert {c["kind"] for c in dossier["collected"]} == {"fee", "postage"}

    replay = post(client, world, body(world))
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["shipment_number"] == ref

    conflict = post(client, world, body(world, delivery_address="nơi khác"))
    assert conflict.status_code == 409 and conflict.mimetype == "application/problem+json"
    assert session.scalar(select(func.count(Dossier.id))) == 1

    read = client.get(f"/api/v1/dossiers/{ref}", headers=world["citizen_auth"])
    assert read.status_code == 200 and read.get_json()["applicant_name"] == world["citizen"].full_name
    hidden = client.get(f"/api/v1/dossiers/{ref}", headers=world["stranger_auth"])
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"

    # form 01 exists only once the agency has accepted the dossier (Điều 9.1.c, 14.4)
    early = client.get(f"/api/v1/dossiers/{ref}/slip.pdf?layout=a5", headers=world["staff_auth"])
    assert early.status_code == 409 and "chưa được cơ quan tiếp nhận" in early.get_json()["detail"]
    officer = factories.user(session, Role.agency_staff, agency_id=world["procedure"].agency_id)
    accepted = reception.accept(session, officer=officer, ref=ref, basis="online_valid", now=utcnow())
    session.commit()
    assert client.get(f"/api/v1/dossiers/{accepted.code}", headers=world["citizen_auth"]).get_json()["code"] == accepted.code
    slip = client.get(f"/api/v1/dossiers/{ref}/slip.pdf?layout=a5", headers=world["staff_auth"])
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")
    bad_layout = client.get(f"/api/v1/dossiers/{ref}/slip.pdf?layout=x", headers=world["staff_auth"])
    assert bad_layout.status_code == 422 and bad_layout.get_json()["errors"][0]["field"] == "layout"


def test_missing_idempotency_key_is_400_problem(client, world):
    response = post(client, world, body(world), key=None)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"


def test_every_bad_field_is_named(client, session, world):
    payload = body(
        world,
        citizen_id="một",
        checklist="all",
        documents=[{"checklist_item_id": "x", "filename": "", "content_base64": "%%%"}],
        collection_place="roof",
        fee={"amount_vnd": -1, "method": "bitcoin"},
        postage={"amount_vnd": 1.5},
        digitally_signed="yes",
    )
    response = post(client, world, payload)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert {"citizen_id", "checklist", "documents[0].checklist_item_id", "documents[0].filename",
            "documents[0].content_base64", "collection_place", "fee.amount_vnd", "fee.method",
            "postage.amount_vnd", "digitally_signed"} <= fields
    assert session.scalar(select(func.count(Dossier.id))) == 0


def test_domain_refusals_are_problems(client, world):
    first = world["procedure"].checklist[0].id
    missing = post(client, world, body(world, checklist=[first], documents=body(world)["documents"][:1]), key="k2")
    assert missing.status_code == 422
    assert [e["field"] for e in missing.get_json()["errors"]] == ["checklist"]
    unknown = post(client, world, body(world, procedure_code="KHONG-CO"), key="k3")
    assert unknown.status_code == 404
    address = post(client, world, body(world, collection_place="citizen_address", pickup_address=""), key="k4")
    assert address.status_code == 422 and address.get_json()["errors"][0]["field"] == "pickup_address"
    citizen_cannot = post(client, world, body(world), key="k5", auth="citizen_auth")
    assert citizen_cannot.status_code == 403


@pytest.mark.parametrize(
    "raw",
    [b"", b"null", b"[]", b"{", b'"text"', b'{"documents": "x", "fee": 5, "postage": []}',
     b'{"citizen_id": 99999999999999999999}', b'{"citizen_id": 1, "procedure_code": 7}'],
)
def test_garbage_bodies_never_give_500(client, world, raw):
    headers = dict(world["staff_auth"], **{"Idempotency-Key": "g", "Content-Type": "application/json"})
    response = client.post("/api/v1/dossiers", data=raw, headers=headers)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


def test_session_cookies_do_not_open_the_api(client, world):
    log_in(client, world["staff"])
    response = client.post("/api/v1/dossiers", json=body(world), headers={"Idempotency-Key": "c"})
    assert response.status_code == 401

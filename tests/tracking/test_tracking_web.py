"""Tracking through HTTP: the events API, the handheld page's sync, the managers' view and exports,
and the compensation pages."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from tests import factories
from tests.conftest import log_in
from tracking.models import CompensationCase, CompensationStatus, ShipmentEvent


@pytest.fixture()
def world(session):
    staff = factories.user(session, Role.postal_staff)
    citizen_token, _ = issue_token(session, factories.user(session, Role.citizen))
    token, _ = issue_token(session, staff)
    dossier = factories.postal_dossier(session, staff=staff, entered_at=utcnow() - timedelta(hours=80))
    session.commit()
    return {"staff": staff, "dossier": dossier, "auth": {"Authorization": f"Bearer {token}"},
            "citizen_auth": {"Authorization": f"Bearer {citizen_token}"}}


def event(event_id, type_, hours_ago, office, **extra):
    return {"event_id": event_id, "type": type_, "occurred_at": (utcnow() - timedelta(hours=hours_ago)).isoformat(),
            "post_office_code": office, **extra}


def test_api_accepts_one_event_or_a_batch_and_acknowledges_replays(client, world):
    office, code = world["staff"].post_office.code, world["dossier"].code
    url = f"/api/v1/shipments/{code}/events"
    first = event("api-0000001", "picked_up", 79, office)
    one = client.post(url, json=first, headers=world["auth"])
    assert one.status_code == 200 and one.get_json()["results"][0]["status"] == "accepted"
    batch = {"events": [event("api-0000002", "dispatched", 78, office), first,
                        event("api-0000003", "delivered", 77, office, details={"recipient_name": "A", "id_checked": True})]}
    results = client.post(url, json=batch, headers=world["auth"]).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate", "rejected"]
    assert "chưa nhận kết quả" in results[2]["reason"] and "Đã trả kết quả" in results[2]["reason"]
    replay = client.post(url, json=batch, headers=world["auth"]).get_json()["results"]
    assert [r["status"] for r in replay] == ["duplicate"] * 3


def test_api_refuses_strangers_unknown_shipments_and_garbage(client, world):
    office, code = world["staff"].post_office.code, world["dossier"].code
    good = event("api-1000001", "picked_up", 1, office)
    assert client.post(f"/api/v1/shipments/{code}/events", json=good).status_code == 401
    assert client.post(f"/api/v1/shipments/{code}/events", json=good, headers=world["citizen_auth"]).status_code == 403
    assert client.post("/api/v1/shipments/NOPE/events", json=good, headers=world["auth"]).status_code == 404
    for raw in (b"not json", b"42", b'"x"', b"null"):
        response = client.post(f"/api/v1/shipments/{code}/events", data=raw, headers={**world["auth"], "Content-Type": "application/json"})
        assert response.status_code in (200, 422), raw
    huge = {"events": [good] * 201}
    assert client.post(f"/api/v1/shipments/{code}/events", json=huge, headers=world["auth"]).status_code == 422


def test_handheld_page_and_sync(client, session, world):
    log_in(client, world["staff"])
    page = client.get("/tracking/handheld")
    assert page.status_code == 200 and "handheld.js" in page.get_data(as_text=True)
    assert client.get("/tracking/sw.js").headers["Service-Worker-Allowed"] == "/tracking/"
    office, code = world["staff"].post_office.code, world["dossier"].code
    answer = client.post("/tracking/sync", json={"events": [
        dict(event("page-000001", "picked_up", 2, office), dossier_code=code),
        dict(event("page-000002", "picked_up", 2, office), dossier_code="000.00.20.H10-260101-9999"),
    ]}).get_json()["results"]
    assert [r["status"] for r in answer] == ["accepted", "invalid"]
    assert session.scalar(select(func.count()).select_from(ShipmentEvent)) == 1


def test_manager_view_chart_and_exports(client, session, world):
    from tracking import services

    dossier = world["dossier"]
    services.open_forward_leg(session, dossier=dossier, picked_up_at=utcnow() - timedelta(hours=79))  # 72 h: breached
    done = factories.postal_dossier(session, staff=world["staff"], entered_at=utcnow() - timedelta(hours=10))
    officer = factories.user(session, Role.agency_staff, agency_id=done.agency_id)
    services.open_forward_leg(session, dossier=done, picked_up_at=utcnow() - timedelta(hours=10))
    services.record_handover_to_agency(session, dossier=done, officer=officer, at=utcnow() - timedelta(hours=2))
    session.commit()
    log_in(client, world["staff"])
    html = client.get("/tracking/manager").get_data(as_text=True)
    assert dossier.code in html and "<svg" in html and "100%" in html
    assert done.code not in client.get("/tracking/manager?state=breached").get_data(as_text=True)
    csv_body = client.get("/tracking/manager/export.csv").get_data().decode("utf-8-sig")
    assert csv_body.splitlines()[0].startswith("Mã hồ sơ") and dossier.code in csv_body and "Quá hạn" in csv_body
    from openpyxl import load_workbook

    xlsx = client.get("/tracking/manager/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.cell(1, 1).value == "Mã hồ sơ" and sheet.max_row == 3
    assert client.get("/tracking/manager/export.pdf").status_code == 404


def test_compensation_pages(client, session, world):
    office, code = world["staff"].post_office.code, world["dossier"].code
    log_in(client, world["staff"])
    client.post("/tracking/sync", json={"events": [
        dict(event("comp-000001", "picked_up", 3, office), dossier_code=code),
        dict(event("comp-000002", "lost", 2, office), dossier_code=code)]})
    case = session.scalar(select(CompensationCase))
    assert code in client.get("/tracking/compensations").get_data(as_text=True)
    assert client.post(f"/tracking/compensations/{case.id}/propose", data={"costs_vnd": "abc"}).status_code == 422
    assert client.post(f"/tracking/compensations/{case.id}/propose", data={"costs_vnd": "20000"}).status_code == 302
    client.post("/logout")
    manager = factories.user(session, Role.office_manager, post_office=world["staff"].post_office)
    session.commit()
    log_in(client, manager)
    assert client.post(f"/tracking/compensations/{case.id}/approve").status_code == 302
    assert client.post(f"/tracking/compensations/{case.id}/pay", data={"payment_reference": ""}).status_code == 422
    assert client.post(f"/tracking/compensations/{case.id}/pay", data={"payment_reference": "PC-9", "payment_method": "cash",
                                                                    "redo_arranged": "1"}).status_code == 302
    session.expire_all()
    case = session.get(CompensationCase, case.id)
    assert case.status == CompensationStatus.paid and case.costs_vnd == 20000 and case.redo_arranged
    assert client.post("/tracking/compensations/99999/pay", data={}).status_code == 404

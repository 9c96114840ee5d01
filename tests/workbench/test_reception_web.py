"""The one-stop officer accepts a submitted dossier on the workbench page and through the API
(Điều 12.1.a–d, 14.4): the queue tab "Chờ tiếp nhận", the page reached by the shipment number, the
button, and the API action ``accept``."""
from __future__ import annotations

from datetime import timedelta

import pytest

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import Dossier, DossierStatus
from tests import factories
from tests.conftest import log_in


@pytest.fixture()
def world(session):
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông")
    officer = factories.user(session, Role.agency_staff, agency=agency)
    procedure = factories.procedure(session, agency, level=3, fee_vnd=0)
    dossiers = [
        factories.postal_dossier(session, procedure=procedure, entered_at=utcnow() - timedelta(hours=1),
                                 status=DossierStatus.submitted, code=None, received_at=None, processing_start_at=None,
                                 due_at=None, appointment_date=None, accepted_at=None, receipt_basis=None)
        for _ in range(2)
    ]
    token, _ = issue_token(session, officer)
    session.commit()
    return {"officer": officer, "dossiers": dossiers, "auth": {"Authorization": f"Bearer {token}"}}


def test_officer_accepts_from_the_waiting_tab_by_shipment_number__dieu_12_1_a(client, session, world):
    """Điều 12.1.a: the officer sees what waits for acceptance and accepts it on the dossier page;
    the code and the appointment date appear then (Điều 14.4)."""
    dossier = world["dossiers"][0]
    number = dossier.shipment_number
    log_in(client, world["officer"])
    waiting = client.get("/workbench?status=submitted").get_data(as_text=True)
    assert "Chờ tiếp nhận" in waiting and number in waiting
    page = client.get(f"/workbench/{number}").get_data(as_text=True)
    assert "Tiếp nhận hồ sơ" in page and "Chờ tiếp nhận" in page and 'id="accept"' in page
    accepted = client.post(f"/workbench/{number}/accept", data={"basis": "online_valid", "version": dossier.version})
    assert accepted.status_code == 302
    session.expire_all()
    row = session.get(Dossier, dossier.id)
    assert row.status == DossierStatus.received and row.code and row.appointment_date is not None
    page = client.get(accepted.headers["Location"]).get_data(as_text=True)
    assert row.code in page and 'id="accept"' not in page
    again = client.post(f"/workbench/{row.code}/accept", data={"basis": "online_valid", "version": row.version})
    assert again.status_code in (302, 409)
    session.expire_all()
    assert session.get(Dossier, dossier.id).code == row.code


def test_api_accept_action_by_shipment_number__dieu_12_1_d(client, session, world):
    """Điều 12.1.d: the API action ``accept`` sets the receipt; a paper basis without a signed hand-over
    is refused with the article named, and a second acceptance is 409 (Điều 14.4)."""
    number, auth = world["dossiers"][1].shipment_number, world["auth"]
    url = f"/api/v1/workbench/dossiers/{number}"
    body = client.get(url, headers=auth).get_json()
    assert body["status"] == "submitted" and body["code"] is None and body["allowed_actions"] == ["accept", "withdraw", "request_completion", "refuse"]
    paper = client.post(f"{url}/actions", json={"action": "accept", "basis": "paper_handover"}, headers=auth)
    assert paper.status_code == 409 and "12.1.d" in paper.get_json()["detail"]
    done = client.post(f"{url}/actions", json={"action": "accept", "basis": "online_valid"}, headers=auth)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "received" and done.get_json()["code"] and done.get_json()["due_at"]
    twice = client.post(f"{url}/actions", json={"action": "accept", "basis": "online_valid"}, headers=auth)
    assert twice.status_code == 409
    queue = client.get("/api/v1/workbench/dossiers?status=submitted", headers=auth).get_json()
    assert [d["shipment_number"] for d in queue["dossiers"]] == [world["dossiers"][0].shipment_number]

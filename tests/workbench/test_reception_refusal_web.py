"""Completion request (form 02) and refusal (form 03) at reception on the workbench page and through
the API action (Điều 9.1.b, 12.1.c)."""
from __future__ import annotations

from postal_gateway.dossiers.models import Dossier, DossierStatus
from tests.conftest import log_in
from tests.workbench.test_reception_web import world  # noqa: F401 (fixture)


def test_page_offers_completion_and_refusal_beside_acceptance__dieu_12_1_c(client, session, world):
    """Điều 12.1.c, 9.1.b: beside "Tiếp nhận hồ sơ" the officer may ask for completion (items and
    reasons one a line, all at once) or refuse; a request without reasons changes nothing."""
    dossier = world["dossiers"][0]
    number = dossier.shipment_number
    log_in(client, world["officer"])
    page = client.get(f"/workbench/{number}").get_data(as_text=True)
    assert 'id="accept"' in page and 'id="completion"' in page and 'id="refuse"' in page
    empty = client.post(f"/workbench/{number}/completion", data={"items": "Ảnh", "reasons": "", "version": dossier.version})
    assert empty.status_code in (302, 422)
    session.expire_all()
    assert session.get(Dossier, dossier.id).status == DossierStatus.submitted
    done = client.post(f"/workbench/{number}/completion",
                       data={"items": "Ảnh 4x6\nTờ khai", "reasons": "Thiếu ảnh\nChưa ký", "version": dossier.version})
    assert done.status_code == 302
    session.expire_all()
    row = session.get(Dossier, dossier.id)
    assert row.status == DossierStatus.completion_requested and row.code is None
    page = client.get(f"/workbench/{number}").get_data(as_text=True)
    assert 'id="accept"' not in page and 'id="refuse"' not in page


def test_api_refuse_and_accept_after_refusal__dieu_9_1_b(client, session, world):
    """Điều 9.1.b, 12.1.c: the API action ``refuse`` needs reasons (422 naming 12.1.c, nothing changed);
    with reasons the dossier is refused, and accepting it afterwards is 409 naming 9.1.b."""
    number, auth = world["dossiers"][1].shipment_number, world["auth"]
    url = f"/api/v1/workbench/dossiers/{number}/actions"
    bad = client.post(url, json={"action": "refuse", "reasons": []}, headers=auth)
    assert bad.status_code == 422 and "12.1.c" in bad.get_data(as_text=True)
    ok = client.post(url, json={"action": "refuse", "reasons": ["Không thuộc thẩm quyền"],
                                "competent_agency": "UBND xã Tân Phú"}, headers=auth)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert ok.get_json()["status"] == "refused"
    again = client.post(url, json={"action": "accept", "basis": "online_valid"}, headers=auth)
    assert again.status_code == 409 and "9.1.b" in again.get_data(as_text=True)


def test_api_request_completion_needs_a_reason_per_item__dieu_12_1_c(client, session, world):
    """Điều 12.1.c "đầy đủ một lần": the API action ``request_completion`` takes every item with its reason."""
    number, auth = world["dossiers"][0].shipment_number, world["auth"]
    url = f"/api/v1/workbench/dossiers/{number}/actions"
    bad = client.post(url, json={"action": "request_completion", "items": ["Ảnh"]}, headers=auth)
    assert bad.status_code == 422 and "12.1.c" in bad.get_data(as_text=True)
    ok = client.post(url, json={"action": "request_completion", "items": ["Ảnh"], "reasons": ["Thiếu"]}, headers=auth)
    assert ok.status_code == 200 and ok.get_json()["status"] == "completion_requested"

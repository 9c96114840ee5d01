"""The workbench through HTTP: an officer works a late postal dossier from receipt to return with a
supplement request and an apology letter, and finds it counted in the statistics page and export;
the API's steps, refusals and stale versions."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from postal_gateway import calendar
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import to_local
from postal_gateway.dossiers.models import Dossier
from postal_gateway.dossiers.models import DossierStatus as S
from postal_gateway.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import log_in


@pytest.fixture()
def world(session):
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông")
    officer = factories.user(session, Role.agency_staff, agency=agency)
    procedure = factories.procedure(session, agency, level=3, fee_vnd=0)
    entered = utcnow() - timedelta(days=20)
    dossier = factories.postal_dossier(session, procedure=procedure, entered_at=entered, due_at=utcnow() - timedelta(days=2))
    token, _ = issue_token(session, officer)
    session.commit()
    return {"agency": agency, "officer": officer, "dossier": dossier, "auth": {"Authorization": f"Bearer {token}"}}


def _version(session, dossier) -> str:
    session.expire_all()
    return str(session.get(Dossier, dossier.id).version)


def test_officer_works_a_dossier_from_receipt_to_return_and_sees_it_counted(client, session, world):
    dossier, code = world["dossier"], world["dossier"].code
    log_in(client, world["officer"])
    queue = client.get("/workbench?status=late").get_data(as_text=True)
    assert code in queue
    # Scan the slip's code, compare, sign.
    unknown = client.post("/workbench/receive", data={"code": "nonsense"})
    assert unknown.status_code == 422 and "Không tìm thấy hồ sơ" in unknown.get_data(as_text=True)
    found = client.post("/workbench/receive", data={"code": code.lower()})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/workbench/{code}/receive")
    undecided = client.post(f"/workbench/{code}/receive", data={})
    assert undecided.status_code == 422
    assert client.post(f"/workbench/{code}/receive", data={"paper_matches": "yes"}).status_code == 302

    def act(path, **data):
        response = client.post(f"/workbench/{code}/{path}", data={"version": _version(session, dossier), **data})
        assert response.status_code == 302
        return client.get(response.headers["Location"]).get_data(as_text=True)

    act("step", action="transfer")
    page = act("step", action="start_processing")
    assert "Đã cập nhật hồ sơ." in page and "Quá hạn" in page
    page = act("supplement", items="Bản sao giấy phép\nẢnh chân dung 4x6", reasons="Bản sao bị mờ\nChưa nộp",
               cause="verification")
    assert "Đã lập phiếu yêu cầu bổ sung (mẫu 02) và gửi cho công dân." in page
    page = act("supplement/received")
    new_date = calendar.next_working_day(to_local(utcnow()).date() + timedelta(days=1))
    page = act("apology", reason="Chờ xác minh", new_date=new_date.isoformat(), issuer_kind="processing_agency",
               cause="late")
    assert "Đã lập phiếu xin lỗi (mẫu 04)" in page and "Số: 1/PXL" in page
    page = act("apology/1/forward")
    assert "Đã chuyển phiếu xin lỗi cho công dân và ghi ngày hẹn trả mới." in page
    old_address = client.get(f"/workbench/{code}/apology/1.pdf")  # the old letter address stays, on form 04
    assert old_address.status_code == 301 and f"/dossiers/{code}/forms/" in old_address.headers["Location"]
    letter = client.get(old_address.headers["Location"])
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    page = act("result")
    assert "Đã báo có kết quả cho công dân." in page
    page = act("return", via="post")
    # Điều 25.2: handed to the post, not yet returned (the return leg's delivery returns it)
    assert "Đã giao kết quả cho bưu chính; hồ sơ hoàn thành khi bưu chính phát kết quả." in page
    session.expire_all()
    stored = session.get(Dossier, dossier.id)
    assert stored.status == S.result_with_post
    assert [h.to_status for h in stored.history] == [
        S.transferred, S.in_processing, S.supplement_requested, S.in_processing, S.overdue, S.result_ready,
        S.result_with_post]
    assert {m.template for m in session.scalars(select(OutboxMessage))} >= {"supplement_requested", "apology", "result_ready"}
    timeline = client.get(f"/workbench/{code}").get_data(as_text=True)
    assert "Diễn biến xử lý" in timeline and "Ảnh chân dung 4x6" in timeline and "Chờ xác minh" in timeline

    # Counted in this year's statistics: received in the period unless it came in last year, settled late.
    today = to_local(utcnow()).date()
    first = to_local(stored.received_at).date()
    stats = client.get(f"/statistics?from={first.isoformat()}&to={today.isoformat()}")
    assert stats.status_code == 200
    html = stats.get_data(as_text=True)
    assert "Sở Thông tin và Truyền thông: 0 / 1" in html
    export = client.get(f"/statistics.xlsx?from={first.isoformat()}&to={today.isoformat()}")
    row = next(r for r in load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True)
               if r[0] == "Sở Thông tin và Truyền thông")
    assert row[4] == 1 and row[5] == 1 and row[6] == 0 and row[7] == 1  # received, to settle, on time, late


def test_a_refused_step_is_shown_and_changes_nothing(client, session, world):
    code = world["dossier"].code
    log_in(client, world["officer"])
    response = client.post(f"/workbench/{code}/step", data={"action": "transfer"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chưa ký nhận hồ sơ giấy" in page
    client.post(f"/workbench/{code}/receive", data={"paper_matches": "yes"})
    stale = client.post(f"/workbench/{code}/step", data={"action": "transfer", "version": "0"})
    assert "người khác cập nhật" in client.get(stale.headers["Location"]).get_data(as_text=True)
    skipped = client.post(f"/workbench/{code}/result", data={})
    assert "Không thể" in client.get(skipped.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert session.get(Dossier, world["dossier"].id).status == S.received


def test_api_steps_refusals_and_versions(client, session, world):
    code, auth = world["dossier"].code, world["auth"]
    url = f"/api/v1/workbench/dossiers/{code}"
    assert client.get(url).status_code == 401
    body = client.get(url, headers=auth).get_json()
    assert body["status"] == "received" and "transfer" in body["allowed_actions"]
    signed = client.post(f"{url}/handover", json={"paper_matches": True}, headers=auth)
    assert signed.status_code == 200
    version = signed.get_json()["version"]
    moved = client.post(f"{url}/actions", json={"action": "transfer", "version": version}, headers=auth)
    assert moved.status_code == 200 and moved.get_json()["status"] == "transferred"
    stale = client.post(f"{url}/actions", json={"action": "start_processing", "version": version}, headers=auth)
    assert stale.status_code == 409
    illegal = client.post(f"{url}/actions", json={"action": "return_result", "via": "post"}, headers=auth)
    assert illegal.status_code == 409 and "Không thể" in illegal.get_json()["detail"]
    unknown = client.post(f"{url}/actions", json={"action": "teleport"}, headers=auth)
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "action"
    bad = client.post(f"{url}/actions", json={"action": "request_supplement", "reasons": [1, ""]}, headers=auth)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "reasons[0]"
    assert client.post(f"{url}/actions", json=[1], headers=auth).status_code == 422
    queue = client.get("/api/v1/workbench/dossiers?status=transferred", headers=auth).get_json()
    assert [d["code"] for d in queue["dossiers"]] == [code] and queue["late"] == 1
    assert client.get("/api/v1/workbench/dossiers?status=bogus", headers=auth).status_code == 422


def test_the_dossier_page_leads_the_officer_to_the_workbench(client, world):
    log_in(client, world["officer"])
    page = client.get(f"/dossiers/{world['dossier'].code}").get_data(as_text=True)
    assert f"/workbench/{world['dossier'].code}" in page

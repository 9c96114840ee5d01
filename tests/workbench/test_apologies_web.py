"""Form 04 and form 02 through HTTP: the cooperating agency's apology page (its only way into the workbench),
the one-stop office's forward button, the API's steps and the old letter addresses, which now lead to the
stored form (PostgreSQL; the article in each test's name)."""
from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from sqlalchemy import func, select

from postal_gateway import calendar
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import to_local
from postal_gateway.dossiers.models import Dossier
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.official_forms.models import OfficialForm
from postal_gateway.workbench import services
from postal_gateway.workbench.models import ApologyLetter, SupplementRequest
from tests import factories
from tests.conftest import log_in


@pytest.fixture()
def world(session):
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông")
    cooperating = factories.agency(session, name="Công an tỉnh")
    officer = factories.user(session, Role.agency_staff, agency=agency)
    cooperating_officer = factories.user(session, Role.agency_staff, agency=cooperating)
    stranger = factories.user(session, Role.agency_staff)
    procedure = factories.procedure(session, agency, level=3, fee_vnd=0)
    dossier = factories.postal_dossier(session, procedure=procedure, entered_at=utcnow() - timedelta(days=20),
                                       due_at=utcnow() - timedelta(days=2))
    session.commit()
    now = utcnow() - timedelta(days=10)
    services.receive_from_post(session, officer=officer, code=dossier.code, paper_matches=True, now=now)
    for action in ("transfer", "start_processing"):
        services.advance(session, officer=officer, code=dossier.code, action=action, now=now)
    token = issue_token(session, officer)[0]
    session.commit()
    return {"agency": agency, "cooperating": cooperating, "officer": officer, "stranger": stranger,
            "cooperating_officer": cooperating_officer, "dossier": dossier,
            "auth": {"Authorization": f"Bearer {token}"}}


def _version(session, dossier) -> int:
    session.expire_all()
    return session.get(Dossier, dossier.id).version


def _new_date():
    return calendar.next_working_day(to_local(utcnow()).date() + timedelta(days=2))


def test_cooperating_agency_opens_the_apology_form_only__dieu_10_2_g(client, session, world):
    """Điều 10.2.g: the cooperating agency asked for its opinion opens the dossier's apology page and writes its
    form 04 there; the rest of the workbench stays closed to it; an agency outside the procedure is refused."""
    dossier, code = world["dossier"], world["dossier"].code
    log_in(client, world["cooperating_officer"])
    assert client.get(f"/workbench/{code}/apology-form").status_code == 403  # not asked yet
    client.post("/logout")
    services.ask_opinion(session, officer=world["officer"], code=code, agency_code=world["cooperating"].code,
                         question="Xác minh nhân thân", working_days=2, now=utcnow() - timedelta(days=5))
    session.commit()
    log_in(client, world["cooperating_officer"])
    page = client.get(f"/workbench/{code}/apology-form")
    assert page.status_code == 200 and "Xác minh nhân thân" in page.get_data(as_text=True)
    assert client.get(f"/workbench/{code}").status_code == 404
    assert client.post(f"/workbench/{code}/reject", data={"reasons": "x"}).status_code == 404
    refused = client.post(f"/workbench/{code}/apology-form",
                          data={"reason": "Chậm xác minh", "new_date": to_local(utcnow()).date().isoformat(),
                                "version": _version(session, dossier)})
    assert refused.status_code == 422 and "Điều 9.4.d" in refused.get_data(as_text=True)
    assert session.scalar(select(ApologyLetter)) is None
    done = client.post(f"/workbench/{code}/apology-form",
                       data={"reason": "Chậm xác minh", "new_date": _new_date().isoformat(),
                             "version": _version(session, dossier)})
    assert done.status_code == 303
    letter = session.scalar(select(ApologyLetter))
    assert (letter.issuer_kind, letter.issuer_agency_id) == ("cooperating_agency", world["cooperating"].id)
    assert client.get(f"/dossiers/{code}/forms/{letter.form_id}.pdf").status_code == 200
    client.post("/logout")
    log_in(client, world["stranger"])
    assert client.get(f"/workbench/{code}/apology-form").status_code == 403
    client.post("/logout")
    # The lead agency's one-stop office sees the letter waiting and forwards it.
    log_in(client, world["officer"])
    page = client.get(f"/workbench/{code}").get_data(as_text=True)
    assert "Công an tỉnh" in page and "Chuyển phiếu cho công dân" in page
    forwarded = client.post(f"/workbench/{code}/apology/{letter.number}/forward",
                            data={"version": _version(session, dossier)})
    assert forwarded.status_code == 302
    session.expire_all()
    assert session.get(Dossier, dossier.id).appointment_date == _new_date()


def test_api_apology_forward_and_reception_error_supplement__dieu_9_4_b_9_4_d(client, session, world):
    """Điều 9.3.d, 9.4.b, 9.4.d, 10.2.đ: through the API the processing agency writes form 04, the one-stop office
    forwards it, a second supplement without the apology is refused (409, nothing changed) and with it goes out
    with both forms; the old letter address redirects to the stored form."""
    dossier, code, auth = world["dossier"], world["dossier"].code, world["auth"]
    url = f"/api/v1/workbench/dossiers/{code}/actions"

    def act(**body):
        return client.post(url, headers=auth, json={"version": _version(session, dossier), **body})

    early = act(action="apologise", reason="Chờ xác minh", new_date=to_local(utcnow()).date().isoformat())
    assert early.status_code == 422 and {e["field"] for e in early.get_json()["errors"]} == {"new_date"}
    answer = act(action="apologise", reason="Chờ xác minh", new_date=_new_date().isoformat())
    assert answer.status_code == 200
    letter = answer.get_json()["apology_letters"][0]
    assert (letter["issuer_kind"], letter["cause"], letter["forwarded_at"]) == ("processing_agency", "late", None)
    old = client.get(f"/api/v1/workbench/dossiers/{code}/apology-letters/1.pdf", headers=auth)
    assert old.status_code == 301
    assert old.headers["Location"].endswith(f"/dossiers/{code}/forms/{letter['form_id']}.pdf")
    assert client.get(old.headers["Location"], headers=auth).data.startswith(b"%PDF")
    assert act(action="forward_apology", letter_number=1).get_json()["apology_letters"][0]["forwarded_at"]
    assert act(action="forward_apology", letter_number=1).status_code == 409

    first = act(action="request_supplement", items=["Ảnh 4x6"], reasons=["Chưa nộp"])
    assert first.status_code == 200
    assert act(action="receive_supplement").status_code == 200
    count = session.scalar(select(SupplementRequest.id).order_by(SupplementRequest.id.desc()).limit(1))
    refused = act(action="request_supplement", items=["Bản sao CCCD"], reasons=["Bị mờ"])
    assert refused.status_code == 409 and "Điều 9.4.b, 10.2.đ, 12.1.c" in refused.get_json()["detail"]
    assert session.scalar(select(SupplementRequest.id).order_by(SupplementRequest.id.desc()).limit(1)) == count
    later = calendar.next_working_day(_new_date() + timedelta(days=3))
    done = act(action="request_supplement", items=["Bản sao CCCD"], reasons=["Bị mờ"],
               apology_new_date=later.isoformat(), apology_reason="Không kiểm tra bản sao khi tiếp nhận")
    assert done.status_code == 200
    letters = done.get_json()["apology_letters"]
    assert [(item["issuer_kind"], item["cause"]) for item in letters][-1] == ("one_stop_office", "reception_error")
    templates = [m.template for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert templates.count("apology") >= 2 and "supplement_requested" in templates


def test_a_letter_written_before_forms_were_stored_still_prints_at_its_old_address__dieu_9_3_d(client, session, world):
    """Điều 9.3.d: a letter kept from before form 04 was stored (form_id NULL after migration 0015) is drawn from
    what it recorded at its old address, under its old number; nothing is numbered or stored for it."""
    dossier = world["dossier"]
    session.add(ApologyLetter(dossier_id=dossier.id, number=1, issued_by_id=world["officer"].id,
                              issued_at=utcnow() - timedelta(days=1), reason="Chờ ý kiến thẩm định",
                              missed_due_at=dossier.due_at, previous_appointment_date=dossier.appointment_date,
                              new_appointment_date=dossier.appointment_date + timedelta(days=7),
                              forwarded_at=utcnow() - timedelta(days=1), forwarded_by_id=world["officer"].id))
    session.commit()
    log_in(client, world["officer"])
    old = client.get(f"/workbench/{dossier.code}/apology/1.pdf")
    assert old.status_code == 200 and old.data.startswith(b"%PDF")
    assert session.scalar(select(func.count()).select_from(OfficialForm)) == 0
    text = pypdf.PdfReader(io.BytesIO(old.data)).pages[0].extract_text()
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text and "Số: 1/TXL" in text
    assert "Chờ ý kiến thẩm định" in " ".join(text.split())
    client.post("/logout")
    log_in(client, world["stranger"])
    assert client.get(f"/workbench/{dossier.code}/apology/1.pdf").status_code == 404

"""Agency isolation: an officer of agency B walks EVERY route of the app (app.url_map), as a page
session and with an API token, aimed at agency A's dossier code and ids, and proves that no answer
carries A's dossier data and that A's dossier is left exactly as it was."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.dossiers.models import Dossier, DossierStatus
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.workbench.models import (
    ApologyLetter,
    OpinionRequest,
    PaperHandover,
    RefundFlag,
    Rejection,
    SupplementRequest,
)
from tests import factories
from tests.conftest import log_in

#: words that exist only in agency A's dossier: none may reach agency B's officer
SECRETS = ("Bí Mật Hồ Sơ A", "CÂU HỎI LIÊN THÔNG CỦA A", "LÝ DO XIN LỖI CỦA A", "BỔ SUNG RIÊNG CỦA A", "+84919999111")

#: routes whose answer is public by law, keyed by the dossier code alone (R-19: anyone may look a
#: dossier up by its code and see the applicant's name and status): not agency data.
PUBLIC_BY_DESIGN = re.compile(r"^lookup(_api)?\.")
#: routes that would end the walker's own session or switch its language mid-walk
SKIPPED = {"accounts.logout", "accounts_api.revoke_token", "choose_language", "static"}


@pytest.fixture()
def agency_a(session):
    """Created first, so A's rows hold the low ids that a walker guessing "1" would hit."""
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông A")
    officer = factories.user(session, Role.agency_staff, agency=agency, email="officer-a@example.vn")
    citizen = factories.user(session, Role.citizen, full_name="Nguyễn Thị Bí Mật Hồ Sơ A", phone="+84919999111")
    procedure = factories.procedure(session, agency, level=4)
    dossier = factories.postal_dossier(session, procedure=procedure, citizen=citizen, status=DossierStatus.in_processing,
                                       entered_at=utcnow() - timedelta(days=10), due_at=utcnow() - timedelta(days=1))
    partner = factories.agency(session, name="Công an tỉnh")
    now = utcnow()
    session.add_all([
        OpinionRequest(dossier_id=dossier.id, agency_id=partner.id, asked_by_id=officer.id, asked_at=now,
                       question="CÂU HỎI LIÊN THÔNG CỦA A", due_at=now + timedelta(days=3)),
        ApologyLetter(dossier_id=dossier.id, number=1, issued_by_id=officer.id, issued_at=now, reason="LÝ DO XIN LỖI CỦA A",
                      missed_due_at=dossier.due_at, previous_appointment_date=dossier.appointment_date,
                      new_appointment_date=dossier.appointment_date + timedelta(days=7)),
        SupplementRequest(dossier_id=dossier.id, requested_by_id=officer.id, requested_at=now - timedelta(days=5),
                          reasons=["BỔ SUNG RIÊNG CỦA A"], spent_seconds=0, remaining_seconds=3600,
                          previous_due_at=dossier.due_at, supplied_at=now - timedelta(days=4)),
    ])
    session.commit()
    return {"agency": agency, "dossier": dossier, "citizen": citizen, "officer": officer}


def _snapshot(session, dossier_id: int) -> dict:
    session.expire_all()
    dossier = session.get(Dossier, dossier_id)

    def count(model, *where):
        return session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "status": dossier.status, "version": dossier.version, "due_at": dossier.due_at,
        "appointment_date": dossier.appointment_date, "history": len(dossier.history),
        "collected": len(dossier.collected), "documents": len(dossier.documents),
        "handovers": count(PaperHandover, PaperHandover.dossier_id == dossier_id),
        "supplements": count(SupplementRequest, SupplementRequest.dossier_id == dossier_id),
        "opinions": count(OpinionRequest, OpinionRequest.dossier_id == dossier_id, OpinionRequest.answered_at.is_(None)),
        "letters": count(ApologyLetter, ApologyLetter.dossier_id == dossier_id),
        "rejections": count(Rejection, Rejection.dossier_id == dossier_id),
        "refunds": count(RefundFlag, RefundFlag.dossier_id == dossier_id),
        "events": count(IntegrationEvent, IntegrationEvent.aggregate_id == dossier.code),
        "messages": count(OutboxMessage, OutboxMessage.recipient_user_id == dossier.citizen_id),
    }


def _url(rule, values: dict) -> str:
    path = rule.rule
    for argument in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?" + argument + r">", str(values[argument]), path)
    return path


def _values(rule, world: dict) -> dict:
    """Each path argument aimed at agency A: its dossier code, agency code, citizen id, today, ids 1."""
    dossier = world["dossier"]
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument].__class__.__name__
        if argument == "citizen_id":
            values[argument] = world["citizen"].id
        elif argument == "day":
            values[argument] = utcnow().date().isoformat()
        elif argument == "fmt":
            values[argument] = "csv"
        elif argument == "code" and "/agencies/" in rule.rule:
            values[argument] = world["agency"].code
        elif argument == "code" and "/procedures/" in rule.rule:
            values[argument] = dossier.procedure.code
        elif converter == "IntegerConverter":
            values[argument] = 1  # A's rows were created first
        else:
            values[argument] = dossier.code
    return values


def _body(dossier: Dossier, agency_code: str) -> dict:
    """Everything a step might read: a B officer trying to move A's dossier."""
    return {
        "version": dossier.version, "action": "mark_result_ready", "paper_matches": True, "reasons": ["x"],
        "reason": "x", "note": "x", "via": "post", "answer": "x", "opinion_id": 1, "agency_code": agency_code,
        "question": "x", "working_days": 2, "new_date": "2099-01-05", "code": dossier.code, "dossier_code": dossier.code,
    }


@pytest.mark.slow
def test_an_officer_of_another_agency_sees_and_changes_nothing_of_a(app, client, session, agency_a):
    dossier = agency_a["dossier"]
    officer_b = factories.user(session, Role.agency_staff)
    admin_b = factories.user(session, Role.agency_admin, agency=officer_b.agency)
    tokens = {user.id: issue_token(session, user)[0] for user in (officer_b, admin_b)}
    session.commit()
    before = _snapshot(session, dossier.id)
    walked, leaks, errors = [], [], []
    for user in (officer_b, admin_b):
        log_in(client, user)
        bearer = {"Authorization": f"Bearer {tokens[user.id]}"}
        api_client = app.test_client()  # no session cookie: the API accepts bearer tokens only
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint in SKIPPED or PUBLIC_BY_DESIGN.match(rule.endpoint):
                continue
            url = _url(rule, _values(rule, agency_a))
            query = {"code": dossier.code, "agency": agency_a["agency"].code, "dossier": dossier.code}
            is_api = rule.rule.startswith("/api/")
            headers, caller = (bearer, api_client) if is_api else ({}, client)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                body = _body(dossier, agency_a["agency"].code)
                if method == "GET":
                    answer = caller.get(url, query_string=query, headers=headers)
                elif is_api:
                    answer = caller.open(url, method=method, json=body, headers=headers)
                else:
                    answer = client.open(url, method=method, data={k: str(v) for k, v in body.items()})
                walked.append((method, url, answer.status_code))
                text = answer.get_data(as_text=True) if answer.mimetype.startswith(("text/", "application/json", "application/problem")) else ""
                if answer.status_code >= 500:
                    errors.append((method, url, answer.status_code))
                if any(secret in text for secret in SECRETS):
                    leaks.append((method, url, answer.status_code))
                if answer.status_code == 200 and answer.mimetype in ("application/pdf",) and dossier.code in url:
                    leaks.append((method, url, "pdf of A's dossier"))
                session.rollback()
        client.post("/logout")
    assert len(walked) > 100
    # The walker was signed in (its own pages answer) and aimed at A (A's dossier is not found).
    statuses = {(method, url): status for method, url, status in walked}
    assert statuses[("GET", "/workbench")] == 200 and statuses[("GET", "/api/v1/workbench/dossiers")] == 200
    assert statuses[("GET", "/statistics")] == 403  # ?agency= A's code
    assert statuses[("GET", f"/workbench/{dossier.code}")] == 404
    assert statuses[("GET", f"/api/v1/dossiers/{dossier.code}")] == 404
    assert statuses[("POST", f"/api/v1/workbench/dossiers/{dossier.code}/actions")] == 404
    assert errors == []
    assert leaks == []
    assert _snapshot(session, dossier.id) == before


def test_the_secrets_are_there_for_agency_a_itself(client, agency_a):
    """The walk above would notice a leak: A's own officer does see every secret."""
    log_in(client, "officer-a@example.vn")
    page = client.get(f"/workbench/{agency_a['dossier'].code}").get_data(as_text=True)
    for secret in SECRETS[:4]:
        assert secret in page

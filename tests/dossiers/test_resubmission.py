"""Resubmission of a dossier sent back for completion (form 02 at reception, Điều 12.1.c, 12.2.b): the citizen
or the post office that submitted it sends it back to the one-stop office, which checks it again."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.consents.models import AuditEntry
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import Forbidden, InvalidInput, NotFound
from postal_gateway.dossiers.models import DossierStatus
from postal_gateway.dossiers.resubmission import resubmit
from postal_gateway.dossiers.workflow import IllegalTransition
from postal_gateway.workbench import reception
from tests import factories
from tests.conftest import log_in
from tests.workbench.test_reception import TUESDAY, at

WEDNESDAY_1000 = at(TUESDAY.replace(day=TUESDAY.day + 1), 10, 0)


@pytest.fixture()
def sent_back(session):
    """A dossier the post office submitted Tuesday 08:00 and the officer sent back for completion at 09:00."""
    agency = factories.agency(session)
    procedure = factories.procedure(session, agency, processing_half_days=10)
    officer = factories.user(session, Role.agency_staff, agency_id=agency.id)
    citizen = factories.user(session, Role.citizen)
    staff = factories.user(session, Role.postal_staff)
    consent = factories.consent(session, citizen, staff, now=at(TUESDAY, 7, 0))
    dossier = factories.postal_dossier(
        session, procedure=procedure, citizen=citizen, staff=staff, entered_at=at(TUESDAY, 8, 0),
        status=DossierStatus.submitted, code=None, received_at=None, processing_start_at=None, due_at=None,
        appointment_date=None, accepted_at=None, receipt_basis=None, consent_id=consent.id,
    )
    reception.request_completion(session, officer=officer, ref=dossier.shipment_number, items=["Tờ khai"],
                                 reasons=["Chưa ký tên"], now=at(TUESDAY, 9, 0))
    session.commit()
    return {"dossier": dossier, "officer": officer, "citizen": citizen, "staff": staff, "agency": agency}


def test_citizen_resubmits_back_to_submitted_then_the_officer_accepts__dieu_12_1_c(session, sent_back):
    """Điều 12.1.c, 12.2.b: the completed dossier is ``submitted`` again ("trở lại trình tự tiếp nhận"); the
    first submission time stays, the new moment, the note and the items it answers are kept in the step;
    the officer then accepts it and it gets its code and form 01."""
    dossier = sent_back["dossier"]
    resubmit(session, person=sent_back["citizen"], ref=dossier.shipment_number, now=WEDNESDAY_1000,
             confirmed=True, note="Đã ký tờ khai, nộp bản giấy tại bưu cục")
    assert dossier.status == DossierStatus.submitted and dossier.code is None
    assert dossier.submitted_at == at(TUESDAY, 8, 0)
    step = dossier.history[-1]
    assert step.action == "resubmit" and step.actor_id == sent_back["citizen"].id
    assert step.details == {"resubmitted_at": WEDNESDAY_1000.isoformat(), "confirmed_complete": True,
                            "note": "Đã ký tờ khai, nộp bản giấy tại bưu cục", "completed_items": ["Tờ khai"]}
    reception.accept(session, officer=sent_back["officer"], ref=dossier.shipment_number, basis="online_valid",
                     now=at(TUESDAY.replace(day=TUESDAY.day + 1), 10, 30))
    assert dossier.status == DossierStatus.received and dossier.code


def test_the_posts_staff_resubmit_under_the_citizens_consent__dieu_21_1(session, sent_back):
    """Điều 21.1, R-02: the post office that submitted the dossier may resubmit it for the citizen, under the
    consent it was submitted with; the audit log names both."""
    dossier = sent_back["dossier"]
    resubmit(session, person=sent_back["staff"], ref=dossier.shipment_number, now=WEDNESDAY_1000, confirmed=True)
    assert dossier.status == DossierStatus.submitted
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.resubmitted"))
    assert entry.actor_id == sent_back["staff"].id and entry.on_behalf_of_id == sent_back["citizen"].id
    assert entry.consent_id == dossier.consent_id


def test_wrong_people_cannot_resubmit_and_nothing_changes__dieu_12_1_c(session, sent_back):
    """Điều 12.1.c: another citizen or another post office does not learn the dossier exists (NotFound);
    its agency's officer and an operator may see it but not resubmit it (Forbidden); an unconfirmed
    resubmission names the article; a dossier not sent back cannot be resubmitted."""
    dossier = sent_back["dossier"]
    stranger = factories.user(session, Role.citizen)
    other_office = factories.user(session, Role.postal_staff)
    operator = factories.user(session, Role.operator)
    for person, refusal in ((stranger, NotFound), (other_office, NotFound), (sent_back["officer"], Forbidden),
                            (operator, Forbidden), (None, NotFound)):
        with pytest.raises(refusal):
            resubmit(session, person=person, ref=dossier.shipment_number, now=WEDNESDAY_1000, confirmed=True)
    with pytest.raises(InvalidInput) as unconfirmed:
        resubmit(session, person=sent_back["citizen"], ref=dossier.shipment_number, now=WEDNESDAY_1000,
                 confirmed=False)
    assert "Điều 12.1.c" in unconfirmed.value.field_errors[0].message
    assert dossier.status == DossierStatus.completion_requested and dossier.history[-1].action == "request_completion"
    resubmit(session, person=sent_back["citizen"], ref=dossier.shipment_number, now=WEDNESDAY_1000, confirmed=True)
    with pytest.raises(IllegalTransition):
        resubmit(session, person=sent_back["citizen"], ref=dossier.shipment_number, now=WEDNESDAY_1000,
                 confirmed=True)


def test_the_citizen_resubmits_from_the_dossier_page__dieu_12_1_c(client, session, sent_back):
    """Điều 12.1.c: the citizen's page offers the resubmission while the dossier waits for completion; the
    button sends it back to reception."""
    dossier = sent_back["dossier"]
    log_in(client, sent_back["citizen"])
    page = client.get(f"/dossiers/{dossier.shipment_number}").get_data(as_text=True)
    assert 'id="resubmit"' in page and f"/dossiers/{dossier.shipment_number}/resubmit" in page
    refused = client.post(f"/dossiers/{dossier.shipment_number}/resubmit", data={"version": dossier.version})
    assert refused.status_code == 302 and dossier.status == DossierStatus.completion_requested
    done = client.post(f"/dossiers/{dossier.shipment_number}/resubmit",
                       data={"confirmed": "y", "note": "Đã ký", "version": dossier.version})
    assert done.status_code == 302
    session.refresh(dossier)
    assert dossier.status == DossierStatus.submitted
    assert 'id="resubmit"' not in client.get(f"/dossiers/{dossier.shipment_number}").get_data(as_text=True)


def test_api_resubmit_by_the_office_and_refusals__dieu_12_1_c(client, session, sent_back):
    """Điều 12.1.c, 21.1: the API action answers the dossier, now submitted; another citizen gets 404 whatever
    the body, the agency's officer 403, the post without a consent valid now 403, a dossier not sent back 409."""
    from postal_gateway.accounts.tokens import issue_token

    dossier = sent_back["dossier"]
    url = f"/api/v1/dossiers/{dossier.shipment_number}/resubmit"
    stranger = factories.user(session, Role.citizen)
    tokens = {name: issue_token(session, person)[0] for name, person in
              (("staff", sent_back["staff"]), ("stranger", stranger), ("officer", sent_back["officer"]))}
    session.commit()

    def post(name: str, body: dict):
        return client.post(url, json=body, headers={"Authorization": f"Bearer {tokens[name]}"})

    assert post("stranger", {"confirmed": True}).status_code == 404
    assert post("stranger", {"confirmed": "not a boolean"}).status_code == 404
    assert post("officer", {"confirmed": True}).status_code == 403
    unconfirmed = post("staff", {})
    assert unconfirmed.status_code == 422 and unconfirmed.mimetype == "application/problem+json"
    # the consent the dossier went in with starts on the fixture's Tuesday, after today: none holds now
    assert post("staff", {"confirmed": True}).status_code == 403
    factories.consent(session, sent_back["citizen"], sent_back["staff"], now=utcnow() - timedelta(hours=1))
    session.commit()
    answer = post("staff", {"confirmed": True, "note": "Công dân đã ký tờ khai", "version": dossier.version})
    assert answer.status_code == 200 and answer.get_json()["status"] == "submitted"
    assert answer.get_json()["forms_url"] == f"/api/v1/dossiers/{dossier.shipment_number}/forms"
    assert post("staff", {"confirmed": True}).status_code == 409

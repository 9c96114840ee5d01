"""Completion request (form 02) and refusal (form 03) at reception, before any code (Điều 9.1.b,
12.1.c): the one-stop officer names every missing item at once, or refuses with reasons."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import Conflict, InvalidInput, NotFound
from postal_gateway.dossiers.models import DossierStatus
from postal_gateway.dossiers.workflow import IllegalTransition
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.workbench import reception
from tests import factories
from tests.workbench.test_reception import TUESDAY, at, submitted, world  # noqa: F401 (fixture)


def test_completion_request_names_every_item_with_its_reason_no_code__dieu_12_1_c(session, world):
    """Điều 12.1.c "đầy đủ một lần", 9.1.b: every item with its reason at once; the dossier waits for
    the citizen (completion_requested), gets no code, and the citizen is told by SMS and e-mail."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    reception.request_completion(
        session, officer=world["officer"], ref=dossier.shipment_number,
        items=["Bản sao giấy khai sinh", "Ảnh 4x6"], reasons=["Bản chụp mờ", "Thiếu ảnh"], now=at(TUESDAY, 9, 0))
    session.commit()
    assert dossier.status == DossierStatus.completion_requested
    assert dossier.code is None and dossier.received_at is None and dossier.due_at is None
    step = dossier.history[-1]
    assert step.action == "request_completion"
    assert step.details == {"items": ["Bản sao giấy khai sinh", "Ảnh 4x6"], "reasons": ["Bản chụp mờ", "Thiếu ảnh"]}
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "completion_requested")).all()
    assert len(messages) == 2
    email = next(m for m in messages if m.recipient == "dan@example.vn")
    assert dossier.shipment_number in email.body and "Ảnh 4x6" in email.body and "Thiếu ảnh" in email.body


def test_resubmitted_after_completion_goes_back_to_reception__dieu_12_1_c():
    """Điều 12.1.c, 12.2.b: the completed dossier returns to reception (submitted), still without a code."""
    from postal_gateway.dossiers.workflow import Action, next_status
    assert next_status(DossierStatus.completion_requested, Action.resubmit) == DossierStatus.submitted
    assert next_status(DossierStatus.submitted, Action.request_completion) == DossierStatus.completion_requested
    with pytest.raises(IllegalTransition):
        next_status(DossierStatus.received, Action.request_completion)


def test_refusal_and_completion_need_reasons__dieu_12_1_c(session, world):
    """Điều 12.1.c: a completion request or a refusal without reasons (or an item without its reason)
    is refused naming the article; nothing changes and no message goes out."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    session.commit()
    version = dossier.version
    cases = [
        lambda: reception.request_completion(session, officer=world["officer"], ref=dossier.shipment_number,
                                             items=[], reasons=[], now=at(TUESDAY, 9, 0)),
        lambda: reception.request_completion(session, officer=world["officer"], ref=dossier.shipment_number,
                                             items=["Ảnh", "Tờ khai"], reasons=["Thiếu"], now=at(TUESDAY, 9, 0)),
        lambda: reception.refuse(session, officer=world["officer"], ref=dossier.shipment_number, reasons=["  "],
                                 now=at(TUESDAY, 9, 0)),
        lambda: reception.refuse(session, officer=world["officer"], ref=dossier.shipment_number, reasons="",
                                 now=at(TUESDAY, 9, 0)),
    ]
    for case in cases:
        with pytest.raises(InvalidInput, match=r"Điều 12\.1\.c"):
            case()
    session.rollback()
    assert dossier.status == DossierStatus.submitted and dossier.version == version
    assert session.scalar(select(OutboxMessage.id)) is None


def test_refusal_is_final_without_code_and_tells_where_to_go__dieu_9_1_b(session, world):
    """Điều 9.1.b: refused at reception with reasons and the competent agency; final, no code."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    reception.refuse(session, officer=world["officer"], ref=dossier.shipment_number,
                     reasons="Không thuộc thẩm quyền\n", competent_agency="UBND xã Tân Phú", now=at(TUESDAY, 9, 0))
    session.commit()
    assert dossier.status == DossierStatus.refused and dossier.code is None
    assert dossier.history[-1].details == {"reasons": ["Không thuộc thẩm quyền"], "competent_agency": "UBND xã Tân Phú"}
    bodies = session.scalars(select(OutboxMessage.body).where(OutboxMessage.template == "dossier_refused")).all()
    assert len(bodies) == 2 and all("UBND xã Tân Phú" in body or "UBND xa Tan Phu" in body for body in bodies)


def test_accept_after_refusal_refused__dieu_9_1_b(session, world):
    """Điều 9.1.b, 12.1.c: a refused dossier is never accepted (it is submitted again as a new one);
    nothing changes, no code is drawn."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    reception.refuse(session, officer=world["officer"], ref=dossier.shipment_number, reasons=["Sai thủ tục"],
                     now=at(TUESDAY, 9, 0))
    session.commit()
    version = dossier.version
    with pytest.raises(Conflict, match=r"Điều 9\.1\.b"):
        reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="online_valid",
                         now=at(TUESDAY, 10, 0))
    session.rollback()
    assert dossier.status == DossierStatus.refused and dossier.code is None and dossier.version == version


def test_refusing_an_accepted_dossier_is_refused__dieu_9_1_b(session, world):
    """Điều 9.1.b: refusal at reception is before receipt only; an accepted dossier is settled or
    rejected by the processing agency instead. Nothing changes."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="online_valid",
                     now=at(TUESDAY, 9, 0))
    session.commit()
    for call in (
        lambda: reception.refuse(session, officer=world["officer"], ref=dossier.code, reasons=["x"],
                                 now=at(TUESDAY, 10, 0)),
        lambda: reception.request_completion(session, officer=world["officer"], ref=dossier.code, items=["x"],
                                             reasons=["y"], now=at(TUESDAY, 10, 0)),
    ):
        with pytest.raises(IllegalTransition):
            call()
    session.rollback()
    assert dossier.status == DossierStatus.received


def test_only_an_officer_of_the_dossiers_agency_refuses__dieu_12_1_a(session, world):
    """Điều 12.1.a, 9.1.b: another agency's officer is told the dossier does not exist."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    stranger = factories.user(session, Role.agency_staff)
    with pytest.raises(NotFound):
        reception.refuse(session, officer=stranger, ref=dossier.shipment_number, reasons=["x"], now=at(TUESDAY, 9, 0))
    assert dossier.status == DossierStatus.submitted

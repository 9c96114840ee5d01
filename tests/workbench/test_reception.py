"""Acceptance at the one-stop office (workbench.reception): the legal anchor of a postal dossier
(Điều 12.1.a–đ, 14.4, 15.2). The post only submits (Điều 21.1); the receipt time, the transfer time,
the due time, the appointment date and the code come from the agency's acceptance."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import Role, User
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput, NotFound
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.dossiers.models import Dossier, DossierCodeCounter, DossierStatus, ReceiptBasis
from postal_gateway.dossiers.workflow import IllegalTransition
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.workbench import reception, services
from tests import factories
from tests.concurrency import all_at_once

VN = timezone(timedelta(hours=7))
FRIDAY_1630 = datetime(2026, 12, 11, 16, 30, tzinfo=VN)
MONDAY_0810 = datetime(2026, 12, 14, 8, 10, tzinfo=VN)
TUESDAY = date(2026, 12, 8)


def at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


@pytest.fixture()
def world(session):
    agency = factories.agency(session, code="000.00.20.H10")
    procedure = factories.procedure(session, agency, processing_half_days=10)  # five working days
    officer = factories.user(session, Role.agency_staff, agency_id=agency.id)
    citizen = factories.user(session, Role.citizen, phone="+84912000555", email="dan@example.vn")
    session.commit()
    return {"agency": agency, "procedure": procedure, "officer": officer, "citizen": citizen}


def submitted(session, world, submitted_at: datetime) -> Dossier:
    """A dossier the post submitted at ``submitted_at``: a shipment number and nothing of a receipt."""
    return factories.postal_dossier(
        session, procedure=world["procedure"], citizen=world["citizen"], entered_at=submitted_at,
        status=DossierStatus.submitted, code=None, received_at=None, processing_start_at=None, due_at=None,
        appointment_date=None, accepted_at=None, receipt_basis=None,
    )


def test_submitted_friday_1630_accepted_monday_0810_receipt_is_monday__dieu_12_1_d(session, world):
    """Điều 12.1.d, 15.2.b: the receipt time is the agency's acceptance (Monday 08:10), not the post's
    submission (Friday 16:30); the code carries Monday and the appointment counts from Monday."""
    dossier = submitted(session, world, FRIDAY_1630)
    reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="online_valid",
                     now=MONDAY_0810)
    session.commit()
    assert dossier.status == DossierStatus.received
    assert dossier.received_at == MONDAY_0810 and dossier.processing_start_at == MONDAY_0810
    assert dossier.code == "000.00.20.H10-261214-0001"
    assert dossier.due_at == at(date(2026, 12, 21), 8, 10)  # five working days from Monday 08:10
    assert dossier.appointment_date == date(2026, 12, 21)
    assert (dossier.accepted_at, dossier.accepted_by_id, dossier.receipt_basis) == (
        MONDAY_0810, world["officer"].id, ReceiptBasis.online_valid)
    assert dossier.submitted_at == FRIDAY_1630
    assert [step.action for step in dossier.history] == ["accept"]  # factory rows have no submission step
    events = session.scalars(select(IntegrationEvent.event_type).order_by(IntegrationEvent.id)).all()
    assert "dossier.received" in events


def test_online_acceptance_at_1730_counts_from_next_working_period__dieu_12_1_d(session, world):
    """Điều 12.1.d: an e-dossier notified valid outside office hours is received at the start of the
    next working period (Wednesday 07:00 for Tuesday 17:30); the code carries that day."""
    dossier = submitted(session, world, at(TUESDAY, 10, 0))
    reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="online_valid",
                     now=at(TUESDAY, 17, 30))
    assert dossier.received_at == at(date(2026, 12, 9), 7, 0)
    assert dossier.accepted_at == at(TUESDAY, 17, 30)
    assert dossier.code.endswith("-261209-0001")


def _paper_accepted(session, world, handed: datetime) -> Dossier:
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    services.receive_from_post(session, officer=world["officer"], code=dossier.shipment_number, paper_matches=True,
                               now=handed)
    reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="paper_handover",
                     now=handed + timedelta(minutes=20))
    return dossier


def test_paper_handover_1559_and_1601_receipt_is_the_handover_time__dieu_12_1_d(session, world):
    """Điều 12.1.d: for a paper dossier the receipt time is the moment the postal worker hands the
    complete dossier to the one-stop officer, on either side of 16:00 (not the later click)."""
    early = _paper_accepted(session, world, at(TUESDAY, 15, 59))
    late = _paper_accepted(session, world, at(TUESDAY, 16, 1))
    assert early.received_at == at(TUESDAY, 15, 59) and late.received_at == at(TUESDAY, 16, 1)
    assert early.receipt_basis == late.receipt_basis == ReceiptBasis.paper_handover
    assert (early.code[-4:], late.code[-4:]) == ("0001", "0002")


def test_paper_handover_1601_transferred_next_working_morning_1559_at_once__dieu_12_1_dd(session, world):
    """Điều 12.1.đ: received after 16:00, the dossier goes to the processing department at the start
    of the next working day; at 15:59 it goes at once. Only the transfer time differs."""
    early = _paper_accepted(session, world, at(TUESDAY, 15, 59))
    late = _paper_accepted(session, world, at(TUESDAY, 16, 1))
    assert early.processing_start_at == at(TUESDAY, 15, 59)
    assert late.processing_start_at == at(date(2026, 12, 9), 7, 0)


def test_paper_acceptance_needs_a_matching_signed_handover__dieu_12_1_d(session, world):
    """Điều 12.1.d: "giao nhận đầy đủ hồ sơ": no hand-over signed, or a paper that differs, gives no
    paper receipt time; nothing changes."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    with pytest.raises(Conflict, match="12.1.d"):
        reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="paper_handover",
                         now=at(TUESDAY, 9, 0))
    assert dossier.code is None and dossier.status == DossierStatus.submitted
    with pytest.raises(InvalidInput):
        reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="by_pigeon",
                         now=at(TUESDAY, 9, 0))


def test_accept_twice_refused_nothing_changed__dieu_14_4(session, world):
    """Điều 14.4: a dossier is received once and gets one code; a second acceptance (by its code or
    its shipment number) is refused and changes nothing, not even the day's counter."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="online_valid",
                     now=at(TUESDAY, 9, 0))
    session.commit()
    before = (dossier.code, dossier.received_at, dossier.due_at, dossier.version)
    for ref in (dossier.shipment_number, dossier.code):
        with pytest.raises(IllegalTransition, match="tiếp nhận"):
            reception.accept(session, officer=world["officer"], ref=ref, basis="online_valid", now=at(TUESDAY, 10, 0))
    session.rollback()
    assert (dossier.code, dossier.received_at, dossier.due_at, dossier.version) == before
    assert session.scalar(select(DossierCodeCounter.last_sequence)) == 1


def test_only_an_officer_of_the_dossiers_agency_accepts__dieu_12_1_a(session, world):
    """Điều 12.1.a: the one-stop officer of the competent agency checks the dossier; another agency's
    officer is told it does not exist, postal staff and citizens may not accept."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    stranger = factories.user(session, Role.agency_staff)
    with pytest.raises(NotFound):
        reception.accept(session, officer=stranger, ref=dossier.shipment_number, basis="online_valid",
                         now=at(TUESDAY, 9, 0))
    for role in (Role.postal_staff, Role.citizen):
        with pytest.raises(Forbidden):
            reception.accept(session, officer=factories.user(session, role), ref=dossier.shipment_number,
                             basis="online_valid", now=at(TUESDAY, 9, 0))
    assert dossier.code is None


def test_acceptance_message_has_code_and_date__dieu_12_1_b(session, world):
    """Điều 12.1.b: the citizen is told by text message and e-mail, now at acceptance, with the code
    and the appointment date. (Form 01 attached to the e-mail: the forms slice.)"""
    dossier = submitted(session, world, FRIDAY_1630)
    reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="online_valid",
                     now=MONDAY_0810)
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "dossier_received")).all()
    assert {m.channel.value if hasattr(m.channel, "value") else m.channel for m in messages} == {"sms", "email"}
    for message in messages:
        assert dossier.code in message.body and "21/12/2026" in message.body


def test_transfer_refused_before_acceptance__dieu_12_1_dd(session, world):
    """Điều 12.1.đ: only a received dossier goes to the processing department; a submitted one,
    even with its paper signed for, cannot be transferred."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    services.receive_from_post(session, officer=world["officer"], code=dossier.shipment_number, paper_matches=True,
                               now=at(TUESDAY, 9, 0))
    with pytest.raises(IllegalTransition):
        services.advance(session, officer=world["officer"], code=dossier.shipment_number, action="transfer",
                         now=at(TUESDAY, 9, 5))
    assert dossier.status == DossierStatus.submitted


@pytest.mark.slow
@pytest.mark.commits  # fifty connections at once
def test_code_issued_on_acceptance_gap_free_under_50_concurrent_acceptances__dieu_15_2_b(app, session, world):
    """Điều 14.4, 15.2.b: codes are issued on acceptance, per agency and receipt day, 0001..0050 under
    fifty officers accepting at once; a rolled-back acceptance gives its number back."""
    numbers = [submitted(session, world, at(TUESDAY, 8, 0)).shipment_number for _ in range(51)]
    session.commit()
    # a rolled-back acceptance first
    reception.accept(session, officer=world["officer"], ref=numbers.pop(), basis="online_valid", now=at(TUESDAY, 9, 0))
    session.rollback()
    officer_id = world["officer"].id

    def accept(own, index):
        return reception.accept(own, officer=own.get(User, officer_id), ref=numbers[index], basis="online_valid",
                                now=at(TUESDAY, 9, 30)).code

    codes, failures = all_at_once(app, accept, len(numbers))
    assert not failures
    assert sorted(codes) == [f"000.00.20.H10-261208-{n:04d}" for n in range(1, 51)]

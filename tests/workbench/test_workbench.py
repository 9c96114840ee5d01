"""The one-stop workbench's use cases: receiving from the post, supplements (time spent counts),
inter-agency opinions, rejection and withdrawal (refund flags), apology letters, result and
level-4 completion."""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from contracts.models import Leg
from postal_gateway import calendar
from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import Conflict, InvalidInput, NotFound
from postal_gateway.core.formatting import VIETNAM, to_local
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.dossiers.models import Channel, CollectedAmount, CollectionMethod, PaymentKind
from postal_gateway.dossiers.models import DossierStatus as S
from postal_gateway.dossiers.workflow import IllegalTransition, StaleDossier
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.workbench import services
from postal_gateway.workbench.models import RefundFlag, Rejection
from tests import factories
from tracking import sla
from tracking.models import ShipmentLeg


def local(month, day, hour=8, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


#: Monday 7 December 2026, 07:00 in Vietnam (the first working period opens): no holiday in the weeks used here
MONDAY = local(12, 7, 7)


@pytest.fixture()
def world(session):
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông Bình Phước")
    officer = factories.user(session, Role.agency_staff, agency=agency, full_name="Đỗ Thị Mai")
    stranger = factories.user(session, Role.agency_staff)
    procedure = factories.procedure(session, agency, processing_half_days=10, level=3, fee_vnd=50_000)
    received = calendar.receipt_time(MONDAY)
    dossier = factories.postal_dossier(
        session, procedure=procedure, entered_at=MONDAY, received_at=received,
        processing_start_at=calendar.processing_start(received), due_at=calendar.due_at(received, 5),
        appointment_date=calendar.appointment_date(received, 5),
    )
    session.commit()
    return {"agency": agency, "officer": officer, "stranger": stranger, "procedure": procedure, "dossier": dossier}


def _to_processing(session, world, at=MONDAY):
    officer, code = world["officer"], world["dossier"].code
    services.receive_from_post(session, officer=officer, code=code, paper_matches=True, now=at)
    services.advance(session, officer=officer, code=code, action="transfer", now=at + timedelta(minutes=5))
    services.advance(session, officer=officer, code=code, action="start_processing", now=at + timedelta(minutes=10))
    session.commit()


def _messages(session, template):
    return session.scalars(select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id)).all()


def test_receiving_from_the_post_signs_once_and_ends_the_forward_leg(session, world):
    officer, code = world["officer"], world["dossier"].code
    with pytest.raises(Conflict) as early:
        services.advance(session, officer=officer, code=code, action="transfer", now=MONDAY)
    assert "ký nhận hồ sơ giấy" in str(early.value)
    with pytest.raises(InvalidInput) as unexplained:
        services.receive_from_post(session, officer=officer, code=code, paper_matches=False, discrepancies=" ", now=MONDAY)
    assert [e.field for e in unexplained.value.field_errors] == ["discrepancies"]
    with pytest.raises(InvalidInput) as undecided:
        services.receive_from_post(session, officer=officer, code=code, paper_matches=None, now=MONDAY)
    assert [e.field for e in undecided.value.field_errors] == ["paper_matches"]
    handover = services.receive_from_post(session, officer=officer, code=code.lower(), paper_matches=False,
                                          discrepancies="Thiếu bản gốc giấy phép", now=MONDAY)
    session.commit()
    assert handover.officer_id == officer.id and not handover.paper_matches
    leg = session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == world["dossier"].id,
                                                    ShipmentLeg.kind == Leg.forward)).one()
    assert leg.completed_at == MONDAY
    with pytest.raises(Conflict):
        services.receive_from_post(session, officer=officer, code=code, paper_matches=True, now=MONDAY)
    with pytest.raises(NotFound):
        services.receive_from_post(session, officer=world["stranger"], code=code, paper_matches=True, now=MONDAY)
    titles = [entry.title for entry in services.timeline(session, world["dossier"])]
    assert "Ký nhận hồ sơ giấy từ bưu chính: có sai khác" in titles


def test_counter_dossiers_have_no_paper_to_sign_for(session, world):
    counter = factories.postal_dossier(session, procedure=world["procedure"], channel=Channel.counter)
    session.commit()
    with pytest.raises(InvalidInput):
        services.receive_from_post(session, officer=world["officer"], code=counter.code, paper_matches=True, now=MONDAY)
    services.advance(session, officer=world["officer"], code=counter.code, action="transfer", now=MONDAY)
    assert counter.status == S.transferred


def test_supplement_lists_every_reason_notifies_and_keeps_the_time_spent(session, world):
    _to_processing(session, world)
    officer, dossier = world["officer"], world["dossier"]
    with pytest.raises(InvalidInput):
        services.request_supplement(session, officer=officer, code=dossier.code, reasons="\n  \n", now=local(12, 9))
    day = calendar.active_calendar().day_length
    request = services.request_supplement(
        session, officer=officer, code=dossier.code, now=local(12, 9, 7),
        reasons="Bản sao giấy phép có chứng thực\n\nTờ khai ký ghi rõ họ tên", expected_version=dossier.version)
    session.commit()
    assert dossier.status == S.supplement_requested
    assert request.reasons == ["Bản sao giấy phép có chứng thực", "Tờ khai ký ghi rõ họ tên"]
    # Monday and Tuesday were spent; three working days are left of five.
    assert request.spent_seconds == int((2 * day).total_seconds())
    assert request.remaining_seconds == int((3 * day).total_seconds())
    sms = _messages(session, "supplement_requested")
    assert {m.channel.value for m in sms} == {"sms", "email"}
    assert "Ban sao giay phep co chung thuc; To khai ky ghi ro ho ten" in sms[0].body  # SMS: plain letters
    with pytest.raises(IllegalTransition):
        services.advance(session, officer=officer, code=dossier.code, action="start_verification", now=local(12, 10))
    # The supplement arrives on Monday 14 at 07:00: three working days from then, to Wednesday's close.
    services.receive_supplement(session, officer=officer, code=dossier.code, now=local(12, 14, 7), expected_version=dossier.version)
    session.commit()
    assert dossier.status == S.in_processing
    assert dossier.due_at == local(12, 16, 17)
    assert to_local(dossier.due_at).date() == datetime(2026, 12, 16).date()
    assert dossier.appointment_date == to_local(dossier.due_at).date()
    with pytest.raises(IllegalTransition):
        services.receive_supplement(session, officer=officer, code=dossier.code, now=local(12, 14))


def test_inter_agency_opinions_each_with_its_own_deadline(session, world):
    _to_processing(session, world)
    officer, code = world["officer"], world["dossier"].code
    police = factories.agency(session, name="Công an tỉnh")
    tax = factories.agency(session, name="Cục Thuế tỉnh")
    with pytest.raises(InvalidInput) as refused:
        services.ask_opinion(session, officer=officer, code=code, agency_code=world["agency"].code, question="",
                             working_days=0, now=MONDAY)
    assert {e.field for e in refused.value.field_errors} == {"agency_code", "question", "working_days"}
    first = services.ask_opinion(session, officer=officer, code=code, agency_code=police.code, question="Xác minh nhân thân",
                                 working_days=2, now=local(12, 8))
    second = services.ask_opinion(session, officer=officer, code=code, agency_code=tax.code, question="Nghĩa vụ thuế",
                                  working_days=5, now=local(12, 8))
    session.commit()
    assert world["dossier"].status == S.verification
    assert first.due_at == calendar.add_working_days(local(12, 8), 2)
    assert second.due_at == calendar.add_working_days(local(12, 8), 5) and second.due_at > first.due_at
    services.record_opinion(session, officer=officer, code=code, opinion_id=first.id, answer="Đồng ý", now=local(12, 9))
    with pytest.raises(Conflict):
        services.record_opinion(session, officer=officer, code=code, opinion_id=first.id, answer="Lại", now=local(12, 9))
    with pytest.raises(Conflict) as waiting:
        services.advance(session, officer=officer, code=code, action="finish_verification", now=local(12, 9))
    assert "Cục Thuế tỉnh" in str(waiting.value)
    # Past its own deadline, silence no longer holds the dossier.
    services.advance(session, officer=officer, code=code, action="finish_verification", now=second.due_at + timedelta(minutes=1))
    assert world["dossier"].status == S.in_processing


def test_rejection_with_written_reasons_flags_a_paid_fee_for_refund(session, world):
    _to_processing(session, world)
    dossier = world["dossier"]
    factories.amount_collected(session, dossier, PaymentKind.fee, 50_000)
    session.commit()
    with pytest.raises(InvalidInput):
        services.reject(session, officer=world["officer"], code=dossier.code, reasons=[], now=local(12, 8))
    services.reject(session, officer=world["officer"], code=dossier.code, reasons=["Không thuộc thẩm quyền"], now=local(12, 8))
    session.commit()
    assert dossier.status == S.rejected and dossier.given_back_at == local(12, 8)
    assert session.scalars(select(Rejection.reasons)).one() == ["Không thuộc thẩm quyền"]
    flag = session.scalars(select(RefundFlag)).one()
    assert (flag.amount_vnd, flag.cause) == (50_000, "rejected")
    assert services.refund_flags(session, agency_id=world["agency"].id) == [flag]
    assert "Khong thuoc tham quyen" in _messages(session, "dossier_rejected")[0].body


def test_withdrawal_without_a_fee_flags_nothing(session, world):
    dossier = world["dossier"]
    with pytest.raises(InvalidInput):
        services.withdraw(session, officer=world["officer"], code=dossier.code, reason="", now=MONDAY)
    services.withdraw(session, officer=world["officer"], code=dossier.code, reason="Đơn rút hồ sơ ngày 7/12", now=MONDAY)
    session.commit()
    assert dossier.status == S.withdrawn and session.scalars(select(RefundFlag)).all() == []


def test_apology_only_once_overdue_with_a_later_working_day_and_a_vietnamese_form_04__dieu_9_3_d_9_4_d(session, world):
    """Điều 9.3.d, 9.4.d: the processing agency's form 04 only past the due time, for a later working day; the
    citizen is told when the one-stop office forwards it."""
    _to_processing(session, world)
    officer, dossier = world["officer"], world["dossier"]
    due = dossier.due_at
    with pytest.raises(Conflict) as early:
        services.issue_apology(session, officer=officer, code=dossier.code, reason="Chờ xác minh",
                               new_date=datetime(2026, 12, 22).date(), now=due - timedelta(hours=1))
    assert "chưa quá hạn" in str(early.value)
    late = due + timedelta(days=1)
    with pytest.raises(InvalidInput) as bad:
        services.issue_apology(session, officer=officer, code=dossier.code, reason="", new_date=datetime(2026, 12, 19).date(), now=late)
    assert {e.field for e in bad.value.field_errors} == {"reason", "new_date"}  # Saturday
    assert services.is_late(dossier, late)
    letter = services.issue_apology(session, officer=officer, code=dossier.code, reason="Chờ ý kiến Công an tỉnh",
                                    new_date=datetime(2026, 12, 22).date(), now=late, expected_version=dossier.version)
    session.commit()
    assert dossier.status == S.overdue and letter.number == 1 and letter.forwarded_at is None
    assert _messages(session, "apology") == []  # the one-stop office forwards it (Điều 9.4.d)
    services.forward_apology(session, officer=officer, code=dossier.code, letter_number=1,
                             now=late + timedelta(hours=1))
    session.commit()
    assert dossier.appointment_date == datetime(2026, 12, 22).date() and dossier.due_at == due  # stays late in statistics
    message = _messages(session, "apology")[0]
    assert "22/12/2026" in message.body and "Cho y kien Cong an tinh" in message.body
    assert f"/forms/{letter.form_id}.pdf" in message.body
    pdf = letter.form.pdf
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode().split())
        for expected in ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", dossier.code, "Chờ ý kiến Công an tỉnh",
                         "ngày 22 tháng 12 năm 2026", "Đỗ Thị Mai", "Số: 1/PXL"):
            assert expected in text
    second = services.issue_apology(session, officer=officer, code=dossier.code, reason="Chờ thẩm định lại",
                                    new_date=datetime(2026, 12, 28).date(), now=late + timedelta(days=8))
    assert second.number == 2 and second.previous_appointment_date == datetime(2026, 12, 22).date()
    assert second.form.number == 2


def test_result_ready_opens_the_return_leg_and_level_4_completion_waits_for_the_fee(session, world):
    level4 = factories.procedure(session, world["agency"], level=4, fee_vnd=120_000)
    dossier = factories.postal_dossier(session, procedure=level4, entered_at=MONDAY)
    session.commit()
    officer, code = world["officer"], dossier.code
    services.receive_from_post(session, officer=officer, code=code, paper_matches=True, now=MONDAY)
    for action in ("transfer", "start_processing"):
        services.advance(session, officer=officer, code=code, action=action, now=MONDAY)
    with pytest.raises(IllegalTransition):
        services.return_result(session, officer=officer, code=code, via="post", now=MONDAY)
    with unit_of_work(session):  # the return leg opens in the same transaction as the step
        services.mark_result_ready(session, officer=officer, code=code, now=local(12, 9))
    assert dossier.status == S.result_ready and dossier.settled_at == local(12, 9)
    leg = session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id, ShipmentLeg.kind == Leg.return_)).one()
    assert leg.started_at == local(12, 9)
    assert "Buu chinh se chuyen ket qua" in _messages(session, "result_ready")[0].body
    with pytest.raises(Conflict) as unpaid:
        services.return_result(session, officer=officer, code=code, via="post", now=local(12, 10))
    assert "0 ₫" in str(unpaid.value) and "120.000 ₫" in str(unpaid.value)
    with pytest.raises(InvalidInput):
        services.return_result(session, officer=officer, code=code, via="drone", now=local(12, 10))
    session.add(CollectedAmount(dossier_id=dossier.id, kind=PaymentKind.fee, method=CollectionMethod.online, amount_vnd=120_000))
    session.commit()
    services.return_result(session, officer=officer, code=code, via="post", now=local(12, 10), expected_version=dossier.version)
    session.commit()
    # Điều 25.2: handed to the post is not yet returned; the return leg's delivery makes it so
    assert dossier.status == S.result_with_post and dossier.history[-1].details == {"via": "post"}


def test_the_result_ready_step_and_its_return_leg_commit_together_or_not_at_all(session, world, monkeypatch):
    """The return leg opens within the step's transaction (R-16): a leg that cannot be opened undoes the step."""
    _to_processing(session, world)
    dossier, officer = world["dossier"], world["officer"]

    def no_contract_answers(*_args, **_kwargs):
        raise RuntimeError("contracts unavailable")

    monkeypatch.setattr(sla, "return_due", no_contract_answers)
    with pytest.raises(RuntimeError), unit_of_work(session):
        services.mark_result_ready(session, officer=officer, code=dossier.code, now=local(12, 9))
    session.expire_all()
    assert session.get(type(dossier), dossier.id).status == S.in_processing
    assert session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id,
                                                     ShipmentLeg.kind == Leg.return_)).all() == []


def test_a_stale_form_changes_nothing(session, world):
    dossier = world["dossier"]
    services.receive_from_post(session, officer=world["officer"], code=dossier.code, paper_matches=True, now=MONDAY)
    session.commit()
    seen = dossier.version
    services.advance(session, officer=world["officer"], code=dossier.code, action="transfer", now=MONDAY, expected_version=seen)
    session.commit()
    with pytest.raises(StaleDossier):
        services.withdraw(session, officer=world["officer"], code=dossier.code, reason="x", now=MONDAY, expected_version=seen)
    session.rollback()
    assert dossier.status == S.transferred


def test_queue_counts_states_and_late_dossiers_of_the_own_agency_only(session, world):
    other = factories.postal_dossier(session, procedure=factories.procedure(session, world["stranger"].agency))
    late = factories.postal_dossier(session, procedure=world["procedure"], entered_at=MONDAY - timedelta(days=30))
    session.commit()
    view = services.queue(session, world["officer"], now=MONDAY + timedelta(days=1))
    assert view.counts["received"] == 2 and view.overdue == 1
    assert other not in view.dossiers and late in view.dossiers
    assert services.queue(session, world["officer"], overdue_only=True, now=MONDAY + timedelta(days=1)).dossiers == [late]


def test_a_supplement_asked_for_after_the_due_time_leaves_the_dossier_late(session, world):
    _to_processing(session, world)
    dossier = world["dossier"]
    due = dossier.due_at
    request = services.request_supplement(session, officer=world["officer"], code=dossier.code, reasons=["Ảnh 4x6"],
                                          now=due + timedelta(days=2))
    assert request.remaining_seconds == 0
    services.receive_supplement(session, officer=world["officer"], code=dossier.code, now=due + timedelta(days=5))
    assert dossier.due_at == due and services.is_late(dossier, due + timedelta(days=5))


def test_a_dossier_waiting_for_the_citizen_is_not_counted_late(session, world):
    _to_processing(session, world)
    dossier = world["dossier"]
    services.request_supplement(session, officer=world["officer"], code=dossier.code, reasons=["Ảnh 4x6"], now=local(12, 8))
    later = dossier.due_at + timedelta(days=3)
    assert not services.is_late(dossier, later)
    assert services.queue(session, world["officer"], now=later).overdue == 0

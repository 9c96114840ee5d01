"""Demo rows of the workbench (``flask load-demo``): one postal dossier already past its due time,
brought by the post and waiting at the one-stop office of the demo agency. It was accepted through
``reception.accept`` like any other, so it has its stored form 01 and the citizen's outbox holds the
"dossier received" message with the form's link (the e-mail with the PDF attached).

The demo officer (motcua@demo.stttt.gov.vn) opens /workbench/receive, types the code, compares and
signs the hand-over, transfers it, starts processing, asks for a supplement, records the supplement,
issues the apology letter with a new date, marks the result ready and hands it to the post; then
/statistics shows it (received in the period, settled late) and /statistics.xlsx exports it.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import CashShift, ShiftStatus
from postal_gateway import calendar
from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import Procedure
from postal_gateway.core.config import process_settings
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import to_local
from postal_gateway.dossiers.demo import demo_dossier, record_submitted_and_accepted
from postal_gateway.dossiers.models import (
    Channel,
    CollectedAmount,
    CollectionMethod,
    CollectionPlace,
    Dossier,
    DossierStatus,
    PaymentKind,
)
from postal_gateway.dossiers.workflow import record_submission
from postal_gateway.workbench import reception, services

DEMO_KEY = "demo-workbench-1"
DEMO_WAITING_KEY = "demo-workbench-waiting"


def load_demo_workbench(session: Session) -> list[str]:
    """Idempotent: returns the lines to print."""
    officer = session.scalar(select(User).where(User.email == "motcua@demo.stttt.gov.vn"))
    staff = session.scalar(select(User).where(User.email == "buudien1@demo.buudien.vn"))
    citizen = session.scalar(select(User).where(User.id_number == "070190004567"))
    if officer is None or staff is None or citizen is None:
        return ["workbench: demo users missing; load them first"]
    existing = session.scalar(select(Dossier).where(Dossier.submitted_by_id == staff.id, Dossier.submission_key == DEMO_KEY))
    if existing is None:
        procedure = session.scalar(
            select(Procedure).where(Procedure.agency_id == officer.agency_id, Procedure.postal_eligible.is_(True))
            .order_by(Procedure.level, Procedure.processing_half_days, Procedure.code)
        )
        if procedure is None:
            return ["workbench: no postal-eligible demo procedure"]
        # Entered long enough ago that its due time has passed: the apology letter can be shown.
        entered = utcnow() - timedelta(days=int(procedure.processing_days * 2) + 14)
        existing = demo_dossier(
            session, procedure=procedure, entered_at=entered, accepted=False, citizen_id=citizen.id,
            channel=Channel.postal,
            collection_place=CollectionPlace.post_office, post_office_id=staff.post_office_id,
            delivery_address=citizen.address or "", submitted_by_id=staff.id, submission_key=DEMO_KEY,
            postage_vnd=30_000,
        )
        session.flush()
        if procedure.fee_vnd:
            # cash is always a line of a shift's book: the demo's day was a short shift, closed, awaiting the cashier
            shift = CashShift(worker_id=staff.id, post_office_id=staff.post_office_id, status=ShiftStatus.closed,
                              opened_at=entered, closed_at=entered + timedelta(minutes=5))
            session.add(shift)
            session.flush()
            existing.collected.append(CollectedAmount(kind=PaymentKind.fee, method=CollectionMethod.cash,
                                                      amount_vnd=procedure.fee_vnd, collected_by_id=staff.id,
                                                      collected_at=entered, shift_id=shift.id))
        # Submitted by the post, then accepted online by the one-stop officer as on the page: the code, the
        # appointment, form 01 and the citizen's "dossier received" message with its link (Điều 12.1.d, 14.4, 18).
        record_submission(session, existing, actor=staff, at=entered, on_behalf_of=citizen)
        reception.accept(session, officer=officer, ref=existing.shipment_number, basis="online_valid", now=entered,
                         public_base_url=process_settings().public_base_url)
        session.flush()
    waiting = _waiting_dossier(session, staff, citizen, officer)
    return [
        f"workbench: demo dossier {existing.code} (past due) waits at the one-stop office; "
        f"log in as motcua@demo.stttt.gov.vn, open /workbench/receive and type the code; statistics at /statistics",
        f"workbench: demo dossier {waiting.shipment_number} was submitted by the post and waits for acceptance "
        f"('Chờ tiếp nhận' at /workbench?status=submitted, motcua@demo.stttt.gov.vn, button 'Tiếp nhận hồ sơ')",
    ]


def _waiting_dossier(session: Session, staff: User, citizen: User, officer: User) -> Dossier:
    """A dossier the post submitted an hour ago and the one-stop office has not accepted yet (Điều 21.1, 12.1.a)."""
    existing = session.scalar(select(Dossier).where(Dossier.submitted_by_id == staff.id,
                                                    Dossier.submission_key == DEMO_WAITING_KEY))
    if existing is not None:
        return existing
    procedure = session.scalar(
        select(Procedure).where(Procedure.agency_id == officer.agency_id, Procedure.postal_eligible.is_(True))
        .order_by(Procedure.level.desc(), Procedure.code)
    )
    waiting = demo_dossier(
        session, procedure=procedure, entered_at=utcnow() - timedelta(hours=1), accepted=False,
        citizen_id=citizen.id, channel=Channel.postal, collection_place=CollectionPlace.post_office,
        post_office_id=staff.post_office_id, delivery_address=citizen.address or "", submitted_by_id=staff.id,
        submission_key=DEMO_WAITING_KEY, postage_vnd=30_000,
    )
    session.flush()
    record_submission(session, waiting, actor=staff, at=waiting.submitted_at, on_behalf_of=citizen)
    session.flush()
    return waiting


DEMO_APOLOGY_KEY = "demo-workbench-form-04"
DEMO_SUPPLEMENT_KEY = "demo-workbench-form-02"


def load_demo_forms_04_and_02(session: Session) -> list[str]:
    """Idempotent: a late dossier with the processing agency's form 04, forwarded by the one-stop office (Điều
    9.3.d, 9.4.d), and a dossier in processing with a form 02 supplement request (Điều 9.3.b, 12.1.c)."""
    officer = session.scalar(select(User).where(User.email == "motcua@demo.stttt.gov.vn"))
    staff = session.scalar(select(User).where(User.email == "buudien1@demo.buudien.vn"))
    citizen = session.scalar(select(User).where(User.id_number == "070190004567"))
    if officer is None or staff is None or citizen is None:
        return ["workbench forms 02/04: demo users missing; load them first"]
    procedure = session.scalar(
        select(Procedure).where(Procedure.agency_id == officer.agency_id, Procedure.postal_eligible.is_(True))
        .order_by(Procedure.level, Procedure.processing_half_days, Procedure.code)
    )
    if procedure is None:
        return ["workbench forms 02/04: no postal-eligible demo procedure"]
    now = utcnow()
    late = _demo_in_processing(session, procedure, staff, citizen, officer, DEMO_APOLOGY_KEY,
                               entered=now - timedelta(days=int(procedure.processing_days * 2) + 10))
    if not services.apology_letters(session, late):
        periods = calendar.periods_from_config(late.agency.working_periods)
        new_date = calendar.next_working_day(to_local(now).date() + timedelta(days=3), periods=periods)
        letter = services.issue_apology(
            session, officer=officer, code=late.code, now=now - timedelta(minutes=30), new_date=new_date,
            reason="Hồ sơ phải chờ kết quả thẩm định thực tế tại cơ sở nên chưa giải quyết xong đúng hạn.")
        services.forward_apology(session, officer=officer, code=late.code, letter_number=letter.number,
                                 now=now - timedelta(minutes=10))
    waiting = _demo_in_processing(session, procedure, staff, citizen, officer, DEMO_SUPPLEMENT_KEY,
                                  entered=now - timedelta(days=2))
    if services.outstanding_supplement(session, waiting) is None and waiting.status == DossierStatus.in_processing:
        services.request_supplement(session, officer=officer, code=waiting.code, now=now - timedelta(minutes=20),
                                    items=[{"item": "Bản sao giấy chứng nhận đăng ký doanh nghiệp có chứng thực",
                                            "reason": "Bản sao nộp kèm chưa được chứng thực"},
                                           {"item": "Sơ đồ mặt bằng địa điểm kinh doanh",
                                            "reason": "Thẩm tra thực tế thấy sơ đồ không khớp hiện trạng"}])
    return [
        f"workbench: demo dossier {late.code} is late with form 04 of the processing agency, forwarded to the "
        f"citizen (Phiếu xin lỗi, /dossiers/{late.code}); the due time for statistics did not move",
        f"workbench: demo dossier {waiting.code} waits for a supplement asked on form 02 (Phiếu yêu cầu bổ sung)",
    ]


def _demo_in_processing(session: Session, procedure: Procedure, staff: User, citizen: User, officer: User,
                        key: str, *, entered) -> Dossier:
    """A postal dossier received, handed over on paper, transferred and in processing (made once per key)."""
    existing = session.scalar(select(Dossier).where(Dossier.submitted_by_id == staff.id, Dossier.submission_key == key))
    if existing is not None:
        return existing
    dossier = demo_dossier(
        session, procedure=procedure, entered_at=entered, citizen_id=citizen.id, channel=Channel.postal,
        collection_place=CollectionPlace.post_office, post_office_id=staff.post_office_id,
        delivery_address=citizen.address or "", submitted_by_id=staff.id, submission_key=key, postage_vnd=30_000,
    )
    session.flush()
    record_submitted_and_accepted(session, dossier, submitted_by=staff, accepted_by=officer, on_behalf_of=citizen)
    session.flush()
    handed = dossier.received_at + timedelta(minutes=5)
    services.receive_from_post(session, officer=officer, code=dossier.code, paper_matches=True, now=handed)
    for action in ("transfer", "start_processing"):
        services.advance(session, officer=officer, code=dossier.code, action=action, now=handed + timedelta(minutes=5))
    return dossier

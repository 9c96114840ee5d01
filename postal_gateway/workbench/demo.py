"""Demo rows of the workbench (``flask load-demo``): one postal dossier already past its due time,
brought by the post and waiting at the one-stop office of the demo agency.

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
from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import Procedure
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.demo import demo_dossier, record_submitted_and_accepted
from postal_gateway.dossiers.models import (
    Channel,
    CollectedAmount,
    CollectionMethod,
    CollectionPlace,
    Dossier,
    PaymentKind,
)
from postal_gateway.dossiers.workflow import record_submission

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
            session, procedure=procedure, entered_at=entered, citizen_id=citizen.id, channel=Channel.postal,
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
        record_submitted_and_accepted(session, existing, submitted_by=staff, accepted_by=officer, on_behalf_of=citizen)
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

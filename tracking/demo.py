"""Demo rows of the tracking area (``flask load-demo``): the demo postal worker's run sheet for the day.

- ``load_demo_tracking``: one postal dossier whose pickup at the citizen's door was requested when the demo
  was loaded (an open forward leg, Điều 20.1). The demo postal worker (buudien1@demo.buudien.vn) finds it on
  **Lộ trình hôm nay** (/tracking/run-sheet), opens /tracking/handheld, records "picked up",
  "handed to the one-stop office" (with the officer's name), then "result handed to the post",
  "out for delivery" and "delivered"; the citizen follows it at /lookup?code=<code>.
- ``load_demo_run_sheet_delivery``: a result the post took from the one-stop office, promised (the 24-hour
  commitment of Điều 25.2) later on the day the demo is loaded, so today's run sheet also holds a delivery.
  Its fee was paid by bank transfer and its postage is billed under the contract: the worker's cash book
  starts the day empty.

Both are placed relative to the time the demo is loaded, so ``make run`` on any day shows both stops.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import Leg
from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import Agency, Procedure
from postal_gateway.consents.models import ConsentScope
from postal_gateway.consents.services import attach_signed_authorisation, confirm_signed_authorisation
from postal_gateway.core.config import process_settings
from postal_gateway.core.db import utcnow
from postal_gateway.core.uploads import validate_scan
from postal_gateway.dossiers.demo import demo_dossier
from postal_gateway.dossiers.models import (
    Channel,
    CollectionMethod,
    CollectionPlace,
    Dossier,
)
from postal_gateway.dossiers.services import CollectedPayment, PostalSubmission, lookup_url, submit
from postal_gateway.dossiers.shipments import reference_of
from postal_gateway.dossiers.workflow import record_submission
from postal_gateway.notifications.demo import demo_scan
from postal_gateway.workbench import reception
from postal_gateway.workbench import services as workbench
from tracking.ingestion import create_leg, record_events
from tracking.run_sheet import end_of_day

DEMO_KEY = "demo-tracking-1"
DELIVERY_KEY = "demo-run-sheet-delivery-1"
STAFF_EMAIL = "buudien1@demo.buudien.vn"
OFFICER_EMAIL = "motcua@demo.stttt.gov.vn"
CITIZEN_ID_NUMBER = "070085001234"
DEMO_ADDRESS = "Phường Tân Phú, Đồng Xoài, Bình Phước"


def load_demo_tracking(session: Session) -> list[str]:
    """Idempotent: returns the lines to print (the demo dossier's code and where to follow it)."""
    staff = session.scalar(select(User).where(User.email == STAFF_EMAIL))
    citizen = session.scalar(select(User).where(User.id_number == CITIZEN_ID_NUMBER))
    agency = session.scalar(select(Agency).where(Agency.code == "000.00.20.H10"))
    if staff is None or citizen is None or agency is None:
        return ["tracking: demo users or agency missing; load them first"]
    existing = session.scalar(select(Dossier).where(Dossier.submitted_by_id == staff.id,
                                                    Dossier.submission_key == DEMO_KEY))
    if existing is None:
        procedure = session.scalar(
            select(Procedure).where(Procedure.agency_id == agency.id, Procedure.postal_eligible.is_(True))
            .order_by(Procedure.code)
        )
        if procedure is None:
            return ["tracking: no postal-eligible demo procedure"]
        # submitted online through the citizen's account (Điều 21.1): the agency accepts it, and gives it its code
        # and appointment (Điều 14.4, 12.1.d), once the paper dossier picked up at the door reaches it
        existing = demo_dossier(
            session, procedure=procedure, entered_at=utcnow(), accepted=False, citizen_id=citizen.id,
            channel=Channel.postal, collection_place=CollectionPlace.citizen_address,
            post_office_id=staff.post_office_id,
            pickup_address=citizen.address or DEMO_ADDRESS,
            delivery_address=citizen.address or DEMO_ADDRESS,
            submitted_by_id=staff.id, submission_key=DEMO_KEY, postage_vnd=30_000,
        )
        session.flush()
        record_submission(session, existing, actor=staff, at=existing.submitted_at, on_behalf_of=citizen)
        session.flush()
        # the pickup at the citizen's door is requested: the forward leg is open, nothing picked up yet
        create_leg(session, existing, Leg.forward, post_office_id=staff.post_office_id)
        session.flush()
    reference = reference_of(existing)  # its shipment number until the agency accepts it
    return [
        f"tracking: demo dossier {reference} waits for pickup at the citizen's door (on today's run sheet,"
        f" /tracking/run-sheet); record its journey at /tracking/handheld"
        f" (buudien1@demo.buudien.vn), follow it at {lookup_url(reference)}",
    ]


def delivery_promise(now: datetime) -> datetime:
    """When the demo's result is promised: in three hours, but never past the end of today in Vietnam."""
    return min(now + timedelta(hours=3), end_of_day(now) - timedelta(minutes=5))


def load_demo_run_sheet_delivery(session: Session) -> list[str]:
    """Idempotent: a result with the demo post, to be delivered at the citizen's address today (Điều 25.2, 26.1).

    Walked through the use cases the pages call: intake at the counter (no cash), the one-stop
    officer's hand-over and acceptance, processing, the result ready 24 hours before its promise, handed to
    the post, and taken by the post ("result handed to the post"). Returns the lines to print.
    """
    staff = session.scalar(select(User).where(User.email == STAFF_EMAIL))
    officer = session.scalar(select(User).where(User.email == OFFICER_EMAIL))
    citizen = session.scalar(select(User).where(User.id_number == CITIZEN_ID_NUMBER))
    if staff is None or officer is None or citizen is None:
        return ["tracking: demo users missing; load them first"]
    dossier = session.scalar(select(Dossier).where(Dossier.submitted_by_id == staff.id,
                                                   Dossier.submission_key == DELIVERY_KEY))
    if dossier is None:
        procedure = session.scalar(
            select(Procedure).where(Procedure.agency_id == officer.agency_id, Procedure.postal_eligible.is_(True))
            .order_by(Procedure.processing_half_days, Procedure.code)
        )
        if procedure is None:
            return ["tracking: no postal-eligible demo procedure"]
        settings = process_settings()
        now = utcnow()
        ready = delivery_promise(now) - timedelta(hours=24)
        entered = ready - timedelta(days=3)
        scan = validate_scan("giay-uy-quyen.pdf", demo_scan("Giay uy quyen"), max_bytes=settings.max_upload_bytes)
        consent = attach_signed_authorisation(session, citizen=citizen, staff=staff, scope=ConsentScope.single_dossier,
                                              valid_until=None, scan=scan, now=entered - timedelta(minutes=10))
        confirm_signed_authorisation(session, consent, citizen=citizen, now=entered - timedelta(minutes=5))
        items = list(procedure.checklist)
        paid = CollectionMethod.bank_transfer
        dossier = submit(session, PostalSubmission(
            staff=staff, citizen=citizen, procedure_code=procedure.code,
            checklist_ticked=[item.id for item in items],
            scans=[(item.id, f"giay-to-{item.id}.pdf", demo_scan(f"Checklist item {item.id}")) for item in items],
            collection_place=CollectionPlace.post_office, pickup_address="",
            delivery_address=citizen.address or DEMO_ADDRESS,
            fee_collected=CollectedPayment(procedure.fee_vnd, paid) if procedure.fee_vnd else None,
            postage_vnd=30_000, postage_collected=None,  # billed to the agency under its contract
            submission_key=DELIVERY_KEY, max_scan_bytes=settings.max_upload_bytes, entered_at=entered,
            public_base_url=settings.public_base_url,
        )).dossier
        handed = entered + timedelta(hours=2)
        workbench.receive_from_post(session, officer=officer, code=dossier.shipment_number, paper_matches=True,
                                    now=handed)
        reception.accept(session, officer=officer, ref=dossier.shipment_number, basis="paper_handover",
                         now=handed + timedelta(minutes=5), public_base_url=settings.public_base_url)
        for action in ("transfer", "start_processing"):
            workbench.advance(session, officer=officer, code=dossier.code, action=action,
                              now=handed + timedelta(minutes=30))
        workbench.mark_result_ready(session, officer=officer, code=dossier.code, now=ready,
                                    public_base_url=settings.public_base_url)
        workbench.return_result(session, officer=officer, code=dossier.code, via="post",
                                now=ready + timedelta(minutes=10))
        taken = ready + timedelta(minutes=20)
        record_events(session, actor=staff, dossier_code=dossier.code, now=taken + timedelta(minutes=1), events=[{
            "event_id": f"{DELIVERY_KEY}:result_handed_to_post", "type": "result_handed_to_post",
            "occurred_at": taken.isoformat(), "recorded_at": taken.isoformat(),
            "post_office_code": staff.post_office.code if staff.post_office else None,
        }])
        session.flush()
    return [
        f"tracking: the result of demo dossier {dossier.code} is with the post, to be delivered to the citizen's"
        f" address today (Lộ trình hôm nay, /tracking/run-sheet, buudien1@demo.buudien.vn)",
    ]

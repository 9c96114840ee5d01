"""A demo dossier walked through every step that tells the citizen something (``flask load-demo``).

The walk goes through the same use cases the pages call: a consent and a postal intake at the demo
post office, the one-stop officer's hand-over, transfer, processing, a supplement request and its
receipt, an apology letter once the dossier is late, the result, and the post's delivery of it.
Each step only *queues* its message; the background worker of ``make run`` delivers them, and the
relay hands the shipment events to the consumer that writes "delivery scheduled" and "delivered".
Operators read them at /ops/outbox (development outbox).

Steps are dated in the past, a few days apart, so the dossier is already late when the apology is
written, and delivered before now.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

from reportlab.lib.pagesizes import A5
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway import calendar
from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import Procedure
from postal_gateway.consents.models import ConsentScope
from postal_gateway.consents.services import attach_signed_authorisation, confirm_signed_authorisation
from postal_gateway.core.config import process_settings
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import to_local
from postal_gateway.core.uploads import validate_scan
from postal_gateway.dossiers.models import CollectionMethod, CollectionPlace, Dossier
from postal_gateway.dossiers.services import CollectedPayment, PostalSubmission, submit
from postal_gateway.notifications import service, zalo
from postal_gateway.workbench import reception
from postal_gateway.workbench import services as workbench
from tracking.ingestion import record_events

DEMO_KEY = "demo-notifications-1"
CITIZEN_ID_NUMBER = "070085001234"
STAFF_EMAIL = "buudien2@demo.buudien.vn"
OFFICER_EMAIL = "motcua@demo.stttt.gov.vn"
#: the templates one walk queues, in the order of its steps
JOURNEY_TEMPLATES = (
    "dossier_received", "supplement_requested", "apology", "result_ready", "delivery_scheduled", "result_delivered",
)


def demo_scan(title: str) -> bytes:
    """A one-page PDF standing in for a photographed document."""
    buffer = BytesIO()
    page = canvas.Canvas(buffer, pagesize=A5)
    page.setTitle(title)
    page.drawString(40, 500, title)
    page.drawString(40, 480, "Demo scan")
    page.showPage()
    page.save()
    return buffer.getvalue()


def load_demo_notified_journey(session: Session) -> list[str]:
    """Idempotent: the walk is done once (found again by its submission key); returns lines to print."""
    staff = session.scalar(select(User).where(User.email == STAFF_EMAIL))
    officer = session.scalar(select(User).where(User.email == OFFICER_EMAIL))
    citizen = session.scalar(select(User).where(User.id_number == CITIZEN_ID_NUMBER))
    if staff is None or officer is None or citizen is None:
        return ["notifications: demo users missing; load them first"]
    dossier = session.scalar(
        select(Dossier).where(Dossier.submitted_by_id == staff.id, Dossier.submission_key == DEMO_KEY)
    )
    if dossier is None:
        procedure = session.scalar(
            select(Procedure)
            .where(Procedure.agency_id == officer.agency_id, Procedure.postal_eligible.is_(True),
                   Procedure.fee_vnd > 0)
            .order_by(Procedure.processing_half_days, Procedure.code)
        )
        if procedure is None:
            return ["notifications: no postal-eligible demo procedure with a fee"]
        if service.zalo_offered():
            # the demo citizen chose Zalo: under `make run` the journey's notices reach the sandbox's Zalo page
            chosen = service.preferences_of(session, citizen.id)
            service.set_preferences(session, citizen.id, sms=chosen.sms if chosen else True,
                                    email=chosen.email if chosen else True, zalo=True)
        dossier = _walk(session, staff=staff, officer=officer, citizen=citizen, procedure=procedure)
    return [
        f"notifications: demo dossier {dossier.code} went through every step; the worker delivers its "
        f"messages to the outbox - log in as operator@demo.buudien.vn and open /ops/outbox",
        "one-time codes (activation, consent) show masked on /ops/outbox; under `make run` (DEVELOPMENT_MESSAGES) "
        "the worker prints every delivered message, code included, in this terminal: look for 'development outbox'",
    ] + ([f"notifications: the citizen chose Zalo; its notices show on {zalo.sandbox_base(process_settings())}/"
          f"?phone={citizen.phone} (type {dossier.code} into the OA chat there)"] if service.zalo_offered() else [])


def _walk(session: Session, *, staff, officer, citizen, procedure):
    settings = process_settings()
    base_url = settings.public_base_url
    periods = calendar.periods_from_config(procedure.agency.working_periods)
    now = utcnow()
    # Long enough ago that the dossier is late (twice its processing time plus two weeks).
    entered = now - timedelta(days=int(procedure.processing_days * 2) + 14)

    authorisation = validate_scan("giay-uy-quyen.pdf", demo_scan("Giay uy quyen"), max_bytes=settings.max_upload_bytes)
    consent = attach_signed_authorisation(session, citizen=citizen, staff=staff, scope=ConsentScope.single_dossier,
                                          valid_until=None, scan=authorisation, now=entered - timedelta(minutes=10))
    # the citizen, told of the signed authorisation, confirms it in their account before the dossier goes in
    confirm_signed_authorisation(session, consent, citizen=citizen, now=entered - timedelta(minutes=5))
    items = list(procedure.checklist)
    outcome = submit(session, PostalSubmission(
        staff=staff, citizen=citizen, procedure_code=procedure.code,
        checklist_ticked=[item.id for item in items],
        scans=[(item.id, f"giay-to-{item.id}.pdf", demo_scan(f"Checklist item {item.id}")) for item in items],
        collection_place=CollectionPlace.post_office, pickup_address="", delivery_address=citizen.address or "",
        fee_collected=CollectedPayment(procedure.fee_vnd, CollectionMethod.cash),
        postage_vnd=30_000, postage_collected=CollectedPayment(30_000, CollectionMethod.cash),
        submission_key=DEMO_KEY, max_scan_bytes=settings.max_upload_bytes, entered_at=entered,
        public_base_url=base_url,
    ))
    dossier = outcome.dossier

    def working_day_after(moment: datetime, days: int = 1) -> datetime:
        return calendar.active_calendar(periods).add_working_time(
            calendar.processing_start(moment, periods=periods), timedelta(hours=2 + 8 * (days - 1)))

    # The post hands the paper dossier over; the one-stop officer accepts it at that moment (Điều 12.1.d).
    handed = working_day_after(dossier.submitted_at)
    workbench.receive_from_post(session, officer=officer, code=dossier.shipment_number, paper_matches=True, now=handed)
    reception.accept(session, officer=officer, ref=dossier.shipment_number, basis="paper_handover",
                     now=handed + timedelta(minutes=5), public_base_url=base_url)
    code = dossier.code
    for action in ("transfer", "start_processing"):
        workbench.advance(session, officer=officer, code=code, action=action, now=handed + timedelta(minutes=30))
    asked = working_day_after(handed)
    workbench.request_supplement(session, officer=officer, code=code, now=asked, public_base_url=base_url,
                                 reasons=["Bản sao giấy tờ tùy thân bị mờ, cần nộp bản rõ nét hơn."])
    supplied = working_day_after(asked, 2)
    workbench.receive_supplement(session, officer=officer, code=code, now=supplied)
    # The examination then overruns the due time: the officer writes the apology the day after.
    apologised = working_day_after(dossier.due_at)
    letter = workbench.issue_apology(session, officer=officer, code=code, now=apologised, public_base_url=base_url,
                                     reason="Hồ sơ phải chờ bổ sung giấy tờ nên quá hạn giải quyết.",
                                     new_date=to_local(apologised).date() + timedelta(days=3))
    # the one-stop office forwards the processing agency's form 04 to the citizen (Điều 9.4.d)
    workbench.forward_apology(session, officer=officer, code=code, letter_number=letter.number,
                              now=apologised + timedelta(minutes=30), public_base_url=base_url)
    ready = working_day_after(apologised)
    workbench.mark_result_ready(session, officer=officer, code=code, now=ready, public_base_url=base_url)
    workbench.return_result(session, officer=officer, code=code, via="post", now=ready + timedelta(minutes=20))

    office = staff.post_office.code if staff.post_office else None
    steps = (("result_handed_to_post", timedelta(minutes=30)), ("out_for_delivery", timedelta(hours=2)),
             ("delivered", timedelta(hours=4)))
    for kind, after in steps:
        at = ready + after
        event = {"event_id": f"{DEMO_KEY}:{kind}", "type": kind, "occurred_at": at.isoformat(),
                 "recorded_at": at.isoformat(), "post_office_code": office,
                 "latitude": 11.5349, "longitude": 106.8832}
        if kind == "delivered":
            event["details"] = {"recipient_name": citizen.full_name, "id_checked": True}
        record_events(session, actor=staff, events=[event], dossier_code=code, now=at + timedelta(minutes=1))
    session.flush()
    return dossier

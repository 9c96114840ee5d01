"""A dossier row for the demo loaders of other areas, with its official times from the working calendar.

The loaders put a dossier at a given step without walking the intake (a tracking demo waiting for
pickup, a workbench demo already late, an online level-4 dossier); its code, receipt time, processing
start, due time and appointment date are computed here as intake would.
"""
from __future__ import annotations

import hashlib
import io
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy.orm import Session

from postal_gateway import calendar
from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import Procedure
from postal_gateway.dossiers.codes import next_dossier_code
from postal_gateway.core.pdf import FONT_REGULAR, register_fonts
from postal_gateway.dossiers.models import Dossier, DossierDocument, DossierStatus, ReceiptBasis
from postal_gateway.dossiers.shipments import next_shipment_number
from postal_gateway.dossiers.workflow import Action, record_submission, transition


def demo_scan(title: str) -> bytes:
    """A one-page PDF standing for the scan of a document in the demo."""
    register_fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont(FONT_REGULAR, 12)
    page.drawString(72, 760, f"Bản quét minh họa: {title[:80]}")
    page.save()
    return buffer.getvalue()


def with_scans(dossier: Dossier, procedure: Procedure, uploaded_at: datetime) -> None:
    """One scan for each required document of the procedure's checklist, as the intake would have taken."""
    for item in procedure.checklist:
        if item.required:
            content = demo_scan(item.name)
            dossier.documents.append(DossierDocument(
                checklist_item_id=item.id, title=item.name, filename=f"giay-to-{item.position}.pdf",
                content_type="application/pdf", size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(),
                content=content, uploaded_at=uploaded_at))


def demo_dossier(session: Session, *, procedure: Procedure, entered_at: datetime, accepted: bool = True,
                 **fields) -> Dossier:
    """A new Dossier (added, not flushed) entered at ``entered_at`` and accepted by the agency at once
    (status ``received`` unless ``fields`` say otherwise); ``fields`` give the rest. ``accepted=False``:
    only submitted by the post, no receipt, code or appointment yet (Điều 21.1, 14.4)."""
    agency = procedure.agency
    if not accepted:
        dossier = Dossier(agency=agency, procedure=procedure, level=procedure.level, entered_at=entered_at,
                          submitted_at=entered_at, shipment_number=next_shipment_number(session),
                          fee_vnd=procedure.fee_vnd, **{"status": DossierStatus.submitted, **fields})
        with_scans(dossier, procedure, entered_at)
        session.add(dossier)
        return dossier
    periods = calendar.periods_from_config(agency.working_periods)
    received = calendar.receipt_time(entered_at, periods=periods)
    days = procedure.processing_days
    dossier = Dossier(
        code=next_dossier_code(session, agency, received), agency=agency, procedure=procedure, level=procedure.level,
        entered_at=entered_at, submitted_at=entered_at, shipment_number=next_shipment_number(session),
        accepted_at=received, receipt_basis=ReceiptBasis.online_valid, received_at=received,
        processing_start_at=calendar.processing_start(received, periods=periods),
        due_at=calendar.due_at(received, days, periods=periods),
        appointment_date=calendar.appointment_date(received, days, periods=periods),
        fee_vnd=procedure.fee_vnd, **{"status": DossierStatus.received, **fields},
    )
    with_scans(dossier, procedure, entered_at)
    session.add(dossier)
    return dossier


def record_submitted_and_accepted(session: Session, dossier: Dossier, *, submitted_by: User, accepted_by: User,
                                  on_behalf_of: User | None = None) -> None:
    """The history of a demo dossier built by ``demo_dossier``: submitted at entry, accepted at its receipt time."""
    record_submission(session, dossier, actor=submitted_by, at=dossier.submitted_at, on_behalf_of=on_behalf_of)
    transition(session, dossier, Action.accept, actor=accepted_by, at=dossier.received_at,
               details={"basis": dossier.receipt_basis.value})

"""Demo rows of the tracking area: one postal dossier waiting to be picked up (``flask load-demo``).

The demo postal worker (buudien1@demo.buudien.vn) opens /tracking/handheld, records "picked up",
"handed to the one-stop office" (with the officer's name), then "result handed to the post",
"out for delivery" and "delivered"; the citizen follows it at /lookup?code=<code>.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import Agency, Procedure
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.demo import demo_dossier
from postal_gateway.dossiers.models import Channel, CollectionPlace, Dossier, DossierStatus, DossierStatusChange
from postal_gateway.dossiers.services import lookup_url

DEMO_KEY = "demo-tracking-1"


def load_demo_tracking(session: Session) -> list[str]:
    """Idempotent: returns the lines to print (the demo dossier's code and where to follow it)."""
    staff = session.scalar(select(User).where(User.email == "buudien1@demo.buudien.vn"))
    citizen = session.scalar(select(User).where(User.id_number == "070085001234"))
    agency = session.scalar(select(Agency).where(Agency.code == "000.00.20.H10"))
    if staff is None or citizen is None or agency is None:
        return ["tracking: demo users or agency missing; load them first"]
    existing = session.scalar(select(Dossier).where(Dossier.submitted_by_id == staff.id, Dossier.submission_key == DEMO_KEY))
    if existing is None:
        procedure = session.scalar(
            select(Procedure).where(Procedure.agency_id == agency.id, Procedure.postal_eligible.is_(True))
            .order_by(Procedure.code)
        )
        if procedure is None:
            return ["tracking: no postal-eligible demo procedure"]
        existing = demo_dossier(
            session, procedure=procedure, entered_at=utcnow(), citizen_id=citizen.id, channel=Channel.postal,
            status=DossierStatus.received, collection_place=CollectionPlace.citizen_address,
            post_office_id=staff.post_office_id,
            pickup_address=citizen.address or "Phường Tân Phú, Đồng Xoài, Bình Phước",
            delivery_address=citizen.address or "Phường Tân Phú, Đồng Xoài, Bình Phước",
            submitted_by_id=staff.id, submission_key=DEMO_KEY, postage_vnd=30_000,
        )
        existing.history.append(DossierStatusChange(from_status=None, to_status=DossierStatus.received,
                                                    at=existing.received_at, actor_id=staff.id, on_behalf_of_id=citizen.id))
        session.flush()
    return [
        f"tracking: demo dossier {existing.code} waits for pickup; record its journey at /tracking/handheld"
        f" (buudien1@demo.buudien.vn), follow it at {lookup_url(existing.code)}",
    ]

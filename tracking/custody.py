"""Who may record events on a shipment leg: the post offices that hold it.

A leg is held by the office that sent the dossier (the dossier's post office), the office
responsible for the leg (its receiving office, ``ShipmentLeg.post_office_id``) and every office the
leg was handed to by an explicit hand-over: an accepted "dispatched" event naming
``details.to_post_office_code``. Postal staff and office managers of any other office may not record
anything on it: a "lost" from a stranger would show on the public lookup and open a compensation
case against the office that really holds the dossier. Operators may record on any leg; events the
server itself witnessed (intake, the one-stop officer's signature) are not subject to custody.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role, User
from postal_gateway.catalogue.models import PostOffice
from postal_gateway.dossiers.models import Dossier
from tracking.models import EventOutcome, ShipmentEvent, ShipmentLeg
from tracking.vocabulary import EventType

#: the detail of a "dispatched" event that names the office the leg is handed to
HANDOVER_DETAIL = "to_post_office_code"


def holding_offices(session: Session, dossier: Dossier, leg: ShipmentLeg | None) -> set[int]:
    """Ids of the post offices holding ``leg`` (or, before the leg exists, the dossier's own office)."""
    offices = {dossier.post_office_id} if dossier.post_office_id is not None else set()
    if leg is None:
        return offices
    if leg.post_office_id is not None:
        offices.add(leg.post_office_id)
    # the offices named by accepted hand-overs, resolved in the database: one row per office, however long
    # the leg's history
    handed_to = (
        select(ShipmentEvent.details[HANDOVER_DETAIL].as_string())
        .where(ShipmentEvent.leg_id == leg.id, ShipmentEvent.event_type == EventType.dispatched.value,
               ShipmentEvent.outcome == EventOutcome.accepted)
    )
    offices.update(session.scalars(select(PostOffice.id).where(PostOffice.code.in_(handed_to))))
    return offices


def may_record(session: Session, actor: User | None, dossier: Dossier, leg: ShipmentLeg | None) -> bool:
    """Whether ``actor`` may record an event on ``leg`` of ``dossier`` (None: the leg is not open yet)."""
    if actor is None or not actor.is_active:
        return False
    if actor.role == Role.operator:
        return True
    if actor.role not in POST_OFFICE_ROLES or actor.post_office_id is None:
        return False
    return actor.post_office_id in holding_offices(session, dossier, leg)


def holds_any_leg(session: Session, actor: User | None, dossier: Dossier) -> bool:
    """Whether ``actor`` may record on at least one leg of ``dossier`` (the API's whole-request check)."""
    legs = list(session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id)))
    return any(may_record(session, actor, dossier, leg) for leg in legs or [None])

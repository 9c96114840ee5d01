"""What the workbench does when something happens in another area (typed domain events).

Subscribed by ``postal_gateway.bootstrap.subscribe_reactions``, never by importing this module.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from postal_gateway.workbench.services import returned_by_delivery
from tracking.ingestion import ResultDelivered


def mark_returned_on_delivery(session: Session, event: ResultDelivered) -> None:
    """The post delivered the result: the dossier becomes "returned" (Điều 25.2), from the delivery and
    not from the officer's hand-over. Subscribed within the transaction: the status commits with the event."""
    returned_by_delivery(session, dossier_id=event.dossier_id, delivered_at=event.delivered_at,
                         actor_id=event.actor_id, recipient_name=event.recipient_name)

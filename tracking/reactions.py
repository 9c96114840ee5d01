"""What the tracking area does when something happens in another area (typed domain events).

Subscribed by ``postal_gateway.bootstrap.subscribe_reactions``, never by importing this module.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from postal_gateway.dossiers.models import Dossier
from postal_gateway.workbench.services import ResultHandedToPost
from tracking.ingestion import open_return_leg


def open_return_leg_for_result(session: Session, event: ResultHandedToPost) -> None:
    """The result of a postal dossier is ready: the return leg and its 24-hour clock start now (R-16).

    Subscribed within the transaction: the leg commits with the officer's step or not at all."""
    dossier = session.get(Dossier, event.dossier_id)
    open_return_leg(session, dossier=dossier, result_available_at=event.available_at)

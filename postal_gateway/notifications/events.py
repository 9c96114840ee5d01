"""Citizen messages that follow integration events rather than a use case: the result's delivery.

Run by the "notices" consumer, in the transaction of its ProcessedMessage row: once per event.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.core.config import process_settings
from postal_gateway.core.formatting import format_local_date, format_local_datetime
from postal_gateway.dossiers.models import Dossier
from postal_gateway.dossiers.services import lookup_url
from postal_gateway.notifications.service import send

log = logging.getLogger(__name__)

#: shipment event type -> template
SHIPMENT_TEMPLATES = {"result_handed_to_post": "delivery_scheduled", "out_for_delivery": "delivery_scheduled",
                      "delivered": "result_delivered"}


def notify_from_event(session: Session, event: dict) -> None:
    payload = event.get("payload") or {}
    template = SHIPMENT_TEMPLATES.get(str(payload.get("type", "")))
    if event.get("event_type") != "shipment.event_recorded" or template is None:
        return
    if template == "result_delivered" and payload.get("leg") not in (None, "return", "return_"):
        return  # the forward leg's hand-over to the agency is not the citizen's result
    dossier = session.scalar(select(Dossier).where(Dossier.code == str(payload.get("dossier_code", ""))[:32]))
    if dossier is None or dossier.citizen is None:
        log.info("notices: event %s names no known dossier", event.get("event_id"))
        return
    try:
        at = datetime.fromisoformat(str(payload.get("occurred_at")))
    except ValueError:
        at = None
    context = {
        "code": dossier.code,
        "lookup_url": lookup_url(dossier.code, process_settings().public_base_url),
        "date": format_local_date(dossier.appointment_date) if getattr(dossier, "appointment_date", None) else "",
        "place": getattr(dossier, "delivery_address", "") or dossier.agency.name,
        "at": format_local_datetime(at) if at else "",
    }
    if template == "delivery_scheduled" and at is not None:
        context["date"] = format_local_date(at)
    citizen = dossier.citizen
    for channel, recipient in (("sms", citizen.phone), ("email", citizen.email)):
        if recipient:
            send(session, channel=channel, recipient=recipient, template=template, context=context,
                 user_id=citizen.id, locale=citizen.locale or "vi")

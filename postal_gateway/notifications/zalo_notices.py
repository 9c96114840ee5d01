"""Which notices go by Zalo, and what stands in when Zalo cannot deliver them. No Flask here.

* A citizen who turned the Zalo channel on gets the notices that have a ZNS template (``zalo.ZNS_TEMPLATES``) as
  ZNS to the account's phone *instead of* the text message; the others (one-time codes, refusals) stay SMS.
* When Zalo refuses or fails a notice for good (no Zalo account on the number, quota exhausted, template not
  approved, every retry spent), an SMS with the same text stands in for a legal notice (Điều 8.2, 12.1.b–c,
  9.4.d: the citizen must be told) and, for the other kinds, when the citizen also kept SMS on. The stand-in
  names the Zalo row (``fallback_for_id``, unique): one stand-in at most, however often the failure is handled.
* A follower of the OA who asked for a dossier's notices (``THEO DOI <mã>``) gets each of them as an OA message
  naming the dossier's new status and the lookup link: what anyone holding the code may read (R-19).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from postal_gateway.core.config import process_settings
from postal_gateway.dossiers.models import Dossier
from postal_gateway.dossiers.shipments import reference_in
from postal_gateway.notifications import templates, zalo
from postal_gateway.notifications.models import MessageChannel, MessageStatus, NotificationPreference, OutboxMessage
from postal_gateway.notifications.zalo_models import ZaloSubscription

log = logging.getLogger(__name__)

#: sent in the transaction that makes the dossier: no one can follow it before its shipment number exists
NOTICES_OF_A_NEW_DOSSIER = frozenset({"dossier_submitted"})


def _preference(session: Session, user_id: int | None) -> NotificationPreference | None:
    if user_id is None:
        return None
    return session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user_id))


def zns_data_for(
    preference_of_citizen: Callable[[], NotificationPreference | None], template: str, context: dict
) -> tuple[dict | None, str]:
    """The ZNS template data when this notice goes by Zalo (the citizen chose it and the template is approved),
    else None; and a note when the citizen chose Zalo but the data does not fit Zalo's limits (sent by SMS).
    ``preference_of_citizen`` reads the preferences when asked (once per message, shared with the routing)."""
    if not zalo.template_id_for(process_settings(), template):
        return None, ""
    preference = preference_of_citizen()
    if preference is None or not preference.zalo:
        return None, ""
    try:
        return zalo.ZNS_TEMPLATES[template].data(context), ""
    except zalo.TemplateDataRefused as refused:
        log.warning("zalo: %s not sent by ZNS: %s", template, refused)
        return None, f"sent by SMS: {refused}"


def follower_notices(session: Session, template: str, context: dict, *, now: datetime) -> list[OutboxMessage]:
    """OA messages (not yet added) to the followers subscribed to the notice's dossier."""
    if template not in zalo.ZNS_TEMPLATES or template in NOTICES_OF_A_NEW_DOSSIER:
        return []
    if not zalo.channel_enabled(process_settings()):
        return []
    reference = reference_in(str(context.get("code") or context.get("shipment_number") or context.get("ref") or ""))
    if not reference:
        return []
    # one query on every notice sent: the followers of the dossier the notice names, by its code or shipment number
    followers = session.scalars(
        select(ZaloSubscription.zalo_user_id).join(Dossier, Dossier.id == ZaloSubscription.dossier_id)
        .where(or_(Dossier.code == reference, Dossier.shipment_number == reference))
        .order_by(ZaloSubscription.id)).all()
    if not followers:
        return []
    try:
        subject = templates.render(template, context, "vi").subject
    except ValueError:
        return []
    link = context.get("lookup_url") or ""
    text = f"{subject}." + (f" Tra cứu: {link}" if link else "")
    return [
        OutboxMessage(
            channel=MessageChannel.zalo, recipient=f"{zalo.FOLLOWER_PREFIX}{follower}", recipient_user_id=None,
            template=template, subject=subject, body=text, status=MessageStatus.queued, attempts=0, last_error="",
            created_at=now, next_attempt_at=None, gateway_reference="",
        )
        for follower in followers
    ]


def stand_in_sms(session: Session, message: OutboxMessage, *, now: datetime, legal: bool) -> OutboxMessage | None:
    """The SMS (not yet added) standing in for a Zalo notice that failed for good, or None: an OA message to a
    follower, a stand-in already written, or a kind of message the citizen wants by Zalo only."""
    if message.recipient.startswith(zalo.FOLLOWER_PREFIX):
        return None
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.fallback_for_id == message.id)) is not None:
        return None
    if not legal:
        preference = _preference(session, message.recipient_user_id)
        if preference is not None and not preference.sms:
            return None
    text = templates.for_sms(templates.MessageText(message.subject, message.body))
    return OutboxMessage(
        channel=MessageChannel.sms, recipient=message.recipient, recipient_user_id=message.recipient_user_id,
        template=message.template, subject=text.subject, body=text.body, status=MessageStatus.queued, attempts=0,
        last_error=f"stands in for Zalo message {message.id}", created_at=now, next_attempt_at=None,
        gateway_reference="", fallback_for_id=message.id,
    )

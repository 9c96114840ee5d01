"""The citizen is told a received level-4 dossier still owes its lệ phí, with the link to pay it online (R-13)."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlalchemy.orm import Session

from postal_gateway.core.formatting import format_vnd
from postal_gateway.dossiers.services import lookup_url
from postal_gateway.notifications.service import send


def pay_url(ref: str, public_base_url: str) -> str:
    return f"{public_base_url.rstrip('/')}/payments/dossiers/{quote(ref, safe='')}"


def notify_fee_due(session: Session, dossier, *, now: datetime, public_base_url: str = "") -> bool:
    """Queue the "fee_due" notice (SMS or Zalo, and e-mail) when the dossier's fee can still be paid online."""
    # cycle: payments.services -> dossiers -> notifications.service (the notices) -> here
    from payments.services import fee_balance, fee_payable_online

    balance = fee_balance(session, dossier)
    citizen = dossier.citizen
    if citizen is None or not fee_payable_online(dossier, balance):
        return False
    ref = dossier.code or dossier.shipment_number
    context = {"ref": ref, "amount": format_vnd(balance.due_vnd), "pay_url": pay_url(ref, public_base_url),
               "lookup_url": lookup_url(ref, public_base_url)}
    for channel, recipient in (("sms", citizen.phone), ("email", citizen.email)):
        if recipient:
            send(session, channel=channel, recipient=recipient, template="fee_due", context=context,
                 user_id=citizen.id, locale=citizen.locale or "vi", now=now)
    return True

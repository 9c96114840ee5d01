"""Messages of the tracking area: the breach digest sent to a post office (template ``sla_breached``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from postal_gateway.notifications.service import send


def send_breach_digest(session: Session, *, office, codes: list[str], now: datetime) -> None:
    shown = ", ".join(codes[:10]) + (" ..." if len(codes) > 10 else "")
    send(
        session,
        channel="sms",
        recipient=office.phone,
        template="sla_breached",
        context={"office": office.code, "count": len(codes), "codes": shown},
        now=now,
    )

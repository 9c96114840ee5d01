"""Messages of the tracking area: the breach digest sent to a post office.

The template is registered here, beside its only sender, in the notifications area's table.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from postal_gateway.notifications import templates
from postal_gateway.notifications.service import send
from postal_gateway.notifications.templates import MessageText

#: context: office, count, codes (the first ten, comma-separated)
templates.TEMPLATES.setdefault(
    "sla_breached",
    {
        "vi": MessageText(
            "Quá hạn cam kết thời gian: {count} hồ sơ",
            "Cổng DVC bưu chính: {count} hồ sơ của {office} đã quá hạn cam kết thời gian toàn trình / 24 giờ: {codes}",
        ),
        "en": MessageText(
            "Time commitment missed: {count} dossiers",
            "Postal public service: {count} dossiers of {office} missed their full-trip / 24-hour commitment: {codes}",
        ),
    },
)


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

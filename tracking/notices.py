"""Messages of the tracking area: the breach digest sent to a post office (template ``sla_breached``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from postal_gateway.notifications.service import send

#: how the digest names each clock (the post office reads Vietnamese); the commitment names its article
CLOCK_WORDS = {
    "forward": "toàn trình chiều đi",
    "return": "toàn trình chiều về",
    "return_commitment": "cam kết trả trong 24 giờ (Điều 25.2)",
    "appointment": "ngày hẹn trả",
}
#: codes listed in one message; the rest are counted, not named
SHOWN_CODES = 10


def digest_text(breaches: list[tuple[str, str]]) -> str:
    """``(code, clock)`` pairs grouped by the clock breached: "cam kết trả trong 24 giờ (Điều 25.2): A, B; ..."."""
    by_clock: dict[str, list[str]] = {}
    for code, clock in sorted(breaches):
        by_clock.setdefault(clock, []).append(code)
    parts, shown = [], 0
    for clock in sorted(by_clock, key=lambda name: list(CLOCK_WORDS).index(name) if name in CLOCK_WORDS else 99):
        codes = by_clock[clock][: max(SHOWN_CODES - shown, 0)]
        shown += len(codes)
        if codes:
            parts.append(f"{CLOCK_WORDS.get(clock, clock)}: {', '.join(codes)}")
    return "; ".join(parts) + (" ..." if len(breaches) > shown else "")


def send_breach_digest(session: Session, *, office, breaches: list[tuple[str, str]], now: datetime) -> None:
    """One message to the post office naming each late dossier and the clock it broke."""
    send(
        session,
        channel="sms",
        recipient=office.phone,
        template="sla_breached",
        context={"office": office.code, "count": len({code for code, _ in breaches}), "codes": digest_text(breaches)},
        now=now,
    )


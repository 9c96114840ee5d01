"""Reading the one-time code a citizen was sent, the way tests must now: the outbox keeps the text
with the code masked, and the code itself travels only with the delivery task (held in tests)."""
from __future__ import annotations

from sqlalchemy import select

from postal_gateway.notifications import service
from postal_gateway.notifications.models import OutboxMessage
from tests import held_messages


def code_of(session, message: OutboxMessage) -> str:
    """The code a one-time-code message carries, committed (dispatched) or still in the open transaction."""
    codes = {**held_messages.held_codes, **service.pending_one_time_codes(session)}
    return codes[message.id]


def last_code(session, recipient: str | None = None, *, user_id: int | None = None) -> str:
    """The latest one-time code sent to this phone/e-mail address (or to this user)."""
    query = select(OutboxMessage).where(OutboxMessage.template == "one_time_code")
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    if user_id is not None:
        query = query.where(OutboxMessage.recipient_user_id == user_id)
    message = session.scalars(query.order_by(OutboxMessage.id.desc()).limit(1)).one()
    return code_of(session, message)

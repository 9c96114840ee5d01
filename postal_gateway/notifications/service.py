"""Sending messages (R-20): render a template, keep the message in the outbox, hand it to the gateway.

The gateway sits behind one port, ``DeliveryAdapter``; the development adapter (the default) only
marks the message as sent so that testers read it on /ops/outbox. Phone numbers and addresses are
masked in logs.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from postal_gateway.accounts.identity import mask_recipient
from postal_gateway.db import utcnow
from postal_gateway.notifications import templates
from postal_gateway.notifications.models import MessageChannel, MessageStatus, OutboxMessage

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The gateway did not accept the message; it stays queued for a retry."""


class DeliveryAdapter(Protocol):
    def deliver(self, message: OutboxMessage) -> None:
        """Hand the message to the SMS or e-mail gateway, or raise DeliveryError."""


class DevelopmentOutbox:
    """Sends nothing: the outbox row itself is the delivered message."""

    def deliver(self, message: OutboxMessage) -> None:
        return None


_adapter: DeliveryAdapter = DevelopmentOutbox()


def configure_adapter(adapter: DeliveryAdapter) -> None:
    """Swap the gateway (production SMS/e-mail, or a fake in tests)."""
    global _adapter
    _adapter = adapter


def current_adapter() -> DeliveryAdapter:
    return _adapter


def send(
    session: Session,
    *,
    channel: MessageChannel,
    recipient: str,
    template: str,
    context: dict,
    user_id: int | None = None,
    locale: str = "vi",
    now: datetime | None = None,
) -> OutboxMessage:
    """Render and send one message; the outbox row is flushed, the caller commits with its use case."""
    now = now or utcnow()
    channel = MessageChannel(channel)
    if not recipient:
        raise ValueError("a message needs a recipient")
    text = templates.render(template, context, locale)
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        recipient_user_id=user_id,
        template=template,
        subject=text.subject,
        body=text.body,
        status=MessageStatus.queued,
        attempts=0,
        last_error="",
        created_at=now,
    )
    session.add(message)
    session.flush()
    message.attempts = 1
    try:
        _adapter.deliver(message)
    except DeliveryError as error:
        message.last_error = str(error)[:1000]
        log.warning("message %s (%s) to %s not delivered: %s", message.id, template, mask_recipient(recipient), error)
    else:
        message.status = MessageStatus.sent
        message.sent_at = now
        log.info("message %s (%s) sent by %s to %s", message.id, template, channel.value, mask_recipient(recipient))
    session.flush()
    return message

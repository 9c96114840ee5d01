"""Consumers' bookkeeping: which messages each one has applied, and which it set aside as poison."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class ProcessedMessage(Base):
    """Written in the same transaction as a consumer's effect: a redelivered message finds it and is skipped."""

    __tablename__ = "processed_messages"
    __table_args__ = (UniqueConstraint("consumer", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. "lookup", "onestop"
    consumer: Mapped[str] = mapped_column(String(64))
    #: the AMQP message id, i.e. the integration event's event_id
    message_id: Mapped[str] = mapped_column(String(64))
    #: event type as received, for operators
    event_type: Mapped[str] = mapped_column(String(64), default="")
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeadLetter(Base):
    """A message a consumer could not apply and sent to its dead-letter queue, with the reason."""

    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_consumer_at", "consumer", "dead_lettered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer: Mapped[str] = mapped_column(String(64))
    #: empty when the message carried none
    message_id: Mapped[str] = mapped_column(String(64), default="")
    #: short machine word: malformed_json, not_an_object, unknown_type, oversized, handler_failed, ...
    reason: Mapped[str] = mapped_column(String(32))
    #: what went wrong, for a person
    detail: Mapped[str] = mapped_column(Text, default="")
    #: the first bytes of the body (decoded leniently), never the whole of an oversized message
    body_excerpt: Mapped[str] = mapped_column(Text, default="")
    routing_key: Mapped[str] = mapped_column(String(64), default="")
    dead_lettered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

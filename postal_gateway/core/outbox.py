"""Integration events: a transactional outbox written in the same transaction as each state change.

A relay (see the background-work area) later publishes the rows to RabbitMQ and marks them
published; consumers are idempotent by the event id. Areas only ever call ``emit``.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from postal_gateway.core.db import Base, UTCDateTime, utcnow

#: event types and the version of their payload; documented in docs/asyncapi.yaml
EVENT_VERSIONS = {
    "dossier.submitted": 1,
    "dossier.received": 1,
    "dossier.status_changed": 1,
    "shipment.event_recorded": 1,
    "sla.breached": 1,
    "payment.settled": 1,
    "reconciliation.signed_off": 1,
}


class IntegrationEvent(Base):
    __tablename__ = "integration_events"
    __table_args__ = (Index("ix_integration_events_unpublished", "published_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: globally unique, used as the AMQP message id so consumers can drop duplicates
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: e.g. "dossier.status_changed"; also the routing key
    event_type: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    #: what the event is about, e.g. ("dossier", "000.00.20.H10-261207-0001")
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set by the relay once the broker confirmed the message
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0)


def emit(
    session: Session,
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: str,
    payload: dict[str, Any],
    occurred_at: datetime | None = None,
) -> IntegrationEvent:
    """Record an event in the caller's transaction: it is published if and only if that commits."""
    if event_type not in EVENT_VERSIONS:
        raise ValueError(f"unknown event type {event_type!r}; add it to EVENT_VERSIONS and the AsyncAPI file")
    event = IntegrationEvent(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        version=EVENT_VERSIONS[event_type],
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        payload=payload,
        occurred_at=occurred_at or utcnow(),
    )
    session.add(event)
    return event

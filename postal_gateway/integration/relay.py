"""The relay: integration events from the transactional outbox to RabbitMQ, with publisher confirms.

Each unpublished ``IntegrationEvent`` row becomes one persistent message on a durable topic exchange,
routing key = event type, message id = event id. A row is marked published only after the broker
confirmed its message, so a crash or a broker restart at any moment loses nothing; it may publish a
message twice (confirmed, then the marking lost), which consumers drop by message id.

The relay declares the whole topology (``integration.topology``: queues and bindings included) when it
connects, so it may start before any consumer, and it publishes with ``mandatory``: a message that no
queue took comes back, is not marked published, and is tried again after the topology is declared anew.

Two relays may run at once on PostgreSQL: each claims its batch with ``FOR UPDATE SKIP LOCKED``.
Order is kept within one relay's batch; consumers must not rely on order across aggregates (the
lookup projection rebuilds from the source rows, so it does not).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import pika
from pika.exceptions import AMQPError, UnroutableError
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tenacity import RetryCallState

from postal_gateway.core import metrics
from postal_gateway.core.config import Settings
from postal_gateway.core.db import utcnow
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.integration.reconnect import Stopped, reconnect_policy
from postal_gateway.integration.topology import EXCHANGE, Topology

log = logging.getLogger(__name__)

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def amqp_url(settings: Settings) -> str | None:
    """INTEGRATION_AMQP_URL, else CELERY_BROKER_URL when it is RabbitMQ; None on a laptop (local relay)."""
    if settings.integration_amqp_url:
        return settings.integration_amqp_url
    broker = settings.broker_url
    if broker.startswith(("amqp://", "amqps://", "pyamqp://")):
        broker = broker.replace("pyamqp://", "amqp://", 1)
        # kombu reads a trailing "//" as the vhost "/"; pika needs it spelt "%2F"
        return broker[:-1] + "%2F" if broker.endswith("//") else broker
    return None


def message_of(event: IntegrationEvent) -> dict:
    """The published JSON document (see docs/asyncapi.yaml)."""
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "version": event.version,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": event.payload,
    }


class PikaPublisher:
    """One blocking connection in confirm mode: ``publish`` returns once the broker confirmed that a
    queue holds the message."""

    def __init__(self, url: str, *, exchange: str = EXCHANGE, heartbeat: int = 30,
                 topology: Topology | None = None) -> None:
        self.topology = topology or Topology.for_exchange(exchange)
        self.url, self.exchange, self.heartbeat = url, self.topology.exchange, heartbeat
        self.connection: pika.BlockingConnection | None = None
        self.channel = None

    def connect(self) -> None:
        parameters = pika.URLParameters(self.url)
        parameters.heartbeat = self.heartbeat
        parameters.blocked_connection_timeout = 30
        parameters.connection_attempts = 1
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        # Queues and bindings too, not only the exchange: with nothing bound yet the broker would
        # confirm a message it dropped.
        self.topology.declare(self.channel)
        self.channel.confirm_delivery()

    def publish(self, message: dict) -> None:
        """Raises on a nack, an unroutable return (``UnroutableError``: no queue took it) or a lost
        connection: the caller keeps the event unpublished."""
        if self.channel is None or not self.channel.is_open:
            self.connect()
        self.channel.basic_publish(
            exchange=self.exchange,
            routing_key=message["event_type"],
            body=json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode(),
            properties=pika.BasicProperties(
                message_id=message["event_id"], delivery_mode=pika.DeliveryMode.Persistent,
                content_type="application/json", type=message["event_type"],
                headers={"version": message["version"]}, timestamp=int(time.time()),
            ),
            mandatory=True,
        )

    def close(self) -> None:
        try:
            if self.connection is not None and self.connection.is_open:
                self.connection.close()
        except AMQPError:
            pass
        self.connection = self.channel = None


def claim_unpublished(session: Session, *, limit: int) -> list[IntegrationEvent]:
    """The oldest unpublished events, locked for this relay (skipped by another one) on PostgreSQL."""
    query = (
        select(IntegrationEvent)
        .where(IntegrationEvent.published_at.is_(None))
        .order_by(IntegrationEvent.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _mark_published(session: Session, ids: list[int], now: datetime) -> None:
    if ids:
        session.execute(
            update(IntegrationEvent).where(IntegrationEvent.id.in_(ids)).values(published_at=now),
            execution_options={"synchronize_session": False},
        )


def relay_batch(session: Session, publish: Callable[[dict], None], *, limit: int = 500, now: datetime | None = None) -> int:
    """Publish one batch and commit the marks of every confirmed message; returns how many.

    When publishing fails midway the confirmed ones are still marked (and committed) before the
    error is raised; the failing event's publish_attempts goes up by one."""
    failure: Exception | None = None
    with unit_of_work(session):
        events = claim_unpublished(session, limit=limit)
        confirmed: list[int] = []
        try:
            for event in events:
                publish(message_of(event))
                confirmed.append(event.id)
                metrics.EVENTS_PUBLISHED.labels(event_type=event.event_type).inc()
        except Exception as error:  # noqa: BLE001 - re-raised below, once the confirmed marks are committed
            failing = events[len(confirmed)]
            failing.publish_attempts = (failing.publish_attempts or 0) + 1
            failure = error
        _mark_published(session, confirmed, now or utcnow())
    if failure is not None:
        raise failure
    return len(confirmed)


def run_relay(
    session_factory: Callable[[], Session],
    publisher: PikaPublisher,
    *,
    stop: threading.Event | None = None,
    batch_size: int = 500,
    poll_seconds: float = 0.5,
    once: bool = False,
) -> int:
    """Relay until ``stop`` is set (or, with ``once``, until nothing is left); returns how many were published.

    A lost broker or database, or an event no queue took, is waited for with the backoff of
    ``reconnect.reconnect_policy`` (0.5 s doubled, capped at 15 s)."""
    stop = stop or threading.Event()
    retrying = reconnect_policy(stop, retry_on=(AMQPError, OSError, OperationalError), log_wait=_log_relay_wait)

    def one_batch() -> int:
        try:
            with session_factory() as session:
                return relay_batch(session, publisher.publish, limit=batch_size)
        except (AMQPError, OSError):
            # The next try connects anew, which declares the topology again: an unroutable event
            # finds the queue bound for it since.
            publisher.close()
            raise

    total = 0
    while not stop.is_set():
        try:
            count = retrying(one_batch)
        except Stopped:
            break
        total += count
        if count == 0:
            if once:
                break
            stop.wait(poll_seconds)
    publisher.close()
    return total


def _log_relay_wait(retry_state: RetryCallState) -> None:
    error, delay = retry_state.outcome.exception(), retry_state.upcoming_sleep
    if isinstance(error, UnroutableError):
        routing_keys = sorted({returned.method.routing_key for returned in error.messages})
        log.error("relay: no queue bound for %s, not marked published; retrying in %.1f s", routing_keys, delay)
    elif isinstance(error, OperationalError):
        log.warning("relay: database unavailable (%s), retrying in %.1f s", error.orig.__class__.__name__, delay)
    else:
        log.warning("relay: broker unavailable (%s), retrying in %.1f s", error.__class__.__name__, delay)

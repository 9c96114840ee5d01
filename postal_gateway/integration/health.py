"""Readiness (database and broker reachable) and the figures /metrics reads at scrape time."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from kombu import Connection
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from postal_gateway.core.db import utcnow
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.core.task_policy import QUEUES
from postal_gateway.integration.models import DeadLetter
from postal_gateway.notifications.models import MessageStatus, OutboxMessage
from tracking.models import SlaBreach

log = logging.getLogger(__name__)


def check_database(session_factory: Callable[[], Session]) -> str | None:
    """None when the database answers, else the error's class name (never its text: it may hold the URL).

    Asked in a session of its own, closed at once, so a failed check leaves no transaction behind."""
    try:
        with session_factory() as session:
            session.execute(text("SELECT 1"))
        return None
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return error.__class__.__name__


def check_broker(url: str, *, timeout: float = 2.0) -> str | None:
    """None when the Celery broker accepts a connection, else the error's class name."""
    try:
        with Connection(url, connect_timeout=timeout, transport_options={"max_retries": 0}) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
            connection.default_channel  # noqa: B018 - opens a channel: the broker really answers
        return None
    except Exception as error:  # noqa: BLE001
        return error.__class__.__name__


def queue_depths(url: str, queues: tuple[str, ...] | None = None, *, timeout: float = 2.0) -> dict[str, int]:
    """Messages waiting in each named Celery queue (a queue not declared yet counts 0)."""

    depths: dict[str, int] = {}
    with Connection(url, connect_timeout=timeout) as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
        for name in queues or QUEUES:
            channel = connection.channel()
            try:
                depths[name] = int(channel.queue_declare(queue=name, passive=True).message_count)
            except Exception:  # noqa: BLE001 - not declared yet
                depths[name] = 0
            finally:
                try:
                    channel.close()
                except Exception:  # noqa: BLE001
                    pass
    return depths


def _age(oldest: datetime | None, now: datetime) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite's MIN() bypasses the column type
        oldest = oldest.replace(tzinfo=timezone.utc)
    return max(0.0, (now - oldest).total_seconds())


def database_figures(session: Session, *, now: datetime | None = None) -> dict:
    now = now or utcnow()
    messages = {
        (getattr(channel, "value", channel), getattr(status, "value", status)): count
        for channel, status, count in session.execute(
            select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(OutboxMessage.channel, OutboxMessage.status)
        )
    }
    oldest_queued = session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == MessageStatus.queued))
    unpublished, oldest_event = session.execute(
        select(func.count(), func.min(IntegrationEvent.occurred_at)).where(IntegrationEvent.published_at.is_(None))
    ).one()
    breaches = session.scalar(select(func.count()).select_from(SlaBreach)) or 0
    return {
        "messages": messages,
        "oldest_queued_seconds": _age(oldest_queued, now),
        "unpublished_events": int(unpublished or 0),
        "relay_lag_seconds": _age(oldest_event, now),
        "dead_letters": int(session.scalar(select(func.count()).select_from(DeadLetter)) or 0),
        "sla_breaches": int(breaches),
    }

"""The relay of a laptop without RabbitMQ (``make run``): events go straight to the in-process consumers.

Same guarantees as the broker path: each consumer applies an event once (ProcessedMessage), a poison
event is dead-lettered with its reason, and an event is marked published only after every consumer
has applied it (or set it aside), so a crash midway replays it and the duplicates are dropped.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.core.db import utcnow
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.integration.consumers import Consumer, handle
from postal_gateway.integration.relay import _mark_published, claim_unpublished, message_of
from postal_gateway.integration.topology import topic_matches

log = logging.getLogger(__name__)


def relay_locally(session_factory: Callable[[], Session], consumers: list[Consumer], *, limit: int = 200) -> int:
    """One batch of unpublished events through every consumer bound to its type; returns how many."""
    # Read and let go at once: each consumer applies an event in a transaction of its own.
    with session_factory() as session, unit_of_work(session):
        messages = [message_of(event) for event in claim_unpublished(session, limit=limit)]
    done: list[str] = []
    for message in messages:
        body = json.dumps(message, ensure_ascii=False).encode()
        settled = True
        for consumer in consumers:
            if not any(topic_matches(key, message["event_type"]) for key in consumer.routing_keys):
                continue
            for attempt in range(consumer.max_attempts):
                outcome = handle(session_factory, consumer, body, message_id=message["event_id"],
                                 routing_key=message["event_type"], attempts=attempt)
                if outcome.action != "retry":
                    break
            if outcome.action == "requeue":
                settled = False  # the database or a partner is away: the next run tries again
        if settled:
            done.append(message["event_id"])
    if done:
        with session_factory() as session, unit_of_work(session):
            row_ids = list(session.scalars(select(IntegrationEvent.id).where(IntegrationEvent.event_id.in_(done))))
            _mark_published(session, row_ids, utcnow())
    return len(done)

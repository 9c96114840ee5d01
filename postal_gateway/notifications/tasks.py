"""Background delivery of outbox messages (queue "notifications") and the sweep that catches up."""
from __future__ import annotations

import logging

from postal_gateway.core.config import process_settings
from postal_gateway.core.db import bind_once, utcnow
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.core.worker import celery_app, task_session
from postal_gateway.notifications import zalo
from postal_gateway.notifications.adapters import DeliveryError
from postal_gateway.notifications.service import _dispatcher, deliver, due_messages, expire_lost_code_messages

log = logging.getLogger(__name__)

#: queued messages whose task was lost (broker down at commit, a purge) are dispatched again
BEAT_SCHEDULE = {
    "notifications-sweep": {"task": "notifications.sweep", "schedule": 60.0},
    # the OA access token lives 25 hours; refreshed when within 2 hours of its end (zalo.REFRESH_MARGIN)
    "notifications-zalo-token": {"task": "notifications.zalo_token", "schedule": 30 * 60.0},
}


def deliver_once(message_id: int, one_time_code: str | None = None) -> "object":
    """One delivery attempt in its own transaction; returns the DeliveryOutcome."""
    with task_session() as session, unit_of_work(session):
        return deliver(session, message_id, one_time_code=one_time_code, now=utcnow())


@celery_app.task(name="notifications.deliver", bind=True, max_retries=None)
def deliver_task(self, message_id: int, one_time_code: str | None = None) -> str:
    """Idempotent: a message already sent or failed is left alone, so a redelivered task sends nothing.

    ``one_time_code``: for a code message, the code itself, which exists nowhere else (retries keep it)."""
    outcome = deliver_once(message_id, one_time_code)
    if outcome.result in ("retry", "not_due"):
        # the attempt count lives on the row (deliver marks it failed after MAX_ATTEMPTS), not in Celery
        raise self.retry(countdown=max(1.0, outcome.retry_in or 1.0), max_retries=None)
    return outcome.result


def sweep(limit: int = 500) -> int:
    with task_session() as session:
        with unit_of_work(session):
            expire_lost_code_messages(session, now=utcnow())
        ids = due_messages(session, now=utcnow(), limit=limit)
    if ids:
        _dispatcher(ids, {})  # codes are not kept: a lost code message fails at delivery
    return len(ids)


@celery_app.task(name="notifications.sweep")
def sweep_task() -> int:
    return sweep()


def refresh_zalo_token() -> bool:
    """Refresh the OA's access token if it is due; False when Zalo is off or the token is still fresh."""
    settings = process_settings()
    api = zalo.api_for(settings)
    if api is None:
        return False
    bind_once(settings.database_url)
    try:
        return api.refresh_if_due(now=utcnow())
    except DeliveryError as error:  # logged and counted; the next beat (or a send) tries again
        log.error("zalo: token refresh failed: %s", error)
        return False


@celery_app.task(name="notifications.zalo_token")
def zalo_token_task() -> bool:
    return refresh_zalo_token()

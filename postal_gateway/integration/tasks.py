"""Background work of the integration area (queue "integration").

With RabbitMQ the relay is its own long-running process (``flask integration relay``, Procfile);
on a laptop (no AMQP URL) beat runs the local relay every few seconds instead.
"""
from __future__ import annotations

from postal_gateway.core.config import process_settings
from postal_gateway.core.worker import celery_app, task_session
from postal_gateway.integration.consumers import local_consumers
from postal_gateway.integration.local import relay_locally
from postal_gateway.integration.relay import amqp_url

BEAT_SCHEDULE = {
    "integration-relay-local": {"task": "integration.relay_local", "schedule": 5.0},
}


@celery_app.task(name="integration.relay_local")
def relay_local_task() -> int:
    """Only without RabbitMQ: hand unpublished events to the in-process consumers."""
    if amqp_url(process_settings()) is not None:
        return 0
    return relay_locally(task_session, local_consumers())

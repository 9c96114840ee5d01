"""The Celery application: ``celery -A postal_gateway.worker worker``.

The broker is RabbitMQ in production (CELERY_BROKER_URL=amqp://...) and, on a fresh machine,
kombu's SQLAlchemy transport over a SQLite file, so ``make run`` needs no other server.
"""
from __future__ import annotations

from celery import Celery

from postal_gateway.config import Settings


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or Settings.from_environment()
    app = Celery("postal_gateway")
    app.conf.update(
        broker_url=settings.broker_url,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_always_eager=settings.task_always_eager,
        timezone="Asia/Ho_Chi_Minh",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
    )
    app.conf.beat_schedule = {}
    return app


def load_area_tasks(app: Celery) -> None:
    """Import every area's ``tasks`` module (registering its tasks) and merge its beat schedule."""
    from postal_gateway.areas import area_parts

    for module in area_parts("tasks"):
        app.conf.beat_schedule.update(getattr(module, "BEAT_SCHEDULE", {}))


celery_app = make_celery()
# After celery_app exists: the area task modules import it from here.
load_area_tasks(celery_app)

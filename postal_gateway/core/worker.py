"""The Celery application: ``celery -A postal_gateway.core.worker worker``.

The broker is RabbitMQ in production (CELERY_BROKER_URL=amqp://...) and, on a fresh machine,
kombu's SQLAlchemy transport over a SQLite file, so ``make run`` needs no other server.

Reliability: named queues with routing by task-name prefix; a task is acknowledged only after it
ran (acks_late) and given back to the broker when its worker dies (reject_on_worker_lost), so a
task must be idempotent: each area's task checks its own state before acting. ``ReliableTask``
retries lost database connections with exponential backoff and jitter; hard and soft time limits
stop a stuck task. A request id travels from the web request into the task's logs.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from celery import Celery, Task, signals
from kombu import Exchange, Queue
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

# Every table class, before any task's first query: a task that reaches one area's model alone (the
# sandbox's IPN delivery, say) would otherwise configure the mappers without the others and leave this
# worker failing every task until it restarts.
import postal_gateway.models  # noqa: F401
from postal_gateway import bootstrap
from postal_gateway.areas import area_parts
from postal_gateway.core.config import Settings, process_settings
from postal_gateway.core.db import SessionFactory, bind_once
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.core.task_policy import QUEUES, ROUTES, SOFT_TIME_LIMIT, TIME_LIMIT
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.integration import logs

log = logging.getLogger(__name__)

def _transient_errors() -> tuple[type[BaseException], ...]:
    # OperationalError covers a dropped connection (pg_terminate_backend), a restart, a lock timeout
    return (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class ReliableTask(Task):
    """Base of every task: retried on lost connections with exponential backoff and jitter."""

    autoretry_for = _transient_errors()
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8
    acks_late = True
    reject_on_worker_lost = True


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or process_settings()
    app = Celery("postal_gateway", task_cls=ReliableTask)
    exchange = Exchange("postal_gateway.tasks", type="direct", durable=True)
    app.conf.update(
        broker_url=settings.broker_url,
        task_queues=[Queue(name, exchange, routing_key=name, durable=True) for name in QUEUES],
        task_default_queue="default",
        task_default_exchange="postal_gateway.tasks",
        task_default_routing_key="default",
        task_routes=ROUTES,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_soft_time_limit=SOFT_TIME_LIMIT,
        task_time_limit=TIME_LIMIT,
        task_default_delivery_mode="persistent",
        worker_prefetch_multiplier=1,
        task_always_eager=settings.task_always_eager,
        timezone=VIETNAM.key,
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"confirm_publish": True} if settings.broker_url.startswith("amqp") else {},
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )
    app.conf.beat_schedule = {}
    # When the app is finalised (worker and beat start-up, or the first task sent), every area's
    # ``tasks`` module is imported, registering its tasks, and their beat schedules are merged; not
    # earlier: an area's ``tasks`` imports this module, and may still be half-imported when it does.
    app.on_after_finalize.connect(_merge_beat_schedules, weak=False)
    return app


def area_beat_schedule() -> dict:
    schedule: dict = {}
    for module in area_parts("tasks"):
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule


def _merge_beat_schedules(sender: Celery, **_kwargs) -> None:
    sender.conf.beat_schedule = area_beat_schedule()


# --- database sessions in a worker process ------------------------------------------------------


@contextlib.contextmanager
def task_session() -> Iterator[Session]:
    """One unit of work of a task, in a session of its own: committed when the block ends, rolled back
    on any error, always closed."""
    bind_once(process_settings().database_url)
    with SessionFactory() as session, unit_of_work(session):
        yield session


@signals.worker_init.connect
def _wire_worker(**_kwargs) -> None:
    """The worker's wiring (database, Session listeners, calendar overrides: postal_gateway.bootstrap),
    done in the main process before the pool forks, so every pool process inherits it."""
    bootstrap.wire_worker()


@signals.worker_process_init.connect
def _fresh_connections_after_fork(**_kwargs) -> None:
    """A forked pool process must not share its parent's database sockets."""
    engine = SessionFactory.kw.get("bind")
    if engine is not None:
        engine.dispose(close=False)


# --- request id carried from the web request into the task's logs -----------------------------


@signals.before_task_publish.connect
def _attach_request_id(headers: dict | None = None, **_kwargs) -> None:
    request_id = logs.current_request_id()
    if headers is not None and request_id and "request_id" not in headers:
        headers["request_id"] = request_id


@signals.task_prerun.connect
def _adopt_request_id(task: Task | None = None, **_kwargs) -> None:
    incoming = getattr(task.request, "request_id", None) if task is not None else None
    logs.set_request_id(incoming or (task.request.id if task is not None else None))


@signals.task_postrun.connect
def _forget_request_id(**_kwargs) -> None:
    logs.set_request_id(None)


@signals.setup_logging.connect
def _json_logging(loglevel=None, **_kwargs) -> None:
    logs.configure_json_logging(loglevel or logging.INFO)


celery_app = make_celery()

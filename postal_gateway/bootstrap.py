"""The one wiring place: what the web app and the Celery worker install before they do any work.

Nothing is installed by importing a module; every process calls one of these, once:
- ``wire_app`` from ``postal_gateway.app.create_app``;
- ``wire_worker`` from ``postal_gateway.core.worker`` when a worker process starts (``worker_init``).

Both run ``install_listeners`` (the Session listeners, in this order: the audit log's append-only
guards, the lookup store's inline sync, the notification dispatch after commit) and install the
working calendar's override provider. Tests inject their fakes here (``notification_dispatcher``).
"""
from __future__ import annotations

import postal_gateway.models  # noqa: F401 - every table class loaded before any relationship resolves
from postal_gateway.calendar import store as calendar_store
from postal_gateway.consents import audit
from postal_gateway.core import domain_events
from postal_gateway.core.config import Settings, process_settings
from postal_gateway.core.db import SessionFactory, bind_once
from postal_gateway.integration import logs
from postal_gateway.lookup import projection
from postal_gateway.notifications import service as notifications
from postal_gateway.notifications.service import Dispatcher
from postal_gateway.workbench import reactions as workbench_reactions
from postal_gateway.workbench.services import ResultHandedToPost
from tracking import reactions as tracking_reactions
from tracking.ingestion import ResultDelivered


def install_listeners() -> None:
    """The Session listeners every process needs; each is installed at most once per process."""
    # 1. before_flush, do_orm_execute: refuse to change or delete an audit entry
    audit.install_guards()
    # 2. after_flush, after_flush_postexec: the lookup store follows the events of the same transaction
    projection.install_inline_sync()
    # 3. after_commit, after_soft_rollback: committed messages go to the dispatcher
    notifications.install()


def subscribe_reactions() -> None:
    """The in-process reactions of one area to another's typed domain events, dispatched by the unit of
    work (``postal_gateway.core.unit_of_work``); each subscription is made at most once per process."""
    # the return leg and its 24-hour clock commit with the hand-over to the post, or not at all
    domain_events.subscribe(ResultHandedToPost, tracking_reactions.open_return_leg_for_result, within_transaction=True)
    # the dossier is "returned" when the return leg delivers the result, in the same transaction (Điều 25.2)
    domain_events.subscribe(ResultDelivered, workbench_reactions.mark_returned_on_delivery, within_transaction=True)


def wire_process(*, notification_dispatcher: Dispatcher | None = None) -> None:
    """What the app and the worker share: listeners, reactions, the calendar's overrides, the message
    dispatcher (None keeps the one in place: the Celery task unless a test injected its own)."""
    install_listeners()
    subscribe_reactions()
    # Operator overrides of the working calendar come from the database, cached briefly.
    calendar_store.install_provider(SessionFactory)
    if notification_dispatcher is not None:
        notifications.configure_dispatcher(notification_dispatcher)


def wire_app(settings: Settings, *, notification_dispatcher: Dispatcher | None = None) -> None:
    """The web app's wiring (its engine is already bound): the shared part, then JSON logs."""
    wire_process(notification_dispatcher=notification_dispatcher)
    if settings.log_format == "json":
        logs.configure_json_logging(settings.log_level)


def wire_worker(settings: Settings | None = None) -> None:
    """A worker process: bind the database once, then the shared part (its logs are set up by
    Celery's ``setup_logging`` signal, see postal_gateway.core.worker)."""
    bind_once((settings or process_settings()).database_url)
    wire_process()

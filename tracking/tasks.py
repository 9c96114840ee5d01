"""Periodic work of the tracking area: the SLA breach scan (Celery beat)."""
from __future__ import annotations

from collections import Counter

from postal_gateway.core import db, metrics
from postal_gateway.core.config import process_settings
from postal_gateway.core.db import SessionFactory, bind_once
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.core.worker import celery_app
from tracking.sla import raise_breaches

#: every five minutes; a breach is raised once however often the scan runs
BEAT_SCHEDULE = {
    "tracking-breach-scan": {"task": "tracking.scan_breaches", "schedule": 300.0},
}


def _session():
    bind_once(process_settings().database_url)
    return SessionFactory()


@celery_app.task(name="tracking.scan_breaches")
def scan_breaches() -> int:
    """Raise every new breach once; returns how many."""
    session = _session()
    try:
        with unit_of_work(session):
            breaches = raise_breaches(session, now=db.utcnow())  # the clock looked up at call time
    finally:
        session.close()
    # counted once committed: a scan rolled back raised nothing, the next one raises them again
    for clock, count in Counter(breach.clock for breach in breaches).items():
        metrics.SLA_BREACHES.labels(clock=clock).inc(count)
    return len(breaches)

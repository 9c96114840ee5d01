"""Periodic work of the tracking area: the SLA breach scan (Celery beat)."""
from __future__ import annotations

from collections import Counter

from postal_gateway.worker import celery_app

#: every five minutes; a breach is raised once however often the scan runs
BEAT_SCHEDULE = {
    "tracking-breach-scan": {"task": "tracking.scan_breaches", "schedule": 300.0},
}


def _session():
    from postal_gateway.config import process_settings
    from postal_gateway.db import SessionFactory, bind_engine, make_engine

    if SessionFactory.kw.get("bind") is None:  # a bare worker process: bind once
        bind_engine(make_engine(process_settings().database_url))
    return SessionFactory()


@celery_app.task(name="tracking.scan_breaches")
def scan_breaches() -> int:
    """Raise every new breach once; returns how many."""
    from postal_gateway import metrics
    from postal_gateway.db import utcnow
    from tracking.sla import raise_breaches

    session = _session()
    try:
        breaches = raise_breaches(session, now=utcnow())
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    # counted once committed: a scan rolled back raised nothing, the next one raises them again
    for clock, count in Counter(breach.clock for breach in breaches).items():
        metrics.SLA_BREACHES.labels(clock=clock).inc(count)
    return len(breaches)

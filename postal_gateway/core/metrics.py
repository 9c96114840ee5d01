"""Prometheus metrics, in one module every area imports from.

Counters are counted where things happen::

    from postal_gateway.core import metrics
    metrics.IPN_OUTCOMES.labels(code="00").inc()
    metrics.SLA_BREACHES.labels(clock="forward").inc(n)

Figures that several processes share (messages waiting, events not yet relayed, queue depth, lag,
breaches ever raised) are read from the database and the broker when /metrics is scraped, so the web
app's page is right whichever process did the work. With several gunicorn workers set
PROMETHEUS_MULTIPROC_DIR (an empty directory) so the counters of every worker are summed.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from postal_gateway.core.config import Settings
from postal_gateway.integration.health import database_figures

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request", ["method", "endpoint", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=REGISTRY,
)
NOTIFICATIONS_SENT = Counter("notifications_sent", "Messages accepted by a gateway", ["channel"], registry=REGISTRY)
NOTIFICATIONS_FAILED = Counter(
    "notifications_failed", "Messages given up after every retry or refused for good", ["channel"], registry=REGISTRY
)
NOTIFICATIONS_RETRIED = Counter(
    "notifications_retried", "Delivery attempts that will be retried", ["channel"], registry=REGISTRY
)
SLA_BREACHES = Counter("sla_breaches", "SLA breaches raised by this process", ["clock"], registry=REGISTRY)
IPN_OUTCOMES = Counter("vnpay_ipn_outcomes", "VNPay IPN answers by RspCode", ["code"], registry=REGISTRY)
EVENTS_PUBLISHED = Counter(
    "integration_events_published", "Integration events confirmed by the broker", ["event_type"], registry=REGISTRY
)
MESSAGES_CONSUMED = Counter(
    "integration_messages_consumed", "Integration messages handled by a consumer", ["consumer", "outcome"],
    registry=REGISTRY,
)


class DatabaseFigures(Collector):
    """Gauges read at scrape time: what waits, and for how long."""

    def __init__(self) -> None:
        self.session_factory: Callable | None = None
        self.queue_depths: Callable[[], dict[str, int]] | None = None

    def collect(self) -> Iterable[GaugeMetricFamily]:
        if self.session_factory is None:
            return
        try:
            with self.session_factory() as session:
                figures = database_figures(session)
        except Exception as error:  # noqa: BLE001 - a scrape must answer even with the database down
            log.warning("metrics: database figures unavailable: %s", error.__class__.__name__)
            return
        messages = GaugeMetricFamily("notifications_messages", "Outbox messages by channel and status",
                                     labels=["channel", "status"])
        for (channel, status), count in sorted(figures["messages"].items()):
            messages.add_metric([channel, status], count)
        yield messages
        yield GaugeMetricFamily("notifications_oldest_queued_seconds", "Age of the oldest message not yet sent",
                                value=figures["oldest_queued_seconds"])
        yield GaugeMetricFamily("integration_events_unpublished", "Integration events not yet confirmed by the broker",
                                value=figures["unpublished_events"])
        yield GaugeMetricFamily("integration_relay_lag_seconds", "Age of the oldest event not yet published",
                                value=figures["relay_lag_seconds"])
        yield GaugeMetricFamily("integration_dead_letters", "Poison messages set aside, all time",
                                value=figures["dead_letters"])
        yield GaugeMetricFamily("sla_breaches_recorded", "SLA breaches ever raised (from the database)",
                                value=figures["sla_breaches"])
        if self.queue_depths is not None:
            depth = GaugeMetricFamily("celery_queue_depth", "Tasks waiting in each named queue", labels=["queue"])
            try:
                for name, count in sorted(self.queue_depths().items()):
                    depth.add_metric([name], count)
            except Exception as error:  # noqa: BLE001 - broker down: no depth, readyz says why
                log.warning("metrics: queue depth unavailable: %s", error.__class__.__name__)
            yield depth


DATABASE_FIGURES = DatabaseFigures()
REGISTRY.register(DATABASE_FIGURES)


def exposition(settings: Settings) -> bytes:
    """The text format of every metric (summed over processes when PROMETHEUS_MULTIPROC_DIR is set)."""
    if settings.prometheus_multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=settings.prometheus_multiproc_dir)
        registry.register(DATABASE_FIGURES)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class Timer:
    """perf_counter based stopwatch for the request hook."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

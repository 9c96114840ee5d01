"""Celery configuration: named queues and routing, late acks, redelivery, time limits, retry policy."""
import random

import pytest

from postal_gateway.core.task_policy import QUEUES, backoff_seconds
from postal_gateway.core.worker import ReliableTask, celery_app


def _queue_of(task_name: str) -> str:
    route = celery_app.amqp.router.route({}, task_name)
    return route["queue"].name


def test_named_queues_and_routing_by_area():
    assert {q.name for q in celery_app.conf.task_queues} == set(QUEUES) == {"default", "notifications", "integration", "reports"}
    assert _queue_of("notifications.deliver") == "notifications"
    assert _queue_of("integration.relay_local") == "integration"
    assert _queue_of("statistics.export") == "reports"
    assert _queue_of("tracking.scan_breaches") == "default"


def test_late_acks_redelivery_limits_and_no_inline_running():
    conf = celery_app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_always_eager is False
    assert conf.broker_url.startswith(("sqla+sqlite", "amqp"))  # make run: SQLite file; production: RabbitMQ


def test_every_task_retries_lost_connections_with_backoff_and_jitter():
    from sqlalchemy.exc import OperationalError

    for name in ("notifications.deliver", "tracking.scan_breaches", "payments.query_pending"):
        task = celery_app.tasks[name]
        assert isinstance(task, ReliableTask) and OperationalError in task.autoretry_for
        assert task.retry_backoff and task.retry_jitter and task.acks_late


def test_beat_runs_the_periodic_jobs_of_every_area():
    celery_app.finalize()  # what beat and the worker do at start-up
    schedule = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert {"notifications.sweep", "integration.relay_local", "tracking.scan_breaches", "payments.query_pending"} <= schedule


@pytest.mark.slow  # a fresh interpreter imports the whole product (seconds): `make test` runs it
def test_the_schedule_is_complete_even_when_an_area_task_module_is_imported_first():
    """payments.tasks imports the worker, which imports payments.tasks again while it is half-done."""
    import subprocess
    import sys

    script = (
        "import payments.tasks\n"
        "from postal_gateway.core.worker import celery_app\n"
        "celery_app.finalize()\n"
        "print(sorted(e['task'] for e in celery_app.conf.beat_schedule.values()))\n"
    )
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "payments.query_pending" in printed and "tracking.scan_breaches" in printed


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap():
    rng = random.Random(7)
    samples = {attempt: [backoff_seconds(attempt, rng=rng) for _ in range(200)] for attempt in (1, 4, 20)}
    assert all(1 <= s <= 4 for s in samples[1]) and max(samples[4]) > 8 and max(samples[4]) <= 32
    assert max(samples[20]) <= 600 and len({round(s, 3) for s in samples[4]}) > 100  # spread, not one instant


def test_request_id_travels_into_the_task_headers():
    from postal_gateway.core import worker
    from postal_gateway.integration import logs

    logs.set_request_id("req-123")
    try:
        headers = {}
        worker._attach_request_id(headers=headers)
        assert headers["request_id"] == "req-123"
    finally:
        logs.set_request_id(None)

    class Request:
        request_id = "req-123"
        id = "task-1"

    class Task:
        request = Request()

    worker._adopt_request_id(task=Task())
    assert logs.current_request_id() == "req-123"
    worker._forget_request_id()
    assert logs.current_request_id() is None

"""Fault tests of the Celery set-up on the real RabbitMQ and PostgreSQL: a worker killed mid-task
(the task runs again, its effect happens once) and the database connection dropped under a task
(retried, not lost). Each run uses its own queue, deleted afterwards. RabbitMQ down = failure.

The worker subprocess imports this module (``-A tests.integration.test_worker_faults:fault_app``)."""
import os
import signal
import subprocess
import sys
import time
import uuid
from functools import lru_cache
from pathlib import Path

import pika
import pytest
from kombu import Queue
from sqlalchemy import create_engine, text

from postal_gateway.core.config import Settings
from postal_gateway.core.worker import make_celery
from tests.broker import connect_or_fail

#: Really commits (a Celery worker in a subprocess writes through its own connections); with xdist's --dist loadgroup, one worker runs every RabbitMQ test,
#: since one of them restarts the broker.
pytestmark = [pytest.mark.commits, pytest.mark.xdist_group("rabbitmq")]

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"  # kombu's spelling of the vhost "/"
PIKA_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
QUEUE = os.environ.get("FAULT_QUEUE", "test.faults.unset")
ROOT = Path(__file__).resolve().parents[2]

fault_app = make_celery(Settings.from_environment(broker_url=AMQP_URL, secret_key="x"))
fault_app.conf.update(task_queues=[Queue(QUEUE, durable=True)], task_default_queue=QUEUE, task_routes={})


@lru_cache
def _engine(url: str, application_name: str):
    return create_engine(url, pool_pre_ping=True, connect_args={"application_name": application_name})


def _attempt(directory: str, marker: str) -> int:
    path = Path(directory)
    (path / f"{marker}.{uuid.uuid4().hex}").touch()
    return len(list(path.glob(f"{marker}.*")))


def _effect_once(connection, marker: str) -> None:
    """The effect and its idempotency row in one transaction: a second run changes nothing."""
    inserted = connection.execute(text(
        "INSERT INTO processed_messages (consumer, message_id, event_type, processed_at) "
        "VALUES ('fault-probe', :m, '', now()) ON CONFLICT DO NOTHING RETURNING id"), {"m": marker}).first()
    if inserted is not None:
        connection.execute(text("INSERT INTO test_worker_effects VALUES (:m)"), {"m": marker})


@fault_app.task(name="faults.slow_effect")
def slow_effect(marker: str, database_url: str, directory: str, first_sleep: float) -> None:
    if _attempt(directory, marker) == 1:
        time.sleep(first_sleep)  # the test kills the worker meanwhile
    with _engine(database_url, "fault-slow").begin() as connection:
        _effect_once(connection, marker)


@fault_app.task(name="faults.effect_across_a_dropped_connection")
def effect_across_a_dropped_connection(marker: str, database_url: str, directory: str) -> None:
    attempt = _attempt(directory, marker)
    with _engine(database_url, f"fault-{marker}").begin() as connection:
        connection.execute(text("SELECT 1"))
        if attempt == 1:
            (Path(directory) / f"ready-{marker}").touch()
            deadline = time.monotonic() + 15
            while not (Path(directory) / f"dropped-{marker}").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        _effect_once(connection, marker)  # OperationalError on attempt 1: the backend was terminated


# --- the tests --------------------------------------------------------------------------------------


@pytest.fixture()
def queue_name():
    connect_or_fail(PIKA_URL).close()
    name = f"test.faults.{uuid.uuid4().hex[:10]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(PIKA_URL))
    connection.channel().queue_delete(name)
    connection.close()


@pytest.fixture()
def effects(app):
    engine = app.extensions["engine"]
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS test_worker_effects (marker varchar(64))"))
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS test_worker_effects"))


def _start_worker(queue: str, log_path: Path) -> subprocess.Popen:
    env = os.environ | {"FAULT_QUEUE": queue, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.integration.test_worker_faults:fault_app", "worker", "--pool=solo",
         "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=5)


def _wait_for(condition, seconds: float, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log_path.read_text()[-3000:]}")


def _effects(engine, marker: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM test_worker_effects WHERE marker = :m"), {"m": marker}).scalar()


@pytest.mark.slow
def test_a_worker_killed_mid_task_runs_it_again_and_the_effect_happens_once(effects, database_url, queue_name, tmp_path):
    marker, log_path = uuid.uuid4().hex[:12], tmp_path / "worker.log"
    first = _start_worker(queue_name, log_path)
    second = None
    try:
        slow_effect.apply_async((marker, database_url, str(tmp_path), 60.0), queue=queue_name)
        _wait_for(lambda: list(tmp_path.glob(f"{marker}.*")), 25, "the first attempt", log_path)
        os.killpg(first.pid, signal.SIGKILL)  # mid-task: the message was never acknowledged
        first.wait(timeout=5)
        assert _effects(effects, marker) == 0
        second = _start_worker(queue_name, log_path)
        _wait_for(lambda: _effects(effects, marker) == 1, 25, "the redelivered task's effect", log_path)
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
    assert len(list(tmp_path.glob(f"{marker}.*"))) == 2  # it ran twice ...
    assert _effects(effects, marker) == 1  # ... and its effect happened once


@pytest.mark.slow
def test_a_dropped_database_connection_is_retried_not_lost(effects, database_url, queue_name, tmp_path):
    marker, log_path = uuid.uuid4().hex[:12], tmp_path / "worker.log"
    worker = _start_worker(queue_name, log_path)
    try:
        effect_across_a_dropped_connection.apply_async((marker, database_url, str(tmp_path)), queue=queue_name)
        _wait_for(lambda: (tmp_path / f"ready-{marker}").exists(), 25, "the task's connection", log_path)
        with effects.connect() as connection:
            killed = connection.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :n"),
                {"n": f"fault-{marker}"}).scalar()
        assert killed == 1
        (tmp_path / f"dropped-{marker}").touch()
        _wait_for(lambda: _effects(effects, marker) == 1, 25, "the retried task's effect", log_path)
    finally:
        _stop(worker)
    assert len(list(tmp_path.glob(f"{marker}.*"))) >= 2 and _effects(effects, marker) == 1
    assert "Retry" in log_path.read_text() or "retry" in log_path.read_text()

"""Integration events: the relay (confirms, marks only what was confirmed), consumers (idempotent by
message id, poison dead-lettered with a reason), the local relay of ``make run``, and the real
RabbitMQ: publish, consume, dead-letter queue, and a broker restart while the relay publishes.

Tests that need RabbitMQ fail (never skip) when it is unreachable."""
import json
import subprocess
import threading
import time
import uuid

import pika
import pytest
from sqlalchemy import func, select, text

from postal_gateway.core.db import SessionFactory
from postal_gateway.core.outbox import IntegrationEvent, emit
from postal_gateway.integration import consumers as c
from postal_gateway.integration.local import relay_locally
from postal_gateway.integration.models import DeadLetter, ProcessedMessage
from postal_gateway.integration.relay import PikaPublisher, message_of, relay_batch, run_relay
from postal_gateway.integration.topology import DEFAULT_TOPOLOGY, Topology, topic_matches
from tests.broker import connect_or_fail

#: Really commits (the relay and consumers open their own sessions, threads and tables); with xdist's --dist loadgroup, one worker runs every RabbitMQ test,
#: since one of them restarts the broker.
pytestmark = [pytest.mark.commits, pytest.mark.xdist_group("rabbitmq")]

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _events(session, count: int, event_type: str = "dossier.status_changed") -> list[IntegrationEvent]:
    rows = [emit(session, event_type, aggregate_type="dossier", aggregate_id=f"D-{i:05d}",
                 payload={"dossier_code": f"D-{i:05d}", "to_status": "in_progress"}) for i in range(count)]
    session.commit()
    return rows


@pytest.fixture()
def effects(app):
    """A table of handler effects without a unique key: an event applied twice shows as two rows."""
    engine = app.extensions["engine"]
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS test_relay_effects (event_id varchar(64))"))
        connection.execute(text("TRUNCATE test_relay_effects"))
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS test_relay_effects"))


def _record_effect(session, event):
    session.execute(text("INSERT INTO test_relay_effects VALUES (:e)"), {"e": event["event_id"]})


def _effect_counts(engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return tuple(connection.execute(text("SELECT count(*), count(DISTINCT event_id) FROM test_relay_effects")).one())


# --- relay without a broker ----------------------------------------------------------------------------


def test_relay_marks_only_confirmed_events_and_counts_the_failed_attempt(session):
    rows = _events(session, 5)
    published = []

    def flaky(message):
        if len(published) == 3:
            raise pika.exceptions.NackError([])
        published.append(message)

    with pytest.raises(pika.exceptions.NackError):
        relay_batch(SessionFactory(), flaky)
    session.expire_all()
    assert [r.published_at is not None for r in rows] == [True, True, True, False, False]
    assert session.get(IntegrationEvent, rows[3].id).publish_attempts == 1
    assert relay_batch(SessionFactory(), published.append) == 2
    assert [m["event_id"] for m in published] == [r.event_id for r in rows]
    assert published[0] == message_of(rows[0]) and published[0]["version"] == 1
    assert relay_batch(SessionFactory(), published.append) == 0


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "malformed_json"),
    (b"\xff\xfe", "malformed_json"),
    (b"[1, 2]", "not_an_object"),
    (b'{"event_id": "e1"}', "missing_fields"),
    (json.dumps({"event_id": "e1", "event_type": "dossier.eaten", "version": 1, "payload": {}}).encode(), "unknown_type"),
    (json.dumps({"event_id": "e1", "event_type": "dossier.received", "version": 9, "payload": {}}).encode(), "unknown_version"),
    (json.dumps({"event_id": "e1", "event_type": "dossier.received", "version": 1, "payload": []}).encode(), "bad_payload"),
    (b'{"pad": "' + b"x" * (c.MAX_BODY_BYTES + 1) + b'"}', "oversized"),
])
def test_poison_messages_are_dead_lettered_with_their_reason(session, body, reason):
    applied = []
    consumer = c.Consumer("probe", lambda s, e: applied.append(e))
    outcome = c.handle(SessionFactory, consumer, body, message_id="e1", routing_key="x")
    assert outcome.action == "dead" and outcome.reason == reason and applied == []
    letter = session.scalars(select(DeadLetter)).one()
    assert letter.reason == reason and letter.consumer == "probe" and len(letter.body_excerpt) <= 2000


def test_message_id_must_be_the_event_id(session):
    body = json.dumps({"event_id": "e1", "event_type": "dossier.received", "version": 1, "payload": {}}).encode()
    outcome = c.handle(SessionFactory, c.Consumer("probe", lambda s, e: None), body, message_id="other")
    assert outcome.reason == "id_mismatch"


def test_a_message_delivered_twice_is_applied_once(session, effects):
    (row,) = _events(session, 1)
    body = json.dumps(message_of(row)).encode()
    consumer = c.Consumer("probe", _record_effect)
    assert c.handle(SessionFactory, consumer, body, message_id=row.event_id).action == "applied"
    assert c.handle(SessionFactory, consumer, body, message_id=row.event_id).action == "duplicate"
    assert _effect_counts(effects) == (1, 1)
    other = c.Consumer("other", _record_effect)  # each consumer keeps its own ledger
    assert c.handle(SessionFactory, other, body, message_id=row.event_id).action == "applied"


def test_a_failing_handler_is_retried_then_dead_lettered_and_its_effect_rolled_back(session, effects):
    (row,) = _events(session, 1)
    body = json.dumps(message_of(row)).encode()

    def broken(s, event):
        _record_effect(s, event)
        raise RuntimeError("projection bug")

    consumer = c.Consumer("probe", broken, max_attempts=3)
    assert [c.handle(SessionFactory, consumer, body, attempts=n).action for n in range(3)] == ["retry", "retry", "dead"]
    assert _effect_counts(effects) == (0, 0)
    assert session.scalar(select(func.count()).select_from(ProcessedMessage)) == 0
    letter = session.scalars(select(DeadLetter)).one()
    assert letter.reason == "handler_failed" and "projection bug" in letter.detail and letter.message_id == row.event_id


def test_a_partner_down_is_requeued_not_dead_lettered(session):
    (row,) = _events(session, 1)

    def down(_s, _e):
        raise c.TransientError("one-stop system answered HTTP 503")

    outcome = c.handle(SessionFactory, c.Consumer("probe", down, max_attempts=1), json.dumps(message_of(row)).encode())
    assert outcome.action == "requeue" and session.scalar(select(func.count()).select_from(DeadLetter)) == 0


def test_local_relay_feeds_the_consumers_once_and_marks_events_published(session, effects):
    rows = _events(session, 3) + _events(session, 1, "payment.settled")
    lookup_like = c.Consumer("probe", _record_effect, ("dossier.status_changed",))
    assert relay_locally(SessionFactory, [lookup_like]) == 4
    assert relay_locally(SessionFactory, [lookup_like]) == 0
    session.expire_all()
    assert all(session.get(IntegrationEvent, r.id).published_at is not None for r in rows)
    assert _effect_counts(effects) == (3, 3)


def test_lookup_consumer_uses_the_projection(session):
    from postal_gateway.lookup.projection import apply_event

    consumer = c.lookup_consumer()
    assert consumer.handler is apply_event and "dossier.status_changed" in consumer.routing_keys


# --- the real RabbitMQ -------------------------------------------------------------------------------


@pytest.fixture()
def broker():
    """Unique exchange and queue names for this test, with a topology of one "probe" consumer on
    "dossier.*"; deleted afterwards. Fails if RabbitMQ is down."""
    connection = connect_or_fail(AMQP_URL)
    suffix = uuid.uuid4().hex[:10]
    topology = Topology(exchange=f"test.events.{suffix}", prefix=f"test.consumer.{suffix}",
                        bindings={"probe": ("dossier.*",)}, park_unclaimed=False)
    names = {"exchange": topology.exchange, "queue": topology.queue_of("probe"), "topology": topology, "extra": []}
    connection.close()
    yield names
    cleanup = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = cleanup.channel()
    used = [names["topology"], *names["extra"]]
    for queue in {q for t in used for q in t.queues()} | {names["queue"]}:
        channel.queue_delete(queue)
        channel.queue_delete(queue + ".dead")
    for exchange in (names["exchange"], names["exchange"] + ".dead"):
        channel.exchange_delete(exchange)
    cleanup.close()


def _declare(broker, consumer):
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    c.declare(connection.channel(), consumer, exchange=broker["exchange"], queue=broker["queue"])
    connection.close()


def _depth(queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    count = connection.channel().queue_declare(queue, passive=True).method.message_count
    connection.close()
    return count


def test_relay_and_consumer_through_rabbitmq_with_a_poison_message(session, effects, broker):
    rows = _events(session, 30)
    consumer = c.Consumer("probe", _record_effect, ("dossier.*",))
    _declare(broker, consumer)
    assert run_relay(SessionFactory, PikaPublisher(AMQP_URL, topology=broker["topology"]), once=True) == 30
    # a poison message and a duplicate of the first event, as a careless publisher would send them
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.basic_publish(broker["exchange"], "dossier.status_changed", b"{oops",
                          pika.BasicProperties(message_id="poison-1", delivery_mode=2))
    channel.basic_publish(broker["exchange"], "dossier.status_changed", json.dumps(message_of(rows[0])).encode(),
                          pika.BasicProperties(message_id=rows[0].event_id, delivery_mode=2))
    connection.close()
    handled = c.run_consumer(AMQP_URL, consumer, SessionFactory, topology=broker["topology"],
                             idle_exit_seconds=1.0)
    assert handled == 32
    assert _effect_counts(effects) == (30, 30)
    assert _depth(broker["queue"]) == 0 and _depth(broker["queue"] + ".dead") == 1
    letter = session.scalars(select(DeadLetter)).one()
    assert letter.reason == "malformed_json" and letter.message_id == "poison-1"


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@pytest.mark.slow
def test_rabbitmq_restarted_while_the_relay_publishes_loses_nothing_and_applies_nothing_twice(session, effects, broker):
    total = 600
    _events(session, total)
    consumer = c.Consumer("probe", _record_effect, ("dossier.*",))
    _declare(broker, consumer)
    restarted = threading.Event()
    stopping: list[threading.Thread] = []
    failures = []

    class Publisher(PikaPublisher):
        published = 0

        def publish(self, message):
            if Publisher.published == 100 and not restarted.is_set():
                restarted.set()
                stopping.append(threading.Thread(target=_rabbitmqctl, args=("stop_app",), daemon=True))
                stopping[0].start()
            try:
                super().publish(message)
            except Exception as error:
                failures.append(error)
                raise
            Publisher.published += 1
            time.sleep(0.004)  # keeps publishing in flight while the broker goes down

    stop = threading.Event()
    relay = threading.Thread(target=run_relay, args=(SessionFactory, Publisher(AMQP_URL, topology=broker["topology"])),
                             kwargs={"stop": stop, "batch_size": 25, "poll_seconds": 0.1}, daemon=True)
    relay.start()
    try:
        assert restarted.wait(20), "the relay never reached the 100th event"
        deadline = time.monotonic() + 20
        while not failures and time.monotonic() < deadline:
            time.sleep(0.1)
        assert failures, "the broker went down while the relay was publishing"
    finally:
        time.sleep(0.5)
        for thread in stopping:  # a late stop_app must not take the broker down after it is started again
            thread.join(timeout=60)
        _rabbitmqctl("start_app")  # always bring it back, whatever happened above
        _rabbitmqctl("await_startup")
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        if session.scalar(select(func.count()).select_from(IntegrationEvent).where(IntegrationEvent.published_at.is_(None))) == 0:
            break
        session.rollback()
        time.sleep(0.2)
    stop.set()
    relay.join(timeout=10)
    assert session.scalar(select(func.count()).select_from(IntegrationEvent).where(IntegrationEvent.published_at.is_(None))) == 0
    c.run_consumer(AMQP_URL, consumer, SessionFactory, topology=broker["topology"],
                   idle_exit_seconds=1.0)
    assert _effect_counts(effects) == (total, total)  # none lost, none applied twice
    assert session.scalar(select(func.count()).select_from(ProcessedMessage)) == total


# --- the topology, declared by the relay and by every consumer -----------------------------------------


def test_every_event_type_reaches_a_queue_of_the_product_topology():
    """With ``mandatory`` an event type bound to no queue would never be marked published."""
    from postal_gateway.core.outbox import EVENT_VERSIONS

    queues = DEFAULT_TOPOLOGY.queues()
    for event_type in EVENT_VERSIONS:
        assert any(topic_matches(key, event_type) for keys in queues.values() for key in keys), event_type
    assert queues["postal_gateway.unclaimed"] == ("sla.breached", "reconciliation.signed_off")
    assert {c.lookup_consumer().routing_keys, c.notices_consumer().routing_keys} == {
        queues["postal_gateway.lookup"], queues["postal_gateway.notices"]}


def test_relay_started_before_any_consumer_loses_nothing(session, effects, broker):
    """The incident: the relay ran first, declared only the exchange, and 37 events (8 payment.settled)
    were confirmed, marked published and dropped. Now the relay declares the queues too."""
    topology = Topology(exchange=broker["exchange"], prefix=broker["topology"].prefix,
                        bindings={"probe": ("dossier.*",), "payments": ("payment.settled",)}, park_unclaimed=False)
    broker["extra"].append(topology)
    _events(session, 29)
    _events(session, 8, "payment.settled")
    assert run_relay(SessionFactory, PikaPublisher(AMQP_URL, topology=topology), once=True) == 37
    # only now do the consumers start
    for name in ("probe", "payments"):
        consumer = c.Consumer(name, _record_effect, topology.bindings[name])
        c.run_consumer(AMQP_URL, consumer, SessionFactory, topology=topology, idle_exit_seconds=1.0)
    assert _effect_counts(effects) == (37, 37)
    assert session.scalar(select(func.count()).select_from(ProcessedMessage)
                          .where(ProcessedMessage.event_type == "payment.settled")) == 8


def test_an_event_no_queue_takes_is_not_marked_published(session, effects, broker):
    rows = _events(session, 1, "payment.settled")  # the broker topology binds only "dossier.*"
    publisher = PikaPublisher(AMQP_URL, topology=broker["topology"])
    try:
        with pytest.raises(pika.exceptions.UnroutableError):
            relay_batch(SessionFactory(), publisher.publish)
    finally:
        publisher.close()
    session.expire_all()
    row = session.get(IntegrationEvent, rows[0].id)
    assert row.published_at is None and row.publish_attempts == 1
    # once a queue is bound for it, the relay publishes it and a consumer gets it
    bound = Topology(exchange=broker["exchange"], prefix=broker["topology"].prefix,
                     bindings={"probe": ("dossier.*", "payment.settled")}, park_unclaimed=False)
    assert run_relay(SessionFactory, PikaPublisher(AMQP_URL, topology=bound), once=True) == 1
    c.run_consumer(AMQP_URL, c.Consumer("probe", _record_effect, bound.bindings["probe"]), SessionFactory,
                   topology=bound, idle_exit_seconds=1.0)
    assert _effect_counts(effects) == (1, 1)

"""Consumers of integration events: idempotent by message id, with a dead-letter queue for poison.

A consumer is a name, the routing keys it listens to and a handler ``(session, event) -> None``.
Each message is checked (size, JSON, shape, known type and version); a bad one is dead-lettered with
its reason (a ``DeadLetter`` row and RabbitMQ's dead-letter exchange), never dropped silently.
A good one is applied in one transaction together with its ``ProcessedMessage`` row, so a message
delivered twice (relay retry, broker redelivery) has its effect once.

Handler errors: a lost database or an unavailable partner (``TransientError``) is retried for as long
as it lasts, with backoff; any other error is retried ``max_attempts`` times, then dead-lettered.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pika
from pika.exceptions import AMQPError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from tenacity import RetryCallState

from postal_gateway.core import metrics
from postal_gateway.core.config import process_settings
from postal_gateway.core.outbox import EVENT_VERSIONS
from postal_gateway.core.transient import TransientError  # noqa: F401 - also importable from here, its old home
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.integration import onestop
from postal_gateway.integration.models import DeadLetter, ProcessedMessage
from postal_gateway.integration.reconnect import Stopped, reconnect_policy
from postal_gateway.integration.topology import CONSUMER_BINDINGS, EXCHANGE, QUEUE_PREFIX, Topology
from postal_gateway.lookup import projection
from postal_gateway.notifications.events import notify_from_event

log = logging.getLogger(__name__)

#: larger bodies are poison: no event of ours comes near it
MAX_BODY_BYTES = 64 * 1024
#: header carrying how many times a handler failed on this message
ATTEMPTS_HEADER = "x-handler-attempts"

Handler = Callable[[Session, dict], None]


class PoisonMessage(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass
class Consumer:
    #: also the ProcessedMessage.consumer value and, by default, the queue's suffix
    name: str
    handler: Handler
    routing_keys: tuple[str, ...] = ("#",)
    max_attempts: int = 5


@dataclass
class Outcome:
    #: "applied", "duplicate", "dead", "retry" (handler failed, counted), "requeue" (transient)
    action: str
    reason: str = ""
    event: dict | None = field(default=None, repr=False)


def parse_message(body: bytes, message_id: str | None = None) -> dict:
    """The event in ``body``, or PoisonMessage naming what is wrong with it."""
    if len(body) > MAX_BODY_BYTES:
        raise PoisonMessage("oversized", f"{len(body)} bytes > {MAX_BODY_BYTES}")
    try:
        event = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise PoisonMessage("malformed_json", str(error)[:200]) from None
    if not isinstance(event, dict):
        raise PoisonMessage("not_an_object", type(event).__name__)
    missing = [key for key in ("event_id", "event_type", "version", "payload") if key not in event]
    if missing:
        raise PoisonMessage("missing_fields", ", ".join(missing))
    event_id, event_type, version = event["event_id"], event["event_type"], event["version"]
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        raise PoisonMessage("bad_event_id", repr(event_id)[:80])
    if message_id and message_id != event_id:
        raise PoisonMessage("id_mismatch", f"message id {message_id[:64]} != event id {event_id}")
    if event_type not in EVENT_VERSIONS:
        raise PoisonMessage("unknown_type", str(event_type)[:64])
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= EVENT_VERSIONS[event_type]:
        raise PoisonMessage("unknown_version", f"{event_type} v{version!r}"[:80])
    if not isinstance(event["payload"], dict):
        raise PoisonMessage("bad_payload", type(event["payload"]).__name__)
    return event


def record_dead_letter(
    session_factory: Callable[[], Session], consumer: str, *, reason: str, detail: str, body: bytes,
    message_id: str = "", routing_key: str = "",
) -> None:
    with session_factory() as session, unit_of_work(session):
        session.add(DeadLetter(
            consumer=consumer[:64], message_id=(message_id or "")[:64], reason=reason[:32], detail=detail[:2000],
            body_excerpt=body[:2000].decode("utf-8", "replace"), routing_key=(routing_key or "")[:64],
        ))
    log.error("consumer %s dead-lettered message %s: %s %s", consumer, message_id or "-", reason, detail[:200])


class _ProcessedByATwin(Exception):
    """The same message was applied by a concurrent delivery; this one's transaction is rolled back."""


def apply_once(session_factory: Callable[[], Session], consumer: Consumer, event: dict) -> str:
    """The handler's effect and the ProcessedMessage row in one transaction: "applied" or "duplicate"."""
    with session_factory() as session:
        try:
            with unit_of_work(session):
                seen = session.scalar(select(ProcessedMessage.id).where(
                    ProcessedMessage.consumer == consumer.name, ProcessedMessage.message_id == event["event_id"]))
                if seen is not None:
                    return "duplicate"
                session.add(ProcessedMessage(
                    consumer=consumer.name, message_id=event["event_id"], event_type=event["event_type"]))
                try:
                    session.flush()  # a concurrent twin blocks here until the first commits, then fails
                except IntegrityError:
                    raise _ProcessedByATwin from None
                consumer.handler(session, event)
        except _ProcessedByATwin:
            return "duplicate"
    return "applied"


def handle(
    session_factory: Callable[[], Session], consumer: Consumer, body: bytes, *, message_id: str | None = None,
    routing_key: str = "", attempts: int = 0,
) -> Outcome:
    """Everything but the AMQP acknowledgement: decide and record what becomes of one message."""
    try:
        event = parse_message(body, message_id)
    except PoisonMessage as poison:
        record_dead_letter(session_factory, consumer.name, reason=poison.reason, detail=poison.detail, body=body,
                           message_id=message_id or "", routing_key=routing_key)
        metrics.MESSAGES_CONSUMED.labels(consumer=consumer.name, outcome="dead").inc()
        return Outcome("dead", poison.reason)
    try:
        action = apply_once(session_factory, consumer, event)
    except (OperationalError, InterfaceError, TransientError) as error:
        log.warning("consumer %s: %s, message %s will come again", consumer.name, error.__class__.__name__, event["event_id"])
        metrics.MESSAGES_CONSUMED.labels(consumer=consumer.name, outcome="requeue").inc()
        return Outcome("requeue", error.__class__.__name__, event)
    except Exception as error:  # noqa: BLE001 - a handler bug must not kill the consumer
        detail = f"{error.__class__.__name__}: {error}"[:2000]
        if attempts + 1 >= consumer.max_attempts:
            record_dead_letter(session_factory, consumer.name, reason="handler_failed", detail=detail, body=body,
                               message_id=event["event_id"], routing_key=routing_key)
            metrics.MESSAGES_CONSUMED.labels(consumer=consumer.name, outcome="dead").inc()
            return Outcome("dead", "handler_failed", event)
        log.warning("consumer %s: attempt %d on %s failed: %s", consumer.name, attempts + 1, event["event_id"], detail[:200])
        metrics.MESSAGES_CONSUMED.labels(consumer=consumer.name, outcome="retry").inc()
        return Outcome("retry", detail, event)
    metrics.MESSAGES_CONSUMED.labels(consumer=consumer.name, outcome=action).inc()
    return Outcome(action, "", event)


# --- RabbitMQ -------------------------------------------------------------------------------------


def queue_names(consumer: Consumer, *, prefix: str = QUEUE_PREFIX) -> tuple[str, str]:
    """(queue, dead-letter queue) of a consumer."""
    return f"{prefix}.{consumer.name}", f"{prefix}.{consumer.name}.dead"


def declare(channel, consumer: Consumer, *, exchange: str = EXCHANGE, queue: str | None = None) -> tuple[str, str]:
    """The topic exchange, the consumer's durable queue bound to its keys, and its dead-letter queue
    (one queue; ``Topology.declare`` declares them all)."""
    topology = Topology.for_exchange(exchange)
    queue = queue or topology.queue_of(consumer.name)
    topology.declare_exchanges(channel)
    return queue, topology.declare_queue(channel, queue, consumer.routing_keys)


def run_consumer(
    url: str,
    consumer: Consumer,
    session_factory: Callable[[], Session],
    *,
    exchange: str = EXCHANGE,
    queue: str | None = None,
    stop: threading.Event | None = None,
    idle_exit_seconds: float | None = None,
    topology: Topology | None = None,
) -> int:
    """Consume until ``stop`` (or ``idle_exit_seconds`` without a message); returns messages handled.

    Declares the whole topology first (every consumer's queue, not only its own), so a consumer
    started before the relay and the others loses nothing either. Acknowledged only after the
    outcome is committed; a lost connection reconnects with the backoff of
    ``reconnect.reconnect_policy`` (0.5 s doubled, capped at 15 s)."""
    stop = stop or threading.Event()
    topology = topology or Topology.for_exchange(exchange)
    queue_name = queue or topology.queue_of(consumer.name)
    link = _BrokerLink(url, topology, queue_name, consumer.routing_keys)
    handled, idle_since = 0, time.monotonic()

    def log_wait(retry_state: RetryCallState) -> None:
        log.warning("consumer %s: broker unavailable (%s), reconnecting in %.1f s", consumer.name,
                    retry_state.outcome.exception().__class__.__name__, retry_state.upcoming_sleep)

    retrying = reconnect_policy(stop, retry_on=(AMQPError, OSError), log_wait=log_wait)

    def connect_or_consume() -> None:
        """One step: connect when there is no connection (an outage ends once it succeeds), else
        consume on it until ``stop``; a broker error closes it and starts an outage."""
        nonlocal handled, idle_since
        try:
            if link.channel is None:
                link.open()
                return
            for method, properties, body in link.channel.consume(queue_name, inactivity_timeout=0.25):
                if stop.is_set():
                    break
                if method is None:
                    if idle_exit_seconds is not None and time.monotonic() - idle_since > idle_exit_seconds:
                        stop.set()
                    continue
                idle_since = time.monotonic()
                attempts = int((properties.headers or {}).get(ATTEMPTS_HEADER, 0) or 0)
                outcome = handle(session_factory, consumer, body, message_id=properties.message_id,
                                 routing_key=method.routing_key, attempts=attempts)
                handled += 1
                _acknowledge(link.channel, queue_name, method, properties, body, outcome, attempts, stop)
            link.channel.cancel()
        except (AMQPError, OSError):
            link.close()
            raise

    try:
        while not stop.is_set():
            try:
                retrying(connect_or_consume)
            except Stopped:
                break
    finally:
        link.close()
    return handled


class _BrokerLink:
    """The consumer's connection and channel, opened with its whole topology declared."""

    def __init__(self, url: str, topology: Topology, queue_name: str, routing_keys: tuple[str, ...]) -> None:
        self.url, self.topology, self.queue_name, self.routing_keys = url, topology, queue_name, routing_keys
        self.connection: pika.BlockingConnection | None = None
        self.channel = None

    def open(self) -> None:
        parameters = pika.URLParameters(self.url)
        parameters.heartbeat, parameters.connection_attempts = 30, 1
        self.connection = pika.BlockingConnection(parameters)
        channel = self.connection.channel()
        self.topology.declare(channel)
        self.topology.declare_queue(channel, self.queue_name, self.routing_keys)
        channel.basic_qos(prefetch_count=20)
        self.channel = channel

    def close(self) -> None:
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except AMQPError:
                pass


def _acknowledge(channel, queue_name: str, method, properties, body: bytes, outcome: Outcome, attempts: int,
                 stop: threading.Event) -> None:
    """Settle one delivery with the broker as its outcome says."""
    if outcome.action in ("applied", "duplicate"):
        channel.basic_ack(method.delivery_tag)
    elif outcome.action == "dead":
        channel.basic_nack(method.delivery_tag, requeue=False)  # to the dead-letter queue
    elif outcome.action == "retry":
        # back of the queue with the count raised, then let the original go
        channel.basic_publish("", queue_name, body, pika.BasicProperties(
            message_id=properties.message_id, delivery_mode=pika.DeliveryMode.Persistent,
            content_type=properties.content_type, type=properties.type,
            headers={**(properties.headers or {}), ATTEMPTS_HEADER: attempts + 1}))
        channel.basic_ack(method.delivery_tag)
    else:  # requeue: the database or the partner is away; wait a little, then let it come again
        stop.wait(min(10.0, 0.5 * (attempts + 1)))
        channel.basic_nack(method.delivery_tag, requeue=True)


# --- the consumers of this product -----------------------------------------------------------------


def lookup_consumer(handler: Handler | None = None) -> Consumer:
    """R-19: keeps the public lookup store in step with dossier and shipment events."""
    if handler is None:
        handler = projection.apply_event
    return Consumer("lookup", handler, CONSUMER_BINDINGS["lookup"])


def onestop_consumer(connector=None) -> Consumer:
    """Pushes dossier and payment events to the provincial one-stop system through its connector port."""
    return Consumer("onestop", onestop.handler(connector or onestop.connector_for(process_settings())),
                    CONSUMER_BINDINGS["onestop"])


def notices_consumer() -> Consumer:
    """Tells citizens their result is on its way and delivered (shipment events)."""
    return Consumer("notices", notify_from_event, CONSUMER_BINDINGS["notices"])


def local_consumers() -> list[Consumer]:
    """Every consumer, for the in-process relay of a laptop without RabbitMQ."""
    return [lookup_consumer(), onestop_consumer(), notices_consumer()]

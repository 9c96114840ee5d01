"""The RabbitMQ topology of integration events, declared in one place.

Exchanges, queues, bindings and dead-letter queues are declared here, and both the relay and every
consumer run ``Topology.declare`` when they connect. Whichever process starts first, every queue
exists and is bound before the first message is published, so an event published while no consumer
is running waits in its durable queue instead of being dropped by an exchange with nothing bound.

Declaring is idempotent: RabbitMQ accepts a re-declaration with the same arguments. Changing a
queue's arguments needs the queue deleted first (see docs/operations.md).

Event types that no consumer takes yet are bound to the ``unclaimed`` queue: kept, not dropped, so the
relay never marks an event published that reached no queue, and a later consumer or an operator can
still read them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from postal_gateway.core.outbox import EVENT_VERSIONS

#: the durable topic exchange every event goes to (routing key = event type)
EXCHANGE = "postal_gateway.core.outbox"
#: queue names are "<prefix>.<consumer>", their dead-letter queues "<prefix>.<consumer>.dead"
QUEUE_PREFIX = "postal_gateway"
#: the queue of event types no consumer listens to
UNCLAIMED = "unclaimed"

#: every consumer of this product and the routing keys (event types) it listens to
CONSUMER_BINDINGS: Mapping[str, tuple[str, ...]] = {
    # the public lookup store
    "lookup": ("dossier.submitted", "dossier.received", "dossier.status_changed", "shipment.event_recorded"),
    # the provincial one-stop system
    "onestop": ("dossier.submitted", "dossier.received", "dossier.status_changed", "payment.settled", "shipment.event_recorded"),
    # "result on its way" / "delivered" messages to citizens
    "notices": ("shipment.event_recorded",),
}


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching for the patterns we use: exact keys, "#", and "prefix.*"/"prefix.#"."""
    if pattern == "#" or pattern == key:
        return True
    if pattern.endswith((".*", ".#")):
        return key.startswith(pattern[:-1])
    return False


@dataclass(frozen=True)
class Topology:
    """The exchanges, the consumers' queues with their bindings, and their dead-letter queues."""

    exchange: str = EXCHANGE
    prefix: str = QUEUE_PREFIX
    #: consumer name -> routing keys
    bindings: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(CONSUMER_BINDINGS))
    #: bind the event types no consumer takes to the "unclaimed" queue
    park_unclaimed: bool = True

    @classmethod
    def for_exchange(cls, exchange: str) -> "Topology":
        """The product's topology on ``exchange``; on any other exchange than ours the queues are named
        after it, so a test or a bench never feeds the real consumers' queues."""
        return cls() if exchange == EXCHANGE else cls(exchange=exchange, prefix=exchange)

    @property
    def dead_exchange(self) -> str:
        return f"{self.exchange}.dead"

    def queue_of(self, consumer_name: str) -> str:
        return f"{self.prefix}.{consumer_name}"

    def unclaimed_types(self) -> tuple[str, ...]:
        """Known event types that no binding routes anywhere."""
        keys = [key for routing_keys in self.bindings.values() for key in routing_keys]
        return tuple(t for t in EVENT_VERSIONS if not any(topic_matches(key, t) for key in keys))

    def queues(self) -> dict[str, tuple[str, ...]]:
        """Every queue this topology declares, with its routing keys."""
        queues = {self.queue_of(name): tuple(keys) for name, keys in self.bindings.items()}
        unclaimed = self.unclaimed_types() if self.park_unclaimed else ()
        if unclaimed:
            queues[self.queue_of(UNCLAIMED)] = unclaimed
        return queues

    def declare_exchanges(self, channel) -> None:
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        channel.exchange_declare(self.dead_exchange, exchange_type="direct", durable=True)

    def declare_queue(self, channel, queue: str, routing_keys: tuple[str, ...]) -> str:
        """A durable queue bound to ``routing_keys``, whose rejected messages go to ``<queue>.dead``."""
        dead_queue = f"{queue}.dead"
        channel.queue_declare(dead_queue, durable=True)
        channel.queue_bind(dead_queue, self.dead_exchange, routing_key=queue)
        channel.queue_declare(queue, durable=True, arguments={
            "x-dead-letter-exchange": self.dead_exchange, "x-dead-letter-routing-key": queue})
        for key in routing_keys:
            channel.queue_bind(queue, self.exchange, routing_key=key)
        return dead_queue

    def declare(self, channel) -> None:
        """Everything, idempotently: run by the relay and by every consumer when they connect."""
        self.declare_exchanges(channel)
        for queue, routing_keys in self.queues().items():
            self.declare_queue(channel, queue, routing_keys)


#: the product's topology
DEFAULT_TOPOLOGY = Topology()

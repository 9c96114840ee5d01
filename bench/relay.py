"""Events relayed per second with publisher confirms, next to a bare pika publish loop with confirms.

    .venv/bin/python bench/relay.py [--events 20000] [--batch 500]
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--amqp-url amqp://guest:guest@127.0.0.1:5672/%2F]

Makes a scratch PostgreSQL database, writes the events, relays them to a scratch exchange bound to a
scratch queue, then publishes the same number of messages in a bare loop; prints both rates and the
ratio with its aim, and drops everything it made.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pika  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from bench.support import DEFAULT_ADMIN_URL  # noqa: E402

AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"


def main(argv: list[str] | None = None) -> dict:
    from postal_gateway.core.outbox import IntegrationEvent
    from postal_gateway.integration.relay import PikaPublisher, run_relay
    from postal_gateway.integration.topology import Topology
    from postal_gateway.models import metadata

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--amqp-url", default=AMQP)
    args = parser.parse_args(argv)

    name = f"bench_relay_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(args.admin_url.rsplit("/", 1)[0] + "/" + name)
    suffix = uuid.uuid4().hex[:8]
    exchange, queue = f"bench.events.{suffix}", f"bench.queue.{suffix}"
    connection = pika.BlockingConnection(pika.URLParameters(args.amqp_url))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, routing_key="#")
    try:
        metadata.create_all(engine)
        from postal_gateway.core.db import utcnow

        now = utcnow()
        rows = [{"event_id": str(uuid.uuid4()), "event_type": "dossier.status_changed", "version": 1,
                 "aggregate_type": "dossier", "aggregate_id": f"D-{i:06d}", "occurred_at": now, "publish_attempts": 0,
                 "payload": {"dossier_code": f"D-{i:06d}", "from_status": "received", "to_status": "in_progress",
                             "action": "start", "at": now.isoformat()}} for i in range(args.events)]
        with engine.begin() as db:
            db.execute(insert(IntegrationEvent), rows)
        factory = sessionmaker(bind=engine, expire_on_commit=False)

        started = time.perf_counter()
        # the scratch queue above is the only one: no consumer queues of the product on the scratch exchange
        scratch = Topology(exchange=exchange, bindings={}, park_unclaimed=False)
        relayed = run_relay(factory, PikaPublisher(args.amqp_url, topology=scratch), batch_size=args.batch, once=True)
        relay_seconds = time.perf_counter() - started
        assert relayed == args.events, relayed

        channel.confirm_delivery()
        body = json.dumps({"event_id": "x", "event_type": "dossier.status_changed", "version": 1,
                           "payload": rows[0]["payload"]}).encode()
        started = time.perf_counter()
        for i in range(args.events):
            channel.basic_publish(exchange, "dossier.status_changed", body,
                                  pika.BasicProperties(message_id=str(i), delivery_mode=2, content_type="application/json"))
        bare_seconds = time.perf_counter() - started

        relay_rate, bare_rate = args.events / relay_seconds, args.events / bare_seconds
        print(f"events: {args.events}, batch {args.batch}")
        print(f"relay (outbox -> RabbitMQ, confirms, marked published): {relay_rate:,.0f} events/s ({relay_seconds:.2f} s)")
        print(f"bare pika publish loop with confirms:                   {bare_rate:,.0f} msgs/s ({bare_seconds:.2f} s)")
        ratio = relay_rate / bare_rate
        print(f"ratio relay / bare: {ratio:.2f} (aim: at least 0.7)")
        return {"relay": relay_rate, "bare": bare_rate, "ratio": ratio}
    finally:
        channel.queue_delete(queue)
        channel.exchange_delete(exchange)
        channel.exchange_delete(f"{exchange}.dead")
        connection.close()
        engine.dispose()
        with admin.connect() as db:
            db.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            db.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


if __name__ == "__main__":
    main()

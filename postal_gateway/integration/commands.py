"""``flask integration ...``: the relay and the consumers as long-running processes, and dead letters."""
from __future__ import annotations

import signal
import threading

import click
import pika
from flask.cli import with_appcontext
from sqlalchemy import select

from postal_gateway.core.config import process_settings
from postal_gateway.core.db import SessionFactory, db_session
from postal_gateway.integration.consumers import lookup_consumer, notices_consumer, onestop_consumer, run_consumer
from postal_gateway.integration.models import DeadLetter
from postal_gateway.integration.relay import DEFAULT_AMQP_URL, PikaPublisher, amqp_url, run_relay
from postal_gateway.integration.topology import DEFAULT_TOPOLOGY

integration_commands = click.Group("integration", help="Integration events: relay, consumers, dead letters.")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _url(url: str | None) -> str:
    return url or amqp_url(process_settings()) or DEFAULT_AMQP_URL


@integration_commands.command("relay")
@click.option("--url", help="AMQP URL (default: INTEGRATION_AMQP_URL or CELERY_BROKER_URL).")
@click.option("--batch", default=500, show_default=True)
@click.option("--once", is_flag=True, help="Stop when nothing is left to publish.")
@with_appcontext
def relay_command(url: str | None, batch: int, once: bool) -> None:
    """Publish integration events to RabbitMQ with publisher confirms (safe to run twice)."""
    total = run_relay(SessionFactory, PikaPublisher(_url(url)), stop=_stop_on_signals(), batch_size=batch, once=once)
    click.echo(f"relayed {total} event(s)")


def _consume(consumer, url: str | None, idle_exit: float | None) -> None:
    handled = run_consumer(_url(url), consumer, SessionFactory, stop=_stop_on_signals(), idle_exit_seconds=idle_exit)
    click.echo(f"{consumer.name}: handled {handled} message(s)")


@integration_commands.command("consume-lookup")
@click.option("--url")
@click.option("--idle-exit", type=float, help="Stop after this many seconds without a message.")
@with_appcontext
def consume_lookup(url: str | None, idle_exit: float | None) -> None:
    """Keep the public lookup store in step with dossier and shipment events (R-19)."""
    _consume(lookup_consumer(), url, idle_exit)


@integration_commands.command("consume-onestop")
@click.option("--url")
@click.option("--idle-exit", type=float)
@with_appcontext
def consume_onestop(url: str | None, idle_exit: float | None) -> None:
    """Push dossier and payment events to the provincial one-stop system (ONESTOP_URL)."""
    _consume(onestop_consumer(), url, idle_exit)


@integration_commands.command("consume-notices")
@click.option("--url")
@click.option("--idle-exit", type=float)
@with_appcontext
def consume_notices(url: str | None, idle_exit: float | None) -> None:
    """Tell citizens their result is on its way and delivered."""
    _consume(notices_consumer(), url, idle_exit)


@integration_commands.command("declare-topology")
@click.option("--url", help="AMQP URL (default: INTEGRATION_AMQP_URL or CELERY_BROKER_URL).")
def declare_topology(url: str | None) -> None:
    """Declare the exchanges, queues, bindings and dead-letter queues (the relay and consumers also do at start)."""
    connection = pika.BlockingConnection(pika.URLParameters(_url(url)))
    try:
        DEFAULT_TOPOLOGY.declare(connection.channel())
    finally:
        connection.close()
    for queue, keys in DEFAULT_TOPOLOGY.queues().items():
        click.echo(f"{queue}: {', '.join(keys)}")


@integration_commands.command("dead-letters")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def dead_letters(limit: int) -> None:
    """The latest poison messages and why they were set aside."""
    rows = db_session().scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)).all()
    for row in rows:
        click.echo(f"{row.dead_lettered_at:%Y-%m-%d %H:%M:%S} {row.consumer} {row.message_id or '-'} {row.reason}: {row.detail[:120]}")
    if not rows:
        click.echo("no dead letters")


COMMANDS = (integration_commands,)

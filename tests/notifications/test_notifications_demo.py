"""The demo dossier that walks through every step: each step queues its message, and delivering the
queue (what the worker does) leaves one message per step in the development outbox."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contracts.demo import load_demo_contracts
from postal_gateway.accounts.demo import load_demo_users
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.core.db import SessionFactory, utcnow
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.dossiers.models import Dossier, DossierStatus
from postal_gateway.integration.consumers import local_consumers
from postal_gateway.integration.local import relay_locally
from postal_gateway.notifications.demo import DEMO_KEY, JOURNEY_TEMPLATES, load_demo_notified_journey
from postal_gateway.notifications.models import MessageStatus, OutboxMessage
from postal_gateway.notifications.service import DevelopmentOutbox, deliver


def _load(session) -> list[str]:
    load_demo_catalogue(session)
    load_demo_users(session)
    load_demo_contracts(session)
    # as `flask demo` loads it: in a unit of work, whose reactions make the delivered dossier "returned"
    with unit_of_work(session):
        lines = load_demo_notified_journey(session)
    return lines


@pytest.mark.slow
def test_the_demo_journey_queues_one_message_per_step_and_delivery_sends_them(session):
    lines = _load(session)
    dossier = session.scalar(select(Dossier).where(Dossier.submission_key == DEMO_KEY))
    assert dossier is not None, lines
    assert dossier.code in lines[0]
    assert dossier.status == DossierStatus.returned
    assert dossier.due_at < utcnow()  # the apology was due

    # What the worker's beat does without RabbitMQ: shipment events reach the notices consumer.
    assert relay_locally(SessionFactory, local_consumers()) > 0
    queued = session.scalars(select(OutboxMessage).where(OutboxMessage.status == MessageStatus.queued)).all()
    outbox = DevelopmentOutbox()
    for message in queued:
        deliver(session, message.id, adapter=outbox, now=utcnow())
    session.commit()

    # the demo citizen chose Zalo (the sandbox is on under test, as in `make run`): the journey goes by ZNS
    to_citizen = session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_user_id == dossier.citizen_id,
                                    OutboxMessage.channel.in_(("sms", "zalo")))
    ).all()
    sent = {message.template for message in to_citizen if message.status == MessageStatus.sent}
    assert set(JOURNEY_TEMPLATES) <= sent
    by_zalo = {message.template for message in to_citizen if message.channel == "zalo"}
    assert set(JOURNEY_TEMPLATES) <= by_zalo
    assert all(dossier.code in message.body for message in to_citizen if message.template in JOURNEY_TEMPLATES)


@pytest.mark.slow
def test_loading_the_demo_again_changes_nothing(session):
    first = _load(session)
    count = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert _load(session) == first
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == count
    assert session.scalar(select(func.count()).select_from(Dossier).where(Dossier.submission_key == DEMO_KEY)) == 1

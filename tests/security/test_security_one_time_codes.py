"""One-time codes never rest in plain text: the outbox keeps the message with the code masked, operators
see it masked on /ops/outbox, and the code travels only in the delivery task's payload (R-01, R-02)."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import CodePurpose, OneTimeCode, Role
from postal_gateway.accounts.one_time_codes import issue_code, verify_code
from postal_gateway.notifications import service
from postal_gateway.notifications.models import MessageStatus, OutboxMessage
from tests import factories
from tests.codes import last_code
from tests.conftest import log_in

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


class RecordingGateway:
    def __init__(self) -> None:
        self.bodies: list[str] = []

    def deliver(self, message) -> str:
        self.bodies.append(message.body)
        return "gw"


def test_the_outbox_keeps_the_code_masked_and_the_gateway_gets_the_real_code(session):
    citizen = factories.user(session, is_active=False)
    issue_code(session, citizen, CodePurpose.activation, now=T0)
    session.commit()
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_user_id == citizen.id)).one()
    code = last_code(session, citizen.phone)
    assert code not in message.body and code not in message.subject
    assert service.CODE_MASK in message.body
    gateway = RecordingGateway()
    assert service.deliver(session, message.id, one_time_code=code, adapter=gateway, now=T0).result == "sent"
    session.commit()
    assert len(gateway.bodies) == 1 and code in gateway.bodies[0] and service.CODE_MASK not in gateway.bodies[0]
    session.expire_all()
    stored = session.get(OutboxMessage, message.id)
    assert code not in stored.body and stored.status == MessageStatus.sent  # delivery never writes the code back
    # the keyed hash is the only trace of the code, and it still proves it
    assert code not in session.scalars(select(OneTimeCode.code_hash)).one()
    verify_code(session, citizen, CodePurpose.activation, code, now=T0)


def test_a_code_passed_in_the_context_is_masked_too(session):
    message = service.send(session, channel="sms", recipient="+84912345678", template="one_time_code",
                           context={"code": "987654", "purpose": "consent", "minutes": 5}, now=T0)
    assert "987654" not in message.body and service.CODE_MASK in message.body
    assert service.pending_one_time_codes(session) == {message.id: "987654"}


def test_the_delivery_task_payload_carries_the_code(session, monkeypatch):
    from postal_gateway.notifications import tasks

    calls = []
    monkeypatch.setattr(tasks.deliver_task, "apply_async", lambda args, **options: calls.append((args, options)))
    service.celery_dispatcher([7, 8], {8: "123456"})
    assert [args for args, _ in calls] == [(7,), (8, "123456")]
    assert "123456" not in calls[1][1]["argsrepr"]  # Celery's logs and monitors see the mask


def test_a_code_message_whose_task_was_lost_fails_instead_of_sending_the_mask(session):
    citizen = factories.user(session)
    issue_code(session, citizen, CodePurpose.password_reset, now=T0)
    session.commit()
    message = session.scalars(select(OutboxMessage)).one()
    gateway = RecordingGateway()
    outcome = service.deliver(session, message.id, adapter=gateway, now=T0)  # what the sweep would do
    assert outcome.result == "failed" and gateway.bodies == []
    assert "new code" in message.last_error


def test_operators_see_the_code_masked_on_the_outbox_page(client, session):
    factories.user(session, role=Role.operator, email="vanhanh@example.vn")
    citizen = factories.user(session, is_active=False)
    issue_code(session, citizen, CodePurpose.activation)
    session.commit()
    code = last_code(session, citizen.phone)
    log_in(client, "vanhanh@example.vn")
    page = client.get("/ops/outbox").get_data(as_text=True)
    assert service.CODE_MASK in page and code not in page


def test_the_sweep_never_redispatches_a_code_message_and_expires_lost_ones(session):
    from datetime import timedelta

    citizen = factories.user(session)
    issue_code(session, citizen, CodePurpose.password_reset, now=T0)
    session.commit()
    message = session.scalars(select(OutboxMessage)).one()
    assert service.due_messages(session, now=T0 + timedelta(minutes=1)) == []  # its own task carries the code
    assert service.expire_lost_code_messages(session, now=T0 + timedelta(minutes=1)) == 0
    assert service.expire_lost_code_messages(session, now=T0 + timedelta(minutes=11)) == 1
    assert message.status == MessageStatus.failed and "expired" in message.last_error


@pytest.mark.slow  # runs the Alembic chain (seconds): `make test` runs it
def test_the_migration_masks_codes_already_in_the_outbox(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from postal_gateway.core.config import PROJECT_ROOT

    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(text(
            "INSERT INTO outbox_messages (channel, recipient, template, subject, body, status, attempts, last_error,"
            " created_at, gateway_reference) VALUES ('sms', '+84912345678', :template, '', :body, 'sent', 1, '',"
            " '2026-03-01 00:00:00', '')"),
            [{"template": "one_time_code", "body": "Cong DVC buu chinh: ma kich hoat la 482913, hieu luc 5 phut."},
             {"template": "dossier_received", "body": "Ho so 000.00.20.H10-260302-0001 da duoc tiep nhan."}])
        command.upgrade(config, "0009")
        bodies = dict(connection.execute(text("SELECT template, body FROM outbox_messages")).all())
    engine.dispose()
    assert "482913" not in bodies["one_time_code"] and service.CODE_MASK in bodies["one_time_code"]
    assert bodies["dossier_received"] == "Ho so 000.00.20.H10-260302-0001 da duoc tiep nhan."

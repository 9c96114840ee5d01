"""`make run` has no SMS gateway and the outbox keeps one-time codes masked: with DEVELOPMENT_MESSAGES on,
the development outbox writes what it delivers, code included, to the worker's log, so a developer can
activate an account or record a consent; never beside a real gateway, and off by default."""
import logging
from datetime import datetime, timezone

import pytest

from postal_gateway.core.config import Settings
from postal_gateway.notifications import service
from postal_gateway.notifications.adapters import ChannelRouter, DevelopmentOutbox, adapter_for

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def _code_message(session):
    return service.send(session, channel="sms", recipient="+84912345678", template="one_time_code",
                        context={"purpose": "consent", "minutes": 5}, one_time_code="246810", now=T0)


def test_with_development_messages_the_worker_log_shows_the_delivered_code(session, caplog):
    message = _code_message(session)
    session.commit()
    router = adapter_for(Settings(development_messages=True))
    with caplog.at_level(logging.WARNING, logger="postal_gateway.notifications.adapters"):
        assert service.deliver(session, message.id, one_time_code="246810", adapter=router, now=T0).result == "sent"
    session.commit()
    assert any("246810" in line and str(message.id) in line for line in caplog.messages)
    assert "246810" not in session.get(type(message), message.id).body  # the outbox still keeps it masked


def test_without_it_nothing_is_logged(session, caplog):
    message = _code_message(session)
    session.commit()
    with caplog.at_level(logging.DEBUG, logger="postal_gateway.notifications.adapters"):
        service.deliver(session, message.id, one_time_code="246810", adapter=ChannelRouter(), now=T0)
    assert not any("246810" in line for line in caplog.messages)
    assert DevelopmentOutbox().show_text is False


@pytest.mark.parametrize("gateway", [{"notify_sms_url": "https://sms.example/api"}, {"smtp_host": "mail.example"}])
def test_it_is_refused_beside_a_real_gateway(gateway):
    with pytest.raises(ValueError, match="DEVELOPMENT_MESSAGES"):
        adapter_for(Settings(development_messages=True, **gateway))
    assert adapter_for(Settings(development_messages=False, **gateway))


def test_the_setting_is_off_unless_the_environment_turns_it_on(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DEVELOPMENT_MESSAGES", raising=False)
    assert Settings.from_environment().development_messages is False
    assert adapter_for(Settings.from_environment()).adapters["sms"].show_text is False
    monkeypatch.setenv("DEVELOPMENT_MESSAGES", "1")
    assert Settings.from_environment().development_messages is True
    assert adapter_for(Settings.from_environment()).adapters["sms"].show_text is True

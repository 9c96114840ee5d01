"""R-20 delivery: queued in the caller's transaction, dispatched after commit, delivered by the adapters
(HTTP SMS gateway, SMTP against a local server, development outbox), retries, preferences, logs."""
import json
import logging
import socketserver
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from postal_gateway.core.config import Settings
from postal_gateway.notifications import service, templates
from postal_gateway.notifications.adapters import (
    ChannelRouter,
    DeliveryError,
    HttpSmsGateway,
    PermanentDeliveryError,
    SmtpMailer,
    adapter_for,
)
from postal_gateway.notifications.models import MessageStatus, OutboxMessage
from tests import factories

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
PHONE = "+84912345678"
RECEIVED = {"code": "000.00.20.H10-260302-0001", "procedure_name": "Cấp giấy phép bưu chính",
            "appointment_date": "16/03/2026", "lookup_url": "http://testserver/lookup?code=X",
            "agency_name": "Sở TT&TT", "received_at": "09:30 02/03/2026",
            "form_url": "http://testserver/dossiers/000.00.20.H10-260302-0001/forms/1.pdf"}

SAMPLE_CONTEXT = {
    "code": "000.00.20.H10-260302-0001", "purpose": "activation", "minutes": 5, "procedure_name": "Cấp phép",
    "appointment_date": "16/03/2026", "lookup_url": "http://testserver/lookup?code=X",
    "reasons": "Thiếu bản sao CCCD; Đơn chưa ký", "returned_by": "Buu dien se phat tan nha.", "reason": "Cho y kien",
    "new_date": "20/03/2026", "agency_name": "Sở TT&TT", "date": "18/03/2026", "place": "12 Trần Hưng Đạo",
    "at": "10:15 18/03/2026", "office": "BC-01", "count": 2, "codes": "A, B", "received_at": "09:30 02/03/2026",
    "issuer_name": "Công an tỉnh", "form_url": "http://testserver/dossiers/000.00.20.H10-260302-0001/forms/1.pdf",
}


def _send(session, **overrides):
    arguments = dict(channel="sms", recipient=PHONE, template="dossier_received", context=RECEIVED, now=T0)
    return service.send(session, **(arguments | overrides))


# --- templates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["one_time_code", "dossier_received", "supplement_requested", "result_ready",
                                  "delivery_scheduled", "result_delivered", "apology", "dossier_rejected"])
@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_event_has_a_template_in_vietnamese_and_english(name, locale):
    assert templates.required_fields(name) <= set(SAMPLE_CONTEXT)
    text = templates.render(name, SAMPLE_CONTEXT, locale)
    assert text.subject and text.body and "{" not in text.body
    if name != "one_time_code":
        assert SAMPLE_CONTEXT["code"] in text.body


def test_supplement_message_names_every_reason():
    text = templates.render("supplement_requested", SAMPLE_CONTEXT)
    assert "Thiếu bản sao CCCD" in text.body and "Đơn chưa ký" in text.body


# --- queued in the caller's transaction, dispatched after commit ---------------------------------


def test_send_queues_and_dispatches_only_after_commit(session):
    dispatched: list[int] = []
    previous = service.configure_dispatcher(lambda ids, codes: dispatched.extend(ids))
    try:
        message = _send(session)
        assert message.status == MessageStatus.queued and message.attempts == 0 and dispatched == []
        session.commit()
        assert dispatched == [message.id]
        _send(session)
        session.rollback()  # the use case failed: its message is neither kept nor dispatched
        session.commit()
        assert dispatched == [message.id]
        assert session.scalars(select(OutboxMessage)).all() == [message]
    finally:
        service.configure_dispatcher(previous)


def test_a_dead_broker_at_commit_breaks_nothing_and_the_sweep_dispatches_later(session):
    def broker_down(_ids, _codes):
        raise ConnectionRefusedError("broker down")

    previous = service.configure_dispatcher(broker_down)
    try:
        message = _send(session, now=datetime.now(timezone.utc) - timedelta(minutes=5))
        session.commit()  # no exception: the dossier (or code) is kept
    finally:
        service.configure_dispatcher(previous)
    assert service.due_messages(session, now=datetime.now(timezone.utc)) == [message.id]


def test_delivered_message_is_not_sent_again(session):
    calls = []

    class Counting:
        def deliver(self, message):
            calls.append(message.id)
            return "gw-1"

    message = _send(session)
    assert service.deliver(session, message.id, adapter=Counting(), now=T0).result == "sent"
    assert service.deliver(session, message.id, adapter=Counting(), now=T0).result == "done_already"
    assert calls == [message.id] and message.gateway_reference == "gw-1" and message.sent_at == T0


def test_the_delivery_task_sends_in_its_own_transaction(session):
    """Runs the task's body in the test process (no broker): the worker path minus Celery."""
    from postal_gateway.notifications.tasks import deliver_task

    message = _send(session)
    session.commit()
    previous = service.current_adapter()
    service.configure_adapter(service.DevelopmentOutbox())
    try:
        assert deliver_task.run(message.id) == "sent"
        assert deliver_task.run(message.id) == "done_already"
    finally:
        service.configure_adapter(previous)
    session.expire_all()
    assert session.get(OutboxMessage, message.id).status == MessageStatus.sent


def test_retries_with_growing_backoff_then_failed(session):
    class Down:
        def deliver(self, message):
            raise DeliveryError("SMS gateway answered HTTP 503")

    message = _send(session)
    now, delays = T0, []
    for _ in range(service.MAX_ATTEMPTS - 1):
        outcome = service.deliver(session, message.id, adapter=Down(), now=now)
        assert outcome.result == "retry" and message.status == MessageStatus.queued
        assert service.deliver(session, message.id, adapter=Down(), now=now).result == "not_due"
        delays.append(outcome.retry_in)
        now = message.next_attempt_at
    assert service.deliver(session, message.id, adapter=Down(), now=now).result == "failed"
    assert message.status == MessageStatus.failed and message.attempts == service.MAX_ATTEMPTS
    assert message.last_error == "SMS gateway answered HTTP 503" and all(d >= 1 for d in delays)


def test_a_crashing_adapter_is_a_failed_attempt_not_a_dead_worker(session):
    class Buggy:
        def deliver(self, message):
            raise KeyError("oops")

    message = _send(session)
    assert service.deliver(session, message.id, adapter=Buggy(), now=T0).result == "retry"
    assert "KeyError" in message.last_error


def test_missing_template_field_keeps_a_failed_message_with_the_reason(session, caplog):
    caplog.set_level(logging.INFO)
    context = {key: value for key, value in RECEIVED.items() if key != "appointment_date"}
    message = _send(session, context=context)
    assert message.status == MessageStatus.failed and "'appointment_date'" in message.last_error
    assert "template" in caplog.text and PHONE not in caplog.text


# --- preferences -------------------------------------------------------------------------------------


def test_preferences_turn_a_channel_off_but_never_the_one_time_code(session):
    citizen = factories.user(session, phone=PHONE)
    service.set_preferences(session, citizen.id, sms=False, email=True, now=T0)
    skipped = _send(session, user_id=citizen.id)
    assert skipped.status == MessageStatus.skipped and "preferences" in skipped.last_error
    mail = _send(session, user_id=citizen.id, channel="email", recipient="hoa@example.vn")
    assert mail.status == MessageStatus.queued
    code = _send(session, user_id=citizen.id, template="one_time_code",
                 context={"code": "123456", "purpose": "activation", "minutes": 5})
    assert code.status == MessageStatus.queued
    assert service.preferences_of(session, citizen.id).sms is False


# --- HTTP SMS gateway ----------------------------------------------------------------------------------


class _Gateway(BaseHTTPRequestHandler):
    answers: list = []
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), json.loads(body)))
        status, delay = type(self).answers.pop(0) if type(self).answers else (200, 0)
        if delay:
            time.sleep(delay)  # the client gives up first: a timeout, not a timing assertion
        payload = json.dumps({"id": "gw-42"}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass

    def log_message(self, *_args):
        pass


@pytest.fixture()
def sms_gateway():
    _Gateway.answers, _Gateway.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", _Gateway
    server.shutdown()
    server.server_close()


def test_http_sms_gateway_accepts_and_the_message_is_sent(session, sms_gateway):
    url, gateway = sms_gateway
    message = _send(session)
    adapter = HttpSmsGateway(url, token="t0ken", sender="BUUDIEN")
    assert service.deliver(session, message.id, adapter=adapter, now=T0).result == "sent"
    headers, body = gateway.received[0]
    assert body["to"] == PHONE and RECEIVED["code"] in body["text"] and body["reference"] == f"outbox-{message.id}"
    assert headers["Idempotency-Key"] == f"outbox-{message.id}" and headers["Authorization"] == "Bearer t0ken"
    assert message.gateway_reference == "gw-42"


def test_http_sms_gateway_errors_timeouts_and_refusals(session, sms_gateway, caplog):
    caplog.set_level(logging.DEBUG)
    url, gateway = sms_gateway
    adapter = HttpSmsGateway(url, timeout=0.3)
    gateway.answers = [(503, 0), (200, 1.0), (429, 0), (400, 0)]
    message = _send(session)
    outcome = service.deliver(session, message.id, adapter=adapter, now=T0)
    assert outcome.result == "retry" and message.last_error == "SMS gateway answered HTTP 503"
    outcome = service.deliver(session, message.id, adapter=adapter, now=message.next_attempt_at)
    assert outcome.result == "retry" and "unreachable" in message.last_error  # timed out
    outcome = service.deliver(session, message.id, adapter=adapter, now=message.next_attempt_at)
    assert outcome.result == "retry" and "429" in message.last_error
    outcome = service.deliver(session, message.id, adapter=adapter, now=message.next_attempt_at)
    assert outcome.result == "failed" and "refused" in message.last_error and message.attempts == 4
    for digits in (PHONE, "84912345678", "912345678"):
        assert digits not in caplog.text


def test_unreachable_sms_gateway_is_a_retry():
    with pytest.raises(DeliveryError) as raised:
        HttpSmsGateway("http://127.0.0.1:9/sms", timeout=0.5).deliver(
            OutboxMessage(id=1, channel="sms", recipient=PHONE, template="x", subject="", body="b"))
    assert not isinstance(raised.value, PermanentDeliveryError) and PHONE not in str(raised.value)


# --- SMTP against a local server -----------------------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT (refuses @refused.example), DATA, QUIT."""

    mails: list = []

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 test ESMTP")
        envelope = {"rcpt": []}
        while True:
            line = self.rfile.readline().decode(errors="replace").rstrip("\r\n")
            verb = line[:4].upper()
            if not line or verb == "QUIT":
                self.reply("221 bye")
                return
            if verb in ("EHLO", "HELO"):
                self.reply("250 test")
            elif verb == "MAIL":
                envelope["from"] = line
                self.reply("250 ok")
            elif verb == "RCPT":
                if "refused.example" in line:
                    self.reply("550 no such user")
                else:
                    envelope["rcpt"].append(line)
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                type(self).mails.append(envelope | {"data": b"".join(data).decode("utf-8", "replace")})
                envelope = {"rcpt": []}
                self.reply("250 queued")
            else:
                self.reply("250 ok")


@pytest.fixture()
def smtp_server():
    _SmtpHandler.mails = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _SmtpHandler.mails
    server.shutdown()
    server.server_close()


def test_email_over_smtp_reaches_the_local_server(session, smtp_server):
    port, mails = smtp_server
    message = _send(session, channel="email", recipient="hoa@example.vn")
    router = ChannelRouter(email=SmtpMailer("127.0.0.1", port, sender="no-reply@buudien.vn"))
    assert service.deliver(session, message.id, adapter=router, now=T0).result == "sent"
    assert len(mails) == 1 and "hoa@example.vn" in mails[0]["rcpt"][0]
    assert f"outbox-{message.id}@buudien.vn" in mails[0]["data"] and message.gateway_reference.startswith("<outbox-")
    assert "Subject:" in mails[0]["data"]


def test_refused_address_fails_for_good_and_a_down_server_is_retried(session, smtp_server):
    port, _mails = smtp_server
    refused = _send(session, channel="email", recipient="ai@refused.example")
    assert service.deliver(session, refused.id, adapter=SmtpMailer("127.0.0.1", port, sender="a@b.vn"), now=T0).result == "failed"
    down = _send(session, channel="email", recipient="hoa@example.vn")
    assert service.deliver(session, down.id, adapter=SmtpMailer("127.0.0.1", 9, sender="a@b.vn", timeout=1), now=T0).result == "retry"
    assert "unreachable" in down.last_error


def test_the_settings_route_each_channel(monkeypatch):
    monkeypatch.setenv("NOTIFY_SMS_URL", "https://sms.example/api")
    monkeypatch.setenv("SMTP_HOST", "mail.example")
    router = adapter_for(Settings.from_environment(secret_key="x"))
    assert isinstance(router.adapters["sms"], HttpSmsGateway) and isinstance(router.adapters["email"], SmtpMailer)
    plain = adapter_for(Settings(secret_key="x"))
    assert isinstance(plain.adapters["sms"], service.DevelopmentOutbox)

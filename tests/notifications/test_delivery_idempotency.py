"""At-least-once delivery (R-20): a worker killed after the gateway accepted a message but before the
"sent" mark was committed delivers it again; the gateway can tell the repeat because every attempt at
one outbox row carries the same idempotency key (the outbox id), and other rows carry other keys."""
from __future__ import annotations

import json
import smtplib
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from postal_gateway.notifications import service
from postal_gateway.notifications.adapters import HttpSmsGateway, SmtpMailer, idempotency_key
from postal_gateway.notifications.models import MessageStatus, OutboxMessage

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
CONTEXT = {"code": "000.00.20.H10-260302-0001", "procedure_name": "Cấp giấy phép bưu chính",
           "appointment_date": "16/03/2026", "lookup_url": "http://testserver/lookup?code=X",
           "agency_name": "Sở TT&TT", "received_at": "09:30 02/03/2026",
           "form_url": "http://testserver/dossiers/000.00.20.H10-260302-0001/forms/1.pdf"}


class _Gateway(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.headers["Idempotency-Key"], body["reference"]))
        payload = b'{"id": "gw-1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args):
        pass


@pytest.fixture()
def sms_gateway():
    _Gateway.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", _Gateway.received
    server.shutdown()
    server.server_close()


def _queued(session, channel="sms", recipient="+84912345678") -> OutboxMessage:
    message = service.send(session, channel=channel, recipient=recipient, template="dossier_received",
                           context=CONTEXT, now=T0)
    session.commit()
    return message


def test_a_redelivery_after_a_killed_worker_carries_the_same_key(session, sms_gateway):
    url, received = sms_gateway
    adapter = HttpSmsGateway(url)
    message, other = _queued(session), _queued(session)
    # the gateway accepts, then the worker dies before its commit: the row is still queued
    assert service.deliver(session, message.id, adapter=adapter, now=T0).result == "sent"
    session.rollback()
    assert session.get(OutboxMessage, message.id).status == MessageStatus.queued
    assert service.deliver(session, message.id, adapter=adapter, now=T0).result == "sent"
    assert service.deliver(session, other.id, adapter=adapter, now=T0).result == "sent"
    session.commit()
    key = f"outbox-{message.id}"
    assert received == [(key, key), (key, key), (f"outbox-{other.id}", f"outbox-{other.id}")]


def test_smtp_repeats_keep_the_message_id(session, monkeypatch):
    sent: list[str] = []

    class RecordingSMTP:
        def __init__(self, *_args, **_kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *_exc):
            return False

        def send_message(self, mail):
            sent.append(mail["Message-ID"])

    monkeypatch.setattr(smtplib, "SMTP", RecordingSMTP)
    message = _queued(session, channel="email", recipient="hoa@example.vn")
    mailer = SmtpMailer("mail.invalid", sender="no-reply@buudien.vn")
    for _attempt in range(2):
        mailer.deliver(message)
    assert sent == [f"<{idempotency_key(message)}@buudien.vn>"] * 2 == [f"<outbox-{message.id}@buudien.vn>"] * 2

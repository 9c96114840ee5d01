"""Operations: /healthz, /readyz, /metrics, request ids and JSON logs without phone or ID numbers."""
import io
import json
import logging

import pytest

from postal_gateway.core import metrics
from postal_gateway.integration import logs
from postal_gateway.notifications import service
from tests import factories

SCRAPER_TOKEN = "test-scraper-token"


def _scrape(client):
    """/metrics as Prometheus reads it: with the configured METRICS_TOKEN."""
    settings = client.application.config["SETTINGS"]
    configured, settings.metrics_token = settings.metrics_token, SCRAPER_TOKEN
    try:
        return client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER_TOKEN}"})
    finally:
        settings.metrics_token = configured


def test_healthz_and_readyz(client, app, monkeypatch):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    from postal_gateway.integration import health

    monkeypatch.setattr(health, "check_broker", lambda url, **_: None)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok", "broker": "ok"}
    monkeypatch.setattr(health, "check_broker", lambda url, **_: "OperationalError")
    down = client.get("/readyz")
    assert down.status_code == 503 and down.get_json()["checks"]["broker"] == "down: OperationalError"


@pytest.mark.xdist_group("rabbitmq")  # not while the relay test restarts the broker
def test_readyz_against_the_real_rabbitmq_and_a_closed_port():
    from postal_gateway.integration.health import check_broker

    assert check_broker("amqp://guest:guest@127.0.0.1:5672//") is None
    assert check_broker("amqp://guest:guest@127.0.0.1:9//", timeout=1) is not None


def test_metrics_show_latency_queue_figures_and_counters(client, session):
    citizen = factories.user(session, phone="+84912345678")
    service.send(session, channel="sms", recipient="+84912345678", template="one_time_code", user_id=citizen.id,
                 context={"code": "123456", "purpose": "activation", "minutes": 5})
    session.commit()
    metrics.IPN_OUTCOMES.labels(code="00").inc()
    client.get("/healthz")
    page = _scrape(client)
    assert page.status_code == 200 and page.mimetype == "text/plain"
    body = page.get_data(as_text=True)
    assert 'http_request_duration_seconds_count{endpoint="/healthz",method="GET",status="200"}' in body
    assert 'notifications_messages{channel="sms",status="queued"} 1.0' in body
    for name in ("notifications_sent_total", "notifications_failed_total", "sla_breaches_recorded", "vnpay_ipn_outcomes_total",
                 "integration_events_unpublished", "integration_relay_lag_seconds", "notifications_oldest_queued_seconds"):
        assert name in body
    assert "+84912345678" not in body


def test_metrics_token(client, app, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "metrics_token", "s3cret")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_request_id_header(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made_up = client.get("/healthz", headers={"X-Request-ID": "bad id; <x>"}).headers["X-Request-ID"]
    assert made_up != "bad id; <x>" and len(made_up) == 32


def test_json_log_lines_carry_the_request_id_and_no_phone_or_id_number():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("test_ops.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logs.set_request_id("req-9")
    try:
        logger.info("sent to %s for citizen %s", "+84912345678", "070085001234", extra={"dossier": "D-1"})
    finally:
        logs.set_request_id(None)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-9" and line["level"] == "INFO" and line["dossier"] == "D-1"
    assert "912345678" not in line["message"] and "070085001234" not in line["message"]
    assert line["message"].endswith("*********234")
    assert logs.redact("dossier 000.00.20.H10-260302-0001 at 2026-03-02") == "dossier 000.00.20.H10-260302-0001 at 2026-03-02"


def test_asyncapi_documents_every_event_type_at_its_version():
    from pathlib import Path

    import yaml

    from postal_gateway.core.outbox import EVENT_VERSIONS

    document = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml").read_text())
    messages = document["components"]["messages"].values()
    documented = {m["name"]: m["payload"]["allOf"][1]["properties"]["version"]["const"] for m in messages}
    assert documented == EVENT_VERSIONS


def _counter_value(client, sample: str) -> float:
    """One sample of /metrics, e.g. 'vnpay_ipn_outcomes_total{code="97"}'; 0 when not yet counted."""
    for line in _scrape(client).get_data(as_text=True).splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_every_ipn_answer_is_counted_by_its_code(client):
    bad_signature = 'vnpay_ipn_outcomes_total{code="97"}'
    before = _counter_value(client, bad_signature)
    forged = {"vnp_TmnCode": "DEMO", "vnp_Amount": "5000000", "vnp_TxnRef": "NOPE.1", "vnp_ResponseCode": "00",
              "vnp_TransactionStatus": "00", "vnp_SecureHash": "0" * 128}
    for params in (forged, {}):
        assert client.get("/payments/vnpay/ipn", query_string=params).get_json()["RspCode"] == "97"
    assert _counter_value(client, bad_signature) == before + 2


@pytest.mark.slow
def test_sla_scan_counts_new_breaches_per_clock(client, session, monkeypatch):
    from datetime import datetime, timedelta, timezone

    from tests.tracking.test_sla import _overdue_world
    from tracking import tasks

    now = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    # one forward leg late, one return leg late on both its clocks (Điều 25.2), one appointment passed
    _overdue_world(session, now)
    monkeypatch.setattr("postal_gateway.core.db.utcnow", lambda: now)
    clocks = ("forward", "return", "return_commitment", "appointment")
    before = {clock: _counter_value(client, f'sla_breaches_total{{clock="{clock}"}}') for clock in clocks}
    assert tasks.scan_breaches.run() == 4
    after = {clock: _counter_value(client, f'sla_breaches_total{{clock="{clock}"}}') for clock in clocks}
    assert {clock: after[clock] - before[clock] for clock in clocks} == {
        "forward": 1, "return": 1, "return_commitment": 1, "appointment": 1}
    assert tasks.scan_breaches.run() == 0  # nothing new: nothing counted
    assert {clock: _counter_value(client, f'sla_breaches_total{{clock="{clock}"}}') for clock in clocks} == after

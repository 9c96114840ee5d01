"""Operations URLs: /readyz (database and broker reachable) and /metrics (Prometheus).

/healthz (alive) is the app's own. The hooks registered here time every request for the latency
histogram and give it a request id (``X-Request-ID``, kept if the caller sent a sane one) that
appears in the JSON logs and travels into the Celery tasks the request enqueues.
"""
from __future__ import annotations

import hmac
import os
import re
import uuid

from flask import Blueprint, Response, current_app, g, jsonify, request

from postal_gateway import metrics
from postal_gateway.db import SessionFactory, db_session
from postal_gateway.integration import health, logs

blueprint = Blueprint("integration", __name__)

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@blueprint.record_once
def _install(state) -> None:
    app = state.app
    metrics.DATABASE_FIGURES.session_factory = SessionFactory
    broker_url = app.config["SETTINGS"].broker_url
    metrics.DATABASE_FIGURES.queue_depths = lambda: health.queue_depths(broker_url)
    if not app.testing and os.environ.get("LOG_FORMAT", "json") == "json":
        logs.configure_json_logging(os.environ.get("LOG_LEVEL", "INFO"))


@blueprint.before_app_request
def _start_request() -> None:
    g.request_timer = metrics.Timer()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    logs.set_request_id(g.request_id)


@blueprint.after_app_request
def _finish_request(response: Response) -> Response:
    timer = g.pop("request_timer", None)
    if timer is not None:
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.REQUEST_LATENCY.labels(request.method, endpoint, str(response.status_code)).observe(timer.elapsed())
    if getattr(g, "request_id", None):
        response.headers.setdefault("X-Request-ID", g.request_id)
    return response


@blueprint.teardown_app_request
def _forget_request_id(_exc) -> None:
    logs.set_request_id(None)


@blueprint.get("/readyz")
def readyz():
    """200 when the database and the broker answer, else 503 naming what is down (no addresses)."""
    checks = {
        "database": health.check_database(db_session()),
        "broker": health.check_broker(current_app.config["SETTINGS"].broker_url),
    }
    ready = all(error is None for error in checks.values())
    body = {name: ("ok" if error is None else f"down: {error}") for name, error in checks.items()}
    return jsonify(status="ready" if ready else "not ready", checks=body), (200 if ready else 503)


@blueprint.get("/metrics")
def prometheus_metrics():
    """Prometheus text format; behind METRICS_TOKEN (bearer) when that is set."""
    token = os.environ.get("METRICS_TOKEN", "")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Response("unauthorised\n", status=401, mimetype="text/plain")
    return Response(metrics.exposition(), mimetype="text/plain; version=0.0.4; charset=utf-8")



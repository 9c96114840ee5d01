"""Operations handlers: readiness, Prometheus metrics, and the request hooks that time every request
and give it a request id (``X-Request-ID``, kept if the caller sent a sane one) that appears in the JSON
logs and travels into the Celery tasks the request enqueues."""
from __future__ import annotations

import hmac
import re
import uuid

from flask import Response, current_app, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user

from postal_gateway.accounts.models import Role
from postal_gateway.core import metrics
from postal_gateway.core.db import SessionFactory
from postal_gateway.integration import health, logs

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def install_metrics_sources(state: BlueprintSetupState) -> None:
    """The figures /metrics reads at scrape time come from this app's database and broker."""
    metrics.DATABASE_FIGURES.session_factory = SessionFactory
    broker_url = state.app.config["SETTINGS"].broker_url
    metrics.DATABASE_FIGURES.queue_depths = lambda: health.queue_depths(broker_url)


def start_request() -> None:
    g.request_timer = metrics.Timer()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    logs.set_request_id(g.request_id)


def finish_request(response: Response) -> Response:
    timer = g.pop("request_timer", None)
    if timer is not None:
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.REQUEST_LATENCY.labels(request.method, endpoint, str(response.status_code)).observe(timer.elapsed())
    if getattr(g, "request_id", None):
        response.headers.setdefault("X-Request-ID", g.request_id)
    return response


def forget_request_id(_exc: BaseException | None) -> None:
    logs.set_request_id(None)


def readyz():
    """200 when the database and the broker answer, else 503 naming what is down (no addresses)."""
    checks = {
        "database": health.check_database(SessionFactory),
        "broker": health.check_broker(current_app.config["SETTINGS"].broker_url),
    }
    ready = all(error is None for error in checks.values())
    body = {name: ("ok" if error is None else f"down: {error}") for name, error in checks.items()}
    return jsonify(status="ready" if ready else "not ready", checks=body), (200 if ready else 503)


def prometheus_metrics():
    """Prometheus text format, for a scraper with METRICS_TOKEN (bearer) or an operator's session.

    Counters and queue figures say how busy each office is; they are not for the public.
    """
    token = current_app.config["SETTINGS"].metrics_token
    if not (_scraper_token_matches(token) or _operator_session()):
        if current_user.is_authenticated:
            return Response("forbidden\n", status=403, mimetype="text/plain")
        return Response("unauthorised\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": "Bearer"})
    return Response(metrics.exposition(current_app.config["SETTINGS"]),
                    mimetype="text/plain; version=0.0.4; charset=utf-8")


def _scraper_token_matches(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())


def _operator_session() -> bool:
    """An operator signed in to the pages (an API token is not a staff session)."""
    return (current_user.is_authenticated and not getattr(current_user, "via_token", False)
            and current_user.user.role == Role.operator)

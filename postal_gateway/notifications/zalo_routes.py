"""The OA's webhook: Zalo posts the followers' events here (register the address with Zalo: docs/operations.md).

  POST /zalo/webhook      notifications_zalo_api.webhook   signed by Zalo (X-ZEvent-Signature); no account, no CSRF
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from prometheus_client import Counter

from postal_gateway.core import metrics
from postal_gateway.core.db import utcnow
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications import service, zalo, zalo_oa

log = logging.getLogger(__name__)

#: pages of this area: none (the sandbox has its own); the webhook is called by Zalo's servers
blueprint = Blueprint("notifications_zalo", __name__)
api = Blueprint("notifications_zalo_api", __name__)

#: the largest event accepted (a text message event is well under 2 KB)
MAX_EVENT_BYTES = 16 * 1024

WEBHOOK_EVENTS = Counter("zalo_webhook_events", "OA webhook calls, by outcome", ["outcome"], registry=metrics.REGISTRY)


def webhook():
    """Verify the event (signature, freshness), handle it once, answer the follower at once."""
    app_id, oa_secret_key = zalo.oa_secret_key(current_app.config["SETTINGS"])
    body = request.get_data(cache=False)[:MAX_EVENT_BYTES + 1]
    try:
        if len(body) > MAX_EVENT_BYTES:
            raise zalo_oa.EventRefused("the event is too large", 413)
        event = zalo_oa.verify(body, request.headers.get("X-ZEvent-Signature", ""), app_id=app_id,
                               oa_secret_key=oa_secret_key, now=utcnow())
    except zalo_oa.EventRefused as refused:
        WEBHOOK_EVENTS.labels(outcome="refused").inc()
        log.warning("zalo webhook: event refused from %s: %s", request.remote_addr, refused.reason)
        return jsonify(error=refused.status, message=refused.reason), refused.status
    with unit_of_work() as session:
        handled = zalo_oa.handle(session, event, body, now=utcnow())
    WEBHOOK_EVENTS.labels(outcome=handled.outcome).inc()
    zalo_oa.deliver_replies(handled.replies, unit_of_work=unit_of_work, deliver=service.deliver)
    return jsonify(error=0, message="Success", outcome=handled.outcome)


api.add_url_rule("/zalo/webhook", view_func=webhook, methods=["POST"])

"""Operations URLs: /readyz (database and broker reachable) and /metrics (Prometheus), and the hooks
that time every request and give it a request id. /healthz (alive) is the app's own."""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.integration import controllers

blueprint = Blueprint("integration", __name__)

blueprint.record_once(controllers.install_metrics_sources)
blueprint.before_app_request(controllers.start_request)
blueprint.after_app_request(controllers.finish_request)
blueprint.teardown_app_request(controllers.forget_request_id)

blueprint.add_url_rule("/readyz", view_func=controllers.readyz, methods=["GET"])
blueprint.add_url_rule("/metrics", view_func=controllers.prometheus_metrics, methods=["GET"])

"""URLs of the notifications area.

  GET       /ops/outbox                              notifications.outbox          the operator's view of the outbox
  GET/POST  /my/notifications                        notifications.my_preferences  "Nhận thông báo" (citizen)
API (/api/v1, bearer token): GET, PUT /me/notification-preferences (citizen).
"""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.notifications import controllers

blueprint = Blueprint("notifications", __name__, template_folder="templates")
api = Blueprint("notifications_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/ops/outbox", view_func=controllers.outbox, methods=["GET"])
blueprint.add_url_rule("/my/notifications", view_func=controllers.my_preferences, methods=["GET", "POST"])
api.add_url_rule("/me/notification-preferences", view_func=controllers.api_get_preferences, methods=["GET"])
api.add_url_rule("/me/notification-preferences", view_func=controllers.api_put_preferences, methods=["PUT"])

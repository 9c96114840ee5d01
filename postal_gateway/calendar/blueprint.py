"""URLs of the working calendar's page (operators only; ``flask calendar`` does the same from a shell).

GET  /calendar              page         the year's official days, extra days off and make-up working days
POST /calendar/days         add_day      add an extra day off or make-up working day (day, kind, reason, reference)
POST /calendar/days/remove  remove_day   remove the adjustment of the day named in the form
"""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.calendar import controllers

blueprint = Blueprint("calendar", __name__, template_folder="templates")

blueprint.add_url_rule("/calendar", view_func=controllers.page, methods=["GET"])
blueprint.add_url_rule("/calendar/days", view_func=controllers.add_day, methods=["POST"])
blueprint.add_url_rule("/calendar/days/remove", view_func=controllers.remove_day, methods=["POST"])

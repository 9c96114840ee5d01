"""URLs of the statistics area (R-21).

GET /statistics                 page            table and on-time/late chart per agency
GET /statistics.xlsx            export          the same table, Vietnamese headers
GET /statistics.pdf             export_pdf      both tables, A4 landscape
GET /api/v1/statistics          api_statistics  ?agency=&from=&to=
"""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.statistics import controllers

blueprint = Blueprint("statistics", __name__, template_folder="templates")
api = Blueprint("statistics_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/statistics", view_func=controllers.page, methods=["GET"])
blueprint.add_url_rule("/statistics.xlsx", view_func=controllers.export_xlsx, methods=["GET"])
blueprint.add_url_rule("/statistics.pdf", view_func=controllers.export_pdf, methods=["GET"])
api.add_url_rule("/statistics", view_func=controllers.api_statistics, methods=["GET"])

"""The URLs of the catalogue area (public pages, the operator's import page, the public API): which
controller answers which path and method."""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.catalogue import controllers

blueprint = Blueprint("catalogue", __name__, template_folder="templates")
api = Blueprint("catalogue_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/procedures", view_func=controllers.list_procedures, methods=["GET"])
blueprint.add_url_rule("/procedures/not-by-post", view_func=controllers.not_by_post, methods=["GET"])
blueprint.add_url_rule("/procedures/<code>", view_func=controllers.procedure_detail, methods=["GET"])
blueprint.add_url_rule("/catalogue/import", view_func=controllers.import_page, methods=["GET", "POST"])
blueprint.add_url_rule("/catalogue/review", view_func=controllers.review_page, methods=["GET"])
blueprint.add_url_rule("/catalogue/review/confirm", view_func=controllers.confirm_review, methods=["POST"])
api.add_url_rule("/procedures", view_func=controllers.api_list_procedures, methods=["GET"])
api.add_url_rule("/procedures/<code>", view_func=controllers.api_procedure, methods=["GET"])
api.add_url_rule("/agencies/<code>", view_func=controllers.api_agency, methods=["GET"])

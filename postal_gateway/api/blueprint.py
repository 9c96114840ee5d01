"""The API's own URLs: the OpenAPI document and its browsable docs."""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.api import controllers

blueprint = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")

blueprint.add_url_rule("/openapi.json", view_func=controllers.openapi_document, methods=["GET"])
blueprint.add_url_rule("/docs", view_func=controllers.docs, methods=["GET"])

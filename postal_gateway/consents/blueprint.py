"""The URLs of the consents area: which controller answers which path and method. The pages serve postal staff
on a phone and citizens for their own consents; the API (/api/v1) takes a bearer token."""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.consents import controllers

blueprint = Blueprint("consents", __name__, template_folder="templates")
api = Blueprint("consents_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/citizens/<int:citizen_id>/consent", view_func=controllers.start, methods=["GET", "POST"])
blueprint.add_url_rule("/consents/<int:consent_id>/confirm", view_func=controllers.confirm, methods=["GET", "POST"])
blueprint.add_url_rule("/consents/<int:consent_id>", view_func=controllers.detail, methods=["GET"])
blueprint.add_url_rule("/consents/<int:consent_id>/review", view_func=controllers.review, methods=["POST"])
blueprint.add_url_rule("/my/consents/<int:consent_id>/confirm", view_func=controllers.confirm_mine, methods=["POST"])
blueprint.add_url_rule("/consents/<int:consent_id>/scan", view_func=controllers.scan, methods=["GET"])
blueprint.add_url_rule("/consents/<int:consent_id>/revoke", view_func=controllers.revoke, methods=["POST"])
blueprint.add_url_rule("/citizens/<int:citizen_id>/consents", view_func=controllers.citizen_consents, methods=["GET"])
blueprint.add_url_rule("/my/consents", view_func=controllers.my_consents, methods=["GET"])
api.add_url_rule("/consents", view_func=controllers.api_request_consent, methods=["POST"])
api.add_url_rule("/consents/<int:consent_id>/confirm", view_func=controllers.api_confirm_consent, methods=["POST"])
api.add_url_rule("/consents/<int:consent_id>/review", view_func=controllers.api_review_consent, methods=["POST"])
api.add_url_rule("/consents/<int:consent_id>/revoke", view_func=controllers.api_revoke_consent, methods=["POST"])
api.add_url_rule("/citizens/<int:citizen_id>/consents", view_func=controllers.api_citizen_consents, methods=["GET"])

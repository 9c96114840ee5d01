"""The URLs of the accounts area: registration, activation, login, password reset, citizens at the counter,
tokens; which controller answers which path and method."""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.accounts import controllers
from postal_gateway.accounts.identity import mask_id_number, mask_phone

blueprint = Blueprint("accounts", __name__, template_folder="templates")
api = Blueprint("accounts_api", __name__, url_prefix="/api/v1")

blueprint.record_once(controllers.configure_codes)
# Staff pages show a citizen's numbers masked: enough to check the card in hand (Nghị định 13/2023/NĐ-CP).
blueprint.add_app_template_filter(mask_id_number, "mask_id_number")
blueprint.add_app_template_filter(mask_phone, "mask_phone")

blueprint.add_url_rule("/login", view_func=controllers.login, methods=["GET", "POST"])
blueprint.add_url_rule("/logout", view_func=controllers.logout, methods=["POST"])
blueprint.add_url_rule("/register", view_func=controllers.register, methods=["GET", "POST"])
blueprint.add_url_rule("/activate", view_func=controllers.activate, methods=["GET", "POST"])
blueprint.add_url_rule("/activate/resend", view_func=controllers.resend_activation, methods=["POST"])
blueprint.add_url_rule("/password/forgot", view_func=controllers.forgot_password, methods=["GET", "POST"])
blueprint.add_url_rule("/password/reset", view_func=controllers.reset_password, methods=["GET", "POST"])
blueprint.add_url_rule("/citizens", view_func=controllers.find_citizen, methods=["GET"])
blueprint.add_url_rule("/citizens", view_func=controllers.register_citizen_for, methods=["POST"])
blueprint.add_url_rule("/citizens/reclaim", view_func=controllers.reclaim_identity, methods=["GET", "POST"])
blueprint.add_url_rule("/citizens/<int:citizen_id>", view_func=controllers.citizen_detail, methods=["GET"])
blueprint.add_url_rule("/citizens/<int:citizen_id>/activate", view_func=controllers.activate_citizen, methods=["POST"])
blueprint.add_url_rule("/citizens/<int:citizen_id>/resend", view_func=controllers.resend_citizen_code, methods=["POST"])
api.add_url_rule("/token", view_func=controllers.create_token, methods=["POST"])
api.add_url_rule("/token", view_func=controllers.revoke_token, methods=["DELETE"])
api.add_url_rule("/citizens", view_func=controllers.api_register_citizen, methods=["POST"])
api.add_url_rule("/citizens/<int:citizen_id>/activation", view_func=controllers.api_activate_citizen, methods=["POST"])
api.add_url_rule("/citizens", view_func=controllers.api_find_citizens, methods=["GET"])
api.add_url_rule("/citizens/<int:citizen_id>", view_func=controllers.api_get_citizen, methods=["GET"])

"""URLs of the public lookup (R-19): no login, rate-limited per client.

# GET  /lookup?code=…|?id_number=…        lookup_page  (the QR code's address)
# POST /lookup  code=…|id_number=…        lookup_page  (the page's form: nothing personal in the URL)
# GET  /api/v1/lookup?code=…|?id_number=…  api_lookup   (kept for existing clients)
# POST /api/v1/lookup  {"code"|"id_number"}  api_lookup

An ID number in a query string lands in access logs, proxies and browser history; the forms and
new clients send it in the body (Nghị định 13/2023/NĐ-CP). The logs mask it either way.
"""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.lookup import controllers

blueprint = Blueprint("lookup", __name__, template_folder="templates")
api = Blueprint("lookup_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/lookup", view_func=controllers.lookup_page, methods=["GET", "POST"])
api.add_url_rule("/lookup", view_func=controllers.api_lookup, methods=["GET", "POST"])
blueprint.record_once(controllers.configure_hash_key_from_app)
blueprint.add_app_template_filter(controllers.lookup_time, "lookup_time")

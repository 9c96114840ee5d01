"""URLs of the local Zalo sandbox (Zalo's own paths, under /zalo/sandbox).

A development tool: create_app registers these routes only when ZALO_SANDBOX is on (`make run`, the tests).

# GET  /zalo/sandbox/                                 phone        the phone: ZNS received, the OA chat, faults
# POST /zalo/sandbox/chat                             chat         a follower's message to the OA (signed event)
# POST /zalo/sandbox/faults                           faults       switch a ZNS fault on or off
# POST /zalo/sandbox/v4/oa/access_token               token        OAuth v4 refresh (server to server, no CSRF)
# POST /zalo/sandbox/message/template                 zns          ZNS template message
# POST /zalo/sandbox/v3.0/oa/message/cs               oa_message   OA text to a follower
"""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.notifications.zalo_sandbox import controllers

blueprint = Blueprint("zalo_sandbox", __name__, template_folder="templates", url_prefix="/zalo/sandbox")
#: called by servers (our adapter) as Zalo is, never by a browser form: no CSRF token
api = Blueprint("zalo_sandbox_api", __name__, url_prefix="/zalo/sandbox")

blueprint.add_url_rule("/", view_func=controllers.phone, methods=["GET"])
blueprint.add_url_rule("/chat", view_func=controllers.chat, methods=["POST"])
blueprint.add_url_rule("/faults", view_func=controllers.faults, methods=["POST"])
api.add_url_rule("/v4/oa/access_token", view_func=controllers.token, methods=["POST"])
api.add_url_rule("/message/template", view_func=controllers.zns, methods=["POST"])
api.add_url_rule("/v3.0/oa/message/cs", view_func=controllers.oa_message, methods=["POST"])

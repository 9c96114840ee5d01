"""URLs of the local VNPay sandbox (same paths as VNPay's own, under /payments/sandbox).

A development tool: create_app registers these routes only when VNPAY_SANDBOX is on (`make run`, the
tests); otherwise they do not exist (404), so nobody can replay a payment request here and pick
"success". It plays VNPay for demo terminals only.

# GET  /payments/sandbox/paymentv2/vpcpay.html               pay_page    checks the signed request, outcome picker
# POST /payments/sandbox/pay/<id>                            choose      records the outcome, queues IPNs, redirects
# POST /payments/sandbox/deliver                             deliver     delivers due IPNs now (also the beat job)
# GET  /payments/sandbox/daily/<day>.csv                     daily_file  agency staff (session or token): their terminal's day
# POST /payments/sandbox/merchant_webapi/api/transaction     merchant_api  querydr and refund (JSON; CSRF-exempt blueprint)
"""
from __future__ import annotations

from flask import Blueprint

from payments.sandbox import controllers

blueprint = Blueprint("payments_sandbox", __name__, template_folder="templates", url_prefix="/payments/sandbox")
#: the merchant API is called by servers with JSON, never by a browser form: no CSRF token (not /api/v1)
api = Blueprint("payments_sandbox_api", __name__, url_prefix="/payments/sandbox")

blueprint.add_url_rule("/paymentv2/vpcpay.html", view_func=controllers.pay_page, methods=["GET"])
blueprint.add_url_rule("/pay/<int:transaction_id>", view_func=controllers.choose, methods=["POST"])
api.add_url_rule("/deliver", view_func=controllers.deliver, methods=["POST"])
blueprint.add_url_rule("/daily/<day>.csv", view_func=controllers.daily_file, methods=["GET"])
api.add_url_rule("/merchant_webapi/api/transaction", view_func=controllers.merchant_api, methods=["POST"])

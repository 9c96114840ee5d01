"""URLs of the payments area: paying a dossier online, VNPay's return and IPN, refunds, reconciliation.

# GET  /payments/dossiers/<code>                       pay_dossier        citizen: lines, balance, "Thanh toán lệ phí"
# POST /payments/dossiers/<code>/pay                   start              new attempt (or the open one) → VNPay
# GET  /payments/vnpay/return                          vnpay_return       shows the outcome; changes nothing
# GET  /payments/vnpay/ipn                             vnpay_ipn          VNPay's server call: {"RspCode","Message"}
# GET  /payments/dossiers/<code>/refunds               refunds            agency staff see, agency admin authorises
# POST /payments/dossiers/<code>/refunds               refunds
# POST /payments/dossiers/<code>/refunds/cash          cash_refund        agency admin: pay back in cash at the post
# GET  /payments/reconciliation                        reconciliation     pick a day
# GET  /payments/reconciliation/<day>                  reconciliation_day totals, chart, exceptions
# POST /payments/reconciliation/<day>/import           import_file        the gateway's daily CSV
# POST /payments/reconciliation/<day>/fetch            fetch_file         local sandbox only: fetch and import
# POST /payments/reconciliation/<day>/run              run                (re)reconcile
# POST /payments/reconciliation/items/<id>/resolve     resolve            comment on an exception
# POST /payments/reconciliation/<day>/sign-off         sign_off           agency admin; locks the day
# GET  /payments/reconciliation/<day>/report.<fmt>     report             xlsx | pdf
# API
# GET  /api/v1/payments/dossiers/<code>                api_dossier        balance and attempts
# POST /api/v1/payments/dossiers/<code>/refunds        api_refund         authorise (and send) a refund
# POST /api/v1/payments/dossiers/<code>/cash-refunds   api_cash_refund    authorise a cash refund at the post
# GET  /api/v1/payments/reconciliation/<day>          api_reconciliation  totals of the agency's day
"""
from __future__ import annotations

from flask import Blueprint

from payments import controllers

blueprint = Blueprint("payments", __name__, template_folder="templates")
api = Blueprint("payments_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/payments/dossiers/<code>", view_func=controllers.pay_dossier, methods=["GET"])
blueprint.add_url_rule("/payments/dossiers/<code>/pay", view_func=controllers.start, methods=["POST"])
blueprint.add_url_rule("/payments/vnpay/return", view_func=controllers.vnpay_return, methods=["GET"])
blueprint.add_url_rule("/payments/vnpay/ipn", view_func=controllers.vnpay_ipn, methods=["GET"])
blueprint.add_url_rule("/payments/dossiers/<code>/refunds", view_func=controllers.refunds_page, methods=["GET", "POST"])
blueprint.add_url_rule("/payments/dossiers/<code>/refunds/cash", view_func=controllers.cash_refund, methods=["POST"])
blueprint.add_url_rule("/payments/reconciliation", view_func=controllers.reconciliation_index, methods=["GET"])
blueprint.add_url_rule("/payments/reconciliation/<day>", view_func=controllers.reconciliation_day, methods=["GET"])
blueprint.add_url_rule("/payments/reconciliation/<day>/import", view_func=controllers.import_file, methods=["POST"])
blueprint.add_url_rule("/payments/reconciliation/<day>/fetch", view_func=controllers.fetch_file, methods=["POST"])
blueprint.add_url_rule("/payments/reconciliation/<day>/run", view_func=controllers.run, methods=["POST"])
blueprint.add_url_rule("/payments/reconciliation/items/<int:item_id>/resolve", view_func=controllers.resolve, methods=["POST"])
blueprint.add_url_rule("/payments/reconciliation/<day>/sign-off", view_func=controllers.sign_off, methods=["POST"])
blueprint.add_url_rule("/payments/reconciliation/<day>/report.<fmt>", view_func=controllers.report, methods=["GET"])
api.add_url_rule("/payments/dossiers/<code>", view_func=controllers.api_dossier, methods=["GET"])
api.add_url_rule("/payments/dossiers/<code>/refunds", view_func=controllers.api_refund, methods=["POST"])
api.add_url_rule("/payments/dossiers/<code>/cash-refunds", view_func=controllers.api_cash_refund,
                 methods=["POST"])
api.add_url_rule("/payments/reconciliation/<day>", view_func=controllers.api_reconciliation, methods=["GET"])

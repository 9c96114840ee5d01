"""URLs of the contracts area, one line each:

GET       /postage                          public_postage      fees, postage, surcharges, full-trip times (R-18), quote form
GET       /contracts                        list_contracts      operator and agency staff
GET       /contracts/<id>                   contract_detail     every version's content
GET/POST  /contracts/import                 import_page         operator: contracts and tariffs from CSV/XLSX
GET/POST  /contracts/limits                 limits_page         operator: national full-trip limits (R-17)
GET       /cash                             my_cash_book        postal worker: the open shift's cash book
POST      /cash/open, /cash/close           open_shift, close_shift
GET       /cash/shifts/<id>                 shift_detail        the worker, the office's cashier, operators
GET       /cash/remittances                 remittances         cashier: closed shifts of the office
GET/POST  /cash/shifts/<id>/remit           remit               cashier records what was handed over
GET       /cash/statement                   fee_statement       fees owed to an agency for a period (?format=csv)
GET/POST  /cash/refunds/<id>/pay            pay_refund          postal worker pays a fee back (Điều 14.2.c)
POST      /api/v1/quotes                    api_quote           itemised postage
POST      /api/v1/cash/refunds/<id>/pay     api_pay_refund      the same, by API
"""
from __future__ import annotations

from flask import Blueprint

from contracts import controllers

blueprint = Blueprint("contracts", __name__, template_folder="templates")
api = Blueprint("contracts_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/postage", view_func=controllers.public_postage, methods=["GET"])
blueprint.add_url_rule("/contracts", view_func=controllers.list_contracts, methods=["GET"])
blueprint.add_url_rule("/contracts/<int:contract_id>", view_func=controllers.contract_detail, methods=["GET"])
blueprint.add_url_rule("/contracts/import", view_func=controllers.import_page, methods=["GET", "POST"])
blueprint.add_url_rule("/contracts/limits", view_func=controllers.limits_page, methods=["GET", "POST"])
blueprint.add_url_rule("/cash", view_func=controllers.my_cash_book, methods=["GET"])
blueprint.add_url_rule("/cash/open", view_func=controllers.open_shift, methods=["POST"])
blueprint.add_url_rule("/cash/close", view_func=controllers.close_shift, methods=["POST"])
blueprint.add_url_rule("/cash/shifts/<int:shift_id>", view_func=controllers.shift_detail, methods=["GET"])
blueprint.add_url_rule("/cash/remittances", view_func=controllers.remittances, methods=["GET"])
blueprint.add_url_rule("/cash/shifts/<int:shift_id>/remit", view_func=controllers.remit, methods=["GET", "POST"])
blueprint.add_url_rule("/cash/statement", view_func=controllers.fee_statement, methods=["GET"])
blueprint.add_url_rule("/cash/refunds/<int:refund_id>/pay", view_func=controllers.pay_refund, methods=["GET", "POST"])
api.add_url_rule("/quotes", view_func=controllers.api_quote, methods=["POST"])
api.add_url_rule("/cash/refunds/<int:refund_id>/pay", view_func=controllers.api_pay_refund, methods=["POST"])
blueprint.app_context_processor(controllers.labels_for_templates)
blueprint.add_app_template_filter(controllers.last_day, "last_day")

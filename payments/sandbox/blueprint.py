"""URLs of the local VNPay sandbox (same paths as VNPay's own, under /payments/sandbox).

# GET  /payments/sandbox/paymentv2/vpcpay.html               pay_page    checks the signed request, outcome picker
# POST /payments/sandbox/pay/<id>                            choose      records the outcome, queues IPNs, redirects
# POST /payments/sandbox/deliver                             deliver     delivers due IPNs now (also the beat job)
# GET  /payments/sandbox/daily/<day>.csv                     daily_file  the day's transaction file
# POST /payments/sandbox/merchant_webapi/api/transaction     merchant_api  querydr and refund (JSON; CSRF-exempt blueprint)
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from payments import runtime
from payments.reconciliation import parse_day
from payments.sandbox import gateway
from postal_gateway.db import db_session, utcnow
from postal_gateway.domain import InvalidInput
from postal_gateway.errors import translate

blueprint = Blueprint("payments_sandbox", __name__, template_folder="templates", url_prefix="/payments/sandbox")
#: the merchant API is called by servers with JSON, never by a browser form: no CSRF token (not /api/v1)
api = Blueprint("payments_sandbox_api", __name__, url_prefix="/payments/sandbox")


@blueprint.get("/paymentv2/vpcpay.html")
def pay_page():
    session = db_session()
    try:
        row = gateway.open_payment(session, request.args.to_dict(), config=runtime.config(), now=utcnow())
    except InvalidInput as error:
        session.rollback()
        return render_template("sandbox/pay.html", row=None, error=translate(error.message)), 400
    session.commit()
    return render_template("sandbox/pay.html", row=row, error=None, outcomes=gateway.OUTCOMES, faults=gateway.FAULTS)


@blueprint.post("/pay/<int:transaction_id>")
def choose(transaction_id: int):
    session = db_session()
    _row, return_to = gateway.complete_payment(
        session, transaction_id, outcome=request.form.get("outcome", ""), fault=request.form.get("fault", ""),
        config=runtime.config(), now=utcnow(),
    )
    session.commit()
    # IPNs go out before the browser returns, as VNPay usually does; "reordered" ones wait for the job.
    gateway.deliver_due(runtime._bound_session, send=runtime.ipn_sender(), now=utcnow(), skip_reordered=True)
    return redirect(return_to, code=303)


@api.post("/deliver")
def deliver():
    calls = gateway.deliver_due(runtime._bound_session, send=runtime.ipn_sender(), now=utcnow())
    return jsonify({"calls": calls})


@blueprint.get("/daily/<day>.csv")
def daily_file(day: str):
    lines = list(gateway.daily_file(db_session(), parse_day(day), config=runtime.config()))
    return Response("".join(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="vnpay-{day}.csv"'})


@api.post("/merchant_webapi/api/transaction")
def merchant_api():
    session = db_session()
    answer = gateway.handle_api(session, request.get_json(silent=True), config=runtime.config(), now=utcnow())
    session.commit()
    return jsonify(answer)

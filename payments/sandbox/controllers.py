"""The local VNPay sandbox's handlers: the pay page, the outcome picker, IPN delivery, the daily file and
the merchant API, as VNPay answers them."""
from __future__ import annotations

from flask import Response, jsonify, redirect, render_template, request

from payments import runtime
from payments.reconciliation import parse_day
from payments.sandbox import gateway
from postal_gateway.accounts.models import Role
from postal_gateway.auth import current_account, roles_required
from postal_gateway.catalogue.models import Agency
from postal_gateway.db import db_session, utcnow
from postal_gateway.domain import N_, InvalidInput, NotFound
from postal_gateway.errors import translate


def pay_page():
    session = db_session()
    config = runtime.sandbox_config(session, request.args.get("vnp_TmnCode"))
    try:
        row = gateway.open_payment(session, request.args.to_dict(), config=config, now=utcnow())
    except InvalidInput as error:
        session.rollback()
        return render_template("sandbox/pay.html", row=None, error=translate(error.message)), 400
    session.commit()
    return render_template("sandbox/pay.html", row=row, error=None, outcomes=gateway.OUTCOMES, faults=gateway.FAULTS)


def choose(transaction_id: int):
    session = db_session()
    row = gateway.find_payment(session, transaction_id)
    _row, return_to = gateway.complete_payment(
        session, transaction_id, outcome=request.form.get("outcome", ""), fault=request.form.get("fault", ""),
        config=runtime.sandbox_config(session, row.tmn_code), now=utcnow(),
    )
    session.commit()
    # IPNs go out before the browser returns, as VNPay usually does; "reordered" ones wait for the job.
    gateway.deliver_due(runtime._bound_session, send=runtime.ipn_sender(), now=utcnow(), skip_reordered=True)
    return redirect(return_to, code=303)


def deliver():
    calls = gateway.deliver_due(runtime._bound_session, send=runtime.ipn_sender(), now=utcnow())
    return jsonify({"calls": calls})


@roles_required(Role.agency_staff, Role.agency_admin)
def daily_file(day: str):
    """The day's file of the staff member's own agency (a page session or an API bearer token)."""
    session = db_session()
    the_day = parse_day(day)
    agency = session.get(Agency, current_account().agency_id)
    config = runtime.config_for_agency(session, agency.id) if agency is not None else None
    if not runtime.is_local_sandbox(config):
        raise NotFound(N_("Cơ quan của bạn không dùng cổng thanh toán thử nghiệm."))
    lines = gateway.daily_file(session, the_day, config=config, agency_code=agency.code)
    return Response("".join(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="vnpay-{config.tmn_code}-{the_day}.csv"'})


def merchant_api():
    session = db_session()
    payload = request.get_json(silent=True)
    tmn_code = payload.get("vnp_TmnCode") if isinstance(payload, dict) else None
    answer = gateway.handle_api(session, payload, config=runtime.sandbox_config(session, tmn_code), now=utcnow())
    session.commit()
    return jsonify(answer)

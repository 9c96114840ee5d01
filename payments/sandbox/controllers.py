"""The local VNPay sandbox's handlers: the pay page, the outcome picker, IPN delivery, the daily file and
the merchant API, as VNPay answers them."""
from __future__ import annotations

from flask import Response, jsonify, redirect, render_template, request

from payments import runtime
from payments.reconciliation import parse_day
from payments.sandbox import forms, gateway
from postal_gateway.accounts.models import Role
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, InvalidInput, NotFound
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.web.auth import current_account, roles_required
from postal_gateway.web.errors import translate


def pay_page():
    try:
        with unit_of_work() as session:
            config = runtime.sandbox_config(session, request.args.get("vnp_TmnCode"))
            row = gateway.open_payment(session, request.args.to_dict(), config=config, now=utcnow())
    except InvalidInput as error:
        return render_template("sandbox/pay.html", row=None, error=translate(error.message)), 400
    return render_template("sandbox/pay.html", row=row, error=None, outcomes=gateway.OUTCOMES, faults=gateway.FAULTS)


def choose(transaction_id: int):
    picked = forms.OutcomeForm()
    with unit_of_work() as session:
        row = gateway.find_payment(session, transaction_id)
        _row, return_to = gateway.complete_payment(
            session, transaction_id, outcome=picked.outcome.data or "", fault=picked.fault.data or "",
            config=runtime.sandbox_config(session, row.tmn_code), now=utcnow(),
        )
    # IPNs go out before the browser returns, as VNPay usually does; "reordered" ones wait for the job.
    runtime.deliver_sandbox_ipns(now=utcnow(), skip_reordered=True)
    return redirect(return_to, code=303)


def deliver():
    calls = runtime.deliver_sandbox_ipns(now=utcnow())
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
    payload = request.get_json(silent=True)
    tmn_code = payload.get("vnp_TmnCode") if isinstance(payload, dict) else None
    with unit_of_work() as session:
        answer = gateway.handle_api(session, payload, config=runtime.sandbox_config(session, tmn_code), now=utcnow())
    return jsonify(answer)

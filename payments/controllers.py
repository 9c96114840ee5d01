"""The payments area's handlers: paying a dossier online, VNPay's return and IPN, refunds, reconciliation
and the API. Each one parses the request, calls the use cases inside a unit of work, and renders."""
from __future__ import annotations

import secrets

from flask import Response, jsonify, redirect, render_template, request, url_for
from spectree import Response as Documented
from sqlalchemy import select

from contracts import cash_refunds
from contracts.schemas import CashRefundIn, CashRefundOut
from payments import forms, reconciliation, refunds, reports, runtime, schemas, services
from payments.models import Payment, ReconciliationDay, Refund
from payments.sandbox.gateway import daily_file
from payments.vnpay.payment import ipn_response
from postal_gateway.accounts.models import Role
from postal_gateway.api.request_guards import storable, unstorable
from postal_gateway.api.spec import operation, reach_checked_before_the_body
from postal_gateway.catalogue.models import Agency
from postal_gateway.core import metrics
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, Conflict, Forbidden, InvalidInput, NotFound
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.dossiers.shipments import find_by_reference
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import translate

AGENCY = (Role.agency_staff, Role.agency_admin)


def _client_ip() -> str:
    return request.remote_addr or "127.0.0.1"


def _agency_dossier(code: str):
    dossier = services.get_dossier(db_session(), code)
    if current_account().agency_id != dossier.agency_id:
        raise Forbidden(N_("Hồ sơ không thuộc cơ quan của bạn."))
    return dossier


def _agency_dossier_by_ref(ref: str):
    """The dossier named by its code or, when it never got one (refused at reception), its shipment number."""
    dossier = find_by_reference(db_session(), ref) or services.get_dossier(db_session(), ref)
    if current_account().agency_id != dossier.agency_id:
        raise Forbidden(N_("Hồ sơ không thuộc cơ quan của bạn."))
    return dossier


# --- citizen: paying ----------------------------------------------------------------------------


@roles_required(Role.citizen)
def pay_dossier(code: str):
    session = db_session()
    dossier = services.get_dossier(session, code)
    if dossier.citizen_id != current_account().id:
        raise services.NotFound(N_("Không tìm thấy hồ sơ."))
    fee, postage = services.amounts_due(session, dossier)
    attempts = list(session.scalars(select(Payment).where(Payment.dossier_id == dossier.id).order_by(Payment.id.desc())))
    return render_template("payments/pay.html", dossier=dossier, fee=fee, postage=postage, attempts=attempts,
                           balance=services.fee_balance(session, dossier))


@roles_required(Role.citizen)
def start(code: str):
    with unit_of_work() as session:
        dossier = services.get_dossier(session, code)
        if dossier.citizen_id != current_account().id:
            raise services.NotFound(N_("Không tìm thấy hồ sơ."))
        vnpay = runtime.config_for_agency(session, dossier.agency_id)
        if vnpay is None:
            raise Conflict(N_("Cơ quan xử lý hồ sơ chưa nhận thanh toán trực tuyến; vui lòng nộp lệ phí tại quầy."))
        _payment, url = services.start_payment(
            session, dossier=dossier, citizen_id=current_account().id, ip_address=_client_ip(),
            config=vnpay, now=utcnow(),
        )
    return redirect(url, code=303)


def vnpay_return():
    with unit_of_work() as session:
        try:
            view = runtime.read_return(session, request.args.to_dict(), remote_addr=_client_ip())
        except InvalidInput as error:
            refusal = error  # refused inside the unit of work, so the audit row of the forged return commits
        else:
            refusal = None
    if refusal is not None:
        return render_template("payments/return.html", view=None, error=translate(refusal.message)), 400
    return render_template("payments/return.html", view=view, error=None)


def _refuse_unstorable_ipn(params: dict[str, str]) -> dict[str, str]:
    """A NUL or a broken character in a parameter: no signature can match it, so 97, logged with
    the faulty characters escaped (the database stores neither)."""
    escaped = {storable(key): storable(value) for key, value in params.items()}
    with unit_of_work() as session:
        services.log_rejection(session, source="ipn", code="97", reason="parameter with a NUL or non-UTF-8 character",
                               params=escaped, remote_addr=_client_ip(), now=utcnow())
    return ipn_response("97")


def vnpay_ipn():
    """VNPay's IPN: always 200 with exactly {"RspCode", "Message"}, never problem+json."""
    params = request.args.to_dict()
    if any(unstorable(key) or unstorable(value) for key, value in params.items()):
        answer = _refuse_unstorable_ipn(params)
    else:
        answer = runtime.process_ipn(params, remote_addr=_client_ip())
    metrics.IPN_OUTCOMES.labels(code=answer["RspCode"]).inc()
    return jsonify({"RspCode": answer["RspCode"], "Message": answer["Message"]})


# --- agency: refunds ----------------------------------------------------------------------------


def _send_now(refund_id: int) -> None:
    """Call VNPay once the authorisation is committed; a failure to reach it leaves the job to retry."""
    with unit_of_work() as session:
        vnpay = runtime.config_for_agency(session, session.get(Refund, refund_id).payment.agency_id)
        if vnpay is None:  # the terminal is not usable now: the refund stays requested for the job
            return
        refunds.send_refund(session, refund_id, config=vnpay, now=utcnow(),
                            transport=runtime.merchant_transport(vnpay))


@roles_required(*AGENCY)
def refunds_page(code: str):
    form = forms.RefundForm()
    if request.method == "POST":
        try:
            # the authorisation commits first; VNPay is called in a second unit of work (see _send_now)
            with unit_of_work() as session:
                refund = refunds.request_refund(
                    session, dossier=_agency_dossier_by_ref(code), amount_vnd=form.amount, reason=form.reason.data,
                    authorised_by=current_account(), idempotency_key=form.idempotency_key.data, now=utcnow(),
                )
            _send_now(refund.id)
            return redirect(url_for("payments.refunds_page", code=code), code=303)
        except InvalidInput as refusal:
            form.show_refusal(refusal)
    return _refunds_page(code, form, forms.CashRefundForm(formdata=None))


def _refunds_page(code: str, form: forms.RefundForm, cash_form: forms.CashRefundForm):
    session = db_session()
    dossier = _agency_dossier_by_ref(code)
    _payment, left = refunds.refundable_payment(session, dossier)
    rows = list(session.scalars(select(Refund).where(Refund.dossier_id == dossier.id).order_by(Refund.id.desc())))
    return render_template(
        "payments/refunds.html", dossier=dossier, refunds=rows, left=left, form=form,
        balance=services.fee_balance(session, dossier), blocked=refunds.result_completed(dossier),
        idempotency_key=secrets.token_urlsafe(16), cash=cash_refunds.cash_refund_state(session, dossier),
        cash_form=cash_form,
    ), (422 if form.errors or cash_form.errors else 200)


def _flagged(session, dossier):
    flag = cash_refunds.flag_of(session, dossier)
    if flag is None:
        raise Conflict(N_("Hồ sơ không có khoản lệ phí nào cần hoàn (Điều 14.2.c)."))
    return flag


@roles_required(Role.agency_admin)
def cash_refund(code: str):
    """The agency admin authorises paying the flagged lệ phí back in cash at the post office (Điều 14.2.c)."""
    cash_form = forms.CashRefundForm()
    try:
        with unit_of_work() as session:
            dossier = _agency_dossier_by_ref(code)
            cash_refunds.authorise_cash_refund(session, admin=current_account(), flag_id=_flagged(session, dossier).id,
                                               amount_vnd=cash_form.amount_vnd.data, now=utcnow())
    except InvalidInput as refusal:
        cash_form.show_refusal(refusal)
        return _refunds_page(code, forms.RefundForm(formdata=None), cash_form)
    return redirect(url_for("payments.refunds_page", code=code), code=303)


# --- agency: reconciliation ---------------------------------------------------------------------


@roles_required(*AGENCY)
def reconciliation_index():
    day = request.args.get("day")
    if day:
        return redirect(url_for("payments.reconciliation_day", day=reconciliation.parse_day(day).isoformat()))
    recent = list(db_session().scalars(select(ReconciliationDay).where(
        ReconciliationDay.agency_id == current_account().agency_id).order_by(ReconciliationDay.day.desc()).limit(14)))
    today = utcnow().astimezone(reconciliation.GMT7).date()
    return render_template("payments/reconciliation_index.html", recent=recent, today=today)


def _own_terminal(session):
    """The officer's agency's terminal: its daily file is the only one they import or see."""
    vnpay = runtime.config_for_agency(session, current_account().agency_id)
    if vnpay is None:
        raise Conflict(N_("Cơ quan của bạn chưa có cổng thanh toán trực tuyến (mã website VNPay)."))
    return vnpay


@roles_required(*AGENCY)
def reconciliation_day(day: str):
    session = db_session()
    the_day = reconciliation.parse_day(day)
    agency_id = current_account().agency_id
    record = reconciliation.get_day(session, agency_id=agency_id, day=the_day)
    return render_template(
        "payments/reconciliation_day.html", day=the_day, record=record,
        latest_import=reconciliation.latest_import(session, agency_id=agency_id, day=the_day),
        items=reconciliation.items(session, record) if record else [],
        open_count=reconciliation.open_exceptions(session, record) if record else 0,
        chart=reports.chart_svg(record.totals) if record else "", categories=reconciliation.CATEGORIES,
        can_fetch=runtime.is_local_sandbox(runtime.config_for_agency(session, agency_id)),
    )


def _back(day) -> Response:
    return redirect(url_for("payments.reconciliation_day", day=day.isoformat()), code=303)


def _on_day(day: str, act) -> Response:
    """Run one reconciliation use case for the officer's agency and day, commit, and go back to the day."""
    the_day = reconciliation.parse_day(day)
    with unit_of_work() as session:
        act(session, agency_id=current_account().agency_id, day=the_day, user=current_account(), now=utcnow())
    return _back(the_day)


def _import_and_reconcile(day: str, read_file) -> Response:
    """Import the officer's agency's gateway file of the day and reconcile at once; rows the file could
    not read are shown (422).

    read_file(session, day, vnpay) gives the file's lines and its name; vnpay is the agency's terminal.
    """
    the_day = reconciliation.parse_day(day)
    with unit_of_work() as session:
        vnpay = _own_terminal(session)
        lines, filename = read_file(session, the_day, vnpay)
        result = reconciliation.import_gateway_file(
            session, lines, agency_id=current_account().agency_id, day=the_day, tmn_code=vnpay.tmn_code,
            filename=filename, imported_by_id=current_account().id, now=utcnow())
        reconciliation.reconcile(session, agency_id=current_account().agency_id, day=the_day, user=current_account(),
                                 now=utcnow())
    if result.errors:
        return render_template("payments/import_errors.html", day=the_day, result=result), 422
    return _back(the_day)


@roles_required(*AGENCY)
def import_file(day: str):
    def uploaded(_session, _day, _vnpay):
        upload = forms.GatewayFileForm().upload()
        return reconciliation.text_lines(upload.read()), upload.filename

    return _import_and_reconcile(day, uploaded)


@roles_required(*AGENCY)
def fetch_file(day: str):
    def from_sandbox(session, the_day, vnpay):
        if not runtime.is_local_sandbox(vnpay):
            raise NotFound(N_("Cơ quan của bạn không dùng cổng thanh toán thử nghiệm."))
        agency = session.get(Agency, current_account().agency_id)
        lines = "".join(daily_file(session, the_day, config=vnpay, agency_code=agency.code)).splitlines(keepends=True)
        return iter(lines), f"sandbox-{vnpay.tmn_code}-{the_day.isoformat()}.csv"

    return _import_and_reconcile(day, from_sandbox)


@roles_required(*AGENCY)
def run(day: str):
    return _on_day(day, reconciliation.reconcile)


@roles_required(*AGENCY)
def resolve(item_id: int):
    comment = forms.ExceptionCommentForm().comment.data
    with unit_of_work() as session:
        item = reconciliation.resolve_item(session, item_id=item_id, comment=comment, user=current_account(),
                                           now=utcnow())
        day = session.get(ReconciliationDay, item.day_id).day
    return redirect(url_for("payments.reconciliation_day", day=day.isoformat()) + f"#item-{item_id}", code=303)


@roles_required(Role.agency_admin)
def sign_off(day: str):
    return _on_day(day, reconciliation.sign_off)


@roles_required(*AGENCY)
def report(day: str, fmt: str):
    session = db_session()
    the_day = reconciliation.parse_day(day)
    record = reconciliation.get_day(session, agency_id=current_account().agency_id, day=the_day)
    if record is None or fmt not in ("xlsx", "pdf"):
        raise services.NotFound(N_("Ngày này chưa được đối soát."))
    rows = reconciliation.items(session, record)
    if fmt == "xlsx":
        body, mimetype = reports.xlsx(record, rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = reports.pdf(record, rows), "application/pdf"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="doi-soat-{record.agency.code}-{the_day.isoformat()}.{fmt}"'})


# --- API ----------------------------------------------------------------------------------------


@api_auth(*AGENCY)
@operation(
    resp=Documented(HTTP_200=schemas.FeeBalanceOut, HTTP_401=None, HTTP_403=None, HTTP_404=None),
    tags=["payments"],
    operation_id="getDossierPayments",
    openapi_extra={"parameters": [schemas.CODE_PARAMETER], "responses": {"200": {"description": "The balance."}}},
)
def api_dossier(code: str):
    """Fee owed, paid and refunded for a dossier, with its online payment attempts

    Agency staff and admins of the dossier's agency. `paid_vnd` counts every fee collected (any method) minus
    refunds; `settled` is false while paid and owed differ (R-14).
    """
    session = db_session()
    dossier = _agency_dossier(code)
    attempts = list(session.scalars(select(Payment).where(Payment.dossier_id == dossier.id).order_by(Payment.id)))
    return schemas.FeeBalanceOut.of(dossier.code, services.fee_balance(session, dossier), attempts)


@api_auth(Role.agency_admin)
@reach_checked_before_the_body(_agency_dossier)  # 403 or 404 whatever the body holds
@operation(
    resp=Documented(HTTP_201=schemas.RefundOut, HTTP_401=None, HTTP_403=None, HTTP_404=None, HTTP_409=None,
                    HTTP_422=None),
    tags=["payments"],
    operation_id="refundDossierFee",
    openapi_extra={"parameters": [schemas.CODE_PARAMETER],
                   "responses": {"201": {"description": "The refund and its state."}}},
)
def api_refund(code: str, json: schemas.RefundIn):
    """Authorise a full or partial refund of a dossier's online fee (R-13) and send it to VNPay

    Agency admins only. The same `idempotency_key` again returns the same refund. Refused (409) once the
    dossier's result is ready or returned, and (422) above what can still be refunded.
    """
    with unit_of_work() as session:
        refund = refunds.request_refund(
            session, dossier=_agency_dossier(code), amount_vnd=json.amount_vnd, reason=json.reason,
            authorised_by=current_account(), idempotency_key=json.idempotency_key, now=utcnow(),
        )
    # VNPay is called once the authorisation is committed, in a unit of work of its own
    _send_now(refund.id)
    return schemas.RefundOut.of(db_session().get(Refund, refund.id)), 201


@api_auth(Role.agency_admin)
@reach_checked_before_the_body(_agency_dossier_by_ref)  # 403 or 404 whatever the body holds
@operation(
    resp=Documented(HTTP_201=CashRefundOut, HTTP_401=None, HTTP_403=None, HTTP_404=None, HTTP_409=None,
                    HTTP_422=None),
    tags=["payments"],
    operation_id="authoriseCashRefund",
    openapi_extra={"parameters": [schemas.CODE_PARAMETER],
                   "responses": {"201": {"description": "The cash refund, authorised (or already paid)."}}},
)
def api_cash_refund(code: str, json: CashRefundIn):
    """Authorise paying a dossier's flagged fee back in cash at the post office (Điều 14.2.c)

    Agency admins of the dossier's agency only. `code` is the dossier code, or the shipment number of a dossier
    refused at reception. The amount (default: all of it) is never above the fee the post took in cash or on
    behalf, nor the flagged amount. One refund per flag: the same call again returns it; another amount is
    refused (409). Refused (409) when nothing is flagged or once the result was ready. A fee paid online is
    refunded through `refundDossierFee`.
    """
    with unit_of_work() as session:
        dossier = _agency_dossier_by_ref(code)
        refund = cash_refunds.authorise_cash_refund(session, admin=current_account(),
                                                    flag_id=_flagged(session, dossier).id,
                                                    amount_vnd=json.amount_vnd, now=utcnow())
        answer = CashRefundOut.of(refund)
    return answer, 201


@api_auth(*AGENCY)
@operation(
    resp=Documented(HTTP_200=schemas.ReconciliationDayOut, HTTP_401=None, HTTP_403=None, HTTP_404=None,
                    HTTP_422=None),
    tags=["payments"],
    operation_id="getReconciliationDay",
    openapi_extra={"parameters": [schemas.DAY_PARAMETER], "responses": {"200": {"description": "The day."}}},
)
def api_reconciliation(day: str):
    """Totals per category of the caller's agency's fee reconciliation for a day"""
    session = db_session()
    record = reconciliation.get_day(session, agency_id=current_account().agency_id, day=reconciliation.parse_day(day))
    if record is None:
        raise services.NotFound(N_("Ngày này chưa được đối soát."))
    return schemas.ReconciliationDayOut.of(record, reconciliation.open_exceptions(session, record))

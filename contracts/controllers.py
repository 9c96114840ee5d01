"""The contracts area's handlers: the public postage page, contracts and limits, the cash book, the quote API.

Each one parses the request, calls the services inside one unit of work, and renders."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from spectree import Response as Documented
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts import cash_refunds, cashbook, forms, schemas
from contracts.importer import ImportRefused, import_contracts
from contracts.limits import LimitBelowPromises, national_limits, set_national_limit
from contracts.models import CashShift, Contract, ContractVersion, Leg, Zone
from contracts.parsing import start_of_local_day
from contracts.quotes import DEFAULT_WEIGHT_GRAMS, quote
from contracts.services import version_at
from contracts.versions.services import commitment_warnings
from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role
from postal_gateway.api.spec import operation, reach_checked_before_the_body
from postal_gateway.api.validation import INVALID_FIELDS
from postal_gateway.catalogue.models import Agency, PostOffice, Procedure
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.core.spreadsheets import csv_text
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import errors_by_field, translate

#: zones of the two-level map (1 July 2025), in the order pages show them
ZONE_LABELS = {
    Zone.same_commune: N_("Cùng xã/phường"),
    Zone.same_province: N_("Cùng tỉnh"),
    Zone.other_province: N_("Khác tỉnh"),
    Zone.remote: N_("Vùng sâu, vùng xa"),
}
#: the zone of records made before the two-level map, shown as written
HISTORIC_ZONE_LABELS = {Zone.same_district: N_("Cùng huyện (trước 01/7/2025)")}
LEG_LABELS = {Leg.forward: N_("Chiều gửi hồ sơ"), Leg.return_: N_("Chiều trả kết quả")}
METHOD_LABELS = {
    "cash": N_("Tiền mặt"),
    "collection_on_behalf": N_("Thu hộ"),
    "bank_transfer": N_("Chuyển khoản"),
    "card": N_("Thẻ"),
    "online": N_("Thanh toán trực tuyến"),
    cashbook.CASH_REFUND: N_("Hoàn trả lệ phí"),
}
STAFF = (Role.operator, Role.agency_staff, Role.agency_admin)


def labels_for_templates():
    """The zone, leg and payment-method labels every contracts page shows."""
    return {"zone_labels": ZONE_LABELS, "all_zone_labels": {**ZONE_LABELS, **HISTORIC_ZONE_LABELS},
            "leg_labels": LEG_LABELS, "method_labels": METHOD_LABELS}


def last_day(valid_until):
    """Periods end at 00:00 of the next day (exclusive); people read the day before as the last."""
    return valid_until - timedelta(seconds=1) if valid_until is not None else None


def _form_refusal(form: FlaskForm) -> InvalidInput:
    """A page form's faults as the services name theirs, so the page shows both the same way."""
    return InvalidInput(INVALID_FIELDS, field_errors=[
        FieldError(name, message) for name, messages in form.errors.items() for message in messages
    ])


def _versions_in_force(session, now) -> list[ContractVersion]:
    agencies = session.scalars(select(Contract.agency_id).distinct()).all()
    return [v for agency_id in agencies if (v := version_at(session, agency_id=agency_id, at=now)) is not None]


def _covered_procedures(session, version: ContractVersion) -> list[Procedure]:
    if version.covers_all_eligible:
        return list(session.scalars(
            select(Procedure).where(Procedure.agency_id == version.agency_id, Procedure.postal_eligible.is_(True))
            .order_by(Procedure.code)
        ))
    return [item.procedure for item in version.procedures]


def _tariff_table(version: ContractVersion) -> tuple[list[int], dict[tuple[Zone, int], int]]:
    weights = sorted({band.max_grams for band in version.postage_bands})
    return weights, {(band.zone, band.max_grams): band.price_vnd for band in version.postage_bands}


# --- public -------------------------------------------------------------------------------------


def public_postage():
    session = db_session()
    now = utcnow()
    versions = _versions_in_force(session, now)
    sections = []
    for version in versions:
        weights, prices = _tariff_table(version)
        sections.append({
            "version": version,
            "procedures": _covered_procedures(session, version),
            "weights": weights,
            "prices": prices,
            "trip_hours": {(t.leg, t.zone): t.hours for t in version.trip_times},
        })
    result, errors, status = None, {}, 200
    form = forms.PostageQuoteForm()
    if form.asked:
        try:
            result = quote(session, **form.quote_arguments(), at=now)
        except InvalidInput as error:
            errors, status = errors_by_field(error), 422
    offices = session.scalars(select(PostOffice).order_by(PostOffice.code)).all()
    return render_template(
        "contracts/public.html", sections=sections, limits=national_limits(session), quote=result,
        errors=errors, form=form, offices=offices, default_weight=DEFAULT_WEIGHT_GRAMS,
    ), status


# --- contracts (operator, agency) ---------------------------------------------------------------


def _visible_contracts_query():
    account = current_account()
    query = select(Contract).options(selectinload(Contract.versions)).order_by(Contract.number)
    if account.role in (Role.agency_staff, Role.agency_admin):
        query = query.where(Contract.agency_id == account.agency_id)
    return query


@roles_required(*STAFF)
def list_contracts():
    session = db_session()
    contracts = session.scalars(_visible_contracts_query()).all()
    now = utcnow()
    in_force = {c.id: version_at(session, agency_id=c.agency_id, at=now) for c in contracts}
    return render_template("contracts/list.html", contracts=contracts, in_force=in_force, now=now)


@roles_required(*STAFF)
def contract_detail(contract_id: int):
    session = db_session()
    contract = session.scalars(_visible_contracts_query().where(Contract.id == contract_id)).first()
    if contract is None:
        raise NotFound(N_("Không tìm thấy hợp đồng."))
    versions = []
    for version in reversed(contract.versions):
        weights, prices = _tariff_table(version)
        versions.append({
            "version": version, "weights": weights, "prices": prices,
            "trip_hours": {(t.leg, t.zone): t.hours for t in version.trip_times},
            "procedures": _covered_procedures(session, version),
            "warnings": commitment_warnings(version),
        })
    return render_template("contracts/detail.html", contract=contract, versions=versions, now=utcnow())


@roles_required(Role.operator)
def import_page():
    report, status = None, 200
    if request.method == "POST":
        files = forms.ContractImportForm().chosen_files()
        try:
            with unit_of_work() as session:
                report = import_contracts(
                    session, contracts_file=files.get("contracts_file"), tariff_file=files.get("tariff_file"),
                    actor_id=current_account().id, now=utcnow(),
                )
                report.raise_if_refused()
        except ImportRefused:
            status = 422
    return render_template("contracts/import.html", report=report), status


@roles_required(Role.operator, Role.agency_staff, Role.agency_admin)
def limits_page():
    errors, status, pending = {}, 200, None
    form = forms.NationalLimitForm()
    if request.method == "POST":
        if current_account().role is not Role.operator:
            raise Forbidden(N_("Chỉ quản trị viên được sửa giới hạn toàn trình quốc gia."))
        try:
            if not form.validate():
                raise _form_refusal(form)
            with unit_of_work() as session:
                set_national_limit(
                    session, leg=form.leg.data, zone=form.zone.data, max_hours=form.max_hours.data,
                    legal_source=form.legal_source.data, note=form.note.data,
                    actor_id=current_account().id, now=utcnow(), confirmed_versions=form.confirmed_versions(),
                )
        except InvalidInput as error:
            errors, status = errors_by_field(error), 422
        except LimitBelowPromises as below:  # nothing saved: the page lists the contracts and asks to confirm
            pending, status = below, 409
        else:
            flash(_("Đã cập nhật giới hạn toàn trình."), "success")
            return redirect(url_for("contracts.limits_page"))
    with unit_of_work() as session:  # the provisional defaults, created on first view, are kept
        limits = national_limits(session)
    return render_template("contracts/limits.html", limits=limits, errors=errors, form=form, pending=pending,
                           pending_message=translate(pending.message, pending.params) if pending else ""), status


# --- cash book ----------------------------------------------------------------------------------


@roles_required(Role.postal_staff)
def my_cash_book():
    session = db_session()
    account = current_account()
    now = utcnow()
    shift = cashbook.current_shift(session, worker_id=account.id)
    book = cashbook.cash_book(session, shift, now=now) if shift is not None else None
    recent = session.scalars(
        select(CashShift).where(CashShift.worker_id == account.id).order_by(CashShift.opened_at.desc()).limit(10)
    ).all()
    waiting = [s for s in cashbook.shifts_to_remit(session, post_office_id=account.post_office_id) if s.worker_id != account.id]
    to_pay = cash_refunds.refunds_to_pay(session, post_office_id=account.post_office_id)
    return render_template("contracts/cash.html", shift=shift, book=book, recent=recent, waiting=waiting,
                           to_pay=to_pay)


@roles_required(Role.postal_staff)
def open_shift():
    with unit_of_work() as session:
        cashbook.open_shift(session, worker_id=current_account().id, now=utcnow())
    flash(_("Đã mở ca thu tiền."), "success")
    return redirect(url_for("contracts.my_cash_book"))


@roles_required(Role.postal_staff)
def close_shift():
    with unit_of_work() as session:
        shift = cashbook.current_shift(session, worker_id=current_account().id)
        if shift is None:
            raise NotFound(N_("Bạn không có ca nào đang mở."))
        cashbook.close_shift(session, shift_id=shift.id, worker_id=current_account().id, now=utcnow())
    flash(_("Đã đóng ca. Vui lòng nộp tiền cho thủ quỹ."), "success")
    return redirect(url_for("contracts.shift_detail", shift_id=shift.id))


def _shift_for_viewer(shift_id: int) -> CashShift:
    shift = cashbook.get_shift(db_session(), shift_id)
    account = current_account()
    if account.role is Role.operator or shift.worker_id == account.id:
        return shift
    if account.role in POST_OFFICE_ROLES and account.post_office_id == shift.post_office_id:
        return shift
    raise NotFound(N_("Không tìm thấy ca thu tiền."))


@roles_required(Role.postal_staff, Role.operator)
def shift_detail(shift_id: int):
    shift = _shift_for_viewer(shift_id)
    book = cashbook.cash_book(db_session(), shift, now=utcnow())
    return render_template("contracts/shift.html", shift=shift, book=book)


@roles_required(Role.postal_staff)
def remittances():
    account = current_account()
    waiting = [s for s in cashbook.shifts_to_remit(db_session(), post_office_id=account.post_office_id) if s.worker_id != account.id]
    return render_template("contracts/remittances.html", waiting=waiting)


@roles_required(Role.postal_staff, Role.operator)
def remit(shift_id: int):
    shift = _shift_for_viewer(shift_id)
    book = cashbook.cash_book(db_session(), shift, now=utcnow())
    form = forms.RemittanceForm(data={"fee_vnd": book.fee_vnd, "postage_vnd": book.postage_vnd,
                                      "refunds_vnd": book.refunds_vnd, "handed_vnd": book.total_vnd})
    errors, status = {}, 200
    if request.method == "POST":
        # who may remit and whether the shift can be remitted answer first (403, 409), as they always did
        cashbook.ensure_remittable(db_session(), shift_id=shift.id, cashier_id=current_account().id)
        try:
            if not form.validate():
                raise _form_refusal(form)
            with unit_of_work() as session:
                cashbook.remit(
                    session, shift_id=shift.id, cashier_id=current_account().id, fee_vnd=form.fee_vnd.data,
                    postage_vnd=form.postage_vnd.data, refunds_vnd=form.refunds_vnd.data or 0,
                    handed_vnd=form.handed_vnd.data, reason=form.reason.data,
                    now=utcnow(),
                )
        except InvalidInput as error:
            errors, status = errors_by_field(error), 422
        else:
            flash(_("Đã ghi nhận tiền nộp của ca."), "success")
            return redirect(url_for("contracts.shift_detail", shift_id=shift.id))
    return render_template("contracts/remit.html", shift=shift, book=book, errors=errors, form=form), status


def _refund_for_me(refund_id: int):
    return cash_refunds.refund_for_worker(db_session(), worker=current_account(), refund_id=refund_id)


@roles_required(Role.postal_staff)
def pay_refund(refund_id: int):
    """The postal worker pays an authorised lệ phí back out of the open shift's till (Điều 14.2.c)."""
    refund = _refund_for_me(refund_id)  # another office's refund: 404 whatever the form holds
    form = forms.CashRefundPaymentForm()
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with unit_of_work() as session:
                cash_refunds.pay_cash_refund(
                    session, worker=current_account(), refund_id=refund.id, recipient_name=form.recipient_name.data,
                    id_last4=form.id_last4.data, voucher_number=form.voucher_number.data, now=utcnow(),
                )
        except InvalidInput as error:
            errors, status = errors_by_field(error), 422
        else:
            flash(_("Đã chi trả lệ phí hoàn cho công dân; khoản chi được ghi vào sổ thu của ca."), "success")
            return redirect(url_for("contracts.my_cash_book"))
    session = db_session()
    return render_template("contracts/pay_refund.html", refund=refund, form=form, errors=errors,
                           shift=cashbook.current_shift(session, worker_id=current_account().id)), status


@roles_required(Role.operator, Role.agency_staff, Role.agency_admin, Role.postal_staff)
def fee_statement():
    session = db_session()
    account = current_account()
    agencies = session.scalars(select(Agency).order_by(Agency.code)).all()
    if account.role in (Role.agency_staff, Role.agency_admin):
        agencies = [a for a in agencies if a.id == account.agency_id]
    today = utcnow().astimezone(VIETNAM).date()  # the Vietnamese day, whatever the server's zone
    form = forms.FeeStatementForm(agency_codes=[a.code for a in agencies], today=today)
    valid = form.validate()
    agency = next((a for a in agencies if a.code == form.agency.data), agencies[0] if agencies else None)
    start_day, end_day = form.start.data, form.end.data
    statement = None
    if valid and agency is not None:
        statement = cashbook.fee_statement(
            session, agency_id=agency.id, start=start_of_local_day(start_day),
            end=start_of_local_day(end_day + timedelta(days=1)),
            # a post office's staff see what their own office collected, not the other offices'
            post_office_id=account.post_office_id if account.role in POST_OFFICE_ROLES else None,
        )
        if form.format.data == "csv":
            body = csv_text(statement.csv_rows())
            name = f"bang-ke-le-phi-{agency.code}-{start_day:%Y%m%d}-{end_day:%Y%m%d}.csv"
            return Response(body, mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
    shown = {name: [translate(messages[-1])] for name, messages in form.errors.items()}
    return render_template(
        "contracts/statement.html", statement=statement, agencies=agencies, agency=agency, errors=shown,
        start=start_day or today, end=end_day or today,
    ), (422 if form.errors else 200)


# --- API ----------------------------------------------------------------------------------------


@api_auth(Role.postal_staff)
@reach_checked_before_the_body(_refund_for_me, argument="refund_id")  # another office's refund: 404 first
@operation(
    resp=Documented(HTTP_200=schemas.CashRefundOut, HTTP_401=None, HTTP_403=None, HTTP_404=None, HTTP_409=None,
                    HTTP_422=None),
    tags=["contracts"],
    operation_id="payCashRefund",
    openapi_extra={"parameters": [schemas.REFUND_ID_PARAMETER],
                   "responses": {"200": {"description": "The refund, paid."}}},
)
def api_pay_refund(refund_id: int, json: schemas.CashRefundPaymentIn):
    """Pay an authorised fee refund out of the worker's open shift (Điều 14.2.c)

    Postal staff (or the manager) of the post office holding the dossier, with a shift open: the refund becomes a
    negative line of that shift's cash book, its refund flag is resolved and the citizen is told. Refused (409)
    without an open shift and when the refund was already paid; another office's refund is not found (404).
    """
    with unit_of_work() as session:
        refund = cash_refunds.pay_cash_refund(
            session, worker=current_account(), refund_id=refund_id, recipient_name=json.recipient_name,
            id_last4=json.id_last4, voucher_number=json.voucher_number, now=utcnow(),
        )
        answer = schemas.CashRefundOut.of(refund)
    return answer


@api_auth()
@operation(
    resp=Documented(HTTP_200=schemas.QuoteOut, HTTP_401=None, HTTP_422=None),
    tags=["contracts"],
    operation_id="createQuote",
    openapi_extra={"responses": {"200": {"description": "The itemised quote."}}},
)
def api_quote(json: schemas.QuoteIn):
    """Itemised postage for a procedure, pickup and delivery place and weight

    Places the pickup address (or the post office where the dossier is handed in) and the delivery address in
    zones relative to the procedure's agency, then prices both legs with the tariff of the contract in force
    now: postage by weight band and zone, home pickup and delivery surcharges, the collection-on-behalf fee (a
    percentage with a minimum), VAT computed once on the post's lines and rounded half up to the đồng, and the
    agency's fee. All amounts are integer VND. Every bad field is named in `errors`.
    """
    result = quote(db_session(), **json.model_dump(), at=utcnow())
    return schemas.QuoteOut.of(result, translate)
